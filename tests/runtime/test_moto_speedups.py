"""moto_speedups: SQS, DynamoDB, S3 and request handling, answered as moto answers without the patches.

Each scenario runs twice, with the patches and with moto's own code (``uninstall()``), and expects the same answers.
"""

from __future__ import annotations

import importlib.metadata
import os
import warnings

import boto3
import pytest
from helpers import both_ways
from moto import mock_aws

from bedrock_batch.offline import moto_speedups


@pytest.fixture(params=["patched", "moto"])
def aws(request, monkeypatch):
    for key, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                       ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(key, value)
    moto_speedups.uninstall()
    if request.param == "patched":
        assert moto_speedups.install()
    try:
        with mock_aws():
            yield request.param
    finally:
        moto_speedups.uninstall()
        moto_speedups.install()  # as the rest of the suite runs


def _update(ddb, answers: list, **kwargs) -> None:
    """One UpdateItem: its new or old attributes, or its error, appended to ``answers``."""
    try:
        answers.append(ddb.update_item(**kwargs).get("Attributes"))
    except ddb.exceptions.ClientError as err:
        answers.append(err.response["Error"])


def test_install_patches_the_checked_moto_version_and_uninstall_restores_moto():
    from moto.dynamodb.models.table import Table
    from moto.sqs.models import Queue

    assert importlib.metadata.version("moto") in moto_speedups.CHECKED_MOTO_VERSIONS
    moto_speedups.uninstall()
    own_scan, own_messages = Table.scan, Queue.__dict__["messages"]
    try:
        assert moto_speedups.install()
        assert Table.scan is not own_scan and Queue.__dict__["messages"] is not own_messages
        moto_speedups.uninstall()
        assert Table.scan is own_scan and Queue.__dict__["messages"] is own_messages
    finally:
        moto_speedups.install()


def test_another_moto_version_runs_unpatched_with_a_warning(monkeypatch):
    from moto.dynamodb.models.table import Table

    moto_speedups.uninstall()
    own_scan = Table.scan
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "99.0.0")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert moto_speedups.install() is False
        assert any("moto 99.0.0" in str(w.message) for w in caught)
        assert Table.scan is own_scan
    finally:
        monkeypatch.undo()
        moto_speedups.uninstall()
        moto_speedups.install()


def _counts(sqs, url):
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed",
             "ApproximateNumberOfMessagesNotVisible"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return [int(attrs[n]) for n in names]


def test_sqs_counts_visible_delayed_and_in_flight_messages(aws):
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=600)
    assert _counts(sqs, url) == [3, 1, 0]
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=600)["Messages"]
    assert sorted(m["Body"] for m in got) == ["m0", "m1"]
    assert _counts(sqs, url) == [1, 1, 2]
    rest = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in rest] == ["m2"]  # the delayed and the in-flight messages are not received
    for m in got + rest:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert _counts(sqs, url)[0] == 0


def test_sqs_messages_past_the_retention_period_are_not_received(aws):
    from moto.sqs import models

    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="r", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="new")
    sqs.send_message(QueueUrl=url, MessageBody="old")
    backend = models.sqs_backends["123456789012"]["us-east-1"]
    old = next(m for m in backend.get_queue("r")._messages if m.body == "old")
    old.sent_timestamp -= 120_000
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["new"]


def _scan_all(ddb, table, limit):
    items, kwargs = [], {"TableName": table, "Limit": limit}
    while True:
        page = ddb.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _create_table(ddb, name: str, sort_key_type: str | None = None) -> None:
    """An on-demand table keyed by a string ``pk`` and, given its type, a ``sk``."""
    keys = [("pk", "HASH", "S")] + ([("sk", "RANGE", sort_key_type)] if sort_key_type else [])
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": n, "KeyType": k} for n, k, _ in keys],
                     AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, _, t in keys])


