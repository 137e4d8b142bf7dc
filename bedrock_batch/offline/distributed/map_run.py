"""A map run: the child executions of one Distributed Map state.

Developer Guide, state-map-distributed and concepts-examine-map-run: items are read, shaped by ItemSelector,
batched, and each batch (or item) becomes one child execution of the ItemProcessor, at most MaxConcurrency at a
time (0 means up to 10,000). Children fail independently; once failures pass ToleratedFailureCount or
ToleratedFailurePercentage, the run stops and the state fails with ``States.ExceedToleratedFailureThreshold``.
A child starts with no variables of the parent (workflow-variables).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import StatesError
from ..payloads import check_payload
from ..states.base import evaluate_number
from . import item_batcher, item_reader, result_writer
from .result_writer import ChildResult, ResultSpool

if TYPE_CHECKING:
    from ..protocols import Frame
    from ..states.map_ import MapState

DISTRIBUTED_MAX_CONCURRENCY = 10_000


def _items(state: MapState, frame: Frame, state_input: Any, bindings: dict[str, Any]) -> Iterator[Any]:
    reader = state.reader
    if reader is None:
        source: Any = state.source_items(state_input, bindings)
    else:
        arguments = reader.arguments.evaluate(bindings) if reader.arguments else {}
        max_items = evaluate_number(reader.max_items, bindings, None)
        source = item_reader.read_items(frame.runtime.client("s3"), reader.resource, arguments, reader.config,
                                        max_items, frame.runtime.config.csv_ragged_rows,
                                        frame.runtime.counters.api_calls)
    if state.item_selector is None:  # each item as it is read (MapState.select's answer)
        yield from source
        return
    for index, item in enumerate(source):
        yield state.select(item, index, bindings)


def _inputs(state: MapState, frame: Frame, state_input: Any,
            bindings: dict[str, Any]) -> Iterator[tuple[Any, int | None]]:
    """Each child's input, with its size in bytes when the batcher has measured it already (else None)."""
    items = _items(state, frame, state_input, bindings)
    if state.batcher is None:
        return ((item, None) for item in items)
    b = state.batcher
    max_items = evaluate_number(b.max_items, bindings, None, minimum=1)
    max_bytes = evaluate_number(b.max_bytes, bindings, None, minimum=1)
    batch_input = b.batch_input.evaluate(bindings) if b.batch_input is not None else None
    return item_batcher.sized_batches(items, max_items, max_bytes, batch_input)


