"""JSONata in states (Developer Guide, transforming-data): $states, the added functions, and refused fields."""

from __future__ import annotations

import hashlib
import re

import pytest

from bedrock_batch.offline import errors
from bedrock_batch.offline.errors import DefinitionError


def _eval(run_states, expression: str, input_=None):
    """Run one Pass state whose Output is ``expression``; return the execution."""
    return run_states({"Evaluate": {"Type": "Pass", "Output": expression, "End": True}}, input_)


def test_states_input_is_the_state_input(run_states):
    """Developer Guide, transforming-data: $states.input is the state's original input."""
    assert _eval(run_states, "{% $states.input.a.b %}", {"a": {"b": [1, 2]}}).output == [1, 2]


def test_expressions_nested_in_objects_and_arrays(run_states):
    """Developer Guide, transforming-data: strings at any depth of an object or array may be {% %} expressions."""
    execution = run_states({"Build": {"Type": "Pass", "End": True, "Output": {
        "list": ["{% $states.input.x %}", "literal", {"deep": "{% $states.input.x * 2 %}"}],
        "text": "{% 'x=' & $string($states.input.x) %}",
        "number": 3,
    }}}, {"x": 4})
    assert execution.output == {"list": [4, "literal", {"deep": 8}], "text": "x=4", "number": 3}


def test_results_that_hold_input_values_are_plain_json(run_states):
    """Developer Guide, transforming-data: an expression's result is a JSON value. A result that holds parts of
    the input as they are (the runtime shares them rather than copying) still turns JSONata's nulls, sequences
    and whole numbers into JSON, at any depth, in the same key order."""
    input_ = {"rows": [{"a": "x", "b": None, "n": 2}, {"a": "y", "b": [1, {"c": None}], "n": 3.5}]}
    output = _eval(run_states, "{% {'first': $states.input.rows[0], 'all': $states.input.rows, "
                               "'picked': [$states.input.rows.a], 'one': [$states.input.rows[1].b], "
                               "'nul': {'n': null, 'row': $states.input.rows[0]}, 'whole': 6 / 3} %}", input_).output
    assert output == {"first": input_["rows"][0], "all": input_["rows"], "picked": ["x", "y"],
                      "one": [1, {"c": None}], "nul": {"n": None, "row": input_["rows"][0]}, "whole": 2}
    assert list(output["nul"]) == ["n", "row"] and type(output["whole"]) is int
    assert type(output["picked"]) is list and type(output["one"]) is list


def test_arrays_of_flat_objects_are_plain_json(run_states):
    """Developer Guide, transforming-data: an expression's result is a JSON value. An array of objects whose
    values are all scalars (a batch's rows) is a plain array of those objects; one built with whole numbers
    (JSONata's 4 / 2) holds integers, whichever item of the array it is in."""
    rows = [{"a": "x", "b": None, "n": 2, "ok": True}, {"a": "y", "b": "z", "n": 3, "ok": False}]
    output = _eval(run_states, "{% {'kept': $states.input.rows[n > 0], "
                               "'built': $states.input.rows.{'a': a, 'half': n / 2, 'whole': 4 / 2}} %}",
                   {"rows": rows}).output
    assert output == {"kept": rows, "built": [{"a": "x", "half": 1, "whole": 2}, {"a": "y", "half": 1.5, "whole": 2}]}
    assert type(output["kept"]) is list and type(output["built"]) is list
    assert [type(row["half"]) for row in output["built"]] == [int, float] and type(output["built"][1]["whole"]) is int


def test_partition_splits_an_array_into_chunks(run_states):
    """Developer Guide, transforming-data: $partition(array, size) splits an array into chunks of size."""
    assert _eval(run_states, "{% $partition([1,2,3,4,5], 2) %}").output == [[1, 2], [3, 4], [5]]


def test_range_includes_its_end(run_states):
    """Developer Guide, transforming-data: $range(start, end, step) includes the end value."""
    assert _eval(run_states, "{% $range(0, 10, 2) %}").output == [0, 2, 4, 6, 8, 10]
    assert _eval(run_states, "{% $range(1, 3, 1) %}").output == [1, 2, 3]


