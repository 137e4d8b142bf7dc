"""The whole offline pipeline on N generated SimpleCoT-like rows: wall time by phase, and what the cost model needs.

Run as ``python -m bench.pipeline ROWS [--param Name=Value ...] [--row-bytes N]``; prints one JSON line.

The run is ``bedrock-batch demo``: template.yaml deployed into moto (each ``--param`` overrides one of its
parameters), a CSV of ROWS generated rows with SimpleCoT's columns (source, target, rationale, task, type) uploaded
under ``inputs/simplecot_qa/``, and the virtual clock run until everything settled (input workflow, job workflow,
the simulated Bedrock batch job, output workflow, Parquet writer). Each CSV line is ``--row-bytes`` bytes long (600
by default; the ``source`` column takes what the other columns leave). The simulated model answers every request
with exactly 300 tokens (the simulator counts one token per four characters) and 2% of the records fail, so the
dead-letter path runs too.

Phases, in wall seconds (real time, not the runtime's virtual clock), from timestamps taken by hooks this module
patches in (bedrock_batch itself is not changed):

* ``building_requests``: from the upload of the input file to the first CreateModelInvocationJob call on the
  batch simulator (or the first on-demand InvokeModel/Converse answer, for an input below MinRecordsPerJob): the
  input workflow reads and slices the rows, the job workflow builds and stages the requests.
* ``submitting``: from there to the end of the last simulated batch job (its output files written and its final
  state set) or the last on-demand answer: the simulator reads the requests and writes the answers.
* ``processing_results``: from the start of the first output-workflow execution to the end of the last, less the
  time spent inside the Parquet writer.
* ``writing_parquet``: the time spent inside the Parquet writer Lambda, summed over its invocations (the
  runtime's ``lambda_duration_ms``).

Everything runs on one thread in one event loop. With one job the phases follow each other; with several they
overlap (a job's requests are built while another job runs or its results are processed), and each phase is then
the span from its first to its last timestamp: the phases need not add up to the wall time. ``pipeline_seconds``
runs from the upload to the moment the clock stopped (everything settled). The wall time (``wall_seconds``, the
demo's own) also holds deploying the stack into moto before the upload (``setup_seconds``) and the demo reading
the results back after the clock stopped (``readback_seconds``: the run summary, the dead-letter queue and the
Parquet files, through moto); generating the CSV is not timed.

For the cost model (bench/cost_model.py) the line also carries the runtime's counters (``children_by_map``
included) and what they do not tell: every boto3 call made while the virtual clock runs, by who makes it (a
STANDARD or an EXPRESS execution, known from a context variable set when each execution starts and inherited by
the asyncio tasks it creates; the Bedrock batch simulator, found on the call stack; the Lambda function, which has
its own client; ``other``: the runtime's own event delivery, not a request of the deployed stack), the result
items written to DynamoDB by BatchWriteItem and their size, the Lambda function's memory and architecture, and the
parameters of the run.
"""

from __future__ import annotations

import argparse
import contextvars
import json
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import botocore.client

from bedrock_batch import demo
from bedrock_batch.demo import REPO, run_demo
from bedrock_batch.offline import runtime as runtime_module
from bedrock_batch.offline.bedrock import SimulatorConfig, count_tokens
from bedrock_batch.offline.bedrock.runtime_api import RuntimeSimulator
from bedrock_batch.offline.bedrock.simulator import BatchSimulator
from bedrock_batch.offline.runtime import Runtime, RuntimeConfig
from bedrock_batch.stack.template import Stack

TEMPLATE = REPO / "template.yaml"
PROMPT_ID = "simplecot_qa"
ROW_BYTES = 600
OUTPUT_TOKENS = 300
RECORD_ERROR_RATE = 0.02
PHASES = ("building_requests", "submitting", "processing_results", "writing_parquet")
# The parameters that move the cost, reported with their effective values (template default or override).
COST_PARAMETERS = ("ItemsPerBatch", "MaxRecordsPerJob", "MinRecordsPerJob", "ResultsToDynamoDB")

