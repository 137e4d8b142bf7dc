"""Succeed and Fail state conformance (Developer Guide, state-succeed and state-fail)."""

from __future__ import annotations


def test_succeed_ends_the_execution_with_its_input(run_states):
    """Developer Guide, state-succeed: Succeed stops the execution successfully; its output is its input."""
    execution = run_states({
        "Start": {"Type": "Pass", "Output": {"done": True}, "Next": "Stop"},
        "Stop": {"Type": "Succeed"},
    })
    assert execution.status == "SUCCEEDED"
    assert execution.output == {"done": True}


def test_succeed_output_field(run_states):
    """Developer Guide, state-succeed: JSONata Succeed states may have an Output field."""
    execution = run_states({"Stop": {"Type": "Succeed", "Output": {"n": "{% $states.input.n + 1 %}"}}}, {"n": 1})
    assert execution.output == {"n": 2}


def test_fail_sets_error_and_cause(run_states):
    """Developer Guide, state-fail: Fail stops the execution as a failure with its Error and Cause."""
    execution = run_states({"Stop": {"Type": "Fail", "Error": "Batch.Rejected", "Cause": "no records"}})
    assert execution.status == "FAILED"
    assert (execution.error, execution.cause) == ("Batch.Rejected", "no records")
    assert execution.output is None


def test_fail_error_and_cause_from_jsonata(run_states):
    """Developer Guide, state-fail: in JSONata states Error and Cause may be expressions."""
    execution = run_states({
        "Stop": {"Type": "Fail", "Error": "{% 'Job.' & $states.input.code %}",
                 "Cause": "{% 'job ' & $states.input.id & ' failed' %}"},
    }, {"code": "Expired", "id": "abc"})
    assert (execution.error, execution.cause) == ("Job.Expired", "job abc failed")


def test_fail_is_terminal_with_no_next(runtime):
    """Developer Guide, state-fail: Fail states are terminal and have no Next field."""
    import pytest

    from bedrock_batch.offline.errors import DefinitionError

    with pytest.raises(DefinitionError, match="Stop"):
        runtime.create_state_machine("bad", {"QueryLanguage": "JSONata", "StartAt": "Stop", "States": {
            "Stop": {"Type": "Fail", "Error": "E", "Next": "Stop"}}})
