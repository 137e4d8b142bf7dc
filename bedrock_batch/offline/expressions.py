"""JSONata in states: ``{% %}`` fields compiled once, evaluated per state entry.

Developer Guide, "Transforming data with JSONata in Step Functions" (transforming-data): a string field is an
expression when it starts with ``{%`` and ends with ``%}``; objects and arrays may hold expressions at any depth;
``$states`` carries input, result, errorOutput and context; Step Functions adds ``$partition``, ``$range``,
``$hash``, ``$random``, ``$uuid`` and ``$parse``, and removes ``$eval``.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import uuid
from collections.abc import Mapping
from typing import Any

from jsonata.utils import Utils

from . import json_text, jsonata_syntax
from .errors import QUERY_EVALUATION_ERROR, DefinitionError, StatesError
from .jsonata_fast import FastJsonata
from .jsonata_functions import error_text, json_type
from .jsonata_functions import js_number as jsonata_number

_HASH_ALGORITHMS = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}")


# -- the Step Functions functions ----------------------------------------------------------------------------
# Their errors name JSON types (json_type: number, string, null...), as JSONata's do, never Python's.
def _is_integer(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) \
        and value == int(value)


def _partition(array: Any, size: Any) -> list[list[Any]]:
    if not isinstance(array, list):
        raise StatesError(QUERY_EVALUATION_ERROR,
                          f"$partition: the first argument must be an array, not {json_type(array)}")
    if not _is_integer(size) or size <= 0:
        raise StatesError(QUERY_EVALUATION_ERROR, "$partition: the chunk size must be a positive integer, not "
                          + (f"{json_type(size)}" if not isinstance(size, int | float) or isinstance(size, bool)
                             else jsonata_number(size)))
    n = int(size)
    return [list(array[i : i + n]) for i in range(0, len(array), n)]


def _range(start: Any, end: Any, step: Any = 1) -> Any:
    """``$range(start, end, step)``: the end is inclusive, as the Developer Guide's example shows.

    A range of one number is that number (a JSONata sequence of one item is its item, as AWS returns it).
    """
    for v in (start, end, step):
        if not _is_integer(v):
            raise StatesError(QUERY_EVALUATION_ERROR, f"$range: arguments must be integers, not {json_type(v)}"
                              if not isinstance(v, int | float) or isinstance(v, bool)
                              else f"$range: arguments must be integers, not {jsonata_number(v)}")
    if step == 0:
        raise StatesError(QUERY_EVALUATION_ERROR, "$range: step cannot be 0")
    stop = int(end) + (1 if step > 0 else -1)
    numbers = list(range(int(start), stop, int(step)))
    return numbers[0] if len(numbers) == 1 else numbers


def _hash(data: Any, algorithm: Any) -> str:
    if not isinstance(data, str):
        raise StatesError(QUERY_EVALUATION_ERROR, f"$hash: the data must be a string, not {json_type(data)}")
    name = _HASH_ALGORITHMS.get(algorithm) if isinstance(algorithm, str) else None
    if name is None:
        allowed = ", ".join(_HASH_ALGORITHMS)
        given = json.dumps(algorithm) if isinstance(algorithm, str) else json_type(algorithm)
        raise StatesError(QUERY_EVALUATION_ERROR, f"$hash: unsupported algorithm {given}; use one of {allowed}")
    return hashlib.new(name, data.encode()).hexdigest()


def _random(seed: Any = None) -> float:
    if seed is None:
        return random.random()
    return random.Random(seed).random()


def _uuid() -> str:
    return str(uuid.uuid4())


def _parse(text: Any) -> Any:
    if not isinstance(text, str):
        raise StatesError(QUERY_EVALUATION_ERROR, f"$parse: the argument must be a JSON string, not {json_type(text)}")
    try:
        return json_text.loads(text)
    except json.JSONDecodeError as err:
        raise StatesError(QUERY_EVALUATION_ERROR, f"$parse: invalid JSON ({err.msg} at {err.pos})") from None


def _no_eval(*_: Any) -> None:
    raise StatesError(QUERY_EVALUATION_ERROR, "$eval is not supported in Step Functions")


def _arity(name: str, function: Any, least: int, most: int) -> Any:
    """``function``, refusing a call with too few or too many arguments in JSONata's terms (not a Python TypeError)."""

    def checked(*args: Any) -> Any:
        if not least <= len(args) <= most:
            wanted = str(least) if least == most else f"{least} to {most}"
            raise StatesError(QUERY_EVALUATION_ERROR,
                              f"${name}: takes {wanted} argument{'' if most == 1 else 's'}, {len(args)} given")
        return function(*args)

    return checked


