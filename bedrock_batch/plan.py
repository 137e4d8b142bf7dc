"""``bedrock-batch plan``: what a file would become, before anything is uploaded.

The stack is deployed offline exactly as the demo deploys it, with one change made in the open: the job workflow
stops where it would first reach for Bedrock ("Stage the files for Bedrock" becomes a Succeed state). Everything
before it is the product's own ASL: the input workflow reads and slices the file, rejects what the stack rejects,
plans the jobs; each job workflow checks its rows (refused ones go to the dead-letter queue with their reason) and
writes its request records. The plan then reads those records, their exact ``modelInput``, to count tokens, and
prices them from the benchmarks' price table (``bench/prices.json``).
"""

from __future__ import annotations

import copy
import json
import math
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import status
from .demo import REPO, Progress, count_rows, dead_letters, deployed, upload_file, upload_input
from .offline.bedrock import backends
from .offline.bedrock.families import base_model_id
from .stack import template

PRICES_FILE = REPO / "bench" / "prices.json"
#: The first job-workflow state that reaches toward Bedrock: the plan's job workflow ends there.
STOP_AT = "Stage the files for Bedrock"
#: Bedrock batch inference quotas that no template parameter sets (Bedrock User Guide, batch-inference-data and
#: the Service Quotas console: "Batch inference input file size", "Batch inference job size"; defaults, per Region).
INPUT_FILE_BYTES = 1024**3
JOB_BYTES = 5 * 1024**3
CHARS_PER_TOKEN = 4  # backends.count_tokens' rule, named for the plan's explanation of its estimate
EMBEDDING_FAMILIES = frozenset({"titan-embed", "cohere-embed"})
TOKEN_METHOD = (f"estimate: {CHARS_PER_TOKEN} characters a token, the offline simulator's rule (no tokenizer of "
                "{model} ships for offline use); English prose runs 3.5 to 4.5 characters a token on current BPE "
                "tokenizers, so expect about ±15%, more for code, digits or non-Latin scripts")


@dataclass
class PlannedJob:
    name: str
    mode: str  # "batch", or "on-demand" when the whole input is below MinRecordsPerJob
    first_row: int
    rows: int
    records: int = 0
    request_files: int = 0
    request_bytes: int = 0
    largest_file_bytes: int = 0
    input_tokens: int = 0


@dataclass
class Prices:
    """USD per token, and where each figure comes from."""

    input_on_demand: float
    output_on_demand: float
    batch_share: float
    sources: list[str]

    def cost(self, input_tokens: int, output_tokens: int, batch: bool) -> float:
        share = self.batch_share if batch else 1.0
        return (input_tokens * self.input_on_demand + output_tokens * self.output_on_demand) * share


