"""moto_speedups on DynamoDB items (copies, sizes) and reserved words: each scenario runs under moto's own code and
under the patches (``uninstall()``), and the answers must be the same, errors included.
"""

from __future__ import annotations

import copy

import boto3
from helpers import both_ways

from bedrock_batch.offline import moto_speedups

_TABLE = "items"
_SETS = {"SS": ["source", "target", "rationale", "task", "type"], "NS": ["1", "2.5", "-3e2"],
         "BS": [b"\x00\x01", b"\xff"]}
_VALUES = [{"S": "caf\u00e9 \u2603"}, {"N": "123.4500"}, {"B": b"\x00bytes"}, {"BOOL": True}, {"BOOL": False},
           {"NULL": True}, *({kind: members} for kind, members in _SETS.items()),
           {"L": [{"S": "a"}, {"N": "1"}, {"L": [{"SS": ["x"]}]}, {"M": {"k": {"BOOL": False}}}]},
           {"M": {"a": {"S": "b"}, "n": {"NS": ["7"]}, "deep": {"M": {"l": {"L": [{"NULL": True}]}}}}}]


def _client() -> object:
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    ddb.create_table(TableName=_TABLE, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                {"AttributeName": "sk", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "S"}],
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    return ddb


def _answer(call, **kwargs) -> object:
    """A call's answer without its request id, or its error."""
    try:
        answer = call(**kwargs)
    except call.__self__.exceptions.ClientError as err:
        return err.response["Error"]
    answer.pop("ResponseMetadata", None)
    return answer


def _item_answers() -> list:
    """UpdateItem of the pipeline's shapes (ADD of numbers and string sets on the run summary, SET of maps and lists)
    with every ReturnValues, conditions that fail (ALL_OLD asked), items grown past the 400 KB limit by SET and by
    PutItem, then what GetItem, Query, Scan and the table's stream (old and new images) give back."""
    ddb = _client()
    key = {"pk": {"S": "RUN#1"}, "sk": {"S": "SUMMARY"}}
    item = {**key, **{f"v{i}": v for i, v in enumerate(_VALUES)}}
    answers: list = [_answer(ddb.put_item, TableName=_TABLE, Item=item)]
    columns = {f":c{i}": {"SS": _SETS["SS"][i:] + [f"col{i}"]} for i in range(5)}
    updates = [
        ("ADD rowsRead :rows, " + ", ".join(f"cols{i} :c{i}" for i in range(5)), {":rows": {"N": "191"}, **columns}),
        ("ADD rowsIn :rows, rejected :rejected", {":rows": {"N": "180"}, ":rejected": {"N": "3"}}),
        ("SET parquet = list_append(if_not_exists(parquet, :empty), :f)", {":empty": {"L": []},
                                                                          ":f": {"L": [{"S": "a.parquet"}]}}),
        ("SET leases = :m, v0 = :b ADD nums :ns", {":m": {"M": {"job": {"N": "17"}}}, ":b": {"BS": [b"\x02"]},
                                                   ":ns": {"NS": ["4", "5"]}}),
        ("SET leases.#me = :n REMOVE v8 DELETE cols0 :gone", {":n": {"N": "9"}, ":gone": {"SS": ["source"]}}),
        ("SET big = :big", {":big": {"S": "x" * 300_000}}),
        ("SET bigger = :big", {":big": {"S": "y" * 200_000}}),
        ("ADD rowsIn :rows", {":rows": {"N": "1"}}),
    ]
    for returned in ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"):
        for expression, values in updates:
            names = {"#me": "job"} if "#me" in expression else {}
            answers.append(_answer(ddb.update_item, TableName=_TABLE, Key=key, UpdateExpression=expression,
                                   ExpressionAttributeValues=values, ReturnValues=returned,
                                   ReturnConsumedCapacity="TOTAL", **({"ExpressionAttributeNames": names}
                                                                      if names else {})))
        answers.append(_answer(ddb.update_item, TableName=_TABLE, Key=key, UpdateExpression="SET v0 = :s",
                               ConditionExpression="rowsIn < :s", ExpressionAttributeValues={":s": {"N": "0"}},
                               ReturnValuesOnConditionCheckFailure="ALL_OLD"))
        answers.append(_answer(ddb.update_item, TableName=_TABLE, Key=key, UpdateExpression="REMOVE big, bigger"))
    answers.append(_answer(ddb.put_item, TableName=_TABLE, Item={**key, "big": {"S": "z" * 410_000}}))
    answers.append(_answer(ddb.update_item, TableName=_TABLE, Key={"pk": {"S": "new"}, "sk": {"S": "x"}},
                           UpdateExpression="ADD s :s", ExpressionAttributeValues={":s": {"SS": ["a"]}},
                           ReturnValues="ALL_NEW"))
    answers.append(_answer(ddb.get_item, TableName=_TABLE, Key=key, ConsistentRead=True))
    answers.append(_answer(ddb.query, TableName=_TABLE, KeyConditionExpression="pk = :pk",
                           ExpressionAttributeValues={":pk": {"S": "RUN#1"}}))
    answers.append(_answer(ddb.scan, TableName=_TABLE))
    from moto.dynamodb.models import dynamodb_backends

    # The stream's records, read from moto (its DynamoDB Streams API answers DescribeStream "Not yet implemented"),
    # but their SizeBytes: the length of a JSON text that holds the clock's time.
    table = dynamodb_backends["123456789012"]["us-east-1"].get_table(_TABLE)
    for record in table.stream_shard.items:
        images = record.to_json()["dynamodb"]
        answers.append((record.to_json()["eventName"], images.get("OldImage"), images.get("NewImage")))
    return answers


