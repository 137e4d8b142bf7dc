"""``bedrock-batch demo``: the whole pipeline offline on one local file.

The template is deployed into moto, the file is uploaded under ``inputs/``, and the virtual clock runs until
everything the upload set in motion has settled: the input workflow, the simulated Bedrock batch job, the
output workflow and the Parquet writer. Then the results are read back from where they landed, and the run gets
one verdict and one exit code (see ``DemoResult.verdict``).
"""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyarrow.parquet as pq
from boto3.s3.transfer import TransferConfig

from . import status
from .offline.distributed.item_reader import read_body, read_object
from .offline.errors import StatesError
from .offline.local import offline_aws
from .offline.runtime import Runtime, RuntimeConfig
from .stack.deploy import OfflineStack
from .stack.template import Stack

REPO = Path(__file__).resolve().parents[1]
#: What the Parquet ``response`` and ``embedding`` values of a demo are, said wherever the demo shows its results.
SIMULATED_ANSWERS = ("placeholders from the offline Bedrock simulator (text or JSON made from the prompt's words, "
                     "seeded random vectors), not model output")
#: How the input workflow reads each extension (its "Choose the reader" state): the same ItemReader counts the rows.
READERS: dict[str, dict[str, str]] = {
    ".csv": {"InputType": "CSV", "CSVDelimiter": "COMMA"},
    ".tsv": {"InputType": "CSV", "CSVDelimiter": "TAB"},
    ".ssv": {"InputType": "CSV", "CSVDelimiter": "SEMICOLON"},
    ".psv": {"InputType": "CSV", "CSVDelimiter": "PIPE"},
    ".jsonl": {"InputType": "JSONL"},
    ".parquet": {"InputType": "PARQUET"},
}
#: Job states in which a job holds one of the MaxConcurrentJobs slots.
IN_FLIGHT = frozenset({"Submitted", "Validating", "Scheduled", "InProgress", "Stopping"})
DEAD_LETTERS_FILE = "dead-letters.jsonl"


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
    run_ids: list[str] = field(default_factory=list)
    reason: str = ""
    results_to_dynamodb: bool = False
    on_demand_rows: int = 0
    on_demand_input_tokens: int = 0
    on_demand_output_tokens: int = 0
    estimated_cost: float = 0.0
    on_demand_cost: float = 0.0  # what every token would have cost on demand
    dead_letter_codes: dict[str, int] = field(default_factory=dict)
    dead_letter_samples: dict[str, str] = field(default_factory=dict)  # one message per error code
    dead_letters_file: str = ""
    state_file: str = ""  # --state: the saved state's manifest.json, for bedrock-batch status --state
    counters: dict[str, Any] = field(default_factory=dict)

    @property
    def refused(self) -> bool:
        """The pipeline stopped before any job: nothing was asked of Bedrock."""
        return self.run_status == "REJECTED" or (self.jobs == 0 and bool(self.reason))

    @property
    def accounted(self) -> bool:
        return (not self.refused and self.rows_in_file == self.parquet_rows + self.dead_letters
                and self.rows_in == self.rows_in_file)

    @property
    def all_failed(self) -> bool:
        return not self.refused and self.rows_in_file > 0 and self.parquet_rows == 0

    def verdict(self) -> tuple[str, int]:
        """The one line that ends the run, and its exit code: 0 done, 1 rows unaccounted or incomplete, 2 refused."""
        if self.refused:
            reason = self.reason.strip().splitlines()[0] if self.reason.strip() else ""
            return f"refused: {reason or 'the input workflow stopped before any job'}", 2
        counts = (f"{self.rows_in_file:,} rows in = {self.parquet_rows:,} results + {self.dead_letters:,} "
                  "dead letters")
        if self.all_failed:
            return f"{counts}: every record failed (see {self.dead_letters_file or 'the dead-letter queue'})", 1
        if not self.accounted:
            return f"{counts}: rows unaccounted for ({self.rows_in:,} read by the workflow)", 1
        if self.run_status != "COMPLETE" or self.failures:
            return f"{counts}: the run is incomplete (status {self.run_status or 'unknown'})", 1
        return f"{counts}: every row accounted for", 0

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "counters"}
        line, code = self.verdict()
        out.update(accounted=self.accounted, refused=self.refused, all_failed=self.all_failed, verdict=line,
                   exit_code=code, answers=SIMULATED_ANSWERS, counters=self.counters)
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


def count_file_rows(path: Path, key: str) -> int:
    """Rows of a local file uploaded as ``key``, read by the input workflow's ItemReader rules (``count_rows``) from
    the file itself: the object holds the same bytes, and reading it back from S3 would hold it all in memory."""
    config = READERS.get(Path(key).suffix.lower())
    if config is None:
        return 0
    with path.open("rb") as f:
        try:
            return sum(1 for _ in read_body(_FileBody(f), key, config))
        except StatesError:
            return 0


