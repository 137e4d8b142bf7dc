"""Retry and Catch (Developer Guide, concepts-error-handling), timed on the runtime's virtual clock."""

from __future__ import annotations

import pytest

from bedrock_batch.offline import errors
from bedrock_batch.offline.runtime import Runtime, RuntimeConfig

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"


class Throttled(Exception):
    pass


class Broken(Exception):
    pass


def _scripted(runtime, outcomes: list[type[Exception] | object]) -> list[float]:
    """Register lambda "work": call i raises outcomes[i] if it is an exception class, else returns it.

    Returns the list the virtual time of every call is appended to.
    """
    calls: list[float] = []

    def handler(event, _context):
        calls.append(runtime.clock.monotonic())
        outcome = outcomes[min(len(calls), len(outcomes)) - 1]
        if isinstance(outcome, type) and issubclass(outcome, Exception):
            raise outcome(f"call {len(calls)}")
        return outcome

    runtime.register_lambda("work", handler)
    return calls


def _work(**fields) -> dict:
    return {"Type": "Task", "Resource": LAMBDA_INVOKE, "Arguments": {"FunctionName": "work"},
            "Output": "{% $states.result.Payload %}", **fields}


def test_interval_backoff_and_max_attempts_on_the_virtual_clock(runtime, run_states):
    """Developer Guide, concepts-error-handling: retry n waits IntervalSeconds x BackoffRate^(n-1)."""
    calls = _scripted(runtime, [Throttled])
    execution = run_states({"Call": _work(End=True, Retry=[
        {"ErrorEquals": ["Throttled"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxAttempts": 3}])})
    assert execution.status == "FAILED"
    assert execution.error == "Throttled"
    assert calls == [0, 2, 8, 26]  # waits of 2, 6 and 18 seconds


def test_retry_defaults_are_one_second_rate_two_three_attempts(runtime, run_states):
    """Developer Guide, concepts-error-handling: IntervalSeconds defaults to 1, BackoffRate to 2.0, MaxAttempts to 3."""
    calls = _scripted(runtime, [Throttled])
    run_states({"Call": _work(End=True, Retry=[{"ErrorEquals": ["Throttled"]}])})
    assert calls == [0, 1, 3, 7]


def test_max_delay_seconds_caps_the_backoff(runtime, run_states):
    """Developer Guide, concepts-error-handling: MaxDelaySeconds caps the wait between retries."""
    calls = _scripted(runtime, [Throttled])
    run_states({"Call": _work(End=True, Retry=[
        {"ErrorEquals": ["Throttled"], "IntervalSeconds": 10, "BackoffRate": 2, "MaxAttempts": 4,
         "MaxDelaySeconds": 25}])})
    assert [b - a for a, b in zip(calls, calls[1:], strict=False)] == [10, 20, 25, 25]


def _jittered_waits(seed: int) -> list[float]:
    from bedrock_batch.offline.local import offline_aws

    with offline_aws():
        runtime = Runtime(RuntimeConfig(seed=seed))
        try:
            calls = _scripted(runtime, [Throttled])
            machine = runtime.create_state_machine("jitter", {"QueryLanguage": "JSONata", "StartAt": "Call", "States": {
                "Call": _work(End=True, Retry=[{"ErrorEquals": ["Throttled"], "IntervalSeconds": 4, "BackoffRate": 2,
                                                "MaxAttempts": 5, "MaxDelaySeconds": 20,
                                                "JitterStrategy": "FULL"}])}})
            runtime.run(machine.arn, {})
        finally:
            runtime.close()
    return [b - a for a, b in zip(calls, calls[1:], strict=False)]


def test_full_jitter_waits_at_most_the_capped_delay_and_is_seeded():
    """Developer Guide, concepts-error-handling: JitterStrategy FULL randomises each wait between 0 and the
    computed (capped) delay."""
    waits = _jittered_waits(seed=99)
    caps = [4, 8, 16, 20, 20]
    assert len(waits) == 5
    assert all(0 <= wait <= cap for wait, cap in zip(waits, caps, strict=True))
    assert waits != caps  # jittered, not the plain backoff
    assert _jittered_waits(seed=99) == waits  # the runtime's seed makes the jitter reproducible


def test_max_attempts_zero_never_retries(runtime, run_states):
    """Developer Guide, concepts-error-handling: MaxAttempts 0 means the error is never retried."""
    calls = _scripted(runtime, [Throttled])
    execution = run_states({"Call": _work(End=True, Retry=[{"ErrorEquals": ["Throttled"], "MaxAttempts": 0}])})
    assert execution.status == "FAILED"
    assert len(calls) == 1


def test_first_matching_retrier_wins_and_each_counts_its_own_attempts(runtime, run_states):
    """Developer Guide, concepts-error-handling: the first retrier whose ErrorEquals matches applies, and each
    retrier keeps its own attempt count."""
    calls = _scripted(runtime, [Throttled, Broken, Throttled, Broken, Broken, "done"])
    execution = run_states({"Call": _work(End=True, Retry=[
        {"ErrorEquals": ["Throttled"], "IntervalSeconds": 1, "BackoffRate": 1, "MaxAttempts": 2},
        {"ErrorEquals": ["Broken", "Throttled"], "IntervalSeconds": 100, "BackoffRate": 1, "MaxAttempts": 3},
    ])})
    assert execution.status == "SUCCEEDED"
    assert execution.output == "done"
    # Throttled waits 1 s (first retrier), Broken waits 100 s (second), and they do not share a count.
    assert [b - a for a, b in zip(calls, calls[1:], strict=False)] == [1, 100, 1, 100, 100]


def test_exhausted_retrier_does_not_fall_through_to_a_later_one(runtime, run_states):
    """Developer Guide, concepts-error-handling: once the matching retrier's attempts are used up the state fails
    (or is caught); a later retrier that also matches is not consulted."""
    calls = _scripted(runtime, [Throttled])
    execution = run_states({"Call": _work(End=True, Retry=[
        {"ErrorEquals": ["Throttled"], "MaxAttempts": 1},
        {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5},
    ])})
    assert execution.status == "FAILED"
    assert len(calls) == 2


def test_retries_exhausted_then_catch(runtime, run_states):
    """Developer Guide, concepts-error-handling: when retries are used up, a matching catcher takes over."""
    calls = _scripted(runtime, [Throttled])
    execution = run_states({
        "Call": _work(Next="Done", Retry=[{"ErrorEquals": ["Throttled"], "MaxAttempts": 2}],
                      Catch=[{"ErrorEquals": ["Throttled"], "Next": "Handle"}]),
        "Handle": {"Type": "Pass", "End": True},
        "Done": {"Type": "Succeed"},
    })
    assert len(calls) == 3
    assert execution.status == "SUCCEEDED"
    assert execution.output["Error"] == "Throttled"
    assert "call 3" in execution.output["Cause"]


def test_first_matching_catcher_wins(runtime, run_states):
    """Developer Guide, concepts-error-handling: catchers are scanned in order; the first match handles the error."""
    _scripted(runtime, [Broken])
    execution = run_states({
        "Call": _work(End=True, Catch=[{"ErrorEquals": ["Throttled"], "Next": "A"},
                                       {"ErrorEquals": ["Broken"], "Next": "B"},
                                       {"ErrorEquals": ["States.ALL"], "Next": "C"}]),
        "A": {"Type": "Pass", "Output": "A", "End": True},
        "B": {"Type": "Pass", "Output": "B", "End": True},
        "C": {"Type": "Pass", "Output": "C", "End": True},
    })
    assert execution.output == "B"


def test_states_all_catches_any_error(runtime, run_states):
    """Developer Guide, concepts-error-handling: States.ALL matches any known error name."""
    _scripted(runtime, [Broken])
    execution = run_states({
        "Call": _work(End=True, Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Handle"}]),
        "Handle": {"Type": "Pass", "End": True},
    })
    assert execution.status == "SUCCEEDED"
    assert execution.output["Error"] == "Broken"


def test_catcher_output_reads_error_output_and_assign_sets_variables(runtime, run_states):
    """Developer Guide, concepts-error-handling / workflow-variables: a catcher's Output and Assign read
    $states.errorOutput; its Assign is visible in the next state."""
    _scripted(runtime, [Broken])
    execution = run_states({
        "Call": _work(End=True, Catch=[{"ErrorEquals": ["Broken"], "Next": "Handle",
                                        "Output": {"why": "{% $states.errorOutput.Error %}",
                                                   "input": "{% $states.input %}"},
                                        "Assign": {"failedWith": "{% $states.errorOutput.Error %}"}}]),
        "Handle": {"Type": "Pass", "Output": {"seen": "{% $states.input %}", "var": "{% $failedWith %}"}, "End": True},
    }, {"job": 1})
    assert execution.output == {"seen": {"why": "Broken", "input": {"job": 1}}, "var": "Broken"}


def test_fail_state_error_is_caught_by_an_enclosing_parallel(run_states):
    """Developer Guide, concepts-error-handling: errors are matched by name, including names set by a Fail state."""
    execution = run_states({
        "Guard": {"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "Stop", "States": {"Stop": {"Type": "Fail", "Error": "Custom.Stop", "Cause": "c"}}}],
            "Catch": [{"ErrorEquals": ["Other"], "Next": "X"}, {"ErrorEquals": ["Custom.Stop"], "Next": "Y"}]},
        "X": {"Type": "Pass", "Output": "X", "End": True},
        "Y": {"Type": "Pass", "Output": "Y", "End": True},
    })
    assert execution.output == "Y"


def test_task_failed_matches_task_errors_but_not_timeout(runtime, run_states):
    """Developer Guide, concepts-error-handling: States.TaskFailed matches any error except States.Timeout."""
    _scripted(runtime, [Broken])
    runtime.register_lambda("silent", lambda _event, _ctx: None)  # never sends the token back
    execution = run_states({
        "Call": _work(Next="Wait for callback", Catch=[
            {"ErrorEquals": ["States.TaskFailed"], "Next": "Wait for callback", "Output": "task failed"}]),
        "Wait for callback": {"Type": "Task", "Resource": LAMBDA_INVOKE + ".waitForTaskToken",
                              "Arguments": {"FunctionName": "silent", "Payload": "{% $states.context.Task.Token %}"},
                              "TimeoutSeconds": 5, "End": True,
                              "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Wrong"},
                                        {"ErrorEquals": ["States.Timeout"], "Next": "Right",
                                         "Output": "{% [$states.input, $states.errorOutput.Error] %}"}]},
        "Wrong": {"Type": "Pass", "Output": "wrong", "End": True},
        "Right": {"Type": "Pass", "End": True},
    })
    assert execution.output == ["task failed", "States.Timeout"]


def test_data_limit_exceeded_is_not_caught_by_states_all(runtime, run_states):
    """Developer Guide, concepts-error-handling: output over the 256 KiB payload quota is States.DataLimitExceeded,
    a terminal error that States.ALL does not catch."""
    runtime.register_lambda("big", lambda _event, _ctx: {"blob": "x" * (256 * 1024 + 10)})
    execution = run_states({
        "Call": {"Type": "Task", "Resource": LAMBDA_INVOKE, "Arguments": {"FunctionName": "big"}, "End": True,
                 "Retry": [{"ErrorEquals": ["States.ALL"]}],
                 "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handle"}]},
        "Handle": {"Type": "Pass", "End": True},
    })
    assert execution.status == "FAILED"
    assert execution.error == errors.DATA_LIMIT_EXCEEDED


def test_pass_output_over_the_payload_quota_fails_the_execution(run_states):
    """Developer Guide, concepts-error-handling: a state output larger than the payload quota is
    States.DataLimitExceeded."""
    execution = run_states({"Grow": {"Type": "Pass", "Output": "{% $pad('', 300000, 'y') %}", "End": True}})
    assert execution.status == "FAILED"
    assert execution.error == errors.DATA_LIMIT_EXCEEDED


def test_retries_count_as_state_transitions(runtime, run_definition, asl):
    """Developer Guide, concepts-transitions (pricing): every retry is billed as a state transition."""
    _scripted(runtime, [Throttled, Throttled, "ok"])
    retried = run_definition(asl({"Call": _work(End=True, Retry=[{"ErrorEquals": ["Throttled"]}])}))
    _scripted(runtime, ["ok"])
    plain = run_definition(asl({"Call": _work(End=True, Retry=[{"ErrorEquals": ["Throttled"]}])}))
    assert retried.status == plain.status == "SUCCEEDED"
    assert retried.transitions == plain.transitions + 2


def test_retry_count_in_the_context_object(runtime, run_states):
    """Developer Guide, input-output-contextobject: $states.context.State.RetryCount counts the retries so far."""
    seen: list[int] = []

    def handler(event, _context):
        seen.append(event["retry"])
        if len(seen) < 3:
            raise Throttled("again")
        return "ok"

    runtime.register_lambda("work", handler)
    run_states({"Call": {"Type": "Task", "Resource": LAMBDA_INVOKE, "End": True,
                         "Arguments": {"FunctionName": "work",
                                       "Payload": {"retry": "{% $states.context.State.RetryCount %}"}},
                         "Retry": [{"ErrorEquals": ["Throttled"]}]}})
    assert seen == [0, 1, 2]


@pytest.mark.parametrize("error_name", ["States.Runtime", "States.DataLimitExceeded"])
def test_terminal_errors_are_not_matched_by_states_all(error_name):
    """Developer Guide, concepts-error-handling: States.ALL cannot catch States.DataLimitExceeded or States.Runtime."""
    assert not errors.matches(["States.ALL"], error_name)
    assert errors.matches(["States.ALL"], "States.Timeout")


def test_a_retrier_with_a_huge_max_attempts_never_overflows():
    """Developer Guide, concepts-error-handling: MaxAttempts may be large (up to 99999999) and BackoffRate
    multiplies the wait each time; the wait stops growing at MaxDelaySeconds, or at a cap longer than any
    execution may run (service quotas: one year), instead of overflowing a float after ~1,000 attempts."""
    import random

    from bedrock_batch.offline.states.base import MAX_RETRY_DELAY_SECONDS, Retrier

    rng = random.Random(0)
    unbounded = Retrier(["States.ALL"], 1, 100_000, 2.0, None, "NONE")
    assert unbounded.delay(99_999, rng) == MAX_RETRY_DELAY_SECONDS
    assert unbounded.delay(10, rng) == 1024
    capped = Retrier(["States.ALL"], 3, 100_000, 2.0, 60, "FULL")
    assert 0 <= capped.delay(99_999, rng) <= 60


def test_two_thousand_retries_with_backoff_rate_two_succeed(runtime, run_states):
    """Developer Guide, concepts-error-handling: retries go on until MaxAttempts; 2,000 failed attempts with
    BackoffRate 2 (2^2000 overflows a float) and MaxDelaySeconds 1 wait one second each, then the task succeeds."""
    calls = _scripted(runtime, [Throttled] * 2000 + ["done"])
    execution = run_states({"Call": _work(End=True, Retry=[
        {"ErrorEquals": ["Throttled"], "MaxAttempts": 100_000, "BackoffRate": 2, "MaxDelaySeconds": 1}])})
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert execution.output == "done"
    assert len(calls) == 2001
    assert calls[-1] - calls[-2] == 1