def test_dynamodb_scan_pages_follow_puts_replacements_and_deletes(aws):
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    _create_table(ddb, "t", sort_key_type="S")
    for i in (5, 1, 3, 2, 4):
        ddb.put_item(TableName="t", Item={"pk": {"S": "a"}, "sk": {"S": f"{i}"}, "v": {"N": str(i)}})
    keys = [it["sk"]["S"] for it in _scan_all(ddb, "t", 2)]
    assert keys == ["1", "2", "3", "4", "5"]

    first = ddb.scan(TableName="t", Limit=2)
    ddb.put_item(TableName="t", Item={"pk": {"S": "a"}, "sk": {"S": "25"}, "v": {"N": "25"}})  # between pages
    ddb.put_item(TableName="t", Item={"pk": {"S": "a"}, "sk": {"S": "3"}, "v": {"N": "33"}})  # replaced
    ddb.delete_item(TableName="t", Key={"pk": {"S": "a"}, "sk": {"S": "4"}})
    rest = ddb.scan(TableName="t", ExclusiveStartKey=first["LastEvaluatedKey"])["Items"]
    assert [(it["sk"]["S"], it["v"]["N"]) for it in rest] == [("25", "25"), ("3", "33"), ("5", "5")]

    ddb.update_item(TableName="t", Key={"pk": {"S": "a"}, "sk": {"S": "5"}}, UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": {"N": "55"}})
    assert [(it["sk"]["S"], it["v"]["N"]) for it in _scan_all(ddb, "t", 10)][-1] == ("5", "55")


def test_dynamodb_scan_of_a_table_without_a_range_key(aws):
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    _create_table(ddb, "h")
    for k in "dbca":
        ddb.put_item(TableName="h", Item={"pk": {"S": k}})
    assert [it["pk"]["S"] for it in _scan_all(ddb, "h", 3)] == ["a", "b", "c", "d"]
    ddb.delete_item(TableName="h", Key={"pk": {"S": "b"}})
    assert [it["pk"]["S"] for it in _scan_all(ddb, "h", 3)] == ["a", "c", "d"]


def test_dynamodb_scan_resumes_after_a_start_key_that_was_deleted(aws):
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    _create_table(ddb, "d", sort_key_type="N")
    for pk in "ba":
        for sk in (10, 2, 1):
            ddb.put_item(TableName="d", Item={"pk": {"S": pk}, "sk": {"N": str(sk)}})
    seen, kwargs = [], {"TableName": "d", "Limit": 1}
    while True:
        page = ddb.scan(**kwargs)
        for it in page["Items"]:
            seen.append((it["pk"]["S"], it["sk"]["N"]))
            ddb.delete_item(TableName="d", Key={"pk": it["pk"], "sk": it["sk"]})
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    assert seen == [("a", "1"), ("a", "2"), ("a", "10"), ("b", "1"), ("b", "2"), ("b", "10")]


def _update_answers() -> list:
    """UpdateItem's answers, errors included, for expressions sent again and again on new and existing items."""
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    _create_table(ddb, "u", sort_key_type="S")
    answers: list = []
    calls = [("ADD n :one, tags :tags", {":one": {"N": "1"}, ":tags": {"SS": ["a"]}}, "UPDATED_NEW"),
             ("SET v = :v, w = if_not_exists(w, :v)", {":v": {"S": "x"}}, "ALL_OLD"),
             ("ADD n :one, tags :tags", {":one": {"N": "2"}, ":tags": {"SS": ["b", "a"]}}, "ALL_NEW"),
             ("REMOVE w SET v = :v", {":v": {"S": "y"}}, "UPDATED_OLD"),
             ("ADD n :one", {":one": {"S": "not a number"}}, "NONE"),
             ("SET pk = :v", {":v": {"S": "key"}}, "NONE"),
             ("ADD n :missing", {":one": {"N": "1"}}, "NONE"),
             ("SET = :v", {":v": {"S": "z"}}, "NONE")]
    for sk in ("1", "2", "1"):
        for expression, values, returned in calls:
            _update(ddb, answers, TableName="u", Key={"pk": {"S": "a"}, "sk": {"S": sk}},
                    UpdateExpression=expression, ExpressionAttributeValues=values, ReturnValues=returned)
    answers.append(sorted(str(item) for item in ddb.scan(TableName="u")["Items"]))
    return answers


def test_dynamodb_update_expressions_parsed_once_answer_as_parsed_each_time(monkeypatch):
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    def patched():
        assert "cached_make" in repr(UpdateExpressionParser.__dict__["make"].__func__)

    answers = both_ways(monkeypatch, _update_answers, patched)
    assert answers["patched"] == answers["moto"]
    assert sum(isinstance(a, dict) and "Code" in a for a in answers["moto"]) >= 9  # the refusals are compared too


def _validation_answers() -> list:
    """UpdateItem's answers for what its validation walks (names, values, paths, functions, arithmetic, key and
    index checks), refusals included, and the items they leave."""
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    ddb.create_table(TableName="g", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "gk", "AttributeType": "S"}],
                     GlobalSecondaryIndexes=[{"IndexName": "by_gk", "KeySchema": [{"AttributeName": "gk",
                                                                                   "KeyType": "HASH"}],
                                              "Projection": {"ProjectionType": "ALL"}}])
    one, text = {":one": {"N": "1"}}, {":v": {"S": "x"}}
    calls = [("SET #m = :m, l = :l, n = :one", {"#m": "m"}, {":m": {"M": {"a": {"N": "1"}}}, ":l": {"L": []},
                                                         ":one": {"N": "1"}}),
             ("SET #m.#b = :v, n = n + :one, l = list_append(l, :l)", {"#m": "m", "#b": "b"},
              {":v": {"S": "x"}, ":one": {"N": "1"}, ":l": {"L": [{"S": "p"}, {"S": "q"}]}}),
             ("SET l[5] = :v, k = if_not_exists(k, n) REMOVE l[0]", None, text),
             ("SET n = n - :one, o = :one - n ADD s :s", None, {":one": {"N": "1"}, ":s": {"SS": ["a", "b"]}}),
             ("DELETE s :s", None, {":s": {"SS": ["a"]}}),
             ("SET m.zz.deeper = :v", None, text),
             ("SET x = zz + :one", None, one),
             ("SET a = :v, a.b = :v", None, text),
             ("ADD a :one ADD b :one", None, one),
             ("SET a = :undefined, b = :v", None, text),
             ("SET name = :v", None, text),
             ("SET gk = :e", None, {":e": {"S": ""}}),
             ("SET gk = :n", None, {":n": {"N": "3"}}),
             ("SET l = list_append(:v, l)", None, text),
             ("SET s = :v ADD n :one", None, {":v": {"S": "x"}, ":one": {"N": "1"}}),
             ("REMOVE m.b, l[1], l[0]", None, None)]
    answers: list = []
    for pk in ("a", "b", "a"):
        for expression, names, values in calls:
            kwargs = {"ExpressionAttributeNames": names} if names else {}
            if values:
                kwargs["ExpressionAttributeValues"] = values
            _update(ddb, answers, TableName="g", Key={"pk": {"S": pk}}, UpdateExpression=expression,
                    ReturnValues="ALL_NEW", **kwargs)
    answers.append(sorted(str(item) for item in ddb.scan(TableName="g")["Items"]))
    return answers


def test_dynamodb_update_validation_answers_as_moto_validates(monkeypatch):
    """moto_speedups' walk of an UpdateExpression's tree (``DepthFirstTraverser.traverse``) accepts, refuses and
    updates as moto's own walk does: the same items and the same errors, for every processor of the validation."""
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser

    def patched():
        assert DepthFirstTraverser.__dict__["traverse"].__module__ == moto_speedups.dynamodb.__name__

    answers = both_ways(monkeypatch, _validation_answers, patched)
    assert answers["patched"] == answers["moto"]
    refusals = [a for a in answers["moto"] if isinstance(a, dict) and "Code" in a]
    assert len(refusals) >= 20 and len(answers["moto"]) - len(refusals) >= 15  # both paths are compared


def _check_answers() -> list:
    """UpdateItem's answers where only the settings of its checks change between calls of the same expression: the
    attribute names (duplicate and overlapping paths, a key attribute named), the table's keys; refusals included."""
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    _create_table(ddb, "c")  # key: pk
    ddb.create_table(TableName="d", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"},
                                {"AttributeName": "at", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"},
                                           {"AttributeName": "at", "AttributeType": "S"}])
    keys = {"c": {"pk": {"S": "a"}}, "d": {"id": {"S": "a"}, "at": {"S": "1"}}}
    v = {":v": {"M": {"c": {"S": "x"}}}}  # a map: a path into it can be set
    calls = [("c", "SET #a = :v, #b = :v", {"#a": "x", "#b": "y"}),
             ("c", "SET #a = :v, #b = :v", {"#a": "x", "#b": "x"}),
             ("c", "SET #a = :v, #b = :v", {"#a": "x", "#b": "y"}),
             ("c", "SET #a.c = :v, #b = :v", {"#a": "x", "#b": "n"}),
             ("c", "SET #a = :v, #b.c = :v", {"#a": "y", "#b": "y"}),
             ("c", "SET #a = :v, #b.c = :v", {"#a": "n", "#b": "y"}),
             ("d", "SET #k = :v", {"#k": "pk"}),
             ("c", "SET #k = :v", {"#k": "pk"}),
             ("d", "SET #k = :v", {"#k": "at"}),
             ("c", "SET #k = :v", {"#k": "at"}),
             ("d", "SET #k = :v", {"#k": "pk"}),
             ("c", "ADD #k :one ADD #j :one", {"#k": "p", "#j": "q"}),
             ("c", "SET #k = :v REMOVE #j", {"#k": "p", "#j": "q"}),
             ("c", "SET #k = :v REMOVE #j", {"#k": "p", "#j": "p"})]
    answers: list = []
    for _ in range(2):
        for table, expression, names in calls:
            values = {":one": {"N": "1"}} if "ADD" in expression else v
            _update(ddb, answers, TableName=table, Key=keys[table], UpdateExpression=expression,
                    ExpressionAttributeNames=names, ExpressionAttributeValues=values, ReturnValues="ALL_NEW")
    answers.append(sorted(str(item) for table in ("c", "d") for item in ddb.scan(TableName=table)["Items"]))
    return answers


