"""json_text: orjson's compact JSON is used only where it is byte for byte the json module's.

Service quotas: a payload is limited to 256 KiB of its JSON text in UTF-8, which the runtime measures as the json
module's compact text (payloads.payload_size); JSONata's ``$string`` of an object or array is JSON.stringify's
compact text, which the json module writes for values of strings, booleans, nulls and integers. orjson writes
the same bytes faster; these tests compare the two on generated values and check each case where they differ.
"""

from __future__ import annotations

import json
import math
import random
import struct
from typing import Any

import pytest
from botocore.exceptions import ClientError
from helpers import distributed_map, machine, object_reader, offline_runtime, put_text, run, succeeded, task_state

from bedrock_batch.offline import errors
from bedrock_batch.offline.definition import StateMachineDefinition
from bedrock_batch.offline.errors import DefinitionError
from bedrock_batch.offline.json_text import compact_bytes, compact_utf8, compact_utf8_items, json_bytes, loads
from bedrock_batch.offline.jsonata_functions import Functions206
from bedrock_batch.offline.payloads import payload_size

_CHARACTERS = [chr(i) for i in range(0x80)] + ["é", "ß", "€", "\u2028", "\u2029", "\U0001f600", "\ufeff", "\x85",
                                                "\u00a0", "\ud800", "\udfff"]


def _reference(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(_CHARACTERS) for _ in range(rng.randint(0, 10)))


def _value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return _text(rng)
    if kind == 1:
        return rng.choice([True, False, None])
    if kind == 2:
        return rng.choice([0, -1, 2**53, 2**63 - 1, -(2**63), 2**64 - 1, 2**64, -(2**63) - 1, 10**30,
                           rng.randint(-10**12, 10**12)])
    if kind == 3:
        return struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0]  # any double, NaN and infinities too
    if kind == 4:
        return rng.random() * 10 ** rng.randint(-12, 25) * rng.choice([1, -1])
    if kind == 5:
        return rng.choice([1e-05, 1e-07, 0.0001, -0.0, 0.5, 1e16, 1e21, 5e-324, float("nan"), float("inf")])
    if kind == 6:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if kind == 7:
        return tuple(_value(rng, depth + 1) for _ in range(rng.randint(0, 3)))
    return {_text(rng): _value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def test_where_orjson_answers_it_writes_the_json_modules_bytes():
    rng = random.Random(13)
    answered = 0
    for _ in range(20_000):
        value = _value(rng)
        data = compact_utf8(value)
        if data is not None:
            answered += 1
            assert data == _reference(value), value
    assert answered > 10_000  # the fast path is the usual one, not the exception


@pytest.mark.parametrize("value", [1e-05, -3.5e-05, 1e-07, 6.647435216084674e-08, [1, {"a": 5e-324}],
                                   float("nan"), float("inf"), {"x": -float("inf")}, 2**64, -(2**63) - 1,
                                   {1: "a"}, {None: 1}, "\ud800", ["a" * 3, "\udfff"]])
def test_where_orjson_writes_otherwise_or_refuses_the_json_module_measures(value):
    assert compact_utf8(value) is None
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    try:
        expected = len(text.encode())
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 text, as before orjson
        with pytest.raises(UnicodeEncodeError):
            payload_size(value)
    else:
        assert payload_size(value) == expected


def test_deep_nesting_and_cycles_are_the_json_modules_to_answer():
    deep: list[Any] = []
    inner = deep
    for _ in range(300):  # past orjson's 254 levels, well inside Python's recursion limit
        inner.append([])
        inner = inner[0]
    assert compact_utf8(deep) is None
    assert payload_size(deep) == len(_reference(deep))
    cycle: list[Any] = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="Circular reference"):
        payload_size(cycle)


def test_text_that_only_looks_like_a_small_float_is_still_measured_right():
    for value in ["1e-5 is small", "0.00001", "null", {"note": "re-enter, e-mail, 3e-2"}]:
        assert payload_size(value) == len(_reference(value))
    hyphens = "we re-enter the free-form one-off text " * 40  # far more "e-" than are looked at one by one
    assert compact_utf8([hyphens, 1.5]) is not None
    # "x3e-1" beside a float: the searches run, and take the string's "3e-1" for one.
    for late in ([hyphens, 2.5e-07], [hyphens, "x3e-1", 1.5], {"a": hyphens, "b": [hyphens, 7e-300]}):
        assert compact_utf8(late) is None
        assert payload_size(late) == len(_reference(late))