def test_dynamodb_items_are_copied_and_sized_as_moto_copies_and_sizes_them(monkeypatch):
    """Patched (moto_speedups.dynamodb_items: ``Item.__deepcopy__``, ``DynamoType.__deepcopy__``,
    ``DynamoType.size``), every UpdateItem answers as moto's own code answers (ReturnValues old and new, consumed
    capacity, a failed condition's item, the item size limit's refusal), and the items read back and the stream's
    old and new images are the same: the copies are the items as they were, the sizes the limit's own."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    def patched():
        assert DynamoType.__dict__["size"].__module__ == moto_speedups.dynamodb_items.__name__

    answers = both_ways(monkeypatch, _item_answers, patched)
    assert answers["patched"] == answers["moto"]
    errors = [a.get("Code") for a in answers["moto"] if isinstance(a, dict) and "Code" in a]
    assert {"ConditionalCheckFailedException", "ValidationException"} <= set(errors)  # refusals compared too


def _sizes_and_copies() -> list:
    """``DynamoType.size`` of values of every kind (and of values moto cannot size: the error), and whether a deep
    copy of an item has the same classes, values and sharing as the item (two attributes holding one value)."""
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    answers: list = []
    odd = [{"S": True}, {"SS": ["a", True]}, {"NS": [1, 2.50]}, {"N": 12}, {"S": 5}, {"SS": [b"x", 3]}]
    for value in [*_VALUES, *odd]:
        try:
            answers.append(DynamoType(value).size())
        except Exception as err:  # noqa: BLE001 - moto's own error, compared
            answers.append(repr(err))
    shared = DynamoType({"L": [{"S": "a"}, {"M": {"b": {"SS": ["c"]}}}]})
    item = Item(DynamoType({"S": "h"}), None, {f"v{i}": v for i, v in enumerate(_VALUES)})
    item.attrs["one"] = item.attrs["two"] = shared
    twin = copy.deepcopy(item)
    answers.append((twin.attrs["one"] is twin.attrs["two"], twin.attrs["one"] is not shared, twin.range_key,
                    type(twin.attrs).__name__, twin.to_json(), twin.size(), twin == item))
    answers.append(copy.deepcopy([shared, shared, {"k": shared}])[2]["k"].to_json())
    return answers


def test_dynamodb_values_sized_and_copied_as_moto_does_it(monkeypatch):
    """Patched, ``DynamoType.size`` gives moto's own size for numbers, strings, binaries, booleans, nulls, every
    kind of set, lists and maps, and moto's own error for what it cannot size; a deep copy of an item keeps one copy
    of a value two attributes share, as ``copy.deepcopy``'s memo does."""
    answers = both_ways(monkeypatch, _sizes_and_copies)
    assert answers["patched"] == answers["moto"]
    assert answers["moto"][-2][:2] == (True, True)


