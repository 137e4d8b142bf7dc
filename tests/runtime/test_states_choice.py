"""Choice state conformance (Developer Guide, state-choice)."""

from __future__ import annotations

from bedrock_batch.offline import errors


def _machine(choice: dict) -> dict:
    """A Choice named Route and the Pass states its rules and Default move to (each outputs its own name)."""
    targets = [rule["Next"] for rule in choice["Choices"]] + ([choice["Default"]] if "Default" in choice else [])
    states: dict = {"Route": {"Type": "Choice", **choice}}
    for target in targets:
        states[target] = {"Type": "Pass", "Output": target.lower(), "End": True}
    return states


def test_first_true_rule_wins(run_states):
    """Developer Guide, state-choice: rules are evaluated in order and the first whose Condition is true wins."""
    states = _machine({"Choices": [
        {"Condition": "{% $states.input.n > 0 %}", "Next": "Small"},
        {"Condition": "{% $states.input.n > 5 %}", "Next": "Large"},
    ], "Default": "Other"})
    assert run_states(states, {"n": 10}).output == "small"


def test_default_taken_when_no_rule_matches(run_states):
    """Developer Guide, state-choice: Default names the state to move to when no rule is true."""
    states = _machine({"Choices": [{"Condition": "{% $states.input.n > 100 %}", "Next": "Large"}],
                       "Default": "Other"})
    execution = run_states(states, {"n": 1})
    assert execution.status == "SUCCEEDED"
    assert execution.output == "other"


def test_no_match_without_default_fails_with_no_choice_matched(run_states):
    """Developer Guide, state-choice / concepts-error-handling: no true rule, no Default: States.NoChoiceMatched."""
    states = _machine({"Choices": [{"Condition": "{% $states.input.n > 100 %}", "Next": "Large"}]})
    execution = run_states(states, {"n": 1})
    assert execution.status == "FAILED"
    assert execution.error == errors.NO_CHOICE_MATCHED


def test_rule_output_applies_when_the_rule_matches(run_states):
    """Developer Guide, state-choice: a JSONata choice rule may carry its own Output, used when that rule matches."""
    states = _machine({"Choices": [
        {"Condition": "{% $states.input.n < 5 %}", "Next": "Small", "Output": {"picked": "{% $states.input.n %}"}},
    ], "Default": "Other"})
    states["Small"] = {"Type": "Pass", "End": True}
    assert run_states(states, {"n": 3}).output == {"picked": 3}


def test_rule_assign_applies_only_when_that_rule_matches(run_states):
    """Developer Guide, state-choice: a rule's Assign sets variables only when that specific rule matches."""
    states = {
        "Route": {"Type": "Choice", "Choices": [
            {"Condition": "{% $states.input.n < 5 %}", "Next": "Report", "Assign": {"size": "small"}},
            {"Condition": "{% $states.input.n >= 5 %}", "Next": "Report", "Assign": {"size": "large"}},
        ]},
        "Report": {"Type": "Pass", "Output": "{% $size %}", "End": True},
    }
    assert run_states(states, {"n": 1}).output == "small"
    assert run_states(states, {"n": 9}).output == "large"


def test_state_level_assign_applies_whichever_rule_matches(run_states):
    """Developer Guide, state-choice: an Assign at the state level applies regardless of which rule matches."""
    states = {
        "Route": {"Type": "Choice", "Assign": {"routed": True}, "Choices": [
            {"Condition": "{% $states.input.n < 5 %}", "Next": "Report", "Assign": {"size": "small"}},
        ], "Default": "Report"},
        "Report": {"Type": "Pass", "Output": {"routed": "{% $routed %}"}, "End": True},
    }
    assert run_states(states, {"n": 1}).output == {"routed": True}
    assert run_states(states, {"n": 9}).output == {"routed": True}


def test_non_boolean_condition_is_a_query_evaluation_error(run_states):
    """Developer Guide, state-choice / transforming-data: a Condition must evaluate to true or false."""
    states = _machine({"Choices": [{"Condition": "{% $states.input.n %}", "Next": "Small"}], "Default": "Other"})
    execution = run_states(states, {"n": 3})
    assert execution.status == "FAILED"
    assert execution.error == errors.QUERY_EVALUATION_ERROR


def test_choice_passes_its_input_on_by_default(run_states):
    """Developer Guide, state-choice: without Output, a Choice state's output is its input."""
    states = {
        "Route": {"Type": "Choice", "Choices": [{"Condition": "{% true %}", "Next": "Done"}]},
        "Done": {"Type": "Succeed"},
    }
    assert run_states(states, {"keep": [1, 2]}).output == {"keep": [1, 2]}
