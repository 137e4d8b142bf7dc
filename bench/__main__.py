"""``make bench``: runs each benchmark in its own process (so peak memory is its own) and records the tables.

Timed, one at a time: the offline pipeline (``bench.pipeline``) on generated rows (PIPELINE_RUNS: 10,000 rows with the
DynamoDB sink on and off, 100,000 with it off, the template's default, 100,000 rows of 2,000 bytes (about 500 prompt
tokens each) and 1,000,000 rows, both sink off), and the Parquet writer against pandas on 1,000,000 rows
(``bench.parquet_writer``). Ten million rows do not fit in ``make bench``'s time: ``make bench-10m`` runs them alone.
The pipeline runs' counters also give the cost table, each run priced as it ran (a sink-off cost comes from a sink-off
run). Counted only, two at a time (their timings are not reported): the small runs of the parameter table, one parameter
changed at a time from the template's defaults. The tables are printed and appended to docs/benchmarks.md with the date
and the command. ``bench.runtime_map`` (the runtime alone) is not part of ``make bench`` (time): run it as ``python -m
bench.runtime_map ROWS``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench import cost_model

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "benchmarks.md"

SINK_ON = {"ResultsToDynamoDB": "true"}
SINK_OFF = {"ResultsToDynamoDB": "false"}
ROW_BYTES, PROMPT_ROW_BYTES = 600, 2_000  # bench.pipeline's default row, and a row of about 500 prompt tokens
# Timed, in this order (rows, parameters, bytes per CSV row); sink off is the default. The 2,000-byte run prices
# rows of about 500 input tokens; the million-row run shows the memory and the rate at scale.
PIPELINE_RUNS = ((10_000, SINK_ON, ROW_BYTES), (10_000, SINK_OFF, ROW_BYTES), (100_000, SINK_OFF, ROW_BYTES),
                 (100_000, SINK_OFF, PROMPT_ROW_BYTES), (1_000_000, SINK_OFF, ROW_BYTES))
PARQUET_ROWS = 1_000_000
TARGET_ROWS = 1_000_000
# The parameter table: each value is one run of PARAMETER_ROWS rows with only that parameter changed; the
# template's default value is the shared baseline run.
PARAMETER_ROWS = 5_000
PARAMETER_VALUES = {
    "ItemsPerBatch": ("50", "100", "250", "500"),
    "MaxRecordsPerJob": ("1000", "2500", "50000"),
    "ResultsToDynamoDB": ("true", "false"),
}
UNTIMED_WORKERS = 2
# The cost headline: tokens per row.
INPUT_TOKENS, OUTPUT_TOKENS = 500, 300
SERVICES = ("Step Functions", "Lambda", "S3", "DynamoDB", "SQS", "CloudWatch")
PHASE_TITLES = {"building_requests": "building requests", "submitting": "submitting",
                "processing_results": "processing results", "writing_parquet": "writing Parquet"}


def run(module: str, rows: int, parameters: Mapping[str, str] | None = None,
        row_bytes: int | None = None) -> dict[str, Any]:
    command = [sys.executable, "-m", module, str(rows)]
    command += [f"--param={name}={value}" for name, value in (parameters or {}).items()]
    if row_bytes is not None and row_bytes != ROW_BYTES:
        command.append(f"--row-bytes={row_bytes}")
    out = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO)
    if out.returncode:
        raise RuntimeError(f"{' '.join(command[1:])} failed ({out.returncode}):\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def pipeline_command(rows: int, parameters: Mapping[str, str], row_bytes: int = ROW_BYTES) -> str:
    return " ".join(["python -m bench.pipeline", str(rows), *(f"--param {k}={v}" for k, v in parameters.items()),
                     *([f"--row-bytes {row_bytes}"] if row_bytes != ROW_BYTES else [])])


def template_defaults() -> dict[str, str]:
    from bedrock_batch.stack.template import Stack

    return Stack.from_file(REPO / "template.yaml").parameters


def parameter_runs(defaults: Mapping[str, str]) -> list[tuple[str, str, dict[str, str]]]:
    """``(parameter, value, overrides)`` for each row of the parameter table; the defaults' row has no overrides."""
    out = []
    for name, values in PARAMETER_VALUES.items():
        for value in values:
            out.append((name, value, {} if defaults.get(name) == value else {name: value}))
    return out


