"""Payload sizes and the 256 KiB limit AWS applies to every state input, output and result (service quotas).

The execution loop checks state outputs and execution inputs; states check their arguments and results; a map run
checks each child's input. All of them sit above this module.
"""

from __future__ import annotations

from typing import Any

from . import errors
from .errors import StatesError
from .json_text import compact_bytes


def payload_size(value: Any) -> int:
    """The size of a payload: its compact JSON in UTF-8 bytes."""
    return len(compact_bytes(value))


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