async def run_map_run(state: MapState, frame: Frame, state_input: Any, bindings: dict[str, Any]) -> Any:
    runtime = frame.runtime
    parent = frame.execution
    history = parent.history
    run_id = str(uuid.uuid4())
    label = state.label or state.name.replace(" ", "")
    map_run_arn = f"{parent.machine.arn.replace(':stateMachine:', ':mapRun:')}/{label}:{run_id}"
    child_machine = runtime.child_machine(parent.machine, state, label)
    # concepts-asl-use-map-state-distributed: at most 10,000 children run at once, whatever MaxConcurrency says.
    limit = min(evaluate_number(state.max_concurrency, bindings, 0) or DISTRIBUTED_MAX_CONCURRENCY,
                DISTRIBUTED_MAX_CONCURRENCY)
    tolerated_count = evaluate_number(state.tolerated_count, bindings, None)
    tolerated_pct = evaluate_number(state.tolerated_percentage, bindings, None, integer=False)
    writer = state.writer
    writer_args = writer.arguments.evaluate(bindings) if writer and writer.arguments else None
    runtime.counters.map_runs += 1
    history.add("MapRunStarted", mapRunArn=map_run_arn)

    results: list[ChildResult] = []
    # With a ResultWriter that writes to S3, each child's entry is spooled as JSON text when the child ends, so
    # the run holds no child's input or output: its memory does not grow with the number of items.
    spool = ResultSpool(writer.transformation) if writer is not None and writer.resource else None
    # The spool writes a succeeded child's output (COMPACT) or its items (FLATTEN): each child keeps the text its
    # output was measured from, so that it is not written a second time.
    output_form = spool.transformation if spool is not None and spool.transformation != "NONE" else None
    total = 0
    running: set[asyncio.Task[Any]] = set()
    gate = asyncio.Semaphore(limit)
    failed = 0
    stop = asyncio.Event()

    async def child(index: int, child_input: Any, input_size: int | None) -> None:
        nonlocal failed, total
        try:
            # Child names are UUIDs, as in the guide's ResultWriter example (":" is not allowed in a name).
            name = str(uuid.uuid5(uuid.UUID(run_id), str(index)))
            execution = runtime.start_child_execution(child_machine, child_input, name, parent, input_size,
                                                      output_form)
            runtime.counters.children_by_map[state.name] += 1
            await execution.done.wait()
            result = ChildResult(index, execution.arn, execution.name, child_input, execution.status,
                                 execution.output, execution.error, execution.cause,
                                 runtime.clock.iso_at(execution.start), runtime.clock.iso_at(execution.stop or 0),
                                 child_machine.arn, execution.output_text)
            execution.output_text = None  # the result holds it now (a Standard child stays in the runtime)
            total += 1
            if spool is None:
                results.append(result)
            else:
                spool.add(result)
            if execution.status != "SUCCEEDED":
                failed += 1
                # The total is not known while items stream in, so only the count can stop the run early.
                if _over_threshold(failed, None, tolerated_count, tolerated_pct):
                    stop.set()
        finally:
            gate.release()

    error: StatesError | None = None
    try:
        for index, (child_input, input_size) in enumerate(_inputs(state, frame, state_input, bindings)):
            # A child's input over the limit fails the Map state (terminal), not just that child: measured here
            # once (the batcher's size when it has one), and the child's own check reuses the size.
            input_size = check_payload(child_input, f"the input of child execution {index} of state '{state.name}'",
                                       input_size)
            await gate.acquire()
            if stop.is_set():
                gate.release()
                break
            task = asyncio.ensure_future(child(index, child_input, input_size))
            running.add(task)
            task.add_done_callback(running.discard)
        if running:
            await asyncio.gather(*running)
    except StatesError as err:  # reading or batching failed: stop the children already started
        error = err
    except BaseException:
        for t in list(running):
            t.cancel()
        if spool is not None:
            spool.close()
        raise
    if error is not None:
        for t in list(running):
            t.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        history.add("MapRunFailed", mapRunArn=map_run_arn, error=error.error)
        if spool is not None:
            spool.close()
        raise error

    try:
        results.sort(key=lambda r: r.index)
        if total and _over_threshold(failed, total, tolerated_count, tolerated_pct):
            history.add("MapRunFailed", mapRunArn=map_run_arn)
            if writer and writer.resource:
                _write(runtime, writer, writer_args, map_run_arn, run_id, spool)
            raise StatesError(errors.EXCEED_TOLERATED_FAILURE_THRESHOLD,
                              f"The specified tolerated failure threshold was exceeded: {failed} of {total} "
                              "child executions failed")
        history.add("MapRunSucceeded", mapRunArn=map_run_arn)
        if writer is None:
            return [r.output if r.status == "SUCCEEDED" else r.full() for r in results]
        if writer.resource is None:
            return result_writer.transform(results, writer.transformation)
        return _write(runtime, writer, writer_args, map_run_arn, run_id, spool)
    finally:
        if spool is not None:
            spool.close()


def _write(runtime: Any, writer: Any, arguments: Any, map_run_arn: str, run_id: str,
           spool: ResultSpool) -> dict[str, Any]:
    if not isinstance(arguments, dict) or "Bucket" not in arguments:
        raise StatesError(errors.RESULT_WRITER_FAILED, "ResultWriter Arguments need a Bucket")
    config = runtime.config
    output, files = result_writer.write(
        runtime.client("s3"), arguments["Bucket"], arguments.get("Prefix", ""), map_run_arn, run_id, spool,
        writer.output_type,
        {"JSON": ".json", "JSONL": config.jsonl_result_extension}, config.result_file_max_bytes,
    )
    runtime.counters.api_calls["s3:PutObject"] += files
    return output


def _over_threshold(failed: int, total: int | None, tolerated_count: int | None,
                    tolerated_pct: float | None) -> bool:
    """With neither field set any failure fails the run; with both set, passing either one does."""
    if failed == 0:
        return False
    if tolerated_count is None and tolerated_pct is None:
        return True
    if tolerated_count is not None and failed > tolerated_count:
        return True
    return tolerated_pct is not None and total is not None and failed * 100.0 / total > tolerated_pct
