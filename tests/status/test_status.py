"""``bedrock-batch status``: the runs and jobs the workflows record, read back from the offline stack's table.

One offline stack for the module: three files dropped one after the other (so their runs start at different
virtual times), with the first Bedrock job failing once (it is retried as ``...-000-r1``), some records failing in
the model and some rows rejected before any job. Every number the command prints is checked against what landed:
Parquet rows, dead-letter messages, the jobs Bedrock ran.
"""

from __future__ import annotations

import io
import json
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber

from bedrock_batch import status
from bedrock_batch.cli import main as cli_main
from bedrock_batch.demo import sample_reviews
from bedrock_batch.offline.bedrock import SimulatorConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflows"))
from offline_stack import Pipeline, make_pipeline  # noqa: E402

SMALL_JOBS = {"MaxRecordsPerJob": "300", "MinRecordsPerJob": "100"}
REVIEWS, SMALL, BAD = ("inputs/review_sentiment/reviews.csv", "inputs/review_sentiment/small.csv",
                       "inputs/review_sentiment/bad.csv")


@dataclass
class Landed:
    pipeline: Pipeline
    table: str
    run_ids: dict[str, str]  # input key -> run id
    parquet_rows: Counter[str]  # run id -> rows
    dead_letters: Counter[str]  # run id -> messages
    bedrock_jobs: list[dict[str, Any]]


@pytest.fixture(scope="module")
def landed() -> Iterator[Landed]:
    simulator = SimulatorConfig(fail_jobs=frozenset({1}), record_error_rate=0.05, seed=3)
    # the DynamoDB sink on: the status scan must page past every result item
    for p in make_pipeline(simulator, **SMALL_JOBS, ResultsToDynamoDB="true"):
        p.drop("reviews.csv", sample_reviews(500))  # 3 jobs; the first fails and is retried
        p.settle()
        p.drop("small.csv", sample_reviews(150, blank_every=30))  # 1 job, 5 rows rejected
        p.settle()
        p.drop("bad.csv", "a,b\n1,2\n")  # no review columns: the run is rejected
        p.settle()
        run_ids = {s["inputKey"]["S"]: s["pk"]["S"].removeprefix("RUN#") for s in p.summaries()}
        by_run = Counter({run_id: _parquet_rows(p, run_id) for run_id in run_ids.values()})
        assert sum(by_run.values()) == len(p.parquet_rows())  # every Parquet file is under its run's folder
        dead = Counter(m["runId"] for m in p.dead_letters())
        yield Landed(p, p.stack.output("ResultsTableName"), run_ids, by_run, dead, p.jobs())


