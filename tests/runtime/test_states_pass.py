"""Pass state conformance (Developer Guide, state-pass)."""

from __future__ import annotations


def test_pass_without_output_passes_its_input_on(run_states):
    """Developer Guide, state-pass: a Pass state with no Output passes its input to its output unchanged."""
    execution = run_states({"Hand over": {"Type": "Pass", "End": True}}, {"order": 7, "items": [1, 2]})
    assert execution.status == "SUCCEEDED"
    assert execution.output == {"order": 7, "items": [1, 2]}


def test_pass_output_replaces_the_state_output(run_states):
    """Developer Guide, state-pass: Output (JSONata) specifies the state output in place of the input."""
    execution = run_states(
        {"Reshape": {"Type": "Pass", "Output": {"id": "{% $states.input.order %}", "fixed": "yes"}, "End": True}},
        {"order": 7},
    )
    assert execution.output == {"id": 7, "fixed": "yes"}


def test_pass_output_may_be_a_constant_json_value(run_states):
    """Developer Guide, transforming-data: Output accepts any JSON value, not only expressions."""
    execution = run_states({"Constant": {"Type": "Pass", "Output": [1, "two", None, True], "End": True}})
    assert execution.output == [1, "two", None, True]


def test_pass_states_chain_through_next(run_states):
    """Developer Guide, statemachine-structure: Next names the state that runs after this one."""
    execution = run_states({
        "First": {"Type": "Pass", "Output": {"n": "{% $states.input.n + 1 %}"}, "Next": "Second"},
        "Second": {"Type": "Pass", "Output": {"n": "{% $states.input.n * 10 %}"}, "End": True},
    }, {"n": 1})
    assert execution.output == {"n": 20}
