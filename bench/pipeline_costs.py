"""The pipeline's billable work on N rows shaped like the cost headline; prints one JSON line for the cost model.

Run as ``python -m bench.pipeline_costs ROWS``. The rows are SimpleCoT-like (prompt ``simplecot_qa``) with a
``source`` long enough that each request is about 500 input tokens, the simulated model answers 300 tokens (the
simulator counts one token per four characters), and 2% of the records fail, as in ``make demo``, so the
dead-letter path is exercised. The whole demo runs (template deployed into moto, upload, both workflows, the
simulated Bedrock job, the Parquet writer), with the DynamoDB results sink on as the template has it.

Besides the runtime's counters, it counts what they do not: every boto3 call made while the virtual clock runs,
attributed to who makes it (a STANDARD or an EXPRESS execution, known from a context variable set when each
execution starts and inherited by the asyncio tasks it creates; the Bedrock batch simulator, found on the call
stack; the Lambda function, which has its own client), and the size of the result items in DynamoDB.
"""

from __future__ import annotations

import contextvars
import csv
import json
import resource
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import botocore.client

from bedrock_batch import demo
from bedrock_batch.demo import REPO, run_demo
from bedrock_batch.offline import runtime as runtime_module
from bedrock_batch.offline.bedrock import SimulatorConfig, count_tokens
from bedrock_batch.offline.runtime import Runtime, RuntimeConfig
from bedrock_batch.stack.template import Stack

PROMPT_ID = "simplecot_qa"
INPUT_TOKENS = 500
OUTPUT_TOKENS = 300
RECORD_ERROR_RATE = 0.02
_EXECUTION_TYPE: contextvars.ContextVar[str] = contextvars.ContextVar("execution_type", default="")
_WORDS = ("first", "consider", "the", "quantities", "given", "then", "combine", "them", "step", "by", "until",
          "the", "result", "is", "clear", "and", "check", "each", "part", "again")


class FixedLengthBackend:
    """Answers of exactly ``tokens`` tokens (``count_tokens``: four characters each), deterministic per prompt."""

    def __init__(self, tokens: int = OUTPUT_TOKENS) -> None:
        self.tokens = tokens

    def generate(self, prompt_text: str, max_tokens: int) -> tuple[str, int]:
        start = sum(prompt_text.encode()[:64]) % len(_WORDS)
        words = [_WORDS[(start + i) % len(_WORDS)] for i in range(self.tokens)]
        text = (" ".join(words) * 2)[: min(self.tokens, max_tokens) * 4]
        return text, count_tokens(text)

    def embed(self, texts: list[str], dimensions: int, normalize: bool) -> list[list[float]]:
        raise NotImplementedError("text only")


def simplecot_rows(rows: int, path: Path) -> None:
    """A CSV whose filled ``simplecot_qa`` prompt (plus its system text) is about INPUT_TOKENS tokens."""
    prompt = json.loads((REPO / "prompts" / "templates.json").read_text())[PROMPT_ID]
    fixed = len(prompt["template"].replace("{source}", "")) + len(prompt.get("system", "")) + 1
    body = "Solve the following problem and explain each step of the reasoning in detail. "
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["source", "target", "rationale", "task", "type"])
        for i in range(rows):
            head = f"Problem {i}: "
            source = (head + body * 40)[: INPUT_TOKENS * 4 - fixed]
            writer.writerow([source, f"answer {i}", "Combine the quantities step by step.", f"task{i % 50}", "cot"])


