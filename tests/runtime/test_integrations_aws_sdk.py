"""AWS SDK integrations, ``arn:aws:states:::aws-sdk:<service>:<action>`` (Developer Guide,
supported-services-awssdk)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from helpers import BUCKET, get_text, machine, offline_runtime, put_text, run, succeeded, task_state

from bedrock_batch.offline.errors import DefinitionError
from bedrock_batch.offline.runtime import Runtime

SDK = "arn:aws:states:::aws-sdk:"


@pytest.fixture
def rt() -> Iterator[Runtime]:
    with offline_runtime() as runtime:
        yield runtime


def task(action: str, arguments: dict, **fields) -> dict:
    return task_state(SDK + action, arguments, **fields)


def catch_error(state: dict) -> dict:
    """A machine that runs ``state`` and returns the name of any error it raises."""
    return machine({
        "Call": {**state, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Error name"}]},
        "Error name": {"Type": "Pass", "Output": "{% $states.input.Error %}", "End": True},
    })


def test_s3_put_then_get_returns_the_body_as_text(rt: Runtime) -> None:
    """Developer Guide, supported-services-awssdk: parameters are PascalCase (Bucket, Key, Body) and the result of
    s3:getObject carries the object's Body as text."""
    definition = machine({
        "Write": task("s3:putObject", {"Bucket": BUCKET, "Key": "notes/a.txt", "Body": "{% $states.input.text %}"},
                      Next="Read"),
        "Read": task("s3:getObject", {"Bucket": BUCKET, "Key": "notes/a.txt"}),
    })
    output = succeeded(run(rt, definition, {"text": "héllo\nworld"}))
    assert output["Body"] == "héllo\nworld"
    assert output["ContentLength"] == len("héllo\nworld".encode())
    assert get_text(rt, "notes/a.txt") == "héllo\nworld"


def test_s3_put_object_result_is_pascal_case(rt: Runtime) -> None:
    """Developer Guide, supported-services-awssdk: results come back with the API's member names (ETag, ...)."""
    output = succeeded(run(rt, machine({"Write": task("s3:putObject", {"Bucket": BUCKET, "Key": "k", "Body": "v"})})))
    assert output["ETag"].startswith('"')


def test_s3_missing_key_fails_with_s3_no_such_key_exception(rt: Runtime) -> None:
    """Developer Guide, supported-services-awssdk: an error is ServiceName.ErrorName in PascalCase, with an
    Exception suffix added when the service's name lacks one: S3's NoSuchKey is S3.NoSuchKeyException."""
    definition = catch_error(task("s3:getObject", {"Bucket": BUCKET, "Key": "absent.txt"}))
    assert succeeded(run(rt, definition)) == "S3.NoSuchKeyException"


def test_s3_missing_bucket_is_s3_no_such_bucket_exception(rt: Runtime) -> None:
    """Developer Guide, supported-services-awssdk: S3 errors get the S3 prefix and the Exception suffix
    (NoSuchBucket -> S3.NoSuchBucketException)."""
    definition = catch_error(task("s3:listObjectsV2", {"Bucket": "no-such-bucket-here"}))
    assert succeeded(run(rt, definition)) == "S3.NoSuchBucketException"


def test_s3_error_can_be_retried_by_name(rt: Runtime) -> None:
    """Developer Guide, concepts-error-handling and supported-services-awssdk: Retry and Catch match the SDK error
    name exactly; the cause carries the service's message."""
    definition = machine({
        "Read": task("s3:getObject", {"Bucket": BUCKET, "Key": "absent.txt"},
                     Retry=[{"ErrorEquals": ["S3.NoSuchKeyException"], "MaxAttempts": 2, "IntervalSeconds": 1}],
                     Catch=[{"ErrorEquals": ["S3.NoSuchKeyException"], "Next": "Missing"}], Next="Done"),
        "Done": {"Type": "Succeed"},
        "Missing": {"Type": "Pass", "Output": "{% $states.input %}", "End": True},
    })
    execution = run(rt, definition)
    output = succeeded(execution)
    assert output["Error"] == "S3.NoSuchKeyException" and output["Cause"]
    assert rt.counters.api_calls["s3:GetObject"] == 3  # the first call and two retries