def test_dynamodb_update_checks_answer_as_moto_checks(monkeypatch):
    """UpdateItem's check walks skipped for an expression they passed with the same settings (patched) accept and
    refuse as moto's own walks: the same items and errors when the names or the table's keys change between calls."""
    from moto.dynamodb.parsing.validators import Validator

    def patched():
        assert Validator.validate.__module__ == moto_speedups.dynamodb.__name__

    answers = both_ways(monkeypatch, _check_answers, patched)
    assert answers["patched"] == answers["moto"]
    refused = ["Code" in a for a in answers["moto"][:-1]]
    assert refused[:3] == [False, True, False] and refused[6:11] == [False, True, True, False, False], refused
    assert refused[:14] == refused[14:]  # the second round as the first


def test_dynamodb_a_check_that_passed_is_not_walked_again_when_patched(aws):
    """The point of skipping checks: an expression sent again with the same names is not counted again (moto's own
    counts its clauses at every node of every call); sent with other names, it is checked again."""
    from moto.dynamodb.parsing import validators

    ddb = boto3.client("dynamodb", region_name="us-east-1")
    _create_table(ddb, "t")
    ddb.put_item(TableName="t", Item={"pk": {"S": "a"}})  # (an update that creates its item validates twice)
    walked = []
    own = validators.OverlappingPathsValidator.check_for_overlapping_paths
    validators.OverlappingPathsValidator.check_for_overlapping_paths = \
        lambda self, node: walked.append(node) or own(self, node)
    try:
        for names in ({"#a": "x"}, {"#a": "x"}, {"#a": "y"}):
            ddb.update_item(TableName="t", Key={"pk": {"S": "a"}}, UpdateExpression="SET #a = :v, b = :v",
                            ExpressionAttributeNames=names, ExpressionAttributeValues={":v": {"S": "x"}})
    finally:
        validators.OverlappingPathsValidator.check_for_overlapping_paths = own
    per_call = len(walked) // (2 if aws == "patched" else 3)
    assert per_call >= 3 and len(walked) == per_call * (2 if aws == "patched" else 3)


def test_dynamodb_a_walk_that_would_process_no_node_is_not_walked_when_patched(aws):
    """The point of the reach test: of an ``ADD`` (no SET action, no function, no value operation, no missing path),
    only the walks that replace its values and resolve its paths are walked when patched, where moto walks all seven
    that follow the checks; a SET with arithmetic and a function is walked by the processors those want too."""
    from moto.dynamodb.parsing import ast_nodes

    ddb = boto3.client("dynamodb", region_name="us-east-1")
    _create_table(ddb, "t")
    ddb.put_item(TableName="t", Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    walked: list = []
    own = ast_nodes.DepthFirstTraverser.traverse
    ast_nodes.DepthFirstTraverser.traverse = lambda self, node: walked.append(type(self).__name__) or own(self, node)
    try:
        ddb.update_item(TableName="t", Key={"pk": {"S": "a"}}, UpdateExpression="ADD n :one, s :s",
                        ExpressionAttributeValues={":one": {"N": "1"}, ":s": {"SS": ["x"]}})
        added, walked[:] = list(walked), []
        ddb.update_item(TableName="t", Key={"pk": {"S": "a"}}, UpdateExpression="SET m = n + :one, l = "
                        "if_not_exists(l, :one)", ExpressionAttributeValues={":one": {"N": "1"}})
    finally:
        ast_nodes.DepthFirstTraverser.traverse = own
    later = ["ExpressionAttributeValueProcessor", "ExpressionAttributeResolvingProcessor",
             "UpdateExpressionFunctionEvaluator", "NoneExistingPathChecker", "ExecuteOperations",
             "TypeMismatchValidator", "EmptyStringKeyValueValidator"]
    assert [name for name in added if name in later] == (later[:2] if aws == "patched" else later)
    assert [name for name in walked if name in later] == ([n for n in later if n != "NoneExistingPathChecker"]
                                                          if aws == "patched" else later)


def test_check_settings_are_frozen_to_what_equals_only_the_same_settings():
    """A check's settings key its passes: equal only for the same names and values, None (not kept) for others."""
    frozen = moto_speedups.dynamodb._frozen
    settings = [{}, {"names": {}}, {"names": {"#a": "x"}}, {"names": {"#a": "y"}}, {"names": {"#b": "x"}},
                {"keys": ["pk"]}, {"keys": ["pk", "sk"]}, {"keys": []}, {"keys": {}}, {"keys": "pk"}, {"keys": ["p,k"]}]
    keys = [frozen(s) for s in settings]
    assert len(set(keys)) == len(settings) and keys[2] == frozen({"names": {"#a": "x"}})
    assert [frozen(v) for v in ({"n": 1}, {"n": None}, {1: "x"}, {"keys": ("pk",)}, 1.5)] == [None] * 5


def _same_graph(a, b, seen: dict) -> bool:
    """Whether ``b`` has ``a``'s classes, values and links (shared objects and parent links included), node for node."""
    if id(a) in seen:
        return seen[id(a)] is b
    if type(a) is not type(b):
        return False
    if isinstance(a, str | int | float | bool | type(None)):
        return a == b
    seen[id(a)] = b
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same_graph(x, y, seen) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same_graph(a[k], b[k], seen) for k in a)
    return hasattr(a, "__dict__") and _same_graph(a.__dict__, b.__dict__, seen)


def test_dynamodb_a_parsed_update_expression_is_copied_as_deepcopy_copies_it():
    """The copy of a parsed UpdateExpression each UpdateItem's validation works on (moto's ``Validator`` deep-copies
    the tree) is, patched, a new tree of the same nodes, values and links as ``copy.deepcopy`` makes, sharing no
    node with the cached tree; anything else is deep-copied by ``copy.deepcopy`` itself."""
    import copy

    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    assert validators.deepcopy is not copy.deepcopy  # patched (the suite runs with the patches installed)
    expressions = ["ADD rowsIn :rows, rejected :rejected", "SET #s = :s, m = :m, e = :now REMOVE taskToken",
                   "SET parquet = list_append(if_not_exists(parquet, :empty), :file)", "REMOVE leases.#me ADD v :one",
                   "SET l[5] = :v, k = if_not_exists(k, n) REMOVE l[0]", "SET n = n - :one, o = :one - n DELETE s :s"]
    for expression in expressions:
        tree = UpdateExpressionParser.make(expression)
        assert UpdateExpressionParser.make(expression) is tree  # parsed once
        copied = validators.deepcopy(tree)
        assert _same_graph(copy.deepcopy(tree), copied, {})
        twins: dict = {}  # id of each container or node of the tree -> its counterpart in the copy
        assert _same_graph(tree, copied, twins) and all(original != id(twin) for original, twin in twins.items())
    other = {"a": [1, {"b": 2}]}
    assert validators.deepcopy(other) == other and validators.deepcopy(other)["a"] is not other["a"]


