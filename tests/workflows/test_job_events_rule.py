"""The job-events rule starts the job-events workflow for this stack's batch jobs only.

Bedrock User Guide, monitoring-eventbridge: every batch job in the account and Region puts a "Batch Inference Job
State Change" event on the default bus. The rule (template.yaml, JobEventsStateMachine) matches
``detail.batchJobName`` with a ``prefix`` pattern (EventBridge User Guide, content filtering), the same
JobNamePrefix the input workflow starts every job name with. Offline, moto evaluates that pattern.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from offline_stack import Pipeline, make_pipeline, reviews_csv


def _job_ended(pipeline: Pipeline, job_name: str) -> None:
    detail = {"version": "0.0", "accountId": "123456789012", "batchJobName": job_name,
              "batchJobArn": "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abcdefghij12",
              "batchModelId": "amazon.nova-micro-v1:0", "status": "Completed", "failureMessage": "",
              "creationTime": "2026-01-01T00:00:00.000Z"}
    pipeline.runtime.client("events").put_events(Entries=[{
        "Source": "aws.bedrock", "DetailType": "Batch Inference Job State Change", "Detail": json.dumps(detail),
        "EventBusName": "default"}])
    pipeline.settle()


def test_another_applications_batch_job_starts_nothing(pipeline: Pipeline) -> None:
    _job_ended(pipeline, "nightly-embeddings-2026-01-01")
    assert pipeline.executions("-job-events") == []


def test_a_job_named_with_the_prefix_starts_the_job_events_workflow(pipeline: Pipeline) -> None:
    _job_ended(pipeline, "bb-reviews-5407e2eb7b7f4644")
    assert [e.status for e in pipeline.executions("-job-events")] == ["SUCCEEDED"]


@pytest.fixture
def pipeline_with_own_prefix() -> Iterator[Pipeline]:
    yield from make_pipeline(JobNamePrefix="acme7-")


def test_the_job_names_and_the_rule_share_one_prefix(pipeline_with_own_prefix: Pipeline) -> None:
    pipeline = pipeline_with_own_prefix
    pipeline.drop("reviews.csv", reviews_csv(150))
    pipeline.settle()

    assert [j["jobName"][:6] for j in pipeline.jobs()] == ["acme7-"]
    assert len(pipeline.parquet_rows()) == 150
    # The job's own state-change event reached the workflow through the rule; a default-prefix job's does not.
    started = len(pipeline.executions("-job-events"))
    assert started >= 1
    _job_ended(pipeline, "bb-reviews-5407e2eb7b7f4644")
    assert len(pipeline.executions("-job-events")) == started
