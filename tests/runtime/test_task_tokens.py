"""Callbacks with task tokens, task timeouts and heartbeats (Developer Guide, connect-to-resource
"Wait for a Callback with Task Token", state-task TimeoutSeconds/HeartbeatSeconds; API Reference,
SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat)."""

from __future__ import annotations

import asyncio
import json

import pytest

from bedrock_batch.offline import errors

CALLBACK = "arn:aws:states:::lambda:invoke.waitForTaskToken"


def _waiting_task(**fields) -> dict:
    """A Task that hands its token to lambda "hand-off" and waits for the callback."""
    return {"Type": "Task", "Resource": CALLBACK,
            "Arguments": {"FunctionName": "hand-off", "Payload": {"token": "{% $states.context.Task.Token %}",
                                                                   "job": "{% $states.input.job %}"}},
            **fields}


def _on_hand_off(runtime, react) -> list[str]:
    """Register "hand-off": it records each token and calls ``react(token, event)``."""
    tokens: list[str] = []

    def handler(event, _context):
        tokens.append(event["token"])
        react(event["token"], event)
        return {"accepted": True}

    runtime.register_lambda("hand-off", handler)
    return tokens


def test_send_task_success_resumes_with_its_output(runtime, run_states):
    """API Reference, SendTaskSuccess: the task completes with the JSON output sent with its token."""
    _on_hand_off(runtime, lambda token, event: runtime.clock.call_later(
        3600, runtime.send_task_success, token, {"jobDone": event["job"]}))
    execution = run_states({"Wait for job": _waiting_task(End=True)}, {"job": "j-1"})
    assert execution.status == "SUCCEEDED"
    assert execution.output == {"jobDone": "j-1"}  # the callback's output, not the Lambda response
    assert runtime.clock.monotonic() == 3600


def test_callback_result_is_states_result_in_output(runtime, run_states):
    """Developer Guide, transforming-data: for a callback task, $states.result is the output sent back."""
    _on_hand_off(runtime, lambda token, _e: runtime.clock.call_later(1, runtime.send_task_success, token, {"n": 2}))
    execution = run_states({"Wait for job": _waiting_task(End=True, Output="{% $states.result.n * 10 %}")},
                           {"job": "j"})
    assert execution.output == 20


def test_send_task_failure_propagates_error_and_cause(runtime, run_states):
    """API Reference, SendTaskFailure: the task fails with the error and cause sent with its token."""
    _on_hand_off(runtime, lambda token, _e: runtime.clock.call_later(
        10, runtime.send_task_failure, token, "Bedrock.JobFailed", "model access denied"))
    execution = run_states({"Wait for job": _waiting_task(End=True)}, {"job": "j"})
    assert execution.status == "FAILED"
    assert (execution.error, execution.cause) == ("Bedrock.JobFailed", "model access denied")


def test_send_task_failure_can_be_caught(runtime, run_states):
    """Developer Guide, concepts-error-handling: an error sent with SendTaskFailure is matched by Catch."""
    _on_hand_off(runtime, lambda token, _e: runtime.clock.call_later(
        10, runtime.send_task_failure, token, "Bedrock.JobFailed", "no"))
    execution = run_states({
        "Wait for job": _waiting_task(Next="Done", Catch=[{"ErrorEquals": ["Bedrock.JobFailed"], "Next": "Handle"}]),
        "Handle": {"Type": "Pass", "Output": "{% $states.input.Error %}", "End": True},
        "Done": {"Type": "Succeed"},
    }, {"job": "j"})
    assert execution.output == "Bedrock.JobFailed"


def test_timeout_seconds_fails_a_task_that_never_returns(runtime, run_states):
    """Developer Guide, state-task: a task running longer than TimeoutSeconds fails with States.Timeout."""
    tokens = _on_hand_off(runtime, lambda _t, _e: None)
    execution = run_states({"Wait for job": _waiting_task(End=True, TimeoutSeconds=300)}, {"job": "j"})
    assert execution.status == "FAILED"
    assert execution.error == errors.TIMEOUT
    assert runtime.clock.monotonic() == 300
    assert len(tokens) == 1
    assert "TaskTimedOut" in [e["type"] for e in runtime.get_execution_history(execution.arn)]
    assert runtime.tokens.pending() == []  # the timed-out task's token is no longer open


