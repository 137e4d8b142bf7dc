"""Wait state conformance (Developer Guide, state-wait), on the runtime's virtual clock."""

from __future__ import annotations

import time

import pytest


def test_wait_seconds_advances_virtual_time_only(runtime, run_states):
    """Developer Guide, state-wait: Seconds delays the state by that many seconds (virtual here: no real sleep)."""
    started = time.perf_counter()
    execution = run_states({"Pause": {"Type": "Wait", "Seconds": 6 * 3600, "End": True}}, {"k": 1})
    assert time.perf_counter() - started < 5
    assert execution.status == "SUCCEEDED"
    assert execution.output == {"k": 1}  # a Wait passes its input on
    assert runtime.clock.monotonic() == 6 * 3600
    assert execution.stop - execution.start == 6 * 3600


def test_wait_seconds_from_a_jsonata_expression(runtime, run_states):
    """Developer Guide, state-wait: in JSONata states Seconds may be an expression yielding a number."""
    run_states({"Pause": {"Type": "Wait", "Seconds": "{% $states.input.delay * 2 %}", "End": True}}, {"delay": 45})
    assert runtime.clock.monotonic() == 90


def test_wait_timestamp_waits_until_that_moment(runtime, run_states):
    """Developer Guide, state-wait: Timestamp waits until an absolute ISO 8601 time (here one hour after start)."""
    execution = run_states({"Until": {"Type": "Wait", "Timestamp": "2026-01-01T01:00:00Z", "End": True}})
    assert execution.status == "SUCCEEDED"
    assert runtime.clock.now() == runtime.config.start_time + 3600


def test_wait_timestamp_in_the_past_continues_at_once(runtime, run_states):
    """Developer Guide, state-wait: a Timestamp already past does not delay the state."""
    run_states({"Until": {"Type": "Wait", "Timestamp": "2020-01-01T00:00:00Z", "End": True}})
    assert runtime.clock.monotonic() == 0


def test_wait_timestamp_from_an_expression(runtime, run_states):
    """Developer Guide, state-wait: in JSONata states Timestamp may be an expression yielding the time."""
    run_states({"Until": {"Type": "Wait", "Timestamp": "{% $states.input.at %}", "End": True}},
               {"at": "2026-01-01T00:10:00Z"})
    assert runtime.clock.now() == runtime.config.start_time + 600


def test_wait_output_and_assign(run_states):
    """Developer Guide, state-wait / workflow-variables: a Wait state supports Output and Assign."""
    execution = run_states({
        "Pause": {"Type": "Wait", "Seconds": 1, "Assign": {"waited": 1}, "Output": {"in": "{% $states.input %}"},
                  "Next": "Read"},
        "Read": {"Type": "Pass", "Output": {"waited": "{% $waited %}", "prev": "{% $states.input %}"}, "End": True},
    }, 5)
    assert execution.output == {"waited": 1, "prev": {"in": 5}}


@pytest.mark.parametrize("seconds", ["{% 'soon' %}", "{% -5 %}", "{% 1.5 %}"])
def test_wait_seconds_that_is_not_a_non_negative_integer_fails_the_state(run_states, seconds):
    """Developer Guide, state-wait: Seconds is an integer from 0; an expression yielding anything else fails the
    state with States.QueryEvaluationError (transforming-data)."""
    execution = run_states({"Pause": {"Type": "Wait", "Seconds": seconds, "End": True}})
    assert execution.status == "FAILED"
    assert execution.error == "States.QueryEvaluationError"


def test_run_for_stops_the_clock_mid_execution_and_the_run_carries_on(runtime, asl):
    """The runtime's run_for: look at a run while it runs. Two Waits of an hour: after 90 minutes the execution is
    in the second one; the next run_for carries on from there to the end, on the same virtual clock."""
    states = {
        "First hour": {"Type": "Wait", "Seconds": 3600, "Next": "Second hour"},
        "Second hour": {"Type": "Wait", "Seconds": 3600, "End": True},
    }
    machine = runtime.create_state_machine("run-for", asl(states))
    execution = runtime.start_execution(machine.arn, {})
    runtime.run_for(5400)
    assert runtime.clock.monotonic() == 5400
    assert execution.status == "RUNNING"
    entered = [e["name"] for e in runtime.get_execution_history(execution.arn)
               if e["type"] == "WaitStateEntered"]
    assert entered == ["First hour", "Second hour"]
    runtime.run_for(1801)
    assert execution.status == "SUCCEEDED" and execution.stop - execution.start == 7200