@dataclass
class Plan:
    file: str
    model_id: str
    prompt_id: str
    family: str = ""
    rows: int = 0
    accepted: int = 0
    refused: list[dict[str, Any]] = field(default_factory=list)
    rejected: str = ""  # the whole file refused (empty file, missing columns, unknown prompt ...): why
    jobs: list[PlannedJob] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens_max: int = 0
    output_share: float = 0.25
    max_tokens: int = 0
    token_method: str = ""
    prices: Prices | None = None
    price_note: str = ""
    quotas: list[dict[str, Any]] = field(default_factory=list)
    parameters: dict[str, str] = field(default_factory=dict)
    sample: int = 0  # --sample: the workflows ran on the first N rows; the rest is scaled from them
    refused_estimate: int = 0  # --sample: refused rows in the whole file, scaled from the sample
    bedrock_calls: dict[str, int] = field(default_factory=dict)  # the model look-up only, by design
    wall_seconds: float = 0.0

    @property
    def output_tokens_typical(self) -> int:
        return round(self.output_tokens_max * self.output_share)

    def _tokens(self, batch_only: bool | None) -> tuple[int, int, int]:
        jobs = [j for j in self.jobs if batch_only is None or (j.mode == "batch") == batch_only]
        records = sum(j.records for j in jobs)
        out_max = records * self.max_tokens if self.family not in EMBEDDING_FAMILIES else 0
        return sum(j.input_tokens for j in jobs), out_max, round(out_max * self.output_share)

    def cost(self, on_demand_only: bool, upper: bool) -> float | None:
        """This run's token cost (batch jobs at the batch price, a run answered on demand at the on-demand price),
        or every token on demand; with the typical output, or every answer at MaxTokens (``upper``)."""
        if self.prices is None:
            return None
        total = 0.0
        for batch in (True, False):
            tokens_in, out_max, out_typical = self._tokens(batch)
            total += self.prices.cost(tokens_in, out_max if upper else out_typical, batch and not on_demand_only)
        return round(total, 6)

    @property
    def exit_code(self) -> int:
        """0: it would run; 1: it would meet a quota; 2: the stack would refuse the file."""
        if self.rejected:
            return 2
        return 1 if any(not q["met"] for q in self.quotas) else 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "model_id": self.model_id, "prompt_id": self.prompt_id, "family": self.family,
            "rows": self.rows, "accepted": self.accepted, "refused": self.refused, "rejected": self.rejected or None,
            "jobs": [asdict(j) for j in self.jobs],
            "input_tokens": self.input_tokens, "output_tokens_max": self.output_tokens_max,
            "output_tokens_typical": self.output_tokens_typical, "output_share": self.output_share,
            "token_method": self.token_method,
            "cost_batch_usd": self.cost(on_demand_only=False, upper=False),
            "cost_on_demand_usd": self.cost(on_demand_only=True, upper=False),
            "cost_batch_usd_max": self.cost(on_demand_only=False, upper=True),
            "cost_on_demand_usd_max": self.cost(on_demand_only=True, upper=True),
            "prices": asdict(self.prices) if self.prices else None, "price_note": self.price_note,
            "quotas": self.quotas, "parameters": self.parameters,
            "bedrock_calls": self.bedrock_calls,
            "sample": self.sample or None, "refused_estimate": self.refused_estimate if self.sample else None,
            "wall_seconds": self.wall_seconds,
            "exit_code": self.exit_code,
        }


# -- the job workflow, cut before Bedrock --------------------------------------------------------------------------
def _targets(state: dict[str, Any]) -> list[str]:
    found = [state.get("Next"), state.get("Default")]
    found += [c.get("Next") for c in state.get("Choices", []) + state.get("Catch", [])]
    return [t for t in found if t]


def stop_before(definition: dict[str, Any], state_name: str, comment: str) -> dict[str, Any]:
    """A copy of ``definition`` that succeeds on reaching ``state_name``; the states only it led to are dropped
    (Step Functions refuses unreachable states)."""
    cut = copy.deepcopy(definition)
    states = cut["States"]
    if state_name not in states:
        raise ValueError(f"the definition has no state {state_name!r}")
    states[state_name] = {"Type": "Succeed", "Comment": comment}
    reachable, todo = set(), [cut["StartAt"]]
    while todo:
        name = todo.pop()
        if name not in reachable:
            reachable.add(name)
            todo.extend(_targets(states[name]))
    cut["States"] = {name: state for name, state in states.items() if name in reachable}
    return cut


def _stop_jobs_before_bedrock(runtime: Any, stack: Any) -> str:
    """Replace the deployed job workflow by its cut copy (as UpdateStateMachine would); returns its name."""
    name = stack.stack.physical_name("JobStateMachine")
    machine = runtime.machines[runtime.machine_arn(name)]
    cut = stop_before(machine.definition.raw, STOP_AT, "bedrock-batch plan: the requests are built; nothing is "
                      "staged or sent to Bedrock")
    runtime.create_state_machine(name, cut, machine.type, machine.role_arn)
    return name


# -- reading what the workflows left -------------------------------------------------------------------------------
_TEXT_KEYS = frozenset({"text", "prompt", "inputText"})


def request_text(model_input: Any) -> list[str]:
    """The text parts of a request body that a model reads as input: system, messages, prompt, texts."""
    parts: list[str] = []

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, "text" if key == "texts" else key)
        elif isinstance(value, str) and (key in _TEXT_KEYS or key == "system"):
            parts.append(value)

    walk(model_input)
    return parts


