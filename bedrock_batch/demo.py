"""``bedrock-batch demo``: the whole pipeline offline on one local file.

The template is deployed into moto, the file is uploaded under ``inputs/``, and the virtual clock runs until
everything the upload set in motion has settled: the input workflow, the simulated Bedrock batch job, the
output workflow and the Parquet writer. Then the results are read back from where they landed.
"""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from . import status
from .offline.local import offline_aws
from .offline.runtime import Runtime, RuntimeConfig
from .stack.deploy import OfflineStack
from .stack.template import Stack

REPO = Path(__file__).resolve().parents[1]


@dataclass
class DemoResult:
    rows_in: int = 0
    rows_in_file: int = 0
    results: int = 0
    errors: int = 0
    rejected: int = 0
    resubmitted: int = 0
    dead_letters: int = 0
    jobs: int = 0
    job_states: dict[str, int] = field(default_factory=dict)
    input_tokens: int = 0
    output_tokens: int = 0
    state_transitions: int = 0
    child_executions: int = 0
    parquet: list[str] = field(default_factory=list)
    parquet_rows: int = 0
    run_status: str = ""
    failures: list[dict[str, Any]] = field(default_factory=list)
    virtual_seconds: float = 0.0
    wall_seconds: float = 0.0
    max_jobs_in_flight: int = 0
    counters: dict[str, Any] = field(default_factory=dict)

    @property
    def accounted(self) -> bool:
        return self.rows_in_file == self.parquet_rows + self.dead_letters and self.rows_in == self.rows_in_file

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "counters"}
        out["accounted"] = self.accounted
        out["counters"] = self.counters
        return out


def sample_reviews(rows: int, blank_every: int = 0) -> str:
    """A CSV of ``rows`` review rows cycled from the bundled sample, each with its own review_id.

    For scale tests and benchmarks; every ``blank_every``-th row gets an empty review_text (an invalid row).
    """
    with (REPO / "samples" / "reviews.csv").open(newline="", encoding="utf-8") as f:
        header, *sample = list(csv.reader(f))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for i in range(rows):
        row = list(sample[i % len(sample)])
        row[0] = f"R{i:08d}"
        if blank_every and i % blank_every == blank_every - 1:
            row[header.index("review_text")] = ""
        writer.writerow(row)
    return out.getvalue()


def count_rows(path: Path) -> int:
    """Data rows in a CSV file with a header row, as the ItemReader reads them (blank lines skipped)."""
    with path.open(newline="", encoding="utf-8") as f:
        return sum(1 for row in csv.reader(f) if row) - 1 if path.stat().st_size else 0


class _Progress:
    """What the pipeline is doing, shown while the virtual clock runs."""

    def __init__(self, runtime: Runtime, enabled: bool) -> None:
        self.runtime = runtime
        self.enabled = enabled
        self._live: Any = None
        self._last = ""

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.console import Console
            from rich.live import Live

            self._live = Live("", console=Console(stderr=True), refresh_per_second=8, transient=False)
            self._live.__enter__()
            self.runtime.clock.add_idle_hook(self.update)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._live is not None:
            self.update()
            self._live.__exit__(*exc)

    def update(self) -> bool:
        runtime = self.runtime
        running: dict[str, int] = {}
        for execution in runtime.executions.values():
            if execution.status == "RUNNING" and execution.parent is None:
                running[execution.machine.name] = running.get(execution.machine.name, 0) + 1
        jobs = runtime.bedrock.list_model_invocation_jobs().get("invocationJobSummaries", [])
        hours = runtime.clock.monotonic() / 3600
        parts = [f"[bold]virtual time[/] {hours:6.2f} h"]
        parts += [f"[cyan]{name}[/] running: {n}" for name, n in sorted(running.items())]
        parts += [f"[magenta]job {j['jobName']}[/]: {j['status']}" for j in jobs]
        parts.append(f"child executions: {sum(runtime.counters.child_executions.values())}")
        text = "  |  ".join(parts)
        if text != self._last:
            self._last = text
            self._live.update(text)
        return False


def run_demo(input_file: Path, prompt_id: str | None = None, model_id: str | None = None,
             out_dir: Path = Path("out"), parameters: dict[str, str] | None = None,
             template: Path = REPO / "template.yaml", prompts: Path = REPO / "prompts" / "templates.json",
             show_progress: bool = True, simulator: Any = None) -> DemoResult:
    started = time.perf_counter()
    overrides = dict(parameters or {})
    if model_id:
        overrides["ModelId"] = model_id
    result = DemoResult(rows_in_file=count_rows(input_file))
    with offline_aws():
        runtime = Runtime(RuntimeConfig(simulator=simulator))
        try:
            stack = OfflineStack(Stack.from_file(template, overrides=overrides), runtime).deploy()
            stack.upload_prompts(prompts)
            bucket = stack.output("DataBucketName")
            prompt = prompt_id or stack.stack.parameters["DefaultPromptId"]
            s3 = runtime.client("s3")
            s3.put_object(Bucket=bucket, Key=f"inputs/{prompt}/{input_file.name}", Body=input_file.read_bytes())
            with _Progress(runtime, show_progress):
                runtime.run_until_idle()
            _collect(result, runtime, stack, bucket, out_dir)
        finally:
            runtime.close()
    result.wall_seconds = round(time.perf_counter() - started, 3)
    return result