def _delete_answers() -> list:
    """DeleteMessage and DeleteMessageBatch answers, errors included, for handles current, old, repeated and made up,
    and what the queue holds after each step."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="d", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    for i in range(12):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    answers: list = []

    def step(call, **kwargs):
        try:
            answer = call(QueueUrl=url, **kwargs)
            answers.append({k: v for k, v in answer.items() if k != "ResponseMetadata"})
        except sqs.exceptions.ClientError as err:
            answers.append(err.response["Error"])
        answers.append(_counts(sqs, url))

    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=5)["Messages"]
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]  # visible again: new handles
    old = first[0]["ReceiptHandle"]
    step(sqs.delete_message, ReceiptHandle=first[3]["ReceiptHandle"])  # a handle replaced since: still deletes
    step(sqs.delete_message, ReceiptHandle=first[3]["ReceiptHandle"])  # deleted already: passes
    step(sqs.delete_message, ReceiptHandle=again[-1]["ReceiptHandle"])  # a current handle, far from the front
    step(sqs.delete_message, ReceiptHandle="not-a-handle")
    step(sqs.delete_message_batch, Entries=[{"Id": "a", "ReceiptHandle": old},
                                            {"Id": "b", "ReceiptHandle": "made-up"},
                                            {"Id": "c", "ReceiptHandle": old},
                                            {"Id": "d", "ReceiptHandle": again[1]["ReceiptHandle"]}])  # refused
    step(sqs.delete_message_batch, Entries=[{"Id": "a", "ReceiptHandle": old},
                                            {"Id": "b", "ReceiptHandle": "made-up"},
                                            {"Id": "d", "ReceiptHandle": again[1]["ReceiptHandle"]}])
    answers.append(sorted(m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]))
    return answers


def test_sqs_deletes_answer_as_moto_answers_them(monkeypatch):
    from moto.sqs.models import Queue

    def patched():
        assert Queue.__dict__["delete_message"].__module__ == moto_speedups.sqs.__name__

    answers = both_ways(monkeypatch, _delete_answers, patched)
    assert answers["patched"] == answers["moto"]
    assert {"Code": "ReceiptHandleIsInvalid"}.items() <= answers["moto"][6].items()  # the made-up handle


def test_camelcase_names_are_turned_as_moto_turns_them():
    """The looked-up camelcase_to_underscores gives moto's own answer, for every kind of name it meets."""
    from moto.core import responses, utils
    from moto.sqs import models as sqs_models

    own = utils.camelcase_to_underscores
    names = ["", "SendMessageBatch", "ApproximateNumberOfMessagesNotVisible", "KmsMasterKeyId", "FifoQueue",
             "HTTPStatusCode", "ABCDef", "theNewAttribute", "with Space", "x", "ID", "QueueURL", "ÉtéÀ"]
    moto_speedups.uninstall()
    try:
        assert moto_speedups.install()
        for module in (responses, sqs_models):
            looked_up = module.camelcase_to_underscores
            assert looked_up is not own
            assert [looked_up(n) for n in names * 2] == [own(n) for n in names * 2]
        moto_speedups.uninstall()
        assert responses.camelcase_to_underscores is own and sqs_models.camelcase_to_underscores is own
    finally:
        moto_speedups.install()


