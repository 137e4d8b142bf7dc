"""The runtime's service calls alone, in process: microseconds per call, shaped like a 100,000-row run's.

Run as ``python -m bench.service_calls dynamodb|s3 [CALLS] [--unpatched]``; prints one JSON line (microseconds per
call, wall and CPU). All calls go through the runtime's own client (``Runtime.client``) against moto;
``--unpatched`` runs moto without moto_speedups, for comparison (the runtime's clients still keep parsed response
timestamps, ``botocore_timestamps``: that is the client's side, not moto's).

* ``dynamodb`` (3,000 calls by default): the pipeline's three UpdateItem shapes, in turn, through a Task's call path
  (``integrations.sdk.call``), about 1,750 of them in a 100,000-row run: statemachines/input.asl.json "Count the
  rows read" (``ADD rowsRead :rows`` with five string sets of column names) and job.asl.json "Count the rows"
  (``ADD rowsIn :rows, rejected :rejected`` on the run summary, the item the demo puts first) and "Count the job's
  records" (``ADD records :valid`` on a job's item).
* ``s3`` (1,500 calls of each by default): about 540 of each in a 100,000-row run. The Distributed Map's
  ItemReader reads slice files of about 106 KB with a ranged GetObject (``bytes=0-8388607``) and its Tasks put
  files of that size (signed, the body's CRC32 sent up front); HeadObject is the call with the least body, the
  generic per-call cost alone.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

from bedrock_batch.offline import moto_speedups
from bedrock_batch.offline.integrations.sdk import call
from bedrock_batch.offline.local import offline_aws
from bedrock_batch.offline.runtime import Runtime

TABLE = "bench-results"
SUMMARY = {"pk": {"S": "RUN#ef73f8e201873f12"}, "sk": {"S": "SUMMARY"}}
COLUMNS = ["source", "target", "rationale", "task", "type"]
SETS = ["csvColumns", "filledColumns", "notBooleanColumns", "notIntColumns", "notNumberColumns"]
SHAPES = [
    {"TableName": TABLE, "Key": SUMMARY,
     "UpdateExpression": "ADD rowsRead :rows, " + ", ".join(f"{name} :{name}" for name in SETS),
     "ExpressionAttributeValues": {":rows": {"N": "191"}, **{f":{name}": {"SS": COLUMNS} for name in SETS}}},
    {"TableName": TABLE, "Key": SUMMARY, "UpdateExpression": "ADD rowsIn :rows, rejected :rejected",
     "ExpressionAttributeValues": {":rows": {"N": "181"}, ":rejected": {"N": "0"}}},
    {"TableName": TABLE, "Key": {"pk": {"S": "JOB#bb-simplecot-ef73f8e201873f12-000"}, "sk": {"S": "JOB"}},
     "UpdateExpression": "ADD records :valid", "ExpressionAttributeValues": {":valid": {"N": "181"}}},
]

BUCKET = "bench-s3-calls"
BODY = (b'{"index":1,"row":{"source":"' + b"x" * 500 + b'"}}\n') * 200  # 106,400 bytes
KEYS = 300


def _timed(calls: int, step: Callable[[int], None]) -> dict[str, float]:
    """``step(0)`` ... ``step(calls - 1)``, in microseconds per call, wall and CPU."""
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(calls):
        step(i)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"us_per_call_wall": round(wall / calls * 1e6, 1), "us_per_call_cpu": round(cpu / calls * 1e6, 1)}


def dynamodb(runtime: Runtime, calls: int) -> dict[str, Any]:
    client = runtime.client("dynamodb")
    client.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "sk", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "S"}])
    client.put_item(TableName=TABLE, Item={**SUMMARY, "status": {"S": "READING"}, "inputKey": {"S": "in.csv"},
                                           **{name: {"N": "0"} for name in ("rowsIn", "rejected", "results",
                                                                            "errors", "rowsRead")}})

    def update(i: int) -> None:
        call(client, client, "updateItem", SHAPES[i % len(SHAPES)], "DynamoDB")

    for i in range(len(SHAPES) * 20):  # warm: expressions parsed, classes' answers kept
        update(i)
    return _timed(calls, update)


def s3(runtime: Runtime, calls: int) -> dict[str, Any]:
    client = runtime.client("s3")
    client.create_bucket(Bucket=BUCKET)

    def get(i: int) -> None:
        body = client.get_object(Bucket=BUCKET, Key=f"k{i % KEYS}", Range="bytes=0-8388607")["Body"]
        for _ in body.iter_chunks(1 << 20):
            pass

    def put(i: int) -> None:
        client.put_object(Bucket=BUCKET, Key=f"k{i % KEYS}", Body=BODY)

    def head(i: int) -> None:
        client.head_object(Bucket=BUCKET, Key=f"k{i % KEYS}")

    steps = {"PutObject": put, "GetObject": get, "HeadObject": head}
    for step in steps.values():  # warm, and every key there
        for i in range(KEYS):
            step(i)
    return {"body_bytes": len(BODY), **{name: _timed(calls, step) for name, step in steps.items()}}


SERVICES = {"dynamodb": (dynamodb, 3000), "s3": (s3, 1500)}


def main(service: str, calls: int | None, unpatched: bool) -> dict[str, Any]:
    run, default = SERVICES[service]
    calls = calls or default
    with offline_aws():
        if unpatched:
            moto_speedups.uninstall()
        runtime = Runtime()
        try:
            result = run(runtime, calls)
        finally:
            runtime.close()
    return {"service": service, "calls": calls, **result, "patched": not unpatched}


if __name__ == "__main__":
    names = [a for a in sys.argv[1:] if a in SERVICES]
    if len(names) != 1:
        sys.exit(f"usage: python -m bench.service_calls {'|'.join(SERVICES)} [CALLS] [--unpatched]")
    count = next((int(a) for a in sys.argv[1:] if a.isdigit()), None)
    print(json.dumps(main(names[0], count, "--unpatched" in sys.argv)))
