"""Payload sizes measured once: the ItemBatcher's batch sizes are exact, the ResultWriter serialises each value once.

The payload limit (service quotas, 256 KiB) counts a payload's compact JSON in UTF-8 bytes. A batch's size comes
from the sizes the batcher measured for its items, so the child execution does not serialise its input again; the
ResultWriter writes the same bytes as serialising the whole file would.
"""

from __future__ import annotations

import json
import re

import pytest
from botocore.exceptions import ClientError
from helpers import (
    BUCKET,
    distributed_map,
    machine,
    object_reader,
    offline_runtime,
    processor,
    put_jsonl,
    run,
    s3_writer,
    succeeded,
    task_state,
)

from bedrock_batch.offline import errors
from bedrock_batch.offline.distributed import item_batcher, result_writer
from bedrock_batch.offline.json_text import json_bytes
from bedrock_batch.offline.payloads import bounded_payload_size, check_payload, measured_text, payload_size

ITEMS = [
    {"index": 0, "row": {"text": "plain ascii", "n": 1}},
    {"index": 1, "row": {"text": "Brûlée, 日本語 and 🙂", "n": 2.5}},
    {"index": 2, "row": {"text": "quotes \" and \\ and \n newlines", "n": None}},
    "a string item",
    12345,
    [1, [2, {"k": "v"}]],
]


def _exact(value) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


@pytest.mark.parametrize("batch_input", [None, {"runId": "r", "label": "é"}, "text", 0])
@pytest.mark.parametrize("max_items", [1, 2, 4, None])
def test_batch_sizes_are_exact(batch_input, max_items) -> None:
    batches = list(item_batcher.sized_batches(ITEMS * 3, max_items, 400, batch_input))
    assert [b for b, _ in batches] == list(item_batcher.batches(ITEMS * 3, max_items, 400, batch_input))
    for batch, size in batches:
        assert size == _exact(batch) == payload_size(batch)
        assert size <= 400


def test_payload_size_counts_utf8_bytes() -> None:
    for value in [*ITEMS, ITEMS, {"k": "é" * 10}, "🙂", None]:
        assert payload_size(value) == _exact(value)


def test_payload_size_measures_what_json_dumps_writes_and_refuses_what_it_refuses() -> None:
    """Sizes are byte-exact (compact UTF-8 JSON, as AWS counts payloads), measured with the C encoder built directly
    (payloads.py): every kind of value json.dumps writes, refusals with json.dumps's own errors."""
    values = [float("nan"), float("inf"), -float("inf"), -0.0, 1e300, 0.1, 10**40, True, None, (1, "t"),
              {3: "int key", 2.5: "float key", False: "bool key", None: "none key"}, {"b": 1, "a": [{}, []]}, "🙂\x00"]
    for value in values:
        assert payload_size(value) == _exact(value)
    cyclic: list = []
    cyclic.append(cyclic)
    for refused in (object(), {"k": {1, 2}}, {(1, 2): "tuple key"}, cyclic):
        with pytest.raises((TypeError, ValueError)) as expected:
            _exact(refused)
        with pytest.raises(type(expected.value), match=re.escape(str(expected.value))):
            payload_size(refused)
        assert payload_size({"after": [refused is cyclic]}) == _exact({"after": [refused is cyclic]})
    # The containers a refused value was refused inside are measured again as themselves, not taken for a cycle.
    inner = [1]
    outer = {"list": inner, "bad": object()}
    for _ in range(2):
        with pytest.raises(TypeError):
            payload_size(outer)
    del outer["bad"]
    assert payload_size(outer) == _exact(outer) and payload_size([outer, inner]) == _exact([outer, inner])


def test_a_measured_size_is_trusted() -> None:
    check_payload({"small": True}, "x", size=10)
    with pytest.raises(Exception, match="over the"):
        check_payload({"small": True}, "x", size=300_000)


def _old_chunks(values, output_type, max_bytes):
    """The ResultWriter before it serialised each value once (in compact JSON, as it writes now)."""
    def encode(vs):
        if output_type == "JSONL":
            return "".join(json.dumps(v, ensure_ascii=False, separators=(",", ":")) + "\n" for v in vs).encode()
        return json.dumps(vs, ensure_ascii=False, separators=(",", ":")).encode()

    files, current, size = [], [], 0
    for v in values:
        v_size = len(json.dumps(v, ensure_ascii=False, separators=(",", ":")).encode()) + 1
        if current and size + v_size > max_bytes:
            files.append(encode(current))
            current, size = [], 0
        current.append(v)
        size += v_size
    if current:
        files.append(encode(current))
    return files