def test_a_value_without_floats_is_orjsons_text_whatever_its_strings_hold():
    """Service quotas (a payload is its compact JSON in UTF-8): a value of strings, integers, booleans and None,
    in lists, tuples and dicts, is written by orjson even when its strings hold what the searches for floats look
    for ("null", "0.0000", a digit, "e-" and a digit) if its values are few enough to look at (``_walk_budget``),
    and orjson's bytes are the json module's."""
    for value in ["null", "0.00001 and 1e-5", ["x3e-1", None, 2**63 - 1, -(2**63), True], ("0.0000", "null"),
                  {"row": {"a": "1e-7", "b": "null"}, "index": 12, "ok": False, "none": None},
                  [[[{"deep": ["3e-2"]}]]], {}, [], ""]:
        data = compact_utf8(value)
        assert data is not None, value
        assert data == _reference(value)


@pytest.mark.parametrize("value", [[1e-05], {"a": ["null", {"b": 1e-07}]}, ("x", float("nan")),
                                   {"a": "fine", "b": float("-inf")}])
def test_a_float_anywhere_still_takes_the_searches(value):
    """The same quota: a float below 1e-4 or a NaN or an infinity, at any depth, is the json module's to write."""
    assert compact_utf8(value) is None
    assert payload_size(value) == len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def test_subclasses_and_other_types_are_left_to_the_searches():
    """A subclass of str, list or dict is not looked into: the searches decide, as before (a subclass's text is
    orjson's where the searches find no float)."""

    class Text(str):
        pass

    class Items(list):
        pass

    assert compact_utf8([Text("plain")]) == _reference(["plain"])
    assert compact_utf8(Items(["null"])) is None  # the searches see "null" and leave it to the json module
    assert payload_size(Items(["null"])) == len(_reference(["null"]))


def test_items_text_is_each_items_compact_text_or_none():
    """Service quotas: an array's items measured one by one (for the ResultWriter that writes them one by one) give
    each item's compact_utf8 text, one after another; None where compact_utf8 answers None for any item (or where
    the searches over all the texts raise a false alarm, a "null" beside a float), so the json module measures
    the array."""
    rng = random.Random(17)
    taken = 0
    for _ in range(5_000):
        items = [_value(rng) for _ in range(rng.randint(0, 5))]
        answers = [compact_utf8(item) for item in items]
        got = compact_utf8_items(items)
        if any(answer is None for answer in answers):
            assert got is None, items
            continue
        if got is None:
            continue
        taken += 1
        block, lengths = got
        assert bytes(block) == b"".join(answers) and lengths == [len(a) for a in answers]  # type: ignore[arg-type]
    assert taken > 500


def test_string_of_objects_is_json_stringify_compact_text():
    """jsonata-js ``$string``: JSON.stringify without indentation; for objects of strings, booleans, nulls and
    integers that is the json module's compact text, escapes included."""
    rng = random.Random(5)
    for _ in range(2_000):
        row = {_text(rng): rng.choice([_text(rng), True, None, rng.randint(-10**9, 10**9)]) for _ in range(4)}
        try:
            expected = json.dumps(row, separators=(",", ":"), ensure_ascii=False)
            expected.encode()
        except UnicodeEncodeError:
            continue
        assert Functions206.string(row, False) == expected
    assert Functions206.string({"a": "\ud800"}, False) == '{"a":"\ud800"}'  # the json module's text, surrogate kept


def test_json_bytes_is_valid_json_of_the_value_even_where_orjson_refuses():
    for value in [{"a": 1.5e-07, "b": [2**70, -0.0]}, {"t": "W\u00f6rter \ud800"}, {"x": 0.1}]:
        parsed = json.loads(json_bytes(value))
        assert json.dumps(parsed) == json.dumps(value)
    assert math.isclose(json.loads(json_bytes({"f": 1e-05}))["f"], 1e-05)


# -- reading: JSON as RFC 8259 defines it -------------------------------------------------------------------------
# Python's json module accepts NaN, Infinity and -Infinity, which JSON does not: where Step Functions reads a JSON
# text, a text that holds them is refused as any text that is not JSON is (stricter reading; docs/fidelity.md).
NOT_JSON = ['{"score": NaN}', '[1, Infinity]', '{"low": -Infinity}', "NaN"]


@pytest.mark.parametrize("text", NOT_JSON)
def test_nan_and_infinities_are_not_json(text):
    with pytest.raises(json.JSONDecodeError, match="is not a JSON value"):
        loads(text)
    with pytest.raises(json.JSONDecodeError):
        loads(text.encode())


def test_text_that_only_names_them_is_json():
    assert loads('{"note": "NaN, Infinity", "n": 1}') == {"note": "NaN, Infinity", "n": 1}


class _Text(str):
    pass


