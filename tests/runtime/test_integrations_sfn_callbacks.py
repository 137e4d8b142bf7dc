"""``aws-sdk:sfn:*`` from a workflow: callbacks (SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat) and
StartExecution / DescribeExecution / StopExecution reach the runtime itself, which offline *is* Step Functions
(Developer Guide, connect-to-resource "Wait for a Callback with Task Token", supported-services-awssdk;
API Reference, SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat, StartExecution, DescribeExecution,
StopExecution)."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError
from helpers import machine, offline_runtime, succeeded, task_state

from bedrock_batch.offline import errors
from bedrock_batch.offline.execution import Execution
from bedrock_batch.offline.runtime import Runtime

SDK = "arn:aws:states:::aws-sdk:"
TABLE = "callbacks"


@pytest.fixture
def rt() -> Iterator[Runtime]:
    with offline_runtime() as runtime:
        runtime.client("dynamodb").create_table(
            TableName=TABLE, KeySchema=[{"AttributeName": "jobId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "jobId", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
        yield runtime


def task(action: str, arguments: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return task_state(SDK + action, arguments, **fields)


def park(**fields: Any) -> dict[str, Any]:
    """A Task that stores its task token in DynamoDB under the input's job id and waits for the callback."""
    return task("dynamodb:updateItem.waitForTaskToken", {
        "TableName": TABLE, "Key": {"jobId": {"S": "{% $states.input.job %}"}},
        "UpdateExpression": "SET taskToken = :t",
        "ExpressionAttributeValues": {":t": {"S": "{% $states.context.Task.Token %}"}},
    }, **fields)


def waiter(**fields: Any) -> dict[str, Any]:
    """Workflow 1: park the token, and end with whatever the callback sent."""
    return machine({"Park": park(**fields)})


def read_token(next_state: str, after_seconds: int = 10) -> dict[str, Any]:
    """Workflow 2's first states: wait, then read the parked token into the state output."""
    return {
        "Let it park": {"Type": "Wait", "Seconds": after_seconds, "Next": "Read token"},
        "Read token": task("dynamodb:getItem", {"TableName": TABLE, "Key": {"jobId": {"S": "{% $states.input.job %}"}}},
                           Output="{% $states.result.Item.taskToken.S %}", Next=next_state),
    }


CATCH_ALL = [{"ErrorEquals": ["States.ALL"], "Next": "Error name"}]
ERROR_NAME = {"Error name": {"Type": "Pass", "Output": "{% $states.input.Error %}", "End": True}}


def run_pair(rt: Runtime, first: dict[str, Any], second: dict[str, Any],
             job: str = "j-1") -> tuple[Execution, Execution]:
    """Start both workflows on the same job and run the clock until everything settles."""
    a = rt.create_state_machine(f"waiter-{job}", first)
    b = rt.create_state_machine(f"resumer-{job}", second)
    ea = rt.start_execution(a.arn, {"job": job})
    eb = rt.start_execution(b.arn, {"job": job})
    rt.run_until_idle()
    return ea, eb


def test_send_task_success_from_a_workflow_resumes_the_waiting_task(rt: Runtime) -> None:
    """Developer Guide, connect-to-resource (Wait for a Callback with Task Token): a task with .waitForTaskToken
    pauses until SendTaskSuccess returns its token; API Reference, SendTaskSuccess: ``output`` is a JSON string and
    becomes the task's result. Here a second workflow sends it with aws-sdk:sfn:sendTaskSuccess."""
    resumer = machine({
        **read_token("Resume"),
        "Resume": task("sfn:sendTaskSuccess", {"TaskToken": "{% $states.input %}",
                                               "Output": "{% $string({'status': 'done', 'rows': 3}) %}"}),
    })
    first, second = run_pair(rt, waiter(), resumer)
    assert succeeded(first) == {"status": "done", "rows": 3}
    assert succeeded(second) == {}  # SendTaskSuccess has an empty result
    assert first.stop - first.start == 10
    assert rt.counters.api_calls["stepfunctions:SendTaskSuccess"] == 1
    assert rt.tokens.pending() == []


