"""Both state machines end to end on the offline runtime, asserting on what lands in S3, DynamoDB and SQS."""

from __future__ import annotations

import json
from collections import Counter

from offline_stack import HEADER, Pipeline, reviews_csv


def test_every_row_comes_back_as_a_parquet_row_with_a_response(pipeline: Pipeline) -> None:
    pipeline.drop("reviews.csv", reviews_csv(300))
    pipeline.settle()

    rows = pipeline.parquet_rows()
    assert len(rows) == 300
    assert all(isinstance(r["response"], str) and r["response"] for r in rows)
    assert {r["review_id"] for r in rows} == {f"R{i:05d}" for i in range(1, 301)}
    # every input column is kept, values as strings
    assert set(HEADER.split(",")) <= set(rows[0])
    assert pipeline.dead_letters() == []


def test_results_are_stored_in_dynamodb_and_the_run_summary_adds_up(pipeline_with_dynamodb_sink: Pipeline) -> None:
    pipeline = pipeline_with_dynamodb_sink
    pipeline.drop("reviews.csv", reviews_csv(250))
    pipeline.settle()

    items = pipeline.result_items()
    assert len(items) == 250
    assert all(item["response"]["S"] for item in items)
    (summary,) = pipeline.summaries()
    assert summary["status"]["S"] == "COMPLETE"
    assert int(summary["rowsIn"]["N"]) == 250
    assert int(summary["results"]["N"]) == 250
    assert int(summary["errors"]["N"]) == 0
    assert int(summary["inputTokens"]["N"]) > 0 and int(summary["outputTokens"]["N"]) > 0
    assert [e.status for e in pipeline.executions("-input")] == ["SUCCEEDED"]
    assert [e.status for e in pipeline.executions("-output")] == ["SUCCEEDED"]


def test_the_batch_job_gets_bedrock_records_built_from_the_prompt_template(pipeline: Pipeline) -> None:
    pipeline.drop("reviews.csv", reviews_csv(120))
    pipeline.settle()

    s3 = pipeline.runtime.client("s3")
    (job,) = pipeline.jobs()
    listing = s3.list_objects_v2(Bucket=pipeline.bucket, Prefix=f"batch-input/{job['jobName']}/")["Contents"]
    keys = [o["Key"] for o in listing]
    assert keys and all(k.endswith(".jsonl") for k in keys)
    first = json.loads(s3.get_object(Bucket=pipeline.bucket, Key=keys[0])["Body"].read().decode().splitlines()[0])
    assert set(first) == {"recordId", "modelInput"}
    assert first["recordId"] == "00000000000"
    text = first["modelInput"]["messages"][0]["content"][0]["text"]
    assert "Title: Mixed feelings" in text and "{title}" not in text
    assert first["modelInput"]["system"][0]["text"].startswith("You are a careful analyst")


def test_failed_records_go_to_the_dead_letter_queue_with_the_reason(pipeline_with_record_errors: Pipeline) -> None:
    p = pipeline_with_record_errors
    p.drop("reviews.csv", reviews_csv(400))
    p.settle()

    dead = p.dead_letters()
    rows = p.parquet_rows()
    assert dead, "a 10% record error rate must produce dead letters"
    assert len(rows) + len(dead) == 400
    (job,) = p.jobs()
    for message in dead:
        assert set(message) >= {"recordId", "job", "errorCode", "errorMessage"}
        assert message["job"] == job["jobName"]
        assert message["errorMessage"]
    assert {m["recordId"] for m in dead}.isdisjoint({r["record_id"] for r in rows})
    (summary,) = p.summaries()
    assert int(summary["errors"]["N"]) == len(dead)
    assert int(summary["results"]["N"]) == len(rows)
    assert summary["status"]["S"] == "COMPLETE"
    if p.stack.stack.parameters["ResultsToDynamoDB"] == "true":
        assert len(p.result_items()) == len(rows)
    else:  # no result items, and the output split ran over the failed records only: one batch of them
        assert p.result_items() == []
        assert p.runtime.counters.children_by_map["Split the results"] == 1