_EXECUTION_TYPE: contextvars.ContextVar[str] = contextvars.ContextVar("execution_type", default="")
_WORDS = ("first", "consider", "the", "quantities", "given", "then", "combine", "them", "step", "by", "until",
          "the", "result", "is", "clear", "and", "check", "each", "part", "again")
_SOURCE = "Solve the following problem and explain each step of the reasoning in detail before answering. "
_RATIONALE = "First consider the quantities given then combine them step by step until the result is clear."


class FixedLengthBackend:
    """Answers of exactly ``tokens`` tokens (``count_tokens``: four characters each), deterministic per prompt."""

    def __init__(self, tokens: int = OUTPUT_TOKENS) -> None:
        self.tokens = tokens
        # The answer depends on the word it starts at and the limit only: built once per pair, it costs the
        # simulator nothing per record (building it per record was 3% of a 100,000-row run).
        self._answers: dict[tuple[int, int], tuple[str, int]] = {}

    def generate(self, prompt_text: str, max_tokens: int) -> tuple[str, int]:
        start = sum(prompt_text[:64].encode()[:64]) % len(_WORDS)  # 64 characters hold the first 64 bytes
        answer = self._answers.get((start, max_tokens))
        if answer is None:
            words = [_WORDS[(start + i) % len(_WORDS)] for i in range(self.tokens)]
            text = (" ".join(words) * 2)[: min(self.tokens, max_tokens) * 4]
            answer = self._answers[start, max_tokens] = text, count_tokens(text)
        return answer

    def embed(self, texts: list[str], dimensions: int, normalize: bool) -> list[list[float]]:
        raise NotImplementedError("text only")