def test_callback_output_feeds_states_result(rt: Runtime) -> None:
    """Developer Guide, transforming-data: for a callback task, $states.result is the output sent with the token."""
    resumer = machine({**read_token("Resume"),
                       "Resume": task("sfn:sendTaskSuccess", {"TaskToken": "{% $states.input %}",
                                                              "Output": "{\"n\": 21}"})})
    first, _ = run_pair(rt, waiter(Output="{% $states.result.n * 2 %}"), resumer)
    assert succeeded(first) == 42


def test_send_task_failure_propagates_error_and_cause(rt: Runtime) -> None:
    """API Reference, SendTaskFailure: the waiting task fails with the ``error`` and ``cause`` sent with its token."""
    resumer = machine({**read_token("Reject"),
                       "Reject": task("sfn:sendTaskFailure", {"TaskToken": "{% $states.input %}",
                                                              "Error": "Job.Rejected", "Cause": "bad rows: 7"})})
    first, second = run_pair(rt, waiter(), resumer)
    assert first.status == "FAILED"
    assert (first.error, first.cause) == ("Job.Rejected", "bad rows: 7")
    assert succeeded(second) == {}
    assert "TaskFailed" in [e["type"] for e in rt.get_execution_history(first.arn)]


def test_send_task_failure_error_can_be_caught(rt: Runtime) -> None:
    """Developer Guide, concepts-error-handling: an error sent with SendTaskFailure is matched by Catch in the
    waiting workflow."""
    resumer = machine({**read_token("Reject"),
                       "Reject": task("sfn:sendTaskFailure", {"TaskToken": "{% $states.input %}",
                                                              "Error": "Job.Rejected", "Cause": "no"})})
    waiting = machine({"Park": park(Catch=[{"ErrorEquals": ["Job.Rejected"], "Next": "Error name"}]), **ERROR_NAME})
    first, _ = run_pair(rt, waiting, resumer)
    assert succeeded(first) == "Job.Rejected"


def test_stale_token_is_sfn_task_timed_out_and_catchable(rt: Runtime) -> None:
    """API Reference, SendTaskSuccess, error TaskTimedOut: "the task token has either expired or the task associated
    with the token has already been closed"; supported-services-awssdk: it surfaces as Sfn.TaskTimedOutException,
    which a Catch can handle. The waiting task times out (TimeoutSeconds 5) before the callback at 10 s."""
    waiting = machine({"Park": park(TimeoutSeconds=5, Catch=[{"ErrorEquals": ["States.Timeout"],
                                                              "Next": "Error name"}]), **ERROR_NAME})
    resumer = machine({**read_token("Resume"),
                       "Resume": task("sfn:sendTaskSuccess", {"TaskToken": "{% $states.input %}", "Output": "{}"},
                                      Catch=[{"ErrorEquals": ["Sfn.TaskTimedOutException"], "Next": "Error name"}]),
                       **ERROR_NAME})
    first, second = run_pair(rt, waiting, resumer)
    assert succeeded(first) == errors.TIMEOUT
    assert succeeded(second) == "Sfn.TaskTimedOutException"


def test_token_of_a_completed_task_is_task_timed_out(rt: Runtime) -> None:
    """API Reference, SendTaskSuccess and SendTaskHeartbeat: once the task is closed, its token answers TaskTimedOut
    (a second success, or a late heartbeat)."""
    resumer = machine({
        **read_token("Resume"),
        "Resume": task("sfn:sendTaskSuccess", {"TaskToken": "{% $states.input %}", "Output": "1"},
                       Output="{% $states.input %}", Next="Again"),
        "Again": task("sfn:sendTaskHeartbeat", {"TaskToken": "{% $states.input %}"}, Catch=CATCH_ALL),
        **ERROR_NAME,
    })
    first, second = run_pair(rt, waiter(), resumer)
    assert succeeded(first) == 1
    assert succeeded(second) == "Sfn.TaskTimedOutException"


