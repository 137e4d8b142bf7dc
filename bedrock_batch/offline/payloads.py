"""Payload sizes and the 256 KiB limit AWS applies to every state input, output and result (service quotas).

The execution loop checks state outputs and execution inputs; states check their arguments and results; a map run
checks each child's input. All of them sit above this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import errors
from .errors import StatesError
from .json_text import compact_bytes, compact_utf8, compact_utf8_items


def payload_size(value: Any) -> int:
    """The size of a payload: its compact JSON in UTF-8 bytes."""
    return len(compact_bytes(value))


@dataclass(frozen=True)
class PayloadText:
    """The compact JSON written to measure ``value``, kept for whoever writes the value next (a ResultWriter).

    ``items``: the texts are of each item of the array ``value``, one after another (``lengths`` gives each), not
    of ``value`` itself (one text).
    """

    value: Any
    block: bytes | bytearray
    lengths: tuple[int, ...]
    items: bool


def measured_text(value: Any, items: bool) -> tuple[int, PayloadText | None]:
    """``payload_size(value)``, and the text it was measured from where orjson wrote it (``json_text.json_bytes``
    writes the same bytes): each item's for an array when ``items``, else the whole value's. None where only the
    json module writes the value right.

    A child execution's output is measured by its last state and written by its map run's ResultWriter: from
    this one text, not serialised a second time once the child has ended (in the pipeline, serialising a record
    again then took 2 to 3.5 µs, three to five times as long as serialising it twice in a row).
    """
    if items and isinstance(value, list):
        texts = compact_utf8_items(value)
        if texts is None:
            return payload_size(value), None
        block, lengths = texts
        # "[", the texts with a "," between each two, "]"
        return len(block) + max(len(lengths) - 1, 0) + 2, PayloadText(value, block, tuple(lengths), True)
    data = compact_utf8(value)
    if data is None:
        return payload_size(value), None
    return len(data), PayloadText(value, data, (len(data),), False)


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
