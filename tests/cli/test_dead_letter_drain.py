"""The demo's dead-letter drain (``demo.dead_letter_messages``): every message exactly once, and the queue empty.

The drain receives every message once (kept in flight) and then clears the queue: with one PurgeQueue when the queue
holds only the messages it received, else by deleting each. These tests check the rule the demo's read-back relies
on: each dead letter is reported exactly once, whichever way the queue is cleared, and none is lost or left behind.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from bedrock_batch import demo
from bedrock_batch.offline.local import offline_aws


@pytest.fixture
def sqs() -> Any:
    with offline_aws():
        yield boto3.client("sqs", region_name="us-east-1")


def _queue_with(sqs: Any, count: int) -> str:
    url = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    for start in range(0, count, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": json.dumps({"errorCode": f"E{i % 3}", "row": i}),
             "MessageAttributes": {"runId": {"DataType": "String", "StringValue": "r1"}}}
            for i in range(start, min(count, start + 10))])
    return url


def _left(sqs: Any, url: str) -> int:
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return sum(int(counts[name]) for name in ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                                              "ApproximateNumberOfMessagesDelayed"))


def test_each_message_once_then_the_queue_is_empty(sqs: Any) -> None:
    url = _queue_with(sqs, 1234)
    messages = list(demo.dead_letter_messages(sqs, url))
    rows = sorted(json.loads(m["Body"])["row"] for m in messages)
    assert rows == list(range(1234))
    assert all(m["MessageAttributes"]["runId"]["StringValue"] == "r1" for m in messages)
    assert _left(sqs, url) == 0
    assert list(demo.dead_letters(sqs, url)) == []


def test_a_second_drain_within_a_minute_deletes_one_by_one(sqs: Any) -> None:
    """SQS allows one PurgeQueue a minute: a second drain right after the first still empties the queue."""
    url = _queue_with(sqs, 25)
    assert len(list(demo.dead_letters(sqs, url))) == 25
    _queue_with(sqs, 15)
    assert sorted(b["row"] for b in demo.dead_letters(sqs, url)) == list(range(15))
    assert _left(sqs, url) == 0


def test_a_message_held_by_another_consumer_is_not_purged(sqs: Any) -> None:
    """A message in flight elsewhere is not the drain's to delete: the drain deletes its own, one by one."""
    url = _queue_with(sqs, 12)
    held = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=600)["Messages"]
    drained = list(demo.dead_letters(sqs, url))
    assert len(drained) == 11
    assert json.loads(held[0]["Body"])["row"] not in {b["row"] for b in drained}
    assert _left(sqs, url) == 1  # the held message is still there


def test_a_consumer_that_stops_early_deletes_only_what_it_took(sqs: Any) -> None:
    """As before the purge: a message is deleted once the consumer asks for the next, so one it stopped on stays."""
    url = _queue_with(sqs, 30)
    taken = []
    for message in demo.dead_letter_messages(sqs, url):
        taken.append(message)
        if len(taken) == 5:
            break
    assert _left(sqs, url) == 26