_FUNCTIONS = {
    "partition": _arity("partition", _partition, 2, 2),
    "range": _arity("range", _range, 2, 3),
    "hash": _arity("hash", _hash, 2, 2),
    "random": _arity("random", _random, 0, 1),
    "uuid": _arity("uuid", _uuid, 0, 0),
    "parse": _arity("parse", _parse, 1, 1),
    "eval": _no_eval,
}


_NULL = Utils.NULL_VALUE
_SCALARS = frozenset({str, int, bool, type(None)})


def _to_json(value: Any) -> Any:
    """Turn jsonata-python's values into plain JSON values (nulls, sequences, whole floats).

    One pass over the value: its null marker becomes None, a whole float an int, a sequence a list. Objects, the
    most frequent containers, are tested for first. A plain dict or list with nothing inside to turn is returned as
    it is, not copied: a result that holds a state's input rows (a batch's ``$checked`` holds every row of it)
    would otherwise hold a second copy of each row for as long as the child lives. Sharing is safe because no
    value is ever changed in place (the runtime copies before it changes one; JSONata builds new containers).
    """
    kind = value.__class__
    if kind is dict:
        return _dict_to_json(value)
    if kind in _SCALARS:
        return value
    if value is _NULL:
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() and math.isfinite(value) else value
    if kind is list:
        for i, v in enumerate(value):
            if v.__class__ not in _SCALARS:
                turned = _to_json(v)
                if turned is not v:
                    return [*value[:i], turned, *(w if w.__class__ in _SCALARS else _to_json(w) for w in value[i + 1:])]
        return value
    if isinstance(value, list):
        return _sequence_to_json(value)
    if isinstance(value, dict):
        return {k: v if v.__class__ in _SCALARS else _to_json(v) for k, v in value.items()}
    return value


def _sequence_to_json(value: list[Any]) -> list[Any]:
    """``_to_json`` of a sequence (a list subclass with JSONata's flags): always a plain list."""
    return [v if v.__class__ in _SCALARS else _dict_to_json(v) if v.__class__ is dict else _to_json(v) for v in value]


def _dict_to_json(value: dict[str, Any]) -> dict[str, Any]:
    """``_to_json`` of a plain dict: itself when no value inside changes, else a copy (the same key order) with
    the values that change replaced. A sequence inside, the most frequent value to turn (the arrays an object
    constructor builds), is turned here rather than through ``_to_json``'s tests."""
    result: dict[str, Any] | None = None
    for k, v in value.items():
        kind = v.__class__
        if kind not in _SCALARS:
            if kind is dict:
                turned = _dict_to_json(v)
            elif kind is not list and isinstance(v, list):
                turned = _sequence_to_json(v)
            else:
                turned = _to_json(v)
            if turned is not v:
                if result is None:
                    result = value.copy()
                result[k] = turned
    return value if result is None else result


class Expression:
    """One ``{% %}`` expression, compiled once.

    ``where`` places it for definition errors ("State 'X', field 'Arguments'"); ``field`` is the path AWS names
    in an evaluation error, relative to the state, with ``/`` before each key and ``[i]`` for each index
    (``Arguments/Input/pushLocation``).
    """

    __slots__ = ("source", "body", "where", "field", "_compiled")

    def __init__(self, source: str, where: str, field: str = "") -> None:
        self.source = source
        self.where = where
        self.field = field
        body = source[2:-2].strip()
        self.body = body
        if not body:
            raise DefinitionError(f"{where}: the JSONata expression is empty")
        try:
            jsonata_syntax.check(body)  # what JSONata 2.0.6 does not have (?? and ?:), refused as AWS refuses it
            self._compiled = FastJsonata(body)
        except Exception as err:  # jsonata raises JException for syntax errors
            raise DefinitionError(f"{where}: invalid JSONata {source!r}: {error_text(err)}") from None
        if self._compiled.errors:
            raise DefinitionError(f"{where}: invalid JSONata {source!r}: {error_text(self._compiled.errors[0])}")
        self._compiled.set_validate_input(False)
        self._compiled.set_output_convert_nulls(False)
        for name, fn in _FUNCTIONS.items():
            self._compiled.register_lambda(name, fn)

    def evaluate(self, bindings: Mapping[str, Any], input: Any = None) -> tuple[bool, Any]:
        """Returns ``(defined, value)``: JSONata's "undefined" is kept apart from null.

        ``input`` is ``$`` (a state's fields have none: they read ``$states``).
        """
        try:
            result = self._compiled.evaluate(input, bindings)
        except StatesError:
            raise
        except Exception as err:
            # The JSONata error code and message (T1006: Attempted to invoke a non-function), as AWS's cause has them.
            raise StatesError(QUERY_EVALUATION_ERROR, f"An error occurred while evaluating the JSONata expression "
                              f"'{self.body}' specified for the field '{self.field}': {error_text(err)}") from None
        if result is None:
            return False, None
        return True, _to_json(result)

    def value(self, bindings: Mapping[str, Any]) -> Any:
        """The expression's value; nothing (undefined) fails the state, wherever the expression sits in a field.

        Recorded AWS executions (facts.md, "undefined JSONata results"): States.QueryEvaluationError, raised
        before any service is called, naming the expression and the field.
        """
        defined, value = self.evaluate(bindings)
        if not defined:
            raise StatesError(
                QUERY_EVALUATION_ERROR,
                f"The JSONata expression '{self.body}' specified for the field '{self.field}' returned nothing "
                "(undefined).",
            )
        return value

    def unexpected_type(self, expected: str, value: Any) -> StatesError:
        """AWS's error for a field whose expression returns a value of the wrong JSON type (``Items``...)."""
        shown = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        return StatesError(
            QUERY_EVALUATION_ERROR,
            f"The JSONata expression '{self.body}' specified for the field '{self.field}' returned an unexpected "
            f"result type. Expected '{expected}', but was '{_json_type(value)}' for value: {shown}",
        )