@pytest.mark.parametrize("text", ['{"a": [1, 2.5, "x"]}', b'{"a": 1}', bytearray(b"[1]"), '{"a": 1}'.encode("utf-16"),
                                  b"\xef\xbb\xbf{}", "\ufeff{}", '{"a": 1} x', "", b"\xff", 5,
                                  _Text('{"a": [1]}'), _Text("\ufeff{}")])
def test_otherwise_it_reads_as_json_loads_does(text):
    """Everything but the three constants is json.loads' answer: values, bytes in any UTF encoding, errors (a str
    subclass too, which loads tests apart from a str)."""
    try:
        expected: Any = json.loads(text)
    except Exception as err:  # the same kind of error is the point
        with pytest.raises(type(err)):
            loads(text)
    else:
        assert loads(text) == expected


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same types, keys in the same order, floats to the bit."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return struct.pack("d", a) == struct.pack("d", b)
    return a == b


def _mangle(text: str, rng: random.Random) -> str:
    at = rng.randrange(len(text) + 1)
    return text[:at] + rng.choice(['"', "\\", "\\u", "\\ud800", "\\udc00", ",", "]", "}", "{", "[", "1", "e9",
                                   "-", ".", " ", "\n", "\t", "\x00", "\ud800", "99999999999999999999", "NaN",
                                   "\ufeff", "tru", "null"]) + text[at:]


def test_where_orjson_reads_a_text_the_value_is_json_loads_value():
    """RFC 8259 as the json module reads it (the reference): a text read by orjson gives the very value, types and
    key order included; a text it reads otherwise or refuses gives json.loads' value or its kind of error. On
    generated values, their texts with spaces and duplicate keys, and mangled texts."""
    rng = random.Random(29)
    for _ in range(20_000):
        value = _value(rng)
        try:
            text = json.dumps(value, ensure_ascii=rng.random() < 0.3, allow_nan=True)
        except (ValueError, TypeError):
            continue
        if rng.random() < 0.2:
            text = text.replace("{", '{"dup": 1, ', 1).replace(': ', ':', 1)
        if rng.random() < 0.5:
            text = _mangle(text, rng)
        try:
            expected: Any = json.loads(text)
        except (ValueError, RecursionError) as err:
            with pytest.raises(type(err)):
                loads(text)
            continue
        if any(c in text for c in ("NaN", "Infinity")):
            continue  # refused on purpose (above)
        assert _same(loads(text), expected), text


@pytest.mark.parametrize("text", ['"\\ud800"', "18446744073709551616", "-9223372036854775809", "1e400",
                                  "[" * 70 + "]" * 70, '{"a": [0.5, 18446744073709551616]}', '"\\udc00\\ud800"'])
def test_what_orjson_refuses_or_reads_otherwise_is_json_loads_value(text):
    """The same rule: escaped lone surrogates, integers past 64 bits (orjson reads a float), numbers past a float's
    range (the json module reads infinity) and deep nesting are read by the json module."""
    assert _same(loads(text), json.loads(text))


def test_deeper_than_the_stack_allows_is_the_json_modules_recursion_error():
    """Nesting deeper than the interpreter's stack: the json module's RecursionError, as before orjson, though
    orjson reads up to 1,024 levels."""
    import sys

    text = "[" * (sys.getrecursionlimit() + 10) + "]" * (sys.getrecursionlimit() + 10)
    with pytest.raises(RecursionError):
        loads(text)


@pytest.fixture
def rt():
    with offline_runtime() as runtime:
        yield runtime


def test_start_execution_refuses_nan_input(rt):
    """API Reference, StartExecution: an input that is not JSON is InvalidExecutionInput."""
    arn = rt.create_state_machine("echo", machine({"Echo": {"Type": "Pass", "End": True}})).arn
    with pytest.raises(ClientError) as info:
        rt.service("stepfunctions").start_execution(stateMachineArn=arn, input='{"score": NaN}')
    assert info.value.response["Error"]["Code"] == "InvalidExecutionInput"
    assert "NaN is not a JSON value" in info.value.response["Error"]["Message"]


