"""moto_speedups on the pipeline's hottest moto calls (SQS receives, DynamoDB updates, S3 puts and gets): each
scenario runs under moto's own code and under the patches (``uninstall()``), and the answers must be the same.
"""

from __future__ import annotations

import random
import string

import boto3
import pytest
from moto import mock_aws

from bedrock_batch.offline import moto_speedups


def _both_ways(monkeypatch, scenario, patched=lambda: None) -> dict:
    """``scenario()``'s answers under moto's own code and under the patches (``patched()`` checks they are in place)."""
    for key, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                       ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(key, value)
    answers = {}
    try:
        for mode in ("moto", "patched"):
            moto_speedups.uninstall()
            if mode == "patched":
                assert moto_speedups.install()
                patched()
            with mock_aws():
                answers[mode] = scenario()
    finally:
        moto_speedups.uninstall()
        moto_speedups.install()  # as the rest of the suite runs
    return answers


# --- SQS: ReceiveMessage's walk and its receipt handles -----------------------------------------------------------

_TIMES = {"SentTimestamp", "ApproximateFirstReceiveTimestamp"}  # the clock's: differ from run to run


def _received(answer: dict) -> list:
    return [{**m, "Attributes": {k: v for k, v in m.get("Attributes", {}).items() if k not in _TIMES}}
            for m in answer.get("Messages", [])]


def _receive_answers() -> list:
    """ReceiveMessage from a seeded moto: messages visible, in flight, delayed, of pending FIFO groups, past a redrive
    policy's count, with waits; every answer in full (ids and receipt handles are moto's random draws) but the
    clock's timestamps, and the generator's next draw at the end."""
    from moto.moto_api._internal import mock_random

    mock_random.seed(20261205)
    sqs = boto3.client("sqs", region_name="us-east-1")
    answers: list = []

    def receive(url, **kwargs):
        answers.append(_received(sqs.receive_message(QueueUrl=url, AttributeNames=["All"],
                                                     MessageAttributeNames=["All"], **kwargs)))
        return answers[-1]

    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    for i in range(15):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}", DelaySeconds=600 if i % 4 == 1 else 0,
                         MessageAttributes={"n": {"DataType": "Number", "StringValue": str(i)}})
    first = receive(url, MaxNumberOfMessages=3, VisibilityTimeout=600)  # in flight from now on
    receive(url, MaxNumberOfMessages=10, VisibilityTimeout=0)  # visible again at once
    for m in receive(url, MaxNumberOfMessages=4):
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    receive(url, MaxNumberOfMessages=10)
    receive(url, MaxNumberOfMessages=10, WaitTimeSeconds=1)  # nothing visible: waits, then answers nothing
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"], VisibilityTimeout=0)
    receive(url, MaxNumberOfMessages=10, WaitTimeSeconds=1)  # visible again: answered without waiting

    fifo = sqs.create_queue(QueueName="f.fifo", Attributes={"FifoQueue": "true",
                                                           "ContentBasedDeduplication": "true"})["QueueUrl"]
    for i in range(8):
        sqs.send_message(QueueUrl=fifo, MessageBody=f"f{i}", MessageGroupId=f"g{i % 3}")
    receive(fifo, MaxNumberOfMessages=2)  # their group pending: the rest of g0 and g1 wait
    receive(fifo, MaxNumberOfMessages=10)

    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redriven = sqs.create_queue(QueueName="r", Attributes={
        "VisibilityTimeout": "0", "RedrivePolicy": f'{{"deadLetterTargetArn": "{arn}", "maxReceiveCount": "2"}}'
    })["QueueUrl"]
    for i in range(6):
        sqs.send_message(QueueUrl=redriven, MessageBody=f"r{i}")
    for _ in range(4):  # past two receives each, the messages go to the dead-letter queue as they are met
        receive(redriven, MaxNumberOfMessages=4)
    receive(dlq, MaxNumberOfMessages=10)
    for queue in (url, fifo, redriven, dlq):
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed",
                 "ApproximateNumberOfMessagesNotVisible"]
        answers.append(sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=names)["Attributes"])
    answers.append(mock_random.getrandbits(64))
    return answers


def test_sqs_receives_answer_as_moto_answers_them(monkeypatch):
    """The same messages in the same order, the same receipt handles from moto's seeded random, and its generator
    left in the same state (moto_speedups.sqs: ReceiveMessage's walk, receipt handles)."""
    from moto.sqs import models

    def patched():
        assert models.SQSBackend.__dict__["receive_message"].__module__ == moto_speedups.sqs.__name__
        assert models.generate_receipt_handle.__module__ == moto_speedups.sqs.__name__

    answers = _both_ways(monkeypatch, _receive_answers, patched)
    assert answers["patched"] == answers["moto"]
    handles = [m["ReceiptHandle"] for answer in answers["moto"] if isinstance(answer, list) for m in answer]
    assert len(handles) >= 40 and all(len(h) == 185 and set(h) <= set(string.ascii_lowercase) for h in handles)


@pytest.mark.parametrize("seed", [0, 1, 99, 2**40 + 7])
def test_receipt_handles_are_the_letters_random_choice_draws(seed):
    """``_receipt_handle`` is moto's ``"".join(random.choice(ascii_lowercase) for _ in range(185))``: the same letters
    from the same generator outputs, leaving the generator in the same state; any length."""
    from bedrock_batch.offline.moto_speedups.sqs import _receipt_handle

    theirs, ours = random.Random(seed), random.Random(seed)
    for length in (185, 185, 1, 0, 500, 185):
        assert _receipt_handle(ours, length) == "".join(theirs.choice(string.ascii_lowercase) for _ in range(length))
        assert ours.getstate() == theirs.getstate()


def test_a_receive_walks_only_as_far_as_it_needs_when_patched(monkeypatch):
    """ReceiveMessage of one message from a long queue looks at the queue's front only, where moto looks at every
    message (its list of the visible ones): the same answer (moto_speedups.sqs, ReceiveMessage's walk)."""
    from moto.sqs import models

    def delayed_until(self):
        Counted.reads += 1
        return self.__dict__["delayed_until"]

    # A message that counts the reads of its delay (read by every test of visibility); made by type() with a module
    # name of moto's (moto's model metaclass files a class under its module's second part).
    Counted = type(models.Message)("Counted", (models.Message,), {"__module__": models.__name__, "reads": 0,
                                                                "delayed_until": property(delayed_until)})

    def scenario():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="long")["QueueUrl"]
        for i in range(0, 200, 10):
            sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(j), "MessageBody": f"m{i + j}"}
                                                          for j in range(10)])
        queue = models.sqs_backends["123456789012"]["us-east-1"].get_queue("long")
        for message in queue._messages:
            message.__class__ = Counted
        Counted.reads = 0
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
        return [m["Body"] for m in got], len(queue._messages), Counted.reads

    answers = _both_ways(monkeypatch, scenario)
    assert answers["patched"][:2] == answers["moto"][:2] == (["m0"], 200)
    assert answers["moto"][2] >= 200 and answers["patched"][2] <= 3