def untimed(jobs: Iterable[tuple[int, Mapping[str, str]]]) -> list[dict[str, Any]]:
    """``bench.pipeline`` runs, UNTIMED_WORKERS at a time, each distinct run once; results in the given order."""
    jobs = list(jobs)
    keys = list(dict.fromkeys((rows, tuple(sorted(p.items()))) for rows, p in jobs))
    with ThreadPoolExecutor(max_workers=min(UNTIMED_WORKERS, os.cpu_count() or 1)) as pool:
        done = dict(zip(keys, pool.map(lambda key: _logged(run("bench.pipeline", key[0], dict(key[1]))), keys),
                        strict=True))
    return [done[(rows, tuple(sorted(p.items())))] for rows, p in jobs]


def _logged(figures: dict[str, Any]) -> dict[str, Any]:
    print("pipeline (counted only)", json.dumps(_brief(figures)), flush=True)
    return figures


def _brief(figures: Mapping[str, Any]) -> dict[str, Any]:
    return {k: figures[k] for k in ("rows", "parameters", "wall_seconds", "phases", "peak_rss_mib", "accounted",
                                    "results", "dead_letters", "jobs") if k in figures}


def main() -> int:
    defaults = template_defaults()
    timed = []
    for rows, parameters, row_bytes in PIPELINE_RUNS:
        figures = run("bench.pipeline", rows, parameters, row_bytes)
        print("pipeline", json.dumps(_brief(figures)), flush=True)
        timed.append(figures)
    parquet = run("bench.parquet_writer", PARQUET_ROWS)
    print("parquet writer vs pandas", parquet, flush=True)

    grid = parameter_runs(defaults)
    grid_runs = untimed((PARAMETER_ROWS, overrides) for _, _, overrides in grid)

    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    table = [
        f"\n### {stamp} — `make bench` on {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}{_commit()}\n",
        *figures_tables(timed, parquet),
        *cost_tables(timed),
        *children_table(timed),
        *parameter_table([(name, value, figures) for (name, value, _), figures in zip(grid, grid_runs, strict=True)],
                         defaults),
    ]
    print("\n".join(table))
    with DOC.open("a") as f:
        f.write("\n".join(table) + "\n")
    return 0