class CallCounter:
    """Counts boto3 calls by who makes them while the runtime's clock runs."""

    def __init__(self) -> None:
        self.calls: dict[str, Counter[str]] = {}
        self.runtime: Runtime | None = None
        self.result_items = 0
        self.result_item_bytes = 0
        self._original = botocore.client.BaseClient._make_api_call
        self._original_run = Runtime.run_until_idle
        self._original_execution = runtime_module.run_execution

    def __enter__(self) -> CallCounter:
        counter = self

        def make_api_call(client: Any, operation: str, params: Any) -> Any:
            if counter.runtime is not None:
                service = client.meta.service_model.service_name
                source = counter.source(client)
                counter.calls.setdefault(source, Counter())[f"{service}:{operation}"] += 1
            return counter._original(client, operation, params)

        def run_until_idle(runtime: Runtime) -> None:
            counter.runtime = runtime
            try:
                counter._original_run(runtime)
            finally:
                counter.runtime = None
            counter.measure_results(runtime)

        async def run_execution(execution: Any, *args: Any, **kwargs: Any) -> None:
            _EXECUTION_TYPE.set(execution.type)
            await counter._original_execution(execution, *args, **kwargs)

        botocore.client.BaseClient._make_api_call = make_api_call
        Runtime.run_until_idle = run_until_idle  # type: ignore[method-assign]
        runtime_module.run_execution = run_execution
        return self

    def __exit__(self, *exc: Any) -> None:
        botocore.client.BaseClient._make_api_call = self._original
        Runtime.run_until_idle = self._original_run  # type: ignore[method-assign]
        runtime_module.run_execution = self._original_execution

    def source(self, client: Any) -> str:
        if client not in self.runtime._clients.values():  # type: ignore[union-attr]
            return "lambda"  # the function creates its own boto3 client, as on AWS
        frame = sys._getframe(2)
        while frame is not None:
            if "offline/bedrock/" in frame.f_code.co_filename.replace("\\", "/"):
                return "bedrock"
            frame = frame.f_back
        # "other": the runtime's own plumbing (event delivery), not an AWS request of the deployed stack
        return _EXECUTION_TYPE.get() or "other"

    def measure_results(self, runtime: Runtime) -> None:
        """Count the result items and their size as DynamoDB measures it (attribute names + UTF-8 values)."""
        dynamodb = runtime.client("dynamodb")
        self.runtime = None
        for table in dynamodb.list_tables()["TableNames"]:
            for page in dynamodb.get_paginator("scan").paginate(TableName=table):
                for item in page["Items"]:
                    if item.get("pk", {}).get("S", "").startswith("RESULT#"):
                        self.result_items += 1
                        self.result_item_bytes += _item_bytes(item)


def _item_bytes(item: dict[str, Any]) -> int:
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        if "S" in value:
            size += len(value["S"].encode())
        elif "N" in value:
            size += len(value["N"].rstrip("0").lstrip("0")) // 2 + 2
        elif "L" in value:
            size += 3 + sum(_item_bytes({"": v}) + 1 for v in value["L"])
        else:
            size += len(json.dumps(value))
    return size


def main(rows: int) -> dict[str, Any]:
    backend = FixedLengthBackend()
    simulator = SimulatorConfig(record_error_rate=RECORD_ERROR_RATE)
    original_config = demo.RuntimeConfig
    demo.RuntimeConfig = lambda simulator=None: RuntimeConfig(simulator=simulator, model_backend=backend)
    try:
        with tempfile.TemporaryDirectory() as tmp, CallCounter() as counter:
            source = Path(tmp) / "simplecot.csv"
            simplecot_rows(rows, source)
            result = run_demo(source, prompt_id=PROMPT_ID, out_dir=Path(tmp) / "out", show_progress=False,
                              simulator=simulator)
    finally:
        demo.RuntimeConfig = original_config
    stack = Stack.from_file(REPO / "template.yaml")
    function = stack.resources["ParquetWriterFunction"]["Properties"]
    return {
        "rows": rows, "wall_seconds": result.wall_seconds, "accounted": result.accounted, "jobs": result.jobs,
        "results": result.parquet_rows, "dead_letters": result.dead_letters,
        "input_tokens": result.input_tokens, "output_tokens": result.output_tokens,
        "result_items": counter.result_items,
        "result_item_bytes": round(counter.result_item_bytes / max(1, counter.result_items), 1),
        "calls": {source: dict(ops) for source, ops in sorted(counter.calls.items())},
        "counters": result.counters,
        "lambda_memory_mb": int(function.get("MemorySize", 128)),
        "lambda_architecture": (function.get("Architectures") or ["x86_64"])[0],
        "max_records_per_job": int(stack.parameters["MaxRecordsPerJob"]),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))