@pytest.mark.parametrize("output_type", ["JSON", "JSONL"])
@pytest.mark.parametrize("max_bytes", [1, 60, 200, 10**9])
def test_result_files_are_the_same_bytes(output_type, max_bytes) -> None:
    values = ITEMS * 5
    assert result_writer._chunks(values, output_type, max_bytes) == _old_chunks(values, output_type, max_bytes)


# -- where the limit applies (Developer Guide, service-quotas: "Maximum input or output size for a task, state, or
# execution: 256 KiB of data as a UTF-8 encoded string"); States.DataLimitExceeded is terminal (concepts-error-
# handling: States.ALL does not catch it) --------------------------------------------------------------------------
BIG = 300_000  # characters: over the 262,144-byte limit
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
CATCH_ALL = [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]
CAUGHT = {"Caught": {"Type": "Pass", "End": True}}
RESULT_CAUSE = "returned a result with a size exceeding the maximum number of bytes service limit."


@pytest.fixture
def rt():
    with offline_runtime() as runtime:
        runtime.register_lambda("big", lambda event, _ctx: "x" * event.get("n", BIG))
        yield runtime


def _failed(execution, cause_part: str) -> None:
    assert (execution.status, execution.error) == ("FAILED", "States.DataLimitExceeded"), execution.cause
    assert cause_part in execution.cause


def test_bounded_size_is_exact_under_the_limit_and_stops_over_it() -> None:
    for value in [[], [1], ITEMS, "text", {"k": ITEMS}]:
        assert bounded_payload_size(value) == payload_size(value)
    huge = ["y" * 1000] * 10_000
    assert errors.MAX_PAYLOAD_BYTES < bounded_payload_size(huge) < errors.MAX_PAYLOAD_BYTES + 1100


def test_task_arguments_are_limited_before_the_call(rt) -> None:
    """service-quotas: a Task's input (its Arguments, what the service receives) is at most 256 KiB; the call is
    not made, and a Catch on States.ALL does not catch the error."""
    calls = []
    rt.register_lambda("spy", lambda event, _ctx: calls.append(event))
    execution = run(rt, machine({"Call": task_state(LAMBDA_INVOKE, {"FunctionName": "spy", "Payload": {
        "pad": f"{{% $pad('', {BIG}, 'x') %}}"}}, Next="Caught", Catch=CATCH_ALL), **CAUGHT}))
    _failed(execution, "the arguments of state 'Call'")
    assert calls == []


def test_a_task_result_is_limited_even_when_output_shrinks_it(rt) -> None:
    """service-quotas: a task's result is at most 256 KiB, before Output; the cause is the one AWS gives
    ("The state/task '<name>' returned a result with a size exceeding the maximum number of bytes service limit.",
    recorded in public issue threads)."""
    execution = run(rt, machine({"Call": task_state(LAMBDA_INVOKE, {"FunctionName": "big"},
                                                    Output="{% $length($states.result.Payload) %}")}))
    _failed(execution, f"The state/task 'Call' {RESULT_CAUSE}")
    small = run(rt, machine({"Call": task_state(LAMBDA_INVOKE, {"FunctionName": "big", "Payload": {"n": 1000}},
                                                Output="{% $length($states.result.Payload) %}")}))
    assert succeeded(small) == 1000


def test_a_catcher_output_is_limited(rt) -> None:
    """service-quotas: a Catch's Output is the next state's input, limited like any state output."""
    execution = run(rt, machine({
        "Try": {"Type": "Parallel", "Branches": [machine({"Boom": {"Type": "Fail", "Error": "Boom"}})],
                "Catch": [{"ErrorEquals": ["Boom"], "Output": f"{{% $pad('', {BIG}, 'x') %}}", "Next": "Caught"}],
                "End": True},
        **CAUGHT}))
    _failed(execution, "the output of state 'Try'")


def test_an_inline_map_result_and_iteration_inputs_are_limited(rt) -> None:
    """state-map-inline and service-quotas: the Map's result (the array of iteration outputs) is limited before
    Output; each iteration's input, as ItemSelector shapes it, is a state input and limited too."""
    pad = {"Type": "Pass", "Output": "{% $pad('', 100000, 'x') %}", "End": True}
    result = run(rt, machine({"Each": {"Type": "Map", "Items": [1, 2, 3], "ItemProcessor": machine({"Pad": pad}),
                                       "Output": "{% $count($states.result) %}", "End": True}}))
    _failed(result, f"The state/task 'Each' {RESULT_CAUSE}")
    selected = run(rt, machine({"Each": {"Type": "Map", "Items": [1], "End": True,
                                         "ItemSelector": f"{{% $pad('', {BIG}, 'x') %}}",
                                         "ItemProcessor": machine({"Noop": {"Type": "Pass", "End": True}})}}))
    _failed(selected, "the input of iteration 0 of state 'Each'")


