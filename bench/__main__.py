"""``make bench``: runs each benchmark in its own process (so peak memory is its own) and records the table."""

from __future__ import annotations

import datetime as dt
import json
import platform
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"

RUNS = [
    ("runtime: distributed map, CSV, batches of 500, Pass children", "bench.runtime_map", 100_000),
    ("pipeline: demo end to end (upload to Parquet)", "bench.pipeline", 10_000),
]


def main() -> int:
    lines = []
    for title, module, rows in RUNS:
        out = subprocess.run([sys.executable, "-m", module, str(rows)], capture_output=True, text=True, check=True)
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        lines.append(f"| {title} | {figures['rows']:,} | {figures['wall_seconds']} | {figures['rows_per_second']:,} "
                     f"| {figures['peak_rss_mib']} |")
        print(title, figures, flush=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    table = [
        f"\n### {stamp} — `make bench` on {platform.machine()}, Python {platform.python_version()}\n",
        "| benchmark | rows | wall s | rows/s | peak RSS MiB |",
        "|---|---:|---:|---:|---:|",
        *lines,
    ]
    print("\n".join(table))
    with DOC.open("a") as f:
        f.write("\n".join(table) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