def test_dynamodb_put_get_and_query_with_pascal_case(rt: Runtime) -> None:
    """Developer Guide, supported-services-awssdk: DynamoDB arguments are PascalCase (TableName, Item,
    KeyConditionExpression ...) and so are results (Item, Items, Count)."""
    rt.client("dynamodb").create_table(
        TableName="jobs", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}])
    definition = machine({
        "Put one": task("dynamodb:putItem", {"TableName": "jobs", "Item": {
            "pk": {"S": "run-1"}, "sk": {"S": "job-1"}, "records": {"N": "100"}}}, Next="Put two"),
        "Put two": task("dynamodb:putItem", {"TableName": "jobs", "Item": {
            "pk": {"S": "run-1"}, "sk": {"S": "job-2"}, "records": {"N": "50"}}}, Next="Get"),
        "Get": task("dynamodb:getItem", {"TableName": "jobs", "Key": {"pk": {"S": "run-1"}, "sk": {"S": "job-1"}}},
                    Assign={"item": "{% $states.result.Item %}"}, Next="Query"),
        "Query": task("dynamodb:query", {"TableName": "jobs", "KeyConditionExpression": "pk = :pk",
                                         "ExpressionAttributeValues": {":pk": {"S": "run-1"}}},
                      Output={"item": "{% $item %}", "count": "{% $states.result.Count %}",
                              "sks": "{% $states.result.Items.sk.S %}"}),
    })
    output = succeeded(run(rt, definition))
    assert output["item"] == {"pk": {"S": "run-1"}, "sk": {"S": "job-1"}, "records": {"N": "100"}}
    assert output["count"] == 2
    assert output["sks"] == ["job-1", "job-2"]


def test_sqs_send_message(rt: Runtime) -> None:
    """Developer Guide, supported-services-awssdk: sqs:sendMessage takes QueueUrl and MessageBody and returns
    MessageId and MD5OfMessageBody."""
    sqs = rt.client("sqs")
    url = sqs.create_queue(QueueName="events")["QueueUrl"]
    send = task("sqs:sendMessage", {"QueueUrl": url, "MessageBody": "{% $string($states.input) %}"})
    definition = machine({"Send": send})
    output = succeeded(run(rt, definition, {"job": 7}))
    assert output["MessageId"] and output["MD5OfMessageBody"]
    [message] = sqs.receive_message(QueueUrl=url)["Messages"]
    assert json.loads(message["Body"]) == {"job": 7}


def test_api_calls_are_counted_per_operation(rt: Runtime) -> None:
    """Developer Guide, supported-services-awssdk: each Task with an AWS SDK resource makes one API call; the
    runtime counts them by service and operation."""
    put_text(rt, "in.txt", "x")
    definition = machine({
        "Read": task("s3:getObject", {"Bucket": BUCKET, "Key": "in.txt"}, Next="Read again"),
        "Read again": task("s3:getObject", {"Bucket": BUCKET, "Key": "in.txt"}, Next="Write"),
        "Write": task("s3:putObject", {"Bucket": BUCKET, "Key": "out.txt", "Body": "y"}),
    })
    succeeded(run(rt, definition))
    assert rt.counters.api_calls["s3:GetObject"] == 2
    assert rt.counters.api_calls["s3:PutObject"] == 1


def test_sdk_integrations_refuse_sync(rt: Runtime) -> None:
    """Developer Guide, connect-to-resource: AWS SDK integrations support request-response and
    .waitForTaskToken, not .sync (run a job)."""
    definition = machine({"Call": task("s3:getObject.sync", {"Bucket": BUCKET, "Key": "k"})})
    with pytest.raises(DefinitionError, match="sync"):
        rt.create_state_machine("sdk-sync", definition)