def test_heartbeats_from_a_workflow_keep_the_task_alive(rt: Runtime) -> None:
    """API Reference, SendTaskHeartbeat: each heartbeat restarts the HeartbeatSeconds clock (Developer Guide,
    state-task); here three 20-second gaps outlast a 30-second heartbeat window only thanks to the heartbeats."""
    beat = {"TaskToken": "{% $states.input %}"}
    resumer = machine({
        **read_token("Beat 1", after_seconds=20),
        "Beat 1": task("sfn:sendTaskHeartbeat", beat, Output="{% $states.input %}", Next="Pause 1"),
        "Pause 1": {"Type": "Wait", "Seconds": 20, "Next": "Beat 2"},
        "Beat 2": task("sfn:sendTaskHeartbeat", beat, Output="{% $states.input %}", Next="Pause 2"),
        "Pause 2": {"Type": "Wait", "Seconds": 20, "Next": "Resume"},
        "Resume": task("sfn:sendTaskSuccess", {**beat, "Output": "{\"ok\": true}"}),
    })
    first, _ = run_pair(rt, waiter(HeartbeatSeconds=30, TimeoutSeconds=600), resumer)
    assert succeeded(first) == {"ok": True}
    assert first.stop - first.start == 60
    assert rt.counters.api_calls["stepfunctions:SendTaskHeartbeat"] == 2


def test_output_that_is_not_json_is_invalid_output_and_the_task_keeps_waiting(rt: Runtime) -> None:
    """API Reference, SendTaskSuccess, error InvalidOutput: "the provided JSON output data is not valid"; the
    token stays usable, so a corrected call resumes the task."""
    resumer = machine({
        **read_token("Bad output"),
        "Bad output": task("sfn:sendTaskSuccess", {"TaskToken": "{% $states.input %}", "Output": "{not json"},
                           Catch=[{"ErrorEquals": ["Sfn.InvalidOutputException"], "Output": "{% $states.input %}",
                                   "Next": "Good output"}]),
        "Good output": task("sfn:sendTaskSuccess", {"TaskToken": "{% $states.input %}", "Output": "\"fixed\""}),
    })
    first, second = run_pair(rt, waiter(TimeoutSeconds=100), resumer)
    assert succeeded(first) == "fixed"
    assert succeeded(second) == {}


@pytest.mark.parametrize(("token", "expected"), [
    ("not-a-task-token", "Sfn.InvalidTokenException"),
    (base64.urlsafe_b64encode(os.urandom(48)).decode(), "Sfn.TaskDoesNotExistException"),
])
def test_tokens_this_runtime_never_issued(rt: Runtime, token: str, expected: str) -> None:
    """API Reference, SendTaskSuccess, errors InvalidToken ("the provided token is not valid") and
    TaskDoesNotExist: a malformed token is InvalidToken; a well-formed one this runtime never issued (say, from an
    earlier run) is TaskDoesNotExist."""
    sender = machine({"Send": task("sfn:sendTaskSuccess", {"TaskToken": token, "Output": "{}"},
                                   Catch=CATCH_ALL), **ERROR_NAME})
    execution = rt.run(rt.create_state_machine("sender", sender).arn, {})
    assert succeeded(execution) == expected


def test_output_must_be_a_string_as_in_the_api(rt: Runtime) -> None:
    """API Reference, SendTaskSuccess: ``output`` is a String holding JSON; an object fails parameter validation
    (the boto3 client's ParamValidationError), named Sfn.ValidationException like other SDK validation errors."""
    sender = machine({"Send": task("sfn:sendTaskSuccess", {"TaskToken": "t", "Output": {"a": 1}},
                                   Catch=CATCH_ALL), **ERROR_NAME})
    assert succeeded(rt.run(rt.create_state_machine("sender", sender).arn, {})) == "Sfn.ValidationException"


