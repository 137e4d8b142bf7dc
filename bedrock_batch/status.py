"""``bedrock-batch status``: the runs and jobs the workflows record in the results table.

The input workflow writes one run summary per dropped file (``pk = RUN#<runId>, sk = SUMMARY``), the job
workflow one item per Bedrock job and attempt (``pk = JOB#<jobName>, sk = JOB``, a retry is ``<jobName>-r1``),
and the output workflow adds the counts and tokens to both. This command reads them back:

    bedrock-batch status --stack-name bedrock-batch            every run, newest first
    bedrock-batch status 3f2a --stack-name bedrock-batch       one run (id, id prefix or input key) and its jobs
    bedrock-batch status ... --json                            the same as one JSON object, plain numbers

A job's progress is what Bedrock last reported for it (GetModelInvocationJob's record counts, read by the job
workflow at each poll and when the job ends, and saved on the job item as ``progress``): records processed of the
total, how many succeeded and failed, and the share done. A count is absent until Bedrock knows it.

The table has no index on these items, so the command scans it (paginated, with a filter). The scan reads the
whole table, result items included when ``ResultsToDynamoDB`` is on: on a large table each call costs read
capacity in proportion to the table's size. Only boto3's default clients are used, so the same command reads
a deployed stack, a moto server (``AWS_ENDPOINT_URL``) or moto in process (``offline_aws()``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from .errors import UserError

#: Attributes of a job item that are plumbing, not status: the task tokens the workflows wait on.
HIDDEN_JOB_FIELDS = frozenset({"taskToken", "resultsToken"})

#: The run summary's fields in reading order, with their labels; fields not listed follow in name order.
SUMMARY_FIELDS = [
    ("runId", "Run id"),
    ("inputKey", "Input key"),
    ("etag", "ETag"),
    ("promptId", "Prompt id"),
    ("modelId", "Model id"),
    ("jobName", "Job name"),
    ("status", "Status"),
    ("reason", "Reason"),
    ("startedAt", "Started"),
    ("finishedAt", "Finished"),
    ("rowsRead", "Rows read"),
    ("rowsIn", "Rows in (valid)"),
    ("rejected", "Rejected rows (dead letters)"),
    ("results", "Results"),
    ("errors", "Errors (dead letters)"),
    ("deadLetters", "Dead letters, total"),
    ("missing", "Missing (unaccounted)"),
    ("resubmitted", "Rows resubmitted"),
    ("jobsPlanned", "Jobs planned"),
    ("jobsAllFailed", "Jobs with every record failed"),
    ("inputTokens", "Input tokens"),
    ("outputTokens", "Output tokens"),
    ("estimatedCost", "Estimated cost (USD)"),
    ("parquet", "Parquet"),
]


class StatusError(UserError):
    """A problem the user can fix (unknown run, unknown stack or table): one line on stderr, exit code 2."""


# -- reading the table ---------------------------------------------------------------------------------------------
def resolve_table(stack_name: str, cloudformation: Any = None) -> str:
    """The results table of a deployed stack: its ``ResultsTableName`` output."""
    import boto3
    from botocore.exceptions import ClientError

    client = cloudformation or boto3.client("cloudformation")
    try:
        stacks = client.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as err:  # credentials, Region, network: the command's one-line report
        raise StatusError(f"stack {stack_name}: {err.response.get('Error', {}).get('Message', err)}; "
                     "check --stack-name and the Region (AWS_REGION)") from None
    outputs = stacks[0].get("Outputs", []) if stacks else []
    table = next((o["OutputValue"] for o in outputs if o["OutputKey"] == "ResultsTableName"), None)
    if not table:
        raise StatusError(f"stack {stack_name} has no ResultsTableName output")
    return str(table)


def plain(value: Any) -> Any:
    """A deserialized DynamoDB value as plain JSON: numbers as int or float, sets as sorted lists."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(plain(v) for v in value)
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    if hasattr(value, "value") and isinstance(value.value, (bytes, bytearray)):  # boto3's Binary
        return bytes(value.value).hex()
    return value