def test_a_parallel_result_is_limited(rt) -> None:
    """service-quotas: a Parallel's result (the array of branch outputs) is limited before Output."""
    branch = machine({"Pad": {"Type": "Pass", "Output": "{% $pad('', 150000, 'x') %}", "End": True}})
    execution = run(rt, machine({"Both": {"Type": "Parallel", "Branches": [branch, branch],
                                          "Output": "{% $count($states.result) %}", "End": True}}))
    _failed(execution, f"The state/task 'Both' {RESULT_CAUSE}")


def test_a_distributed_map_result_is_limited_unless_written_to_s3(rt) -> None:
    """state-map-distributed, input-output-resultwriter: without a ResultWriter the child outputs come back as the
    state's result, limited to 256 KiB; with one, the result is the small manifest reference."""
    child = processor({"Pad": {"Type": "Pass", "Output": "{% $pad('', 100000, 'x') %}", "End": True}})
    inline = run(rt, machine({"Each": distributed_map(child, Items=[1, 2, 3],
                                                      Output="{% $count($states.result) %}")}))
    _failed(inline, f"The state/task 'Each' {RESULT_CAUSE}")
    written = run(rt, machine({"Each": distributed_map(child, Items=[1, 2, 3], ResultWriter=s3_writer())}))
    assert succeeded(written)["ResultWriterDetails"]["Bucket"] == BUCKET


def test_a_child_input_over_the_limit_fails_the_distributed_map(rt) -> None:
    """service-quotas (execution input) and state-map-distributed: a child execution's input over 256 KiB (here
    a row read from S3) fails the Map state with States.DataLimitExceeded; it is no tolerated child failure."""
    put_jsonl(rt, "rows.jsonl", [{"text": "small"}, {"text": "x" * BIG}])
    execution = run(rt, machine({"Each": distributed_map(ItemReader=object_reader("rows.jsonl", "JSONL"),
                                                         ToleratedFailurePercentage=100)}))
    _failed(execution, "the input of child execution 1 of state 'Each'")


def test_the_api_refuses_over_limit_output_and_input(rt) -> None:
    """API Reference, SendTaskSuccess ``output`` and StartExecution ``input``: at most 262,144 (the service model's
    length constraint); a longer value is refused with ValidationException, as AWS refuses any member that fails
    a constraint. Measured in UTF-8 bytes (service-quotas counts bytes), the stricter reading."""
    api = rt.service("stepfunctions")
    over = json.dumps("é" * 140_000)  # 140,002 characters, 280,002 bytes
    with pytest.raises(ClientError) as info:
        api.send_task_success(taskToken="any", output=over)
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert "Value at 'output' failed to satisfy constraint" in info.value.response["Error"]["Message"]
    arn = rt.create_state_machine("limited", machine({"Noop": {"Type": "Pass", "End": True}})).arn
    with pytest.raises(ClientError) as info:
        api.start_execution(stateMachineArn=arn, input=over)
    assert info.value.response["Error"]["Code"] == "ValidationException"


