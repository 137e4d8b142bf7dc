"""The runtime's DynamoDB and EventBridge clients do not sign their requests to moto in process (a tenth of a call's
time); moto must answer them exactly as it answers a boto3 client that signs, errors included (the rule: a faster
path keeps the API's answers), in the runtime's region, and they sign again as soon as moto authenticates requests.
Its SQS client signs: moto's SQS reads the region from the signature, so unsigned requests outside us-east-1 reached
us-east-1's queues (a queue is regional: the stack's dead-letter queue was not found)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from helpers import offline_runtime
from moto import mock_aws, settings

from bedrock_batch.offline.runtime import Runtime, RuntimeConfig


def _authorizations(client: Any) -> list[bytes | None]:
    """The Authorization header of every request ``client`` sends from now on (None: unsigned)."""
    seen: list[bytes | None] = []
    client.meta.events.register_first("before-send", lambda request, **_: seen.append(
        request.headers.get("Authorization")))
    return seen


def _answers(ddb: Any, sqs: Any, events: Any, name: str) -> list[Any]:
    """Calls that succeed and calls that fail, on resources named after ``name``; answers without request ids."""
    def answer(call: Any, **kwargs: Any) -> Any:
        try:
            result = call(**kwargs)
        except ddb.exceptions.ClientError as err:
            return err.response["Error"], err.response["ResponseMetadata"]["HTTPStatusCode"]
        return {k: v for k, v in result.items() if k != "ResponseMetadata"}

    table = f"t-{name}"
    answers = [answer(ddb.create_table, TableName=table, BillingMode="PAY_PER_REQUEST",
                      KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                      AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])["TableDescription"]
               ["KeySchema"]]
    for expression, condition in (("ADD n :one", None), ("ADD n :one", "n = :one"), ("ADD n :one", "n = :one"),
                                  ("SET pk = :one", None)):  # the second condition fails: n is 2 by then
        answers.append(answer(ddb.update_item, TableName=table, Key={"pk": {"S": "a"}}, UpdateExpression=expression,
                              ReturnValues="ALL_NEW", **({"ConditionExpression": condition} if condition else {}),
                              ExpressionAttributeValues={":one": {"N": "1"}}))
    answers.append(answer(ddb.get_item, TableName=table, Key={"pk": {"S": "a"}}))
    answers.append(answer(ddb.get_item, TableName=f"missing-{name}", Key={"pk": {"S": "a"}}))
    url = sqs.create_queue(QueueName=f"q-{name}")["QueueUrl"]
    answers.append(answer(sqs.send_message_batch, QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "m"},
                                                                       {"Id": "1", "MessageBody": "twice"}]))
    answers.append(answer(sqs.send_message, QueueUrl=url, MessageBody="m")["MD5OfMessageBody"])
    answers.append([m["Body"] for m in sqs.receive_message(QueueUrl=url)["Messages"]])
    answers.append(answer(sqs.get_queue_url, QueueName=f"missing-{name}"))
    answers.append(answer(events.put_events, Entries=[{"Source": "s", "DetailType": "d", "Detail": "{}"}])
                   ["FailedEntryCount"])
    answers.append(answer(events.describe_event_bus, Name=f"missing-{name}"))
    return [str(a).replace(name, "NAME") for a in answers]


def test_the_runtime_answers_unsigned_as_moto_answers_signed_requests() -> None:
    with offline_runtime() as runtime:
        def signed(service: str) -> Any:
            return boto3.client(service, region_name=runtime.config.region, aws_access_key_id="testing",
                                aws_secret_access_key="testing")

        clients = [runtime.client(s) for s in ("dynamodb", "sqs", "events")]
        sent = [_authorizations(c) for c in clients]
        unsigned = _answers(*clients, name="runtime")
        assert unsigned == _answers(*(signed(s) for s in ("dynamodb", "sqs", "events")), name="plain")
        ddb_sent, sqs_sent, events_sent = sent
        assert ddb_sent and events_sent and not any(header for header in ddb_sent + events_sent)
        assert sqs_sent and all(header.startswith(b"AWS4-HMAC-SHA256 ") for header in sqs_sent)
        assert "ConditionalCheckFailedException" in str(unsigned) and "ResourceNotFoundException" in str(unsigned)


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_the_runtime_reaches_what_a_signed_client_made_in_its_region(region: str) -> None:
    """Tables, queues and event buses are regional: what a deployment made with signed clients in the runtime's
    region (the stack's tables, dead-letter queue and bus) is what the runtime's own clients reach, and the reverse."""
    with mock_aws():
        runtime = Runtime(RuntimeConfig(region=region))
        try:
            def signed(service: str) -> Any:
                return boto3.client(service, region_name=region, aws_access_key_id="testing",
                                    aws_secret_access_key="testing")

            signed("dynamodb").create_table(
                TableName="made-signed", BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
            url = signed("sqs").create_queue(QueueName="made-signed")["QueueUrl"]
            signed("events").create_event_bus(Name="made-signed")

            runtime.client("dynamodb").put_item(TableName="made-signed", Item={"pk": {"S": "from-runtime"}})
            runtime.client("sqs").send_message(QueueUrl=url, MessageBody="from-runtime")
            runtime.client("events").put_events(Entries=[{"Source": "s", "DetailType": "d", "Detail": "{}",
                                                          "EventBusName": "made-signed"}])
            runtime.client("sqs").create_queue(QueueName="made-by-runtime")

            assert signed("dynamodb").get_item(TableName="made-signed", Key={"pk": {"S": "from-runtime"}})["Item"]
            assert [m["Body"] for m in signed("sqs").receive_message(QueueUrl=url)["Messages"]] == ["from-runtime"]
            assert signed("sqs").get_queue_url(QueueName="made-by-runtime")["QueueUrl"].endswith("/made-by-runtime")
            assert "made-signed" in [b["Name"] for b in runtime.client("events").list_event_buses()["EventBuses"]]
        finally:
            runtime.close()


def test_the_runtime_signs_again_while_moto_authenticates(monkeypatch: pytest.MonkeyPatch) -> None:
    with offline_runtime() as runtime:
        ddb = runtime.client("dynamodb")
        sent = _authorizations(ddb)
        ddb.list_tables()
        monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", 10**9)  # moto authenticates after 10**9 calls
        ddb.list_tables()
        assert sent[0] is None and sent[1].startswith(b"AWS4-HMAC-SHA256 Credential=testing/")


def test_the_runtime_signs_for_a_moto_server() -> None:
    runtime = Runtime(RuntimeConfig(endpoint_url="http://127.0.0.1:9"))  # nothing listens there: the call fails
    try:
        ddb = runtime.client("dynamodb")
        sent = _authorizations(ddb)
        with pytest.raises(EndpointConnectionError):
            ddb.list_tables()
        assert sent and sent[0].startswith(b"AWS4-HMAC-SHA256 Credential=testing/")
    finally:
        runtime.close()