def test_adapter_is_boto3_shaped(rt: Runtime) -> None:
    """API Reference, SendTaskSuccess/SendTaskFailure/SendTaskHeartbeat: the runtime's Step Functions API raises
    botocore ClientErrors with the API's codes, and ParamValidationError for missing members, as a client would."""
    api = rt.service("stepfunctions")
    with pytest.raises(ClientError) as info:
        api.send_task_failure(taskToken="garbage", error="E", cause="C")
    assert info.value.response["Error"]["Code"] == "InvalidToken"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ParamValidationError):
        api.send_task_success(taskToken="garbage")  # output is required
    with pytest.raises(ClientError) as info:
        api.send_task_success(taskToken="garbage", output="{")
    assert info.value.response["Error"]["Code"] == "InvalidOutput"


# -- StartExecution, DescribeExecution, StopExecution ----------------------------------------------------------
def child(rt: Runtime, name: str, states: dict[str, Any] | None = None) -> str:
    states = states or {"Double": {"Type": "Pass", "Output": {"twice": "{% $states.input.n * 2 %}"}, "End": True}}
    return rt.create_state_machine(name, machine(states)).arn


def test_start_then_describe_execution_through_aws_sdk_sfn(rt: Runtime) -> None:
    """API Reference, StartExecution (``input`` is a JSON string; returns executionArn and startDate) and
    DescribeExecution (status, and ``output`` as a JSON string once SUCCEEDED); supported-services-awssdk: results
    come back with PascalCase member names. The child runs in this runtime, not in moto."""
    arn = child(rt, "doubler")
    parent = machine({
        "Start": task("sfn:startExecution", {"StateMachineArn": arn, "Name": "double-21",
                                             "Input": "{% $string({'n': 21}) %}"},
                      Output="{% $states.result %}", Next="Later"),
        "Later": {"Type": "Wait", "Seconds": 5, "Next": "Describe"},
        "Describe": task("sfn:describeExecution", {"ExecutionArn": "{% $states.input.ExecutionArn %}"}),
    })
    execution = rt.run(rt.create_state_machine("parent", parent).arn, {})
    described = succeeded(execution)
    child_arn = arn.replace(":stateMachine:", ":execution:") + ":double-21"
    assert described["ExecutionArn"] == child_arn
    assert described["Status"] == "SUCCEEDED"
    assert json.loads(described["Output"]) == {"twice": 42}
    assert json.loads(described["Input"]) == {"n": 21}
    assert described["StartDate"].startswith("2026-01-01T00:00:00")
    assert rt.executions[child_arn].status == "SUCCEEDED"
    assert rt.counters.api_calls["stepfunctions:StartExecution"] == 1
    assert rt.counters.api_calls["stepfunctions:DescribeExecution"] == 1
    assert rt.client("stepfunctions").list_state_machines()["stateMachines"] == []  # moto never saw a thing


def test_stop_execution_aborts_with_error_and_cause(rt: Runtime) -> None:
    """API Reference, StopExecution: the execution becomes ABORTED, with the given ``error`` and ``cause``;
    DescribeExecution then shows them, and the stop date."""
    arn = child(rt, "sleeper", {"Sleep": {"Type": "Wait", "Seconds": 1000, "End": True}})
    parent = machine({
        "Start": task("sfn:startExecution", {"StateMachineArn": arn}, Output="{% $states.result %}", Next="Stop"),
        "Stop": task("sfn:stopExecution", {"ExecutionArn": "{% $states.input.ExecutionArn %}",
                                           "Error": "Operator.Cancelled", "Cause": "not needed"},
                     Output="{% $states.input %}", Next="Settle"),
        "Settle": {"Type": "Wait", "Seconds": 1, "Next": "Describe"},
        "Describe": task("sfn:describeExecution", {"ExecutionArn": "{% $states.input.ExecutionArn %}"}),
    })
    described = succeeded(rt.run(rt.create_state_machine("parent", parent).arn, {}))
    assert described["Status"] == "ABORTED"
    assert (described["Error"], described["Cause"]) == ("Operator.Cancelled", "not needed")
    assert "StopDate" in described
    assert rt.clock.monotonic() == 1  # the 1000-second Wait never finished


