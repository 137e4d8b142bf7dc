"""The Map state, inline and distributed.

Developer Guide: state-map-inline (iterations in the parent execution, MaxConcurrency, Items and ItemSelector,
one failed iteration fails the state with its error), state-map-distributed (child executions of an
ItemProcessor with ``ProcessorConfig {Mode: DISTRIBUTED, ExecutionType: STANDARD|EXPRESS}``, ItemReader,
ItemBatcher, ResultWriter, ToleratedFailurePercentage/Count; children cannot read the parent's variables).
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import StatesError
from ..expressions import Template, is_expression
from ..payloads import check_payload, check_result
from .base import ParseContext, State, Transition, evaluate_number, number_field, set_context, set_states, template

if TYPE_CHECKING:
    from ..protocols import Frame, Program

DISTRIBUTED_ONLY = ("ItemReader", "ItemBatcher", "ResultWriter", "Label")
# Recorded AWS executions: an inline Map accepts these too. Whether AWS then tolerates failed iterations is not
# confirmed; the stricter reading is taken: the fields are accepted and any failed iteration fails the inline Map
# (docs/fidelity.md).
TOLERANCE = ("ToleratedFailurePercentage", "ToleratedFailureCount")


class MapState(State):
    type_name = "Map"
    fields = frozenset({"ItemProcessor", "Items", "ItemSelector", "MaxConcurrency", "Retry", "Catch",
                        *DISTRIBUTED_ONLY, *TOLERANCE})

    def __init__(self, name: str, raw: dict[str, Any], ctx: ParseContext) -> None:
        super().__init__(name, raw, ctx)
        processor = raw.get("ItemProcessor")
        if not isinstance(processor, dict):
            raise ctx.error("a Map needs an ItemProcessor", "ItemProcessor")
        config = processor.get("ProcessorConfig", {})
        self.mode = config.get("Mode", "INLINE")
        if self.mode not in ("INLINE", "DISTRIBUTED"):
            raise ctx.error("Mode must be INLINE or DISTRIBUTED", "ItemProcessor.ProcessorConfig.Mode")
        self.child_type = config.get("ExecutionType", "STANDARD") if self.mode == "DISTRIBUTED" else ctx.execution_type
        if self.mode == "DISTRIBUTED" and self.child_type not in ("STANDARD", "EXPRESS"):
            raise ctx.error("ExecutionType must be STANDARD or EXPRESS", "ItemProcessor.ProcessorConfig.ExecutionType")
        if self.mode == "DISTRIBUTED" and ctx.execution_type == "EXPRESS":
            # state-map-distributed: "Distributed mode is supported in Standard workflows but not in Express".
            raise ctx.error("Mode DISTRIBUTED is not supported in an Express workflow",
                            "ItemProcessor.ProcessorConfig.Mode")
        if self.mode == "INLINE":
            for field in DISTRIBUTED_ONLY:
                if field in raw:
                    raise ctx.error("is only valid in a Distributed Map", field)
        body = {k: v for k, v in processor.items() if k != "ProcessorConfig"}
        self.processor = ctx.program(body, f"{ctx.path} > ItemProcessor", self.child_type)
        items = raw.get("Items")
        if items is not None and not (isinstance(items, list) or is_expression(items)):
            raise ctx.error("must be an array or a JSONata expression", "Items")
        self.items = template(raw, "Items", ctx)
        self.item_selector = template(raw, "ItemSelector", ctx)
        self.max_concurrency = number_field(raw, "MaxConcurrency", ctx)
        self.tolerated_percentage = number_field(raw, "ToleratedFailurePercentage", ctx, integer=False)
        if isinstance(raw.get("ToleratedFailurePercentage"), int | float) and raw["ToleratedFailurePercentage"] > 100:
            raise ctx.error("must be between 0 and 100", "ToleratedFailurePercentage")
        self.tolerated_count = number_field(raw, "ToleratedFailureCount", ctx)
        self.label = raw.get("Label")
        if self.label is not None and not _valid_label(self.label):
            raise ctx.error("a Label has 1 to 40 characters, no whitespace, control characters or any of "
                            "? * < > { } [ ] : ; , \\ | ^ ~ $ # % & ` \"", "Label")
        self.reader = _parse_reader(raw.get("ItemReader"), ctx)
        self.batcher = _parse_batcher(raw.get("ItemBatcher"), ctx)
        self.writer = _parse_writer(raw.get("ResultWriter"), ctx)
        if self.reader is not None and self.items is not None:
            raise ctx.error("Items and ItemReader cannot be used together", "Items")

    def children(self) -> list[Program]:
        return [self.processor]

    async def run(self, frame: Frame, state_input: Any, bindings: dict[str, Any]) -> Transition:
        if self.mode == "DISTRIBUTED":
            result = await frame.run_map_run(self, state_input, bindings)
            # The item's context is the ItemSelector's only (input-output-itemselector): the state's Output and
            # Assign do not see the last item read, as the inline Map's do not (docs/fidelity.md).
            set_context(bindings, "Map")
        else:
            result = await self._run_inline(frame, state_input, bindings)
        size = None
        if self.writer is None or self.writer.resource is None:  # a result held in the state, not written to S3
            size = check_result(self.name, result)
        set_states(bindings, result=result)
        return self.finish(frame, bindings, result, self.next, default_size=size)

    def source_items(self, state_input: Any, bindings: dict[str, Any]) -> list[Any]:
        # Recorded AWS executions: Items of another type is "... returned an unexpected result type. Expected
        # 'array', but was 'object' for value: ..."; without Items, "Map state input must be an array but was: 1".
        if self.items is None:
            if not isinstance(state_input, list):
                raise StatesError(errors.QUERY_EVALUATION_ERROR, "Map state input must be an array but was: "
                                  + json.dumps(state_input, separators=(",", ":"), ensure_ascii=False))
            return state_input
        items = self.items.evaluate(bindings)
        if not isinstance(items, list):
            raise self.items.unexpected_type("array", items)
        return items

    def select(self, item: Any, index: int, bindings: dict[str, Any]) -> Any:
        """ItemSelector, with ``$states.context.Map.Item.Index`` and ``.Value`` (input-output-itemselector)."""
        if self.item_selector is None:
            return item
        set_context(bindings, "Map", {"Item": {"Index": index, "Value": item}})
        return self.item_selector.evaluate(bindings)

    async def _run_inline(self, frame: Frame, state_input: Any, bindings: dict[str, Any]) -> list[Any]:
        items = self.source_items(state_input, bindings)
        selected = [self.select(item, i, bindings) for i, item in enumerate(items)]
        set_context(bindings, "Map")
        if self.item_selector is not None:  # without it, each iteration's input is part of the state input
            for i, value in enumerate(selected):
                check_payload(value, f"the input of iteration {i} of state '{self.name}'")
        limit = evaluate_number(self.max_concurrency, bindings, 0) or len(selected) or 1
        gate = asyncio.Semaphore(limit)
        history = frame.execution.history
        history.add("MapStateStarted", length=len(selected))

        async def iteration(index: int, value: Any) -> Any:
            async with gate:
                history.add("MapIterationStarted", index=index)
                result = await frame.child().run_program(self.processor, value)
                history.add("MapIterationSucceeded", index=index)
                return result

        try:
            results = await frame.gather_or_stop_all([iteration(i, v) for i, v in enumerate(selected)])
        except BaseException:
            history.add("MapStateFailed", name=self.name)
            raise
        history.add("MapStateSucceeded", name=self.name)
        return results


_LABEL_FORBIDDEN = frozenset("?*<>{}[]:;,\\|^~$#%&`\"")


def _valid_label(label: Any) -> bool:
    """state-map-distributed, Label: at most 40 characters, none of whitespace, wildcard, bracket, special or
    control characters (U+0000-U+001F, U+007F-U+009F)."""
    return (isinstance(label, str) and 0 < len(label) <= 40
            and not any(c.isspace() or c in _LABEL_FORBIDDEN or ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F
                        for c in label))


class ReaderSpec:
    def __init__(self, resource: str, arguments: Template | None, config: dict[str, Any], max_items: Template | None):
        self.resource, self.arguments, self.config, self.max_items = resource, arguments, config, max_items


class BatcherSpec:
    def __init__(self, max_items: Template | None, max_bytes: Template | None, batch_input: Template | None):
        self.max_items, self.max_bytes, self.batch_input = max_items, max_bytes, batch_input


class WriterSpec:
    def __init__(self, resource: str | None, arguments: Template | None, transformation: str, output_type: str):
        self.resource, self.arguments = resource, arguments
        self.transformation, self.output_type = transformation, output_type


def _sub(ctx: ParseContext, field: str) -> ParseContext:
    return ctx.within(field)


def _parse_reader(raw: Any, ctx: ParseContext) -> ReaderSpec | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ctx.error("must be an object", "ItemReader")
    resource = raw.get("Resource")
    if resource not in ("arn:aws:states:::s3:getObject", "arn:aws:states:::s3:listObjectsV2"):
        raise ctx.error("Resource must be arn:aws:states:::s3:getObject or arn:aws:states:::s3:listObjectsV2",
                        "ItemReader.Resource")
    extra = set(raw) - {"Resource", "Arguments", "ReaderConfig"}
    if extra:
        raise ctx.error(f"unknown fields {sorted(extra)}", "ItemReader")
    config = dict(raw.get("ReaderConfig", {}))
    input_type = config.get("InputType")
    if resource.endswith("getObject") and input_type is None:
        raise ctx.error("s3:getObject needs ReaderConfig.InputType", "ItemReader.ReaderConfig")
    if input_type is not None and input_type not in ("CSV", "JSON", "JSONL", "PARQUET", "MANIFEST"):
        raise ctx.error("InputType must be CSV, JSON, JSONL, PARQUET or MANIFEST", "ItemReader.ReaderConfig.InputType")
    if "CSVHeaderLocation" in config and config["CSVHeaderLocation"] not in ("FIRST_ROW", "GIVEN"):
        raise ctx.error("CSVHeaderLocation must be FIRST_ROW or GIVEN", "ItemReader.ReaderConfig.CSVHeaderLocation")
    if config.get("CSVDelimiter", "COMMA") not in ("COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB"):
        raise ctx.error("CSVDelimiter must be COMMA, PIPE, SEMICOLON, SPACE or TAB",
                        "ItemReader.ReaderConfig.CSVDelimiter")
    sub = _sub(ctx, "ItemReader.ReaderConfig")
    max_items = number_field(config, "MaxItems", sub)
    return ReaderSpec(resource, template(raw, "Arguments", _sub(ctx, "ItemReader")), config, max_items)


def _parse_batcher(raw: Any, ctx: ParseContext) -> BatcherSpec | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ctx.error("must be an object", "ItemBatcher")
    extra = set(raw) - {"MaxItemsPerBatch", "MaxInputBytesPerBatch", "BatchInput"}
    if extra:
        raise ctx.error(f"unknown fields {sorted(extra)}", "ItemBatcher")
    if "MaxItemsPerBatch" not in raw and "MaxInputBytesPerBatch" not in raw:
        raise ctx.error("needs MaxItemsPerBatch or MaxInputBytesPerBatch", "ItemBatcher")
    sub = _sub(ctx, "ItemBatcher")
    max_bytes = raw.get("MaxInputBytesPerBatch")
    if isinstance(max_bytes, int) and max_bytes > errors.MAX_PAYLOAD_BYTES:
        raise ctx.error("MaxInputBytesPerBatch is at most 262144", "ItemBatcher.MaxInputBytesPerBatch")
    return BatcherSpec(number_field(raw, "MaxItemsPerBatch", sub, minimum=1),
                       number_field(raw, "MaxInputBytesPerBatch", sub, minimum=1), template(raw, "BatchInput", sub))


def _parse_writer(raw: Any, ctx: ParseContext) -> WriterSpec | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not raw:
        raise ctx.error("must be a non-empty object", "ResultWriter")
    extra = set(raw) - {"Resource", "Arguments", "WriterConfig"}
    if extra:
        raise ctx.error(f"unknown fields {sorted(extra)}", "ResultWriter")
    resource = raw.get("Resource")
    if resource is not None and resource != "arn:aws:states:::s3:putObject":
        raise ctx.error("Resource must be arn:aws:states:::s3:putObject", "ResultWriter.Resource")
    if (resource is None) != ("Arguments" not in raw):
        raise ctx.error("Resource and Arguments go together", "ResultWriter")
    config = raw.get("WriterConfig", {})
    transformation = config.get("Transformation", "NONE" if resource else "COMPACT")
    output_type = config.get("OutputType", "JSON")
    if transformation not in ("NONE", "COMPACT", "FLATTEN"):
        raise ctx.error("Transformation must be NONE, COMPACT or FLATTEN", "ResultWriter.WriterConfig.Transformation")
    if output_type not in ("JSON", "JSONL"):
        raise ctx.error("OutputType must be JSON or JSONL", "ResultWriter.WriterConfig.OutputType")
    return WriterSpec(resource, template(raw, "Arguments", _sub(ctx, "ResultWriter")), transformation, output_type)
