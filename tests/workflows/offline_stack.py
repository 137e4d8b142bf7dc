"""The deployed stack, offline: template.yaml in moto, the ASL files in the runtime, the simulator behind Bedrock."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from bedrock_batch.offline.bedrock import SimulatorConfig
from bedrock_batch.offline.local import offline_aws
from bedrock_batch.offline.runtime import Runtime, RuntimeConfig
from bedrock_batch.stack.deploy import OfflineStack
from bedrock_batch.stack.template import Stack

REPO = Path(__file__).resolve().parents[2]
HEADER = "review_id,product,category,rating,title,review_text"


def reviews_csv(rows: int, start: int = 0) -> str:
    """The first ``rows`` data rows of the bundled sample, with its header."""
    lines = (REPO / "samples" / "reviews.csv").read_text(encoding="utf-8").splitlines()
    import csv

    parsed = list(csv.reader(lines))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(parsed[0])
    writer.writerows(parsed[1 + start : 1 + start + rows])
    return out.getvalue()


@dataclass
class Pipeline:
    runtime: Runtime
    stack: OfflineStack

    @property
    def bucket(self) -> str:
        return self.stack.output("DataBucketName")

    def drop(self, name: str, body: str | bytes, prompt_id: str | None = "review_sentiment") -> str:
        key = f"inputs/{prompt_id}/{name}" if prompt_id else f"inputs/{name}"
        data = body.encode() if isinstance(body, str) else body
        self.runtime.client("s3").put_object(Bucket=self.bucket, Key=key, Body=data)
        return key

    def settle(self) -> None:
        self.runtime.run_until_idle()

    def executions(self, machine_suffix: str) -> list[Any]:
        return [e for e in self.runtime.executions.values()
                if e.parent is None and e.machine.name.endswith(machine_suffix)]

    def _scan(self, **kwargs: Any) -> list[dict[str, Any]]:
        pages = self.runtime.client("dynamodb").get_paginator("scan").paginate(
            TableName=self.stack.output("ResultsTableName"), **kwargs)
        return [item for page in pages for item in page["Items"]]

    def summaries(self) -> list[dict[str, Any]]:
        return self._scan(FilterExpression="sk = :s", ExpressionAttributeValues={":s": {"S": "SUMMARY"}})

    def result_items(self) -> list[dict[str, Any]]:
        return self._scan(FilterExpression="begins_with(pk, :p)", ExpressionAttributeValues={":p": {"S": "RESULT#"}})

    def dead_letters(self) -> list[dict[str, Any]]:
        sqs, queue = self.runtime.client("sqs"), self.stack.output("DeadLetterQueueUrl")
        found = []
        while True:
            messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return found
            for m in messages:
                found.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])

    def parquet_rows(self) -> list[dict[str, Any]]:
        s3 = self.runtime.client("s3")
        rows: list[dict[str, Any]] = []
        listing = s3.list_objects_v2(Bucket=self.bucket, Prefix="results/").get("Contents", [])
        for obj in listing:
            body = s3.get_object(Bucket=self.bucket, Key=obj["Key"])["Body"].read()
            rows += pq.read_table(io.BytesIO(body)).to_pylist()
        return rows

    def jobs(self) -> list[dict[str, Any]]:
        return self.runtime.bedrock.list_model_invocation_jobs()["invocationJobSummaries"]


def make_pipeline(simulator: SimulatorConfig | None = None, model_backend: Any = None,
                  runtime_options: dict[str, Any] | None = None, **parameters: str) -> Iterator[Pipeline]:
    """A deployed offline stack with template ``parameters``; ``runtime_options`` are RuntimeConfig fields."""
    with offline_aws():
        config = RuntimeConfig(simulator=simulator, model_backend=model_backend, seed=7, **(runtime_options or {}))
        runtime = Runtime(config)
        stack = OfflineStack(Stack.from_file(REPO / "template.yaml", overrides=parameters), runtime).deploy()
        stack.upload_prompts(REPO / "prompts" / "templates.json")
        try:
            yield Pipeline(runtime, stack)
        finally:
            runtime.close()


