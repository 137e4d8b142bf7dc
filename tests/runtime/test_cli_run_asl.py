"""``bedrock-batch run-asl``: one definition run offline, one JSON object printed (status, output, error, cause),
the fields of DescribeExecution (API Reference) that tell how an execution ended."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _run_asl(tmp_path: Path, definition: dict | str, *args: str) -> tuple[int, dict]:
    path = tmp_path / "machine.asl.json"
    path.write_text(definition if isinstance(definition, str) else json.dumps(definition))
    functions = tmp_path / "no-functions"
    functions.mkdir(exist_ok=True)
    completed = subprocess.run(
        [sys.executable, "-m", "bedrock_batch.cli", "run-asl", str(path), "--functions-dir", str(functions), *args],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, completed.stdout + completed.stderr  # exactly one JSON object
    return completed.returncode, json.loads(lines[0])


def _machine(states: dict) -> dict:
    return {"QueryLanguage": "JSONata", "StartAt": next(iter(states)), "States": states}


def test_prints_one_json_object_for_a_successful_run(tmp_path):
    """API Reference, DescribeExecution: a finished execution has a status SUCCEEDED and an output."""
    code, result = _run_asl(tmp_path, _machine({
        "Double": {"Type": "Pass", "Output": {"n": "{% $states.input.n * 2 %}"}, "End": True}}), "--input", '{"n": 21}')
    assert code == 0
    assert result == {"status": "SUCCEEDED", "output": {"n": 42}, "error": None, "cause": None}


def test_failed_run_reports_error_and_cause(tmp_path):
    """Developer Guide, state-fail: the execution fails with the Fail state's Error and Cause."""
    code, result = _run_asl(tmp_path, _machine({
        "Stop": {"Type": "Fail", "Error": "Demo.Failed", "Cause": "{% 'bad ' & $states.input.what %}"}}),
        "--input", '{"what": "input"}')
    assert code != 0
    assert result == {"status": "FAILED", "output": None, "error": "Demo.Failed", "cause": "bad input"}


def test_input_file(tmp_path):
    """API Reference, StartExecution: the input is a JSON document (here read from --input-file)."""
    input_file = tmp_path / "input.json"
    input_file.write_text(json.dumps({"items": [1, 2, 3]}))
    _, result = _run_asl(tmp_path, _machine({
        "Sum": {"Type": "Pass", "Output": "{% $sum($states.input.items) %}", "End": True}}),
        "--input-file", str(input_file))
    assert result["status"] == "SUCCEEDED"
    assert result["output"] == 6


def test_s3_fixture_is_loaded_before_the_run(tmp_path):
    """Developer Guide, connect-s3: s3:getObject reads an object; --s3-fixture uploads <bucket>/<key> files first."""
    fixture = tmp_path / "fixture"
    (fixture / "demo-bucket" / "input").mkdir(parents=True)
    (fixture / "demo-bucket" / "input" / "records.json").write_text('{"records": 3}')
    _, result = _run_asl(tmp_path, _machine({
        "Read": {"Type": "Task", "Resource": "arn:aws:states:::s3:getObject",
                 "Arguments": {"Bucket": "demo-bucket", "Key": "input/records.json"},
                 "Output": "{% $parse($states.result.Body) %}", "End": True}}),
        "--s3-fixture", str(fixture))
    assert result == {"status": "SUCCEEDED", "output": {"records": 3}, "error": None, "cause": None}


def test_invalid_definition_fails_naming_the_state(tmp_path):
    """API Reference, CreateStateMachine: an invalid definition is refused with a message naming the problem."""
    code, result = _run_asl(tmp_path, _machine({"Start here": {"Type": "Pass", "Next": "Nowhere"}}))
    assert code != 0
    assert result["status"] == "FAILED"
    assert "Start here" in result["cause"]
    assert "Nowhere" in result["cause"]


def test_jsonpath_definition_fails_naming_the_state(tmp_path):
    """Developer Guide, transforming-data: without QueryLanguage a definition is JSONPath, which is refused."""
    _, result = _run_asl(tmp_path, {"StartAt": "Legacy", "States": {"Legacy": {"Type": "Pass", "End": True}}})
    assert result["status"] == "FAILED"
    assert "Legacy" in result["cause"]


@pytest.mark.parametrize("bad_input", ["{not json", "[1, 2"])
def test_input_that_is_not_json_fails(tmp_path, bad_input):
    """API Reference, StartExecution: the input must be valid JSON."""
    code, result = _run_asl(tmp_path, _machine({"P": {"Type": "Pass", "End": True}}), "--input", bad_input)
    assert code != 0
    assert result["status"] == "FAILED"


def test_wait_runs_on_virtual_time(tmp_path):
    """Developer Guide, state-wait: a day-long Wait finishes at once offline (the runtime's clock is virtual)."""
    started = time.perf_counter()
    _, result = _run_asl(tmp_path, _machine({"Pause": {"Type": "Wait", "Seconds": 86400, "End": True}}))
    assert result["status"] == "SUCCEEDED"
    assert time.perf_counter() - started < 60


def test_console_script_prints_the_same_object(tmp_path):
    """API Reference, DescribeExecution: the installed ``bedrock-batch`` script reports status and output too."""
    script = Path(sys.executable).parent / "bedrock-batch"
    if not script.exists():
        pytest.skip("the bedrock-batch console script is not installed in this environment")
    path = tmp_path / "machine.asl.json"
    path.write_text(json.dumps(_machine({"Echo": {"Type": "Pass", "End": True}})))
    completed = subprocess.run([str(script), "run-asl", str(path), "--input", '{"a": 1}',
                                "--functions-dir", str(tmp_path)],
                               capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert json.loads(completed.stdout) == {"status": "SUCCEEDED", "output": {"a": 1}, "error": None, "cause": None}


def test_an_undefined_value_is_reported_with_aws_error_name_and_cause(tmp_path):
    """Recorded AWS executions (facts.md): States.QueryEvaluationError, the state prefix, the expression and the
    field path."""
    code, result = _run_asl(tmp_path, _machine({
        "Start the push": {"Type": "Pass", "Output": {"Input": {"pushLocation": "{% $states.input.pushLocation %}"}},
                           "End": True}}), "--input", "{}")
    assert code != 0
    assert result["status"] == "FAILED" and result["error"] == "States.QueryEvaluationError"
    assert result["cause"] == (
        "An error occurred while executing the state 'Start the push' (entered at the event id #2). The JSONata "
        "expression '$states.input.pushLocation' specified for the field 'Output/Input/pushLocation' returned "
        "nothing (undefined).")


def test_a_fail_state_with_only_an_error_reports_no_cause(tmp_path):
    """Recorded AWS executions: a Fail state with only Error leaves the cause out (not "")."""
    code, result = _run_asl(tmp_path, _machine({"Stop": {"Type": "Fail", "Error": "Only.Error"}}))
    assert code != 0
    assert result == {"status": "FAILED", "output": None, "error": "Only.Error", "cause": None}
