"""JSONata functions as JSONata 2.0.6 (the version AWS Step Functions runs) computes them, where jsonata-python differs.

Bound over the library's own functions in every ``FastJsonata`` expression's frame (``Jsonata.register_function``,
the library's supported hook), with the signatures of jsonata-js v2.0.6 (src/functions.js, src/jsonata.js):

* ``$now()`` and ``$millis()``: JSONata reads the time once per evaluation (``timestamp`` in ``jsonata.evaluate``);
  jsonata-python reads it from the expression last constructed, not the one evaluated, so a state would see the time
  its definition was loaded. Here the time is read when an evaluation starts, from ``clock.current_time`` (the
  runtime's virtual clock when the evaluation runs on its loop).
* ``$sort(array, comparator)``: JSONata's is a merge sort that keeps equal elements in order (the comparator returns
  true to swap); jsonata-python hands a two-valued comparator to Python's ``sorted``, which reorders equal elements.
  Without a comparator, only numbers or strings (D3070), strings compared by UTF-16 code units as JavaScript does.
* ``$string(value)``: numbers are written as JavaScript writes ``Number(n.toPrecision(15))``: plain digits below
  1e21, ``1e+21`` from there, ``1e-7`` below 1e-6; jsonata-python wrote 1e20 as ``1e+20``.
"""

from __future__ import annotations

import decimal
import math
from json.encoder import encode_basestring
from typing import Any

from jsonata import functions as _functions
from jsonata import jexception
from jsonata.jsonata import Jsonata
from jsonata.utils import Utils

from .clock import current_time
from .json_text import compact_text

Functions = _functions.Functions
JException = jexception.JException
NULL = Utils.NULL_VALUE


class EvaluationTime:
    """The time of the evaluation under way, in milliseconds since the epoch (set by ``FastJsonata.evaluate``)."""

    millis: int | None = None

    @staticmethod
    def read() -> int:
        """Milliseconds since the epoch, now (virtual time on the runtime's loop)."""
        return int(current_time() * 1000)

    @classmethod
    def current(cls) -> int:
        """The evaluation's time: read at its first ``$now()``/``$millis()``, then the same for the rest of it.

        Read lazily, so that the many expressions that never ask for the time do not read the clock."""
        if cls.millis is None:
            cls.millis = cls.read()
        return cls.millis


class Functions206:
    """The implementations (static methods, as jsonata-python's ``Functions``), bound by ``JNativeFunction``."""

    @staticmethod
    def now(picture: str | None, timezone: str | None) -> str | None:
        return Functions.datetime_from_millis(EvaluationTime.current(), picture, timezone)

    @staticmethod
    def millis() -> int:
        return EvaluationTime.current()

    @staticmethod
    def sort(arr: Any, comparator: Any) -> Any:
        if arr is None:
            return None
        if len(arr) <= 1:
            return arr
        if comparator is None:
            if Utils.is_array_of_numbers(arr):
                return sorted(arr)  # stable: what a merge sort with ``a > b`` gives
            if Utils.is_array_of_strings(arr):
                return sorted(arr, key=_utf16)
            raise JException("D3070", -1)

        def swap(left: Any, right: Any) -> bool:
            return _js_truthy(Functions.func_apply(comparator, [left, right]))

        return _merge_sort(list(arr), swap)

    @staticmethod
    def string(arg: Any, prettify: bool | None) -> str | None:
        if arg.__class__ is dict or arg.__class__ is list:  # not a function, nor a number, nor a wrapped value
            return _COMPACT(arg) if not prettify and _plain(arg) else _stringify(arg, "  " if prettify else "", "")
        if isinstance(arg, Utils.JList) and arg.outer_wrapper:
            arg = arg[0]
        if arg is None:
            return None
        if isinstance(arg, str):
            return arg
        if arg.__class__ is int and -EXACT_INT < arg < EXACT_INT:
            return str(arg)  # what js_number writes for it (see EXACT_INT)
        if _is_function(arg):
            return ""
        if isinstance(arg, float) and not math.isfinite(arg):
            raise JException("D3001", -1, arg)
        if not prettify and _plain(arg):
            return _COMPACT(arg)
        return _stringify(arg, "  " if prettify else "", "")


def _COMPACT(value: Any) -> str:  # noqa: N802  (a constant's name, as it was)
    """JSON.stringify's compact text of a value ``_plain`` accepts: the json module's compact text (a string as
    ``json.dumps(s, ensure_ascii=False)`` writes it, as ``_stringify`` does), orjson's where it is the same (the
    value holds no float)."""
    return compact_text(value, floats=False)


# Integers that JavaScript writes with their digits as Python does: below 10**15 ``js_number`` rounds nothing.
EXACT_INT = 10**15