def simplecot_line(i: int, row_bytes: int = ROW_BYTES) -> str:
    """CSV line ``i`` (newline included), ``row_bytes`` long unless that leaves the source under 16 characters.

    No field needs quoting (no commas, quotes or newlines), so the length is exact.
    """
    tail = f",answer {i},{_RATIONALE} ({i % 7} steps),task{i % 50},cot\n"
    head = f"Problem {i}: "
    length = max(16, row_bytes - len(tail))
    body = _SOURCE * (length // len(_SOURCE) + 1)
    return (head + body)[:length] + tail


def simplecot_rows(rows: int, path: Path, row_bytes: int = ROW_BYTES) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("source,target,rationale,task,type\n")
        f.writelines(simplecot_line(i, row_bytes) for i in range(rows))


class Probe:
    """While open: counts boto3 calls by who makes them and the result items written, and timestamps the phases."""

    def __init__(self, output_machine: str) -> None:
        self.output_machine = output_machine  # the output workflow's state machine name
        self.calls: dict[str, Counter[str]] = {}
        self.runtime: Runtime | None = None
        self.result_items = 0
        self.result_item_bytes = 0
        # wall-clock timestamps (time.perf_counter)
        self.upload: float | None = None
        self.run_end: float | None = None
        self.first_submit: float | None = None
        self.last_answer: float | None = None  # the end of the last batch job or on-demand answer
        self.output_start: float | None = None
        self.output_end: float | None = None
        self._patches: list[tuple[Any, str, Any]] = []

    # -- patching ----------------------------------------------------------------------------------------------
    def _patch(self, owner: Any, name: str, wrap: Any) -> None:
        original = getattr(owner, name)
        self._patches.append((owner, name, original))
        setattr(owner, name, wrap(original))

    def __enter__(self) -> Probe:
        probe = self

        def make_api_call(original: Any) -> Any:
            def call(client: Any, operation: str, params: Any) -> Any:
                if probe.runtime is not None:
                    service = client.meta.service_model.service_name
                    probe.calls.setdefault(probe.source(client), Counter())[f"{service}:{operation}"] += 1
                    if operation == "BatchWriteItem":
                        probe.count_result_items(params)
                elif operation in ("PutObject", "CreateMultipartUpload") \
                        and str(params.get("Key", "")).startswith("inputs/"):  # the upload's first request
                    probe.upload = time.perf_counter()
                return original(client, operation, params)
            return call

        def run_until_idle(original: Any) -> Any:
            def run(runtime: Runtime) -> None:
                probe.runtime = runtime
                try:
                    original(runtime)
                finally:
                    probe.runtime = None
                    probe.run_end = time.perf_counter()
            return run

        def run_execution(original: Any) -> Any:
            async def run(execution: Any, *args: Any, **kwargs: Any) -> None:
                _EXECUTION_TYPE.set(execution.type)
                output = execution.parent is None and execution.machine.name == probe.output_machine
                if output and probe.output_start is None:
                    probe.output_start = time.perf_counter()
                try:
                    await original(execution, *args, **kwargs)
                finally:
                    if output:
                        probe.output_end = time.perf_counter()
            return run

        def submit(original: Any) -> Any:
            def call(*args: Any, **kwargs: Any) -> Any:
                if probe.first_submit is None:
                    probe.first_submit = time.perf_counter()
                return original(*args, **kwargs)
            return call

        def answered(original: Any) -> Any:
            def call(*args: Any, **kwargs: Any) -> Any:
                try:
                    return original(*args, **kwargs)
                finally:
                    probe.last_answer = time.perf_counter()
            return call

        def on_demand(original: Any) -> Any:
            return answered(submit(original))

        self._patch(botocore.client.BaseClient, "_make_api_call", make_api_call)
        self._patch(Runtime, "run_until_idle", run_until_idle)
        self._patch(runtime_module, "run_execution", run_execution)
        self._patch(BatchSimulator, "create_model_invocation_job", submit)
        self._patch(BatchSimulator, "_finish_as", answered)  # every job's end: Completed, Failed, Stopped ...
        self._patch(RuntimeSimulator, "converse", on_demand)
        self._patch(RuntimeSimulator, "invoke_model", on_demand)
        return self

    def __exit__(self, *exc: Any) -> None:
        for owner, name, original in reversed(self._patches):
            setattr(owner, name, original)
        self._patches.clear()

    # -- counting ----------------------------------------------------------------------------------------------
    def source(self, client: Any) -> str:
        if client not in self.runtime._clients.values():  # type: ignore[union-attr]
            return "lambda"  # the function creates its own boto3 client, as on AWS
        frame = sys._getframe(2)
        while frame is not None:
            if "offline/bedrock/" in frame.f_code.co_filename.replace("\\", "/"):
                return "bedrock"
            frame = frame.f_back
        return _EXECUTION_TYPE.get() or "other"

    def count_result_items(self, params: dict[str, Any]) -> None:
        """The result rows in a BatchWriteItem, with their size as DynamoDB measures it."""
        for requests in params.get("RequestItems", {}).values():
            for request in requests:
                item = request.get("PutRequest", {}).get("Item", {})
                if item.get("pk", {}).get("S", "").startswith("RESULT#"):
                    self.result_items += 1
                    self.result_item_bytes += item_bytes(item)

    # -- phases ------------------------------------------------------------------------------------------------
    def phases(self, lambda_seconds: float) -> dict[str, float | None]:
        """Wall seconds of each phase (see the module docstring); None for a phase that did not happen."""
        def span(start: float | None, end: float | None) -> float | None:
            return None if start is None or end is None else max(0.0, end - start)

        output = span(self.output_start, self.output_end)
        return {
            "building_requests": span(self.upload, self.first_submit),
            "submitting": span(self.first_submit, self.last_answer),
            "processing_results": None if output is None else max(0.0, output - lambda_seconds),
            "writing_parquet": lambda_seconds,
        }


def item_bytes(item: dict[str, Any]) -> int:
    """DynamoDB's item size: attribute names plus values (strings in UTF-8, numbers about one byte a 2 digits)."""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        if "S" in value:
            size += len(value["S"].encode())
        elif "N" in value:
            size += len(value["N"].strip("-").rstrip("0").lstrip("0").replace(".", "")) // 2 + 2
        elif "B" in value:
            size += len(value["B"])
        elif "L" in value:
            size += 3 + sum(item_bytes({"": v}) + 1 for v in value["L"])
        elif "M" in value:
            size += 3 + item_bytes(value["M"]) + len(value["M"])
        else:  # BOOL, NULL
            size += 1
    return size


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline",
                                     description="The offline pipeline on ROWS generated SimpleCoT-like rows.")
    parser.add_argument("rows", type=_positive, help="rows to generate")
    parser.add_argument("--param", action="append", default=[], metavar="Name=Value", type=_parameter,
                        help="a template parameter override (repeatable), e.g. ResultsToDynamoDB=false")
    parser.add_argument("--row-bytes", type=_positive, default=ROW_BYTES,
                        help=f"bytes per CSV row, newline included (default {ROW_BYTES}); the source column grows")
    args = parser.parse_args(argv)
    args.parameters = dict(args.param)
    return args


