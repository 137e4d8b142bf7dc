"""What the pipeline costs on AWS around Bedrock, per million rows, from what the offline runtime counted.

Pure functions: they read prices (``bench/prices.json``) and numbers, never AWS. ``pipeline_cost`` turns the
counters of one offline run (``Runtime.counters.as_dict()``) plus what they do not tell (rows, result items and
their size, requests made outside Step Functions) into billed quantities and dollars at a target size;
``bedrock_cost`` prices the tokens; ``blog_cost`` estimates the orchestration blog's architecture the same way.

How each line is counted:

* **Step Functions Standard**: every state transition of the Standard executions, plus one transition per child
  execution a Distributed Map starts (Developer Guide, concepts-transitions). Express children's own states are
  not billed as transitions.
* **Step Functions Express**: one request per child execution, and GB-seconds from a duration *model*, since the
  offline runtime's clock says nothing of AWS latency: per child, ``states x express_state_ms + API calls x
  express_api_call_ms + virtual time (Waits, retry delays)``, rounded up to 100 ms (the billing step and minimum),
  at 64 MB (50 MB + definition + a batch payload of at most 256 KiB per map step is under 64 MB). Averages are
  used: the rounding is applied to the mean child, not to each child.
* **Lambda**: one request per invocation; GB-seconds = measured handler time x ``lambda_cpu_factor`` (the run is
  timed on one full core of this machine, a 1,024 MB function gets 1024/1769 of a vCPU) + a billed INIT per
  invocation, at the function's memory.
* **S3**: requests by operation, priced PUT-class (PUT, COPY, POST, LIST, multipart parts) or GET-class (GET,
  HEAD, other); DELETE and AbortMultipartUpload are free. The requests the Bedrock batch job makes on our bucket
  (list and read the input, write the output and manifest) are made through our service role and billed to us.
  A Distributed Map's ItemReader is priced at one GET request per range it reads, not per object: the offline
  runtime reads an object in 8 MiB ranged GetObjects (the first range's ETag as IfMatch on the others) and the
  boto3 calls by source count each range, while the runtime's own counter (``counters['api_calls']``) counts one
  GetObject per object read, the call the ASL names. S3 bills per request, and a ranged read is a GET Object
  request with a Range header (S3 pricing page: per 1,000 GET, SELECT and all other requests; S3 performance
  guide, use-byte-range-fetches). How Step Functions reads a large object on AWS, in one GetObject or in ranges,
  is not documented (Developer Guide, input-output-itemreader and state-map-distributed name only
  ``arn:aws:states:::s3:getObject``): pricing every offline range as a billed GET is the stricter, costlier
  reading. The ranges past each object's first (calls by source less the runtime's count) are their own line,
  scaled with rows: they are the bytes read / 8 MiB, and the bytes grow with rows (a small run whose objects are
  all under 8 MiB counts none). Without calls by source the reader is priced at one GET per object, and a note
  says so.
* **DynamoDB**: a BatchWriteItem costs one WRU per item per started KB (the counters count calls, not items, so
  the items are the result rows, with their measured or assumed size); UpdateItem, PutItem and DeleteItem one
  WRU (our items are under 1 KB); GetItem and Query one RRU (strongly consistent, under 4 KB).
* **SQS**: one request per send call per started 64 KB (a SendMessageBatch of 10 dead letters is one).
* **CloudWatch**: one API request per PutMetricData call (the metrics themselves are billed per month: not
  counted).
* Free: EventBridge (below), Step Functions API calls (StartExecution, SendTask*: the transitions are billed) and
  Bedrock's control plane (CreateModelInvocationJob, GetModelInvocationJob). Any other operation is listed in
  the notes as not priced, so that a new call cannot go unseen. Calls made by the offline runtime's own plumbing
  (source ``other``: event delivery through SQS) are not requests of the deployed stack and are left out.
* **EventBridge**: S3 and Bedrock events on the default bus, rules and targets: free.
* Not counted: storage (S3, DynamoDB and its point-in-time recovery, per GB-month), CloudWatch Logs (the machines
  log errors only), KMS (SSE-S3; DynamoDB's AWS managed key), data transfer (same region), the free tiers.

Scaling: a run of ``rows`` rows in ``jobs`` jobs is scaled to ``target_rows`` in ``target_jobs`` jobs. What grows
with rows (child executions, their requests and API calls, Lambda compute, the ItemReaders' ranges past an object's
first) is multiplied by the row ratio; what happens once per job or per file (the Standard states around the maps,
the Bedrock job's and the Lambda's S3 requests, Lambda invocations and their INIT) by the job ratio. ``jobs_for``
counts the jobs the input workflow plans for a number of rows. What the run did is what is priced: a run with the
DynamoDB sink off (ResultsToDynamoDB=false) is measured as such, not derived from a run with the sink on.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

PRICES_FILE = Path(__file__).with_name("prices.json")

# S3 operations by price class (S3 pricing page: PUT, COPY, POST, LIST at one price, GET, SELECT "and all other
# requests" at the other, DELETE and CANCEL free).
S3_PUT_CLASS = frozenset({
    "PutObject", "CopyObject", "PostObject", "ListObjects", "ListObjectsV2", "ListBuckets", "ListObjectVersions",
    "ListMultipartUploads", "ListParts", "CreateMultipartUpload", "UploadPart", "UploadPartCopy",
    "CompleteMultipartUpload",
})
S3_FREE = frozenset({"DeleteObject", "DeleteObjects", "AbortMultipartUpload"})
DYNAMODB_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem"})
DYNAMODB_READS = frozenset({"GetItem", "Query", "Scan"})
SQS_SENDS = frozenset({"SendMessage", "SendMessageBatch"})
CLOUDWATCH_REQUESTS = frozenset({"PutMetricData"})
# Not billed per request: the transitions are (Step Functions), AWS service events are free (EventBridge), the
# batch control plane is free (Bedrock).
FREE_SERVICES = frozenset({"stepfunctions", "states", "events", "bedrock"})

# Sources of API calls (``calls`` argument): what scales with rows and what happens once per job.
ROW_SOURCES = frozenset({"EXPRESS"})  # calls made by Distributed Map children
JOB_SOURCES = frozenset({"STANDARD", "bedrock", "lambda"})  # parent executions, Bedrock's job, the Lambda function
# Any other source (``other``: the offline runtime's event delivery) is not a request of the deployed stack.

# The calls the state machines make (the runtime's ``counters['api_calls']`` counts these, one GetObject per object an
# ItemReader reads).
STATE_MACHINE_SOURCES = frozenset({"STANDARD", "EXPRESS"})
READER_RANGES = "S3 GET requests (ItemReader ranges past each object's first)"

# Operations made only by the Distributed Map children of our two machines, and the one UpdateItem each child makes
# (the run summary counts): used to split ``api_calls`` when the caller did not count calls by source.
CHILD_ONLY_OPERATIONS = frozenset({"dynamodb:BatchWriteItem", "sqs:SendMessageBatch"})
CHILD_UPDATE_ITEMS = 1


@dataclass(frozen=True)
class Assumptions:
    """What the counters cannot tell. Each value is an estimate: change it here or per call with ``replace``."""

    # Express child duration model. A state (Pass/Choice/Map, JSONata over a batch of at most 256 KiB) takes
    # about 20 ms inside Step Functions; a Task calling DynamoDB or SQS about 40 ms round trip. Neither figure is
    # published by AWS: both are estimates.
    express_state_ms: float = 20.0
    express_api_call_ms: float = 40.0
    express_billing_step_ms: float = 100.0  # duration rounded up to 100 ms (pricing page)
    express_memory_mb: float = 64.0  # billed in 64 MB chunks; 50 MB + definition + payload stays under 64 MB
    # The Parquet writer (template.yaml: arm64, MemorySize 1024). Measured handler time is on one full x86 core;
    # Lambda gives a 1,024 MB function 1024/1769 of a vCPU (Lambda docs: 1,769 MB = one vCPU), so the measured
    # time is stretched by 1769/1024. Graviton vs this machine's core is not corrected for.
    lambda_memory_mb: float = 1024.0
    lambda_cpu_factor: float = 1769.0 / 1024.0
    lambda_init_ms: float = 1500.0  # INIT (cold start: boto3 + pyarrow imports), billed; every invocation cold
    lambda_price: str = "lambda_gb_second_arm64"
    # DynamoDB items: a WRU per started KB; our run-summary and job items are under 1 KB.
    dynamodb_wru_bytes: int = 1024
    sqs_chunk_bytes: int = 64 * 1024
    dead_letter_message_bytes: int = 500  # {recordId, runId, inputKey, job, errorCode, errorMessage}
    dead_letters_per_batch: int = 10


@dataclass
class Line:
    service: str
    item: str
    quantity: float
    unit: str
    cost: float


@dataclass
class CostBreakdown:
    """Billed quantities and dollars for ``rows`` rows."""

    rows: int
    lines: list[Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, service: str, item: str, quantity: float, unit: str, price: float) -> None:
        self.lines.append(Line(service, item, quantity, unit, quantity * price))

    @property
    def total(self) -> float:
        return sum(line.cost for line in self.lines)

    def by_service(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for line in self.lines:
            out[line.service] = out.get(line.service, 0.0) + line.cost
        return out

    def service(self, name: str) -> float:
        return self.by_service().get(name, 0.0)

    def line(self, item: str) -> Line:
        return next(line for line in self.lines if line.item == item)

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "total": self.total, "by_service": self.by_service(),
                "lines": [line.__dict__ for line in self.lines], "notes": self.notes}


def load_prices(path: Path = PRICES_FILE) -> dict[str, float]:
    """``{name: price per unit}`` from prices.json."""
    entries = json.loads(path.read_text())["prices"]
    return {name: float(entry["price"]) for name, entry in entries.items()}


def split_api_calls(counters: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """Calls by source from ``counters['api_calls']`` alone, by what our ASL does (see CHILD_ONLY_OPERATIONS).

    Used when the run did not count calls by execution type: BatchWriteItem and SendMessageBatch are made by the
    Express children only, and each child makes one UpdateItem; every other call is the parents'.
    """
    calls = dict(counters.get("api_calls", {}))
    children = sum(counters.get("child_executions", {}).values())
    express: dict[str, int] = {}
    for key in CHILD_ONLY_OPERATIONS:
        if calls.get(key):
            express[key] = calls.pop(key)
    updates = min(calls.get("dynamodb:UpdateItem", 0), children * CHILD_UPDATE_ITEMS)
    if updates:
        express["dynamodb:UpdateItem"] = updates
        calls["dynamodb:UpdateItem"] -= updates
    return {"EXPRESS": express, "STANDARD": {k: v for k, v in calls.items() if v}}


def reader_ranges(counters: Mapping[str, Any], calls: Mapping[str, Mapping[str, int]]) -> int:
    """GetObject requests the state machines made past one per object read: the ItemReaders' 8 MiB ranges.

    ``counters['api_calls']`` counts one GetObject per object an ItemReader reads (and one per Task that calls
    GetObject); ``calls`` (boto3 calls by source) counts every request, each range included. Zero when the
    counters hold no GetObject count to compare with.
    """
    counted = counters.get("api_calls", {}).get("s3:GetObject")
    if counted is None:
        return 0
    made = sum(calls.get(source, {}).get("s3:GetObject", 0) for source in STATE_MACHINE_SOURCES)
    return max(0, made - counted)


def express_seconds_per_child(transitions: float, api_calls: float, virtual_ms: float,
                              assumptions: Assumptions) -> float:
    """Billed seconds of one Express child: the duration model rounded up to the billing step."""
    a = assumptions
    ms = transitions * a.express_state_ms + api_calls * a.express_api_call_ms + virtual_ms
    step = a.express_billing_step_ms
    return max(step, math.ceil(ms / step - 1e-9) * step) / 1000.0


def jobs_for(rows: int, max_records: int, min_records: int) -> int:
    """Batch jobs the input workflow plans for ``rows`` rows (input.asl.json, "Plan the jobs").

    Rows are cut into slices of ``max_records - min_records``; a last slice under ``min_records`` joins the one
    before it. An input under ``min_records`` is answered on demand: no job.
    """
    if rows < min_records:
        return 0
    slice_rows = max(1, max_records - min_records)
    slices = math.ceil(rows / slice_rows)
    if slices > 1 and rows - (slices - 1) * slice_rows < min_records:
        slices -= 1
    return slices


def children_per_map(counters: Mapping[str, Any], rows: int, target_rows: int = 1_000_000) -> dict[str, float]:
    """Child executions of each Distributed Map state (``counters['children_by_map']``) scaled to ``target_rows``."""
    return {name: n * target_rows / rows for name, n in counters.get("children_by_map", {}).items()}


def pipeline_cost(counters: Mapping[str, Any], *, rows: int, result_items: int, result_item_bytes: float,
                  jobs: int = 1, calls: Mapping[str, Mapping[str, int]] | None = None,
                  target_rows: int = 1_000_000, target_jobs: int | None = None,
                  assumptions: Assumptions = Assumptions(), prices: Mapping[str, float] | None = None,
                  ) -> CostBreakdown:
    """The cost of our pipeline for ``target_rows`` rows from the counters of a run of ``rows`` rows.

    ``calls``: API calls by source, ``{"EXPRESS" | "STANDARD" | "bedrock" | "lambda": {"service:Operation": n}}``;
    without it they come from ``counters['api_calls']`` by ``split_api_calls`` (Step Functions' calls only: the
    Bedrock job's and the Lambda function's S3 requests are then missing). ``result_items``: rows written to
    DynamoDB by BatchWriteItem, of ``result_item_bytes`` each on average (0 for a run with the sink off).
    """
    p = load_prices() if prices is None else prices
    a = assumptions
    target_jobs = jobs if target_jobs is None else target_jobs
    row_k = target_rows / rows
    job_k = target_jobs / jobs
    out = CostBreakdown(target_rows)

    given = calls if calls is not None else split_api_calls(counters)
    sources = {k: dict(v) for k, v in given.items() if k in ROW_SOURCES | JOB_SOURCES}
    # The ItemReader runs in the Map state's own (Standard) execution: its ranges past an object's first come off
    # the parents' per-job GETs and are priced per row below.
    ranges = min(reader_ranges(counters, given), sources.get("STANDARD", {}).get("s3:GetObject", 0))
    if ranges:
        sources["STANDARD"]["s3:GetObject"] -= ranges

    def scaled(source: str) -> float:
        return row_k if source in ROW_SOURCES else job_k

    def count(predicate: Any) -> float:
        return sum(n * scaled(src) for src, ops in sources.items() for op, n in ops.items() if predicate(op))

    # Step Functions
    children = sum(counters.get("child_executions", {}).values())
    transitions = counters.get("state_transitions", {})
    standard = transitions.get("STANDARD", 0) * job_k + children * row_k
    out.add("Step Functions", "Standard state transitions", standard, "transitions",
            p["stepfunctions_standard_transition"])
    express = counters.get("executions", {}).get("EXPRESS", 0)
    if express:
        # Distributed Map children scale with rows; any other Express execution (started once per job) with jobs.
        # Every Express execution is given the mean duration: the counters do not split states or calls further.
        express_children = min(express, counters.get("child_executions", {}).get("EXPRESS", 0))
        requests = express_children * row_k + (express - express_children) * job_k
        express_calls = sum(sources.get("EXPRESS", {}).values())
        seconds = express_seconds_per_child(transitions.get("EXPRESS", 0) / express, express_calls / express,
                                            counters.get("express_duration_ms", 0.0) / express, a)
        out.add("Step Functions", "Express requests", requests, "requests", p["stepfunctions_express_request"])
        gb_seconds = requests * seconds * a.express_memory_mb / 1024
        out.add("Step Functions", "Express duration", gb_seconds, "GB-s", p["stepfunctions_express_gb_second"])
        out.notes.append(f"Express execution: {transitions.get('EXPRESS', 0) / express:.1f} states and "
                         f"{express_calls / express:.1f} API calls on average, billed "
                         f"{seconds * 1000:.0f} ms at {a.express_memory_mb:.0f} MB")

    # Lambda
    invocations = counters.get("lambda_invocations", 0)
    if invocations:
        memory_gb = a.lambda_memory_mb / 1024
        compute = counters.get("lambda_duration_ms", 0.0) / 1000 * a.lambda_cpu_factor * row_k
        init = invocations * job_k * a.lambda_init_ms / 1000
        out.add("Lambda", "Lambda requests", invocations * job_k, "invocations", p["lambda_request"])
        out.add("Lambda", "Lambda duration", (compute + init) * memory_gb, "GB-s", p[a.lambda_price])

    # S3
    def s3(op_class: str) -> Any:
        def match(op: str) -> bool:
            service, _, name = op.partition(":")
            if service != "s3" or name in S3_FREE:
                return False
            return (name in S3_PUT_CLASS) == (op_class == "put")
        return match

    out.add("S3", "S3 PUT/COPY/POST/LIST requests", count(s3("put")), "requests", p["s3_put_copy_post_list"])
    out.add("S3", "S3 GET/HEAD requests", count(s3("get")), "requests", p["s3_get_select"])
    out.add("S3", READER_RANGES, ranges * row_k, "requests", p["s3_get_select"])
    if ranges:
        out.notes.append(f"S3: ItemReader GETs of 8 MiB ranges past each object's first: {ranges:,} in the run, each "
                         "priced as a billed GET (whether AWS reads in ranges is not documented: the stricter reading)")
    elif calls is None and counters.get("api_calls", {}).get("s3:GetObject"):
        out.notes.append("S3: no calls by source: the ItemReaders are priced at one GET per object read (the "
                         "runtime's count), not per 8 MiB range")

    # DynamoDB
    wru_per_item = max(1, math.ceil(result_item_bytes / a.dynamodb_wru_bytes))
    batch_wru = result_items * row_k * wru_per_item
    other_wru = count(lambda op: op.startswith("dynamodb:") and op.split(":")[1] in DYNAMODB_WRITES)
    out.add("DynamoDB", "DynamoDB result items (BatchWriteItem)", batch_wru, "WRU", p["dynamodb_write_request_unit"])
    out.add("DynamoDB", "DynamoDB run and job items (UpdateItem/PutItem)", other_wru, "WRU",
            p["dynamodb_write_request_unit"])
    out.add("DynamoDB", "DynamoDB reads (GetItem/Query)",
            count(lambda op: op.startswith("dynamodb:") and op.split(":")[1] in DYNAMODB_READS), "RRU",
            p["dynamodb_read_request_unit"])
    if result_items:
        out.notes.append(f"DynamoDB result items: {result_item_bytes:.0f} B on average, {wru_per_item} WRU each")

    # SQS: each send call of at most 10 dead letters of ~500 B is one 64 KB chunk.
    chunks = max(1, math.ceil(a.dead_letters_per_batch * a.dead_letter_message_bytes / a.sqs_chunk_bytes))
    out.add("SQS", "SQS send requests", count(lambda op: op.startswith("sqs:") and op.split(":")[1] in SQS_SENDS)
            * chunks, "requests", p["sqs_request"])
    out.add("CloudWatch", "CloudWatch PutMetricData requests",
            count(lambda op: op.startswith("cloudwatch:") and op.split(":")[1] in CLOUDWATCH_REQUESTS), "requests",
            p["cloudwatch_api_request"])
    out.add("EventBridge", "EventBridge (AWS service events)", 0, "events", p["eventbridge_aws_service_event"])
    unpriced = sorted({op for ops in sources.values() for op in ops if not _priced(op)})
    if unpriced:
        out.notes.append("not priced: " + ", ".join(unpriced))
    return out


def _priced(op: str) -> bool:
    service, _, name = op.partition(":")
    if service in FREE_SERVICES or service == "s3":
        return True
    if service == "dynamodb":
        return name in DYNAMODB_WRITES | DYNAMODB_READS | {"BatchWriteItem"}
    if service == "sqs":
        return name in SQS_SENDS
    return service == "cloudwatch" and name in CLOUDWATCH_REQUESTS


def run_cost(run: Mapping[str, Any], target_rows: int = 1_000_000, assumptions: Assumptions | None = None,
             prices: Mapping[str, float] | None = None) -> CostBreakdown:
    """``pipeline_cost`` of one ``python -m bench.pipeline`` line, at ``target_rows`` in the jobs planned for them.

    The Lambda function's memory and architecture come from the run (the template), the rest of the assumptions
    from ``assumptions`` (the defaults when None).
    """
    a = assumptions or Assumptions()
    a = replace(a, lambda_memory_mb=float(run.get("lambda_memory_mb", a.lambda_memory_mb)),
                lambda_price=f"lambda_gb_second_{run['lambda_architecture']}" if "lambda_architecture" in run
                else a.lambda_price)
    target_jobs = max(1, jobs_for(target_rows, run["max_records_per_job"], run.get("min_records_per_job", 1)))
    return pipeline_cost(run["counters"], rows=run["rows"], result_items=run["result_items"],
                         result_item_bytes=run["result_item_bytes"], jobs=max(1, run["jobs"]), calls=run["calls"],
                         target_rows=target_rows, target_jobs=target_jobs, assumptions=a, prices=prices)


def bedrock_cost(rows: int, input_tokens_per_row: float, output_tokens_per_row: float, model: str,
                 batch: bool = True, prices: Mapping[str, float] | None = None) -> float:
    """Token cost of ``rows`` rows on ``model`` ("nova_micro" or "claude3_haiku"), batch or on-demand."""
    p = load_prices() if prices is None else prices
    discount = p["bedrock_batch_discount"] if batch else 1.0
    per_row = (input_tokens_per_row * p[f"bedrock_{model}_input_on_demand"]
               + output_tokens_per_row * p[f"bedrock_{model}_output_on_demand"])
    return rows * per_row * discount


def overhead_share(overhead: float, bedrock: float) -> float:
    """The orchestration's share of the whole bill (overhead / (overhead + Bedrock))."""
    total = overhead + bedrock
    return overhead / total if total else 0.0


