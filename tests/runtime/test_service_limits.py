"""AWS's limits, enforced where AWS enforces them and failing as AWS fails (Developer Guide, service-quotas).

- history: a Standard execution holds at most 25,000 history events (bp-history-limit); event 25,000 may be
  ExecutionSucceeded, anything else fails the execution with ``States.Runtime`` and the cause AWS records,
  "The execution reached the maximum number of history events (25000)." Express executions keep no history.
- duration: an Express execution runs at most five minutes, a Standard one at most a year
  (concepts-state-machine-executions); past that the execution is TIMED_OUT with ``States.Timeout``.
- Distributed Map: at most 10,000 child executions run at once, whatever MaxConcurrency says
  (concepts-asl-use-map-state-distributed).
"""

from __future__ import annotations

from helpers import distributed_map, history_types, machine, processor, run

from bedrock_batch.offline import errors
from bedrock_batch.offline.history import HISTORY_LIMIT_CAUSE, MAX_HISTORY_EVENTS


def _loop(rounds: int | str) -> dict:
    """States that set $n to 0, go round a Pass and a Choice ``rounds`` times (a number or an expression), then
    Succeed: 2 x rounds + 2 states, each of which logs an Entered and an Exited event."""
    return {
        "Start": {"Type": "Pass", "Assign": {"n": 0}, "Next": "Count"},
        "Count": {"Type": "Pass", "Assign": {"n": "{% $n + 1 %}"}, "Next": "Again?"},
        "Again?": {"Type": "Choice", "Choices": [{"Condition": f"{{% $n < {rounds} %}}", "Next": "Count"}],
                   "Default": "Done"},
        "Done": {"Type": "Succeed"},
    }


def _loop_machine(rounds: int) -> dict:
    """The loop after one more Pass state, so that a whole number of rounds meets the limit exactly."""
    return machine({"Prepare": {"Type": "Pass", "Next": "Start"}, **_loop(rounds)})


# ExecutionStarted + (2 x rounds + 3) states x 2 events + the closing event = 25,000 when rounds = 6,248.
ROUNDS_AT_THE_LIMIT = (MAX_HISTORY_EVENTS - 8) // 4


def test_event_25000_may_be_execution_succeeded(runtime):
    """Developer Guide, bp-history-limit: if event number 25,000 is ExecutionSucceeded, the execution succeeds."""
    execution = run(runtime, _loop_machine(ROUNDS_AT_THE_LIMIT))
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    events = history_types(runtime, execution)
    assert len(events) == MAX_HISTORY_EVENTS
    assert events[-1] == "ExecutionSucceeded"


def test_a_standard_execution_fails_at_25000_history_events(runtime):
    """Developer Guide, bp-history-limit and service-quotas: any other event 25,000 fails the execution, with
    ExecutionFailed as that event; the error is States.Runtime with the cause AWS records."""
    execution = run(runtime, _loop_machine(ROUNDS_AT_THE_LIMIT + 1))
    assert (execution.status, execution.error, execution.cause) == ("FAILED", errors.RUNTIME, HISTORY_LIMIT_CAUSE)
    events = runtime.get_execution_history(execution.arn)
    assert len(events) == MAX_HISTORY_EVENTS
    assert events[-1]["type"] == "ExecutionFailed" and events[-1]["id"] == MAX_HISTORY_EVENTS
    assert runtime.describe_execution(execution.arn)["error"] == errors.RUNTIME


def test_no_catch_or_retry_recovers_from_the_history_limit(runtime):
    """Developer Guide, concepts-error-handling: States.Runtime is not retriable and always fails the execution;
    a Catch on States.ALL, or naming States.Runtime, cannot go on once the history is full."""
    catch = [{"ErrorEquals": ["States.Runtime"], "Next": "Recovered"}, {"ErrorEquals": ["States.ALL"],
                                                                          "Next": "Recovered"}]
    retry = [{"ErrorEquals": ["States.Runtime"], "MaxAttempts": 5}]
    states = {**_loop(100_000), "Recovered": {"Type": "Pass", "End": True}}
    # Output keeps the state's input: a Parallel's result is the array of its branches' outputs, which would nest
    # one level deeper on every round.
    states["Count"] = {"Type": "Parallel", "Branches": [machine({"Noop": {"Type": "Pass", "End": True}})],
                       "Assign": {"n": "{% $n + 1 %}"}, "Output": "{% $states.input %}", "Next": "Again?",
                       "Catch": catch, "Retry": retry}
    execution = run(runtime, machine(states))
    assert (execution.status, execution.error, execution.cause) == ("FAILED", errors.RUNTIME, HISTORY_LIMIT_CAUSE)
    assert len(history_types(runtime, execution)) == MAX_HISTORY_EVENTS