@pytest.mark.parametrize(("algorithm", "python_name"), [("MD5", "md5"), ("SHA-256", "sha256"), ("SHA-1", "sha1"),
                                                        ("SHA-512", "sha512")])
def test_hash_matches_hashlib(run_states, algorithm, python_name):
    """Developer Guide, transforming-data: $hash(data, algorithm) returns the hex digest (MD5, SHA-1, SHA-256 ...)."""
    execution = _eval(run_states, f"{{% $hash($states.input.s, '{algorithm}') %}}", {"s": "Bedrock batch ✓"})
    assert execution.output == hashlib.new(python_name, "Bedrock batch ✓".encode()).hexdigest()


def test_random_with_a_seed_is_deterministic(run_states):
    """Developer Guide, transforming-data: $random(seed) returns the same number in [0, 1) for the same seed."""
    first = _eval(run_states, "{% [$random(42), $random(42), $random(7)] %}").output
    second = _eval(run_states, "{% [$random(42), $random(42), $random(7)] %}").output
    assert first == second
    assert first[0] == first[1]
    assert all(0 <= value < 1 for value in first)


def test_random_without_seed_is_a_number_between_zero_and_one(run_states):
    """Developer Guide, transforming-data: $random() returns a random number n with 0 <= n < 1."""
    value = _eval(run_states, "{% $random() %}").output
    assert isinstance(value, float)
    assert 0 <= value < 1


def test_uuid_is_a_version_4_uuid(run_states):
    """Developer Guide, transforming-data: $uuid() returns a version 4 UUID string."""
    values = _eval(run_states, "{% [$uuid(), $uuid()] %}").output
    pattern = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
    assert all(pattern.match(v) for v in values)
    assert values[0] != values[1]


def test_parse_turns_a_json_string_into_a_value(run_states):
    """Developer Guide, transforming-data: $parse(string) deserialises JSON text."""
    execution = _eval(run_states, "{% $parse($states.input.body) %}", {"body": '{"a": [1, {"b": null}]}'})
    assert execution.output == {"a": [1, {"b": None}]}


def test_eval_is_not_available(runtime, run_definition, asl):
    """Developer Guide, transforming-data: every JSONata 2.0.6 function is supported except $eval."""
    definition = asl({"Evaluate": {"Type": "Pass", "Output": "{% $eval('1 + 1') %}", "End": True}})
    try:
        execution = run_definition(definition)
    except DefinitionError:
        return  # refused when the state machine is created
    assert execution.status == "FAILED"
    assert execution.output != 2


def test_whole_field_returning_undefined_fails_the_state(run_states):
    """Developer Guide, transforming-data: a field whose expression yields no value is States.QueryEvaluationError."""
    execution = _eval(run_states, "{% $states.input.missing %}", {"present": 1})
    assert execution.status == "FAILED"
    assert execution.error == errors.QUERY_EVALUATION_ERROR


def test_runtime_error_in_an_expression_is_a_query_evaluation_error(run_states):
    """Developer Guide, transforming-data: an expression that throws is States.QueryEvaluationError."""
    execution = _eval(run_states, "{% $number('not a number') + $states.input %}", 1)
    assert execution.status == "FAILED"
    assert execution.error == errors.QUERY_EVALUATION_ERROR