def _plain(value: Any) -> bool:
    """Whether ``_stringify(value, "", "")`` is the json module's compact text of it (``_COMPACT``).

    So it is for strings, booleans, None, integers below ``EXACT_INT`` (in magnitude) and the arrays and objects
    made of them. Floats (JavaScript's number format), the null marker and functions take ``_stringify``.
    """
    cls = value.__class__
    if cls is str or cls is bool or value is None:
        return True
    if cls is int:
        return -EXACT_INT < value < EXACT_INT
    if cls is dict:
        for key, item in value.items():  # (a loop: faster than sets of the types, for a row of a few columns)
            if key.__class__ is not str:
                return False
            kind = item.__class__
            if kind is not str and kind is not bool and item is not None and not _plain(item):
                return False
        return True
    if isinstance(value, list):
        for item in value:
            kind = item.__class__
            if kind is not str and kind is not bool and item is not None and not _plain(item):
                return False
        return True
    return False


def _merge_sort(items: list[Any], swap: Any) -> list[Any]:
    """jsonata-js ``sort``: split in the middle, sort both halves, merge taking the right one only on a swap."""
    if len(items) <= 1:
        return items
    middle = len(items) // 2
    left, right = _merge_sort(items[:middle], swap), _merge_sort(items[middle:], swap)
    merged: list[Any] = []
    i = j = 0
    while i < len(left) and j < len(right):
        if swap(left[i], right[j]):
            merged.append(right[j])
            j += 1
        else:
            merged.append(left[i])
            i += 1
    merged.extend(left[i:])
    merged.extend(right[j:])
    return merged


def _utf16(text: str) -> bytes:
    """A key that orders strings as JavaScript's ``<`` does: by UTF-16 code units."""
    return text.encode("utf-16-be", "surrogatepass")


def _js_truthy(value: Any) -> bool:
    """JavaScript's truthiness (``if (await comp(a, b))`` in jsonata-js's sort), for JSONata values."""
    if value is None or value is NULL:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str):
        return value != ""
    return True  # arrays, objects and functions, even empty


def _is_function(value: Any) -> bool:
    return isinstance(value, Jsonata.JFunction | Jsonata.JLambda) or (
        hasattr(value, "_jsonata_lambda") and hasattr(value, "body"))


def js_number(value: float | int) -> str:
    """``String(Number(value.toPrecision(15)))`` in JavaScript: 15 significant digits, JavaScript's number format."""
    if value == 0:
        return "0"
    exact = decimal.Decimal(value)
    rounded = exact.quantize(decimal.Decimal(1).scaleb(exact.adjusted() - 14), rounding=decimal.ROUND_HALF_UP)
    return js_number_to_string(float(rounded))


def js_number_to_string(value: float) -> str:
    """ECMAScript Number::toString: the shortest digits that read back as the number, in plain or exponent form."""
    if value == 0:
        return "0"
    if value < 0:
        return "-" + js_number_to_string(-value)
    sign, digit_tuple, exponent = decimal.Decimal(repr(float(value))).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    k = len(digits)
    n = exponent + k  # the decimal point sits after n digits
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * -n + digits
    e = n - 1
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"


def _stringify(value: Any, indent: str, current: str) -> str:
    """``JSON.stringify(value, replacer, space)`` with jsonata-js's replacer: numbers to 15 digits, functions as ""."""
    if value is None or value is NULL:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return js_number(value) if math.isfinite(value) else "null"
    if isinstance(value, str):
        return encode_basestring(value)  # json.dumps(value, ensure_ascii=False), without a new encoder per call
    if _is_function(value):
        return '""'
    inner = current + indent
    if isinstance(value, list):
        if not value:
            return "[]"
        parts = [_stringify(v, indent, inner) for v in value]
        if not indent:
            return "[" + ",".join(parts) + "]"
        return "[\n" + inner + (",\n" + inner).join(parts) + "\n" + current + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        colon = ": " if indent else ":"
        parts = [encode_basestring(str(k)) + colon + _stringify(v, indent, inner)
                 for k, v in value.items()]
        if not indent:
            return "{" + ",".join(parts) + "}"
        return "{\n" + inner + (",\n" + inner).join(parts) + "\n" + current + "}"
    return encode_basestring(str(value))


def json_type(value: Any) -> str:
    """The JSON type of a value, for messages: number, string, boolean, null, array, object, function, undefined."""
    if value is None:
        return "undefined"
    if value is NULL:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "function" if _is_function(value) else "value"


def error_text(err: BaseException) -> str:
    """A JSONata error as JSONata reports it: its code, then its message (``T1006: Attempted to invoke a ...``)."""
    code = getattr(err, "error", None)
    message = str(err) or type(err).__name__
    if isinstance(err, JException) and isinstance(code, str):
        if message.startswith("JSonataException "):  # the library's text for a code it has no message for
            message = message[len("JSonataException "):]
        return message if message.startswith(code) else f"{code}: {message}"
    return message


def _native(name: str, signature: str) -> Any:
    function = Jsonata.JNativeFunction(name, signature, Functions206, name)
    return function


# name -> the function bound over the library's in each expression's frame (signatures of jsonata-js v2.0.6)
OVERRIDES: dict[str, Any] = {
    "now": _native("now", "<s?s?:s>"),
    "millis": _native("millis", "<:n>"),
    "sort": _native("sort", "<af?:a>"),
    "string": _native("string", "<x-b?:s>"),
}


