"""Starting executions from a Task: ``arn:aws:states:::states:startExecution`` (Developer Guide,
connect-stepfunctions, connect-to-resource)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from helpers import machine, offline_runtime, run, succeeded

from bedrock_batch.offline.errors import DefinitionError
from bedrock_batch.offline.runtime import Runtime

START = "arn:aws:states:::states:startExecution"


@pytest.fixture
def rt() -> Iterator[Runtime]:
    with offline_runtime() as runtime:
        yield runtime


def child_machine(rt: Runtime, name: str = "child", wait_seconds: int = 0, fail: bool = False) -> str:
    """A Standard state machine that waits, then echoes ``{"got": <input>}`` or fails."""
    states: dict = {"Pause": {"Type": "Wait", "Seconds": wait_seconds, "Next": "Finish"}}
    states["Finish"] = ({"Type": "Fail", "Error": "Child.Broken", "Cause": "on purpose"} if fail
                        else {"Type": "Pass", "Output": {"got": "{% $states.input %}"}, "End": True})
    return rt.create_state_machine(name, machine(states)).arn


def starter(child_arn: str, pattern: str = "", **arguments) -> dict:
    return machine({"Start child": {"Type": "Task", "Resource": START + pattern, "End": True,
                                    "Arguments": {"StateMachineArn": child_arn, **arguments}}})


def test_request_response_returns_at_once_with_the_execution_arn(rt: Runtime) -> None:
    """Developer Guide, connect-stepfunctions: without a suffix the task returns ExecutionArn and StartDate as soon
    as the child starts, without waiting for it."""
    child = child_machine(rt, wait_seconds=3600)
    parent = run(rt, starter(child, Input={"n": 1}))
    output = succeeded(parent)
    assert set(output) >= {"ExecutionArn", "StartDate"}
    started = rt.executions[output["ExecutionArn"]]
    assert started.input == {"n": 1}
    assert started.status == "SUCCEEDED" and started.stop is not None and parent.stop is not None
    assert parent.stop < started.stop  # the parent finished while the child was still waiting


def test_sync_waits_and_returns_output_as_a_json_string(rt: Runtime) -> None:
    """Developer Guide, connect-stepfunctions: .sync waits for the child and returns the DescribeExecution
    response, in which Output is a JSON string."""
    child = child_machine(rt, wait_seconds=600)
    output = succeeded(run(rt, starter(child, ".sync", Input={"n": 2})))
    assert output["Status"] == "SUCCEEDED"
    assert isinstance(output["Output"], str)
    assert json.loads(output["Output"]) == {"got": {"n": 2}}
    assert output["StateMachineArn"] == child
    assert output["ExecutionArn"].startswith(child.replace(":stateMachine:", ":execution:") + ":")


def test_sync2_returns_output_as_json(rt: Runtime) -> None:
    """Developer Guide, connect-stepfunctions: .sync:2 returns the DescribeExecution response with Output parsed as
    JSON."""
    child = child_machine(rt)
    output = succeeded(run(rt, starter(child, ".sync:2", Input={"n": 3})))
    assert output["Status"] == "SUCCEEDED"
    assert output["Output"] == {"got": {"n": 3}}


def test_sync_child_failure_fails_the_task_with_task_failed(rt: Runtime) -> None:
    """Developer Guide, connect-stepfunctions: if the child fails, a .sync task fails with States.TaskFailed."""
    child = child_machine(rt, fail=True)
    for pattern in (".sync", ".sync:2"):
        execution = run(rt, starter(child, pattern))
        assert execution.status == "FAILED"
        assert execution.error == "States.TaskFailed"


def test_request_response_ignores_the_child_outcome(rt: Runtime) -> None:
    """Developer Guide, connect-to-resource: with request-response the task succeeds once the execution is
    started, whatever the child does later."""
    child = child_machine(rt, fail=True)
    assert run(rt, starter(child)).status == "SUCCEEDED"


def test_input_and_name_reach_the_child(rt: Runtime) -> None:
    """Developer Guide, connect-stepfunctions: Input (JSON or a JSON string) becomes the child's input and Name its
    execution name."""
    child = child_machine(rt)
    output = succeeded(run(rt, starter(child, ".sync:2", Input='{"from": "text"}', Name="named-child-1")))
    assert output["Name"] == "named-child-1"
    assert output["Input"] == {"from": "text"}
    assert output["Output"] == {"got": {"from": "text"}}


def test_same_name_for_a_closed_execution_is_already_exists(rt: Runtime) -> None:
    """Developer Guide, connect-stepfunctions and API StartExecution: a name already used by a closed execution is
    refused with ExecutionAlreadyExists, surfaced as StepFunctions.ExecutionAlreadyExistsException."""
    child = child_machine(rt)
    succeeded(run(rt, starter(child, ".sync", Input={"n": 1}, Name="only-once")))
    again = run(rt, starter(child, ".sync", Input={"n": 1}, Name="only-once"))
    assert again.status == "FAILED"
    assert again.error == "StepFunctions.ExecutionAlreadyExistsException"


def test_unknown_state_machine_is_named(rt: Runtime) -> None:
    """Developer Guide, connect-stepfunctions: starting a state machine that does not exist fails with
    StepFunctions.StateMachineDoesNotExistException."""
    execution = run(rt, starter(rt.machine_arn("nowhere")))
    assert execution.error == "StepFunctions.StateMachineDoesNotExistException"


def test_express_workflow_refuses_sync(rt: Runtime) -> None:
    """Developer Guide, connect-to-resource: Express workflows do not support .sync (run a job)."""
    with pytest.raises(DefinitionError, match="sync"):
        rt.create_state_machine("express-starter", starter(rt.machine_arn("child"), ".sync"), "EXPRESS")


def test_start_execution_is_counted(rt: Runtime) -> None:
    """Developer Guide, connect-stepfunctions: each task makes one StartExecution call, which the runtime counts."""
    child = child_machine(rt)
    succeeded(run(rt, starter(child, ".sync")))
    assert rt.counters.api_calls["stepfunctions:StartExecution"] == 1
    assert rt.counters.executions["STANDARD"] == 2
