"""The whole offline pipeline (``bedrock-batch demo``) on N generated review rows; prints one JSON line."""

from __future__ import annotations

import json
import resource
import sys
import tempfile
from pathlib import Path

from bedrock_batch.demo import run_demo, sample_reviews


def main(rows: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "reviews.csv"
        source.write_text(sample_reviews(rows), encoding="utf-8")
        result = run_demo(source, out_dir=Path(tmp) / "out", show_progress=False)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": rows, "wall_seconds": result.wall_seconds, "rows_per_second": round(rows / result.wall_seconds),
            "accounted": result.accounted, "jobs": result.jobs, "state_transitions": result.state_transitions,
            "peak_rss_mib": round(peak_mib)}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))
