"""JSON text as the runtime reads and writes it: strict parsing, and compact writing.

Reading (``loads``): JSON as RFC 8259 defines it. Python's json module also accepts ``NaN``, ``Infinity`` and
``-Infinity``, which are not JSON; Step Functions refuses a text that holds them as it refuses any text that is
not JSON (an execution input, an ItemReader file, ``$parse``), so here they are a ``json.JSONDecodeError`` too.

Writing: compact JSON in UTF-8, by orjson where it writes exactly what the json module writes. The runtime
measures every payload as its compact JSON (``json.dumps(value, separators=(",", ":"), ensure_ascii=False)``, in
UTF-8 bytes) and JSONata's ``$string`` writes the same text for objects and arrays of strings, booleans, nulls
and integers. orjson writes that text 10 to 20 times faster than the json module's C encoder, and byte for byte
the same for strings (every escape), booleans, null, integers up to 64 bits, and the lists, tuples and str-keyed
dicts made of them, subclasses of str, int and list included; a dict subclass is written in its dict order, not
its ``items()`` order, which only moves keys, never the size (tests/runtime/test_json_text.py compares them on
generated values).
Where the two differ, ``compact_utf8`` answers None and the caller takes the json module's path, which stays the
reference:

* a float below 1e-4 in magnitude: orjson writes 1e-05 as ``0.00001`` and 1e-07 as ``1e-7``, Python ``1e-05`` and
  ``1e-07``. Found in orjson's output as ``0.0000`` or a digit, ``e-`` and a digit (a string that holds them
  only costs the slower path);
* NaN and the infinities: orjson writes ``null``, the json module ``NaN`` and ``Infinity``. Found as ``null``;
* what orjson refuses (TypeError): integers past 64 bits, keys that are not strings, lone surrogates, nesting
  deeper than 254, cycles, and datetimes and dataclasses (passed through to its missing ``default``), which the
  json module refuses too, or writes its own way.

Values here are built from JSON text, JSONata and SDK responses: orjson also writes UUIDs and enums, which none
of these hold.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_DIGITS = b"0123456789"
_E_MINUS_DIGIT = re.compile(rb"e-[0-9]")
# The searches of compact_utf8 run over every payload the runtime measures, strings and all, and took three times
# as long as orjson's writing: a regular expression finds these literals in about two thirds of the time ``in``
# takes, and ``-`` (one byte, found by memchr) is looked for before ``e-`` and a digit. A digit before those is
# looked for at those matches only (a text full of "re-" and "one-" used to take a loop in Python over each "e-").
_NULL = re.compile(rb"null").search
_SMALL_FIXED = re.compile(rb"0\.0000").search
# A JSON string (skipped whole), or a constant the json module accepts: the first of these is where it stands.
_STRING_OR_CONSTANT = re.compile(r'"(?:[^"\\]|\\.)*"|(NaN|-?Infinity)')


class _NotJson(Exception):
    pass


def _refuse(constant: str) -> Any:
    raise _NotJson(constant)


# orjson's value of a text is json.loads's where it holds no float and is at most this deep (``_holds_no_float``
# checks both). Strings, integers up to 64 bits, booleans, null, arrays and objects (the last of duplicate keys, in
# the place of the first) read the same; what orjson reads otherwise it refuses (NaN, a number past a float's
# range, an escaped lone surrogate, a str it cannot write as UTF-8, nesting past 1,024) or reads as a float (an
# integer past 64 bits, which the json module reads as an int). Past these levels the json module decides: it
# fails with RecursionError where the interpreter's stack runs out, orjson only past 1,024 levels.
_READ_LEVELS = 64
# ... and only a text of at most this many characters: checking the value is a walk of every value in it, which for
# a long text of many short values costs more than orjson saves (a 100 KB array of rows: the json module 470 µs,
# orjson 334 µs and the walk 292 µs), while a JSON Lines record or a message body is read in about two thirds of
# the json module's time.
_ORJSON_READS = 4096

# One decoder for every text: json.loads with parse_constant builds a new one on each call (half its time for a
# 200-byte line).
_DECODER = json.JSONDecoder(parse_constant=_refuse)


def loads(text: str | bytes | bytearray) -> Any:
    """``json.loads``, refusing NaN and the infinities as the JSON they are not (``json.JSONDecodeError``).

    A short text (``_ORJSON_READS``) is read by orjson, and its value taken where it holds no float (see
    ``_READ_LEVELS``); any other text is the json module's to read, or to refuse with its error.

    What json.loads does before it decodes, done here as it does it: bytes are decoded from the UTF encoding they
    are in (a UTF-8 byte order mark skipped), and a str that starts with a byte order mark is refused.
    """
    if text.__class__ is str:  # the usual case first (a JSON Lines line): the tests below in their order
        if text.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    elif isinstance(text, bytes | bytearray):
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    elif not isinstance(text, str):
        raise TypeError(f"the JSON object must be str, bytes or bytearray, not {type(text).__name__}")
    elif text.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    if len(text) <= _ORJSON_READS:
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            pass  # not JSON, or JSON orjson refuses: the json module reads it or gives the error
        else:
            if _holds_no_float(value, _READ_LEVELS):
                return value
    try:
        return _DECODER.decode(text)
    except _NotJson as err:
        at = next((m.start(1) for m in _STRING_OR_CONSTANT.finditer(text) if m.group(1)), 0)
        raise json.JSONDecodeError(f"{err.args[0]} is not a JSON value", text, at) from None


def compact_bytes(value: Any) -> bytes:
    """``json.dumps(value, separators=(",", ":"), ensure_ascii=False)`` in UTF-8: orjson's bytes where they are the
    same, else the json module's text, encoded (UnicodeEncodeError for a lone surrogate, which has no UTF-8)."""
    data = compact_utf8(value)
    return data if data is not None else _json_module_compact(value).encode()