def _collect(result: DemoResult, runtime: Runtime, stack: OfflineStack, bucket: str, out_dir: Path) -> None:
    dynamodb, s3, sqs = runtime.client("dynamodb"), runtime.client("s3"), runtime.client("sqs")
    table = stack.output("ResultsTableName")
    for item in _run_summaries(runtime, dynamodb, table):
        result.rows_in += int(item.get("rowsRead", 0))
        result.resubmitted += int(item.get("resubmitted", 0))
        result.rejected += int(item.get("rejected", 0))
        result.results += int(item.get("results", 0))
        result.errors += int(item.get("errors", 0))
        result.input_tokens += int(item.get("inputTokens", 0))
        result.output_tokens += int(item.get("outputTokens", 0))
        result.run_status = item.get("status", "")
        result.parquet += item.get("parquet", [])
    queue = stack.output("DeadLetterQueueUrl")
    while True:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            break
        result.dead_letters += len(messages)
        for m in messages:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
    jobs = runtime.bedrock.list_model_invocation_jobs().get("invocationJobSummaries", [])
    result.jobs = len(jobs)
    for job in jobs:
        result.job_states[job["status"]] = result.job_states.get(job["status"], 0) + 1
    result.max_jobs_in_flight = runtime.bedrock.max_in_flight_seen()
    out_dir.mkdir(parents=True, exist_ok=True)
    local = []
    for key in result.parquet:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        path = out_dir / key.replace("/", "_")
        path.write_bytes(body)
        local.append(str(path))
        result.parquet_rows += pq.ParquetFile(io.BytesIO(body)).metadata.num_rows
    result.parquet = local
    result.state_transitions = sum(runtime.counters.state_transitions.values())
    result.child_executions = sum(runtime.counters.child_executions.values())
    result.virtual_seconds = round(runtime.clock.monotonic(), 3)
    result.counters = runtime.counters.as_dict()
    for execution in runtime.executions.values():
        if execution.parent is None and execution.status != "SUCCEEDED":
            result.failures.append({"stateMachine": execution.machine.name, "status": execution.status,
                                    "error": execution.error, "cause": execution.cause})


def _run_summaries(runtime: Runtime, dynamodb: Any, table: str) -> list[dict[str, Any]]:
    """The runs' SUMMARY items as plain JSON: by key when every run ended with its runId, else by the status
    command's scan (a rejected run ends without one)."""
    roots = [e for e in runtime.executions.values() if e.parent is None and e.machine.type == "STANDARD"]
    if not all(e.status == "SUCCEEDED" for e in roots):
        return status.scan(dynamodb, table, ["SUMMARY"])
    run_ids = {e.output["runId"] for e in roots if isinstance(e.output, dict) and "runId" in e.output}
    items = (dynamodb.get_item(TableName=table, Key={"pk": {"S": f"RUN#{r}"}, "sk": {"S": "SUMMARY"}},
                               ConsistentRead=True).get("Item") for r in sorted(run_ids))
    return [status.plain_item(item) for item in items if item]


def print_summary(result: DemoResult) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title="Bedrock batch run (offline)", show_header=False)
    rows = [
        ("Rows in the file", result.rows_in_file),
        ("Rows read by the workflow", result.rows_in),
        ("Results (Parquet rows)", f"{result.parquet_rows}  ({result.results} stored in DynamoDB)"),
        ("Dead-letter queue", f"{result.dead_letters}  ({result.rejected} invalid rows, {result.errors} model errors)"),
        ("Batch jobs", f"{result.jobs}  " + ", ".join(f"{k}: {v}" for k, v in sorted(result.job_states.items()))
         + f"  (at most {result.max_jobs_in_flight} in flight, {result.resubmitted} rows resubmitted)"),
        ("Tokens in / out", f"{result.input_tokens:,} / {result.output_tokens:,}"),
        ("State transitions", f"{result.state_transitions:,}  ({result.child_executions} child executions)"),
        ("Run status", result.run_status),
        ("Virtual time", f"{result.virtual_seconds / 3600:.2f} h  (wall {result.wall_seconds:.1f} s)"),
    ]
    for name, value in rows:
        table.add_row(name, str(value))
    console.print(table)
    for path in result.parquet:
        console.print(f"Parquet: [bold]{path}[/]")
    for failure in result.failures:
        console.print(f"[red]{failure['stateMachine']} {failure['status']}: {failure['error']}: {failure['cause']}[/]")
    verdict = "[green]every row accounted for[/]" if result.accounted else "[red]rows unaccounted for[/]"
    console.print(f"{result.rows_in_file} rows in = {result.parquet_rows} results + {result.dead_letters} "
                  f"in the dead-letter queue: {verdict}")


def as_json(result: DemoResult) -> str:
    return json.dumps(result.as_dict())
