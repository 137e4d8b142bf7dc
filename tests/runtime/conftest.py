"""Shared fixtures. Bedrock simulator fixtures carry a ``bedrock_`` prefix."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bedrock_batch.offline.bedrock import BatchSimulator, SimulatorConfig
from bedrock_batch.offline.clock import VirtualClock

BEDROCK_REGION = "us-east-1"
BEDROCK_ROLE = "arn:aws:iam::123456789012:role/BedrockBatchRole"
BEDROCK_CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"


def bedrock_claude_input(i: int) -> dict[str, Any]:
    return {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 200,
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": f"Explain photosynthesis in plants ({i})"}]}
        ],
    }


class BedrockHarness:
    """moto S3/EventBridge/SQS, a virtual clock, and short-hands to drive a BatchSimulator."""

    ROLE = BEDROCK_ROLE
    CLAUDE = BEDROCK_CLAUDE
    claude_input = staticmethod(bedrock_claude_input)

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.s3 = boto3.client("s3", region_name=BEDROCK_REGION)
        self.events = boto3.client("events", region_name=BEDROCK_REGION)
        self.sqs = boto3.client("sqs", region_name=BEDROCK_REGION)
        for bucket in ("bedrock-in", "bedrock-out"):
            self.s3.create_bucket(Bucket=bucket)

    def sim(self, config: SimulatorConfig | None = None, **kwargs: Any) -> BatchSimulator:
        return BatchSimulator(self.clock, self.s3, self.events, config, **kwargs)

    def put_jsonl(self, key: str, rows: list[dict[str, Any]], bucket: str = "bedrock-in") -> str:
        self.s3.put_object(Bucket=bucket, Key=key, Body="".join(json.dumps(r) + "\n" for r in rows).encode())
        return f"s3://{bucket}/{key}"

    def rows(self, n: int, make: Callable[[int], dict[str, Any]] = bedrock_claude_input) -> list[dict[str, Any]]:
        return [{"recordId": f"R{i:05d}", "modelInput": make(i)} for i in range(n)]

    def create(self, sim: BatchSimulator, input_uri: str = "s3://bedrock-in/input/", **overrides: Any) -> str:
        request: dict[str, Any] = {
            "jobName": "job-1",
            "roleArn": BEDROCK_ROLE,
            "modelId": BEDROCK_CLAUDE,
            "inputDataConfig": {"s3InputDataConfig": {"s3Uri": input_uri}},
            "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://bedrock-out/results/"}},
        }
        request.update(overrides)
        return sim.create_model_invocation_job(**request)["jobArn"]

    def advance(self, seconds: float) -> None:
        import asyncio

        self.clock.run(asyncio.sleep(seconds))

    def finish(self, sim: BatchSimulator, arn: str) -> dict[str, Any]:
        return self.clock.run(sim.wait_for_job(arn))

    def output(
        self, arn: str, prefix: str = "results/"
    ) -> tuple[dict[str, list[dict[str, Any]]], dict[str, Any] | None]:
        """({output file name: lines}, manifest or None) under ``<prefix><jobId>/``."""
        folder = f"{prefix}{arn.rsplit('/', 1)[-1]}/"
        files: dict[str, list[dict[str, Any]]] = {}
        manifest = None
        for obj in self.s3.list_objects_v2(Bucket="bedrock-out", Prefix=folder).get("Contents", []):
            body = self.s3.get_object(Bucket="bedrock-out", Key=obj["Key"])["Body"].read().decode()
            name = obj["Key"][len(folder) :]
            if name == "manifest.json.out":
                manifest = json.loads(body)
            else:
                files[name] = [json.loads(line) for line in body.splitlines() if line.strip()]
        return files, manifest

    def capture(self, pattern: dict[str, Any]) -> str:
        """An EventBridge rule on the default bus that forwards matching events to a new SQS queue."""
        name = f"capture-{len(self.sqs.list_queues().get('QueueUrls', []))}"
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.events.put_rule(Name=name, EventPattern=json.dumps(pattern))
        self.events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": arn}])
        return url

    def drain(self, url: str) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            messages += [json.loads(m["Body"]) for m in batch]
            for m in batch:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return messages


@pytest.fixture
def bedrock_env() -> Iterator[BedrockHarness]:
    clock = VirtualClock(start=1_767_225_600.0)  # 2026-01-01T00:00:00Z
    with mock_aws():
        yield BedrockHarness(clock)
    clock.close()


# -- Step Functions runtime fixtures (conformance tests) ------------------------------------------------------------
RUNTIME_START = 1_767_225_600.0  # 2026-01-01T00:00:00Z, the virtual clock's start in runtime tests


def jsonata_machine(states: dict[str, Any], start_at: str | None = None, **top: Any) -> dict[str, Any]:
    """A JSONata definition of ``states``, starting at the first one unless ``start_at`` says otherwise."""
    return {"QueryLanguage": "JSONata", "StartAt": start_at or next(iter(states)), "States": states, **top}


@pytest.fixture
def runtime() -> Iterator[Any]:
    """A Runtime on a virtual clock starting at RUNTIME_START, talking to moto in process."""
    from bedrock_batch.offline.local import offline_aws
    from bedrock_batch.offline.runtime import Runtime, RuntimeConfig

    with offline_aws():
        rt = Runtime(RuntimeConfig(start_time=RUNTIME_START, seed=1234))
        yield rt
        rt.close()


@pytest.fixture
def asl() -> Callable[..., dict[str, Any]]:
    """``asl(states, start_at=None, **top)``: build a JSONata definition."""
    return jsonata_machine


@pytest.fixture
def run_definition(runtime: Any) -> Callable[..., Any]:
    """``run_definition(defn, input=None, type_="STANDARD")``: create a state machine, run it to the end."""
    names = iter(range(1_000_000))

    def run(definition: dict[str, Any] | str, input_: Any = None, type_: str = "STANDARD", name: str | None = None):
        machine = runtime.create_state_machine(name or f"conformance-{next(names)}", definition, type_)
        return runtime.run(machine.arn, {} if input_ is None else input_)

    return run


@pytest.fixture
def run_states(run_definition: Callable[..., Any]) -> Callable[..., Any]:
    """``run_states(states, input=None, **top)``: wrap ``states`` in a JSONata definition and run it."""

    def run(states: dict[str, Any], input_: Any = None, type_: str = "STANDARD", **top: Any):
        return run_definition(jsonata_machine(states, **top), input_, type_)

    return run