def test_missing_heartbeat_fails_with_heartbeat_timeout(runtime, run_states):
    """Developer Guide, state-task: without a heartbeat within HeartbeatSeconds the task fails with
    States.HeartbeatTimeout."""
    _on_hand_off(runtime, lambda _t, _e: None)
    execution = run_states({"Wait for job": _waiting_task(End=True, TimeoutSeconds=1000, HeartbeatSeconds=60)},
                           {"job": "j"})
    assert execution.status == "FAILED"
    assert execution.error == errors.HEARTBEAT_TIMEOUT
    assert runtime.clock.monotonic() == 60


def test_heartbeats_in_time_keep_the_task_alive(runtime, run_states):
    """API Reference, SendTaskHeartbeat: each heartbeat restarts the HeartbeatSeconds clock."""

    def react(token, _event):
        for at in (50, 100, 150, 200):
            runtime.clock.call_later(at, runtime.send_task_heartbeat, token)
        runtime.clock.call_later(240, runtime.send_task_success, token, {"ok": True})

    _on_hand_off(runtime, react)
    execution = run_states({"Wait for job": _waiting_task(End=True, TimeoutSeconds=1000, HeartbeatSeconds=60)},
                           {"job": "j"})
    assert execution.status == "SUCCEEDED"
    assert execution.output == {"ok": True}
    assert runtime.clock.monotonic() == 240


def test_heartbeats_do_not_extend_timeout_seconds(runtime, run_states):
    """Developer Guide, state-task: TimeoutSeconds bounds the whole task, heartbeats or not."""

    def react(token, _event):
        for at in range(20, 400, 20):
            runtime.clock.call_later(at, runtime.send_task_heartbeat, token)

    _on_hand_off(runtime, react)
    execution = run_states({"Wait for job": _waiting_task(End=True, TimeoutSeconds=100, HeartbeatSeconds=30)},
                           {"job": "j"})
    assert execution.error == errors.TIMEOUT
    assert execution.stop - execution.start == 100


def test_heartbeat_timeout_can_be_caught(runtime, run_states):
    """Developer Guide, concepts-error-handling: States.HeartbeatTimeout can be used in Catch."""
    _on_hand_off(runtime, lambda _t, _e: None)
    execution = run_states({
        "Wait for job": _waiting_task(Next="Done", HeartbeatSeconds=5,
                                      Catch=[{"ErrorEquals": ["States.HeartbeatTimeout"], "Next": "Handle"}]),
        "Handle": {"Type": "Pass", "Output": "{% $states.input.Error %}", "End": True},
        "Done": {"Type": "Succeed"},
    }, {"job": "j"})
    assert execution.output == "States.HeartbeatTimeout"


def test_state_machine_timeout_seconds_times_the_execution_out(runtime, run_states):
    """Developer Guide, statemachine-structure: a top-level TimeoutSeconds ends a longer execution as TIMED_OUT."""
    execution = run_states({"Pause": {"Type": "Wait", "Seconds": 7200, "End": True}}, TimeoutSeconds=3600)
    assert execution.status == "TIMED_OUT"
    assert runtime.clock.monotonic() == 3600
    assert runtime.get_execution_history(execution.arn)[-1]["type"] == "ExecutionTimedOut"