def test_a_repeated_s3_event_starts_no_second_job(pipeline: Pipeline) -> None:
    pipeline.drop("reviews.csv", reviews_csv(150))
    pipeline.settle()
    (first,) = pipeline.executions("-input")
    # EventBridge delivers at least once: the same event again.
    again = pipeline.runtime.start_execution(first.machine.arn, first.input)
    pipeline.settle()

    assert again.status == "SUCCEEDED" and again.output == {"runId": again.output["runId"], "duplicate": True}
    assert len(pipeline.jobs()) == 1
    assert len(pipeline.parquet_rows()) == 150
    (summary,) = pipeline.summaries()
    assert int(summary["rowsIn"]["N"]) == 150


def test_a_header_only_csv_is_rejected_before_any_job(pipeline: Pipeline) -> None:
    pipeline.drop("empty.csv", HEADER + "\n")
    pipeline.settle()

    (run,) = pipeline.executions("-input")
    assert run.status == "FAILED"
    assert run.error == "EmptyInput"
    assert "inputs/review_sentiment/empty.csv" in run.cause and "no data rows" in run.cause
    assert pipeline.jobs() == []
    (summary,) = pipeline.summaries()
    assert summary["status"]["S"] == "REJECTED"


def test_a_row_missing_a_prompt_column_goes_to_the_dead_letter_queue_naming_row_and_column(pipeline: Pipeline) -> None:
    body = reviews_csv(130).splitlines()
    body[6] = "R00006,Some Product,kitchen,4,Nice title,"  # review_text is empty on data row 6
    pipeline.drop("reviews.csv", "\n".join(body) + "\n")
    pipeline.settle()

    dead = pipeline.dead_letters()
    assert len(dead) == 1
    (message,) = dead
    assert message["errorCode"] == "InvalidRow"
    assert "inputs/review_sentiment/reviews.csv" in message["errorMessage"]
    assert "row 6" in message["errorMessage"] and "review_text" in message["errorMessage"]
    assert message["recordId"] == f"{message['runId']}-00000000005"
    assert len(pipeline.parquet_rows()) == 129
    (summary,) = pipeline.summaries()
    assert int(summary["rejected"]["N"]) == 1 and summary["status"]["S"] == "COMPLETE"


def test_a_file_without_the_prompt_columns_is_refused_before_any_job_naming_every_missing_column(
    pipeline: Pipeline,
) -> None:
    pipeline.drop("topics.csv", "topic\ncats\ndogs\n")
    pipeline.settle()

    (run,) = pipeline.executions("-input")
    assert run.status == "FAILED" and run.error == "MissingColumns"
    assert "inputs/review_sentiment/topics.csv" in run.cause
    assert "columns title, review_text" in run.cause and "review_sentiment" in run.cause
    assert pipeline.jobs() == [] and pipeline.dead_letters() == []
    (summary,) = pipeline.summaries()
    assert summary["status"]["S"] == "REJECTED"


def test_an_unknown_prompt_id_is_refused_naming_the_known_ones(pipeline: Pipeline) -> None:
    pipeline.drop("reviews.csv", reviews_csv(10), prompt_id="no_such_prompt")
    pipeline.settle()

    (run,) = pipeline.executions("-input")
    assert run.status == "FAILED" and run.error == "UnknownPromptId"
    assert "no_such_prompt" in run.cause and "review_sentiment" in run.cause
    assert pipeline.jobs() == []


def test_run_counts_state_transitions_and_child_executions(pipeline: Pipeline) -> None:
    pipeline.drop("reviews.csv", reviews_csv(200))
    pipeline.settle()

    counters = pipeline.runtime.counters
    assert counters.child_executions["EXPRESS"] >= 2
    assert counters.state_transitions["STANDARD"] > 0
    assert Counter(j["status"] for j in pipeline.jobs()) == {"Completed": 1}
