"""Parallel state conformance (Developer Guide, state-parallel)."""

from __future__ import annotations


def _branch(states: dict) -> dict:
    return {"StartAt": next(iter(states)), "States": states}


def test_parallel_output_is_branch_outputs_in_branch_order(run_states):
    """Developer Guide, state-parallel: the output is an array with one element per branch, in branch order."""
    execution = run_states({
        "Fan out": {"Type": "Parallel", "End": True, "Branches": [
            # the first branch finishes last: order follows the Branches array, not completion
            _branch({"Slow": {"Type": "Wait", "Seconds": 30, "Next": "A"},
                     "A": {"Type": "Pass", "Output": "a", "End": True}}),
            _branch({"B": {"Type": "Pass", "Output": "{% $states.input.x %}", "End": True}}),
            _branch({"C": {"Type": "Pass", "End": True}}),
        ]},
    }, {"x": 5})
    assert execution.status == "SUCCEEDED"
    assert execution.output == ["a", 5, {"x": 5}]


def test_parallel_branches_run_concurrently(runtime, run_states):
    """Developer Guide, state-parallel: branches run in parallel, so the state takes as long as its slowest branch."""
    run_states({
        "Fan out": {"Type": "Parallel", "End": True, "Branches": [
            _branch({"W1": {"Type": "Wait", "Seconds": 10, "End": True}}),
            _branch({"W2": {"Type": "Wait", "Seconds": 25, "End": True}}),
        ]},
    })
    assert runtime.clock.monotonic() == 25


def test_parallel_arguments_become_each_branch_input(run_states):
    """Developer Guide, state-parallel: in JSONata, Arguments is the input each branch receives."""
    execution = run_states({
        "Fan out": {"Type": "Parallel", "Arguments": {"v": "{% $states.input.x * 3 %}"}, "End": True,
                    "Branches": [_branch({"P": {"Type": "Pass", "End": True}})]},
    }, {"x": 2})
    assert execution.output == [{"v": 6}]


def test_parallel_output_reads_states_result(run_states):
    """Developer Guide, transforming-data: in a Parallel state's Output, $states.result is the branches' array."""
    execution = run_states({
        "Fan out": {"Type": "Parallel", "Output": "{% $sum($states.result) %}", "End": True, "Branches": [
            _branch({"One": {"Type": "Pass", "Output": 1, "End": True}}),
            _branch({"Two": {"Type": "Pass", "Output": 2, "End": True}}),
        ]},
    })
    assert execution.output == 3


def test_failing_branch_fails_the_parallel_state_with_its_error(run_states):
    """Developer Guide, state-parallel: if any branch fails, the whole Parallel state fails with that error."""
    execution = run_states({
        "Fan out": {"Type": "Parallel", "End": True, "Branches": [
            _branch({"Fine": {"Type": "Wait", "Seconds": 100, "End": True}}),
            _branch({"Broken": {"Type": "Fail", "Error": "Branch.Broke", "Cause": "branch two"}}),
        ]},
    })
    assert execution.status == "FAILED"
    assert (execution.error, execution.cause) == ("Branch.Broke", "branch two")


def test_catch_on_parallel_handles_a_branch_failure(run_states):
    """Developer Guide, state-parallel: a branch's error can be handled by the Parallel state's Catch."""
    execution = run_states({
        "Fan out": {"Type": "Parallel", "Next": "Done", "Branches": [
            _branch({"Broken": {"Type": "Fail", "Error": "Branch.Broke", "Cause": "why"}}),
        ], "Catch": [{"ErrorEquals": ["Branch.Broke"], "Next": "Recover",
                      "Output": {"caught": "{% $states.errorOutput.Error %}"}}]},
        "Recover": {"Type": "Pass", "End": True},
        "Done": {"Type": "Succeed"},
    })
    assert execution.status == "SUCCEEDED"
    assert execution.output == {"caught": "Branch.Broke"}


def test_retry_on_parallel_reruns_every_branch(runtime, run_states):
    """Developer Guide, state-parallel: Retry on a Parallel state runs the branches again after a failure."""
    calls = []

    def flaky(event, _ctx):
        calls.append(event)
        if len(calls) == 1:
            raise RuntimeError("first time")
        return "ok"

    runtime.register_lambda("flaky", flaky)
    execution = run_states({
        "Fan out": {"Type": "Parallel", "End": True, "Branches": [
            _branch({"Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                              "Arguments": {"FunctionName": "flaky"}, "Output": "{% $states.result.Payload %}",
                              "End": True}}),
        ], "Retry": [{"ErrorEquals": ["RuntimeError"], "IntervalSeconds": 1}]},
    })
    assert execution.status == "SUCCEEDED"
    assert execution.output == ["ok"]
    assert len(calls) == 2


def test_failing_branch_stops_the_other_branches(runtime, run_states):
    """Developer Guide, state-parallel: when one branch fails, the unfinished branches are stopped."""
    execution = run_states({
        "Fan out": {"Type": "Parallel", "End": True, "Branches": [
            _branch({"Long": {"Type": "Wait", "Seconds": 3600, "End": True}}),
            _branch({"Pause": {"Type": "Wait", "Seconds": 5, "Next": "Broken"},
                     "Broken": {"Type": "Fail", "Error": "Branch.Broke"}}),
        ]},
    })
    assert execution.status == "FAILED"
    assert execution.stop - execution.start == 5
    assert runtime.clock.monotonic() == 5


def test_nested_scopes_read_every_outer_scope(run_states):
    """Developer Guide, workflow-variables: a Map inside a Parallel branch reads the top-level variables and
    the branch's own."""
    execution = run_states({
        "Set": {"Type": "Pass", "Assign": {"top": "T"}, "Next": "Fan out"},
        "Fan out": {"Type": "Parallel", "End": True, "Branches": [_branch({
            "Branch set": {"Type": "Pass", "Assign": {"mid": "M"}, "Next": "Each"},
            "Each": {"Type": "Map", "Items": [1, 2], "End": True, "ItemProcessor": {
                "StartAt": "Join", "States": {"Join": {"Type": "Pass", "End": True,
                                                       "Output": "{% $top & $mid & $string($states.input) %}"}}}},
        })]},
    })
    assert execution.output == [["TM1", "TM2"]]
