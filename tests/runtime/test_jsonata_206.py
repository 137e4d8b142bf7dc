"""JSONata as AWS Step Functions runs it: JSONata 2.0.6 (Developer Guide, transforming-data), where jsonata-python
differs. Each case is ours; the behaviour it checks is JSONata 2.0.6's (the docs at docs.jsonata.org, and the
jsonata-js source at tag v2.0.6 where the docs say nothing)."""

from __future__ import annotations

import re

import pytest

from bedrock_batch.offline import errors, jsonata_fast
from bedrock_batch.offline.errors import DefinitionError, StatesError
from bedrock_batch.offline.expressions import Expression
from bedrock_batch.offline.jsonata_functions import Functions206, _stringify, js_number

RUNTIME_START = 1_767_225_600.0  # the virtual clock's start in runtime tests (conftest.RUNTIME_START)


def _value(expression: str, input_=None):
    expr = Expression("{% " + expression + " %}", "State 'S', field 'Output'", "Output")
    defined, value = expr.evaluate({}, input=input_)
    assert defined
    return value


def _failure(expression: str) -> str:
    with pytest.raises(StatesError) as failed:
        Expression("{% " + expression + " %}", "State 'S', field 'Output'", "Output").evaluate({})
    assert failed.value.error == errors.QUERY_EVALUATION_ERROR
    return failed.value.cause


# -- $now() and $millis() -------------------------------------------------------------------------------------
def test_now_and_millis_read_the_virtual_clock_when_the_state_runs(run_states):
    """docs.jsonata.org date-time functions: $now() and $millis() give the time of the evaluation (jsonata-js
    captures it when ``evaluate`` starts). In the runtime that is the virtual clock, after a Wait has moved it."""
    execution = run_states({
        "Wait": {"Type": "Wait", "Seconds": 3600, "Next": "Read"},
        "Read": {"Type": "Pass", "End": True, "Output": {"now": "{% $now() %}", "millis": "{% $millis() %}"}},
    })
    assert execution.status == "SUCCEEDED"
    assert execution.output["millis"] == int((RUNTIME_START + 3600) * 1000)
    assert execution.output["now"] == Expression("{% $fromMillis(" + str(int((RUNTIME_START + 3600) * 1000)) + ") %}",
                                                  "x").evaluate({})[1]


def test_now_is_the_same_throughout_one_evaluation():
    """docs.jsonata.org $millis(): "All invocations of $millis() within an evaluation of an expression will all
    return the same value"."""
    assert _value("[1..2000].$millis() ~> $distinct() ~> $count()") == 1


# -- syntax of later versions -------------------------------------------------------------------------------------
@pytest.mark.parametrize("expression", ["$states.input.a ?? 0", "$states.input.a ?: 'none'",
                                        "$states.input.a ? ($states.input.b ?? 1) : 2"])
def test_operators_of_jsonata_2_1_are_refused_naming_state_and_field(runtime, asl, expression):
    """?? and ?: came with JSONata 2.1; 2.0.6's parser stops at the second character (S0211). AWS checks a
    definition's JSONata when it is created."""
    definition = asl({"Coalesce": {"Type": "Pass", "Output": "{% " + expression + " %}", "End": True}})
    with pytest.raises(DefinitionError) as refused:
        runtime.create_state_machine("newer", definition)
    assert "Coalesce" in str(refused.value)
    assert "Output" in str(refused.value)
    assert "S0211" in str(refused.value)


@pytest.mark.parametrize(("expression", "expected"), [
    ("true ? 'yes' : 'no'", "yes"),
    ("'a ?? b' & \"c ?: d\"", "a ?? bc ?: d"),
    ("$match('aab', /a??b/).match", "ab"),
    ("false ? 1", None),
])
def test_question_marks_of_2_0_6_syntax_are_accepted(expression, expected):
    """docs.jsonata.org conditional expressions: ``condition ? then : else`` (and no else); ``??`` in a string or
    as a lazy regex quantifier is no operator."""
    compiled = Expression("{% " + expression + " %}", "x")
    assert compiled.evaluate({})[1] == expected


