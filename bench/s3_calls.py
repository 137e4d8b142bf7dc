"""The runtime's S3 calls alone, in process: microseconds per ranged GetObject, PutObject, HeadObject.

Run as ``python -m bench.s3_calls [CALLS] [--unpatched]``; prints one JSON line (microseconds per call, wall and CPU,
per operation). The calls are shaped like a 100,000-row run's (about 540 of each): the Distributed Map's ItemReader
reads slice files of about 106 KB with a ranged GetObject (``bytes=0-8388607``), and its Tasks put files of that
size; HeadObject is the call with the least body, the generic per-call cost alone. All through the runtime's S3
client (signed, the body's CRC32 sent up front). ``--unpatched`` runs moto without moto_speedups, for comparison.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from bedrock_batch.offline import moto_speedups
from bedrock_batch.offline.local import offline_aws
from bedrock_batch.offline.runtime import Runtime

BUCKET = "bench-s3-calls"
BODY = (b'{"index":1,"row":{"source":"' + b"x" * 500 + b'"}}\n') * 200  # 106,400 bytes
KEYS = 300


def _timed(calls: int, step: Any) -> dict[str, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(calls):
        step(f"k{i % KEYS}")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"us_per_call_wall": round(wall / calls * 1e6, 1), "us_per_call_cpu": round(cpu / calls * 1e6, 1)}


def main(calls: int) -> dict[str, Any]:
    with offline_aws():
        if "--unpatched" in sys.argv:
            moto_speedups.uninstall()
        runtime = Runtime()
        s3 = runtime.client("s3")
        s3.create_bucket(Bucket=BUCKET)

        def get(key: str) -> None:
            for _ in s3.get_object(Bucket=BUCKET, Key=key, Range="bytes=0-8388607")["Body"].iter_chunks(1 << 20):
                pass

        def put(key: str) -> None:
            s3.put_object(Bucket=BUCKET, Key=key, Body=BODY)

        def head(key: str) -> None:
            s3.head_object(Bucket=BUCKET, Key=key)

        steps = {"PutObject": put, "GetObject": get, "HeadObject": head}
        for step in steps.values():  # warm, and every key there
            for i in range(KEYS):
                step(f"k{i}")
        result: dict[str, Any] = {name: _timed(calls, step) for name, step in steps.items()}
        runtime.close()
    return {"calls": calls, "body_bytes": len(BODY), **result, "patched": "--unpatched" not in sys.argv}


if __name__ == "__main__":
    count = next((int(a) for a in sys.argv[1:] if a.isdigit()), 1500)
    print(json.dumps(main(count)))
