"""moto_speedups on the pipeline's hottest moto calls (SQS receives, DynamoDB updates, S3 puts and gets): each
scenario runs under moto's own code and under the patches (``uninstall()``), and the answers must be the same.
"""

from __future__ import annotations

import random
import string

import boto3
import pytest
from helpers import both_ways

from bedrock_batch.offline import moto_speedups

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

    answers = both_ways(monkeypatch, _receive_answers, patched)
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

    answers = both_ways(monkeypatch, scenario)
    assert answers["patched"][:2] == answers["moto"][:2] == (["m0"], 200)
    assert answers["moto"][2] >= 200 and answers["patched"][2] <= 3


# --- moto's random identifiers (moto_speedups.draws) ---------------------------------------------------------------

@pytest.mark.parametrize("pool", [string.ascii_lowercase, string.ascii_letters + string.digits, string.ascii_letters,
                                  "0123456789abcdef", "a", "ab", "abc", "".join(map(chr, range(128))),
                                  "".join(chr(32 + i % 95) for i in range(255))])
def test_choices_are_the_characters_random_choice_draws(pool):
    """``draws.choices`` is ``"".join(rng.choice(pool) for _ in range(length))``: the same characters from the same
    generator outputs (rejections included), the generator left in the same state; moto's own generator class too."""
    from moto.moto_api._internal.moto_random import MotoRandom

    from bedrock_batch.offline.moto_speedups.draws import choices

    for make in (random.Random, MotoRandom):
        for seed in (0, 3, 2**33 + 1):
            theirs, ours = make(seed), make(seed)
            for length in (20, 52, 0, 1, 185, -3, 700):
                assert choices(ours, pool, length) == "".join(theirs.choice(pool) for _ in range(length))
                assert ours.getstate() == theirs.getstate()


