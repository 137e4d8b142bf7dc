"""Invoking Lambda functions from a Task (Developer Guide, connect-lambda, connect-to-resource)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import machine, offline_runtime, run, succeeded, task_state

from bedrock_batch.offline.runtime import Runtime

INVOKE = "arn:aws:states:::lambda:invoke"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:{}"


class RecordRejected(Exception):
    """A function's own error type."""


@pytest.fixture
def rt() -> Iterator[Runtime]:
    with offline_runtime() as runtime:
        runtime.register_lambda("echo", lambda event, _context: {"received": event})
        yield runtime


def invoke(function: str, payload: Any = "{% $states.input %}", **fields: Any) -> dict[str, Any]:
    return task_state(INVOKE, {"FunctionName": function, "Payload": payload}, **fields)


def test_invoke_result_has_payload_status_code_and_version(rt: Runtime) -> None:
    """Developer Guide, connect-lambda: lambda:invoke returns the Invoke response: ExecutedVersion, the function's
    result as Payload, and StatusCode 200."""
    output = succeeded(run(rt, machine({"Call": invoke("echo")}), {"n": 1}))
    assert output["Payload"] == {"received": {"n": 1}}
    assert output["StatusCode"] == 200
    assert output["ExecutedVersion"] == "$LATEST"


def test_payload_arguments_are_evaluated(rt: Runtime) -> None:
    """Developer Guide, connect-lambda and transforming-data: the Payload argument may hold JSONata expressions;
    the function receives their values."""
    state = invoke("echo", {"record": "{% $states.input.id %}", "fixed": True},
                   Output="{% $states.result.Payload.received %}")
    assert succeeded(run(rt, machine({"Call": state}), {"id": "r-1"})) == {"record": "r-1", "fixed": True}


def test_function_arn_as_function_name(rt: Runtime) -> None:
    """Developer Guide, connect-lambda: FunctionName may be the function's name or its ARN."""
    output = succeeded(run(rt, machine({"Call": invoke(FUNCTION_ARN.format("echo"))}), {"n": 2}))
    assert output["Payload"] == {"received": {"n": 2}}


def test_function_arn_as_resource_returns_the_function_result(rt: Runtime) -> None:
    """Developer Guide, connect-lambda: with the function's ARN as the Task Resource, the task result is the
    function's own result (no Invoke response around it)."""
    definition = machine({"Call": {"Type": "Task", "Resource": FUNCTION_ARN.format("echo"),
                                   "Arguments": {"id": "{% $states.input.id %}"}, "End": True}})
    assert succeeded(run(rt, definition, {"id": "x"})) == {"received": {"id": "x"}}


def test_function_exception_is_named_by_its_type_with_a_json_cause(rt: Runtime) -> None:
    """Developer Guide, connect-lambda and concepts-error-handling: an unhandled function error fails the task with
    the error type as the error name, and a JSON cause holding errorMessage and errorType."""
    def reject(event: Any, _context: Any) -> Any:
        raise RecordRejected(f"record {event['id']} is malformed")

    rt.register_lambda("validate", reject)
    execution = run(rt, machine({"Call": invoke("validate")}), {"id": "r-9"})
    assert execution.status == "FAILED"
    assert execution.error == "RecordRejected"
    cause = json.loads(execution.cause)
    assert cause["errorType"] == "RecordRejected"
    assert cause["errorMessage"] == "record r-9 is malformed"


def test_function_exception_is_retried_and_caught_by_name(rt: Runtime) -> None:
    """Developer Guide, concepts-error-handling: Retry matches the function's error name, and a retry that
    succeeds gives the task's result."""
    calls = {"n": 0}

    def flaky(event: Any, _context: Any) -> Any:
        calls["n"] += 1
        if calls["n"] < 3:
            raise RecordRejected("not yet")
        return {"attempt": calls["n"]}

    rt.register_lambda("flaky", flaky)
    state = invoke("flaky", Output="{% $states.result.Payload %}",
                   Retry=[{"ErrorEquals": ["RecordRejected"], "MaxAttempts": 3, "IntervalSeconds": 1}])
    assert succeeded(run(rt, machine({"Call": state}))) == {"attempt": 3}
    assert rt.counters.lambda_invocations == 3


def test_unknown_function_is_resource_not_found(rt: Runtime) -> None:
    """Developer Guide, connect-lambda: invoking a function that does not exist fails with
    Lambda.ResourceNotFoundException."""
    definition = machine({
        "Call": invoke("missing", Catch=[{"ErrorEquals": ["Lambda.ResourceNotFoundException"], "Next": "Report"}],
                       Next="Done"),
        "Done": {"Type": "Succeed"},
        "Report": {"Type": "Pass", "Output": "{% $states.input.Error %}", "End": True},
    })
    assert succeeded(run(rt, definition)) == "Lambda.ResourceNotFoundException"


def test_task_failed_catches_function_errors(rt: Runtime) -> None:
    """Developer Guide, concepts-error-handling: States.TaskFailed matches any task failure except States.Timeout,
    a function's own error included."""
    rt.register_lambda("broken", lambda _event, _context: 1 / 0)
    definition = machine({
        "Call": invoke("broken", Catch=[{"ErrorEquals": ["States.TaskFailed"], "Next": "Report"}], Next="Done"),
        "Done": {"Type": "Succeed"},
        "Report": {"Type": "Pass", "Output": "{% $states.input.Error %}", "End": True},
    })
    assert succeeded(run(rt, definition)) == "ZeroDivisionError"


def test_wait_for_task_token_resumes_with_the_sent_output(rt: Runtime) -> None:
    """Developer Guide, connect-to-resource: with .waitForTaskToken the task pauses until SendTaskSuccess returns
    the token; the output sent is the task's result."""
    def hand_off(event: Any, _context: Any) -> Any:
        rt.send_task_success(event["token"], {"approved": event["id"]})
        return None

    rt.register_lambda("hand-off", hand_off)
    state = {"Type": "Task", "Resource": INVOKE + ".waitForTaskToken", "End": True,
             "Arguments": {"FunctionName": "hand-off",
                           "Payload": {"token": "{% $states.context.Task.Token %}", "id": "{% $states.input.id %}"}}}
    assert succeeded(run(rt, machine({"Approve": state}), {"id": "a-1"})) == {"approved": "a-1"}


def test_wait_for_task_token_failure_uses_the_sent_error(rt: Runtime) -> None:
    """Developer Guide, connect-to-resource: SendTaskFailure fails the waiting task with the error and cause that
    were sent."""
    rt.register_lambda("deny", lambda event, _c: rt.send_task_failure(event["token"], "Review.Denied", "too long"))
    state = {"Type": "Task", "Resource": INVOKE + ".waitForTaskToken", "End": True,
             "Arguments": {"FunctionName": "deny", "Payload": {"token": "{% $states.context.Task.Token %}"}}}
    execution = run(rt, machine({"Approve": state}))
    assert (execution.error, execution.cause) == ("Review.Denied", "too long")


def test_invocations_are_counted(rt: Runtime) -> None:
    """Developer Guide, connect-lambda: each lambda:invoke task invokes the function once; the runtime counts
    invocations."""
    definition = machine({"One": invoke("echo", Next="Two"), "Two": invoke("echo")})
    succeeded(run(rt, definition))
    assert rt.counters.lambda_invocations == 2