def _send_answers() -> list:
    """SendMessage and SendMessageBatch answers, refusals included, on standard and FIFO queues (content-based
    deduplication on and off), and the queues' attributes and messages afterwards."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    standard = sqs.create_queue(QueueName="s", Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]
    by_content = sqs.create_queue(QueueName="c.fifo", Attributes={"FifoQueue": "true",
                                                                  "ContentBasedDeduplication": "true"})["QueueUrl"]
    by_id = sqs.create_queue(QueueName="i.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    answers: list = []
    sends = [(standard, {"MessageBody": "a"}), (standard, {"MessageBody": "x" * 2000}),
             (standard, {"MessageBody": "d", "DelaySeconds": 5}), ("missing", {"MessageBody": "m"}),
             (by_content, {"MessageBody": "a", "MessageGroupId": "g"}),
             (by_content, {"MessageBody": "a", "MessageGroupId": "g"}),  # a duplicate by content
             (by_content, {"MessageBody": "b"}), (by_content, {"MessageBody": "c", "MessageGroupId": "g",
                                                               "DelaySeconds": 1}),
             (by_id, {"MessageBody": "a", "MessageGroupId": "g"}),  # no deduplication id
             (by_id, {"MessageBody": "a", "MessageGroupId": "g", "MessageDeduplicationId": "1"}),
             (by_id, {"MessageBody": "b", "MessageGroupId": "g", "MessageDeduplicationId": "1"}),
             (by_id, {"MessageBody": "c"})]
    for url, arguments in sends:
        url = url if url != "missing" else standard.replace("/s", "/missing")
        try:
            answer = sqs.send_message(QueueUrl=url, **arguments)
            answers.append(sorted(k for k in answer if k != "ResponseMetadata"))
        except sqs.exceptions.ClientError as err:
            answers.append(err.response["Error"])
    for entries in ([{"Id": "1", "MessageBody": "a", "MessageGroupId": "g"}, {"Id": "2", "MessageBody": "e"}],
                    [{"Id": "1", "MessageBody": "a", "MessageGroupId": "g"},
                     {"Id": "3", "MessageBody": "f", "MessageGroupId": "h"}]):
        try:
            batch = sqs.send_message_batch(QueueUrl=by_content, Entries=entries)
            answers.append((sorted(e["Id"] for e in batch.get("Successful", [])), batch.get("Failed")))
        except sqs.exceptions.ClientError as err:
            answers.append(err.response["Error"])
    for url in (standard, by_content, by_id):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        answers.append({k: v for k, v in attributes.items() if not k.endswith("Timestamp")})
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        answers.append(sorted(m["Body"] for m in received.get("Messages", [])))
    return answers


def test_sqs_sends_answer_as_moto_answers_them(monkeypatch):
    answers = both_ways(monkeypatch, _send_answers)
    assert answers["patched"] == answers["moto"]
    assert sum(isinstance(a, dict) and "Code" in a for a in answers["moto"]) >= 4  # the refusals are compared too


def test_request_routing_tables_are_moto_own(monkeypatch):
    """The URL table each request is routed by, and the handler methods call_action looks for, are the ones moto
    builds, including when MOTO_S3_CUSTOM_ENDPOINTS changes between requests."""
    from moto.core import base_backend, responses
    from moto.core.utils import method_names_from_class
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler
    from moto.s3.models import S3Backend
    from moto.s3.responses import S3Response
    from moto.sqs.models import SQSBackend
    from moto.sqs.responses import SQSResponse

    own_urls = base_backend.BaseBackend.__dict__["urls"].fget
    backends = [S3Backend("us-east-1", "123456789012"), DynamoDBBackend("us-east-1", "123456789012"),
                SQSBackend("us-east-1", "123456789012")]
    moto_speedups.uninstall()
    try:
        assert moto_speedups.install()
        for custom in (None, "https://s3.example.test,http://localhost:9999", None):
            if custom is None:
                monkeypatch.delenv("MOTO_S3_CUSTOM_ENDPOINTS", raising=False)
            else:
                monkeypatch.setenv("MOTO_S3_CUSTOM_ENDPOINTS", custom)
            for backend in backends:
                assert backend.urls == own_urls(backend)  # the same patterns, to the same handlers
            assert any("example" in url for url in backends[0].urls) is (custom is not None)
        for handler in (S3Response, DynamoHandler, SQSResponse):
            assert responses.method_names_from_class(handler) == method_names_from_class(handler)
    finally:
        monkeypatch.delenv("MOTO_S3_CUSTOM_ENDPOINTS", raising=False)
        moto_speedups.uninstall()
        moto_speedups.install()
def test_s3_host_styles_are_answered_as_moto_answers_them(monkeypatch):
    """Whether a host names the bucket (virtual-hosted or path style), answered once per host and settings when
    patched, is moto's own answer for every kind of host, with custom endpoints set and unset and with moto told to
    ignore subdomains, asked again after each change of the settings."""
    from moto import settings
    from moto.s3.responses import S3Response

    own = S3Response.__dict__["subdomain_based_buckets"].__func__
    hosts = ["s3.amazonaws.com", "bucket.s3.amazonaws.com", "bucket.s3.eu-west-1.amazonaws.com",
             "s3.eu-west-1.amazonaws.com", "s3-fips.us-east-1.amazonaws.com", "b.s3.dualstack.us-east-1.amazonaws.com",
             "localhost:5000", "localstack", "host.docker.internal:4566", "minio", "127.0.0.1:9000", "10.1.2.3",
             "[::1]:80", "my-svc.ns.svc.cluster.local:9000", "s3.example.test", "bucket.s3.example.test",
             "bucket.s3.amazonaws.com.cn", "s3.cn-north-1.amazonaws.com.cn"]

    class Request:
        def __init__(self, host: str) -> None:
            self.headers = {"Host": host} if host.startswith("b") else {"host": host}
            self.url = f"https://{host}/key"

    moto_speedups.uninstall()
    try:
        assert moto_speedups.install()
        patched = S3Response.subdomain_based_buckets
        assert patched is not own
        for custom, ignore in ((None, False), ("https://s3.example.test", False), (None, True), (None, False)):
            if custom is None:
                monkeypatch.delenv("MOTO_S3_CUSTOM_ENDPOINTS", raising=False)
            else:
                monkeypatch.setenv("MOTO_S3_CUSTOM_ENDPOINTS", custom)
            monkeypatch.setattr(settings, "S3_IGNORE_SUBDOMAIN_BUCKETNAME", ignore)
            for host in [*hosts, ""]:
                for _ in range(2):  # asked, then answered from what was kept
                    assert patched(Request(host)) == own(Request(host)), (host, custom, ignore)
        assert own(Request("bucket.s3.amazonaws.com")) and not own(Request("localhost:5000"))
    finally:
        monkeypatch.delenv("MOTO_S3_CUSTOM_ENDPOINTS", raising=False)
        moto_speedups.uninstall()
        moto_speedups.install()


def test_s3_objects_past_the_key_buffer_size_read_back_the_same_and_hold_no_descriptor(aws, monkeypatch):
    """S3 objects on both sides of moto's key buffer size read back byte for byte (whole, ranged, ETag, after a
    copy and an overwrite), patched or not; patched, a spilled object holds no open file between calls."""
    import hashlib

    monkeypatch.setenv("MOTO_S3_DEFAULT_KEY_BUFFER_SIZE", "1024")
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="bucket")
    fds = len(os.listdir("/proc/self/fd"))
    bodies = {f"k{i}": os.urandom(size) for i, size in enumerate((0, 10, 1024, 1025, 300_000))}
    for key, body in bodies.items():
        s3.put_object(Bucket="bucket", Key=key, Body=body)
    if aws == "patched":
        assert len(os.listdir("/proc/self/fd")) == fds
    for key, body in bodies.items():
        got = s3.get_object(Bucket="bucket", Key=key)
        assert got["Body"].read() == body
        assert got["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    big = bodies["k4"]
    assert s3.get_object(Bucket="bucket", Key="k4", Range="bytes=1000-1999")["Body"].read() == big[1000:2000]
    s3.copy_object(Bucket="bucket", Key="copy", CopySource={"Bucket": "bucket", "Key": "k4"})
    assert s3.get_object(Bucket="bucket", Key="copy")["Body"].read() == big
    s3.put_object(Bucket="bucket", Key="k4", Body=b"small now")
    assert s3.get_object(Bucket="bucket", Key="k4")["Body"].read() == b"small now"
    s3.delete_object(Bucket="bucket", Key="copy")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="bucket")["Contents"]] == sorted(bodies)


def test_spilling_buffer_behaves_as_a_spooled_temporary_file():
    """SpillingBuffer against tempfile.SpooledTemporaryFile, the class it stands in for, call by call."""
    import tempfile

    ours, theirs = moto_speedups.s3.SpillingBuffer(8), tempfile.SpooledTemporaryFile(8)  # noqa: SIM115  (closed below)
    steps = [("write", b"abc"), ("tell",), ("seek", 0), ("read",), ("write", b"0123456789"), ("tell",),
             ("seek", 2), ("read", 4), ("seek", 0, 2), ("tell",), ("seek", 0), ("truncate",), ("write", b"xy"),
             ("seek", 0), ("read",), ("seek", 0), ("truncate",), ("read",), ("write", b"z" * 20), ("seek", 0),
             ("read", 16 * 1024 * 1024), ("read", 5)]
    for name, *args in steps:
        assert getattr(ours, name)(*args) == getattr(theirs, name)(*args), (name, args)
    assert ours._rolled and theirs._rolled
    path = ours._path
    ours.close()
    theirs.close()
    assert ours.closed and not os.path.exists(path)


def _content(buffer) -> bytes:
    position = buffer.tell()
    buffer.seek(0)
    content = buffer.read()
    buffer.seek(position)
    return content


@pytest.mark.parametrize("max_size", [8, 0])
def test_spilling_buffer_digest_is_the_md5_of_its_content_or_none(max_size):
    """The MD5 a SpillingBuffer gives for FakeKey's ETag is, whenever it gives one, the MD5 of what it holds: in
    memory and on disk, after writes in order, over the middle, past the end, truncations and a rollover; FakeKey's
    way of setting a value (seek to 0, truncate, write) always leaves one."""
    import hashlib

    ours = moto_speedups.s3.SpillingBuffer(max_size)
    steps = [("write", b"abc"), ("write", b"0123456789"), ("seek", 2), ("write", b"XY"), ("seek", 0), ("truncate",),
             ("write", b"xy"), ("write", b"z" * 20), ("truncate", 22), ("truncate", 30), ("seek", 0), ("truncate",),
             ("seek", 5), ("write", b"gap"), ("truncate", 0), ("write", b""), ("write", b"q" * 9), ("seek", 0, 2),
             ("write", b"end"), ("truncate", 4), ("seek", 0), ("truncate", 0), ("write", b"r" * 50)]
    given = 0
    for name, *args in steps:
        getattr(ours, name)(*args)
        digest = ours.md5_hexdigest()
        assert digest in (None, hashlib.md5(_content(ours)).hexdigest()), (name, args)
        given += digest is not None
        if name == "truncate" and args in ([], [0]) and ours.tell() == 0:
            assert digest == hashlib.md5(b"").hexdigest()
    assert given >= 10 and ours.md5_hexdigest() == hashlib.md5(b"r" * 50).hexdigest()
    assert ours._rolled == (max_size == 8)
    ours.close()


@pytest.mark.parametrize("lazy_from", [1 << 20, 0])  # a range of a spilled object read as the body is read
@pytest.mark.parametrize("size", [3000, 300_000])  # in memory, and past the key buffer size (on disk)
def test_s3_ranged_gets_answer_as_moto_does(aws, monkeypatch, size, lazy_from):
    """Ranged GetObject reads only the range when patched: the same status, headers and bytes as moto's own
    whole-object read, for every form of Range (open, suffix, past the end, several ranges, unparsable, invalid)."""
    from botocore.exceptions import ClientError

    monkeypatch.setattr(moto_speedups.s3._KeyRange, "MIN_BYTES", lazy_from)
    monkeypatch.setenv("MOTO_S3_DEFAULT_KEY_BUFFER_SIZE", "100000")
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="bucket")
    body = os.urandom(size)
    s3.put_object(Bucket="bucket", Key="k", Body=body)
    cases = {"bytes=0-99": (206, body[:100]), "bytes=100-": (206, body[100:]), "bytes=-50": (206, body[-50:]),
             f"bytes={size - 10}-{size + 500}": (206, body[-10:]), "bytes=0-": (206, body),
             "bytes=0-1,5-6": (200, body), "bytes=x-y": (200, body), "bytes=5-2": (200, body)}
    for spec, (status, expected) in cases.items():
        got = s3.get_object(Bucket="bucket", Key="k", Range=spec)
        assert (got["ResponseMetadata"]["HTTPStatusCode"], got["Body"].read()) == (status, expected), spec
        assert got["ContentLength"] == len(expected)
        if status == 206:
            assert got["ContentRange"].endswith(f"/{size}")
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket="bucket", Key="k", Range=f"bytes={size}-")
    assert err.value.response["Error"]["Code"] == "InvalidRange"
    part = s3.get_object(Bucket="bucket", Key="k", PartNumber=1)
    assert part["Body"].read() == body and part["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert s3.get_object(Bucket="bucket", Key="k")["Body"].read() == body


def test_s3_a_ranged_get_does_not_read_the_whole_object_when_patched(aws, monkeypatch):
    """The point of the range patch: a Range of a large object reads the range, not the object (moto reads it all)."""
    from moto.s3.models import FakeKey

    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="bucket")
    s3.put_object(Bucket="bucket", Key="k", Body=b"x" * 100_000)
    whole_reads = []
    value = FakeKey.value
    monkeypatch.setattr(FakeKey, "value", property(lambda key: whole_reads.append(key.name) or value.fget(key),
                                                   value.fset))
    assert s3.get_object(Bucket="bucket", Key="k", Range="bytes=10-19")["Body"].read() == b"x" * 10
    assert whole_reads == ([] if aws == "patched" else ["k"])


def test_request_bodies_reach_moto_as_sent(aws, tmp_path):
    """moto gets the very bytes botocore sends (in memory, a file, aws-chunked, JSON and form-encoded requests):
    objects, checksums, items and messages come back the same, patched or not."""
    import base64
    import zlib

    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="bucket")
    data = os.urandom(200_000)
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    path = tmp_path / "body.bin"
    path.write_bytes(data)
    s3.put_object(Bucket="bucket", Key="bytes", Body=data, ChecksumAlgorithm="CRC32", ChecksumCRC32=crc)
    s3.put_object(Bucket="bucket", Key="chunked", Body=data)  # botocore streams it aws-chunked
    s3.put_object(Bucket="bucket", Key="text", Body="héllo", ContentType="text/plain")
    with path.open("rb") as f:
        s3.put_object(Bucket="bucket", Key="file", Body=f)
    for key, expected in (("bytes", data), ("chunked", data), ("text", "héllo".encode()), ("file", data)):
        got = s3.get_object(Bucket="bucket", Key=key, ChecksumMode="ENABLED")
        assert got["Body"].read() == expected, key
        assert got.get("ChecksumCRC32") == base64.b64encode(zlib.crc32(expected).to_bytes(4, "big")).decode()
    assert s3.head_object(Bucket="bucket", Key="text")["ContentType"] == "text/plain"
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    dynamodb.create_table(TableName="t", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                          BillingMode="PAY_PER_REQUEST")
    dynamodb.put_item(TableName="t", Item={"pk": {"S": "k"}, "v": {"S": "é" * 1000}})
    assert dynamodb.get_item(TableName="t", Key={"pk": {"S": "k"}})["Item"]["v"]["S"] == "é" * 1000
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="a=b&c=d é")
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "a=b&c=d é"


def test_a_request_is_freed_with_its_body_as_soon_as_moto_is_done_with_it(aws):
    """Patched, moto's in-process Request is not a reference cycle: it (and the body it caches) goes with its last
    reference, without waiting for the cyclic garbage collector. moto's own keeps itself in its environ."""
    import gc
    import weakref

    from moto.core.request import Request

    gc.disable()
    try:
        request = Request.from_primitives("PUT", "https://bucket.s3.amazonaws.com/k", {"Content-Length": "3"}, b"abc")
        assert request.data == b"abc"
        gone = weakref.ref(request)
        del request
        assert (gone() is None) == (aws == "patched")
    finally:
        gc.enable()