def test_start_execution_task_refuses_an_input_text_that_is_not_json(rt):
    """Developer Guide, connect-stepfunctions: the optimized startExecution passes a string Input to the API, which
    refuses text that is not JSON (InvalidExecutionInput, as StepFunctions.<Name>Exception)."""
    child = rt.create_state_machine("child", machine({"Echo": {"Type": "Pass", "End": True}})).arn
    caller = machine({
        "Start": task_state("arn:aws:states:::states:startExecution",
                            {"StateMachineArn": child, "Input": '{"score": Infinity}'},
                            Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Error name"}]),
        "Error name": {"Type": "Pass", "Output": "{% $states.input.Error %}", "End": True},
    })
    assert succeeded(run(rt, caller)) == "StepFunctions.InvalidExecutionInputException"


def test_jsonl_item_reader_refuses_a_nan_line(rt):
    """Developer Guide, input-output-itemreader: each line of a JSONL file is a JSON value; concepts-error-handling:
    a source that cannot be read is States.ItemReaderFailed."""
    put_text(rt, "scores.jsonl", '{"score": 1}\n{"score": NaN}\n')
    execution = run(rt, machine({"Read items": distributed_map(ItemReader=object_reader("scores.jsonl", "JSONL"))}))
    assert execution.status == "FAILED"
    assert execution.error == "States.ItemReaderFailed"
    assert "line 2 is not JSON" in execution.cause


def test_parse_refuses_nan(rt):
    """Developer Guide, transforming-data: $parse deserialises JSON text; NaN is not JSON."""
    execution = run(rt, machine({"Parse": {"Type": "Pass", "Output": "{% $parse('{\"a\": NaN}') %}", "End": True}}))
    assert execution.status == "FAILED"
    assert execution.error == errors.QUERY_EVALUATION_ERROR


def test_a_definition_holding_nan_is_not_json():
    """API Reference, CreateStateMachine: the definition is JSON (InvalidDefinition otherwise)."""
    with pytest.raises(DefinitionError, match="not valid JSON"):
        StateMachineDefinition.from_json('{"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": NaN}}}')


def test_where_a_constant_stands_is_reported_past_strings_that_name_it():
    text = '{"s": "a,NaN", "v": NaN}'
    with pytest.raises(json.JSONDecodeError) as info:
        loads(text)
    assert info.value.pos == text.rindex("NaN")


def test_send_task_success_refuses_nan_output(rt):
    """API Reference, SendTaskSuccess, error InvalidOutput: "the provided JSON output data is not valid"."""
    with pytest.raises(ClientError) as info:
        rt.service("stepfunctions").send_task_success(taskToken="any-token", output='{"score": NaN}')
    assert info.value.response["Error"]["Code"] == "InvalidOutput"


def test_a_function_result_holding_nan_fails_the_task(rt):
    """The Python Lambda runtime writes a NaN into the response as ``NaN``, which is not JSON; Step Functions reads
    a Lambda's payload as JSON (Developer Guide, connect-lambda). What AWS then reports is not documented: offline
    the task fails with States.Runtime (the stricter reading, docs/fidelity.md)."""
    rt.register_lambda("score", lambda event, _context: {"score": float("nan")})
    execution = run(rt, machine({"Score": task_state("arn:aws:states:::lambda:invoke", {"FunctionName": "score"})}))
    assert execution.status == "FAILED"
    assert execution.error == "States.Runtime" and "NaN is not a JSON value" in execution.cause


def test_invoke_model_refuses_a_nan_body(rt):
    """Bedrock API Reference, InvokeModel, ValidationException: a body that is not JSON is a malformed request."""
    body = b'{"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10, "temperature": NaN, "messages": []}'
    with pytest.raises(ClientError) as info:
        rt.service("bedrock-runtime").invoke_model(modelId="anthropic.claude-3-haiku-20240307-v1:0", body=body)
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert "not valid JSON" in info.value.response["Error"]["Message"]


def test_a_batch_record_holding_nan_fails_validation(bedrock_env):
    """ModelInvocationJobStatus Validating: "each individual record is a JSON object in the correct format"; a
    line holding NaN is not JSON."""
    sim = bedrock_env.sim()
    body = "".join(f'{{"recordId": "r{i}", "modelInput": {{"prompt": "x"}}}}\n' for i in range(100))
    body += '{"recordId": "r100", "modelInput": {"prompt": "x", "temperature": NaN}}\n'
    bedrock_env.s3.put_object(Bucket="bedrock-in", Key="input/a.jsonl", Body=body.encode())
    job = bedrock_env.finish(sim, bedrock_env.create(sim))
    assert job["status"] == "Failed" and "Line 101" in job["message"]


def test_many_short_values_past_the_walks_budget_are_written_as_the_json_module_writes_them():
    """Service quotas (a payload is its compact JSON in UTF-8): a value of more short strings than the walk looks
    at (``_walk_budget``: one value per 64 bytes of text) is left to the searches for floats, which take its
    "null" strings for null; its bytes are then the json module's, the same as orjson's would have been."""
    value = [{"a": "null", "b": "1e-7", "c": ""} for _ in range(500)]
    assert compact_utf8(value) is None
    assert compact_bytes(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    assert compact_utf8(value, floats=False) == compact_bytes(value)
