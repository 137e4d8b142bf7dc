"""ItemBatcher: several items per child execution (Developer Guide, input-output-itembatcher)."""

from __future__ import annotations

import collections
import json
import random
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import distributed_map, machine, object_reader, offline_runtime, processor, put_jsonl, run, succeeded

from bedrock_batch.offline import errors
from bedrock_batch.offline.distributed import item_batcher
from bedrock_batch.offline.errors import DefinitionError, StatesError
from bedrock_batch.offline.runtime import Runtime


@pytest.fixture
def rt() -> Iterator[Runtime]:
    with offline_runtime() as runtime:
        yield runtime


def child_inputs(rt: Runtime, batcher: dict[str, Any], input_: Any, **map_fields: Any) -> list[Any]:
    """The input each child received, in item order (children echo their input)."""
    definition = machine({"Batch": distributed_map(ItemBatcher=batcher, **map_fields)})
    return succeeded(run(rt, definition, input_))


def compact_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def test_max_items_per_batch_splits_1130_items_into_12_batches(rt: Runtime) -> None:
    """Developer Guide, input-output-itembatcher: with 1130 items and MaxItemsPerBatch 100, Step Functions creates
    12 batches: 11 of 100 items and a twelfth with the remaining 30."""
    definition = machine({"Batch": distributed_map(
        processor({"Count": {"Type": "Pass", "Output": "{% $count($states.input.Items) %}", "End": True}}),
        ItemBatcher={"MaxItemsPerBatch": 100})})
    assert succeeded(run(rt, definition, list(range(1130)))) == [100] * 11 + [30]
    assert rt.counters.child_executions.total() == 12


def test_child_input_is_an_items_array(rt: Runtime) -> None:
    """Developer Guide, input-output-itembatcher: with batching, Step Functions adds the items to an Items array
    and passes ``{"Items": [...]}`` as each child's input."""
    facts = [{"verdict": "true"}, {"verdict": "false"}, {"verdict": "true"}]
    assert child_inputs(rt, {"MaxItemsPerBatch": 2}, facts) == [
        {"Items": [{"verdict": "true"}, {"verdict": "false"}]}, {"Items": [{"verdict": "true"}]}]


def test_batch_input_is_merged_into_every_child_input(rt: Runtime) -> None:
    """Developer Guide, input-output-itembatcher: BatchInput is a fixed input included in each batch, next to
    Items."""
    batches = child_inputs(rt, {"MaxItemsPerBatch": 2, "BatchInput": {"factCheck": "December 2022"}}, [1, 2, 3])
    assert batches == [{"BatchInput": {"factCheck": "December 2022"}, "Items": [1, 2]},
                       {"BatchInput": {"factCheck": "December 2022"}, "Items": [3]}]


def test_batch_input_takes_jsonata_expressions(rt: Runtime) -> None:
    """Developer Guide, input-output-itembatcher: in JSONata states BatchInput can be an expression, or hold
    expressions inside objects and arrays."""
    batcher = {"MaxItemsPerBatch": 5, "BatchInput": {"runId": "{% $states.input.runId %}", "fixed": ["a", 1]}}
    batches = child_inputs(rt, batcher, {"runId": "run-9", "items": [1, 2]}, Items="{% $states.input.items %}")
    assert batches == [{"BatchInput": {"runId": "run-9", "fixed": ["a", 1]}, "Items": [1, 2]}]
    whole = {"MaxItemsPerBatch": 5, "BatchInput": "{% {'count': $count($states.input.items)} %}"}
    assert child_inputs(rt, whole, {"items": [7]}, Items="{% $states.input.items %}") == [
        {"BatchInput": {"count": 1}, "Items": [7]}]


def test_max_items_per_batch_from_a_jsonata_expression(rt: Runtime) -> None:
    """Developer Guide, input-output-itembatcher: for JSONata states MaxItemsPerBatch can be an expression that
    evaluates to a positive integer."""
    batches = child_inputs(rt, {"MaxItemsPerBatch": "{% $states.input.size %}"}, {"size": 3, "items": list(range(7))},
                           Items="{% $states.input.items %}")
    assert [len(b["Items"]) for b in batches] == [3, 3, 1]