def plain_item(item: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item as the API returns it (typed attribute values), as plain JSON."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {k: plain(deserializer.deserialize(v)) for k, v in item.items()}


def scan(dynamodb: Any, table: str, sort_keys: Iterable[str], page_size: int | None = None) -> list[dict[str, Any]]:
    """Every item whose sk is one of ``sort_keys``, as plain dicts, across all scan pages.

    ``page_size`` caps the items DynamoDB reads per page (before the filter); by default a page is 1 MB.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    keys = sorted(sort_keys)
    values = {f":k{i}": {"S": k} for i, k in enumerate(keys)}
    found: list[dict[str, Any]] = []
    try:
        pages = dynamodb.get_paginator("scan").paginate(
            TableName=table, FilterExpression=f"sk IN ({', '.join(values)})", ExpressionAttributeValues=values,
            PaginationConfig={"PageSize": page_size} if page_size else {})
        for page in pages:
            found += [plain_item(item) for item in page["Items"]]
    except dynamodb.exceptions.ResourceNotFoundException:
        raise StatusError(f"table {table} not found (check --table, or use --stack-name)") from None
    except (ClientError, BotoCoreError) as err:
        raise StatusError(f"table {table}: {err}") from None
    return found


def as_run(item: dict[str, Any]) -> dict[str, Any]:
    """A summary item as a run: ``runId`` from the key, the dead letters summed, keys dropped."""
    run = {"runId": str(item["pk"]).removeprefix("RUN#")}
    run.update((k, v) for k, v in item.items() if k not in ("pk", "sk"))
    if "errors" in run or "rejected" in run:
        run["deadLetters"] = run.get("errors", 0) + run.get("rejected", 0)
    return run


def as_job(item: dict[str, Any]) -> dict[str, Any]:
    """A job item: ``name`` from the key, the task tokens and keys dropped, the share of records done added to its
    progress (``percent``, rounded down to a tenth, so that 100 means every record)."""
    job = {"name": str(item["pk"]).removeprefix("JOB#")}
    job.update((k, v) for k, v in item.items() if k not in ("pk", "sk") and k not in HIDDEN_JOB_FIELDS)
    progress = job.get("progress")
    if isinstance(progress, dict):
        done, total = progress.get("processedRecordCount"), progress.get("totalRecordCount")
        if isinstance(done, int) and isinstance(total, int) and total > 0:
            progress["percent"] = math.floor(1000 * done / total) / 10
    return job


def newest_first(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # ISO 8601 timestamps sort as strings; a run without one goes last, then by id for a stable order.
    return sorted(sorted(runs, key=lambda r: r["runId"]), key=lambda r: str(r.get("startedAt") or ""), reverse=True)


def find_run(runs: list[dict[str, Any]], query: str) -> dict[str, Any]:
    """The run named by ``query``: its id, its input key (the newest run of that key), or a unique id prefix."""
    exact = [r for r in runs if r["runId"] == query]
    if exact:
        return exact[0]
    key = query
    if key.startswith("s3://"):  # s3://<bucket>/<key>, as `ingest` prints it
        key = key[len("s3://"):].partition("/")[2]
    by_key = newest_first([r for r in runs if r.get("inputKey") == key])
    if by_key:
        if len(by_key) > 1:
            print(f"bedrock-batch status: {len(by_key)} runs of {key}; showing the newest "
                  f"({', '.join(r['runId'] for r in by_key)})", file=sys.stderr)
        return by_key[0]
    prefixed = [r for r in runs if query and r["runId"].startswith(query)]
    if len(prefixed) == 1:
        return prefixed[0]
    if prefixed:
        raise StatusError(f"run {query!r} is ambiguous: it starts "
                          f"{', '.join(sorted(r['runId'] for r in prefixed))}; give more of the run id")
    raise StatusError(f"no run {query!r} in the table ({len(runs)} runs): give a run id, a prefix of one, "
                      "or the input key (bedrock-batch status without a run lists them)")


# -- output --------------------------------------------------------------------------------------------------------
def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, (int, float)) and not isinstance(value, bool) else _text(value)


def _text(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _time(value: Any) -> str:
    """2026-11-21T22:27:43.856Z as 2026-11-21 22:27:43Z."""
    if not isinstance(value, str) or "T" not in value:
        return _text(value)
    date, _, clock = value.partition("T")
    zone = "Z" if clock.endswith("Z") else ""
    return f"{date} {clock.split('.')[0].removesuffix('Z')}{zone}"


def _progress(job: dict[str, Any]) -> str:
    """``1,234/5,000 (1,200 ok, 34 errors) 24.6%``: what Bedrock last reported; ``-`` for what it has not."""
    progress = job.get("progress") or {}
    total = progress.get("totalRecordCount")
    if total is None:
        return "-"
    shown = f"{_count(progress.get('processedRecordCount'))}/{_count(total)}"
    if "successRecordCount" in progress or "errorRecordCount" in progress:
        shown += (f" ({_count(progress.get('successRecordCount', 0))} ok,"
                  f" {_count(progress.get('errorRecordCount', 0))} errors)")
    if "percent" in progress:
        shown += f" {progress['percent']:g}%"
    return shown


def _job_status(job: dict[str, Any]) -> str:
    """The job item's status, or Bedrock's latest while the job runs (the item says Submitted until it ends)."""
    status = _text(job.get("status"))
    live = (job.get("progress") or {}).get("status")
    if live and "endedAt" not in job and live != job.get("status"):
        status = str(live)
    if job.get("finalStatus") and job["finalStatus"] != job.get("status"):
        status += f" (final {job['finalStatus']})"
    return status


def _stuck(job: dict[str, Any]) -> str:
    if not job.get("stuckIn"):
        return "-"
    return f"{job['stuckIn']} since {_time(job['stuckSince'])}" if job.get("stuckSince") else str(job["stuckIn"])


def _cost(value: Any) -> str:
    return f"${value:.6f}".rstrip("0").rstrip(".") if isinstance(value, (int, float)) else _text(value)


def _tokens(run: dict[str, Any]) -> str:
    if "inputTokens" not in run and "outputTokens" not in run:
        return "-"
    return f"{_count(run.get('inputTokens', 0))} / {_count(run.get('outputTokens', 0))}"


def _console() -> Any:
    from rich.console import Console

    console = Console()
    if not console.is_terminal:  # piped or captured: keep each row on one line, for grep
        console = Console(width=max(console.width, 200))
    return console


def print_runs(runs: list[dict[str, Any]], table_name: str) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"Runs in {table_name}")
    for name, justify in [("run id", "left"), ("input key", "left"), ("status", "left"), ("rows in", "right"),
                          ("results", "right"), ("dead letters", "right"), ("jobs", "right"),
                          ("tokens in / out", "right"), ("est. cost", "right"), ("started", "left")]:
        table.add_column(name, justify=justify, no_wrap=name in ("run id", "input key", "started"))
    for run in runs:
        table.add_row(*(Text(cell) for cell in (
            run["runId"], _text(run.get("inputKey")), _text(run.get("status")), _count(run.get("rowsRead")),
            _count(run.get("results")), _count(run.get("deadLetters")), _count(run.get("jobsPlanned")),
            _tokens(run), _cost(run.get("estimatedCost")), _time(run.get("startedAt")))))
    console = _console()
    console.print(table)
    if not runs:
        console.print(Text("No runs yet: drop a file under inputs/ in the data bucket."))


def print_run(run: dict[str, Any], jobs: list[dict[str, Any]]) -> None:
    from rich.table import Table
    from rich.text import Text

    summary = Table(title=f"Run {run['runId']}", show_header=False)
    summary.add_column("field", style="bold", no_wrap=True)
    summary.add_column("value")
    labels = dict(SUMMARY_FIELDS)
    for field in [f for f, _ in SUMMARY_FIELDS] + sorted(set(run) - set(labels)):
        if field not in run:
            continue
        value = run[field]
        if field == "parquet":
            shown = "\n".join(value) if value else "-"
        elif field == "estimatedCost":
            shown = _cost(value)
        elif field.endswith("At"):
            shown = _time(value)
        else:
            shown = _count(value)
        summary.add_row(Text(labels.get(field, field)), Text(shown))

    table = Table(title=f"Jobs of run {run['runId']} ({len(jobs)} items, {run.get('jobsPlanned', '?')} planned)")
    for name, justify in [("job", "left"), ("attempt", "right"), ("status", "left"), ("records", "right"),
                          ("progress (Bedrock)", "right"), ("answered", "right"), ("failed", "right"),
                          ("message", "left"), ("stuck in", "left")]:
        table.add_column(name, justify=justify, no_wrap=name in ("job", "progress (Bedrock)"))
    for job in jobs:
        table.add_row(*(Text(cell) for cell in (
            job["name"], _count(job.get("attempt")), _job_status(job), _count(job.get("records")), _progress(job),
            _count(job.get("answered")), _count(job.get("failed")), _text(job.get("message")), _stuck(job))))
    console = _console()
    console.print(summary)
    console.print(table)


# -- the command ---------------------------------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", nargs="?", help="a run id, a prefix of one, or the input key; omit to list the runs")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--table", help="the results table")
    target.add_argument("--stack-name", help="a deployed stack: its ResultsTableName output is the table")
    target.add_argument("--state", help="offline: the folder a `bedrock-batch demo --state DIR` saved its table in")
    parser.add_argument("--json", action="store_true",
                        help='print one JSON object: {"runs": [...]} or {"run": {...}, "jobs": [...]}')


def run(args: argparse.Namespace) -> int:
    """The ``status`` subcommand: 0 when shown, 2 for an unknown run, stack or table."""
    import boto3

    try:
        table = args.table or resolve_table(args.stack_name)
        dynamodb = boto3.client("dynamodb")
        items = scan(dynamodb, table, ["SUMMARY"] if args.run is None else ["SUMMARY", "JOB"])
        runs = newest_first([as_run(i) for i in items if str(i["pk"]).startswith("RUN#") and i["sk"] == "SUMMARY"])
        if args.run is None:
            if args.json:
                print(json.dumps({"runs": runs}))
            else:
                print_runs(runs, table)
            return 0
        found = find_run(runs, args.run)
        jobs = sorted((as_job(i) for i in items if str(i["pk"]).startswith("JOB#") and i["sk"] == "JOB"
                       and i.get("runId") == found["runId"]), key=lambda j: j["name"])
    except StatusError as err:
        print(f"bedrock-batch status: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"run": found, "jobs": jobs}))
    else:
        print_run(found, jobs)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bedrock-batch status", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