def test_express_executions_have_no_history_limit(runtime):
    """Developer Guide, service-quotas: the history quota is for Standard workflows; Express keep no history."""
    execution = run(runtime, _loop_machine(ROUNDS_AT_THE_LIMIT + 100), type_="EXPRESS")
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)


def test_a_distributed_map_child_has_a_history_of_its_own(runtime):
    """Developer Guide, state-map-distributed: each child workflow execution has its own execution history,
    apart from its parent's; a child at the limit fails alone, with States.Runtime."""
    long_child = processor(_loop("$states.input.rounds"))
    items = [{"rounds": ROUNDS_AT_THE_LIMIT - 1}, {"rounds": ROUNDS_AT_THE_LIMIT + 100}]
    execution = run(runtime, machine({"Each": distributed_map(long_child, Items=items,
                                                              ToleratedFailureCount=1)}))
    results = execution.output
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert "Error" not in results[0]
    assert (results[1]["Error"], results[1]["Cause"]) == (errors.RUNTIME, HISTORY_LIMIT_CAUSE)


def _wait(seconds: int) -> dict:
    return machine({"Pause": {"Type": "Wait", "Seconds": seconds, "End": True}})


def test_an_express_execution_times_out_after_five_minutes(runtime):
    """Developer Guide, service-quotas and concepts-state-machine-executions: an Express execution runs at most
    five minutes; past that it is TIMED_OUT with States.Timeout, even when the definition's TimeoutSeconds is
    longer."""
    assert run(runtime, _wait(299), type_="EXPRESS").status == "SUCCEEDED"
    execution = run(runtime, {**_wait(301), "TimeoutSeconds": 3600}, type_="EXPRESS")
    assert (execution.status, execution.error) == ("TIMED_OUT", errors.TIMEOUT)
    assert execution.stop - execution.start == 300


def test_a_standard_execution_times_out_after_a_year(runtime):
    """Developer Guide, service-quotas: a Standard execution that runs longer than one year fails with
    States.Timeout (status TIMED_OUT, an ExecutionTimedOut event); 365 days, the shorter reading of a year."""
    year = 365 * 24 * 3600
    assert run(runtime, _wait(year - 1)).status == "SUCCEEDED"
    execution = run(runtime, _wait(year + 1))
    assert (execution.status, execution.error) == ("TIMED_OUT", errors.TIMEOUT)
    assert execution.stop - execution.start == year
    assert history_types(runtime, execution)[-1] == "ExecutionTimedOut"
    assert runtime.describe_execution(execution.arn)["error"] == errors.TIMEOUT


def test_an_express_distributed_map_child_times_out_after_five_minutes(runtime):
    """Developer Guide, service-quotas: Express child executions of a Distributed Map have the five-minute
    limit too; a child that waits longer fails as TIMED_OUT with States.Timeout."""
    child = processor({"Pause": {"Type": "Wait", "Seconds": "{% $states.input %}", "End": True}}, "EXPRESS")
    execution = run(runtime, machine({"Each": distributed_map(child, Items=[10, 600], ToleratedFailureCount=1)}))
    results = execution.output
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert results[0] == 10
    assert results[1]["Error"] == errors.TIMEOUT and results[1]["Status"] == "TIMED_OUT"


def test_distributed_map_children_in_flight_are_capped_at_ten_thousand(runtime, monkeypatch):
    """Developer Guide, concepts-asl-use-map-state-distributed: a Distributed Map runs at most 10,000 child
    executions at once; a larger MaxConcurrency does not raise that. Checked with the cap lowered to 2: five
    children of 10 seconds each, MaxConcurrency 5, take three rounds."""
    from bedrock_batch.offline.distributed import map_run

    monkeypatch.setattr(map_run, "DISTRIBUTED_MAX_CONCURRENCY", 2)
    child = processor({"Pause": {"Type": "Wait", "Seconds": 10, "End": True}})
    execution = run(runtime, machine({"Each": distributed_map(child, Items=[1, 2, 3, 4, 5], MaxConcurrency=5)}))
    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert execution.stop - execution.start == 30