# -- $sort, $string, $length --------------------------------------------------------------------------------------
def test_sort_with_a_comparator_keeps_equal_items_in_order():
    """docs.jsonata.org $sort: "The sort is stable" (jsonata-js v2.0.6 merge sort swaps only when the comparator
    returns true)."""
    items = [{"k": 1, "id": "a"}, {"k": 0, "id": "b"}, {"k": 1, "id": "c"}, {"k": 0, "id": "d"}, {"k": 1, "id": "e"}]
    assert _value("$sort($, function($l, $r) { $l.k > $r.k }).id", items) == ["b", "d", "a", "c", "e"]


def test_sort_without_comparator_takes_numbers_or_strings_only():
    """docs.jsonata.org $sort: without a function, the array must hold only numbers or only strings (D3070)."""
    assert _value("$sort([3, 1, 2])") == [1, 2, 3]
    assert _value("$sort(['b', 'a'])") == ["a", "b"]
    assert "D3070" in _failure("$sort([{'a': 1}, {'a': 0}])")


@pytest.mark.parametrize(("expression", "expected"), [
    ("$string(1e20)", "100000000000000000000"),
    ("$string(1e21)", "1e+21"),
    ("$string(1e15)", "1000000000000000"),
    ("$string(0.000001)", "0.000001"),
    ("$string(1e-7)", "1e-7"),
    ("$string(22/7)", "3.14285714285714"),
    ("$string(123456789012345678)", "123456789012346000"),
    ("$string([1e21, 0.5])", "[1e+21,0.5]"),
    ("'n=' & 1e21", "n=1e+21"),
])
def test_string_writes_numbers_as_javascript_does(expression, expected):
    """docs.jsonata.org $string: numbers are cast to strings as JavaScript does, to 15 significant digits
    (jsonata-js v2.0.6: ``Number(n.toPrecision(15))`` in JSON.stringify: exponent form from 1e21 and below 1e-6)."""
    assert _value(expression) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ({"a": 'x"y', "b": [1, True, None, "\u00e9\u2028\n"], "c": {}, "d": []},
     '{"a":"x\\"y","b":[1,true,null,"\u00e9\u2028\\n"],"c":{},"d":[]}'),
    ([999999999999999, -999999999999999, 1000000000000000, 1234567890123456789, 2.0, 0.5],
     "[999999999999999,-999999999999999,1000000000000000,1234567890123460000,2,0.5]"),
    ({"row": {"k": "v"}, "n": [[False]]}, '{"row":{"k":"v"},"n":[[false]]}'),
])
def test_string_of_objects_and_arrays_is_json_stringify(value, expected):
    """jsonata-js v2.0.6 $string: ``JSON.stringify`` with no spaces, numbers to 15 significant digits, strings
    escaped as JSON does (non-ASCII characters as they are), whether the value has floats or big integers or not."""
    assert _value("$string($)", value) == expected


class _Text(str):
    """A string of another class (not a JSON value the compact writer is given)."""


@pytest.mark.parametrize("value", [
    {"a": "x", "b": True, "c": None}, {"a": {"b": {"c": 1.5}}}, {"a": [1, [2, [0.5]]]}, {"a": 10**15},
    {"a": [-10**15 + 1, "x"]}, {"a": jsonata_fast.NULL}, [jsonata_fast.NULL], {1: "a"}, {"a": "x", True: "b"},
    ["x", None, False, {"k": [{"n": 2**60}]}], [{"a": "b"}, {"c": float("inf")}], {"a": jsonata_fast.JList([1, 2.0])},
    {"f": jsonata_fast.FastJsonata("function($x) { $x }").evaluate(None)}, [[], {}, [{}]], {"s": _Text("t")},
])
def test_string_of_objects_and_arrays_takes_the_compact_writer_only_where_it_writes_the_same(value):
    """jsonata-js v2.0.6 $string is ``JSON.stringify`` (``_stringify``); the json module's compact writer is taken
    for objects and arrays only where it writes the same text: strings, booleans, nulls and small integers at any
    depth, keys that are strings."""
    assert Functions206.string(value, None) == _stringify(value, "", "")