class _FileBody:
    """A local file read as ItemReader reads an S3 body."""

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file

    def read(self) -> bytes:
        return self._file.read()

    def iter_chunks(self, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        while chunk := self._file.read(chunk_size):
            yield chunk


def count_rows(s3: Any, bucket: str, key: str) -> int:
    """Rows of the uploaded file as the input workflow's ItemReader reads them (the same reader, same rules).

    0 when the reader cannot read the file: the workflow refuses it too, and says why."""
    config = READERS.get(Path(key).suffix.lower())
    if config is None:
        return 0
    try:
        return sum(1 for _ in read_object(s3, bucket, key, config))
    except StatesError:
        return 0


class Progress:
    """What the pipeline is doing, shown on stderr while the virtual clock runs.

    On a terminal, one line redrawn in place; otherwise one plain line per change (no colour, no wrapping), so a
    log or a script reads it line by line."""

    def __init__(self, runtime: Runtime, table: str, enabled: bool) -> None:
        self.runtime = runtime
        self.table = table
        self.enabled = enabled
        self._live: Any = None
        self._last = ""
        self._checked = 0.0

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.console import Console
            from rich.live import Live

            console = Console(stderr=True, highlight=False)
            if console.is_terminal:
                self._live = Live("", console=console, refresh_per_second=8, transient=False)
                self._live.__enter__()
            self.runtime.clock.add_idle_hook(self.update)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.enabled:
            self.update(force=True)
        if self._live is not None:
            self._live.__exit__(*exc)
            self._live = None

    def line(self) -> str:
        runtime = self.runtime
        rows_read = requests = answered = planned = 0
        for item in status.scan(runtime.client("dynamodb"), self.table, ["SUMMARY"]):
            rows_read += int(item.get("rowsRead", 0))
            requests += int(item.get("rowsIn", 0))
            answered += int(item.get("results", 0))
            planned += int(item.get("jobsPlanned", 0))
        jobs = runtime.bedrock.list_model_invocation_jobs().get("invocationJobSummaries", [])
        running = sum(1 for j in jobs if j["status"] in IN_FLIGHT)
        waiting = max(0, planned - len(jobs))
        done = Counter(j["status"] for j in jobs if j["status"] not in IN_FLIGHT)
        ended = ", ".join(f"{n:,} {s}" for s, n in sorted(done.items()))
        hours = runtime.clock.monotonic() / 3600
        return (f"virtual time {hours:,.2f} h | rows read {rows_read:,} | requests built {requests:,} | "
                f"jobs running {running:,}, waiting {waiting:,}" + (f", ended {ended}" if ended else "")
                + f" | records answered {answered:,}")

    def update(self, force: bool = False) -> bool:
        now = time.monotonic()
        if not force and now - self._checked < 0.2:
            return False
        self._checked = now
        text = self.line()
        if text != self._last:
            self._last = text
            if self._live is not None:
                self._live.update(text)
            else:
                print(text, file=sys.stderr, flush=True)
        return False


@contextmanager
def deployed(parameters: dict[str, str] | None = None, template: Path = REPO / "template.yaml",
             prompts: Path = REPO / "prompts" / "templates.json",
             simulator: Any = None) -> Iterator[tuple[Runtime, OfflineStack]]:
    """The template deployed into moto with the prompt templates published, as ``make deploy`` leaves it."""
    with offline_aws():
        runtime = Runtime(RuntimeConfig(simulator=simulator))
        try:
            stack = OfflineStack(Stack.from_file(template, overrides=dict(parameters or {})), runtime).deploy()
            stack.upload_prompts(prompts)
            yield runtime, stack
        finally:
            runtime.close()


def upload_input(runtime: Runtime, stack: OfflineStack, input_file: Path, prompt_id: str | None) -> str:
    """Drop the file under ``inputs/<prompt>/``, which starts the input workflow; returns the key."""
    prompt = prompt_id or stack.stack.parameters["DefaultPromptId"]
    key = f"inputs/{prompt}/{input_file.name}"
    upload_file(runtime.client("s3"), input_file, stack.output("DataBucketName"), key)
    return key


def upload_file(s3: Any, path: Path, bucket: str, key: str) -> None:
    """Upload as ``aws s3 cp`` does: in one PutObject up to 8 MB, in 8 MB parts past it (a multipart upload).

    On the caller's thread, as everything offline runs. A file of any size then never sits in memory whole, on
    either side (moto_speedups completes a multipart upload part by part).
    """
    s3.upload_file(str(path), bucket, key, Config=TransferConfig(use_threads=False))


def run_demo(input_file: Path, prompt_id: str | None = None, model_id: str | None = None,
             out_dir: Path = Path("out"), parameters: dict[str, str] | None = None,
             template: Path = REPO / "template.yaml", prompts: Path = REPO / "prompts" / "templates.json",
             show_progress: bool = True, simulator: Any = None, state_dir: Path | None = None) -> DemoResult:
    started = time.perf_counter()
    overrides = dict(parameters or {})
    if model_id:
        overrides["ModelId"] = model_id
    result = DemoResult()
    with deployed(overrides, template, prompts, simulator) as (runtime, stack):
        bucket = stack.output("DataBucketName")
        key = upload_input(runtime, stack, input_file, prompt_id)
        result.rows_in_file = count_file_rows(input_file, key)
        with Progress(runtime, stack.output("ResultsTableName"), show_progress):
            runtime.run_until_idle()
        _collect(result, runtime, stack, bucket, out_dir, state_dir)
        if state_dir is not None:
            from .saved_state import save

            result.state_file = str(save(state_dir, runtime.client("dynamodb"), runtime.client("s3"),
                                         runtime.client("sqs"), bucket, stack.output("ResultsTableName"),
                                         stack.output("DeadLetterQueueUrl"), runtime.client("s3").meta.region_name))
    result.wall_seconds = round(time.perf_counter() - started, 3)
    return result


def _collect(result: DemoResult, runtime: Runtime, stack: OfflineStack, bucket: str, out_dir: Path,
             state_dir: Path | None = None) -> None:
    dynamodb, s3 = runtime.client("dynamodb"), runtime.client("s3")
    parameters = stack.stack.parameters
    result.results_to_dynamodb = parameters.get("ResultsToDynamoDB") == "true"
    for item in _run_summaries(runtime, dynamodb, stack.output("ResultsTableName")):
        result.run_ids.append(str(item.get("runId", str(item.get("pk", "")).removeprefix("RUN#"))))
        result.rows_in += int(item.get("rowsRead", 0))
        result.resubmitted += int(item.get("resubmitted", 0))
        result.rejected += int(item.get("rejected", 0))
        result.results += int(item.get("results", 0))
        result.errors += int(item.get("errors", 0))
        result.input_tokens += int(item.get("inputTokens", 0))
        result.output_tokens += int(item.get("outputTokens", 0))
        result.on_demand_rows += int(item.get("onDemand", 0))
        result.on_demand_input_tokens += int(item.get("onDemandInputTokens", 0))
        result.on_demand_output_tokens += int(item.get("onDemandOutputTokens", 0))
        result.estimated_cost += float(item.get("estimatedCost", 0))
        result.run_status = item.get("status", "")
        result.reason = item.get("reason", result.reason)
        result.parquet += item.get("parquet", [])
    result.on_demand_cost = round((result.input_tokens * float(parameters["OnDemandInputTokenPrice"])
                                   + result.output_tokens * float(parameters["OnDemandOutputTokenPrice"])) / 1e6, 6)
    jobs = runtime.bedrock.list_model_invocation_jobs().get("invocationJobSummaries", [])
    result.jobs = len(jobs)
    result.job_states = dict(sorted(Counter(job["status"] for job in jobs).items()))
    result.max_jobs_in_flight = runtime.bedrock.max_in_flight_seen()
    out_dir.mkdir(parents=True, exist_ok=True)
    _drain_dead_letters(result, runtime.client("sqs"), stack.output("DeadLetterQueueUrl"), out_dir, state_dir)
    local = []
    for key in sorted(result.parquet):
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
            if not result.reason and result.jobs == 0:
                result.reason = f"{execution.error}: {execution.cause}"


def _drain_dead_letters(result: DemoResult, sqs: Any, queue: str, out_dir: Path, state_dir: Path | None) -> None:
    """Every dead letter to ``<out>/dead-letters.jsonl`` (one message body a line), counted by error code.

    With ``--state``, the same messages, attributes included, to the state folder's dead-letters.jsonl too: the
    queue is empty once drained, so this is where the saved state gets them."""
    from .saved_state import keep_dead_letters, message_line

    path = out_dir / DEAD_LETTERS_FILE
    codes: Counter[str] = Counter()
    with ExitStack() as files:
        out = files.enter_context(path.open("w", encoding="utf-8"))
        kept: IO[str] | None = None
        if state_dir is not None:
            kept = files.enter_context(keep_dead_letters(state_dir))
        for message in dead_letter_messages(sqs, queue):
            body = _body(message)
            if kept is not None:
                kept.write(message_line(message))
            code = str(body.get("errorCode") or "Unknown")
            codes[code] += 1
            result.dead_letter_samples.setdefault(code, str(body.get("errorMessage", "")))
            out.write(json.dumps(body, ensure_ascii=False) + "\n")
    result.dead_letters = sum(codes.values())
    result.dead_letter_codes = dict(codes.most_common())
    result.dead_letters_file = str(path)


def dead_letters(sqs: Any, queue: str) -> Iterator[dict[str, Any]]:
    """Every message body of the dead-letter queue, received, parsed and deleted, one at a time."""
    return map(_body, dead_letter_messages(sqs, queue))


def dead_letter_messages(sqs: Any, queue: str) -> Iterator[dict[str, Any]]:
    """Every message of the dead-letter queue as ReceiveMessage returns it, with its system and message
    attributes; each is deleted once the consumer asks for the next, in one DeleteMessageBatch per page (a
    DeleteMessage each cost a tenth of a 100,000-row run with 2,000 dead letters)."""
    while messages := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, AttributeNames=["All"],
                                          MessageAttributeNames=["All"]).get("Messages", []):
        done: list[dict[str, Any]] = []
        try:
            for message in messages:
                yield message
                done.append(message)
        finally:  # also when the consumer stops early: what it went past is deleted, as one at a time would
            if done:
                entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)]
                failed = sqs.delete_message_batch(QueueUrl=queue, Entries=entries).get("Failed")
                if failed:
                    raise RuntimeError(f"DeleteMessageBatch on {queue} failed: {failed}")