def test_item_order_is_preserved_across_batches(rt: Runtime) -> None:
    """Developer Guide, input-output-itembatcher: batches are consecutive runs of the dataset, so reading the
    Items of the children in order gives back the dataset in order."""
    put_jsonl(rt, "ordered.jsonl", [{"n": i} for i in range(257)])
    batches = child_inputs(rt, {"MaxItemsPerBatch": 16}, {},
                           ItemReader=object_reader("ordered.jsonl", "JSONL"))
    assert [item["n"] for batch in batches for item in batch["Items"]] == list(range(257))


def test_max_input_bytes_per_batch_keeps_each_batch_under_the_limit(rt: Runtime) -> None:
    """Developer Guide, input-output-itembatcher: MaxInputBytesPerBatch is the maximum size of a batch in bytes;
    Step Functions puts as many items in a batch as it can without exceeding it."""
    items = [{"id": i, "text": "x" * 80} for i in range(60)]
    batches = child_inputs(rt, {"MaxInputBytesPerBatch": 1024}, items)
    assert len(batches) > 1
    assert all(compact_size(batch) <= 1024 for batch in batches)
    assert [item for batch in batches for item in batch["Items"]] == items


def test_max_input_bytes_counts_batch_input(rt: Runtime) -> None:
    """Developer Guide, input-output-itembatcher: the size limit applies to the batch a child receives, BatchInput
    included."""
    items = [{"id": i, "text": "y" * 50} for i in range(40)]
    batcher = {"MaxInputBytesPerBatch": 800, "BatchInput": {"note": "z" * 300}}
    batches = child_inputs(rt, batcher, items)
    assert all(compact_size(batch) <= 800 for batch in batches)
    assert [item for batch in batches for item in batch["Items"]] == items


def test_size_limit_reduces_batches_below_max_items(rt: Runtime) -> None:
    """Developer Guide, input-output-itembatcher: with both a maximum item count and a maximum size, Step Functions
    reduces the number of items in a batch to stay under the size limit."""
    items = [{"text": "w" * 100} for _ in range(30)]
    batches = child_inputs(rt, {"MaxItemsPerBatch": 50, "MaxInputBytesPerBatch": 600}, items)
    assert len(batches) > 1
    assert all(len(b["Items"]) < 50 and compact_size(b) <= 600 for b in batches)
    assert sum(len(b["Items"]) for b in batches) == 30


def test_item_selector_shapes_items_before_batching(rt: Runtime) -> None:
    """Developer Guide, input-output-itemselector and input-output-itembatcher: ItemSelector shapes each item, and
    the shaped items are what the batches hold."""
    batches = child_inputs(rt, {"MaxItemsPerBatch": 2}, [{"a": 1, "b": 2}, {"a": 3, "b": 4}, {"a": 5, "b": 6}],
                           ItemSelector={"a": "{% $states.context.Map.Item.Value.a %}",
                                         "i": "{% $states.context.Map.Item.Index %}"})
    assert batches == [{"Items": [{"a": 1, "i": 0}, {"a": 3, "i": 1}]}, {"Items": [{"a": 5, "i": 2}]}]


def test_item_batcher_needs_a_limit(rt: Runtime) -> None:
    """Developer Guide, input-output-itembatcher: to batch items you must specify the maximum number of items, the
    maximum batch size, or both."""
    definition = machine({"Batch": distributed_map(ItemBatcher={"BatchInput": {"x": 1}})})
    with pytest.raises(DefinitionError, match="ItemBatcher"):
        rt.create_state_machine("batcher-without-limit", definition)


def test_max_input_bytes_per_batch_is_at_most_256_kib(rt: Runtime) -> None:
    """Developer Guide, input-output-itembatcher: the maximum batch size is up to 256 KiB."""
    definition = machine({"Batch": distributed_map(ItemBatcher={"MaxInputBytesPerBatch": 256 * 1024 + 1})})
    with pytest.raises(DefinitionError, match="MaxInputBytesPerBatch"):
        rt.create_state_machine("batcher-too-big", definition)