def test_token_from_an_sqs_message_resumes_the_task(runtime, asl):
    """Developer Guide, connect-sqs / connect-to-resource: sqs:sendMessage.waitForTaskToken sends the token in the
    message; SendTaskSuccess with that token resumes the execution."""
    sqs = runtime.client("sqs")
    queue_url = sqs.create_queue(QueueName="callbacks")["QueueUrl"]
    machine = runtime.create_state_machine("sqs-callback", asl({
        "Ask and wait": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                         "Arguments": {"QueueUrl": queue_url,
                                       "MessageBody": {"token": "{% $states.context.Task.Token %}",
                                                       "question": "{% $states.input.q %}"}},
                         "TimeoutSeconds": 86400, "End": True},
    }))
    execution = runtime.start_execution(machine.arn, {"q": "ready?"})
    runtime.clock.run(asyncio.sleep(60))  # let the execution send its message and wait

    assert execution.status == "RUNNING"
    messages = sqs.receive_message(QueueUrl=queue_url).get("Messages", [])
    assert len(messages) == 1
    body = json.loads(messages[0]["Body"])
    assert body["question"] == "ready?"
    assert runtime.tokens.pending() == [body["token"]]

    runtime.send_task_success(body["token"], {"answer": "yes"})
    runtime.run_until_idle()
    assert execution.status == "SUCCEEDED"
    assert execution.output == {"answer": "yes"}
    assert runtime.clock.monotonic() == 60
    assert runtime.tokens.pending() == []


def test_a_token_cannot_be_used_after_its_task_finished(runtime, run_states):
    """API Reference, SendTaskSuccess: a token whose task has already finished is refused."""
    tokens = _on_hand_off(runtime, lambda token, _e: runtime.clock.call_later(1, runtime.send_task_success, token, {}))
    run_states({"Wait for job": _waiting_task(End=True)}, {"job": "j"})
    with pytest.raises(Exception, match="TaskDoesNotExist|TaskTimedOut|InvalidToken"):
        runtime.send_task_success(tokens[0], {})


def test_each_waiting_task_gets_its_own_token(runtime, run_states):
    """Developer Guide, connect-to-resource: every task started with .waitForTaskToken receives a unique token."""
    tokens = _on_hand_off(runtime, lambda token, event: runtime.clock.call_later(
        event["job"], runtime.send_task_success, token, event["job"]))
    execution = run_states({
        "Each": {"Type": "Map", "Items": [3, 1, 2], "End": True, "ItemProcessor": {
            "StartAt": "Wait for job", "States": {"Wait for job": {
                "Type": "Task", "Resource": CALLBACK, "End": True,
                "Arguments": {"FunctionName": "hand-off", "Payload": {"token": "{% $states.context.Task.Token %}",
                                                                       "job": "{% $states.input %}"}}}}}},
    })
    assert execution.output == [3, 1, 2]
    assert len(set(tokens)) == 3
    assert runtime.clock.monotonic() == 3


def test_timeout_can_be_retried_with_a_fresh_callback(runtime, run_states):
    """Developer Guide, concepts-error-handling: a retrier for States.Timeout runs the task again; the second
    attempt can complete."""
    tokens = _on_hand_off(runtime, lambda token, _e: (
        runtime.clock.call_later(5, runtime.send_task_success, token, {"attempt": 2}) if len(tokens) == 2 else None))
    execution = run_states({"Wait for job": _waiting_task(End=True, TimeoutSeconds=60, Retry=[
        {"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 10, "MaxAttempts": 1}])}, {"job": "j"})
    assert execution.status == "SUCCEEDED"
    assert execution.output == {"attempt": 2}
    assert len(tokens) == 2
    assert runtime.clock.monotonic() == 60 + 10 + 5


def test_execution_timeout_closes_a_pending_callback(runtime, run_states):
    """Developer Guide, statemachine-structure: the execution's TimeoutSeconds ends it as TIMED_OUT even while a
    task waits for its token, and the token is then no longer open."""
    _on_hand_off(runtime, lambda _t, _e: None)
    execution = run_states({"Wait for job": _waiting_task(End=True)}, {"job": "j"}, TimeoutSeconds=600)
    assert execution.status == "TIMED_OUT"
    assert runtime.clock.monotonic() == 600
    assert runtime.tokens.pending() == []
