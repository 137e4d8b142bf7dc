"""Plain helpers for the runtime conformance tests: definitions, S3 objects and runs.

Each test module wraps ``offline_runtime()`` in a local fixture; everything here is a plain function so a test
reads as the definition it runs and the facts it checks.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto import mock_aws

from bedrock_batch.offline import moto_speedups
from bedrock_batch.offline.execution import Execution
from bedrock_batch.offline.runtime import Runtime, RuntimeConfig

START_TIME = 1_767_225_600.0  # 2026-01-01T00:00:00Z
BUCKET = "conformance-data"
GET_OBJECT = "arn:aws:states:::s3:getObject"
LIST_OBJECTS = "arn:aws:states:::s3:listObjectsV2"
PUT_OBJECT = "arn:aws:states:::s3:putObject"

_names = itertools.count(1)


def both_ways(monkeypatch: Any, scenario: Any, patched: Any = lambda: None) -> dict[str, Any]:
    """``scenario()``'s answers under moto's own code and under moto_speedups' patches (``patched()`` checks they are
    in place), each on fresh moto state: the referee of every patch (same answers)."""
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


@contextmanager
def offline_runtime(**config: Any) -> Iterator[Runtime]:
    """A runtime on a virtual clock with moto serving S3, DynamoDB, SQS and EventBridge; ``BUCKET`` exists."""
    with mock_aws():
        runtime = Runtime(RuntimeConfig(start_time=START_TIME, **config))
        runtime.client("s3").create_bucket(Bucket=BUCKET)
        try:
            yield runtime
        finally:
            runtime.close()


# -- definitions -----------------------------------------------------------------------------------------------
def machine(states: dict[str, Any], start_at: str | None = None, **fields: Any) -> dict[str, Any]:
    """A JSONata state machine; StartAt defaults to the first state."""
    return {"QueryLanguage": "JSONata", "StartAt": start_at or next(iter(states)), "States": states, **fields}


def task_state(resource: str, arguments: Any, **fields: Any) -> dict[str, Any]:
    """A Task state calling ``resource`` with ``arguments``; it ends the machine unless ``fields`` give a Next."""
    state = {"Type": "Task", "Resource": resource, "Arguments": arguments, **fields}
    if "Next" not in state:
        state["End"] = True
    return state


def processor(states: dict[str, Any] | None = None, execution_type: str = "STANDARD",
              start_at: str | None = None) -> dict[str, Any]:
    """A Distributed Map ItemProcessor; a single Pass state by default."""
    states = states or {"Echo item": {"Type": "Pass", "End": True}}
    return {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type},
            "StartAt": start_at or next(iter(states)), "States": states}


def distributed_map(item_processor: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A Distributed Map state that ends the machine unless ``Next`` is given."""
    state: dict[str, Any] = {"Type": "Map", "ItemProcessor": item_processor or processor(), **fields}
    if "Next" not in state:
        state["End"] = True
    return state


def object_reader(key: str, input_type: str, bucket: str = BUCKET, **reader_config: Any) -> dict[str, Any]:
    """An ItemReader over one S3 object; ``MaxItems``, ``CSVDelimiter`` ... go into ReaderConfig."""
    return {"Resource": GET_OBJECT, "ReaderConfig": {"InputType": input_type, **reader_config},
            "Arguments": {"Bucket": bucket, "Key": key}}


def s3_writer(prefix: str = "results", transformation: str | None = None, output_type: str | None = None,
              bucket: str = BUCKET) -> dict[str, Any]:
    writer: dict[str, Any] = {"Resource": PUT_OBJECT, "Arguments": {"Bucket": bucket, "Prefix": prefix}}
    config = {k: v for k, v in (("Transformation", transformation), ("OutputType", output_type)) if v}
    if config:
        writer["WriterConfig"] = config
    return writer


def fail_when(condition: str, error: str = "Item.Rejected") -> dict[str, Any]:
    """ItemProcessor states that fail a child when ``condition`` holds for its input, else pass it on."""
    return {
        "Check item": {"Type": "Choice", "Choices": [{"Condition": condition, "Next": "Reject item"}],
                       "Default": "Accept item"},
        "Reject item": {"Type": "Fail", "Error": error, "Cause": "rejected by the test"},
        "Accept item": {"Type": "Pass", "End": True},
    }


# -- running ---------------------------------------------------------------------------------------------------
def run(runtime: Runtime, definition: dict[str, Any], input_: Any = None, type_: str = "STANDARD") -> Execution:
    """Create a state machine with a fresh name and run one execution until everything settles."""
    created = runtime.create_state_machine(f"conformance-{next(_names)}", definition, type_)
    return runtime.run(created.arn, input_ if input_ is not None else {})


def succeeded(execution: Execution) -> Any:
    """The output of an execution that must have succeeded (the error is shown otherwise)."""
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    return execution.output


def history_types(runtime: Runtime, execution: Execution) -> list[str]:
    return [event["type"] for event in runtime.get_execution_history(execution.arn)]


# -- S3 --------------------------------------------------------------------------------------------------------
def put_text(runtime: Runtime, key: str, body: str | bytes, bucket: str = BUCKET) -> None:
    runtime.client("s3").put_object(Bucket=bucket, Key=key, Body=body.encode() if isinstance(body, str) else body)


def put_jsonl(runtime: Runtime, key: str, rows: list[Any], bucket: str = BUCKET) -> None:
    put_text(runtime, key, "".join(json.dumps(row) + "\n" for row in rows), bucket)


def get_text(runtime: Runtime, key: str, bucket: str = BUCKET) -> str:
    return runtime.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()


def get_json(runtime: Runtime, key: str, bucket: str = BUCKET) -> Any:
    return json.loads(get_text(runtime, key, bucket))


def get_jsonl(runtime: Runtime, key: str, bucket: str = BUCKET) -> list[Any]:
    return [json.loads(line) for line in get_text(runtime, key, bucket).splitlines() if line.strip()]


def list_keys(runtime: Runtime, prefix: str = "", bucket: str = BUCKET) -> list[str]:
    paginator = runtime.client("s3").get_paginator("list_objects_v2")
    return sorted(obj["Key"] for page in paginator.paginate(Bucket=bucket, Prefix=prefix)
                  for obj in page.get("Contents", []))


def csv_text(header: list[str] | None, rows: list[list[str]], delimiter: str = ",") -> str:
    lines = ([header] if header else []) + rows
    return "".join(delimiter.join(line) + "\n" for line in lines)
