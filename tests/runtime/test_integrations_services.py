"""Optimized integrations for DynamoDB, SQS and EventBridge (Developer Guide, connect-ddb, connect-sqs,
connect-eventbridge)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from helpers import machine, offline_runtime, run, succeeded, task_state

from bedrock_batch.offline.runtime import Runtime

TABLE = "jobs"


@pytest.fixture
def rt() -> Iterator[Runtime]:
    with offline_runtime() as runtime:
        runtime.client("dynamodb").create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
        yield runtime


def task(resource: str, arguments: dict, **fields) -> dict:
    return task_state(f"arn:aws:states:::{resource}", arguments, **fields)


def stored(rt: Runtime, pk: str) -> dict | None:
    return rt.client("dynamodb").get_item(TableName=TABLE, Key={"pk": {"S": pk}}).get("Item")


def queue(rt: Runtime, name: str) -> tuple[str, str]:
    sqs = rt.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def test_dynamodb_put_item_writes_the_item(rt: Runtime) -> None:
    """Developer Guide, connect-ddb: dynamodb:putItem takes TableName and Item (attribute values typed as in the
    DynamoDB API) and writes the item."""
    definition = machine({"Save": task("dynamodb:putItem", {"TableName": TABLE, "Item": {
        "pk": {"S": "{% $states.input.id %}"}, "records": {"N": "{% $string($states.input.n) %}"}}})})
    succeeded(run(rt, definition, {"id": "job-1", "n": 120}))
    assert stored(rt, "job-1") == {"pk": {"S": "job-1"}, "records": {"N": "120"}}


def test_dynamodb_get_item_returns_the_typed_item(rt: Runtime) -> None:
    """Developer Guide, connect-ddb: dynamodb:getItem returns the item under Item, with typed attribute values."""
    rt.client("dynamodb").put_item(TableName=TABLE, Item={"pk": {"S": "job-2"}, "status": {"S": "Completed"}})
    definition = machine({"Load": task("dynamodb:getItem", {"TableName": TABLE, "Key": {"pk": {"S": "job-2"}}},
                                       Output="{% $states.result.Item %}")})
    assert succeeded(run(rt, definition)) == {"pk": {"S": "job-2"}, "status": {"S": "Completed"}}


def test_dynamodb_update_item_returns_new_attributes(rt: Runtime) -> None:
    """Developer Guide, connect-ddb: dynamodb:updateItem takes an UpdateExpression with its attribute names and
    values; ReturnValues ALL_NEW returns the item as updated under Attributes."""
    rt.client("dynamodb").put_item(TableName=TABLE, Item={"pk": {"S": "job-3"}, "tries": {"N": "1"}})
    definition = machine({"Count try": task("dynamodb:updateItem", {
        "TableName": TABLE, "Key": {"pk": {"S": "job-3"}},
        "UpdateExpression": "SET #t = #t + :one, #s = :s",
        "ExpressionAttributeNames": {"#t": "tries", "#s": "status"},
        "ExpressionAttributeValues": {":one": {"N": "1"}, ":s": {"S": "Retrying"}},
        "ReturnValues": "ALL_NEW"}, Output="{% $states.result.Attributes %}")})
    assert succeeded(run(rt, definition)) == {"pk": {"S": "job-3"}, "tries": {"N": "2"}, "status": {"S": "Retrying"}}


@pytest.mark.parametrize(("asked", "answered"), [({}, False), ({"ReturnConsumedCapacity": "NONE"}, False),
                                                  ({"ReturnConsumedCapacity": "TOTAL"}, True)])
def test_dynamodb_update_item_returns_consumed_capacity_only_when_asked(rt: Runtime, asked: dict,
                                                                         answered: bool) -> None:
    """DynamoDB API Reference, UpdateItem response: "ConsumedCapacity is only returned if the
    ReturnConsumedCapacity parameter was specified" (moto adds it to every answer); the count still lands."""
    definition = machine({"Count": task("dynamodb:updateItem", {
        "TableName": TABLE, "Key": {"pk": {"S": "job-5"}}, "UpdateExpression": "ADD tries :one",
        "ExpressionAttributeValues": {":one": {"N": "1"}}, **asked})})
    result = succeeded(run(rt, definition))
    assert ("ConsumedCapacity" in result) is answered
    assert stored(rt, "job-5") == {"pk": {"S": "job-5"}, "tries": {"N": "1"}}


def test_batch_write_item_returns_consumed_capacity_only_when_asked(rt: Runtime) -> None:
    """DynamoDB API Reference, BatchWriteItem response: ConsumedCapacity only when ReturnConsumedCapacity asks
    for it; UnprocessedItems is always there (moto adds ConsumedCapacity regardless)."""
    definition = machine({"Write": task("aws-sdk:dynamodb:batchWriteItem", {"RequestItems": {TABLE: [
        {"PutRequest": {"Item": {"pk": {"S": "job-6"}}}}]}})})
    assert succeeded(run(rt, definition)) == {"UnprocessedItems": {}}
    assert stored(rt, "job-6") == {"pk": {"S": "job-6"}}


def test_dynamodb_delete_item_removes_the_item(rt: Runtime) -> None:
    """Developer Guide, connect-ddb: dynamodb:deleteItem removes the item with the given Key."""
    rt.client("dynamodb").put_item(TableName=TABLE, Item={"pk": {"S": "job-4"}})
    succeeded(run(rt, machine({"Forget": task("dynamodb:deleteItem", {"TableName": TABLE,
                                                                       "Key": {"pk": {"S": "job-4"}}})})))
    assert stored(rt, "job-4") is None


