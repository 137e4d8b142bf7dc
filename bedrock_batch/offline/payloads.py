"""Payload sizes and the 256 KiB limit AWS applies to every state input, output and result (service quotas).

The execution loop checks state outputs and execution inputs; states check their arguments and results; a map run
checks each child's input. All of them sit above this module.
"""

from __future__ import annotations

import json
from typing import Any

from . import errors
from .errors import StatesError
from .json_text import compact_utf8

# What json.dumps(value, separators=(",", ":"), ensure_ascii=False) uses, built once: json.dumps builds a new
# encoder on every call with these arguments, which was a third of the time to measure one 600-byte item.
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
# And that encoder's encode() builds, on every call, the C encoder it then runs (json.encoder.c_make_encoder, with
# a fresh dict for its circular-reference markers, and a Python float formatter the C encoder never calls): a
# quarter of the time to measure one 600-byte item. Here the same C encoder, with the same arguments, is built
# directly: the same text, the same errors (TypeError for what JSON cannot hold, ValueError for a cycle).
_C_ENCODER = getattr(json.encoder, "c_make_encoder", None)
_C_ARGUMENTS = (_COMPACT.default, json.encoder.encode_basestring, _COMPACT.indent, _COMPACT.key_separator,
                _COMPACT.item_separator, _COMPACT.sort_keys, _COMPACT.skipkeys, _COMPACT.allow_nan)
# One such encoder for every measure (building it was a quarter of the time to measure a 600-byte row). Its
# circular-reference markers are empty again after each value it encodes; not after one it refuses (the C encoder
# leaves them behind), so then they are emptied here, or a later value could be taken for a cycle.
_MARKERS: dict[int, Any] = {}
_ENCODE = _C_ENCODER(_MARKERS, *_C_ARGUMENTS) if _C_ENCODER is not None else None


def payload_size(value: Any) -> int:
    """The size of a payload: its compact JSON in UTF-8 bytes (a text that is all ASCII needs no encoding)."""
    data = compact_utf8(value)
    if data is not None:
        return len(data)
    if _ENCODE is None:  # a Python without json's C accelerator takes its encoder's own path
        text = _COMPACT.encode(value)
    else:
        try:
            text = "".join(_ENCODE(value, 0))
        except BaseException:
            _MARKERS.clear()
            raise
    return len(text) if text.isascii() else len(text.encode())


def check_payload(value: Any, what: str, size: int | None = None) -> int:
    """Payloads are at most 256 KiB (service quotas); exceeding it is States.DataLimitExceeded, which is terminal.

    ``size``: the payload's size when already measured (a batch from the ItemBatcher). Returns the size.
    """
    if size is None:
        size = payload_size(value)
    if size > errors.MAX_PAYLOAD_BYTES:
        limit = errors.MAX_PAYLOAD_BYTES
        raise StatesError(errors.DATA_LIMIT_EXCEEDED, f"{what} is {size} bytes, over the {limit}-byte limit")
    return size


def bounded_payload_size(value: Any) -> int:
    """``payload_size``, but an array is measured item by item and only until it passes the limit: an over-limit
    result of a Map with 100,000 iterations costs no more serialising than the limit's worth."""
    if not isinstance(value, list) or not value:
        return payload_size(value)
    size = 1  # "[", then each item with the "," or "]" after it
    for item in value:
        size += payload_size(item) + 1
        if size > errors.MAX_PAYLOAD_BYTES:
            break
    return size


def check_result(state_name: str, value: Any, size: int | None = None) -> int:
    """A Task's, Map's or Parallel's result is limited like any payload, before Output sees it; the cause is the
    one AWS gives (recorded in public issue threads). Returns the size, for the output check to reuse."""
    if size is None:
        size = bounded_payload_size(value)
    if size > errors.MAX_PAYLOAD_BYTES:
        raise StatesError(errors.DATA_LIMIT_EXCEEDED, f"The state/task '{state_name}' returned a result with a size "
                                                      "exceeding the maximum number of bytes service limit.")
    return size
