"""Every input format, read natively by the Distributed Map ItemReader, end to end offline."""

from __future__ import annotations

import csv
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from offline_stack import HEADER, Pipeline, reviews_csv


def _rows(count: int) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(reviews_csv(count))))


def _delimited(count: int, delimiter: str) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER.split(","), delimiter=delimiter, lineterminator="\n")
    writer.writeheader()
    writer.writerows(_rows(count))
    return out.getvalue()


@pytest.mark.parametrize(("name", "delimiter"), [("reviews.tsv", "\t"), ("reviews.ssv", ";"), ("reviews.psv", "|")])
def test_delimited_files_are_read_by_their_extension(pipeline: Pipeline, name: str, delimiter: str) -> None:
    pipeline.drop(name, _delimited(120, delimiter))
    pipeline.settle()

    rows = pipeline.parquet_rows()
    assert len(rows) == 120
    expected = {r["review_id"]: r["review_text"] for r in _rows(120)}
    assert {r["review_id"]: r["review_text"] for r in rows} == expected
    assert all(r["response"] for r in rows)


def test_json_lines_input_keeps_its_fields(pipeline: Pipeline) -> None:
    body = "".join(json.dumps({**r, "rating": int(r["rating"])}) + "\n" for r in _rows(110))
    pipeline.drop("reviews.jsonl", body)
    pipeline.settle()

    rows = pipeline.parquet_rows()
    assert len(rows) == 110
    assert {r["review_id"] for r in rows} == {r["review_id"] for r in _rows(110)}
    assert all(r["response"] for r in rows)


def test_parquet_input_is_read_natively(pipeline: Pipeline) -> None:
    table = pa.Table.from_pylist(_rows(105))
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    pipeline.drop("reviews.parquet", buffer.getvalue())
    pipeline.settle()

    rows = pipeline.parquet_rows()
    assert len(rows) == 105 and all(r["response"] for r in rows)
    (summary,) = pipeline.summaries()
    assert summary["status"]["S"] == "COMPLETE"


def test_an_unsupported_extension_is_refused_naming_the_supported_ones(pipeline: Pipeline) -> None:
    pipeline.drop("reviews.xlsx", b"PK\x03\x04")
    pipeline.settle()

    (run,) = pipeline.executions("-input")
    assert run.status == "FAILED" and run.error == "UnsupportedFormat"
    assert "reviews.xlsx" in run.cause and ".parquet" in run.cause
    assert pipeline.jobs() == []


def test_non_utf8_bytes_are_refused_naming_the_line(pipeline: Pipeline) -> None:
    text = reviews_csv(20).splitlines()
    data = ("\n".join(text[:8]) + "\n").encode() + "R99999,Caf\xe9 Mug,kitchen,5,Great,Lovely\n".encode("latin-1")
    pipeline.drop("latin1.csv", data)
    pipeline.settle()

    (run,) = pipeline.executions("-input")
    assert run.status == "FAILED" and run.error == "States.ItemReaderFailed"
    assert "latin1.csv" in run.cause and "UTF-8" in run.cause and "line 9" in run.cause
    assert pipeline.jobs() == []


def test_an_oversized_row_goes_to_the_dead_letter_queue_and_the_rest_proceed(pipeline: Pipeline) -> None:
    lines = reviews_csv(110).splitlines()
    lines[3] = f'R00003,Huge,books,5,Long,"{"word " * 14000}"'
    pipeline.drop("reviews.csv", "\n".join(lines) + "\n")
    pipeline.settle()

    dead = pipeline.dead_letters()
    assert len(dead) == 1 and dead[0]["recordId"] == f"{dead[0]['runId']}-00000000002"
    assert "row 3" in dead[0]["errorMessage"] and "65536" in dead[0]["errorMessage"]
    assert len(pipeline.parquet_rows()) == 109


def test_an_input_uploaded_in_parts_is_read_as_one_put(pipeline: Pipeline, tmp_path) -> None:
    """An input past 8 MB arrives as a multipart upload (what `aws s3 cp` sends, and the demo): S3's Object Created
    event for CompleteMultipartUpload starts the run as a PutObject's does (S3 User Guide, EventBridge event
    messages: reason CompleteMultipartUpload), and every row comes out whole."""
    from bedrock_batch.demo import upload_file

    rows = list(csv.reader(reviews_csv(200).splitlines()))
    for row in rows[1:]:
        row[4] = row[4] + " " + "x" * 46_000  # about 9.3 MB in all, each row under the 64 KiB limit
    path = tmp_path / "big.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    key = "inputs/review_sentiment/big.csv"
    upload_file(pipeline.runtime.client("s3"), path, pipeline.bucket, key)
    assert pipeline.runtime.client("s3").head_object(Bucket=pipeline.bucket, Key=key)["ETag"].endswith('-2"')
    pipeline.settle()

    out, dead = pipeline.parquet_rows(), pipeline.dead_letters()
    assert len(out) + len(dead) == 200 and len(out) > 150  # the sample's own invalid rows are dead letters
    titles = {row[0]: row[4] for row in rows[1:]}
    assert all(r["title"] == titles[r["review_id"]] for r in out)


def test_the_reader_maps_results_hold_each_childs_output_only(pipeline: Pipeline) -> None:
    """The reader Distributed Map writes its children's results with WriterConfig COMPACT: a succeeded child's
    output (`{}`), not its input, so the rows are not stored a second time (Developer Guide,
    input-output-resultwriter: COMPACT returns the output of the child workflow executions)."""
    pipeline.drop("reviews.csv", reviews_csv(1250))
    pipeline.settle()

    s3 = pipeline.runtime.client("s3")
    listed = s3.list_objects_v2(Bucket=pipeline.bucket, Prefix="staging/rows/")["Contents"]
    results = [o["Key"] for o in listed if "/map-results/" in o["Key"] and o["Key"].endswith("SUCCEEDED_0.json")]
    assert len(results) == 1
    entries = json.loads(s3.get_object(Bucket=pipeline.bucket, Key=results[0])["Body"].read())
    assert len(entries) >= 2 and all(entry == {} for entry in entries)  # 1,250 rows: two children at least
    assert len(pipeline.parquet_rows()) + len(pipeline.dead_letters()) == 1250