def _json_type(value: Any) -> str:
    """The JSON type of a plain JSON value (None is null here, not JSONata's undefined)."""
    return json_type(_NULL if value is None else value)


class Template:
    """A field's value: JSON whose strings may be ``{% %}`` expressions at any depth.

    ``field`` is the field's AWS path relative to the state (``Arguments``, ``Catch[1]/Output``,
    ``ItemReader/Arguments``); nested expressions extend it with ``/key`` and ``[i]``.
    """

    __slots__ = ("where", "field", "_node", "_constant")

    def __init__(self, value: Any, where: str, field: str = "") -> None:
        self.where = where
        self.field = field
        self._constant = not _has_expression(value)
        self._node = value if self._constant else _compile(value, where, field)

    @property
    def is_constant(self) -> bool:
        return self._constant

    @property
    def expression(self) -> Expression | None:
        """The expression when the whole field is one, for messages about the type of its value."""
        return self._node if isinstance(self._node, Expression) else None

    def evaluate(self, bindings: Mapping[str, Any]) -> Any:
        if self._constant:
            return self._node
        if isinstance(self._node, Expression):
            return self._node.value(bindings)
        return _evaluate(self._node, bindings)

    def unexpected_type(self, expected: str, value: Any) -> StatesError:
        """The error for a value of the wrong JSON type: AWS's wording when the field is one expression."""
        if isinstance(self._node, Expression):
            return self._node.unexpected_type(expected, value)
        shown = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        return StatesError(
            QUERY_EVALUATION_ERROR,
            f"The value of the field '{self.field}' has an unexpected type. Expected '{expected}', but was "
            f"'{_json_type(value)}' for value: {shown}",
        )

    def expressions(self) -> list[Expression]:
        found: list[Expression] = []
        _collect(self._node, found)
        return found


def _has_expression(value: Any) -> bool:
    if is_expression(value):
        return True
    if isinstance(value, dict):
        return any(_has_expression(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_expression(v) for v in value)
    return False


def _compile(value: Any, where: str, field: str) -> Any:
    if is_expression(value):
        return Expression(value, where, field)
    if isinstance(value, dict):
        return {k: _compile(v, f"{where}.{k}", f"{field}/{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_compile(v, f"{where}[{i}]", f"{field}[{i}]") for i, v in enumerate(value)]
    return value


def _evaluate(node: Any, bindings: Mapping[str, Any]) -> Any:
    """A field's JSON with each expression replaced by its value; one that returns nothing fails the state."""
    if isinstance(node, Expression):
        return node.value(bindings)
    if isinstance(node, dict):
        return {k: _evaluate(v, bindings) for k, v in node.items()}
    if isinstance(node, list):
        return [_evaluate(v, bindings) for v in node]
    return node


def _collect(node: Any, found: list[Expression]) -> None:
    if isinstance(node, Expression):
        found.append(node)
    elif isinstance(node, dict):
        for v in node.values():
            _collect(v, found)
    elif isinstance(node, list):
        for v in node:
            _collect(v, found)
