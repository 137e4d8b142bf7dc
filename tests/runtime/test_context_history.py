"""The context object (Developer Guide, input-output-contextobject), the execution history (API Reference,
GetExecutionHistory / HistoryEvent) and state-transition counts (Developer Guide, concepts-transitions)."""

from __future__ import annotations

import datetime as dt
import json
import re

import botocore.session
import pytest

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def test_context_execution_fields(runtime, asl):
    """Developer Guide, input-output-contextobject: Execution.Id, Name, Input, StartTime and RoleArn."""
    machine = runtime.create_state_machine("ctx-machine", asl({
        "Advance": {"Type": "Wait", "Seconds": 30, "Output": {}, "Next": "Read"},
        "Read": {"Type": "Pass", "Output": "{% $states.context.Execution %}", "End": True},
    }), role_arn="arn:aws:iam::123456789012:role/WorkflowRole")
    execution = runtime.run(machine.arn, {"job": 5}, name="exec-1")
    ctx = execution.output
    assert ctx["Id"] == execution.arn
    assert ctx["Name"] == "exec-1"
    assert ctx["Input"] == {"job": 5}  # the execution input, even where the state input differs
    assert ctx["StartTime"] == _iso(runtime.config.start_time)
    assert ctx["RoleArn"] == "arn:aws:iam::123456789012:role/WorkflowRole"


def test_execution_arn_format(runtime, run_definition, asl):
    """API Reference, StartExecution: executionArn is arn:aws:states:<region>:<account>:execution:<machine>:<name>."""
    machine = runtime.create_state_machine("arn-machine", asl({"A": {"Type": "Pass", "End": True}}))
    execution = runtime.run(machine.arn, {}, name="named-run")
    assert machine.arn == "arn:aws:states:us-east-1:123456789012:stateMachine:arn-machine"
    assert execution.arn == "arn:aws:states:us-east-1:123456789012:execution:arn-machine:named-run"
    unnamed = runtime.run(machine.arn, {})
    assert re.fullmatch(r"arn:aws:states:us-east-1:123456789012:execution:arn-machine:[0-9a-f-]{36}", unnamed.arn)


def test_context_state_machine_fields(runtime, asl):
    """Developer Guide, input-output-contextobject: StateMachine.Id is the state machine ARN, Name its name."""
    machine = runtime.create_state_machine("sm-name", asl({
        "Read": {"Type": "Pass", "Output": "{% $states.context.StateMachine %}", "End": True}}))
    assert runtime.run(machine.arn, {}).output == {"Id": machine.arn, "Name": "sm-name"}


def test_context_state_name_and_entered_time(runtime, run_states):
    """Developer Guide, input-output-contextobject: State.Name and State.EnteredTime describe the current state."""
    execution = run_states({
        "First": {"Type": "Pass", "Output": "{% $states.context.State %}", "Next": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 90, "Output": {"first": "{% $states.input %}"}, "Next": "Third state"},
        "Third state": {"Type": "Pass", "End": True,
                        "Output": {"first": "{% $states.input.first %}", "third": "{% $states.context.State %}"}},
    })
    start = runtime.config.start_time
    assert execution.output["first"]["Name"] == "First"
    assert execution.output["first"]["EnteredTime"] == _iso(start)
    assert execution.output["third"]["Name"] == "Third state"
    assert execution.output["third"]["EnteredTime"] == _iso(start + 90)


def test_task_token_exists_only_for_wait_for_task_token(runtime, run_states):
    """Developer Guide, input-output-contextobject: Task.Token is only available with .waitForTaskToken."""
    runtime.register_lambda("noop", lambda _e, _c: {})
    execution = run_states({
        "Call": {"Type": "Task", "Resource": LAMBDA_INVOKE, "Arguments": {"FunctionName": "noop"},
                 "Output": {"hasToken": "{% $exists($states.context.Task.Token) %}"}, "End": True},
    })
    assert execution.output == {"hasToken": False}


def test_history_of_a_simple_machine(runtime, run_states):
    """API Reference, GetExecutionHistory: events run from ExecutionStarted through each state's Entered/Exited
    to ExecutionSucceeded."""
    execution = run_states({
        "One": {"Type": "Pass", "Next": "Two"},
        "Two": {"Type": "Pass", "End": True},
    })
    events = runtime.get_execution_history(execution.arn)
    assert [e["type"] for e in events] == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "PassStateEntered", "PassStateExited",
        "ExecutionSucceeded",
    ]


def test_history_event_ids_increase_and_link_to_the_previous(runtime, run_states):
    """API Reference, HistoryEvent: ids increase from 1 and previousEventId points at the event before."""
    execution = run_states({"One": {"Type": "Pass", "Next": "Two"}, "Two": {"Type": "Pass", "End": True}})
    events = runtime.get_execution_history(execution.arn)
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert [e["previousEventId"] for e in events] == list(range(0, len(events)))


def test_history_timestamps_follow_the_virtual_clock(runtime, run_states):
    """API Reference, HistoryEvent: each event's timestamp is when it happened (here, on the virtual clock)."""
    execution = run_states({"Pause": {"Type": "Wait", "Seconds": 120, "Next": "After"},
                            "After": {"Type": "Pass", "End": True}})
    events = runtime.get_execution_history(execution.arn)
    stamps = {e["type"]: dt.datetime.fromisoformat(e["timestamp"]).timestamp() for e in events}
    start = runtime.config.start_time
    assert stamps["ExecutionStarted"] == start
    assert stamps["WaitStateEntered"] == start
    assert stamps["WaitStateExited"] == start + 120
    assert stamps["ExecutionSucceeded"] == start + 120


