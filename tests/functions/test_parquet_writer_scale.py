"""The Parquet writer at scale, against moto S3: each job's writer downloads about its slice (the shared row index),
the rows it writes are those a read from row 0 gives, and the Parquet file is streamed to S3 without /tmp."""

from __future__ import annotations

import importlib
import importlib.util
import io
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

FUNCTION_DIR = Path(__file__).resolve().parents[2] / "functions" / "parquet_writer"
BUCKET = "data-bucket"
OUTPUT_PREFIX = "batch-output/job/abc123def456/"


def _load_like_lambda() -> tuple[ModuleType, ModuleType, ModuleType]:
    sys.path.insert(0, str(FUNCTION_DIR))
    try:
        spec = importlib.util.spec_from_file_location("parquet_writer_app_scale", FUNCTION_DIR / "app.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module, importlib.import_module("row_index"), importlib.import_module("s3_files")
    finally:
        sys.path.remove(str(FUNCTION_DIR))


app, row_index, s3_files = _load_like_lambda()


class CountingS3:
    """The S3 client, counting the bytes read from the bodies of GetObject calls on ``key``, and the calls."""

    def __init__(self, client: Any, key: str) -> None:
        self._client, self._key = client, key
        self.bytes_read = 0
        self.ranges: list[str | None] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def get_object(self, **kwargs: Any) -> Any:
        response = self._client.get_object(**kwargs)
        if kwargs["Key"] == self._key:
            self.ranges.append(kwargs.get("Range"))
            response["Body"] = _CountingBody(response["Body"], self)
        return response


class _CountingBody:
    def __init__(self, body: Any, counter: CountingS3) -> None:
        self._body, self._counter = body, counter

    def read(self, size: int | None = None) -> bytes:
        data = self._body.read() if size is None or size < 0 else self._body.read(size)
        self._counter.bytes_read += len(data)
        return data

    def close(self) -> None:
        self._body.close()


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        yield client


def put_outputs(s3: Any, ids: range) -> None:
    lines = [
        {
            "recordId": str(i).zfill(11),
            "modelInput": {"messages": []},
            "modelOutput": {
                "output": {"message": {"role": "assistant", "content": [{"text": f"answer {i}"}]}},
                "stopReason": "end_turn",
                "usage": {"inputTokens": 10, "outputTokens": 2},
            },
        }
        for i in ids
    ]
    body = "".join(json.dumps(line) + "\n" for line in lines).encode()
    s3.put_object(Bucket=BUCKET, Key=f"{OUTPUT_PREFIX}part-{ids.start:06d}.jsonl.out", Body=body)


def tricky_csv(rows: int) -> bytes:
    """Quoted newlines and delimiters, doubled quotes, a quote inside an unquoted value, blank lines, CRLF and CR."""
    rng = random.Random(3)
    lines = [b"id,text,note\r\n"]
    for i in range(rows):
        text = rng.choice([f'"line one\nline two {i}"', f'"say ""hi"", {i}"', f"plain {i}", f'5" screen {i}'])
        note = rng.choice(["", '"a\r\nb"', "x" * rng.randint(0, 300)])
        lines.append(f"{i},{text},{note}".encode() + rng.choice([b"\n", b"\r\n", b"\r"]))
        if rng.random() < 0.05:
            lines.append(b"\n")
    return b"".join(lines)


def run_slices(s3: Any, key: str, fmt: str, slices: list[tuple[int, int]]) -> list[tuple[pa.Table, int]]:
    """Each slice's writer in turn: (rows it wrote, input bytes it downloaded)."""
    results = []
    for first, count in slices:
        counting = CountingS3(s3, key)
        app._s3_client = counting
        result_key = f"results/run/job-{first}.parquet"
        answer = app.handler(
            {
                "Bucket": BUCKET,
                "InputKey": key,
                "InputFormat": fmt,
                "CSVDelimiter": ",",
                "OutputPrefix": OUTPUT_PREFIX,
                "ResultKey": result_key,
                "RecordIdOffset": first,
                "RecordCount": count,
            }
        )
        assert answer["Rows"] == count
        table = pq.read_table(io.BytesIO(s3.get_object(Bucket=BUCKET, Key=result_key)["Body"].read()))
        results.append((table, counting.bytes_read))
    app._s3_client = None
    return results


def whole_file(data: bytes, fmt: str) -> pa.Table:
    if fmt == "CSV":
        names = pacsv.read_csv(io.BytesIO(data)).column_names
        options = pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()))
        return pacsv.read_csv(
            io.BytesIO(data), parse_options=pacsv.ParseOptions(newlines_in_values=True), convert_options=options
        )
    return pajson.read_json(io.BytesIO(data), read_options=pajson.ReadOptions(block_size=8 << 20))


