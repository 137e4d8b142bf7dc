"""Undefined JSONata values, error causes and types, as AWS answers them.

Source for every test here unless another is named: recorded AWS executions (public AWS-validated snapshot tests and
real AWS error messages, summarised in shared/brief/facts.md, "Recorded AWS behaviour"): an expression that returns
nothing fails the state with States.QueryEvaluationError wherever it sits in a field, naming the expression and the
field path (``/`` before each key, ``[i]`` for each index); the execution's cause is prefixed with the state and the
id of its entered event; nothing is called before the failure.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers import BUCKET, distributed_map, machine, object_reader, offline_runtime, processor, put_text, run

from bedrock_batch.offline.runtime import Runtime

MISSING = "$states.input.missing"


def undefined_in(field: str) -> str:
    return f"The JSONata expression '{MISSING}' specified for the field '{field}' returned nothing (undefined)."


@pytest.fixture
def rt() -> Iterator[Runtime]:
    with offline_runtime() as runtime:
        yield runtime


def failure(rt: Runtime, states: dict, input_: object = None) -> tuple[str | None, str | None]:
    execution = run(rt, machine(states), input_ if input_ is not None else {})
    assert execution.status == "FAILED", execution.output
    return execution.error, execution.cause


M = "{% " + MISSING + " %}"


@pytest.mark.parametrize(("state", "field"), [
    ({"Type": "Pass", "Output": M, "End": True}, "Output"),
    ({"Type": "Pass", "Output": {"a": {"b": [1, M]}}, "End": True}, "Output/a/b[1]"),
    ({"Type": "Pass", "Assign": {"x": M}, "End": True}, "Assign/x"),
    ({"Type": "Pass", "Assign": {"x": {"y": [M]}}, "End": True}, "Assign/x/y[0]"),
    ({"Type": "Wait", "Seconds": M, "End": True}, "Seconds"),
    ({"Type": "Wait", "Timestamp": M, "End": True}, "Timestamp"),
    ({"Type": "Map", "Items": M, "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
      "End": True}, "Items"),
    ({"Type": "Map", "Items": [1], "MaxConcurrency": M,
      "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, "End": True},
     "MaxConcurrency"),
    ({"Type": "Map", "Items": [1], "ItemSelector": {"v": M},
      "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, "End": True},
     "ItemSelector/v"),
    ({"Type": "Parallel", "Arguments": {"v": M}, "Branches": [{"StartAt": "P", "States": {
        "P": {"Type": "Pass", "End": True}}}], "End": True}, "Arguments/v"),
])
def test_a_nested_or_whole_field_that_returns_nothing_fails_the_state_naming_the_field(rt, state, field):
    error, cause = failure(rt, {"S": state})
    assert error == "States.QueryEvaluationError"
    assert cause.endswith(undefined_in(field))


def test_the_execution_cause_names_the_state_and_the_id_of_its_entered_event(rt):
    """The prefix: "An error occurred while executing the state '<name>' (entered at the event id #<n>). "."""
    execution = run(rt, machine({
        "First": {"Type": "Pass", "Next": "Build the input"},
        "Build the input": {"Type": "Pass", "Output": {"Input": {"pushLocation": M}}, "End": True}}), {})
    assert execution.status == "FAILED" and execution.error == "States.QueryEvaluationError"
    history = rt.get_execution_history(execution.arn)
    entered = next(e["id"] for e in history if e["type"] == "PassStateEntered" and e.get("name") == "Build the input")
    assert execution.cause == (
        f"An error occurred while executing the state 'Build the input' (entered at the event id #{entered}). "
        + undefined_in("Output/Input/pushLocation"))


def test_the_prefix_is_added_once_at_the_innermost_state(rt):
    execution = run(rt, machine({"Outer": {"Type": "Parallel", "Branches": [{"StartAt": "Inner", "States": {
        "Inner": {"Type": "Pass", "Output": M, "End": True}}}], "End": True}}), {})
    assert execution.cause.count("An error occurred while executing the state") == 1
    assert "the state 'Inner'" in execution.cause


def test_a_catch_output_and_a_choice_rule_are_named_under_their_clause_or_rule(rt):
    error, cause = failure(rt, {
        "Fail first": {"Type": "Fail", "Error": "E", "Cause": "c"},
    })
    assert (error, cause) == ("E", "c")  # a Fail state's own Cause passes through unchanged
    execution = run(rt, machine({
        "S": {"Type": "Parallel", "Branches": [{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}}],
              "Next": "Done", "Catch": [
                  {"ErrorEquals": ["Other"], "Next": "Done"},
                  {"ErrorEquals": ["States.ALL"], "Output": {"v": M}, "Next": "Done"}]},
        "Done": {"Type": "Succeed"}}), {})
    assert execution.cause.endswith(undefined_in("Catch[1]/Output/v"))
    execution = run(rt, machine({
        "Pick": {"Type": "Choice", "Choices": [
            {"Condition": "{% false %}", "Next": "Done"},
            {"Condition": "{% true %}", "Assign": {"x": M}, "Next": "Done"}]},
        "Done": {"Type": "Succeed"}}), {})
    assert execution.cause.endswith(undefined_in("Choices[1]/Assign/x"))
    execution = run(rt, machine({
        "Pick": {"Type": "Choice", "Choices": [{"Condition": M, "Next": "Done"}]}, "Done": {"Type": "Succeed"}}), {})
    assert execution.cause.endswith(undefined_in("Choices[0]/Condition"))


def test_fail_error_and_cause_expressions_that_return_nothing_fail_as_such(rt):
    _, cause = failure(rt, {"Stop": {"Type": "Fail", "Error": M, "Cause": "c"}})
    assert cause.endswith(undefined_in("Error"))
    _, cause = failure(rt, {"Stop": {"Type": "Fail", "Error": "E", "Cause": M}})
    assert cause.endswith(undefined_in("Cause"))


def test_a_task_timeout_that_returns_nothing_fails_before_the_call(rt):
    _, cause = failure(rt, {"Put": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
                                    "Arguments": {"Bucket": BUCKET, "Key": "k", "Body": "b"},
                                    "TimeoutSeconds": M, "End": True}})
    assert cause.endswith(undefined_in("TimeoutSeconds"))
    assert "Contents" not in rt.client("s3").list_objects_v2(Bucket=BUCKET)


def test_distributed_map_reader_writer_and_batch_input_fields_are_named_under_their_block(rt):
    put_text(rt, "rows.jsonl", '{"a": 1}\n')
    reader = object_reader("rows.jsonl", "JSONL")
    reader["Arguments"]["Key"] = M
    _, cause = failure(rt, {"Map": distributed_map(processor(), ItemReader=reader, End=True)})
    assert cause.endswith(undefined_in("ItemReader/Arguments/Key"))
    _, cause = failure(rt, {"Map": distributed_map(processor(), ItemReader=object_reader("rows.jsonl", "JSONL"),
                                                   ItemBatcher={"MaxItemsPerBatch": 2, "BatchInput": {"b": M}},
                                                   End=True)})
    assert cause.endswith(undefined_in("ItemBatcher/BatchInput/b"))
    _, cause = failure(rt, {"Map": distributed_map(processor(), ItemReader=object_reader("rows.jsonl", "JSONL"),
                                                   ResultWriter={"Resource": "arn:aws:states:::s3:putObject",
                                                                 "Arguments": {"Bucket": BUCKET, "Prefix": M}},
                                                   End=True)})
    assert cause.endswith(undefined_in("ResultWriter/Arguments/Prefix"))


def test_inside_one_object_constructor_an_undefined_key_is_dropped(rt):
    """JSONata's own semantics: ``{'a': 1, 'b': undefined}`` is ``{'a': 1}``, and the field is defined."""
    execution = run(rt, machine({"S": {"Type": "Pass", "Output": "{% {'a': 1, 'b': " + MISSING + "} %}",
                                       "End": True}}), {})
    assert execution.output == {"a": 1}


