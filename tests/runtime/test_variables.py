"""Workflow variables (Developer Guide, workflow-variables): Assign, scopes, and when new values take effect."""

from __future__ import annotations

import pytest

from bedrock_batch.offline.errors import DefinitionError


def _branch(states: dict) -> dict:
    return {"StartAt": next(iter(states)), "States": states}


def test_assigned_variable_is_visible_in_later_states(run_states):
    """Developer Guide, workflow-variables: a variable assigned in one state can be read in any later state."""
    execution = run_states({
        "Remember": {"Type": "Pass", "Assign": {"jobId": "{% $states.input.id %}", "fixed": [1, 2]},
                     "Output": {}, "Next": "Elsewhere"},
        "Elsewhere": {"Type": "Pass", "Output": "nothing", "Next": "Recall"},
        "Recall": {"Type": "Pass", "Output": {"job": "{% $jobId %}", "fixed": "{% $fixed %}"}, "End": True},
    }, {"id": "job-9"})
    assert execution.output == {"job": "job-9", "fixed": [1, 2]}


def test_assign_and_output_of_one_state_see_the_values_from_state_entry(run_states):
    """Developer Guide, workflow-variables: within a state, Assign and Output both read the variables as they were
    when the state was entered; new values apply when the state ends."""
    execution = run_states({
        "Set": {"Type": "Pass", "Assign": {"x": 1}, "Next": "Update"},
        "Update": {"Type": "Pass", "Assign": {"x": "{% $x + 1 %}", "previous": "{% $x %}"},
                   "Output": {"xDuringState": "{% $x %}"}, "Next": "Read"},
        "Read": {"Type": "Pass", "Output": {"x": "{% $x %}", "previous": "{% $previous %}",
                                            "fromUpdate": "{% $states.input %}"}, "End": True},
    })
    assert execution.output == {"x": 2, "previous": 1, "fromUpdate": {"xDuringState": 1}}


def test_task_assign_reads_states_result(runtime, run_states):
    """Developer Guide, workflow-variables: a Task's Assign can read $states.result."""
    runtime.register_lambda("answer", lambda _e, _c: {"value": 42})
    execution = run_states({
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                 "Arguments": {"FunctionName": "answer"},
                 "Assign": {"answer": "{% $states.result.Payload.value %}"}, "Output": {}, "Next": "Read"},
        "Read": {"Type": "Pass", "Output": "{% $answer %}", "End": True},
    })
    assert execution.output == 42


def test_parallel_branches_read_outer_variables(run_states):
    """Developer Guide, workflow-variables: states in a Parallel branch can read variables of the outer scope."""
    execution = run_states({
        "Set": {"Type": "Pass", "Assign": {"prefix": "run-7"}, "Next": "Fan out"},
        "Fan out": {"Type": "Parallel", "End": True, "Branches": [
            _branch({"A": {"Type": "Pass", "Output": "{% $prefix & '/a' %}", "End": True}}),
            _branch({"B": {"Type": "Pass", "Output": "{% $prefix & '/b' %}", "End": True}}),
        ]},
    })
    assert execution.output == ["run-7/a", "run-7/b"]


def test_map_iterations_read_outer_variables(run_states):
    """Developer Guide, workflow-variables: states in an inline Map iteration can read outer variables."""
    execution = run_states({
        "Set": {"Type": "Pass", "Assign": {"factor": 10}, "Next": "Each"},
        "Each": {"Type": "Map", "Items": [1, 2, 3], "End": True, "ItemProcessor": {
            "StartAt": "Scale", "States": {"Scale": {"Type": "Pass", "Output": "{% $states.input * $factor %}",
                                                     "End": True}}}},
    })
    assert execution.output == [10, 20, 30]


def test_inner_assignments_do_not_leak_out_of_parallel(run_states):
    """Developer Guide, workflow-variables: variables assigned in a branch are not visible to the outer scope;
    a branch returns data through its Output."""
    execution = run_states({
        "Fan out": {"Type": "Parallel", "Next": "After", "Branches": [
            _branch({"Inner": {"Type": "Pass", "Assign": {"innerOnly": 1}, "Next": "Read inside"},
                     "Read inside": {"Type": "Pass", "Output": "{% $innerOnly %}", "End": True}}),
        ]},
        "After": {"Type": "Pass", "Output": {"branch": "{% $states.input %}", "leaked": "{% $exists($innerOnly) %}"},
                  "End": True},
    })
    assert execution.output == {"branch": [1], "leaked": False}


def test_inner_assignments_do_not_leak_out_of_map(run_states):
    """Developer Guide, workflow-variables: variables assigned in a Map iteration stay in that iteration."""
    execution = run_states({
        "Each": {"Type": "Map", "Items": [1, 2], "Next": "After", "ItemProcessor": {
            "StartAt": "Inner", "States": {
                "Inner": {"Type": "Pass", "Assign": {"mine": "{% $states.input %}"}, "Next": "Read"},
                "Read": {"Type": "Pass", "Output": "{% $mine %}", "End": True}}}},
        "After": {"Type": "Pass", "Output": {"results": "{% $states.input %}", "leaked": "{% $exists($mine) %}"},
                  "End": True},
    })
    assert execution.output == {"results": [1, 2], "leaked": False}


def test_reserved_name_states_is_refused(runtime, asl):
    """Developer Guide, workflow-variables: $states is reserved; a variable cannot be named states."""
    with pytest.raises(DefinitionError) as refused:
        runtime.create_state_machine("reserved", asl({"Set": {"Type": "Pass", "Assign": {"states": 1}, "End": True}}))
    assert "Set" in str(refused.value)
    assert "Assign" in str(refused.value)


def test_catch_assign_is_visible_after_the_error(run_states):
    """Developer Guide, workflow-variables: a catcher's Assign sets variables for the states after it."""
    execution = run_states({
        "Guard": {"Type": "Parallel", "Next": "Unused", "Branches": [
            _branch({"Stop": {"Type": "Fail", "Error": "Job.Failed", "Cause": "bad input"}})],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Report",
                       "Assign": {"reason": "{% $states.errorOutput.Cause %}"}}]},
        "Unused": {"Type": "Succeed"},
        "Report": {"Type": "Pass", "Output": "{% $reason %}", "End": True},
    })
    assert execution.output == "bad input"


def test_variables_are_scoped_to_their_execution(runtime, run_definition, asl):
    """Developer Guide, workflow-variables: variables live for one execution; a new execution starts without them."""
    definition = asl({
        "Check": {"Type": "Pass", "Output": "{% $exists($counter) %}", "Assign": {"counter": 1}, "End": True},
    })
    first = run_definition(definition, name="scoped")
    machine_arn = runtime.machine_arn("scoped")
    second = runtime.run(machine_arn, {"again": True})
    assert first.output is False
    assert second.output is False
