"""ItemBatcher: group items into batches for each child execution.

Developer Guide, input-output-itembatcher: a batch closes at MaxItemsPerBatch items or before it would pass
MaxInputBytesPerBatch bytes (at most 256 KiB); the child receives ``{"Items": [...]}`` plus ``"BatchInput"``
when BatchInput is given.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .. import errors
from ..errors import StatesError
from ..payloads import payload_size

_OVERHEAD = len('{"Items":[]}')


def batches(items: Iterable[Any], max_items: int | None, max_bytes: int | None,
            batch_input: Any | None) -> Iterator[dict[str, Any]]:
    for batch, _ in sized_batches(items, max_items, max_bytes, batch_input):
        yield batch


def sized_batches(items: Iterable[Any], max_items: int | None, max_bytes: int | None,
                  batch_input: Any | None) -> Iterator[tuple[dict[str, Any], int]]:
    """The batches with the exact size of each in bytes, as compact JSON (what the payload limit measures)."""
    limit_bytes = min(max_bytes or errors.MAX_PAYLOAD_BYTES, errors.MAX_PAYLOAD_BYTES)
    base = _OVERHEAD + (payload_size(batch_input) + len(',"BatchInput":') if batch_input is not None else 0)
    current: list[Any] = []
    size = base
    for item in items:
        item_size = payload_size(item) + 1  # the comma
        if base + item_size > limit_bytes:
            raise StatesError(errors.DATA_LIMIT_EXCEEDED,
                              f"one item is {item_size} bytes, more than MaxInputBytesPerBatch allows")
        if current and ((max_items and len(current) >= max_items) or size + item_size > limit_bytes):
            yield _batch(current, batch_input), size - 1  # no comma after the last item
            current, size = [], base
        current.append(item)
        size += item_size
    if current:
        yield _batch(current, batch_input), size - 1


def _batch(items: list[Any], batch_input: Any | None) -> dict[str, Any]:
    return {"Items": items} if batch_input is None else {"Items": items, "BatchInput": batch_input}