def _id_answers() -> list:
    """Identifiers a seeded moto draws (request ids of every JSON and query response, message ids, receipt handles,
    S3 version and request ids ...), call after call, and the generator's next draw."""
    from moto.moto_api._internal import mock_random

    mock_random.seed(42)
    answers: list = []
    sqs, ddb, s3 = (boto3.client(name, region_name="us-east-1") for name in ("sqs", "dynamodb", "s3"))
    url = sqs.create_queue(QueueName="ids")["QueueUrl"]
    for i in range(3):
        sent = sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
        answers.append((sent["MessageId"], sent["ResponseMetadata"]["RequestId"]))
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    answers.append([(m["MessageId"], m["ReceiptHandle"]) for m in got["Messages"]])
    answers.append(got["ResponseMetadata"]["RequestId"])
    ddb.create_table(TableName="t", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    for _ in range(3):
        answer = ddb.update_item(TableName="t", Key={"pk": {"S": "k"}}, UpdateExpression="ADD n :one",
                                 ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="ALL_NEW")
        answers.append((answer["Attributes"], answer["ResponseMetadata"]["RequestId"]))
    s3.create_bucket(Bucket="ids-bucket")
    s3.put_bucket_versioning(Bucket="ids-bucket", VersioningConfiguration={"Status": "Enabled"})
    for i in range(2):
        put = s3.put_object(Bucket="ids-bucket", Key="k", Body=b"x" * i)
        answers.append((put["VersionId"], put["ResponseMetadata"]["RequestId"], put["ETag"]))
    answers.append(s3.list_objects_v2(Bucket="ids-bucket")["ResponseMetadata"]["RequestId"])
    answers.append(mock_random.getrandbits(64))
    return answers


def test_seeded_identifiers_are_moto_own_draws(monkeypatch):
    """Every identifier a seeded moto gives, and its generator's state after them, are the same with the patches
    (moto_speedups.draws: MotoRandom.get_random_string and get_random_hex)."""
    from moto.moto_api._internal.moto_random import MotoRandom

    def patched():
        for name in ("get_random_string", "get_random_hex"):
            assert MotoRandom.__dict__[name].__module__ == moto_speedups.draws.__name__

    answers = both_ways(monkeypatch, _id_answers, patched)
    assert answers["patched"] == answers["moto"]
    assert len({answer[1] for answer in answers["moto"][:3]}) == 3  # request ids differ from call to call


def test_a_generator_that_draws_otherwise_keeps_moto_methods(monkeypatch):
    """If ``choice`` drew otherwise than the batched draw (here: a subclass whose ``getrandbits`` is not the
    Mersenne Twister's), ``draws.patch`` leaves moto's methods in place."""
    from moto.moto_api._internal.moto_random import MotoRandom

    from bedrock_batch.offline.moto_speedups import draws, patching

    class Other(MotoRandom):
        def getrandbits(self, k):
            return super().getrandbits(k) ^ ((1 << k) - 1)  # every bit flipped

    before = len(patching.originals)
    draws.patch(Other)
    assert len(patching.originals) == before and "get_random_string" not in Other.__dict__


# --- moto's response serializer (moto_speedups.responses) ---------------------------------------------------------

def _tried(picker, context) -> list:
    """The keys ``picker`` tries, all of them, or the error asking for all of them raises."""
    try:
        return list(picker.get_possible_keys(context))
    except Exception as err:  # (moto asks lazily: it may stop before the provider that raises)
        return [type(err).__name__]


def _member_aliases(services) -> list:
    """For every member of every structure reachable from the operations' outputs: the keys the serializer's picker
    tries on a dict result, asked twice (the second time from what the first kept, when patched)."""
    import botocore.session
    from moto.core.serialize import AttributePickerContext, XFormedAttributePicker

    picker = XFormedAttributePicker()
    answers: list = []
    for service in services:
        model = botocore.session.get_session().get_service_model(service)
        seen: set = set()
        stack = [model.operation_model(name).output_shape for name in model.operation_names]
        while stack:
            shape = stack.pop()
            if shape is None or shape.name in seen:  # (botocore makes a new object for each use of a shape)
                continue
            seen.add(shape.name)
            children = {"structure": lambda s: list(s.members.items()), "list": lambda s: [("member", s.member)],
                        "map": lambda s: [("key", s.key), ("value", s.value)]}.get(shape.type_name, lambda s: [])
            for key, member in children(shape):
                if shape.type_name == "structure":
                    member.parent = shape  # as the serializer sets it
                    for obj in ({}, {key: 1}):
                        context = AttributePickerContext(obj=obj, key=key, shape=member)
                        answers.append((service, shape.name, key, [_tried(picker, context) for _ in range(2)]))
                stack.append(member)
    return answers


def test_serializer_aliases_are_moto_own_for_every_member(monkeypatch):
    """The keys tried for each member of every output structure of SQS, DynamoDB, Step Functions, Lambda and S3, in
    order, are moto's own (moto_speedups.responses)."""
    from moto.core import serialize

    def patched():
        assert serialize.AttributePicker.__dict__["get_possible_keys"].__module__ == moto_speedups.responses.__name__

    answers = both_ways(monkeypatch, lambda: _member_aliases(["sqs", "dynamodb", "stepfunctions", "lambda", "s3"]),
                         patched)
    assert answers["patched"] == answers["moto"] and len(answers["moto"]) > 1000
    assert any(len(tried[0]) > 2 for *_, tried in answers["moto"])  # members with aliases besides their own name


_VOLATILE = {"RequestId", "HTTPHeaders", "RetryAttempts", "SentTimestamp", "ApproximateFirstReceiveTimestamp",
             "creationDate", "CreationDateTime", "LastModified", "startDate", "stopDate", "updateDate",
             "LastUpdateDateTime", "ReceiptHandle", "CreatedTimestamp", "LastModifiedTimestamp"}


def _stable(value):
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def _serialized_answers() -> list:
    """Responses of SQS, DynamoDB and Step Functions calls that serialize nested dict results (messages with
    attributes of each kind, items with maps, lists and sets, a table description), errors included."""
    from moto.moto_api._internal import mock_random

    mock_random.seed(5)  # the same message ids
    sqs, ddb, sfn = (boto3.client(name, region_name="us-east-1") for name in ("sqs", "dynamodb", "stepfunctions"))
    answers: list = []

    def call(method, **kwargs):
        try:
            answers.append(_stable(method(**kwargs)))
        except method.__self__.exceptions.ClientError as err:
            answers.append(_stable(err.response))

    url = sqs.create_queue(QueueName="s", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="b", MessageAttributes={
        "s": {"DataType": "String", "StringValue": "v"}, "n": {"DataType": "Number", "StringValue": "1.5"},
        "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        "c": {"DataType": "String.custom", "StringValue": "x"}})
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "c"}, {"Id": "2", "MessageBody": "d"}])
    call(sqs.receive_message, QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"],
         MessageAttributeNames=["All"])
    call(sqs.receive_message, QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["s", "b"])
    call(sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["All"])
    call(sqs.delete_message_batch, QueueUrl=url, Entries=[{"Id": "x", "ReceiptHandle": "nope"}])
    call(sqs.list_queues)
    call(ddb.create_table, TableName="t", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    call(ddb.put_item, TableName="t", Item={"pk": {"S": "a"}, "m": {"M": {"l": {"L": [{"N": "1"}, {"SS": ["x"]}]}}},
                                            "b": {"B": b"\x02"}, "bs": {"BS": [b"\x03"]}, "t": {"BOOL": True},
                                            "z": {"NULL": True}})
    call(ddb.update_item, TableName="t", Key={"pk": {"S": "a"}}, UpdateExpression="ADD n :one SET m.l[0] = :two",
         ExpressionAttributeValues={":one": {"N": "1"}, ":two": {"N": "2"}}, ReturnValues="ALL_NEW")
    call(ddb.get_item, TableName="t", Key={"pk": {"S": "a"}})
    call(ddb.query, TableName="t", KeyConditionExpression="pk = :a", ExpressionAttributeValues={":a": {"S": "a"}})
    call(ddb.describe_table, TableName="t")
    call(ddb.update_item, TableName="t", Key={"pk": {"S": "a"}}, UpdateExpression="SET x = :x",
         ConditionExpression="attribute_not_exists(pk)", ExpressionAttributeValues={":x": {"N": "1"}},
         ReturnValuesOnConditionCheckFailure="ALL_OLD")
    call(sfn.list_state_machines)
    call(sfn.describe_state_machine, stateMachineArn="arn:aws:states:us-east-1:123456789012:stateMachine:none")
    return answers


def test_serialized_responses_are_moto_own(monkeypatch):
    """SQS, DynamoDB and Step Functions responses (nested dict results, errors) are the same with the patches
    (moto_speedups.responses)."""
    answers = both_ways(monkeypatch, _serialized_answers)
    assert answers["patched"] == answers["moto"]
    assert answers["moto"][0]["Messages"][0]["MessageAttributes"]["b"]["BinaryValue"] == b"\x00\x01"