@dataclass(frozen=True)
class BlogAssumptions:
    """The orchestration blog's stack (aws-samples bedrock-batch-orchestrator, CDK): our reading of its code.

    One Standard state machine: a preprocess Lambda over the whole dataset, an inline Map over the jobs whose
    Task starts each job (Lambda, waitForTaskToken), an inline Map of postprocess Lambdas (one per job). A callback
    Lambda runs on every Bedrock job state-change event (its EventBridge rule does not filter on status) and
    sends heartbeats, then success. Functions are container images for x86, preprocess and postprocess at
    10,240 MB, start and callback at the default 128 MB. Durations are our estimates, not measurements.
    """

    records_per_job: int = 1000  # MAX_RECORDS_PER_JOB default in preprocess.py
    big_memory_mb: float = 10240.0
    small_memory_mb: float = 128.0
    # preprocess: awswrangler chunked read, str.format + json.dumps per row (~40 us), and per job one JSONL PUT and
    # one Parquet PUT (~150 ms with awswrangler's overhead)
    preprocess_seconds_per_row: float = 40e-6
    preprocess_seconds_per_job: float = 0.15
    cold_start_seconds: float = 5.0  # container image with pandas, awswrangler, datasets: INIT billed
    start_seconds: float = 0.8  # CreateModelInvocationJob + GetModelInvocationJob + PutItem
    callback_seconds: float = 0.3  # GetModelInvocationJob + GetItem + SendTask* + PutItem
    events_per_job: int = 4  # Validating, Scheduled, InProgress, Completed (Submitted may not be emitted)
    # postprocess per job: read_parquet, list, GET output, json.loads per line, merge, to_parquet: S3 round trips
    # dominate at 1,000 records
    postprocess_seconds_per_job: float = 1.0
    postprocess_seconds_per_row: float = 50e-6
    concurrency: int = 20  # maxConcurrentJobs: warm postprocess/start containers are reused, ~20 cold starts each
    # S3 requests per job: preprocess 2 PUT (JSONL + Parquet) + 1 GET (chunked read); Bedrock 1 LIST + 1 GET +
    # 2 PUT (output + manifest); postprocess 1 LIST + 1 PUT + 3 GET/HEAD (read_parquet, the output)
    s3_put_class_per_job: int = 6
    s3_get_class_per_job: int = 5
    ddb_item_wru: int = 2  # task items hold the task token (~1 KB) and the job's paths
    ddb_puts_per_job: int = 5  # start + one per event
    ddb_gets_per_job: int = 4  # one per event, eventually consistent (0.5 RRU)