def test_task_history_events(runtime, run_states):
    """API Reference, HistoryEvent: a Task records TaskStateEntered, TaskScheduled, TaskStarted, TaskSucceeded,
    TaskStateExited."""
    runtime.register_lambda("noop", lambda _e, _c: {})
    execution = run_states({"Call": {"Type": "Task", "Resource": LAMBDA_INVOKE,
                                     "Arguments": {"FunctionName": "noop"}, "End": True}})
    types = [e["type"] for e in runtime.get_execution_history(execution.arn)]
    assert types == ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded",
                     "TaskStateExited", "ExecutionSucceeded"]


def test_failed_execution_history_ends_with_execution_failed(runtime, run_states):
    """API Reference, HistoryEvent: a failed execution ends with ExecutionFailed carrying error and cause."""
    execution = run_states({"Stop": {"Type": "Fail", "Error": "E.Stop", "Cause": "because"}})
    events = runtime.get_execution_history(execution.arn)
    assert [e["type"] for e in events] == ["ExecutionStarted", "FailStateEntered", "ExecutionFailed"]
    assert (events[-1]["error"], events[-1]["cause"]) == ("E.Stop", "because")


def test_retries_appear_in_history(runtime, run_states):
    """Developer Guide, concepts-error-handling: each retry runs the task again, so history shows a
    TaskScheduled/TaskStarted/TaskFailed per failed attempt; this runtime also records a StateRetryScheduled
    event (its own, not an AWS event type) with the delay."""
    attempts = []

    def flaky(_event, _context):
        attempts.append(1)
        if len(attempts) < 3:
            raise TimeoutError("slow")
        return "ok"

    runtime.register_lambda("flaky", flaky)
    execution = run_states({"Call": {"Type": "Task", "Resource": LAMBDA_INVOKE, "Arguments": {"FunctionName": "flaky"},
                                     "Retry": [{"ErrorEquals": ["TimeoutError"], "IntervalSeconds": 3}],
                                     "End": True}})
    events = runtime.get_execution_history(execution.arn)
    types = [e["type"] for e in events]
    assert types.count("TaskScheduled") == 3
    assert types.count("TaskFailed") == 2
    assert types.count("TaskSucceeded") == 1
    retries = [e for e in events if e["type"] == "StateRetryScheduled"]
    assert [r["delaySeconds"] for r in retries] == [3, 6]


def test_history_event_types_are_aws_event_types(runtime, run_states):
    """API Reference, HistoryEvent: event types come from the HistoryEventType enumeration (botocore's model);
    StateRetryScheduled is the runtime's one addition."""
    runtime.register_lambda("noop", lambda _e, _c: {})
    execution = run_states({
        "Route": {"Type": "Choice", "Choices": [{"Condition": "{% true %}", "Next": "Fan out"}]},
        "Fan out": {"Type": "Parallel", "Next": "Each", "Branches": [
            {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": LAMBDA_INVOKE,
                                                    "Arguments": {"FunctionName": "noop"}, "End": True}}}]},
        "Each": {"Type": "Map", "Items": [1], "Next": "Pause", "ItemProcessor": {
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}},
        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
        "Done": {"Type": "Succeed"},
    })
    allowed = set(botocore.session.get_session().get_service_model("stepfunctions")
                  .shape_for("HistoryEventType").enum) | {"StateRetryScheduled"}
    types = {e["type"] for e in runtime.get_execution_history(execution.arn)}
    assert types <= allowed, types - allowed


def test_state_transitions_are_counted_per_execution_and_runtime(runtime, run_states):
    """Developer Guide, concepts-transitions: Standard workflows are billed per state transition."""
    execution = run_states({"One": {"Type": "Pass", "Next": "Two"}, "Two": {"Type": "Pass", "Next": "Three"},
                            "Three": {"Type": "Succeed"}})
    assert execution.transitions == 3
    assert runtime.counters.state_transitions["STANDARD"] == 3
    assert runtime.counters.executions["STANDARD"] == 1


def test_describe_execution_reports_status_and_times(runtime, run_states):
    """API Reference, DescribeExecution: status, startDate, stopDate, and input/output as JSON strings."""
    execution = run_states({"Pause": {"Type": "Wait", "Seconds": 5, "End": True}}, {"a": 1})
    described = runtime.describe_execution(execution.arn)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["input"]) == json.loads(described["output"]) == {"a": 1}
    assert described["startDate"] == _iso(runtime.config.start_time)
    assert described["stopDate"] == _iso(runtime.config.start_time + 5)


def test_start_execution_is_idempotent_only_while_the_execution_is_open(runtime, asl):
    """API Reference, StartExecution: the same name and input return the open execution; a different input, or any
    input once that execution has closed, is ExecutionAlreadyExists."""
    machine = runtime.create_state_machine("idempotent", asl({"Pause": {"Type": "Wait", "Seconds": 10, "End": True}}))
    first = runtime.start_execution(machine.arn, {"a": 1}, name="once")
    assert runtime.start_execution(machine.arn, {"a": 1}, name="once") is first
    with pytest.raises(Exception, match="ExecutionAlreadyExists"):
        runtime.start_execution(machine.arn, {"a": 2}, name="once")
    runtime.run_until_idle()
    assert first.status == "SUCCEEDED"
    with pytest.raises(Exception, match="ExecutionAlreadyExists"):
        runtime.start_execution(machine.arn, {"a": 1}, name="once")