def test_dynamodb_conditional_check_failure_is_named(rt: Runtime) -> None:
    """Developer Guide, connect-ddb: a failed ConditionExpression fails the task with
    DynamoDB.ConditionalCheckFailedException, which Catch can route (a lock that is already held)."""
    rt.client("dynamodb").put_item(TableName=TABLE, Item={"pk": {"S": "lock"}, "owner": {"S": "other"}})
    definition = machine({
        "Take lock": task("dynamodb:putItem", {"TableName": TABLE, "Item": {"pk": {"S": "lock"}, "owner": {"S": "me"}},
                                               "ConditionExpression": "attribute_not_exists(pk)"},
                          Catch=[{"ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"], "Next": "Busy"}],
                          Next="Got it"),
        "Got it": {"Type": "Succeed"},
        "Busy": {"Type": "Pass", "Output": "{% $states.input.Error %}", "End": True},
    })
    assert succeeded(run(rt, definition)) == "DynamoDB.ConditionalCheckFailedException"
    assert stored(rt, "lock") == {"pk": {"S": "lock"}, "owner": {"S": "other"}}


def test_dynamodb_missing_table_error_is_named(rt: Runtime) -> None:
    """Developer Guide, connect-ddb: DynamoDB errors carry the DynamoDB prefix, e.g.
    DynamoDB.ResourceNotFoundException for a table that does not exist."""
    definition = machine({"Load": task("dynamodb:getItem", {"TableName": "absent", "Key": {"pk": {"S": "x"}}})})
    execution = run(rt, definition)
    assert execution.status == "FAILED"
    assert execution.error == "DynamoDB.ResourceNotFoundException"


def test_sqs_json_message_body_is_serialized(rt: Runtime) -> None:
    """Developer Guide, connect-sqs: a MessageBody given as a JSON object is sent as its JSON text."""
    url, _ = queue(rt, "notices")
    definition = machine({"Notify": task("sqs:sendMessage", {"QueueUrl": url, "MessageBody": {
        "job": "{% $states.input.job %}", "counts": [1, 2]}})})
    output = succeeded(run(rt, definition, {"job": "job-9"}))
    assert output["MessageId"]
    [message] = rt.client("sqs").receive_message(QueueUrl=url)["Messages"]
    assert json.loads(message["Body"]) == {"job": "job-9", "counts": [1, 2]}


def test_sqs_string_message_body_is_sent_as_is(rt: Runtime) -> None:
    """Developer Guide, connect-sqs: a string MessageBody is the message text."""
    url, _ = queue(rt, "plain")
    succeeded(run(rt, machine({"Notify": task("sqs:sendMessage", {"QueueUrl": url, "MessageBody": "hello"})})))
    [message] = rt.client("sqs").receive_message(QueueUrl=url)["Messages"]
    assert message["Body"] == "hello"


def test_eventbridge_put_events_serializes_an_object_detail(rt: Runtime) -> None:
    """Developer Guide, connect-eventbridge: events:putEvents takes Entries whose Detail may be a JSON object; the
    event is delivered with that detail and the result reports the entries and FailedEntryCount."""
    url, arn = queue(rt, "deliveries")
    events = rt.client("events")
    events.put_rule(Name="job-done", EventPattern=json.dumps({"source": ["conformance.jobs"]}))
    events.put_targets(Rule="job-done", Targets=[{"Id": "queue", "Arn": arn}])
    definition = machine({"Announce": task("events:putEvents", {"Entries": [{
        "Source": "conformance.jobs", "DetailType": "Job Done",
        "Detail": {"jobId": "{% $states.input.jobId %}", "records": 3}}]})})
    output = succeeded(run(rt, definition, {"jobId": "j-1"}))
    assert output["FailedEntryCount"] == 0
    assert len(output["Entries"]) == 1 and output["Entries"][0]["EventId"]
    [message] = rt.client("sqs").receive_message(QueueUrl=url)["Messages"]
    event = json.loads(message["Body"])
    assert event["detail-type"] == "Job Done"
    assert event["detail"] == {"jobId": "j-1", "records": 3}


def test_an_update_the_offline_service_cannot_handle_fails_the_task_visibly(rt: Runtime) -> None:
    """An UpdateItem whose number attribute is empty: AWS answers it with a service error (name not known here);
    moto raises an IndexError on it. Either way the task fails, the Catch sees it and the execution does not hang
    or die with the exception."""
    definition = machine({
        "Count": task("dynamodb:updateItem", {
            "TableName": TABLE, "Key": {"pk": {"S": "job-3"}}, "UpdateExpression": "ADD n :n",
            "ExpressionAttributeValues": {":n": {"N": "{% '' %}"}}},
            Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]),
        "Caught": {"Type": "Pass", "Output": "{% $states.input.Error %}", "End": True}})
    assert succeeded(run(rt, definition, {})) in {"States.TaskFailed", "DynamoDB.ValidationException"}


def test_an_undefined_argument_fails_the_state_before_the_service_is_called(rt: Runtime) -> None:
    """Recorded AWS executions (facts.md, "undefined JSONata results"): an expression nested in Arguments that
    returns nothing fails the state with States.QueryEvaluationError naming the expression and the field path,
    before any service is called: the item is never written."""
    definition = machine({
        "Count": task("dynamodb:putItem", {
            "TableName": TABLE, "Item": {"pk": {"S": "job-4"}, "n": {"N": "{% $states.input.missing %}"}}},
            Catch=[{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "Caught"}]),
        "Caught": {"Type": "Pass", "Output": "{% $states.input %}", "End": True}})
    output = run(rt, definition, {}).output
    assert output["Error"] == "States.QueryEvaluationError"
    assert output["Cause"].endswith(
        "The JSONata expression '$states.input.missing' specified for the field 'Arguments/Item/n/N' returned "
        "nothing (undefined).")
    assert stored(rt, "job-4") is None
