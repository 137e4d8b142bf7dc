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

from .errors import QUERY_EVALUATION_ERROR, DefinitionError, StatesError
from .jsonata_fast import FastJsonata

_HASH_ALGORITHMS = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}")


# -- the Step Functions functions ----------------------------------------------------------------------------
def _partition(array: Any, size: Any) -> list[list[Any]]:
    if not isinstance(array, list):
        raise StatesError(QUERY_EVALUATION_ERROR, "$partition: the first argument must be an array")
    if not isinstance(size, int | float) or size <= 0 or size != int(size):
        raise StatesError(QUERY_EVALUATION_ERROR, "$partition: the chunk size must be a positive integer")
    n = int(size)
    return [list(array[i : i + n]) for i in range(0, len(array), n)]


def _range(start: Any, end: Any, step: Any = 1) -> list[int]:
    """``$range(start, end, step)``: the end is inclusive, as the Developer Guide's example shows."""
    for v in (start, end, step):
        if not isinstance(v, int | float) or v != int(v):
            raise StatesError(QUERY_EVALUATION_ERROR, "$range: arguments must be integers")
    if step == 0:
        raise StatesError(QUERY_EVALUATION_ERROR, "$range: step cannot be 0")
    stop = int(end) + (1 if step > 0 else -1)
    return list(range(int(start), stop, int(step)))


def _hash(data: Any, algorithm: Any) -> str:
    if not isinstance(data, str):
        raise StatesError(QUERY_EVALUATION_ERROR, "$hash: the data must be a string")
    name = _HASH_ALGORITHMS.get(algorithm)
    if name is None:
        allowed = ", ".join(_HASH_ALGORITHMS)
        raise StatesError(QUERY_EVALUATION_ERROR, f"$hash: unsupported algorithm {algorithm!r}; use one of {allowed}")
    return hashlib.new(name, data.encode()).hexdigest()


def _random(seed: Any = None) -> float:
    if seed is None:
        return random.random()
    return random.Random(seed).random()


def _uuid() -> str:
    return str(uuid.uuid4())


def _parse(text: Any) -> Any:
    if not isinstance(text, str):
        raise StatesError(QUERY_EVALUATION_ERROR, "$parse: the argument must be a JSON string")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise StatesError(QUERY_EVALUATION_ERROR, f"$parse: invalid JSON ({err.msg} at {err.pos})") from None


def _no_eval(*_: Any) -> None:
    raise StatesError(QUERY_EVALUATION_ERROR, "$eval is not supported in Step Functions")


_FUNCTIONS = {
    "partition": _partition,
    "range": _range,
    "hash": _hash,
    "random": _random,
    "uuid": _uuid,
    "parse": _parse,
    "eval": _no_eval,
}


_NULL = Utils.NULL_VALUE
_SCALARS = frozenset({str, int, bool, type(None)})


def _to_json(value: Any) -> Any:
    """Turn jsonata-python's values into plain JSON values (nulls, sequences, whole floats), in new containers.

    One pass over the value: its null marker becomes None, a whole float an int, a sequence a list.
    """
    kind = type(value)
    if kind in _SCALARS:
        return value
    if value is _NULL:
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() and math.isfinite(value) else value
    if isinstance(value, list):
        return [v if type(v) in _SCALARS else _to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: v if type(v) in _SCALARS else _to_json(v) for k, v in value.items()}
    return value


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
            self._compiled = FastJsonata(body)
        except Exception as err:  # jsonata raises JException for syntax errors
            raise DefinitionError(f"{where}: invalid JSONata {source!r}: {err}") from None
        if self._compiled.errors:
            raise DefinitionError(f"{where}: invalid JSONata {source!r}: {self._compiled.errors[0]}")
        self._compiled.set_validate_input(False)
        self._compiled.set_output_convert_nulls(False)
        for name, fn in _FUNCTIONS.items():
            self._compiled.register_lambda(name, fn)

    def evaluate(self, bindings: Mapping[str, Any]) -> tuple[bool, Any]:
        """Returns ``(defined, value)``: JSONata's "undefined" is kept apart from null."""
        try:
            result = self._compiled.evaluate(None, bindings)
        except StatesError:
            raise
        except Exception as err:
            raise StatesError(QUERY_EVALUATION_ERROR, f"{self.where}: {self.source}: {err}") from None
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
            f"result type. Expected '{expected}', but was '{json_type(value)}' for value: {shown}",
        )


def json_type(value: Any) -> str:
    """A value's JSON type, as AWS's messages name it (never Python's ``int`` or ``NoneType``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


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
            f"'{json_type(value)}' for value: {shown}",
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