def test_a_variable_assigned_null_holds_null(rt):
    execution = run(rt, machine({
        "Set": {"Type": "Pass", "Assign": {"v": None, "w": "{% null %}"}, "Next": "Read"},
        "Read": {"Type": "Pass", "Output": {"v": "{% $v %}", "w": "{% $w %}", "t": "{% $type($v) %}"}, "End": True}}))
    assert execution.output == {"v": None, "w": None, "t": "null"}


def test_items_of_another_type_and_a_map_input_that_is_no_array(rt):
    body = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    _, cause = failure(rt, {"Map": {"Type": "Map", "Items": "{% $states.input %}", "ItemProcessor": body,
                                    "End": True}}, {"foo": "bar"})
    assert cause.endswith("The JSONata expression '$states.input' specified for the field 'Items' returned an "
                          "unexpected result type. Expected 'array', but was 'object' for value: {\"foo\":\"bar\"}")
    execution = run(rt, machine({"Map": {"Type": "Map", "ItemProcessor": body, "End": True}}), 1)
    assert execution.cause.endswith("Map state input must be an array but was: 1")


def test_a_wait_timestamp_that_is_no_iso_8601_offset_date_time(rt):
    _, cause = failure(rt, {"Wait": {"Type": "Wait", "Timestamp": "{% $states.input.t %}", "End": True}},
                       {"t": "2016-12-05 21:29:29Z"})
    assert cause.endswith("cannot be parsed as an ISO-8601 extended offset date-time format string: "
                          "2016-12-05 21:29:29Z")


def test_messages_name_json_types_not_python_types(rt):
    _, cause = failure(rt, {"Wait": {"Type": "Wait", "Seconds": "{% 'ten' %}", "End": True}})
    assert "but was 'string'" in cause and "str" not in cause.replace("string", "")
    _, cause = failure(rt, {"Pick": {"Type": "Choice", "Choices": [{"Condition": "{% null %}", "Next": "Done"}]},
                            "Done": {"Type": "Succeed"}})
    assert "Expected 'boolean', but was 'null'" in cause and "NoneType" not in cause


@pytest.mark.parametrize(("fields", "expected"), [
    ({"Error": "Only.Error"}, {"Error": "Only.Error"}),
    ({"Cause": "only a cause"}, {"Cause": "only a cause"}),
])
def test_a_fail_state_leaves_out_what_it_lacks(rt, fields, expected):
    execution = run(rt, machine({"Stop": {"Type": "Fail", **fields}}), {})
    assert (execution.error, execution.cause) == (expected.get("Error"), expected.get("Cause"))
    described = rt.describe_execution(execution.arn)
    assert {k: described[k] for k in ("error", "cause") if k in described} == {k.lower(): v for k, v in
                                                                                 expected.items()}
    inner = {"StartAt": "Stop", "States": {"Stop": {"Type": "Fail", **fields}}}
    caught_output = run(rt, machine({
        "Try": {"Type": "Parallel", "Branches": [inner], "Next": "Done",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}]},
        "Done": {"Type": "Pass", "End": True}}), {}).output
    assert caught_output == expected


def test_an_inline_map_accepts_tolerated_failure_fields(rt):
    execution = run(rt, machine({"Map": {
        "Type": "Map", "Items": [1, 2], "ToleratedFailurePercentage": 50, "ToleratedFailureCount": 1,
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, "End": True}}))
    assert execution.status == "SUCCEEDED" and execution.output == [1, 2]
