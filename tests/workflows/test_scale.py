"""Scale and job lifecycle: splitting into jobs, the stack-wide job cap, waiting, retries, partial jobs, accounting.

Every test ends with the invariant the product promises: rows in = Parquet results + dead-letter messages.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from offline_stack import Pipeline, make_pipeline

from bedrock_batch.demo import sample_reviews
from bedrock_batch.offline.bedrock import SimulatorConfig

SMALL_JOBS = {"MaxRecordsPerJob": "300", "MinRecordsPerJob": "100", "MaxConcurrentJobs": "3"}


def accounted(p: Pipeline, rows: int) -> tuple[int, int]:
    """(Parquet rows, dead letters), after checking that together they are every input row, once."""
    results = p.parquet_rows()
    dead = p.dead_letters()
    ids = Counter(r["record_id"] for r in results) + Counter(m["recordId"] for m in dead)
    assert sum(ids.values()) == rows and all(n == 1 for n in ids.values()), "every row exactly once"
    (summary,) = p.summaries()
    assert summary["status"]["S"] == "COMPLETE", summary.get("reason")
    assert int(summary["missing"]["N"]) == 0
    return len(results), len(dead)


def pipeline(simulator: SimulatorConfig | None = None, **parameters: str) -> Iterator[Pipeline]:
    yield from make_pipeline(simulator, **{**SMALL_JOBS, "ResultsToDynamoDB": "false", **parameters})


def test_rows_are_split_into_jobs_within_the_quotas_and_all_come_back() -> None:
    for p in pipeline():
        p.drop("reviews.csv", sample_reviews(1_000))
        p.settle()

        jobs = p.jobs()
        # slices of MaxRecordsPerJob - MinRecordsPerJob = 200 rows: 5 jobs
        assert len(jobs) == 5
        assert all(100 <= j["records"] <= 300 for j in _job_records(p))
        assert accounted(p, 1_000) == (1_000, 0)


def test_a_small_remainder_joins_the_last_job() -> None:
    for p in pipeline():
        p.drop("reviews.csv", sample_reviews(650))  # 200 + 200 + 200 + 50: the last 50 join the third job
        p.settle()

        assert sorted(j["records"] for j in _job_records(p)) == [200, 200, 250]
        assert accounted(p, 650) == (650, 0)


def test_never_more_than_max_concurrent_jobs_in_flight_across_runs() -> None:
    for p in pipeline(MaxConcurrentJobs="2"):
        p.drop("a.csv", sample_reviews(800))
        p.drop("b.csv", sample_reviews(600))
        p.settle()

        assert len(p.jobs()) == 4 + 3
        assert p.runtime.bedrock.max_in_flight_seen() <= 2
        assert len(p.parquet_rows()) == 1_400


def test_throttling_and_quota_errors_on_create_are_retried() -> None:
    for p in pipeline(SimulatorConfig(throttle_creates=2, quota_errors=2)):
        p.drop("reviews.csv", sample_reviews(600))
        p.settle()

        assert Counter(j["status"] for j in p.jobs()) == {"Completed": 3}
        assert accounted(p, 600) == (600, 0)


def test_a_failed_job_is_submitted_again_and_its_rows_counted_as_resubmitted() -> None:
    for p in pipeline(SimulatorConfig(fail_jobs=frozenset({1}))):
        p.drop("reviews.csv", sample_reviews(600))
        p.settle()

        states = Counter(j["status"] for j in p.jobs())
        assert states == {"Failed": 1, "Completed": 3}
        (summary,) = p.summaries()
        assert int(summary["resubmitted"]["N"]) == 200
        assert accounted(p, 600) == (600, 0)


def test_an_expired_job_is_submitted_again() -> None:
    for p in pipeline(SimulatorConfig(expire_jobs=frozenset({2}))):
        p.drop("reviews.csv", sample_reviews(400))
        p.settle()

        assert Counter(j["status"] for j in p.jobs()) == {"Expired": 1, "Completed": 2}
        assert accounted(p, 400) == (400, 0)


def test_a_job_that_fails_every_attempt_sends_its_records_to_the_dead_letter_queue() -> None:
    failing = frozenset({"*-000", "*-000-r1"})
    for p in pipeline(SimulatorConfig(fail_jobs=failing, fail_message="the model is not available")):
        p.drop("reviews.csv", sample_reviews(600))
        p.settle()

        assert accounted(p, 600) == (400, 200)
        assert Counter(j["status"] for j in p.jobs()) == {"Failed": 2, "Completed": 2}


def test_dead_letters_of_a_failed_job_carry_the_job_and_its_failure_message() -> None:
    failing = frozenset({"*-000", "*-000-r1"})
    for p in pipeline(SimulatorConfig(fail_jobs=failing, fail_message="the model is not available")):
        p.drop("reviews.csv", sample_reviews(300))
        p.settle()

        dead = p.dead_letters()
        assert len(dead) == 200
        assert {m["errorCode"] for m in dead} == {"JobFailed"}
        assert {m["errorMessage"] for m in dead} == {"the model is not available"}
        assert {m["job"] for m in dead} == {j["jobName"] for j in p.jobs() if j["jobName"].endswith("-r1")}


def test_a_partially_completed_job_keeps_its_output_and_reports_the_rest() -> None:
    for p in pipeline(SimulatorConfig(partial_jobs=frozenset({1}), partial_fraction=0.5)):
        p.drop("reviews.csv", sample_reviews(400))
        p.settle()

        assert Counter(j["status"] for j in p.jobs()) == {"PartiallyCompleted": 1, "Completed": 1}
        results = p.parquet_rows()
        dead = p.dead_letters()
        assert len(results) + len(dead) == 400 and len(dead) > 0
        assert {m["errorCode"] for m in dead} == {"MissingFromOutput"}


def test_record_errors_go_to_the_dead_letter_queue() -> None:
    for p in pipeline(SimulatorConfig(record_error_rate=0.05, seed=11)):
        p.drop("reviews.csv", sample_reviews(600))
        p.settle()

        results, dead = accounted(p, 600)
        assert 10 <= dead <= 60 and results == 600 - dead


def test_a_lost_state_change_event_is_covered_by_polling() -> None:
    for p in pipeline(SimulatorConfig(lose_events=frozenset({1, 2, 3}))):
        p.drop("reviews.csv", sample_reviews(600))
        p.settle()

        assert p.runtime.bedrock.lost_events
        assert accounted(p, 600) == (600, 0)


def test_an_input_below_the_minimum_is_answered_on_demand() -> None:
    for p in pipeline():
        p.drop("small.csv", sample_reviews(40))
        p.settle()

        assert p.jobs() == []
        assert p.runtime.counters.api_calls["bedrock-runtime:Converse"] == 40
        rows = p.parquet_rows()
        assert len(rows) == 40 and all(r["response"] for r in rows)
        assert accounted(p, 40) == (40, 0)


def test_the_same_file_dropped_twice_starts_no_extra_job() -> None:
    body = sample_reviews(500)
    for p in pipeline():
        p.drop("reviews.csv", body)
        p.settle()
        p.drop("reviews.csv", body)  # same content, same ETag: the same run
        p.settle()

        assert len(p.jobs()) == 3
        assert accounted(p, 500) == (500, 0)


@pytest.mark.slow
def test_250000_rows_make_13_jobs_never_more_than_3_in_flight() -> None:
    """The issue's headline scale test (``pytest -m slow``; it runs in ``make test``)."""
    body = sample_reviews(250_000)
    for p in make_pipeline(None, MaxRecordsPerJob="20000", MinRecordsPerJob="100", MaxConcurrentJobs="3",
                           ResultsToDynamoDB="false"):
        p.drop("big.csv", body)
        p.settle()
        p.drop("big.csv", body)
        p.settle()

        assert len(p.jobs()) == 13
        assert p.runtime.bedrock.max_in_flight_seen() <= 3
        assert accounted(p, 250_000) == (250_000, 0)


def _job_records(p: Pipeline) -> list[dict]:
    return [{"name": j["jobName"], "records": j.get("inputRecordCount") or _records_of(p, j["jobName"])}
            for j in p.jobs()]


def _records_of(p: Pipeline, name: str) -> int:
    item = p.runtime.client("dynamodb").get_item(
        TableName=p.stack.output("ResultsTableName"), Key={"pk": {"S": f"JOB#{name}"}, "sk": {"S": "JOB"}})["Item"]
    return int(item["records"]["N"])