def _body(message: dict[str, Any]) -> dict[str, Any]:
    try:
        body = json.loads(message["Body"])
    except json.JSONDecodeError:
        body = None
    return body if isinstance(body, dict) else {"errorCode": "Unreadable", "errorMessage": message["Body"]}


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


def summary_lines(result: DemoResult) -> list[tuple[str, str]]:
    """The summary as (label, value) pairs: one fact a line, numbers with thousands separators."""
    if result.results_to_dynamodb:
        results = f"{result.parquet_rows:,}  ({result.results:,} also stored in DynamoDB)"
    else:
        results = f"{result.parquet_rows:,}"
    states = ", ".join(f"{k}: {v:,}" for k, v in result.job_states.items())
    lines = [
        ("Run id", ", ".join(result.run_ids) or "-"),
        ("Rows in the file", f"{result.rows_in_file:,}"),
        ("Rows read by the workflow", f"{result.rows_in:,}"),
        ("Results (Parquet rows)", results),
        ("Dead letters", f"{result.dead_letters:,}  ({result.rejected:,} invalid rows, {result.errors:,} model "
                         "errors)"),
    ]
    if result.parquet_rows:
        lines.insert(4, ("  answers", SIMULATED_ANSWERS))
    for code, count in result.dead_letter_codes.items():
        lines.append((f"  {code}", f"{count:,}, e.g. {result.dead_letter_samples.get(code, '')}"))
    if result.on_demand_rows:
        lines.append(("Answered on demand", f"{result.on_demand_rows:,} rows at full price (tokens in / out "
                                            f"{result.on_demand_input_tokens:,} / {result.on_demand_output_tokens:,})"))
    lines += [
        ("Batch jobs", f"{result.jobs:,}" + (f"  ({states})" if states else "")
         + f", at most {result.max_jobs_in_flight:,} in flight, {result.resubmitted:,} rows resubmitted"),
        ("Tokens in / out", f"{result.input_tokens:,} / {result.output_tokens:,}"),
        ("Estimated cost", f"${result.estimated_cost:,.4f}  (on demand it would be ${result.on_demand_cost:,.4f})"),
        ("State transitions", f"{result.state_transitions:,}  ({result.child_executions:,} child executions)"),
        ("Run status", result.run_status or "-"),
        ("Virtual time", f"{result.virtual_seconds / 3600:,.2f} h  (wall {result.wall_seconds:,.1f} s)"),
    ]
    lines += [("Parquet", path) for path in result.parquet]
    if result.dead_letters:
        lines.append(("Dead letters file", result.dead_letters_file))
    if result.state_file:
        state = str(Path(result.state_file).parent)
        lines.append(("Saved state", f"{result.state_file}  (bedrock-batch status --state {state})"))
    return lines


def print_summary(result: DemoResult) -> int:
    """Print the summary and the verdict on stdout; return the exit code. Plain lines, no colour off a terminal."""
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False, soft_wrap=True)
    width = max(len(label) for label, _ in summary_lines(result))
    for label, value in summary_lines(result):
        console.print(escape(f"{label + ':':<{width + 1}} {value}"))
    for failure in [] if result.refused else result.failures:
        console.print(escape(f"{failure['stateMachine']} {failure['status']}: {failure['error']}: "
                             f"{failure['cause']}"), style="red")
    line, code = result.verdict()
    console.print(escape(line), style="green" if code == 0 else "red")
    return code


def as_json(result: DemoResult) -> str:
    return json.dumps(result.as_dict())
