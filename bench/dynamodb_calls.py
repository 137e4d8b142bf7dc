"""The runtime's DynamoDB calls alone: the pipeline's three UpdateItem shapes, through a Task's call path, against moto.

Run as ``python -m bench.dynamodb_calls [CALLS] [--unpatched]``; prints one JSON line (microseconds per call, wall and
CPU). The calls are those a 100,000-row run makes about 1,750 of (statemachines/input.asl.json "Count the rows read",
job.asl.json "Count the rows" and "Count the job's records"): ``ADD rowsRead :rows`` with five string sets of column
names, ``ADD rowsIn :rows, rejected :rejected`` on the run summary (the item the demo puts first), ``ADD records
:valid`` on a job's item, in turn, through ``integrations.sdk.call`` and the runtime's client (unsigned, as a Task
calls). ``--unpatched`` runs moto without moto_speedups, for comparison.
"""

from __future__ import annotations

import json
import sys
import time

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


def main(calls: int) -> dict[str, float]:
    with offline_aws():
        if "--unpatched" in sys.argv:
            moto_speedups.uninstall()
        runtime = Runtime()
        client = runtime.client("dynamodb")
        client.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                       {"AttributeName": "sk", "KeyType": "RANGE"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                  {"AttributeName": "sk", "AttributeType": "S"}])
        client.put_item(TableName=TABLE, Item={**SUMMARY, "status": {"S": "READING"}, "inputKey": {"S": "in.csv"},
                                               **{name: {"N": "0"} for name in ("rowsIn", "rejected", "results",
                                                                                "errors", "rowsRead")}})
        for shape in SHAPES * 20:  # warm: expressions parsed, classes' answers kept
            call(client, client, "updateItem", shape, "DynamoDB")
        wall, cpu = time.perf_counter(), time.process_time()
        for i in range(calls):
            call(client, client, "updateItem", SHAPES[i % len(SHAPES)], "DynamoDB")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        runtime.close()
    return {"calls": calls, "us_per_call_wall": round(wall / calls * 1e6, 1),
            "us_per_call_cpu": round(cpu / calls * 1e6, 1), "patched": "--unpatched" not in sys.argv}


if __name__ == "__main__":
    count = next((int(a) for a in sys.argv[1:] if a.isdigit()), 3000)
    print(json.dumps(main(count)))
