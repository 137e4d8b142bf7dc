"""A prompt template with an output_schema end to end: JSON asked for in the request, typed Parquet columns and
DynamoDB attributes for the answers that fit, the dead-letter queue (with the reason and the raw answer) for the
ones that do not, and every row accounted for."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from offline_stack import REPO, Pipeline, make_pipeline, reviews_csv

from bedrock_batch.offline.bedrock import SimulatorConfig

ROWS = 300
TEMPLATES = json.loads((REPO / "prompts" / "templates.json").read_text())


@pytest.fixture(params=["false", "true"], ids=["dynamodb-sink-off", "dynamodb-sink-on"])
def pipeline_with_invalid_answers(request: pytest.FixtureRequest) -> Iterator[Pipeline]:
    config = SimulatorConfig(invalid_structured_rate=0.15, record_error_rate=0.05, seed=5)
    yield from make_pipeline(config, ResultsToDynamoDB=request.param)


def parquet_tables(p: Pipeline) -> list[pa.Table]:
    s3 = p.runtime.client("s3")
    listing = s3.list_objects_v2(Bucket=p.bucket, Prefix="results/").get("Contents", [])
    return [pq.read_table(io.BytesIO(s3.get_object(Bucket=p.bucket, Key=o["Key"])["Body"].read())) for o in listing]


def test_the_request_asks_for_json_fitting_the_schema_in_the_system_prompt(pipeline: Pipeline) -> None:
    pipeline.drop("reviews.csv", reviews_csv(120))
    pipeline.settle()

    s3 = pipeline.runtime.client("s3")
    (job,) = pipeline.jobs()
    key = s3.list_objects_v2(Bucket=pipeline.bucket, Prefix=f"batch-input/{job['jobName']}/")["Contents"][0]["Key"]
    first = json.loads(s3.get_object(Bucket=pipeline.bucket, Key=key)["Body"].read().decode().splitlines()[0])
    system = first["modelInput"]["system"][0]["text"]
    assert system.startswith("You are a careful analyst")
    schema_text = system.split("JSON Schema: ", 1)[1]
    assert json.loads(schema_text) == TEMPLATES["review_sentiment"]["output_schema"]
    assert "toolConfig" not in first["modelInput"]  # Bedrock batch refuses it with Converse


def test_answers_that_fit_land_in_typed_parquet_columns(pipeline: Pipeline) -> None:
    pipeline.drop("reviews.csv", reviews_csv(ROWS))
    pipeline.settle()

    (table,) = parquet_tables(pipeline)
    assert table.num_rows == ROWS
    schema = table.schema
    assert schema.field("sentiment").type == pa.string()
    assert schema.field("confidence").type == pa.float64()
    assert schema.field("stars").type == pa.int64()
    assert schema.field("reason").type == pa.string()
    rows = table.to_pylist()
    assert {r["sentiment"] for r in rows} <= {"positive", "negative", "neutral"}
    assert all(0 <= r["confidence"] <= 1 and r["reason"] for r in rows)
    assert any(r["stars"] is None for r in rows) and all(r["stars"] is None or 1 <= r["stars"] <= 5 for r in rows)
    assert any(r["response"].startswith("```json") for r in rows)  # the raw answer is kept, fences and all
    assert pipeline.dead_letters() == []


def test_review_aspects_gives_a_list_of_structs(pipeline: Pipeline) -> None:
    pipeline.drop("aspects.csv", reviews_csv(150), prompt_id="review_aspects")
    pipeline.settle()

    (table,) = parquet_tables(pipeline)
    assert table.num_rows == 150
    assert table.schema.field("aspects").type == pa.list_(
        pa.struct([("aspect", pa.string()), ("opinion", pa.string())])
    )
    aspects = [a for row in table["aspects"].to_pylist() for a in row]
    assert aspects and {a["opinion"] for a in aspects} <= {"praised", "criticised"}


def test_answers_that_do_not_fit_go_to_the_dead_letter_queue_with_the_reason_and_the_raw_answer(
    pipeline_with_invalid_answers: Pipeline,
) -> None:
    p = pipeline_with_invalid_answers
    p.drop("reviews.csv", reviews_csv(ROWS))
    p.settle()

    rows = p.parquet_rows()
    dead = p.dead_letters()
    invalid = [m for m in dead if m["errorCode"] == "InvalidStructuredAnswer"]
    model_errors = [m for m in dead if m["errorCode"] != "InvalidStructuredAnswer"]
    assert invalid and model_errors
    assert len(rows) + len(dead) == ROWS  # rows in = Parquet rows + dead letters
    assert len({m["recordId"] for m in dead}) == len(dead)  # no row is dead-lettered twice
    assert {m["recordId"] for m in dead}.isdisjoint({r["record_id"] for r in rows})
    for message in invalid:
        assert message["errorMessage"] and isinstance(message["answer"], str)
        assert (
            "does not fit the output schema" in message["errorMessage"] or "no JSON object" in message["errorMessage"]
        )
    assert all(r["sentiment"] in ("positive", "negative", "neutral") for r in rows)  # never a silently empty column
    (summary,) = p.summaries()
    assert summary["status"]["S"] == "COMPLETE"
    assert int(summary["results"]["N"]) == len(rows)
    assert int(summary["errors"]["N"]) == len(dead)
    if p.stack.stack.parameters["ResultsToDynamoDB"] == "true":
        items = p.result_items()
        assert len(items) == len(rows)
        assert all(item["sentiment"]["S"] in ("positive", "negative", "neutral") for item in items)
        assert all(0 <= float(item["confidence"]["N"]) <= 1 for item in items)
        # the sink's key is the run (pk RESULT#<runId>) and Bedrock's recordId (sk): the record_id of Parquet
        assert {f"{item['pk']['S'].removeprefix('RESULT#')}-{item['sk']['S']}" for item in items} == {
            r["record_id"] for r in rows
        }
    else:
        assert p.result_items() == []