def _parquet_rows(p: Pipeline, run_id: str) -> int:
    import pyarrow.parquet as pq

    s3 = p.runtime.client("s3")
    listing = s3.list_objects_v2(Bucket=p.bucket, Prefix=f"results/{run_id}/").get("Contents", [])
    return sum(pq.read_metadata(io.BytesIO(s3.get_object(Bucket=p.bucket, Key=o["Key"])["Body"].read())).num_rows
               for o in listing)


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert status.main([*argv, "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1, "one JSON object on one line"
    return json.loads(out)


# -- the list of runs ----------------------------------------------------------------------------------------------
def test_runs_are_listed_newest_first_with_the_counts_that_landed(landed: Landed,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    runs = run_json(capsys, "--table", landed.table)["runs"]

    assert [r["inputKey"] for r in runs] == [BAD, SMALL, REVIEWS]
    assert [r["runId"] for r in runs] == [landed.run_ids[k] for k in (BAD, SMALL, REVIEWS)]
    assert [r["status"] for r in runs] == ["REJECTED", "COMPLETE", "COMPLETE"]
    bad, small, reviews = runs

    for run, rows, jobs in [(reviews, 500, 3), (small, 150, 1)]:
        run_id = run["runId"]
        assert run["rowsRead"] == rows
        assert run["results"] == landed.parquet_rows[run_id]
        assert run["deadLetters"] == run["errors"] + run["rejected"] == landed.dead_letters[run_id]
        assert run["results"] + run["deadLetters"] == rows
        assert run["missing"] == 0
        assert run["jobsPlanned"] == jobs
        assert isinstance(run["inputTokens"], int) and run["inputTokens"] > 0
        assert isinstance(run["outputTokens"], int) and run["outputTokens"] > 0
        assert isinstance(run["estimatedCost"], float) and run["estimatedCost"] > 0
        assert run["startedAt"] <= run["finishedAt"]
        assert len(run["parquet"]) == jobs
    assert reviews["errors"] > 0 and reviews["rejected"] == 0  # model errors (5% of records)
    assert small["rejected"] == 5  # the blank review_text rows
    assert reviews["resubmitted"] == 200  # the failed first job's slice
    assert bad["reason"].startswith("MissingColumns: ") and "review_text" in bad["reason"]
    assert "finishedAt" not in bad and "jobsPlanned" not in bad
    assert reviews["startedAt"] < small["startedAt"] < bad["startedAt"]


def test_the_run_table_names_every_run_with_its_counts(landed: Landed, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["status", "--table", landed.table]) == 0
    out = capsys.readouterr().out

    lines = {key: next(line for line in out.splitlines() if key in line) for key in (REVIEWS, SMALL, BAD)}
    for key, line in lines.items():
        assert landed.run_ids[key] in line
    assert "COMPLETE" in lines[REVIEWS] and " 500 " in lines[REVIEWS]
    assert "REJECTED" in lines[BAD]
    assert out.index(BAD) < out.index(SMALL) < out.index(REVIEWS), "newest first"


# -- one run -------------------------------------------------------------------------------------------------------
def test_one_run_shows_its_summary_and_every_job_attempt(landed: Landed,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    run_id = landed.run_ids[REVIEWS]
    shown = run_json(capsys, run_id, "--table", landed.table)
    listed = next(r for r in run_json(capsys, "--table", landed.table)["runs"] if r["runId"] == run_id)
    assert shown["run"] == listed

    jobs = shown["jobs"]
    base = f"bb-reviews-{run_id}"
    assert [j["name"] for j in jobs] == [f"{base}-000", f"{base}-000-r1", f"{base}-001", f"{base}-002"]
    assert [j["attempt"] for j in jobs] == [1, 2, 1, 1]
    assert [j["status"] for j in jobs] == ["Failed", "Completed", "Completed", "Completed"]
    assert {j["runId"] for j in jobs} == {run_id}
    assert jobs[0]["baseJobName"] == jobs[1]["baseJobName"] == f"{base}-000"
    assert jobs[0]["message"]  # why Bedrock failed it
    assert [j["records"] for j in jobs] == [200, 200, 200, 100]
    # The answers and failures of the attempts that produced output are the run's results and model errors.
    assert sum(j.get("answered", 0) for j in jobs) == shown["run"]["results"]
    assert sum(j.get("failed", 0) for j in jobs) == shown["run"]["errors"]
    assert all(j["resultsIn"] for j in jobs[1:]) and "resultsIn" not in jobs[0]
    # Every item is a job Bedrock ran, with the status Bedrock reports for it.
    bedrock = {j["jobName"]: j["status"] for j in landed.bedrock_jobs}
    assert {j["name"]: j["status"] for j in jobs} == {n: s for n, s in bedrock.items() if run_id in n}
    assert not any("taskToken" in j or "resultsToken" in j or "pk" in j for j in jobs)


def test_the_run_view_names_the_run_and_its_jobs(landed: Landed, capsys: pytest.CaptureFixture[str]) -> None:
    run_id = landed.run_ids[REVIEWS]
    assert cli_main(["status", run_id, "--table", landed.table]) == 0
    out = capsys.readouterr().out

    assert f"Run {run_id}" in out and REVIEWS in out and "COMPLETE" in out
    base = f"bb-reviews-{run_id}"
    rows = {name: next(line for line in out.splitlines() if f" {name} " in line)
            for name in (f"{base}-000", f"{base}-000-r1", f"{base}-001", f"{base}-002")}
    assert "Failed" in rows[f"{base}-000"]
    assert "Completed" in rows[f"{base}-000-r1"] and " 2 " in rows[f"{base}-000-r1"]
    for key in (f"results/{run_id}/{base}-000-r1-part-00000.parquet", "Estimated cost (USD)", "Input tokens"):
        assert key in out


def test_a_rejected_run_shows_its_reason_and_no_jobs(landed: Landed, capsys: pytest.CaptureFixture[str]) -> None:
    shown = run_json(capsys, BAD, "--table", landed.table)
    assert shown["run"]["status"] == "REJECTED" and shown["jobs"] == []

    assert status.main([BAD, "--table", landed.table]) == 0
    out = capsys.readouterr().out
    assert "REJECTED" in out and "MissingColumns" in out


def test_a_run_is_found_by_a_prefix_of_its_id_or_by_its_input_key(landed: Landed,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    run_id = landed.run_ids[SMALL]
    others = [r for k, r in landed.run_ids.items() if k != SMALL]
    prefix = next(run_id[:n] for n in range(1, 17) if not any(o.startswith(run_id[:n]) for o in others))
    for query in (run_id, prefix, SMALL, f"s3://{landed.pipeline.bucket}/{SMALL}"):
        shown = run_json(capsys, query, "--table", landed.table)
        assert shown["run"]["runId"] == run_id, query
        assert [j["name"] for j in shown["jobs"]] == [f"bb-small-{run_id}-000"]
        assert shown["jobs"][0]["records"] == 145


def test_an_unknown_run_exits_2_with_a_clear_message(landed: Landed, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["no-such-run", "--table", landed.table], ["no-such-run", "--table", landed.table, "--json"]):
        assert status.main(argv) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert "no run 'no-such-run'" in captured.err and "3 runs" in captured.err


def test_the_scan_follows_every_page(landed: Landed) -> None:
    dynamodb = landed.pipeline.runtime.client("dynamodb")
    # 10 items read per page: the table also holds every result and output marker, so this takes many pages
    paged = status.scan(dynamodb, landed.table, ["SUMMARY", "JOB"], page_size=10)
    assert dynamodb.describe_table(TableName=landed.table)["Table"]["ItemCount"] > 500
    assert sorted(i["pk"] for i in paged) == sorted(i["pk"] for i in status.scan(dynamodb, landed.table,
                                                                                ["SUMMARY", "JOB"]))
    assert Counter(i["sk"] for i in paged) == {"SUMMARY": 3, "JOB": 5}


def test_stack_name_reads_the_table_from_the_stack_outputs(landed: Landed, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def resolve(stack_name: str) -> str:
        asked.append(stack_name)
        return landed.table

    monkeypatch.setattr(status, "resolve_table", resolve)
    runs = run_json(capsys, "--stack-name", "bedrock-batch")["runs"]
    assert asked == ["bedrock-batch"] and len(runs) == 3


def test_a_missing_table_or_an_empty_one(landed: Landed, capsys: pytest.CaptureFixture[str]) -> None:
    assert status.main(["--table", "no-such-table"]) == 2
    assert "table no-such-table not found" in capsys.readouterr().err

    dynamodb = landed.pipeline.runtime.client("dynamodb")
    dynamodb.create_table(TableName="empty", BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                {"AttributeName": "sk", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                     {"AttributeName": "sk", "KeyType": "RANGE"}])
    assert run_json(capsys, "--table", "empty") == {"runs": []}
    assert status.main(["--table", "empty"]) == 0
    assert "No runs yet" in capsys.readouterr().out


# -- without a stack -----------------------------------------------------------------------------------------------
def test_resolve_table_reads_the_results_table_output() -> None:
    import boto3

    cloudformation = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="x",
                                  aws_secret_access_key="x")
    stack = {"StackName": "bedrock-batch", "CreationTime": "2026-01-01T00:00:00Z", "StackStatus": "CREATE_COMPLETE",
             "Outputs": [{"OutputKey": "DataBucketName", "OutputValue": "data"},
                         {"OutputKey": "ResultsTableName", "OutputValue": "bedrock-batch-ResultsTable-1"}]}
    with Stubber(cloudformation) as stub:
        stub.add_response("describe_stacks", {"Stacks": [stack]}, {"StackName": "bedrock-batch"})
        stub.add_response("describe_stacks", {"Stacks": [{**stack, "Outputs": []}]}, {"StackName": "other"})
        stub.add_client_error("describe_stacks", "ValidationError", "Stack with id gone does not exist")
        assert status.resolve_table("bedrock-batch", cloudformation) == "bedrock-batch-ResultsTable-1"
        with pytest.raises(status.StatusError, match="stack other has no ResultsTableName output"):
            status.resolve_table("other", cloudformation)
        with pytest.raises(status.StatusError, match="stack gone: .*does not exist"):
            status.resolve_table("gone", cloudformation)


def test_table_or_stack_name_is_required_and_not_both(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in ([], ["--table", "t", "--stack-name", "s"]):
        assert cli_main(["status", *argv]) == 2
        error = capsys.readouterr().err
        assert error.count("\n") == 1 and error.startswith("bedrock-batch status: ") and "--table" in error


def test_find_run_prefers_an_exact_id_then_the_newest_run_of_a_key_then_a_unique_prefix(
        capsys: pytest.CaptureFixture[str]) -> None:
    runs = [{"runId": "abc1", "inputKey": "inputs/a.csv", "startedAt": "2026-01-01T00:00:00Z"},
            {"runId": "abc2", "inputKey": "inputs/a.csv", "startedAt": "2026-01-02T00:00:00Z"},
            {"runId": "abd3", "inputKey": "inputs/b.csv", "startedAt": "2026-01-03T00:00:00Z"}]
    assert status.find_run(runs, "abc1")["runId"] == "abc1"
    assert status.find_run(runs, "inputs/a.csv")["runId"] == "abc2"  # the file was uploaded twice
    assert "2 runs of inputs/a.csv" in capsys.readouterr().err
    assert status.find_run(runs, "abd")["runId"] == "abd3"
    with pytest.raises(status.StatusError, match="ambiguous: it starts abc1, abc2"):
        status.find_run(runs, "ab")
    with pytest.raises(status.StatusError, match="no run 'zz'"):
        status.find_run(runs, "zz")
    assert [r["runId"] for r in status.newest_first(runs)] == ["abd3", "abc2", "abc1"]


# -- a job's progress ----------------------------------------------------------------------------------------------
def test_a_jobs_progress_shows_counts_with_thousands_separators_and_a_share_rounded_down() -> None:
    """The progress map the job workflow saves from GetModelInvocationJob: what Bedrock has not reported is not
    made up, and 100% is only shown when every record is processed."""
    def job(**progress: Any) -> dict[str, Any]:
        return status.as_job({"pk": "JOB#j", "sk": "JOB", "status": "Submitted", "progress": progress})

    running = job(status="InProgress", totalRecordCount=50_000, processedRecordCount=12_345,
                  successRecordCount=12_000, errorRecordCount=345)
    assert running["progress"]["percent"] == 24.6
    assert status._progress(running) == "12,345/50,000 (12,000 ok, 345 errors) 24.6%"
    assert status._job_status(running) == "InProgress"
    assert status._progress(job(status="InProgress", totalRecordCount=50_000, processedRecordCount=49_999,
                                successRecordCount=49_999, errorRecordCount=0)).endswith(" 99.9%")
    scheduled = job(status="Scheduled", totalRecordCount=50_000)
    assert status._progress(scheduled) == "-/50,000" and "percent" not in scheduled["progress"]
    assert status._progress(job()) == status._progress(status.as_job({"pk": "JOB#j", "sk": "JOB"})) == "-"
    ended = status.as_job({"pk": "JOB#j", "sk": "JOB", "status": "Completed", "endedAt": "2026-01-01T00:00:00Z",
                           "progress": {"status": "Completed", "totalRecordCount": 100, "processedRecordCount": 100}})
    assert status._job_status(ended) == "Completed" and status._progress(ended) == "100/100 100%"


def test_every_job_that_ran_keeps_bedrocks_final_counts(landed: Landed, capsys: pytest.CaptureFixture[str]) -> None:
    """The job workflow reads the counts once more when the job ends: a completed job's agree with what the output
    workflow counted; the failed attempt keeps the status Bedrock gave it."""
    jobs = run_json(capsys, landed.run_ids[REVIEWS], "--table", landed.table)["jobs"]
    failed, *completed = jobs
    assert failed["progress"]["status"] == "Failed" and failed["progress"]["totalRecordCount"] == 200
    for job in completed:
        progress = job["progress"]
        assert progress["status"] == "Completed" and progress["percent"] == 100
        assert progress["totalRecordCount"] == progress["processedRecordCount"] == job["records"]
        assert (progress["successRecordCount"], progress["errorRecordCount"]) == (job["answered"], job.get("failed", 0))