def test_js_number_rounds_half_up_at_fifteen_digits():
    """ECMAScript Number.prototype.toPrecision picks the larger of two equally near values."""
    assert js_number(1000000000000005) == "1000000000000010"
    assert js_number(-2.5e-7) == "-2.5e-7"


def test_length_counts_a_surrogate_pair_as_one_character():
    """docs.jsonata.org $length: the number of characters; jsonata-js counts code points (``for...of``), so the
    escaped pair \\uD834\\uDD1E is one character, as the same character in JSON input is."""
    assert _value('$length("\\uD834\\uDD1E")') == 1
    assert _value("$length($)", "\U0001d11e") == 1


# -- runaway recursion --------------------------------------------------------------------------------------------
def test_deep_recursion_is_a_query_evaluation_error_not_a_crash():
    """JSONata reports a non-terminating recursion as U1001 "Stack overflow error"."""
    cause = _failure("($f := function($x) { 1 + $f($x) }; $f(1))")
    assert "U1001" in cause and "Stack overflow" in cause


def test_endless_tail_recursion_stops(monkeypatch):
    """A tail call runs in a loop in JSONata (no stack grows); one that never ends is stopped as U1001."""
    monkeypatch.setattr(jsonata_fast, "MAX_TAIL_CALLS", 5_000)
    cause = _failure("($f := function($x) { $f($x) }; $f(1))")
    assert "U1001" in cause


def test_long_tail_recursion_under_the_bound_runs():
    """docs.jsonata.org programming, tail call optimisation: a tail-recursive function may recurse deeply."""
    assert _value("($count := function($n, $acc) { $n = 0 ? $acc : $count($n - 1, $acc + 1) }; $count(20000, 0))") \
        == 20000


# -- errors -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("expression", "code"), [("$foo()", "T1006"), ("'s' - 1", "T2001"), ("1 + null", "T2002")])
def test_the_cause_has_the_jsonata_error_code_and_message(expression, code):
    """JSONata errors carry a code (docs.jsonata.org, jsonata-js errorCodes); the cause keeps it with the message."""
    cause = _failure(expression)
    assert f"{code}: " in cause
    assert "specified for the field 'Output'" in cause


@pytest.mark.parametrize(("expression", "fragment"), [
    ("$partition('abc', 1)", "not string"),
    ("$partition([1], null)", "not null"),
    ("$partition([1], 1.5)", "not 1.5"),
    ("$range(1, 'x')", "not string"),
    ("$hash(1, 'MD5')", "not number"),
    ("$hash('a', null)", "unsupported algorithm null"),
    ("$parse(1)", "not number"),
    ("$partition([1])", "takes 2 arguments, 1 given"),
])
def test_step_functions_functions_speak_json_types(expression, fragment):
    """Developer Guide, transforming-data ($partition, $range, $hash, $parse): messages in JSON's terms."""
    cause = _failure(expression)
    assert fragment in cause
    assert not re.search(r"\b(int|NoneType|str|float|bool|TypeError)\b", cause)


def test_range_of_one_number_is_that_number_and_partition_keeps_its_array():
    """A JSONata sequence of one item is the item (docs.jsonata.org sequences): $range(1, 9, 9) gives 1, as AWS
    returns it; $partition's result is an array of arrays, [[0]] for one chunk."""
    assert _value("$range(1, 9, 9)") == 1
    assert _value("$partition([0], 1)") == [[0]]
    assert _value("$range(1, 3)") == [1, 2, 3]
