"""Payload sizes measured once: the ItemBatcher's batch sizes are exact, the ResultWriter serialises each value once.

The payload limit (service quotas, 256 KiB) counts a payload's compact JSON in UTF-8 bytes. A batch's size comes
from the sizes the batcher measured for its items, so the child execution does not serialise its input again; the
ResultWriter writes the same bytes as serialising the whole file would.
"""

from __future__ import annotations

import json

import pytest

from bedrock_batch.offline.distributed import item_batcher, result_writer
from bedrock_batch.offline.execution import check_payload, payload_size

ITEMS = [
    {"index": 0, "row": {"text": "plain ascii", "n": 1}},
    {"index": 1, "row": {"text": "Brûlée, 日本語 and 🙂", "n": 2.5}},
    {"index": 2, "row": {"text": "quotes \" and \\ and \n newlines", "n": None}},
    "a string item",
    12345,
    [1, [2, {"k": "v"}]],
]


def _exact(value) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


@pytest.mark.parametrize("batch_input", [None, {"runId": "r", "label": "é"}, "text", 0])
@pytest.mark.parametrize("max_items", [1, 2, 4, None])
def test_batch_sizes_are_exact(batch_input, max_items) -> None:
    batches = list(item_batcher.sized_batches(ITEMS * 3, max_items, 400, batch_input))
    assert [b for b, _ in batches] == list(item_batcher.batches(ITEMS * 3, max_items, 400, batch_input))
    for batch, size in batches:
        assert size == _exact(batch) == payload_size(batch)
        assert size <= 400


def test_payload_size_counts_utf8_bytes() -> None:
    for value in [*ITEMS, ITEMS, {"k": "é" * 10}, "🙂", None]:
        assert payload_size(value) == _exact(value)


def test_a_measured_size_is_trusted() -> None:
    check_payload({"small": True}, "x", size=10)
    with pytest.raises(Exception, match="over the"):
        check_payload({"small": True}, "x", size=300_000)


def _old_chunks(values, output_type, max_bytes):
    """The ResultWriter before it serialised each value once."""
    def encode(vs):
        if output_type == "JSONL":
            return "".join(json.dumps(v, ensure_ascii=False) + "\n" for v in vs).encode()
        return json.dumps(vs, ensure_ascii=False).encode()

    files, current, size = [], [], 0
    for v in values:
        v_size = len(json.dumps(v, ensure_ascii=False).encode()) + 1
        if current and size + v_size > max_bytes:
            files.append(encode(current))
            current, size = [], 0
        current.append(v)
        size += v_size
    if current:
        files.append(encode(current))
    return files


@pytest.mark.parametrize("output_type", ["JSON", "JSONL"])
@pytest.mark.parametrize("max_bytes", [1, 60, 200, 10**9])
def test_result_files_are_the_same_bytes(output_type, max_bytes) -> None:
    values = ITEMS * 5
    assert result_writer._chunks(values, output_type, max_bytes) == _old_chunks(values, output_type, max_bytes)
