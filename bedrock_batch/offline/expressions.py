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
    """One ``{% %}`` expression, compiled once."""

    __slots__ = ("source", "where", "_compiled")

    def __init__(self, source: str, where: str) -> None:
        self.source = source
        self.where = where
        body = source[2:-2].strip()
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


class Template:
    """A field's value: JSON whose strings may be ``{% %}`` expressions at any depth."""

    __slots__ = ("where", "_node", "_constant")

    def __init__(self, value: Any, where: str) -> None:
        self.where = where
        self._constant = not _has_expression(value)
        self._node = value if self._constant else _compile(value, where)

    @property
    def is_constant(self) -> bool:
        return self._constant

    def evaluate(self, bindings: Mapping[str, Any]) -> Any:
        if self._constant:
            return self._node
        if isinstance(self._node, Expression):
            defined, value = self._node.evaluate(bindings)
            if not defined:
                # AWS fails the state when a field's whole expression returns nothing.
                raise StatesError(
                    QUERY_EVALUATION_ERROR,
                    f"{self.where}: the JSONata expression {self._node.source} returned no value (undefined)",
                )
            return value
        return _evaluate(self._node, bindings)

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


def _compile(value: Any, where: str) -> Any:
    if is_expression(value):
        return Expression(value, where)
    if isinstance(value, dict):
        return {k: _compile(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_compile(v, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


_UNDEFINED = object()


def _evaluate(node: Any, bindings: Mapping[str, Any]) -> Any:
    if isinstance(node, Expression):
        defined, value = node.evaluate(bindings)
        return value if defined else _UNDEFINED
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            value = _evaluate(v, bindings)
            # A nested expression that yields nothing drops its key, as in a JSONata object constructor.
            if value is not _UNDEFINED:
                out[k] = value
        return out
    if isinstance(node, list):
        return [v for v in (_evaluate(v, bindings) for v in node) if v is not _UNDEFINED]
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