# -- the batcher's sizes: orjson's, confirmed a batch at a time, against measuring each item exactly ----------------
def _reference_batches(items: Iterator[Any], max_items: int | None, max_bytes: int | None,
                       batch_input: Any | None) -> Iterator[tuple[dict[str, Any], int]]:
    """The batching rule with every item measured by the json module, as the payload limit measures it."""
    limit = min(max_bytes or 262144, 262144)
    base = len('{"Items":[]}') + (compact_size(batch_input) + len(',"BatchInput":') if batch_input is not None else 0)
    current: list[Any] = []
    size = base
    for item in items:
        item_size = compact_size(item) + 1
        if base + item_size > limit:
            raise StatesError(errors.DATA_LIMIT_EXCEEDED,
                              f"one item is {item_size} bytes, more than MaxInputBytesPerBatch allows")
        if current and ((max_items and len(current) >= max_items) or size + item_size > limit):
            yield ({"Items": current} if batch_input is None else {"Items": current, "BatchInput": batch_input}), \
                size - 1
            current, size = [], base
        current.append(item)
        size += item_size
    if current:
        yield ({"Items": current} if batch_input is None else {"Items": current, "BatchInput": batch_input}), size - 1


class _ReadFailed(Exception):
    pass


def _source(items: list[Any], fail_after: int | None) -> Iterator[Any]:
    """The items, then a reader's failure after ``fail_after`` of them (an ItemReader's error mid-file)."""
    for n, item in enumerate(items):
        if n == fail_after:
            raise _ReadFailed(n)
        yield item


def _outcome(batches: Iterator[tuple[dict[str, Any], int]]) -> tuple[list[Any], str | None]:
    """The batches given out, with their sizes, and the error that ended them (type and message), if any."""
    out: list[Any] = []
    try:
        for batch, size in batches:
            out.append((json.dumps(batch), size))
    except (StatesError, _ReadFailed, UnicodeEncodeError) as err:
        return out, f"{type(err).__name__}: {err}"
    return out, None


def _item(rng: random.Random) -> Any:
    """Rows as readers give them, now and then with what orjson writes unlike the json module (small floats, NaN,
    infinities), what it refuses (integers past 64 bits, a lone surrogate, non-string keys), a dict subclass, or a
    row too large for a batch of its own."""
    row: dict[str, Any] = {f"c{i}": "".join(rng.choice("ab é\"\\\n日🙂-e0.") for _ in range(rng.randint(0, 40)))
                           for i in range(rng.randint(1, 6))}
    odd = rng.random()
    if odd < 0.03:
        row["f"] = rng.choice([1e-05, -2.5e-07, 0.5, 1e16, float("nan"), float("inf"), 3.0])
    elif odd < 0.04:
        row["big"] = 2**70
    elif odd < 0.045:
        row["s"] = "\ud800"
    elif odd < 0.05:
        return {1: "non-string key", "k": row}
    elif odd < 0.055:
        return collections.OrderedDict(row)
    elif odd < 0.06:
        row["huge"] = "z" * 900
    elif odd < 0.1:
        row["nested"] = [[1, None, True], {"x": [False, "null", "1e-5"]}]
    return {"index": rng.randint(0, 10**6), "row": row}


@pytest.mark.parametrize("seed", range(40))
def test_batches_are_those_of_measuring_every_item_exactly(seed: int) -> None:
    """Developer Guide, input-output-itembatcher, and service quotas (a payload is its compact JSON in UTF-8 bytes):
    the batches, their sizes and the error that stops them (an item too large for a batch, an item the json module
    cannot write, a reader's failure mid-way) are those of measuring each item by the json module, whatever floats,
    refused values or subclasses the items hold and wherever they fall."""
    rng = random.Random(seed)
    items = [_item(rng) for _ in range(rng.randint(0, 300))]
    fail_after = rng.choice([None, rng.randint(0, len(items))])
    max_items = rng.choice([None, 1, 3, 50])
    max_bytes = rng.choice([None, 700, 1000, 5000])
    batch_input = rng.choice([None, {"runId": "r", "label": "é"}, 0.5])
    if max_items is None and max_bytes is None:
        max_items = 7
    fast = _outcome(item_batcher.sized_batches(_source(items, fail_after), max_items, max_bytes, batch_input))
    reference = _outcome(_reference_batches(_source(items, fail_after), max_items, max_bytes, batch_input))
    assert fast == reference
