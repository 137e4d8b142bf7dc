"""``demo.dead_letter_messages`` drains the dead-letter queue: every message once, each deleted once the consumer
has gone past it (the rule: a dead letter is removed only after it was handed on, never before)."""

from __future__ import annotations

from typing import Any

import boto3
from moto import mock_aws

from bedrock_batch.demo import dead_letter_messages


def _queue_with(count: int) -> tuple[Any, str]:
    sqs = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    url = sqs.create_queue(QueueName="dlq", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    for start in range(0, count, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"}
                                                      for i in range(start, min(count, start + 10))])
    return sqs, url


def _left(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


@mock_aws
def test_every_dead_letter_is_handed_on_once_and_the_queue_is_left_empty() -> None:
    sqs, url = _queue_with(25)
    bodies = [m["Body"] for m in dead_letter_messages(sqs, url)]
    assert sorted(bodies) == sorted(f"m{i}" for i in range(25))
    assert _left(sqs, url) == 0


@mock_aws
def test_a_consumer_that_stops_early_leaves_the_message_it_holds_and_the_rest_in_the_queue() -> None:
    sqs, url = _queue_with(25)
    messages = dead_letter_messages(sqs, url)
    taken = [next(messages) for _ in range(13)]  # past 12 of them; the 13th is in the consumer's hands
    messages.close()
    assert len({m["MessageId"] for m in taken}) == 13
    assert _left(sqs, url) == 25 - 12