def count_tokens(parts: list[str]) -> int:
    """The estimate, as the simulator counts a request: its text parts joined by newlines (backends.count_tokens)."""
    return backends.count_tokens("\n".join(parts))


def _read_requests(s3: Any, bucket: str, job: PlannedJob) -> None:
    prefix = f"staging/requests/{job.name}/"
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for o in page.get("Contents", [])]
    manifest = next((k for k in keys if k.endswith("manifest.json")), None)
    if manifest is None:
        return
    listed = json.loads(s3.get_object(Bucket=bucket, Key=manifest)["Body"].read())
    for entry in listed.get("ResultFiles", {}).get("SUCCEEDED", []):
        body = s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read()
        job.request_files += 1
        job.request_bytes += len(body)
        job.largest_file_bytes = max(job.largest_file_bytes, len(body))
        for line in body.splitlines():
            if line.strip():
                job.input_tokens += count_tokens(request_text(json.loads(line).get("modelInput")))


_ROW = re.compile(r" row (\d+)(?: \(line [^)]*\))?: (.*)$", re.DOTALL)


def _refusal(body: dict[str, Any]) -> dict[str, Any]:
    """A dead letter of an invalid row as ``{row, reason}`` (rows from 1, the header not counted)."""
    message = str(body.get("errorMessage", ""))
    match = _ROW.search(message)
    if match:
        return {"row": int(match.group(1)), "reason": match.group(2)}
    # A dead letter's recordId is "<runId>-<row index>" (the Parquet record_id), the index counted from 0.
    return {"row": int(str(body.get("recordId", "0")).rsplit("-", 1)[-1]) + 1, "reason": message}


def find_prices(model_id: str, path: Path = PRICES_FILE) -> tuple[Prices | None, str]:
    """The model's on-demand token prices from the price table and the batch share, with their sources."""
    table = json.loads(path.read_text(encoding="utf-8"))
    entries = table["prices"]
    base = base_model_id(model_id)
    found = {k: e for k, e in entries.items() if e.get("model_id") == base}
    inp = next((e for k, e in found.items() if k.endswith("_input_on_demand")), None)
    out = next((e for k, e in found.items() if k.endswith("_output_on_demand")), None)
    known = sorted({e["model_id"] for e in entries.values() if "model_id" in e})
    if inp is None or out is None:
        return None, (f"prices unknown: {path.relative_to(REPO)} has no token prices for {base} (it has "
                      f"{', '.join(known)}); add them there with their source")
    share = entries["bedrock_batch_discount"]
    sources = [f"input {inp['price'] * 1e6:g} USD/1M tokens on demand: {inp['source']}",
               f"output {out['price'] * 1e6:g} USD/1M tokens on demand: {out['source']}",
               f"batch = {share['price']:g} x on demand: {share['source']}"]
    note = f"{table.get('region', '')} list prices as of {table.get('as_of', '?')} ({path.relative_to(REPO)})"
    return Prices(inp["price"], out["price"], share["price"], sources), note


def _writer_tmp_bytes() -> int:
    """The Parquet writer's /tmp, as the template sets it (``EphemeralStorage``): it keeps one job's answers there
    (functions/parquet_writer/answer_spool.py), at most records x MaxTokens x CHARS_PER_TOKEN."""
    writer = template.load(REPO / "template.yaml")["Resources"]["ParquetWriterFunction"]["Properties"]
    return int(writer["EphemeralStorage"]["Size"]) * 1024**2


