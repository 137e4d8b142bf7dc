"""The runtime alone: a Distributed Map over an N-row CSV, batches of 500, EXPRESS Pass children, JSONL writer.

Run as ``python -m bench.runtime_map ROWS``; prints one JSON line (rows/s, wall seconds, peak RSS).
"""

from __future__ import annotations

import json
import resource
import sys
import time

from bedrock_batch.offline.local import offline_aws
from bedrock_batch.offline.runtime import Runtime

DEFINITION = {
    "QueryLanguage": "JSONata",
    "StartAt": "Build records",
    "States": {
        "Build records": {
            "Type": "Map",
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                "Arguments": {"Bucket": "bench-bucket", "Key": "rows.csv"},
            },
            "ItemSelector": {
                "index": "{% $states.context.Map.Item.Index %}",
                "row": "{% $states.context.Map.Item.Value %}",
            },
            "ItemBatcher": {"MaxItemsPerBatch": 500},
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                "StartAt": "Build",
                "States": {
                    "Build": {
                        "Type": "Pass",
                        "Output": "{% [$map($states.input.Items, function($r) { {'recordId': $r.index, "
                                  "'modelInput': {'messages': [{'role': 'user', "
                                  "'content': [{'text': $r.row.source}]}]}} })] %}",
                        "End": True,
                    }
                },
            },
            "ResultWriter": {
                "Resource": "arn:aws:states:::s3:putObject",
                "Arguments": {"Bucket": "bench-bucket", "Prefix": "out"},
                "WriterConfig": {"OutputType": "JSONL", "Transformation": "FLATTEN"},
            },
            "End": True,
        }
    },
}


def simplecot_like_csv(rows: int) -> bytes:
    """Rows of about 600 bytes, shaped like SimpleCoT (source, target, rationale, task, type)."""
    source = "Solve the following problem and explain each step of the reasoning in detail. " * 3
    rationale = "First consider the quantities given, then combine them step by step until done. " * 3
    lines = ["source,target,rationale,task,type"]
    lines += [f'"{source}{i}",answer {i},"{rationale}",task{i % 50},cot' for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def main(rows: int) -> dict[str, float]:
    with offline_aws():
        runtime = Runtime()
        s3 = runtime.client("s3")
        s3.create_bucket(Bucket="bench-bucket")
        s3.put_object(Bucket="bench-bucket", Key="rows.csv", Body=simplecot_like_csv(rows))
        machine = runtime.create_state_machine("bench", DEFINITION)
        started = time.perf_counter()
        execution = runtime.run(machine.arn, {})
        wall = time.perf_counter() - started
        assert execution.status == "SUCCEEDED", execution.result()
        children = sum(runtime.counters.child_executions.values())
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": rows, "wall_seconds": round(wall, 2), "rows_per_second": round(rows / wall),
            "child_executions": children, "peak_rss_mib": round(peak_mib)}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))