def blog_cost(rows: int = 1_000_000, assumptions: BlogAssumptions = BlogAssumptions(),
              prices: Mapping[str, float] | None = None) -> CostBreakdown:
    """Estimated cost of the orchestration blog's architecture for ``rows`` rows (no per-row DynamoDB, no DLQ)."""
    p = load_prices() if prices is None else prices
    a = assumptions
    jobs = math.ceil(rows / a.records_per_job)
    out = CostBreakdown(rows)
    # Three top-level states (preprocess Task, two Map states) and per job one Task in each inline Map.
    out.add("Step Functions", "Standard state transitions", 3 + 2 * jobs, "transitions",
            p["stepfunctions_standard_transition"])
    big, small = a.big_memory_mb / 1024, a.small_memory_mb / 1024
    warm = min(jobs, a.concurrency)
    invocations = 1 + jobs + jobs * a.events_per_job + jobs
    gb_s = (big * (a.cold_start_seconds + rows * a.preprocess_seconds_per_row + jobs * a.preprocess_seconds_per_job)
            + small * (warm * a.cold_start_seconds + jobs * a.start_seconds)
            + small * (warm * a.cold_start_seconds + jobs * a.events_per_job * a.callback_seconds)
            + big * (warm * a.cold_start_seconds + jobs * a.postprocess_seconds_per_job
                     + rows * a.postprocess_seconds_per_row))
    out.add("Lambda", "Lambda requests", invocations, "invocations", p["lambda_request"])
    out.add("Lambda", "Lambda duration", gb_s, "GB-s", p["lambda_gb_second_x86"])
    out.add("S3", "S3 PUT/COPY/POST/LIST requests", jobs * a.s3_put_class_per_job, "requests",
            p["s3_put_copy_post_list"])
    out.add("S3", "S3 GET/HEAD requests", jobs * a.s3_get_class_per_job, "requests", p["s3_get_select"])
    out.add("DynamoDB", "DynamoDB task items (PutItem)", jobs * a.ddb_puts_per_job * a.ddb_item_wru, "WRU",
            p["dynamodb_write_request_unit"])
    out.add("DynamoDB", "DynamoDB reads (GetItem)", jobs * a.ddb_gets_per_job * 0.5, "RRU",
            p["dynamodb_read_request_unit"])
    out.add("EventBridge", "EventBridge (AWS service events)", 0, "events", p["eventbridge_aws_service_event"])
    out.notes.append(f"{jobs:,} jobs of {a.records_per_job:,} records; {invocations:,} Lambda invocations")
    return out

