"""Static validation when a state machine is created (Developer Guide, concepts-amazon-states-language,
statemachine-structure; API Reference, CreateStateMachine: InvalidDefinition names the problem)."""

from __future__ import annotations

import pytest

from bedrock_batch.offline.errors import DefinitionError

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"


def _refused(runtime, definition, type_: str = "STANDARD") -> str:
    with pytest.raises(DefinitionError) as refused:
        runtime.create_state_machine("invalid", definition, type_)
    return str(refused.value)


def _task(**fields) -> dict:
    return {"Type": "Task", "Resource": LAMBDA_INVOKE, "Arguments": {"FunctionName": "f"}, **fields}


def test_missing_start_at_is_refused(runtime):
    """Developer Guide, statemachine-structure: StartAt is required."""
    message = _refused(runtime, {"QueryLanguage": "JSONata", "States": {"A": {"Type": "Pass", "End": True}}})
    assert "StartAt" in message


def test_start_at_naming_no_state_is_refused(runtime, asl):
    """Developer Guide, statemachine-structure: StartAt must exactly match the name of a state."""
    message = _refused(runtime, asl({"A": {"Type": "Pass", "End": True}}, start_at="Nowhere"))
    assert "Nowhere" in message


def test_empty_states_is_refused(runtime):
    """Developer Guide, statemachine-structure: States is required and holds the states."""
    message = _refused(runtime, {"QueryLanguage": "JSONata", "StartAt": "A", "States": {}})
    assert "States" in message


def test_dangling_next_is_refused_naming_state_and_target(runtime, asl):
    """Developer Guide, statemachine-structure: Next must exactly match a state name in the same scope."""
    message = _refused(runtime, asl({"Start": {"Type": "Pass", "Next": "Missing state"}}))
    assert "Start" in message
    assert "Missing state" in message


def test_next_from_a_branch_to_an_outer_state_is_refused(runtime, asl):
    """Developer Guide, state-parallel: states in a branch may only move to states within that branch."""
    message = _refused(runtime, asl({
        "Fan out": {"Type": "Parallel", "Next": "After", "Branches": [
            {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "Next": "After"}}}]},
        "After": {"Type": "Pass", "End": True},
    }))
    assert "Inner" in message
    assert "After" in message


def test_unreachable_state_is_refused_naming_it(runtime, asl):
    """Developer Guide, concepts-amazon-states-language: every state must be reachable from StartAt."""
    message = _refused(runtime, asl({"Start": {"Type": "Pass", "End": True},
                                     "Orphan": {"Type": "Pass", "End": True}}))
    assert "Orphan" in message


def test_both_next_and_end_is_refused(runtime, asl):
    """Developer Guide, statemachine-structure: a non-terminal state has either Next or End, not both."""
    message = _refused(runtime, asl({"Start": {"Type": "Pass", "Next": "Start", "End": True}}))
    assert "Start" in message


def test_neither_next_nor_end_is_refused(runtime, asl):
    """Developer Guide, statemachine-structure: a non-terminal state needs Next or End: true."""
    message = _refused(runtime, asl({"Start": {"Type": "Pass"}}))
    assert "Start" in message


def test_choice_with_end_is_refused(runtime, asl):
    """Developer Guide, state-choice: Choice states do not support the End field."""
    message = _refused(runtime, asl({
        "Route": {"Type": "Choice", "End": True, "Choices": [{"Condition": "{% true %}", "Next": "Done"}]},
        "Done": {"Type": "Succeed"},
    }))
    assert "Route" in message


def test_unknown_state_type_is_refused(runtime, asl):
    """Developer Guide, concepts-states: Type is one of the eight state types."""
    message = _refused(runtime, asl({"Start": {"Type": "Sleep", "End": True}}))
    assert "Start" in message
    assert "Sleep" in message


def test_state_name_longer_than_80_characters_is_refused(runtime, asl):
    """Developer Guide, statemachine-structure: state names are at most 80 characters."""
    long_name = "S" * 81
    message = _refused(runtime, asl({long_name: {"Type": "Pass", "End": True}}))
    assert "80" in message


