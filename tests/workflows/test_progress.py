"""Live progress: each job's record counts as Bedrock reports them while it runs, and the stuck-job alarm on them.

Issue "Beyond every peer", point 3. GetModelInvocationJob reports totalRecordCount, processedRecordCount,
successRecordCount and errorRecordCount (botocore bedrock 2023-04-20; Bedrock User Guide, batch-inference-monitor:
"track a job's status by comparing the total number of records and number of records that have already been
processed"). The job workflow saves them on the job record at every poll, polls at most ProgressPollSeconds apart
while the job is InProgress, and calls a job stuck when neither its status nor its processed count has moved for
StuckJobHours. The runs stop mid-job (``Runtime.run_for``) and read what ``bedrock-batch status`` shows.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from offline_stack import Pipeline, make_pipeline

from bedrock_batch import status
from bedrock_batch.demo import sample_reviews
from bedrock_batch.offline.bedrock import SimulatorConfig

HOUR = 3600
ONE_JOB = {"MaxRecordsPerJob": "1000", "MinRecordsPerJob": "100", "ResultsToDynamoDB": "false",
           "ProgressPollSeconds": "600"}


def job_record(p: Pipeline) -> dict[str, Any]:
    """The run's only job record, as bedrock-batch status reads it (plain JSON)."""
    [item] = [status.as_job(status.plain_item(i)) for i in p._scan(
        FilterExpression="sk = :job", ExpressionAttributeValues={":job": {"S": "JOB"}})]
    return item


def shown(p: Pipeline, capsys: pytest.CaptureFixture[str], *flags: str) -> str:
    run_id = p.summaries()[0]["pk"]["S"].removeprefix("RUN#")
    assert status.main([run_id, "--table", p.stack.output("ResultsTableName"), *flags]) == 0
    return capsys.readouterr().out


def stuck_metrics(p: Pipeline) -> float:
    """The StuckJobs data points put so far (Report a stuck job puts 1 each time)."""
    stats = p.runtime.client("cloudwatch").get_metric_statistics(
        Namespace="BedrockBatch", MetricName="StuckJobs", Statistics=["Sum"], Period=60,
        Dimensions=[{"Name": "StackName", "Value": p.stack.stack.name}],
        StartTime=p.runtime.clock.now() - 30 * 24 * HOUR, EndTime=p.runtime.clock.now() + HOUR)
    return sum(point["Sum"] for point in stats["Datapoints"])


def test_status_shows_a_jobs_progress_while_it_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """Mid-job, the job record and `bedrock-batch status` show processed < total, with the success/error split,
    growing poll by poll; at the end, Bedrock's final counts, which agree with what the output workflow counted.
    The simulated job: Scheduled until about 16 minutes, then an hour InProgress; polls at 15 and 45 minutes, then
    every 10 minutes (ProgressPollSeconds) while InProgress."""
    for p in make_pipeline(SimulatorConfig(record_error_rate=0.1, seed=3), **ONE_JOB):
        p.drop("reviews.csv", sample_reviews(300))
        p.runtime.run_for(50 * 60)

        first = job_record(p)
        progress = first["progress"]
        assert progress["status"] == "InProgress" and first["status"] == "Submitted"
        assert 0 < progress["processedRecordCount"] < progress["totalRecordCount"] == 300
        assert progress["successRecordCount"] + progress["errorRecordCount"] == progress["processedRecordCount"]
        assert progress["errorRecordCount"] > 0  # 10% of the records fail in the model
        assert progress["percent"] == int(1000 * progress["processedRecordCount"] / 300) / 10

        jobs = json.loads(shown(p, capsys, "--json"))["jobs"]
        assert [j["progress"] for j in jobs] == [progress]
        table = shown(p, capsys)
        row = next(line for line in table.splitlines() if first["name"] in line)
        assert "InProgress" in row
        assert (f"{progress['processedRecordCount']}/300 ({progress['successRecordCount']} ok, "
                f"{progress['errorRecordCount']} errors) {progress['percent']:g}%") in row

        p.runtime.run_for(10 * 60)
        later = job_record(p)["progress"]
        assert progress["processedRecordCount"] < later["processedRecordCount"] < 300
        assert later["checkedAt"] > progress["checkedAt"]

        p.settle()
        final = job_record(p)
        assert final["status"] == "Completed" and final["progress"]["status"] == "Completed"
        assert final["progress"]["processedRecordCount"] == 300 and final["progress"]["percent"] == 100
        assert final["progress"]["successRecordCount"] == final["answered"]
        assert final["progress"]["errorRecordCount"] == final["failed"]
        assert "stuckIn" not in final
        assert "300/300 (" in shown(p, capsys)


def test_a_job_whose_count_stops_moving_is_stuck_while_in_progress(capsys: pytest.CaptureFixture[str]) -> None:
    """StuckJobHours counts from the last change of status or processed count, whatever the status: the job
    stalls InProgress at half its records (simulator fault stall_jobs) and, an hour later, raises the StuckJobs
    metric once and is marked stuck; it ends PartiallyCompleted at its timeout with the records it processed."""
    simulator = SimulatorConfig(stall_jobs={1}, stall_fraction=0.5)
    for p in make_pipeline(simulator, **ONE_JOB, StuckJobHours="1", JobTimeoutHours="24"):
        p.drop("reviews.csv", sample_reviews(300))
        p.runtime.run_for(2 * HOUR)  # stalled at 150 since about 46 minutes in; last moved at a poll before 1 h
        assert job_record(p)["progress"]["processedRecordCount"] == 150
        assert "stuckIn" not in job_record(p) and stuck_metrics(p) == 0

        p.runtime.run_for(1 * HOUR)
        record = job_record(p)
        assert record["stuckIn"] == "InProgress" and record["progress"]["status"] == "InProgress"
        assert stuck_metrics(p) == 1
        assert f"InProgress since {status._time(record['stuckSince'])}" in shown(p, capsys)

        p.settle()
        record = job_record(p)
        assert record["status"] == "PartiallyCompleted" and record["progress"]["processedRecordCount"] == 150
        assert stuck_metrics(p) == 1  # once per attempt


def test_a_long_job_that_keeps_processing_is_not_stuck() -> None:
    """Before, a job InProgress longer than StuckJobHours was stuck; now a job whose count moves at every poll is
    not, however long it runs: 300 records at 36 s each are three hours InProgress, against StuckJobHours 1."""
    for p in make_pipeline(SimulatorConfig(seconds_per_record=36), **ONE_JOB, StuckJobHours="1"):
        p.drop("reviews.csv", sample_reviews(300))
        p.settle()
        record = job_record(p)
        assert record["status"] == "Completed" and "stuckIn" not in record
        assert stuck_metrics(p) == 0
        [execution] = p.executions("-job")
        checks = [e for e in p.runtime.get_execution_history(execution.arn)
                  if e["type"] == "TaskStateEntered" and e["name"] == "Check on the job"]
        assert len(checks) >= 15  # about every 10 minutes of the three hours, not doubling to 6 hours