def _commit() -> str:
    """`, commit abc1234` (with `+ local changes` when the work tree differs), or nothing outside git."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
    return f", commit {head}" + (" + local changes" if dirty else "")


# -- tables -------------------------------------------------------------------------------------------------------
def _money(value: float) -> str:
    if value < 0:
        return "-" + _money(-value)
    return f"${value:,.2f}" if value >= 0.995 else f"${value:,.3f}" if value >= 0.0095 else f"${value:,.4f}"


def _seconds(phase: Mapping[str, Any]) -> str:
    seconds, rate = phase.get("seconds"), phase.get("rows_per_second")
    if seconds is None:
        return "–"
    return f"{seconds:,.1f} ({rate:,}/s)" if rate else f"{seconds:,.1f}"


def _setting(figures: Mapping[str, Any]) -> str:
    sink = figures.get("settings", {}).get("ResultsToDynamoDB", "?")
    return f"DynamoDB sink {'on' if sink == 'true' else 'off'}"


def figures_tables(pipeline: Sequence[Mapping[str, Any]], parquet: Mapping[str, Any]) -> list[str]:
    lines = ["| benchmark | rows | wall s | rows/s | peak RSS MiB |", "|---|---:|---:|---:|---:|"]
    for figures in pipeline:
        lines.append(f"| pipeline: demo (deploy, upload to Parquet, read back), {figures['row_bytes']}-byte rows, "
                     f"{_setting(figures)} | {figures['rows']:,} | {figures['wall_seconds']:,.1f} "
                     f"| {figures['rows_per_second']:,} | {figures['peak_rss_mib']:,} |")
    for name, title in (("writer", "Parquet writer Lambda: join 20 output files + CSV, write Parquet"),
                        ("pandas", "pandas baseline (read_csv, read_json, merge, to_parquet)")):
        f = parquet[name]
        lines.append(f"| {title} | {parquet['rows']:,} | {f['seconds']} | {f['rows_per_second']:,} "
                     f"| {f['peak_rss_mib']:,} |")
    lines += ["", "Pipeline phases, wall seconds (rows/s); see `bench/pipeline.py` for where each starts and ends "
              "(with several jobs they overlap). Upload to settled: from the upload to the moment the virtual clock "
              "stopped (the pipeline end to end); setup: deploying the stack into moto; read back: the demo reading "
              "the run summary, the dead-letter queue and the Parquet files through moto after the clock stopped.",
              "", "| rows | DynamoDB sink | jobs | " + " | ".join(PHASE_TITLES.values()) + " | upload to settled "
              "| setup | read back | results | dead letters | accounted |",
              "|---:|---|---:|" + "---:|" * (len(PHASE_TITLES) + 5) + "---|"]
    for figures in pipeline:
        cells = [_seconds(figures["phases"].get(name, {})) for name in PHASE_TITLES]
        cells.append(_seconds({"seconds": figures.get("pipeline_seconds"),
                               "rows_per_second": figures.get("pipeline_rows_per_second")}))
        cells += [_seconds({"seconds": figures.get(key)}) for key in ("setup_seconds", "readback_seconds")]
        sink = "on" if _sink_on(figures) else "off"
        lines.append(f"| {figures['rows']:,} | {sink} | {figures['jobs']} | " + " | ".join(cells)
                     + f" | {figures['results']:,} | {figures['dead_letters']:,} | {figures['accounted']} |")
    lines += ["", f"Parquet writer vs pandas on {parquet['rows']:,} rows ({parquet['input_mib']} MiB CSV, "
              f"{parquet['output_files']} output files of {parquet['output_mib']} MiB in all, moto server in its own "
              f"process): the writer is **{parquet['speedup']}x** faster "
              f"({parquet['writer']['rows_per_second']:,} vs {parquet['pandas']['rows_per_second']:,} rows/s) and "
              f"peaks at **{parquet['writer']['peak_rss_mib']:,} MiB** against {parquet['pandas']['peak_rss_mib']:,} "
              f"MiB (after imports: {parquet['writer']['start_rss_mib']} and {parquet['pandas']['start_rss_mib']} "
              f"MiB); both wrote {parquet['writer']['parquet_rows']:,} rows."]
    return lines


def _sink_on(figures: Mapping[str, Any]) -> bool:
    return figures.get("settings", {}).get("ResultsToDynamoDB") == "true"


def cost_tables(pipeline: Sequence[Mapping[str, Any]]) -> list[str]:
    """The cost per million rows of ours (each run as it ran) and of the blog's architecture, next to Bedrock's."""
    prices = cost_model.load_prices()
    as_of = json.loads(cost_model.PRICES_FILE.read_text())["as_of"]
    ours = [(f"ours, {_setting(figures)}, {figures['row_bytes']:,}-byte rows, counted at {figures['rows']:,} rows",
             figures,
             cost_model.run_cost(figures, TARGET_ROWS, prices=prices)) for figures in pipeline]
    blog_1k = cost_model.blog_cost(TARGET_ROWS, prices=prices)
    blog_50k = cost_model.blog_cost(TARGET_ROWS, cost_model.BlogAssumptions(records_per_job=50_000), prices)
    nova = cost_model.bedrock_cost(TARGET_ROWS, INPUT_TOKENS, OUTPUT_TOKENS, "nova_micro", prices=prices)
    haiku = cost_model.bedrock_cost(TARGET_ROWS, INPUT_TOKENS, OUTPUT_TOKENS, "claude3_haiku", prices=prices)
    rows = [(name, breakdown) for name, _, breakdown in ours]
    rows += [("orchestration blog, 1,000 records per job (its default)", blog_1k),
             ("orchestration blog, 50,000 records per job (its SimpleCoT run)", blog_50k)]
    first = pipeline[0]
    jobs = cost_model.jobs_for(TARGET_ROWS, first["max_records_per_job"], first["min_records_per_job"])
    table = [
        f"\nCost per {TARGET_ROWS:,} rows around Bedrock, us-east-1 list prices of `bench/prices.json` ({as_of}). "
        f"Bedrock: {INPUT_TOKENS} input and {OUTPUT_TOKENS} output tokens per row "
        f"({INPUT_TOKENS * TARGET_ROWS / 1e6:,.0f}M in, {OUTPUT_TOKENS * TARGET_ROWS / 1e6:,.0f}M out) at the batch "
        f"price; share = orchestration / (orchestration + Bedrock). Ours: what the runtime counted while running "
        f"the state machines in the pipeline runs above, each priced as it ran (`python -m bench.pipeline ROWS "
        f"--param ResultsToDynamoDB=true|false`; {first['row_bytes']}-byte rows: "
        f"{_per_row(first['input_tokens'], first['results'])} in / {_per_row(first['output_tokens'], first['results'])}"
        f" out tokens per answered row by the simulator's count, {first['dead_letters'] / first['rows']:.1%} dead "
        f"letters), scaled to {TARGET_ROWS:,} rows in {jobs} jobs; the blog's: estimated (`bench/cost_model.py`, "
        f"`BlogAssumptions`).\n",
        "| architecture | " + " | ".join(SERVICES) + " | orchestration | Nova Micro batch | share "
        "| Claude 3 Haiku batch | share |",
        "|---|" + "---:|" * (len(SERVICES) + 5),
    ]
    for name, breakdown in rows:
        cells = [_money(breakdown.service(s)) for s in SERVICES]
        table.append(f"| {name} | " + " | ".join(cells) + f" | **{_money(breakdown.total)}** | {_money(nova)} "
                     f"| {cost_model.overhead_share(breakdown.total, nova):.1%} | {_money(haiku)} "
                     f"| {cost_model.overhead_share(breakdown.total, haiku):.1%} |")
    # the line items of the largest run with the sink on and of the largest with it off
    shown = []
    for sink in (True, False):
        runs = [(f, b) for _, f, b in ours if _sink_on(f) == sink]
        if runs:
            shown.append(max(runs, key=lambda fb: (fb[0]["rows"], -fb[0]["row_bytes"])))
    table += ["", f"Our line items for {TARGET_ROWS:,} rows, from "
              + " and ".join(f"`{pipeline_command(f['rows'], f['parameters'], f['row_bytes'])}`" for f, _ in shown)
              + ":", "",
              "| line | unit | " + " | ".join(f"{_setting(f)} | cost" for f, _ in shown) + " |",
              "|---|---|" + "---:|---:|" * len(shown)]
    items = list(dict.fromkeys(line.item for _, b in shown for line in b.lines))
    for item in items:
        found = [next((line for line in b.lines if line.item == item), None) for _, b in shown]
        unit = next(line.unit for line in found if line is not None)
        cells = [f"{line.quantity:,.0f} | {_money(line.cost)}" if line else "– | –" for line in found]
        table.append(f"| {item} | {unit} | " + " | ".join(cells) + " |")
    notes = [*(f"{_setting(f)}: {n}" for f, b in shown for n in b.notes),
             *(f"blog: {n}" for n in (*blog_1k.notes[:1], *blog_50k.notes[:1]))]
    table += ["", "Notes: " + "; ".join(notes) + "."]
    return table


def children_table(runs: Sequence[Mapping[str, Any]]) -> list[str]:
    """Distributed Map child executions per 1M rows, by map state: each is a billed Standard transition."""
    names = list(dict.fromkeys(name for figures in runs for name in figures["counters"].get("children_by_map", {})))
    table = ["", f"Distributed Map child executions per {TARGET_ROWS:,} rows, by map state (each child is one "
             "Standard state transition of its parent, billed, plus one Express request), from each run's "
             "`children_by_map` counter (children counted in the run in brackets):", "",
             "| map state | " + " | ".join(f"{f['rows']:,} rows, {_setting(f)}" for f in runs) + " |",
             "|---|" + "---:|" * len(runs)]
    for name in [*names, None]:
        cells = []
        for figures in runs:
            by_map = figures["counters"].get("children_by_map", {})
            counted = sum(by_map.values()) if name is None else by_map.get(name, 0)
            cells.append(f"{counted * TARGET_ROWS / figures['rows']:,.0f} ({counted:,})")
        table.append(f"| {name or '**all maps**'} | " + " | ".join(cells) + " |")
    return table


def parameter_table(runs: Sequence[tuple[str, str, Mapping[str, Any]]], defaults: Mapping[str, str]) -> list[str]:
    """The cost per 1M rows for a few values of each parameter, one changed at a time from the defaults."""
    prices = cost_model.load_prices()
    base = next((cost_model.run_cost(f, TARGET_ROWS, prices=prices).total for name, value, f in runs
                 if not f["parameters"]), None)
    table = ["", f"What moves the cost: runs of {PARAMETER_ROWS:,} rows (`python -m bench.pipeline {PARAMETER_ROWS} "
             "--param Name=Value`), one parameter changed at a time from the template's defaults ("
             + ", ".join(f"{name} {defaults[name]}" for name in PARAMETER_VALUES) + "), priced per "
             f"{TARGET_ROWS:,} rows as above. ItemsPerBatch is capped by the job workflow at what fits in 250,000 "
             "bytes of batch input; jobs at 1M rows follow MaxRecordsPerJob (slices of MaxRecordsPerJob - "
             f"MinRecordsPerJob {defaults['MinRecordsPerJob']}).", "",
             "| parameter | value | jobs per 1M | children per 1M | Standard transitions | Step Functions "
             "| DynamoDB | Lambda, S3, SQS, CloudWatch | orchestration per 1M | vs defaults | accounted |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name, value, figures in runs:
        cost = cost_model.run_cost(figures, TARGET_ROWS, prices=prices)
        jobs = cost_model.jobs_for(TARGET_ROWS, figures["max_records_per_job"], figures["min_records_per_job"])
        children = sum(cost_model.children_per_map(figures["counters"], figures["rows"], TARGET_ROWS).values())
        step, dynamo = cost.service("Step Functions"), cost.service("DynamoDB")
        default = " (default)" if defaults.get(name) == value else ""
        change = None if base is None or not figures["parameters"] else (cost.total - base) / base
        delta = "–" if change is None else "±0%" if abs(change) < 0.005 else f"{change:+.0%}"
        table.append(f"| {name} | {value}{default} | {jobs:,} | {children:,.0f} "
                     f"| {cost.line('Standard state transitions').quantity:,.0f} | {_money(step)} | {_money(dynamo)} "
                     f"| {_money(cost.total - step - dynamo)} | **{_money(cost.total)}** | {delta} "
                     f"| {figures['accounted']} |")
    return table


def _per_row(tokens: int, rows: int) -> str:
    return f"{tokens / rows:.0f}" if rows else "0"


if __name__ == "__main__":
    sys.exit(main())