def test_query_language_at_state_level_overrides_top_level(run_definition):
    """Developer Guide, transforming-data: a state's QueryLanguage overrides the state machine's."""
    execution = run_definition({"QueryLanguage": "JSONPath", "StartAt": "Only", "States": {
        "Only": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input.v + 1 %}", "End": True}}},
        {"v": 1})
    assert execution.output == 2


def test_query_language_at_top_level_applies_to_every_state(run_definition, asl):
    """Developer Guide, transforming-data: a top-level QueryLanguage applies to states that do not set their own."""
    execution = run_definition(asl({"Only": {"Type": "Pass", "Output": "{% $states.input.v * 3 %}", "End": True}}),
                               {"v": 2})
    assert execution.output == 6


def test_definition_without_query_language_is_refused_naming_the_state(runtime):
    """Developer Guide, transforming-data: the default QueryLanguage is JSONPath, which this runtime refuses."""
    with pytest.raises(DefinitionError, match="Only"):
        runtime.create_state_machine("jp", {"StartAt": "Only", "States": {"Only": {"Type": "Pass", "End": True}}})


def test_jsonpath_state_is_refused_naming_the_state(runtime, asl):
    """Developer Guide, transforming-data: a state may opt into JSONPath; this runtime refuses it at creation."""
    definition = asl({"First": {"Type": "Pass", "Next": "Old style"},
                      "Old style": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": True}})
    with pytest.raises(DefinitionError, match="Old style"):
        runtime.create_state_machine("jp", definition)


@pytest.mark.parametrize("field", ["Parameters", "ResultPath", "InputPath", "OutputPath", "ResultSelector"])
def test_jsonpath_only_fields_are_refused_naming_state_and_field(runtime, asl, field):
    """Developer Guide, transforming-data: InputPath, Parameters, ResultSelector, ResultPath, OutputPath are not
    valid in JSONata states."""
    definition = asl({"Call it": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                  "Arguments": {"FunctionName": "f"}, field: "$.x", "End": True}})
    with pytest.raises(DefinitionError) as refused:
        runtime.create_state_machine("jp", definition)
    assert "Call it" in str(refused.value)
    assert field in str(refused.value)


@pytest.mark.parametrize(("field", "value"), [("Output", "{% $states.input. %}"),
                                              ("Assign", {"x": "{% (1 + %}"})])
def test_jsonata_syntax_error_refused_naming_state_and_field(runtime, asl, field, value):
    """Developer Guide, transforming-data: JSONata expressions are checked when the state machine is created."""
    definition = asl({"Broken expr": {"Type": "Pass", field: value, "End": True}})
    with pytest.raises(DefinitionError) as refused:
        runtime.create_state_machine("syntax", definition)
    assert "Broken expr" in str(refused.value)
    assert field in str(refused.value)


def test_arrays_built_inside_objects_are_plain_json_and_unchanged_objects_are_shared():
    """Developer Guide, transforming-data: an expression's result is a JSON value. Arrays JSONata builds inside
    objects at any depth (a Bedrock record's messages and content) are plain lists holding plain JSON, the keys in
    their order; an object of the input with nothing to turn is the input's own (the runtime shares it)."""
    from bedrock_batch.offline.expressions import Expression

    row = {"text": "hi", "n": 1.5, "tags": ["a"], "deep": {"x": [None]}}
    expression = Expression("{% {'id': 'r', 'body': {'messages': [{'role': 'user', 'content': [{'text': $row.text}]}],"
                            " 'system': [$row.tags, [null]], 'row': $row, 'whole': {'h': 4 / 2, 'n': null},"
                            " 'last': 1}, 'seq': $row.deep.x, 'keys': [$keys($row)]} %}", "test")
    defined, value = expression.evaluate({"row": row})
    assert defined and value == {
        "id": "r", "body": {"messages": [{"role": "user", "content": [{"text": "hi"}]}],
                            "system": ["a", [None]], "row": row, "whole": {"h": 2, "n": None}, "last": 1},
        "seq": [None], "keys": ["text", "n", "tags", "deep"]}
    assert list(value) == ["id", "body", "seq", "keys"]
    assert list(value["body"]) == ["messages", "system", "row", "whole", "last"]
    assert value["body"]["row"] is row and type(value["body"]["whole"]["h"]) is int

    def plain(item):
        if isinstance(item, list):
            return type(item) is list and all(plain(v) for v in item)
        if isinstance(item, dict):
            return type(item) is dict and all(plain(v) for v in item.values())
        return item is None or type(item) in (str, int, float, bool)

    assert plain(value)