def _positive(text: str) -> int:
    value = int(text.replace("_", "").replace(",", ""))
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def _parameter(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected Name=Value, got {text!r}")
    return name.strip(), value.strip()


def main(rows: int, parameters: dict[str, str] | None = None, row_bytes: int = ROW_BYTES) -> dict[str, Any]:
    parameters = dict(parameters or {})
    stack = Stack.from_file(TEMPLATE, overrides=parameters)
    backend = FixedLengthBackend()
    simulator = SimulatorConfig(record_error_rate=RECORD_ERROR_RATE)
    original_config = demo.RuntimeConfig
    demo.RuntimeConfig = lambda simulator=None: RuntimeConfig(simulator=simulator, model_backend=backend)
    try:
        with tempfile.TemporaryDirectory() as tmp, Probe(stack.physical_name("OutputStateMachine")) as probe:
            source = Path(tmp) / "simplecot.csv"
            simplecot_rows(rows, source, row_bytes)
            started = time.perf_counter()
            result = run_demo(source, prompt_id=PROMPT_ID, out_dir=Path(tmp) / "out", parameters=parameters,
                              show_progress=False, simulator=simulator)
            ended = started + result.wall_seconds
    finally:
        demo.RuntimeConfig = original_config
    counters = result.counters
    phases = probe.phases(counters.get("lambda_duration_ms", 0.0) / 1000)
    pipeline_seconds = None if probe.upload is None or probe.run_end is None else probe.run_end - probe.upload
    function = stack.resources["ParquetWriterFunction"]["Properties"]
    return {
        "rows": rows, "row_bytes": row_bytes, "parameters": parameters,
        "settings": {name: stack.parameters[name] for name in COST_PARAMETERS},
        "wall_seconds": result.wall_seconds, "rows_per_second": round(rows / result.wall_seconds),
        "phases": {name: {"seconds": _round(seconds),
                          "rows_per_second": round(rows / seconds) if seconds else None}
                   for name, seconds in phases.items()},
        "pipeline_seconds": _round(pipeline_seconds),
        "pipeline_rows_per_second": round(rows / pipeline_seconds) if pipeline_seconds else None,
        "setup_seconds": _round(None if probe.upload is None else probe.upload - started),
        "readback_seconds": _round(None if probe.run_end is None else ended - probe.run_end),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "accounted": result.accounted, "run_status": result.run_status, "failures": len(result.failures),
        "results": result.parquet_rows, "dead_letters": result.dead_letters, "jobs": result.jobs,
        "job_states": result.job_states, "virtual_hours": round(result.virtual_seconds / 3600, 2),
        "input_tokens": result.input_tokens, "output_tokens": result.output_tokens,
        "result_items": probe.result_items,
        "result_item_bytes": round(probe.result_item_bytes / max(1, probe.result_items), 1),
        "calls": {source: dict(ops) for source, ops in sorted(probe.calls.items())},
        "counters": counters,
        "lambda_memory_mb": int(function.get("MemorySize", 128)),
        "lambda_architecture": (function.get("Architectures") or ["x86_64"])[0],
        "max_records_per_job": int(stack.parameters["MaxRecordsPerJob"]),
        "min_records_per_job": int(stack.parameters["MinRecordsPerJob"]),
    }


def _round(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)


def cli(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        Stack.from_file(TEMPLATE, overrides=args.parameters)
    except ValueError as err:  # an unknown template parameter
        print(f"python -m bench.pipeline: {err}", file=sys.stderr)
        return 2
    print(json.dumps(main(args.rows, args.parameters, args.row_bytes)))
    return 0


if __name__ == "__main__":
    sys.exit(cli())