def test_s3_a_range_read_as_it_is_read_is_the_object_as_it_was_when_answered(aws, monkeypatch):
    """A large range of an object on disk is read as the caller reads it: the bytes are still the object's as they
    were when the GET was answered, even if the object is replaced or deleted before the body is read; a body
    dropped half read leaves no descriptor open."""
    import gc

    monkeypatch.setenv("MOTO_S3_DEFAULT_KEY_BUFFER_SIZE", "1000")
    monkeypatch.setattr(moto_speedups.s3._KeyRange, "MIN_BYTES", 100)
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="bucket")
    old = os.urandom(50_000)
    s3.put_object(Bucket="bucket", Key="k", Body=old)
    fds = len(os.listdir("/proc/self/fd"))
    replaced = s3.get_object(Bucket="bucket", Key="k", Range="bytes=100-")["Body"]
    deleted = s3.get_object(Bucket="bucket", Key="k", Range="bytes=-20000")["Body"]
    s3.put_object(Bucket="bucket", Key="k", Body=b"new")
    assert replaced.read(10) == old[100:110] and replaced.read() == old[110:]
    s3.delete_object(Bucket="bucket", Key="k")
    assert deleted.read() == old[-20000:]
    s3.put_object(Bucket="bucket", Key="k", Body=old)
    half = s3.get_object(Bucket="bucket", Key="k", Range="bytes=0-")["Body"]
    assert half.read(5) == old[:5]
    del half, replaced, deleted
    gc.collect()
    assert len(os.listdir("/proc/self/fd")) == fds