def compact_text(value: Any, floats: bool = True) -> str:
    """``json.dumps(value, separators=(",", ":"), ensure_ascii=False)``: orjson's where it is the same, else the
    json module's. ``floats`` as for ``compact_utf8``."""
    data = compact_utf8(value, floats)
    return data.decode() if data is not None else _json_module_compact(value)


def compact_utf8(value: Any, floats: bool = True) -> bytes | None:
    """The compact JSON of ``value`` in UTF-8, or None where only the json module writes it right (see above).

    ``floats``: whether the value may hold floats; False (the caller checked) skips the searches for them, as
    does a value ``_holds_no_float`` finds made of strings, integers, booleans and None (within its budget).
    """
    try:
        data = orjson.dumps(value, option=_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError is one
        return None
    if floats and not _holds_no_float(value, budget=_walk_budget(data)) and _may_differ(data):
        return None
    return data


def compact_utf8_items(values: list[Any]) -> tuple[bytearray, list[int]] | None:
    """What ``compact_utf8`` answers for each item of ``values``, one text after another, and the length of each;
    None where it answers None for any item.

    The searches for floats run once over all the texts: each float's text lies within its item's, so each is found
    as in the item's own text (a match across two texts, ``0.0`` then ``0``, is a false alarm like any other and
    only costs the slower path).
    """
    block = bytearray()
    lengths = []
    try:
        for value in values:
            data = orjson.dumps(value, option=_OPTIONS)
            block += data
            lengths.append(len(data))
    except TypeError:
        return None
    if not _holds_no_float(values, budget=_walk_budget(block)) and _may_differ(block):
        return None
    return block, lengths


def written_alike(values: list[Any], text_bytes: int) -> bool:
    """Whether orjson's text of each of ``values`` that it wrote (``compact_utf8(value, floats=False)``, ``text_bytes``
    bytes in all) is the json module's:
    ``_holds_no_float`` of them all at once, within the budget for that many bytes. False: not known."""
    return _holds_no_float(values, budget=_walk_budget_of(text_bytes))


def _may_differ(data: bytes | bytearray) -> bool:
    """Whether orjson's text ``data`` holds what it writes otherwise than the json module (see above)."""
    return (_NULL(data) is not None or _SMALL_FIXED(data) is not None
            or (b"-" in data and _negative_exponent(data)))


def _holds_no_float(value: Any, levels: int = 255, budget: list[int] | None = None) -> bool:
    """Whether ``value`` is made of strings, integers, booleans and None only, in lists, tuples and dicts (these
    exact types), at most ``levels`` containers deep: then orjson's text of it is the json module's, and the
    searches for floats are skipped (and ``loads`` takes orjson's value of a text).

    The searches scan every byte of the text (a 100 KB string of rows: 100 µs, three times orjson's writing) and
    take a "null" or "e-5" inside a string for a float; this looks at each value once, not at its bytes, which
    for many short values costs more (500 rows of 10 strings: 292 against 55 µs). So ``budget`` (a one-item list,
    counted down) bounds the values looked at: ``_walk_budget`` gives as many as the searches would take about
    the same time for. Past it, and for a float, a subclass, any other type or a container past ``levels``, the
    answer is False: the searches decide, as before. ``compact_utf8`` calls it once orjson wrote the value, which
    is then at most 254 levels deep and holds no cycle.
    """
    cls = value.__class__
    if levels <= 0:
        return cls is str or cls is int or cls is bool or value is None
    if cls is dict:
        items: Any = value.values()
    elif cls is list or cls is tuple:
        items = value
    else:
        return cls is str or cls is int or cls is bool or value is None
    if budget is not None:
        budget[0] -= len(items)
        if budget[0] < 0:
            return False
    for item in items:  # the scalars tested here, not in a call each (rows are dicts of strings)
        kind = item.__class__
        if kind is str or kind is int or kind is bool or item is None:
            continue
        if (kind is dict or kind is list or kind is tuple) and _holds_no_float(item, levels - 1, budget):
            continue
        return False
    return True


def _walk_budget(data: bytes | bytearray) -> list[int]:
    """The values ``_holds_no_float`` may look at before the searches over ``data`` are the cheaper way: one per
    64 bytes (a value looked at costs about as much as the searches over 90 bytes), and 16 for any value."""
    return _walk_budget_of(len(data))


def _walk_budget_of(text_bytes: int) -> list[int]:
    return [max(text_bytes >> 6, 16)]


def _negative_exponent(data: bytes | bytearray) -> bool:
    """Whether ``data`` holds a digit, ``e-`` and a digit: how orjson writes a float below 1e-5 in magnitude."""
    return any(m.start() > 0 and data[m.start() - 1] in _DIGITS for m in _E_MINUS_DIGIT.finditer(data))


# The json module's compact encoder, built once: json.dumps with these arguments builds a new JSONEncoder on every
# call, and its encode() a new C encoder (json.encoder.c_make_encoder, with a fresh dict of circular-reference
# markers): half the time to measure a 600-byte row. The same C encoder with the same arguments writes the same
# text and raises the same errors (TypeError for what JSON cannot hold, ValueError for a cycle). Its markers are
# empty again after each value it writes, not after one it refuses (the C encoder leaves them behind): then they
# are emptied here, or a later value could be taken for a cycle.
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
_MARKERS: dict[int, Any] = {}
_C_ENCODE = json.encoder.c_make_encoder(  # type: ignore[attr-defined]
    _MARKERS, _COMPACT.default, json.encoder.encode_basestring, _COMPACT.indent, _COMPACT.key_separator,
    _COMPACT.item_separator, _COMPACT.sort_keys, _COMPACT.skipkeys, _COMPACT.allow_nan,
) if getattr(json.encoder, "c_make_encoder", None) is not None else None


def _json_module_compact(value: Any) -> str:
    if _C_ENCODE is None:  # a Python without json's C accelerator takes its encoder's own path
        return _COMPACT.encode(value)
    try:
        return "".join(_C_ENCODE(value, 0))
    except BaseException:
        _MARKERS.clear()
        raise


def json_bytes(value: Any) -> bytes:
    """Compact JSON in UTF-8 for a file the runtime writes, where any valid JSON will do (orjson's; see above how
    its floats differ); what orjson refuses, the json module writes, in ASCII (a lone surrogate escaped)."""
    try:
        return orjson.dumps(value, option=_OPTIONS)
    except TypeError:
        return json.dumps(value, separators=(",", ":")).encode("ascii")
