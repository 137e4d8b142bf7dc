"""What a user gets in the Parquet files: the input's column types, one schema per run, ids that join back."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from offline_stack import Pipeline, make_pipeline

SMALL_JOBS = {"MaxRecordsPerJob": "300", "MinRecordsPerJob": "100"}  # slices of 200 rows
ROWS = 450  # three jobs: rows 0-199, 200-449 (the last 50 join the job before)


@pytest.fixture
def small_jobs() -> Iterator[Pipeline]:
    yield from make_pipeline(**SMALL_JOBS)


def _typed_csv(rows: int) -> str:
    """Columns whose every value is an int, a number, a boolean; one int column with "n/a" in the last job only."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["review_id", "title", "review_text", "rating", "price", "verified", "zip", "votes", "note"])
    for i in range(rows):
        writer.writerow([
            f"R{i:05d}",
            f"title {i}",
            f"text of review {i}",
            "" if i % 7 == 0 else str(i % 5 + 1),  # int, with gaps
            f"{i * 0.25:.2f}" if i % 3 else str(i),  # numbers, some written as integers
            ["true", "False", ""][i % 3],  # booleans in any case, with gaps
            f"{i % 100:05d}",  # leading zeros: text
            "n/a" if i == ROWS - 1 else str(i),  # ints but one "n/a" in the last slice: text in every file
            "",  # empty in every row: text
        ])
    return out.getvalue()


def _tables(pipeline: Pipeline) -> list[pa.Table]:
    s3 = pipeline.runtime.client("s3")
    listing = s3.list_objects_v2(Bucket=pipeline.bucket, Prefix="results/")["Contents"]
    return [pq.read_table(io.BytesIO(s3.get_object(Bucket=pipeline.bucket, Key=o["Key"])["Body"].read()))
            for o in listing]


def test_csv_columns_keep_their_types_and_every_file_of_the_run_shares_one_schema(small_jobs: Pipeline) -> None:
    key = small_jobs.drop("typed.csv", _typed_csv(ROWS))
    small_jobs.settle()

    tables = _tables(small_jobs)
    assert len(tables) >= 2
    assert all(table.schema == tables[0].schema for table in tables)
    schema = tables[0].schema
    assert {name: schema.field(name).type for name in ("rating", "price", "verified", "zip", "votes", "note")} == {
        "rating": pa.int64(),
        "price": pa.float64(),
        "verified": pa.bool_(),
        "zip": pa.string(),
        "votes": pa.string(),
        "note": pa.string(),
    }
    rows = {row["review_id"]: row for table in tables for row in table.to_pylist()}
    assert len(rows) == ROWS
    assert (rows["R00000"]["rating"], rows["R00001"]["rating"], rows["R00001"]["price"]) == (None, 2, 0.25)
    assert (rows["R00000"]["verified"], rows["R00001"]["verified"], rows["R00002"]["verified"]) == (True, False, None)
    assert rows["R00003"]["zip"] == "00003" and rows["R00003"]["votes"] == "3"
    (summary,) = small_jobs.summaries()
    assert {row["input_key"] for row in rows.values()} == {key}
    assert {row["run_id"] for row in rows.values()} == {summary["pk"]["S"].removeprefix("RUN#")}


def test_record_ids_are_unique_across_runs_and_files(pipeline: Pipeline) -> None:
    body = _typed_csv(120)
    pipeline.drop("first.csv", body)
    pipeline.drop("second.csv", body)
    pipeline.settle()

    rows = pipeline.parquet_rows()
    assert len(rows) == 240
    assert len({row["record_id"] for row in rows}) == 240
    assert all(row["record_id"] == f"{row['run_id']}-{int(row['review_id'][1:]):011d}" for row in rows)


def test_a_dead_letter_joins_back_to_its_input_row(pipeline: Pipeline) -> None:
    lines = _typed_csv(110).splitlines()
    lines[6] = "R00005,,,1,1,true,00005,5,"  # no title nor review_text: refused before the job
    pipeline.drop("gaps.csv", "\n".join(lines) + "\n")
    pipeline.settle()

    (dead,) = pipeline.dead_letters()
    rows = pipeline.parquet_rows()
    run_id, index = dead["recordId"].rsplit("-", 1)
    assert run_id == dead["runId"] == rows[0]["run_id"] and dead["inputKey"] == rows[0]["input_key"]
    inputs = list(csv.DictReader(io.StringIO("\n".join(lines))))
    assert inputs[int(index)]["review_id"] == "R00005"  # row <index> of the file, header excluded
    assert dead["recordId"] not in {row["record_id"] for row in rows}


def test_a_tab_separated_file_saved_as_csv_is_refused_naming_the_cause(pipeline: Pipeline) -> None:
    text = _typed_csv(110).replace(",", "\t")
    pipeline.drop("reviews.csv", text)
    pipeline.settle()

    (run,) = pipeline.executions("-input")
    assert run.status == "FAILED" and run.error == "MissingColumns"
    assert "looks like a tab-separated file saved as .csv" in run.cause
    assert pipeline.jobs() == []


def test_a_missing_column_is_refused_listing_the_file_columns(pipeline: Pipeline) -> None:
    pipeline.drop("reviews.csv", _typed_csv(110).replace("review_text", "reviewtext", 1))
    pipeline.settle()

    (run,) = pipeline.executions("-input")
    assert run.error == "MissingColumns" and "lacks the column review_text" in run.cause
    assert "Its columns: " in run.cause and "reviewtext" in run.cause
    assert "tab-separated" not in run.cause