def _refused(*args):
    """``os.copy_file_range`` where the kernel or the file system does not copy files (ENOSYS)."""
    raise OSError(38, "Function not implemented")


def _multipart_answers() -> list:
    """Multipart uploads completed, or refused, and what they left: S3's answers to boto3's upload_file (CRC32 per
    part), to an upload with moto's default full-object checksum (CRC64NVME), to one small part, and the refusals
    (a part's ETag wrong, a part below 5 MiB before the last, no part listed)."""
    import hashlib
    import random
    import tempfile

    from boto3.s3.transfer import TransferConfig
    from botocore.exceptions import ClientError

    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="bucket")
    mib = 1 << 20
    data = random.Random(7).randbytes(11 * mib + 1234)  # the same bytes both ways
    answers: list = []

    def seen(key):
        head = s3.head_object(Bucket="bucket", Key=key, ChecksumMode="ENABLED")
        body = s3.get_object(Bucket="bucket", Key=key)["Body"].read()
        ranged = s3.get_object(Bucket="bucket", Key=key, Range="bytes=5242000-5243000")["Body"].read()
        answers.append({k: v for k, v in head.items() if k not in ("ResponseMetadata", "LastModified")})
        answers.append((hashlib.sha256(body).hexdigest(), len(body), ranged))

    def upload(key, parts, checksum=None, listed=None):
        extra = {"ChecksumAlgorithm": checksum} if checksum else {}
        upload_id = s3.create_multipart_upload(Bucket="bucket", Key=key, **extra)["UploadId"]
        etags = [s3.upload_part(Bucket="bucket", Key=key, UploadId=upload_id, PartNumber=n, Body=part,
                                **extra)["ETag"] for n, part in enumerate(parts, 1)]
        listed = [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)] if listed is None else listed
        try:
            done = s3.complete_multipart_upload(Bucket="bucket", Key=key, UploadId=upload_id,
                                                MultipartUpload={"Parts": listed})
            answers.append({k: v for k, v in done.items() if k in ("ETag", "Key", "Bucket")})
        except ClientError as err:
            answers.append(err.response["Error"]["Code"])

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "data.bin")
        with open(path, "wb") as f:
            f.write(data)
        s3.upload_file(path, "bucket", "by-upload-file", Config=TransferConfig(
            multipart_threshold=5 * mib, multipart_chunksize=5 * mib, use_threads=False))
    seen("by-upload-file")
    upload("full-object", [data[:6 * mib], data[6 * mib:]])
    seen("full-object")
    upload("one-small-part", [b"tiny"], checksum="CRC32")
    answers.append(s3.get_object(Bucket="bucket", Key="one-small-part")["Body"].read())
    upload("wrong-etag", [data[:5 * mib], b"end"], checksum="CRC32", listed=[{"PartNumber": 1, "ETag": '"00"'}])
    upload("too-small", [b"x" * 1000, b"end"], checksum="CRC32")
    upload("none-listed", [b"x"], checksum="CRC32", listed=[])
    answers.append(sorted(o["Key"] for o in s3.list_objects_v2(Bucket="bucket")["Contents"]))
    return answers


@pytest.mark.parametrize("kernel_copy", ["os", "refused"])  # parts joined by os.copy_file_range, or read and write
def test_s3_multipart_uploads_complete_as_moto_completes_them(monkeypatch, kernel_copy):
    """A multipart upload completed part by part (patched) leaves the same object as moto's own completion: the same
    ETag (MD5 of the parts' MD5s, "-N"), checksum, length, bytes and ranges; the same refusals."""
    monkeypatch.setenv("MOTO_S3_DEFAULT_KEY_BUFFER_SIZE", "65536")
    if kernel_copy == "refused":
        monkeypatch.setattr(os, "copy_file_range", _refused)
    from moto.s3.models import FakeMultipart

    def patched():
        assert FakeMultipart.complete.__name__ == "complete_by_parts"

    answers = both_ways(monkeypatch, _multipart_answers, patched)
    assert answers["patched"] == answers["moto"]
    assert answers["moto"][0]["ETag"].endswith('-3"') and "ChecksumCRC32" in answers["moto"][0]
    assert answers["moto"][-4:-1] == ["InvalidPart", "EntityTooSmall", "MalformedXML"]


def test_s3_a_multipart_upload_is_not_joined_in_memory_when_patched(aws, monkeypatch):
    """The point of the multipart patch: completing an upload of 24 MiB in 8 MiB parts allocates about a part at a
    time, not the object (moto's own joins the parts into a bytearray and then bytes: twice the object)."""
    import tracemalloc

    from boto3.s3.transfer import TransferConfig

    monkeypatch.setenv("MOTO_S3_DEFAULT_KEY_BUFFER_SIZE", "65536")
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="bucket")
    mib = 1 << 20
    upload_id = s3.create_multipart_upload(Bucket="bucket", Key="k", ChecksumAlgorithm="CRC32")["UploadId"]
    parts = [{"PartNumber": n, "ETag": s3.upload_part(Bucket="bucket", Key="k", UploadId=upload_id, PartNumber=n,
                                                      Body=bytes([n]) * 8 * mib, ChecksumAlgorithm="CRC32")["ETag"]}
             for n in (1, 2, 3)]
    tracemalloc.start()
    try:
        s3.complete_multipart_upload(Bucket="bucket", Key="k", UploadId=upload_id, MultipartUpload={"Parts": parts})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert s3.head_object(Bucket="bucket", Key="k")["ContentLength"] == 24 * mib
    assert (peak < 12 * mib) == (aws == "patched"), peak
    assert TransferConfig().multipart_chunksize == 8 * mib  # the part size boto3's upload_file sends


