"""ResultWriter: exporting a Distributed Map's child results to S3 (Developer Guide, input-output-resultwriter)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import (
    BUCKET,
    PUT_OBJECT,
    distributed_map,
    fail_when,
    get_json,
    get_jsonl,
    list_keys,
    machine,
    object_reader,
    offline_runtime,
    processor,
    put_jsonl,
    run,
    s3_writer,
    succeeded,
)

from bedrock_batch.offline.errors import DefinitionError
from bedrock_batch.offline.runtime import Runtime

ORDERS = [[{"customer_id": "145538", "order_id": "100000"}, {"customer_id": "898037", "order_id": "100001"}],
          [{"customer_id": "169881", "order_id": "100005"}]]


@pytest.fixture
def rt() -> Iterator[Runtime]:
    with offline_runtime() as runtime:
        yield runtime


def export(rt: Runtime, items: list[Any], writer: dict[str, Any], **map_fields: Any) -> dict[str, Any]:
    """Run a map whose children echo their input (``items``, or an ItemReader's), exporting with ``writer``;
    returns the state output."""
    return succeeded(run(rt, machine({"Export": distributed_map(ResultWriter=writer, **map_fields)}), items))


def run_folder(output: dict[str, Any]) -> str:
    """``<Prefix>/<map run id>/`` from the state output."""
    return output["ResultWriterDetails"]["Key"].rsplit("/", 1)[0] + "/"


def test_state_output_is_the_map_run_arn_and_the_manifest_location(rt: Runtime) -> None:
    """Developer Guide, input-output-resultwriter: when results are exported the state returns
    ``{MapRunArn, ResultWriterDetails: {Bucket, Key}}``, Key being ``<Prefix>/<map run id>/manifest.json``."""
    output = export(rt, [1, 2], s3_writer("csvProcessJobs"), Label="Map")
    assert set(output) == {"MapRunArn", "ResultWriterDetails"}
    run_id = output["MapRunArn"].rsplit(":", 1)[1]
    assert output["MapRunArn"].endswith(f"/Map:{run_id}")
    assert output["ResultWriterDetails"] == {"Bucket": BUCKET, "Key": f"csvProcessJobs/{run_id}/manifest.json"}


def test_files_go_under_prefix_and_map_run_id(rt: Runtime) -> None:
    """Developer Guide, input-output-resultwriter: Step Functions writes manifest.json and SUCCEEDED_n.json (n from
    0) under the prefix and the map run id; with no failure there is no FAILED file."""
    output = export(rt, [1, 2, 3], s3_writer("jobs"))
    folder = run_folder(output)
    assert list_keys(rt, "jobs/") == [f"{folder}SUCCEEDED_0.json", f"{folder}manifest.json"]


def test_manifest_lists_the_result_files(rt: Runtime) -> None:
    """Developer Guide, input-output-resultwriter: manifest.json holds the Map Run metadata: the export location,
    the Map Run ARN and the result files, each with its Key and Size."""
    output = export(rt, [1, 2, 3], s3_writer("jobs"))
    manifest = get_json(rt, output["ResultWriterDetails"]["Key"])
    assert manifest["DestinationBucket"] == BUCKET
    assert manifest["MapRunArn"] == output["MapRunArn"]
    [entry] = manifest["ResultFiles"]["SUCCEEDED"]
    assert entry["Key"] == f"{run_folder(output)}SUCCEEDED_0.json"
    head = rt.client("s3").head_object(Bucket=BUCKET, Key=entry["Key"])
    assert entry["Size"] == head["ContentLength"]
    assert manifest["ResultFiles"].get("FAILED", []) == []


def test_none_is_the_default_and_keeps_execution_metadata(rt: Runtime) -> None:
    """Developer Guide, input-output-resultwriter: Transformation NONE (the default when exporting without
    WriterConfig) keeps each child's output with its metadata; Input and Output are JSON strings."""
    output = export(rt, ORDERS, s3_writer("jobs"))
    entries = get_json(rt, f"{run_folder(output)}SUCCEEDED_0.json")
    assert len(entries) == 2
    for entry, order in zip(entries, ORDERS, strict=True):
        assert {"ExecutionArn", "Input", "InputDetails", "Name", "Output", "OutputDetails", "RedriveCount",
                "RedriveStatus", "RedriveStatusReason", "StartDate", "StateMachineArn", "Status",
                "StopDate"} <= set(entry)
        assert entry["Status"] == "SUCCEEDED"
        assert json.loads(entry["Output"]) == order and json.loads(entry["Input"]) == order
        assert entry["InputDetails"] == {"Included": True} and entry["OutputDetails"] == {"Included": True}
        assert entry["RedriveCount"] == 0 and entry["RedriveStatus"] == "NOT_REDRIVABLE"
        assert entry["StartDate"].endswith("Z") and entry["StopDate"].endswith("Z")


def test_child_arns_carry_the_map_run_label(rt: Runtime) -> None:
    """Developer Guide, input-output-resultwriter and state-map-distributed: a child's state machine ARN is
    ``<state machine ARN>/<label>`` and its execution ARN ``...:execution:<state machine>/<label>:<name>``."""
    output = export(rt, [1], s3_writer("jobs"), Label="getOrders")
    [entry] = get_json(rt, f"{run_folder(output)}SUCCEEDED_0.json")
    parent = rt.machine_arn(output["MapRunArn"].split(":mapRun:")[1].split("/")[0])
    assert entry["StateMachineArn"] == f"{parent}/getOrders"
    expected = parent.replace(":stateMachine:", ":execution:") + f"/getOrders:{entry['Name']}"
    assert entry["ExecutionArn"] == expected


def test_compact_keeps_outputs_only(rt: Runtime) -> None:
    """Developer Guide, input-output-resultwriter: COMPACT returns the outputs of the children, keeping each
    output's own array structure."""
    output = export(rt, ORDERS, s3_writer("jobs", "COMPACT"))
    assert get_json(rt, f"{run_folder(output)}SUCCEEDED_0.json") == ORDERS


def test_flatten_flattens_array_outputs(rt: Runtime) -> None:
    """Developer Guide, input-output-resultwriter: FLATTEN flattens the arrays the children return into one array
    before writing."""
    output = export(rt, ORDERS, s3_writer("jobs", "FLATTEN"))
    assert get_json(rt, f"{run_folder(output)}SUCCEEDED_0.json") == ORDERS[0] + ORDERS[1]


def test_jsonl_output_writes_one_result_per_line(rt: Runtime) -> None:
    """Developer Guide, input-output-resultwriter: OutputType JSONL formats the results as JSON Lines."""
    output = export(rt, ORDERS, s3_writer("jobs", "FLATTEN", "JSONL"))
    [key] = [k for k in list_keys(rt, run_folder(output)) if "SUCCEEDED_0" in k]
    assert get_jsonl(rt, key) == ORDERS[0] + ORDERS[1]
    body = rt.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    assert len(body.splitlines()) == 3


def test_jsonl_result_file_extension_follows_runtime_config() -> None:
    """Developer Guide, input-output-resultwriter: result files are SUCCEEDED_n; the extension of JSONL files is
    not documented, so it is RuntimeConfig.jsonl_result_extension (facts: reportedly ".json")."""
    for extension in (".jsonl", ".json"):
        with offline_runtime(jsonl_result_extension=extension) as rt:
            output = export(rt, [1, 2], s3_writer("jobs", "COMPACT", "JSONL"))
            folder = run_folder(output)
            assert f"{folder}SUCCEEDED_0{extension}" in list_keys(rt, folder)
            manifest = get_json(rt, output["ResultWriterDetails"]["Key"])
            assert manifest["ResultFiles"]["SUCCEEDED"][0]["Key"] == f"{folder}SUCCEEDED_0{extension}"


def test_json_output_is_one_array(rt: Runtime) -> None:
    """Developer Guide, input-output-resultwriter: OutputType JSON formats the results as a JSON array."""
    output = export(rt, [{"a": 1}, {"a": 2}], s3_writer("jobs", "COMPACT", "JSON"))
    assert get_json(rt, f"{run_folder(output)}SUCCEEDED_0.json") == [{"a": 1}, {"a": 2}]


def test_writer_config_alone_transforms_the_state_output(rt: Runtime) -> None:
    """Developer Guide, input-output-resultwriter: with only WriterConfig nothing is exported; the transformed
    results are the state's output, passed to the next state."""
    output = export(rt, ORDERS, {"WriterConfig": {"Transformation": "FLATTEN", "OutputType": "JSON"}})
    assert output == ORDERS[0] + ORDERS[1]
    assert list_keys(rt) == []


def test_failed_child_keeps_the_none_shape_in_the_failed_file(rt: Runtime) -> None:
    """Developer Guide, input-output-resultwriter: failed children go to FAILED_n.json, and a failed child's result
    stays as with NONE (with Error and Cause) whatever the Transformation."""
    definition = machine({"Export": distributed_map(
        processor(fail_when("{% $states.input = 'bad' %}")), ToleratedFailureCount=1,
        ResultWriter=s3_writer("jobs", "COMPACT"))})
    output = succeeded(run(rt, definition, ["good", "bad", "fine"]))
    folder = run_folder(output)
    assert get_json(rt, f"{folder}SUCCEEDED_0.json") == ["good", "fine"]
    [failed] = get_json(rt, f"{folder}FAILED_0.json")
    assert failed["Status"] == "FAILED"
    assert (failed["Error"], failed["Cause"]) == ("Item.Rejected", "rejected by the test")
    assert json.loads(failed["Input"]) == "bad"
    assert "ExecutionArn" in failed and "StateMachineArn" in failed
    manifest = get_json(rt, output["ResultWriterDetails"]["Key"])
    assert [f["Key"] for f in manifest["ResultFiles"]["FAILED"]] == [f"{folder}FAILED_0.json"]


def test_missing_bucket_fails_with_result_writer_failed(rt: Runtime) -> None:
    """Developer Guide, input-output-resultwriter: if Step Functions cannot write to the bucket the execution fails
    with States.ResultWriterFailed, which a Catch can handle."""
    definition = machine({
        "Export": distributed_map(ResultWriter=s3_writer("jobs", bucket="no-such-bucket-here"), Next="Done",
                                  Catch=[{"ErrorEquals": ["States.ResultWriterFailed"], "Next": "Report"}]),
        "Done": {"Type": "Succeed"},
        "Report": {"Type": "Pass", "Output": "{% $states.input.Error %}", "End": True},
    })
    assert succeeded(run(rt, definition, [1])) == "States.ResultWriterFailed"


def test_writer_arguments_are_jsonata(rt: Runtime) -> None:
    """Developer Guide, input-output-resultwriter: in JSONata states Arguments replaces Parameters, and its values
    can be expressions."""
    writer = {"Resource": PUT_OBJECT, "Arguments": {"Bucket": "{% $states.input.bucket %}",
                                                    "Prefix": "{% 'runs/' & $states.input.day %}"}}
    definition = machine({"Export": distributed_map(ResultWriter=writer, Items="{% $states.input.items %}")})
    output = succeeded(run(rt, definition, {"bucket": BUCKET, "day": "d1", "items": [1]}))
    assert output["ResultWriterDetails"]["Key"].startswith("runs/d1/")


def test_large_results_split_into_numbered_files() -> None:
    """Developer Guide, input-output-resultwriter: when a result file would pass the size limit (5 GB on AWS,
    RuntimeConfig.result_file_max_bytes here) the rest goes to SUCCEEDED_1.json and so on."""
    with offline_runtime(result_file_max_bytes=200) as rt:
        items = [{"n": i, "pad": "p" * 40} for i in range(12)]
        output = export(rt, items, s3_writer("jobs", "COMPACT"))
        manifest = get_json(rt, output["ResultWriterDetails"]["Key"])
        keys = [f["Key"] for f in manifest["ResultFiles"]["SUCCEEDED"]]
        assert len(keys) > 1
        assert keys == [f"{run_folder(output)}SUCCEEDED_{n}.json" for n in range(len(keys))]
        assert [row for key in keys for row in get_json(rt, key)] == items


def test_export_avoids_the_payload_limit_that_fails_an_unexported_map(rt: Runtime) -> None:
    """Developer Guide, input-output-resultwriter: without export, an output over 256 KiB fails the execution with
    States.DataLimitExceeded; exporting the results to S3 avoids it."""
    put_jsonl(rt, "big.jsonl", [{"n": i, "text": "t" * 1000} for i in range(300)])
    reader = object_reader("big.jsonl", "JSONL")
    unexported = run(rt, machine({"Each": distributed_map(ItemReader=reader)}))
    assert unexported.status == "FAILED" and unexported.error == "States.DataLimitExceeded"
    output = export(rt, [], s3_writer("big", "COMPACT"), ItemReader=reader)
    assert len(get_json(rt, f"{run_folder(output)}SUCCEEDED_0.json")) == 300


def test_result_writer_field_combinations(rt: Runtime) -> None:
    """Developer Guide, input-output-resultwriter: ResultWriter cannot be empty; it needs WriterConfig, or
    Resource with Arguments, or all three."""
    for writer in ({}, {"Resource": PUT_OBJECT}, {"Arguments": {"Bucket": BUCKET, "Prefix": "p"}}):
        with pytest.raises(DefinitionError, match="ResultWriter"):
            rt.create_state_machine("bad-writer", machine({"Export": distributed_map(ResultWriter=writer)}))


def _mixed_children(count: int) -> list[dict[str, Any]]:
    """Items whose children wait a few seconds (so they end out of item order), then fail or return ``out``:
    arrays of 0 to 3 values (some over a kilobyte, so that the spool passes 1 MiB and goes to disk), or a
    non-array value."""
    items = []
    for n in range(count):
        out: Any = [{"n": n, "k": k, "text": "é\"x\\" * (500 * (n % 3))} for k in range(n % 4)]
        if n % 5 == 1:
            out = {"n": n, "single": True}
        items.append({"n": n, "wait": (count - n) % 7, "fail": n % 9 == 4, "out": out})
    return items


@pytest.mark.parametrize("transformation", ["NONE", "COMPACT", "FLATTEN"])
@pytest.mark.parametrize("output_type", ["JSON", "JSONL"])
def test_result_files_hold_every_child_in_item_order(transformation: str, output_type: str) -> None:
    """Developer Guide, input-output-resultwriter: with children ending in any order, failing or not, each result
    file holds its status group in item order (a FLATTENed array's values in their order, an empty array adding
    nothing), as compact JSON, split into numbered files at the size limit without splitting a value."""
    items = _mixed_children(240)
    states = {
        "Wait": {"Type": "Wait", "Seconds": "{% $states.input.wait %}", "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.fail %}", "Next": "Reject"}],
                  "Default": "Answer"},
        "Reject": {"Type": "Fail", "Error": "Item.Rejected", "Cause": "rejected by the test"},
        "Answer": {"Type": "Pass", "Output": "{% $states.input.out %}", "End": True},
    }
    with offline_runtime(result_file_max_bytes=100_000) as rt:
        put_jsonl(rt, "mixed.jsonl", items)
        output = export(rt, [], s3_writer("jobs", transformation, output_type), ItemProcessor=processor(states),
                        ItemReader=object_reader("mixed.jsonl", "JSONL"), ToleratedFailurePercentage=100)
        manifest = get_json(rt, output["ResultWriterDetails"]["Key"])
        s3 = rt.client("s3")

        def landed(status: str) -> list[bytes]:
            return [s3.get_object(Bucket=BUCKET, Key=f["Key"])["Body"].read() for f in manifest["ResultFiles"][status]]

        succeeded_files, failed_files = landed("SUCCEEDED"), landed("FAILED")
    assert len(succeeded_files) > 1 and failed_files and manifest["ResultFiles"]["PENDING"] == []

    def values(files: list[bytes]) -> list[Any]:
        if output_type == "JSONL":
            return [json.loads(line) for body in files for line in body.decode().splitlines()]
        return [value for body in files for value in json.loads(body)]

    def compact(value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()

    for files in (succeeded_files, failed_files):
        for body in files:  # compact JSON, each file whole: an array, or one value a line
            assert len(body) <= 100_000
            if output_type == "JSONL":
                assert body.endswith(b"\n") and all(compact(json.loads(line)) == line for line in body.splitlines())
            else:
                assert body == compact(json.loads(body))
    failed = values(failed_files)
    assert [json.loads(entry["Input"])["n"] for entry in failed] == [i["n"] for i in items if i["fail"]]
    assert {entry["Status"] for entry in failed} == {"FAILED"}
    done = [i for i in items if not i["fail"]]
    if transformation == "NONE":
        entries = values(succeeded_files)
        assert [json.loads(entry["Input"])["n"] for entry in entries] == [i["n"] for i in done]
        assert [json.loads(entry["Output"]) for entry in entries] == [i["out"] for i in done]
    elif transformation == "COMPACT":
        assert values(succeeded_files) == [i["out"] for i in done]
    else:
        expected = [v for i in done for v in (i["out"] if isinstance(i["out"], list) else [i["out"]])]
        assert values(succeeded_files) == expected