def _quotas(plan: Plan) -> list[dict[str, Any]]:
    p = plan.parameters
    batch = [j for j in plan.jobs if j.mode == "batch" and j.records]
    most, least = max((j.records for j in batch), default=0), min((j.records for j in batch), default=0)
    slots, jobs = int(p["MaxConcurrentJobs"]), len(batch)
    largest_file = max((j.largest_file_bytes for j in plan.jobs), default=0)
    largest_job = max((j.request_bytes for j in plan.jobs), default=0)
    on_demand = sum(j.records for j in plan.jobs if j.mode == "on-demand")
    answers = 0 if plan.family in EMBEDDING_FAMILIES else most * plan.max_tokens * CHARS_PER_TOKEN
    writer_tmp = _writer_tmp_bytes()
    return [
        {"quota": "records per batch job (MaxRecordsPerJob)", "limit": int(p["MaxRecordsPerJob"]), "planned": most,
         "met": most <= int(p["MaxRecordsPerJob"]), "note": "largest job"},
        {"quota": "minimum records per batch job (MinRecordsPerJob)", "limit": int(p["MinRecordsPerJob"]),
         "planned": least, "met": not batch or least >= int(p["MinRecordsPerJob"]),
         "note": (f"{on_demand:,} records answered on demand instead (below the minimum)" if on_demand
                  else "smallest job, after refused rows")},
        {"quota": "batch jobs in flight (MaxConcurrentJobs)", "limit": slots, "planned": jobs, "met": True,
         "note": f"{math.ceil(jobs / slots) if jobs else 0} wave(s) of at most {slots}"},
        {"quota": "batch inference input file size", "limit": INPUT_FILE_BYTES, "planned": largest_file,
         "met": largest_file <= INPUT_FILE_BYTES, "note": "largest request file"},
        {"quota": "batch inference job size", "limit": JOB_BYTES, "planned": largest_job,
         "met": largest_job <= JOB_BYTES, "note": "largest job's request files together"},
        {"quota": "Parquet writer answers size (/tmp)", "limit": writer_tmp, "planned": answers,
         "met": answers <= writer_tmp,
         "note": "largest job, every answer at MaxTokens; over it: lower MaxRecordsPerJob or MaxTokens"},
    ]


# -- --sample: the workflows on the first N rows, the figures scaled to the whole file ----------------------------
_DELIMITERS = {".csv": ",", ".tsv": "\t", ".ssv": ";", ".psv": "|"}


def write_sample(source: Path, folder: Path, rows: int) -> Path:
    """The first ``rows`` rows of ``source`` (header kept), under the same name, so the same prompt applies."""
    import csv

    target = folder / source.name
    suffix = source.suffix.lower()
    if suffix in _DELIMITERS:
        with source.open(newline="", encoding="utf-8") as f, target.open("w", newline="", encoding="utf-8") as out:
            reader = csv.reader(f, delimiter=_DELIMITERS[suffix])
            writer = csv.writer(out, delimiter=_DELIMITERS[suffix], lineterminator="\n")
            for i, row in enumerate(reader):
                if i > rows:
                    break
                writer.writerow(row)
    elif suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        batches = []
        for batch in pq.ParquetFile(source).iter_batches(batch_size=min(rows, 65536)):
            batches.append(batch)
            if sum(b.num_rows for b in batches) >= rows:
                break
        pq.write_table(pa.Table.from_batches(batches).slice(0, rows), target)
    else:
        with source.open(encoding="utf-8") as f, target.open("w", encoding="utf-8") as out:
            for i, line in enumerate(f):
                if i >= rows:
                    break
                out.write(line)
    return target


def _planned_jobs(runtime: Any, stack: Any, rows: int, job_name: str) -> list[dict[str, Any]]:
    """The jobs the input workflow's own "Plan the jobs" state plans for ``rows`` rows, run on its own."""
    raw = runtime.machines[runtime.machine_arn(stack.stack.physical_name("InputStateMachine"))].definition.raw
    params = stack.stack.parameters
    definition = {"QueryLanguage": "JSONata", "StartAt": "Given", "States": {
        "Given": {"Type": "Pass", "Next": "Plan the jobs", "Assign": {
            "rowsRead": rows, "jobName": job_name,
            "sliceRows": int(params["MaxRecordsPerJob"]) - int(params["MinRecordsPerJob"])}},
        "Plan the jobs": {**raw["States"]["Plan the jobs"], "Next": "Planned"},
        "Planned": {"Type": "Pass", "Output": "{% $jobs %}", "End": True}}}
    machine = runtime.create_state_machine("plan-the-jobs", definition)
    return list(runtime.run(machine.arn).output)