# ----------------------------------------------------------------------------------------------------- scanner


@pytest.mark.parametrize("fmt", ["CSV", "JSONL"])
def test_the_scanner_finds_every_row_where_pyarrow_starts_it(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(row_index, "CHECKPOINT_BYTES", 1)  # a mark after every row
    if fmt == "CSV":
        data = tricky_csv(400)
    else:
        rows = [json.dumps({"id": i, "text": f"x{i}\n" * (i % 4)}) for i in range(400)]
        data = "\n".join(r + ("\n  \r" if i % 7 == 0 else "") for i, r in enumerate(rows)).encode()  # no final \n
    expected = whole_file(data, fmt)
    scanner = row_index.RowScanner(fmt, ",", 0, 0, header=fmt == "CSV")
    rng, at = random.Random(5), 0
    while at < len(data):
        piece = rng.randint(1, 700)
        scanner.feed(data[at : at + piece])
        at += piece
    scanner.finish()

    assert not scanner.lost and scanner.row == expected.num_rows
    marks = dict(scanner.marks)
    assert sorted(marks) == list(range(1, expected.num_rows + 1))
    for row in range(1, expected.num_rows, 37):
        rest = data[marks[row] :]
        if fmt == "CSV":
            rest = scanner.header_bytes + rest
        assert whole_file(rest, fmt).to_pylist() == expected.slice(row).to_pylist()


# ------------------------------------------------------------------------------------------- reading the slice


@pytest.mark.parametrize("order", ["in order", "last job first"])
def test_each_writer_downloads_about_its_slice_and_writes_the_rows_of_a_read_from_row_0(
    s3: Any, order: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(row_index, "CHECKPOINT_BYTES", 16 << 10)
    data = tricky_csv(3000)
    key = "inputs/p/tricky.csv"
    s3.put_object(Bucket=BUCKET, Key=key, Body=data)
    put_outputs(s3, range(3000))
    slices = [(first, 300) for first in range(0, 3000, 300)]
    if order != "in order":
        slices = slices[-1:] + slices[:-1]

    results = run_slices(s3, key, "CSV", slices)

    expected = whole_file(data, "CSV")
    slice_bytes = len(data) / 10
    for (first, count), (table, downloaded) in zip(slices, results, strict=True):
        assert table.select(expected.column_names).to_pylist() == expected.slice(first, count).to_pylist()
        assert table["record_id"].to_pylist() == [str(i).zfill(11) for i in range(first, first + count)]
        if order == "in order" or first != 2700:
            # its slice, the piece of the one GET that arrived after the slice's end, and at most one checkpoint gap
            assert downloaded < slice_bytes + (1 << 20) + (16 << 10), (first, downloaded)
    if order == "in order":
        assert sum(downloaded for _, downloaded in results) < len(data) + 10 * (1 << 20)
    else:
        assert results[0][1] == len(data)  # the last job's writer, first to run, scanned the whole file once


def test_a_second_output_file_of_the_same_job_starts_at_its_slice(s3: Any) -> None:
    data = b"id,text\n" + b"".join(f"{i},{'t' * 2000}\n".encode() for i in range(2000))
    key = "inputs/p/wide.csv"
    s3.put_object(Bucket=BUCKET, Key=key, Body=data)
    put_outputs(s3, range(1500, 1600))

    first, again = run_slices(s3, key, "CSV", [(1500, 100), (1500, 100)])

    assert first[0].to_pylist() == again[0].to_pylist()
    assert first[1] >= 1500 * 2000  # scanned the rows before the slice
    assert again[1] < 100 * 2010 + (1 << 20)  # read from the checkpoint its first run left at row 1500


def test_jsonl_read_from_a_checkpoint_keeps_the_schema_of_the_files_first_block(s3: Any) -> None:
    rows = [{"id": i, "score": i * 1.5, "tags": [f"t{i}"], "text": "y" * 3000} for i in range(4000)]
    rows[3990]["score"] = 7  # an integer where the first block has doubles
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    key = "inputs/p/rows.jsonl"
    s3.put_object(Bucket=BUCKET, Key=key, Body=data)
    put_outputs(s3, range(4000))

    results = run_slices(s3, key, "JSONL", [(3900, 100), (3950, 50), (0, 100)])

    expected = whole_file(data, "JSONL")
    for (table, _), (first, count) in zip(results, [(3900, 100), (3950, 50), (0, 100)], strict=True):
        assert table.select(expected.column_names).to_pylist() == expected.slice(first, count).to_pylist()
        assert table.schema.field("score").type == pa.float64()
    assert results[1][1] < 50 * 3100 + (1 << 20)


def test_checkpoints_of_an_earlier_upload_of_the_key_are_not_used(s3: Any) -> None:
    key = "inputs/p/again.csv"
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"id,text\n" + b"".join(f"{i},old {i}\n".encode() for i in range(500)))
    put_outputs(s3, range(500))
    run_slices(s3, key, "CSV", [(400, 100)])
    s3.put_object(
        Bucket=BUCKET, Key=key, Body=b"id,text\n" + b"".join(f"{i},new text {i}\n".encode() for i in range(500))
    )

    ((table, _),) = run_slices(s3, key, "CSV", [(400, 100)])

    assert table["text"].to_pylist() == [f"new text {i}" for i in range(400, 500)]


def test_an_index_that_cannot_be_listed_means_reading_from_the_file_start(s3: Any) -> None:
    key = "inputs/p/plain.csv"
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"id\n" + b"".join(f"{i}\n".encode() for i in range(300)))
    put_outputs(s3, range(300))

    class Denied:
        def __init__(self, paginator: Any) -> None:
            self._paginator = paginator

        def paginate(self, **kwargs: Any) -> Any:
            if kwargs["Prefix"].startswith(row_index.INDEX_PREFIX):
                raise PermissionError("AccessDenied")
            return self._paginator.paginate(**kwargs)

    class NoList(CountingS3):
        def get_paginator(self, name: str) -> Any:
            return Denied(self._client.get_paginator(name))

    app._s3_client = NoList(s3, key)
    try:
        event = {
            "Bucket": BUCKET,
            "InputKey": key,
            "InputFormat": "CSV",
            "OutputPrefix": OUTPUT_PREFIX,
            "ResultKey": "results/r.parquet",
            "RecordIdOffset": 200,
            "RecordCount": 100,
        }
        assert app.handler(event)["Rows"] == 100
    finally:
        app._s3_client = None