def _copy_answers() -> list:
    """Objects copied, or refused, and what the copies hold: copies of an object on disk written at once, of a
    completed multipart upload, of an object in memory, of a copy; a copy replacing its metadata, one asking for
    a checksum, one onto itself (refused), one whose source is then replaced or deleted."""
    import hashlib
    import random

    from botocore.exceptions import ClientError, FlexibleChecksumError

    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="bucket")
    mib = 1 << 20
    data = random.Random(11).randbytes(6 * mib + 77)
    answers: list = []

    def read(key, **extra):
        try:
            body = s3.get_object(Bucket="bucket", Key=key, **extra)["Body"].read()
        except FlexibleChecksumError as err:  # moto gives a copy its source's checksum (that of the parts)
            return str(err)
        except ClientError as err:
            return err.response["Error"]["Code"]
        return hashlib.sha256(body).hexdigest(), len(body)

    def seen(key):
        head = s3.head_object(Bucket="bucket", Key=key, ChecksumMode="ENABLED")
        answers.append({k: v for k, v in head.items() if k not in ("ResponseMetadata", "LastModified")})
        answers.append((read(key), read(key, Range="bytes=100-5243000")))

    def copy(source, target, **extra):
        try:
            done = s3.copy_object(Bucket="bucket", Key=target, CopySource={"Bucket": "bucket", "Key": source},
                                  **extra)
            answers.append({k: v for k, v in done.items() if k not in ("ResponseMetadata",)}
                           | {"CopyObjectResult": {k: v for k, v in done["CopyObjectResult"].items()
                                                   if k != "LastModified"}})
        except ClientError as err:
            answers.append(err.response["Error"]["Code"])

    s3.put_object(Bucket="bucket", Key="put", Body=data, Metadata={"m": "1"}, ContentType="text/csv")
    s3.put_object(Bucket="bucket", Key="small", Body=b"in memory")
    upload_id = s3.create_multipart_upload(Bucket="bucket", Key="parts", ChecksumAlgorithm="CRC32")["UploadId"]
    parts = [{"PartNumber": n, "ETag": s3.upload_part(Bucket="bucket", Key="parts", UploadId=upload_id,
                                                      PartNumber=n, Body=body, ChecksumAlgorithm="CRC32")["ETag"]}
             for n, body in ((1, data[:5 * mib]), (2, data[5 * mib:]))]
    s3.complete_multipart_upload(Bucket="bucket", Key="parts", UploadId=upload_id, MultipartUpload={"Parts": parts})
    copy("put", "copy-of-put")
    copy("parts", "copy-of-parts")
    copy("small", "copy-of-small")
    copy("copy-of-put", "copy-of-copy")
    copy("put", "replaced-metadata", MetadataDirective="REPLACE", Metadata={"n": "2"})
    copy("put", "with-checksum", ChecksumAlgorithm="SHA256")
    copy("put", "put")
    for key in ("copy-of-put", "copy-of-parts", "copy-of-small", "copy-of-copy", "replaced-metadata",
                "with-checksum"):
        seen(key)
    copy("put", "then-replaced")
    s3.put_object(Bucket="bucket", Key="put", Body=b"new")
    s3.delete_object(Bucket="bucket", Key="copy-of-put")
    seen("then-replaced")
    seen("copy-of-copy")
    copy("copy-of-copy", "copy-of-copy")
    copy("gone", "nowhere")
    answers.append(sorted(o["Key"] for o in s3.list_objects_v2(Bucket="bucket")["Contents"]))
    return answers


@pytest.mark.parametrize("kernel_copy", ["os", "refused", "missing"])  # os.copy_file_range, or read and write
@pytest.mark.parametrize("buffer_size", ["65536", "0"])  # spilled to disk past 64 KiB; all in memory (moto's 0)
def test_s3_copies_answer_as_moto_does(monkeypatch, buffer_size, kernel_copy):
    """A copy of an object on disk made file to file, with the MD5 the source's buffer took (patched), answers as
    moto's own copy of the bytes: the same ETags, checksums, metadata, bytes and ranges; the same refusals. Where
    the kernel does not copy files (no ``os.copy_file_range``, or refused), the bytes are read and written."""
    monkeypatch.setenv("MOTO_S3_DEFAULT_KEY_BUFFER_SIZE", buffer_size)
    if kernel_copy == "refused":
        monkeypatch.setattr(os, "copy_file_range", _refused)
    elif kernel_copy == "missing":
        monkeypatch.delattr(os, "copy_file_range", raising=False)
    from moto.s3.models import S3Backend

    def patched():
        assert S3Backend.copy_object.__module__ == moto_speedups.s3.__name__

    answers = both_ways(monkeypatch, _copy_answers, patched)
    assert answers["patched"] == answers["moto"]
    assert answers["moto"].count("InvalidRequest") == 2 and "NoSuchKey" in answers["moto"]  # onto itself; gone


def test_s3_a_copy_is_not_read_into_memory_when_patched(aws, monkeypatch):
    """The point of the copy patch: copying a 24 MiB object on disk allocates none of it, and does not hash it
    again (moto's own reads the source into bytes and hashes the new object's bytes for its ETag)."""
    import hashlib
    import tracemalloc

    monkeypatch.setenv("MOTO_S3_DEFAULT_KEY_BUFFER_SIZE", "65536")
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="bucket")
    body = os.urandom(24 << 20)
    s3.put_object(Bucket="bucket", Key="k", Body=body)
    tracemalloc.start()
    try:
        done = s3.copy_object(Bucket="bucket", Key="copy", CopySource={"Bucket": "bucket", "Key": "k"})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert done["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert s3.get_object(Bucket="bucket", Key="copy")["Body"].read() == body
    assert (peak < 4 << 20) == (aws == "patched"), peak


def test_what_a_run_replaced_or_deleted_is_freed_when_patched(aws, monkeypatch):
    """moto keeps every model it makes in a list on its class until it resets: a replaced S3 object, each copy
    of an item that UpdateItem made, each deleted message. Patched, nothing holds them once the store lets go (an
    S3 object's buffer is disposed of when collected, without a ResourceWarning); the answers are the same."""
    import gc
    import weakref

    from moto.core.model_instances import model_data

    monkeypatch.setenv("MOTO_S3_DEFAULT_KEY_BUFFER_SIZE", "1024")
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="bucket")
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    ddb.create_table(TableName="t", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    from moto.s3.models import FakeKey
    from moto.sqs.models import Message

    s3.put_object(Bucket="bucket", Key="k", Body=b"old" * 1000)
    old = weakref.ref(next(o for o in gc.get_objects() if isinstance(o, FakeKey) and o.name == "k"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an object collected is disposed of quietly
        s3.put_object(Bucket="bucket", Key="k", Body=b"new" * 1000)
        for _ in range(20):
            ddb.update_item(TableName="t", Key={"pk": {"S": "a"}}, UpdateExpression="ADD n :one",
                            ExpressionAttributeValues={":one": {"N": "1"}})
        for _ in range(20):
            sqs.send_message(QueueUrl=url, MessageBody="m")
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        gc.collect()
    assert s3.get_object(Bucket="bucket", Key="k")["Body"].read() == b"new" * 1000
    assert ddb.get_item(TableName="t", Key={"pk": {"S": "a"}})["Item"]["n"] == {"N": "20"}
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"]["ApproximateNumberOfMessages"] == "10"
    tracked = sum(len(cls.instances_tracked) for models in model_data.values() for cls in models.values())
    live_messages = sum(isinstance(o, Message) for o in gc.get_objects())
    if aws == "patched":
        assert old() is None and tracked == 0 and live_messages == 10
    else:
        assert old() is not None and tracked >= 20 + 20 + 2 and live_messages >= 20