@pytest.mark.parametrize(("action", "arguments", "expected"), [
    ("sfn:startExecution", {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:nowhere"},
     "Sfn.StateMachineDoesNotExistException"),
    ("sfn:startExecution", {"StateMachineArn": "not-an-arn"}, "Sfn.InvalidArnException"),
    ("sfn:describeExecution", {"ExecutionArn": "arn:aws:states:us-east-1:123456789012:execution:m:e"},
     "Sfn.ExecutionDoesNotExistException"),
    ("sfn:stopExecution", {"ExecutionArn": "arn:aws:states:us-east-1:123456789012:execution:m:e"},
     "Sfn.ExecutionDoesNotExistException"),
])
def test_execution_errors_are_named_like_the_api(rt: Runtime, action: str, arguments: dict[str, Any],
                                                  expected: str) -> None:
    """API Reference, StartExecution (StateMachineDoesNotExist, InvalidArn), DescribeExecution and StopExecution
    (ExecutionDoesNotExist); supported-services-awssdk: Sfn.<Error>Exception."""
    definition = machine({"Call": task(action, arguments, Catch=CATCH_ALL), **ERROR_NAME})
    assert succeeded(rt.run(rt.create_state_machine("caller", definition).arn, {})) == expected


def test_start_execution_input_and_name_are_checked(rt: Runtime) -> None:
    """API Reference, StartExecution: input that is not JSON is InvalidExecutionInput; a name with characters the
    API forbids (white space, ``/`` ...) is InvalidName; a closed execution's name is ExecutionAlreadyExists."""
    arn = child(rt, "doubler")
    api = rt.service("stepfunctions")
    for params, code in (({"input": "{oops"}, "InvalidExecutionInput"), ({"name": "has space"}, "InvalidName")):
        with pytest.raises(ClientError) as info:
            api.start_execution(stateMachineArn=arn, **params)
        assert info.value.response["Error"]["Code"] == code
    api.start_execution(stateMachineArn=arn, name="once", input="{\"n\": 1}")
    rt.run_until_idle()
    with pytest.raises(ClientError) as info:
        api.start_execution(stateMachineArn=arn, name="once", input="{\"n\": 2}")
    assert info.value.response["Error"]["Code"] == "ExecutionAlreadyExists"


def test_other_sfn_actions_are_refused_not_sent_to_moto(rt: Runtime) -> None:
    """supported-services-awssdk lists every Step Functions action; offline only the callbacks and
    Start/Describe/StopExecution are answered by the runtime, the rest fail with States.Runtime naming them."""
    definition = machine({"List": task("sfn:listExecutions", {"StateMachineArn": child(rt, "doubler")})})
    execution = rt.run(rt.create_state_machine("lister", definition).arn, {})
    assert execution.status == "FAILED"
    assert execution.error == errors.RUNTIME
    assert "listExecutions" in (execution.cause or "")


def test_a_callback_task_whose_call_fails_leaves_no_open_token(rt: Runtime) -> None:
    """API Reference, SendTaskSuccess, error TaskTimedOut ("the task associated with the token has already been
    closed"): when the .waitForTaskToken call itself fails (here DynamoDB's ResourceNotFoundException), the task
    is closed and its token answers TaskTimedOut, never a silent success."""
    state = park(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Error name"}])
    state["Arguments"]["TableName"] = "no-such-table"
    execution = rt.run(rt.create_state_machine("broken", machine({"Park": state, **ERROR_NAME})).arn, {"job": "j"})
    assert succeeded(execution) == "DynamoDb.ResourceNotFoundException"
    assert rt.tokens.pending() == []
    [token] = [e["parameters"]["ExpressionAttributeValues"][":t"]["S"] for e in rt.get_execution_history(execution.arn)
               if e["type"] == "TaskScheduled"]
    with pytest.raises(ClientError) as info:
        rt.service("stepfunctions").send_task_success(taskToken=token, output="{}")
    assert info.value.response["Error"]["Code"] == "TaskTimedOut"