def test_bedrock_calls_go_to_the_batch_simulator(rt: Runtime) -> None:
    """Developer Guide, connect-bedrock and supported-services-awssdk: aws-sdk:bedrock:createModelInvocationJob
    takes PascalCase arguments and returns the JobArn, which getModelInvocationJob then describes."""
    put_text(rt, "batch/input/records.jsonl", "")
    arguments = {
        "JobName": "conformance-job",
        "RoleArn": "arn:aws:iam::123456789012:role/BedrockBatchRole",
        "ModelId": "anthropic.claude-3-haiku-20240307-v1:0",
        "InputDataConfig": {"S3InputDataConfig": {"S3Uri": f"s3://{BUCKET}/batch/input/"}},
        "OutputDataConfig": {"S3OutputDataConfig": {"S3Uri": f"s3://{BUCKET}/batch/output/"}},
    }
    definition = machine({
        "Submit": task("bedrock:createModelInvocationJob", arguments, Next="Describe"),
        "Describe": task("bedrock:getModelInvocationJob", {"JobIdentifier": "{% $states.input.JobArn %}"},
                         Output={"arn": "{% $states.result.JobArn %}", "status": "{% $states.result.Status %}",
                                 "name": "{% $states.result.JobName %}"}),
    })
    output = succeeded(run(rt, definition))
    assert output["arn"].startswith("arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/")
    assert output["name"] == "conformance-job"
    assert output["status"] in {"Submitted", "Validating", "Scheduled", "InProgress", "Completed",
                                "PartiallyCompleted", "Failed", "Stopping", "Stopped", "Expired"}
    assert rt.counters.api_calls["bedrock:CreateModelInvocationJob"] == 1


def test_bedrock_errors_carry_the_bedrock_prefix(rt: Runtime) -> None:
    """Developer Guide, connect-bedrock and supported-services-awssdk: Bedrock errors surface as
    Bedrock.<ExceptionName>, e.g. an unknown job is Bedrock.ResourceNotFoundException."""
    arn = "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abcdefghijkl"
    definition = catch_error(task("bedrock:getModelInvocationJob", {"JobIdentifier": arn}))
    assert succeeded(run(rt, definition)) == "Bedrock.ResourceNotFoundException"


def test_bedrock_model_lookups_go_to_the_simulator(rt: Runtime) -> None:
    """Developer Guide, supported-services-awssdk: aws-sdk:bedrock:getFoundationModel and getInferenceProfile
    return the API's members in PascalCase; an unknown id fails as Bedrock.ValidationException (GetFoundationModel)
    or Bedrock.ResourceNotFoundException (GetInferenceProfile), per the Bedrock API Reference error lists."""
    definition = machine({
        "Model": task("bedrock:getFoundationModel", {"ModelIdentifier": "amazon.nova-micro-v1:0"},
                      Assign={"model": "{% $states.result.ModelDetails.ModelId %}"}, Next="Profile"),
        "Profile": task("bedrock:getInferenceProfile", {"InferenceProfileIdentifier": "us.amazon.nova-micro-v1:0"},
                        Output={"model": "{% $model %}", "type": "{% $states.result.Type %}"}),
    })
    assert succeeded(run(rt, definition)) == {"model": "amazon.nova-micro-v1:0", "type": "SYSTEM_DEFINED"}
    mistyped = catch_error(task("bedrock:getFoundationModel", {"ModelIdentifier": "amazon.nova-mikro-v1:0"}))
    assert succeeded(run(rt, mistyped)) == "Bedrock.ValidationException"
    missing = catch_error(task("bedrock:getInferenceProfile",
                               {"InferenceProfileIdentifier": "us.amazon.nova-mikro-v1:0"}))
    assert succeeded(run(rt, missing)) == "Bedrock.ResourceNotFoundException"
