"""Where a run's time goes, by layer, from a py-spy profile; and how fast the run could be if a layer cost nothing.

Run as ``python -m bench.profile_layers PROFILE [--wall SECONDS --rows ROWS]``, where PROFILE is py-spy's raw
output (``py-spy record -r 200 -f raw -o PROFILE -- python -m bench.pipeline 100000``); prints one JSON line.

Each sample goes to one layer, the first of these its stack is in:

* ``service_calls_handling``: inside a boto3 call (botocore's ``_make_api_call``) but in no moto backend: building,
  signing and sending the request, moto's HTTP emulation and routing, parsing the answer. Calling the backends
  directly would remove this, if the answers and errors stayed exactly the API's.
* ``service_calls_backends``: inside a boto3 call and in a moto backend (``moto/<service>/models``) or in the
  stored bodies of moto_speedups (S3 objects' bytes and MD5, DynamoDB item copies): the services' own work, which
  any emulation of them has to do.
* ``jsonata``: evaluating the state machines' JSONata (jsonata-python, the runtime's fast evaluator and its
  generated code).
* ``bedrock_simulator``: the simulated Bedrock batch service's own work (reading requests, answering, writing
  outputs), its S3 calls excluded.
* ``parquet_writer``: the Parquet writer Lambda's own work, pyarrow included, its S3 calls excluded.
* ``distributed_map``: the Distributed Map's readers, batcher and result writer.
* ``interpreter``: the rest of the offline runtime (states, payload sizes, JSON, the event loop's tasks).
* ``other``: everything else (imports, deploying the stack, generating the CSV, the collector, idle threads).

With ``--wall`` and ``--rows`` (the pipeline's ``wall_seconds`` and row count), ``ceilings`` gives the rows per
second the same run would reach if the named layers took no time at all: an upper bound on what removing them
could give, since every other layer keeps its share.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

LAYERS = ("service_calls_handling", "service_calls_backends", "jsonata", "bedrock_simulator", "parquet_writer",
          "distributed_map", "interpreter", "other")
# The ceilings printed: each of the two biggest removable layers alone, then both.
CEILINGS = (("service_calls_handling",), ("jsonata",), ("service_calls_handling", "jsonata"))

_CALL = "_make_api_call (botocore/client.py"
_BACKEND_MARKS = ("moto_speedups/s3.py", "moto_speedups/dynamodb_items.py")
# The Lambda's modules, as py-spy names them (its folder is on sys.path: file names alone).
_LAMBDA_FILES = tuple(f"({path.name}:" for path in (Path(__file__).resolve().parent.parent
                                                     / "functions" / "parquet_writer").glob("*.py"))


def _in_backend(frame: str) -> bool:
    return ("moto/" in frame and "/models" in frame) or any(mark in frame for mark in _BACKEND_MARKS)


def layer(frames: list[str]) -> str:
    """The layer of one sample, its stack outermost first."""
    calls = [i for i, frame in enumerate(frames) if _CALL in frame]
    if calls:
        inside = frames[calls[0]:]
        return "service_calls_backends" if any(map(_in_backend, inside)) else "service_calls_handling"
    stack = ";".join(frames)
    if "jsonata" in stack:
        return "jsonata"
    if "offline/bedrock/" in stack:
        return "bedrock_simulator"
    if "pyarrow/" in stack or any(name in stack for name in _LAMBDA_FILES):
        return "parquet_writer"
    if "offline/distributed/" in stack:
        return "distributed_map"
    if "bedrock_batch/offline/" in stack:
        return "interpreter"
    return "other"


def shares(lines: Iterable[str]) -> tuple[dict[str, float], int]:
    """Each layer's share of the samples (0 to 1), and the number of samples, from py-spy's raw lines."""
    counts: Counter[str] = Counter()
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if stack and count.isdigit():
            counts[layer(stack.split(";"))] += int(count)
    total = sum(counts.values())
    return {name: (counts[name] / total if total else 0.0) for name in LAYERS}, total


def ceilings(layer_shares: dict[str, float], wall_seconds: float, rows: int) -> dict[str, dict[str, float]]:
    """Wall seconds and rows per second with the named layers at zero cost, the others unchanged."""
    result = {}
    for names in CEILINGS:
        seconds = wall_seconds * (1 - sum(layer_shares[name] for name in names))
        result[" + ".join(names)] = {"wall_seconds": round(seconds, 2), "rows_per_second": round(rows / seconds)}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_layers", description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path, help="py-spy's raw output (py-spy record -f raw)")
    parser.add_argument("--wall", type=float, help="the run's wall seconds (bench.pipeline's wall_seconds)")
    parser.add_argument("--rows", type=int, help="the run's rows")
    args = parser.parse_args(argv)
    if (args.wall is None) != (args.rows is None):
        parser.error("--wall and --rows go together")
    try:
        with args.profile.open(encoding="utf-8") as f:
            layer_shares, samples = shares(f)
    except OSError as error:
        print(f"{args.profile}: cannot read it ({error.strerror}); give py-spy's raw output (-f raw)",
              file=sys.stderr)
        return 2
    if not samples:
        print(f"{args.profile}: no samples in it; give py-spy's raw output (-f raw)", file=sys.stderr)
        return 2
    line: dict[str, object] = {"samples": samples,
                               "shares": {name: round(share, 3) for name, share in layer_shares.items()}}
    if args.wall is not None:
        line["ceilings"] = ceilings(layer_shares, args.wall, args.rows)
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