def _extrapolate(plan: Plan, sampled: Plan, planned: list[dict[str, Any]]) -> None:
    """Scale the sample's per-row figures (share accepted, tokens and bytes per record) to the planned jobs."""
    read = max(1, sampled.rows)
    accepted_share = sampled.accepted / read
    records = max(1, sampled.accepted)
    tokens = sum(j.input_tokens for j in sampled.jobs) / records
    size = sum(j.request_bytes for j in sampled.jobs) / records
    plan.jobs = []
    for job in planned:
        kept = round(job["rows"] * accepted_share)
        nbytes = round(kept * size)
        plan.jobs.append(PlannedJob(job["jobName"], job["mode"], job["firstRow"], job["rows"], kept, 1, nbytes,
                                    nbytes, round(kept * tokens)))
    plan.refused_estimate = round(plan.rows * (1 - accepted_share))


# -- the plan ------------------------------------------------------------------------------------------------------
def make_plan(input_file: Path, prompt_id: str | None = None, parameters: dict[str, str] | None = None,
              output_share: float = 0.25, show_progress: bool = False, sample: int | None = None) -> Plan:
    """The plan; with ``sample``, the workflows run on the first ``sample`` rows only, every row is still counted
    by the pipeline's reader, the jobs are planned by the input workflow's own "Plan the jobs" state for that
    count, and the sample's per-row figures are scaled to them."""
    import tempfile

    started = time.perf_counter()
    with deployed(parameters) as (runtime, stack), tempfile.TemporaryDirectory() as scratch:
        values = {k: str(v) for k, v in stack.stack.parameters.items()}
        plan = Plan(str(input_file), values["ModelId"], prompt_id or values["DefaultPromptId"],
                    output_share=output_share, max_tokens=int(values["MaxTokens"]), parameters=values)
        job_machine = _stop_jobs_before_bedrock(runtime, stack)
        bucket, s3 = stack.output("DataBucketName"), runtime.client("s3")
        run_file = write_sample(input_file, Path(scratch), sample) if sample else input_file
        key = upload_input(runtime, stack, run_file, prompt_id)
        plan.rows = count_rows(s3, bucket, key)
        table = stack.output("ResultsTableName")
        with Progress(runtime, table, show_progress):
            runtime.run_until_idle()
        for summary in status.scan(runtime.client("dynamodb"), table, ["SUMMARY"]):
            if summary.get("status") == "REJECTED":
                plan.rejected = str(summary.get("reason", "the input workflow refused the file"))
        for execution in runtime.executions.values():
            if execution.parent is not None:
                continue
            if execution.machine.name == job_machine:
                job, run = execution.input["job"], execution.input["run"]
                plan.family = run["family"]
                plan.jobs.append(PlannedJob(job["jobName"], job["mode"], job["firstRow"], job["rows"]))
            elif execution.status == "FAILED" and not plan.rejected and not plan.jobs:
                plan.rejected = f"{execution.error}: {execution.cause}"
        plan.jobs.sort(key=lambda j: j.first_row)
        dynamodb = runtime.client("dynamodb")
        for job in plan.jobs:
            _read_requests(s3, bucket, job)
            item = dynamodb.get_item(TableName=table, Key={"pk": {"S": f"JOB#{job.name}"}, "sk": {"S": "JOB"}},
                                     ConsistentRead=True).get("Item", {})
            job.records = int(item.get("records", {}).get("N", "0"))
        plan.bedrock_calls = {k: v for k, v in runtime.counters.api_calls.items() if k.startswith("bedrock")}
        plan.refused = sorted((_refusal(b) for b in dead_letters(runtime.client("sqs"),
                                                                 stack.output("DeadLetterQueueUrl"))
                               if b.get("errorCode") == "InvalidRow"), key=lambda r: r["row"])
        if sample and plan.jobs and not plan.rejected:
            plan.accepted = sum(j.records for j in plan.jobs)
            sampled = copy.copy(plan)
            full_key = f"plan/{input_file.name}"  # outside inputs/: no workflow starts
            upload_file(s3, input_file, bucket, full_key)
            plan.rows, plan.sample = count_rows(s3, bucket, full_key), sampled.rows
            base = plan.jobs[0].name.rsplit("-", 1)[0]
            _extrapolate(plan, sampled, _planned_jobs(runtime, stack, plan.rows, base))
    plan.accepted = sum(j.records for j in plan.jobs)
    plan.input_tokens = sum(j.input_tokens for j in plan.jobs)
    plan.output_tokens_max = 0 if plan.family in EMBEDDING_FAMILIES else plan.accepted * plan.max_tokens
    plan.token_method = TOKEN_METHOD.format(model=base_model_id(plan.model_id))
    plan.prices, plan.price_note = find_prices(plan.model_id)
    if not plan.rejected:
        plan.quotas = _quotas(plan)
    plan.wall_seconds = round(time.perf_counter() - started, 3)
    return plan


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def summary_lines(plan: Plan, refused_shown: int = 10) -> list[tuple[str, str]]:
    """The plan as (label, value) pairs; an indented label belongs to the line above it."""
    lines = [("File", plan.file), ("Model", plan.model_id), ("Prompt", plan.prompt_id),
             ("Rows in the file", f"{plan.rows:,}")]
    if plan.rejected:
        return [*lines, ("Refused", plan.rejected)]
    if plan.sample:
        lines += [("Sampled", f"the workflows ran on the first {plan.sample:,} rows; accepted rows, jobs' records, "
                              "bytes and tokens are scaled from them to every row"),
                  ("Rows accepted", f"about {plan.accepted:,}"),
                  ("Rows refused", f"about {plan.refused_estimate:,}; {len(plan.refused):,} in the sample")]
    else:
        lines += [("Rows accepted", f"{plan.accepted:,}"), ("Rows refused", f"{len(plan.refused):,}")]
    for refusal in plan.refused[:refused_shown]:
        lines.append((f"  row {refusal['row']:,}", refusal["reason"]))
    if len(plan.refused) > refused_shown:
        lines.append(("  ...", f"{len(plan.refused) - refused_shown:,} more (--json lists them all)"))
    modes = sorted({j.mode for j in plan.jobs})
    lines.append(("Jobs", f"{len(plan.jobs):,} ({', '.join(modes) or 'none'})"))
    for job in plan.jobs:
        lines.append((f"  {job.name[-3:]}", f"rows {job.first_row + 1:,}-{job.first_row + job.rows:,}: "
                                             f"{job.records:,} records, {job.request_files} file(s), "
                                             f"{_size(job.request_bytes)}, {job.input_tokens:,} tokens in"))
    lines += [
        ("Tokens in", f"{plan.input_tokens:,}"),
        ("  counted by", plan.token_method),
        ("Tokens out", f"at most {plan.output_tokens_max:,} ({plan.accepted:,} records x MaxTokens "
                       f"{plan.max_tokens:,}); typical {plan.output_tokens_typical:,} "
                       f"(assumed: {plan.output_share:.0%} of MaxTokens, --output-share)"),
    ]
    if plan.prices is None:
        lines.append(("Cost", plan.price_note))
    else:
        batch = all(j.mode == "batch" for j in plan.jobs)
        lines += [
            ("Cost in batch" if batch else "Cost (on demand: the file is below MinRecordsPerJob)",
             f"${plan.cost(False, False):,.4f} typical, at most ${plan.cost(False, True):,.4f}"),
            ("Cost on demand", f"${plan.cost(True, False):,.4f} typical, at most ${plan.cost(True, True):,.4f}"),
            ("Prices", plan.price_note),
        ]
        lines += [("  source", source) for source in plan.prices.sources]
    lines.append(("Quotas", "planned / limit"))
    for quota in plan.quotas:
        shown = _size if "size" in quota["quota"] else (lambda n: f"{n:,}")
        mark = "ok" if quota["met"] else "OVER"
        lines.append((f"  {quota['quota']}", f"{mark}: {shown(quota['planned'])} / {shown(quota['limit'])} "
                                             f"({quota['note']})"))
    lines.append(("Planned in", f"{plan.wall_seconds:,.1f} s; nothing was uploaded, no model was called"))
    return lines


def print_plan(plan: Plan) -> int:
    width = max(len(label) for label, _ in summary_lines(plan))
    for label, value in summary_lines(plan):
        print(f"{label + ':':<{width + 1}} {value}")
    if plan.rejected:
        print(f"refused: the stack would refuse {plan.file}")
    elif plan.exit_code:
        print("over a quota: the run would meet the limit marked OVER")
    return plan.exit_code