def test_retry_with_states_all_not_last_is_refused(runtime, asl):
    """Developer Guide, concepts-error-handling: a retrier with States.ALL must be the last one."""
    message = _refused(runtime, asl({"Call": _task(End=True, Retry=[
        {"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["States.Timeout"]}])}))
    assert "Call" in message
    assert "Retry" in message


def test_states_all_not_alone_in_error_equals_is_refused(runtime, asl):
    """Developer Guide, concepts-error-handling: States.ALL must appear alone in ErrorEquals."""
    message = _refused(runtime, asl({"Call": _task(End=True, Retry=[
        {"ErrorEquals": ["States.ALL", "States.Timeout"]}])}))
    assert "Call" in message
    assert "States.ALL" in message


def test_catch_with_states_all_not_last_is_refused(runtime, asl):
    """Developer Guide, concepts-error-handling: a catcher with States.ALL must be the last one."""
    message = _refused(runtime, asl({
        "Call": _task(End=True, Catch=[{"ErrorEquals": ["States.ALL"], "Next": "H"},
                                       {"ErrorEquals": ["States.Timeout"], "Next": "H"}]),
        "H": {"Type": "Pass", "End": True},
    }))
    assert "Catch" in message


def test_heartbeat_not_below_timeout_is_refused(runtime, asl):
    """Developer Guide, state-task: HeartbeatSeconds must be smaller than TimeoutSeconds."""
    message = _refused(runtime, asl({"Call": _task(End=True, TimeoutSeconds=30, HeartbeatSeconds=30)}))
    assert "Call" in message
    assert "HeartbeatSeconds" in message


def test_timeout_seconds_must_be_a_positive_integer(runtime, asl):
    """Developer Guide, state-task: TimeoutSeconds is a positive, non-zero integer."""
    message = _refused(runtime, asl({"Call": _task(End=True, TimeoutSeconds=0)}))
    assert "TimeoutSeconds" in message


def test_express_machine_with_wait_for_task_token_is_refused(runtime, asl):
    """Developer Guide, concepts-standard-vs-express: Express workflows do not support .waitForTaskToken."""
    definition = asl({"Call": {"Type": "Task", "Resource": LAMBDA_INVOKE + ".waitForTaskToken",
                               "Arguments": {"FunctionName": "f"}, "End": True}})
    message = _refused(runtime, definition, "EXPRESS")
    assert "Call" in message
    runtime.create_state_machine("standard-ok", definition, "STANDARD")  # the same definition is fine as Standard


def test_unknown_resource_is_refused(runtime, asl):
    """Developer Guide, state-task / integrate-services: Resource must name a supported integration."""
    message = _refused(runtime, asl({"Call": {"Type": "Task", "Resource": "arn:aws:states:::nosuch:thing",
                                              "End": True}}))
    assert "Call" in message
    assert "Resource" in message


def test_wait_with_both_seconds_and_timestamp_is_refused(runtime, asl):
    """Developer Guide, state-wait: a Wait state uses exactly one of Seconds or Timestamp."""
    message = _refused(runtime, asl({"Pause": {"Type": "Wait", "Seconds": 1, "Timestamp": "2026-01-01T00:00:00Z",
                                               "End": True}}))
    assert "Pause" in message


def test_map_inside_branch_is_validated_too(runtime, asl):
    """Developer Guide, state-map-inline: the ItemProcessor is a state machine of its own and is validated."""
    message = _refused(runtime, asl({
        "Each": {"Type": "Map", "End": True, "ItemProcessor": {
            "StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "Next": "Ghost"}}}},
    }))
    assert "Inner" in message
    assert "Ghost" in message


def test_definition_given_as_json_text_is_accepted(runtime):
    """API Reference, CreateStateMachine: the definition is the Amazon States Language as a JSON string."""
    machine = runtime.create_state_machine(
        "text", '{"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}')
    assert runtime.run(machine.arn, {"x": 1}).output == {"x": 1}
