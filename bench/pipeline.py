"""The whole offline pipeline (``bedrock-batch demo``) on N generated review rows; prints one JSON line."""

from __future__ import annotations

import csv
import json
import resource
import sys
import tempfile
from pathlib import Path

from bedrock_batch.demo import REPO, run_demo


def generated_reviews(rows: int, path: Path) -> None:
    with (REPO / "samples" / "reviews.csv").open(newline="", encoding="utf-8") as f:
        sample = list(csv.reader(f))
    header, body = sample[0], sample[1:]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for i in range(rows):
            row = list(body[i % len(body)])
            row[0] = f"R{i:08d}"
            writer.writerow(row)


def main(rows: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "reviews.csv"
        generated_reviews(rows, source)
        result = run_demo(source, out_dir=Path(tmp) / "out", show_progress=False)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": rows, "wall_seconds": result.wall_seconds, "rows_per_second": round(rows / result.wall_seconds),
            "accounted": result.accounted, "jobs": result.jobs, "state_transitions": result.state_transitions,
            "peak_rss_mib": round(peak_mib)}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))