def _keyword_answers() -> list:
    """Attribute names that are reserved words (any case) or not, in UpdateExpressions, ConditionExpressions,
    ProjectionExpressions and KeyConditionExpressions, with names given by placeholders too: answers and refusals."""
    ddb = _client()
    key = {"pk": {"S": "k"}, "sk": {"S": "s"}}
    answers: list = []
    for name in ("count", "Status", "DATA", "rowsRead", "counter", "name", "names", "#n", "x_1"):
        names = {"ExpressionAttributeNames": {"#n": "status"}} if name == "#n" else {}
        answers.append(_answer(ddb.update_item, TableName=_TABLE, Key=key, UpdateExpression=f"SET {name} = :v",
                               ExpressionAttributeValues={":v": {"N": "1"}}, ReturnValues="ALL_NEW", **names))
        answers.append(_answer(ddb.update_item, TableName=_TABLE, Key=key, UpdateExpression="SET a = :v",
                               ConditionExpression=f"attribute_exists({name})",
                               ExpressionAttributeValues={":v": {"N": "2"}}, **names))
        answers.append(_answer(ddb.get_item, TableName=_TABLE, Key=key, ProjectionExpression=f"{name}, a", **names))
        answers.append(_answer(ddb.query, TableName=_TABLE, KeyConditionExpression="pk = :pk",
                               FilterExpression=f"{name} > :z", ProjectionExpression=f"{name}",
                               ExpressionAttributeValues={":pk": {"S": "k"}, ":z": {"N": "0"}}, **names))
    return answers


def test_dynamodb_reserved_words_refused_as_moto_refuses_them(monkeypatch):
    """Patched (moto_speedups.dynamodb: ``ReservedKeywords.KEYWORDS`` answers ``in`` from a set), an attribute name
    that is one of DynamoDB's reserved words, in any case, is refused with moto's own message wherever moto checks
    it (update paths, conditions, projections), and any other name is accepted, as moto's list answers."""
    from moto.dynamodb.parsing.reserved_keywords import ReservedKeywords

    def patched():
        assert type(ReservedKeywords.KEYWORDS).__module__ == moto_speedups.dynamodb.__name__

    answers = both_ways(monkeypatch, _keyword_answers, patched)
    assert answers["patched"] == answers["moto"]
    refusals = [a for a in answers["moto"] if isinstance(a, dict) and "reserved keyword" in a.get("Message", "")]
    assert len(refusals) >= 6 and len(answers["moto"]) - len(refusals) >= 12


def test_reserved_words_are_moto_own_list():
    """The patched list is moto's: the same words in the same order, and ``in`` answers as a list's ``in`` for every
    word, its other cases, and values that are not ``str`` (the suite runs patched)."""
    from moto.dynamodb.parsing.reserved_keywords import ReservedKeywords

    words = ReservedKeywords.get_reserved_keywords()
    own = ReservedKeywords._get_reserved_keywords()
    assert list(words) == own and type(words) is not list
    probes = [*own, *(w.lower() for w in own), "ROWSREAD", "", "STATUS ", b"STATUS", None, 1]

    class Word(str):
        pass

    probes.append(Word("STATUS"))
    assert [p in words for p in probes] == [p in own for p in probes]
