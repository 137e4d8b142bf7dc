"""ItemBatcher: several items per child execution (Developer Guide, input-output-itembatcher)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import distributed_map, machine, object_reader, offline_runtime, processor, put_jsonl, run, succeeded

from bedrock_batch.offline.errors import DefinitionError
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