# ------------------------------------------------------------------------------------------ writing to S3


def test_a_result_larger_than_a_part_is_a_multipart_upload_and_nothing_is_written_to_tmp(
    s3: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(s3_files.S3UploadStream.__init__, "__defaults__", (5 << 20,))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    key = "inputs/p/big.csv"
    rng = random.Random(1)
    text = [bytes(rng.getrandbits(8) for _ in range(64)).hex() for _ in range(200)]
    s3.put_object(
        Bucket=BUCKET, Key=key, Body=b"id,text\n" + b"".join(f"{i},{text[i % 200]}{i}\n".encode() for i in range(60000))
    )
    put_outputs(s3, range(60000))
    calls: list[str] = []
    original = s3.upload_part

    def upload_part(**kwargs: Any) -> Any:
        calls.append(kwargs["PartNumber"])
        return original(**kwargs)

    monkeypatch.setattr(s3, "upload_part", upload_part)

    ((table, _),) = run_slices(s3, key, "CSV", [(0, 60000)])

    assert len(calls) >= 2 and table.num_rows == 60000
    assert list(tmp_path.iterdir()) == []


def test_a_failed_join_leaves_no_result_and_no_open_upload(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(s3_files.S3UploadStream.__init__, "__defaults__", (5 << 20,))
    key = "inputs/p/fails.csv"
    s3.put_object(
        Bucket=BUCKET, Key=key, Body=b"id,text\n" + b"".join(f"{i},{'z' * 200}{i}\n".encode() for i in range(60000))
    )
    put_outputs(s3, range(60000))
    original = app._join

    def join_then_fail(*args: Any) -> Any:
        original(*args)
        raise RuntimeError("boom")

    monkeypatch.setattr(app, "_join", join_then_fail)

    with pytest.raises(RuntimeError):
        run_slices(s3, key, "CSV", [(0, 60000)])

    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="results/")
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