def test_a_size_passed_on_belongs_to_the_value_it_was_measured_for(rt) -> None:
    """service-quotas: every state output is limited. A Choice and an Assign-only Pass pass their input on, whose
    size was measured as the previous output (or as the execution input); the first state that changes the value
    is measured anew, so doubling it past 256 KiB fails at that state and no earlier."""
    half = 150_000
    states = {
        "Route": {"Type": "Choice", "Choices": [{"Condition": "{% $length($states.input) = 0 %}", "Next": "Keep"}],
                  "Default": "Keep"},
        "Keep": {"Type": "Pass", "Assign": {"seen": "{% $length($states.input) %}"}, "Next": "Grow"},
        "Grow": {"Type": "Pass", "Output": "{% $states.input & $states.input %}", "End": True},
    }
    execution = run(rt, machine(states), "x" * half)
    _failed(execution, "the output of state 'Grow'")
    states["Grow"]["Output"] = "{% $substring($states.input, 0, $seen / 2) & $states.input %}"
    assert succeeded(run(rt, machine(states), "x" * half)) == "x" * (half + half // 2)


# -- a child's output measured from the text its map run's ResultWriter writes -----------------------------------
KEPT_VALUES = [ITEMS, [], [{"f": 1e-07}, "x"], [0.0, 0, 0, 0], {"not": "an array"}, "text", [["nested", [1]], None],
               [{"t": 0.2, "s": "null e-5"}] * 3, [2**64, "big"], (1, 2)]


@pytest.mark.parametrize("items", [True, False])
@pytest.mark.parametrize("value", KEPT_VALUES)
def test_a_measured_text_gives_the_exact_size_and_the_bytes_json_bytes_writes(value, items) -> None:
    """service-quotas: the size is the value's compact JSON in UTF-8, whichever text it is measured from; the text
    kept (each item's of an array, or the whole value's) is what the ResultWriter writes for it."""
    size, text = measured_text(value, items)
    assert size == _exact(value)
    if text is None:
        return
    assert text.value is value
    parts, start = [], 0
    for length in text.lengths:
        parts.append(bytes(text.block[start:start + length]))
        start += length
    assert start == len(text.block)
    per_item = items and isinstance(value, list)
    assert text.items == per_item
    assert parts == ([json_bytes(v) for v in value] if per_item else [json_bytes(value)])


@pytest.mark.parametrize("transformation", ["COMPACT", "FLATTEN"])
@pytest.mark.parametrize("output_type", ["JSON", "JSONL"])
def test_a_kept_text_writes_the_same_result_files(transformation, output_type) -> None:
    """input-output-resultwriter: a child's entry is the same bytes whether the spool writes it from the text the
    child kept or serialises it again; a text kept for another value (not the output) is not used."""
    outputs = [ITEMS, [], {"one": 1}, [{"small": 1e-07}], [[1, 2], "x"], "text"]
    with_text, without, stale = (result_writer.ResultSpool(transformation) for _ in range(3))
    try:
        for index, output in enumerate(outputs):
            _, text = measured_text(output, transformation == "FLATTEN")
            result = result_writer.ChildResult(index, "arn", "name", {}, "SUCCEEDED", output, output_text=text)
            with_text.add(result)
            without.add(result_writer.ChildResult(index, "arn", "name", {}, "SUCCEEDED", output))
            _, other = measured_text(json.loads(json.dumps(output)), transformation == "FLATTEN")  # equal, not it
            stale.add(result_writer.ChildResult(index, "arn", "name", {}, "SUCCEEDED", output, output_text=other))
        expected = list(without.texts("SUCCEEDED"))
        assert list(with_text.texts("SUCCEEDED")) == expected == list(stale.texts("SUCCEEDED"))
        files = list(result_writer._files(with_text.texts("SUCCEEDED"), output_type, 10**9))
        assert files == list(result_writer._files(without.texts("SUCCEEDED"), output_type, 10**9))
    finally:
        for spool in (with_text, without, stale):
            spool.close()


@pytest.mark.parametrize("transformation", ["COMPACT", "FLATTEN"])
def test_a_written_child_output_is_limited_to_the_byte(rt, transformation) -> None:
    """service-quotas: a child's output of exactly 262,144 bytes passes and one byte more fails the child with
    States.DataLimitExceeded, when its map run writes it with a ResultWriter (measured from the kept text)."""
    limit = errors.MAX_PAYLOAD_BYTES
    # ["x...x","y"]: the array's brackets, the two strings' quotes and the comma take 8 bytes
    child = processor({"Pad": {"Type": "Pass", "End": True,
                               "Output": "{% [$pad('', $states.input.n, 'x'), 'y'] %}"}})
    for n, status in ((limit - 8, "SUCCEEDED"), (limit - 7, "FAILED")):
        execution = run(rt, machine({"Each": distributed_map(child, Items=[{"n": n}], ToleratedFailurePercentage=100,
                                                             ResultWriter=s3_writer("out", transformation))}))
        details = succeeded(execution)["ResultWriterDetails"]
        manifest = json.loads(rt.client("s3").get_object(Bucket=BUCKET, Key=details["Key"])["Body"].read())
        assert [f for f in manifest["ResultFiles"][status]], (n, manifest)
        if status == "FAILED":
            entry = json.loads(rt.client("s3").get_object(
                Bucket=BUCKET, Key=manifest["ResultFiles"]["FAILED"][0]["Key"])["Body"].read())[0]
            assert entry["Error"] == errors.DATA_LIMIT_EXCEEDED
