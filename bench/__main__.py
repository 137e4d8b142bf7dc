"""``make bench``: runs each benchmark in its own process (so peak memory is its own) and records the tables."""

from __future__ import annotations

import datetime as dt
import json
import math
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench import cost_model

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"

RUNS = [
    ("runtime: distributed map, CSV, batches of 500, Pass children", "bench.runtime_map", 100_000),
    ("pipeline: demo end to end (upload to Parquet)", "bench.pipeline", 10_000),
]
PARQUET_ROWS = 1_000_000
COST_RUN_ROWS = 10_000
TARGET_ROWS = 1_000_000
# The cost headline: tokens per row.
INPUT_TOKENS, OUTPUT_TOKENS = 500, 300


def run(module: str, rows: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", module, str(rows)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    lines = []
    for title, module, rows in RUNS:
        figures = run(module, rows)
        lines.append(f"| {title} | {figures['rows']:,} | {figures['wall_seconds']} | {figures['rows_per_second']:,} "
                     f"| {figures['peak_rss_mib']} |")
        print(title, figures, flush=True)

    parquet = run("bench.parquet_writer", PARQUET_ROWS)
    print("parquet writer vs pandas", parquet, flush=True)
    for name, title in (("writer", "Parquet writer Lambda: join 20 output files + CSV, write Parquet"),
                        ("pandas", "pandas baseline (read_csv, read_json, merge, to_parquet)")):
        f = parquet[name]
        lines.append(f"| {title} | {parquet['rows']:,} | {f['seconds']} | {f['rows_per_second']:,} "
                     f"| {f['peak_rss_mib']} |")

    costs = run("bench.pipeline_costs", COST_RUN_ROWS)
    print("pipeline costs run", json.dumps(costs), flush=True)

    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    table = [
        f"\n### {stamp} — `make bench` on {platform.machine()}, Python {platform.python_version()}{_commit()}\n",
        "| benchmark | rows | wall s | rows/s | peak RSS MiB |",
        "|---|---:|---:|---:|---:|",
        *lines,
        "",
        f"Parquet writer vs pandas on {parquet['rows']:,} rows ({parquet['input_mib']} MiB CSV, "
        f"{parquet['output_files']} output files of {parquet['output_mib']} MiB in all, moto server in its own "
        f"process): the writer is **{parquet['speedup']}x** faster "
        f"({parquet['writer']['rows_per_second']:,} vs {parquet['pandas']['rows_per_second']:,} rows/s) and peaks "
        f"at **{parquet['writer']['peak_rss_mib']:,} MiB** against {parquet['pandas']['peak_rss_mib']:,} MiB "
        f"(after imports: {parquet['writer']['start_rss_mib']} and {parquet['pandas']['start_rss_mib']} MiB); "
        f"both wrote {parquet['writer']['parquet_rows']:,} rows.",
        *cost_tables(costs),
    ]
    print("\n".join(table))
    with DOC.open("a") as f:
        f.write("\n".join(table) + "\n")
    return 0


def _commit() -> str:
    """`, commit abc1234` (with `+ local changes` when the work tree differs), or nothing outside git."""
    repo = DOC.parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repo, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
    return f", commit {head}" + (" + local changes" if dirty else "")


def _money(value: float) -> str:
    return f"${value:,.2f}" if value >= 0.995 else f"${value:,.3f}" if value >= 0.0095 else f"${value:,.4f}"


def cost_tables(costs: dict[str, Any]) -> list[str]:
    """The cost per million rows of ours (sink on and off) and of the blog's architecture, next to Bedrock's."""
    prices = cost_model.load_prices()
    as_of = json.loads(cost_model.PRICES_FILE.read_text())["as_of"]
    assumptions = cost_model.Assumptions(lambda_memory_mb=costs["lambda_memory_mb"],
                                         lambda_price=f"lambda_gb_second_{costs['lambda_architecture']}")
    target_jobs = math.ceil(TARGET_ROWS / costs["max_records_per_job"])
    common = {"rows": costs["rows"], "result_items": costs["result_items"],
              "result_item_bytes": costs["result_item_bytes"], "jobs": costs["jobs"], "calls": costs["calls"],
              "target_rows": TARGET_ROWS, "target_jobs": target_jobs, "assumptions": assumptions, "prices": prices}
    ours_on = cost_model.pipeline_cost(costs["counters"], **common)
    ours_off = cost_model.pipeline_cost(costs["counters"], dynamodb_sink=False, **common)
    blog_1k = cost_model.blog_cost(TARGET_ROWS, prices=prices)
    blog_50k = cost_model.blog_cost(TARGET_ROWS, cost_model.BlogAssumptions(records_per_job=50_000), prices)
    nova = cost_model.bedrock_cost(TARGET_ROWS, INPUT_TOKENS, OUTPUT_TOKENS, "nova_micro", prices=prices)
    haiku = cost_model.bedrock_cost(TARGET_ROWS, INPUT_TOKENS, OUTPUT_TOKENS, "claude3_haiku", prices=prices)
    services = ["Step Functions", "Lambda", "S3", "DynamoDB", "SQS"]
    rows = [
        ("ours, DynamoDB sink on (template as is)", ours_on),
        ("ours, DynamoDB sink off (result items not written)", ours_off),
        ("orchestration blog, 1,000 records per job (its default)", blog_1k),
        ("orchestration blog, 50,000 records per job (its SimpleCoT run)", blog_50k),
    ]
    table = [
        f"\nCost per {TARGET_ROWS:,} rows around Bedrock, us-east-1 list prices of `bench/prices.json` ({as_of}), "
        f"at {INPUT_TOKENS} input and {OUTPUT_TOKENS} output tokens per row. Ours: the counters of a "
        f"{costs['rows']:,}-row run (`python -m bench.pipeline_costs {costs['rows']}`, "
        f"{_per_row(costs['input_tokens'], costs['results'])} in / {_per_row(costs['output_tokens'], costs['results'])}"
        f" out tokens per answered row, {costs['dead_letters']} dead letters) scaled to {TARGET_ROWS:,} rows in "
        f"{target_jobs} jobs; the blog's: estimated (`bench/cost_model.py`, `BlogAssumptions`).\n",
        "| architecture | " + " | ".join(services) + " | orchestration | Nova Micro batch | share "
        "| Claude 3 Haiku batch | share |",
        "|---|" + "---:|" * (len(services) + 5),
    ]
    for name, breakdown in rows:
        cells = [_money(breakdown.service(s)) for s in services]
        table.append(f"| {name} | " + " | ".join(cells) + f" | **{_money(breakdown.total)}** | {_money(nova)} "
                     f"| {cost_model.overhead_share(breakdown.total, nova):.1%} | {_money(haiku)} "
                     f"| {cost_model.overhead_share(breakdown.total, haiku):.1%} |")
    table += ["", f"Our line items (DynamoDB sink on), for {TARGET_ROWS:,} rows:", "",
              "| line | quantity | unit | cost |", "|---|---:|---|---:|"]
    for line in ours_on.lines:
        table.append(f"| {line.item} | {line.quantity:,.0f} | {line.unit} | {_money(line.cost)} |")
    table += ["", "Notes: " + "; ".join([*ours_on.notes, *blog_1k.notes[:1], *blog_50k.notes[:1]]) + "."]
    return table


def _per_row(tokens: int, rows: int) -> str:
    return f"{tokens / rows:.0f}" if rows else "0"


if __name__ == "__main__":
    sys.exit(main())
