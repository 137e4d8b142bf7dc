"""The Parquet writer at scale, against moto S3: each job's writer downloads about its slice (the shared row index),
the rows it writes are those a read from row 0 gives, and the Parquet file is streamed to S3 without /tmp.

CSV rows are the Distributed Map CSV reader's (``csv_rows``, checked against the offline ItemReader): ragged rows are
padded or cut, a backslash escapes, only ``\\n`` ends a line; a read from a checkpoint must give the same rows.
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.json as pajson
import pyarrow.parquet as pq
import pytest
from writer_harness import BUCKET, load_like_lambda

from bedrock_batch.offline.distributed.item_reader import _csv_items, _jsonl_items

RUN_ID = "0123456789abcdef"
OUTPUT_PREFIX = "batch-output/job/abc123def456/"


app, row_index, s3_files, csv_rows = load_like_lambda("parquet_writer_app_scale", "row_index", "s3_files", "csv_rows")


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
def s3(moto_s3: Any) -> Any:
    return moto_s3


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
    """Everything the CSV reader's rules touch: quoted newlines and delimiters, doubled quotes (in quoted and unquoted
    values), a quote inside an unquoted value, backslash escapes (of a quote, the delimiter, a newline inside quotes,
    a backslash at a line's end), short and long rows, blank lines, CRLF and a lone CR (data, not a line end)."""
    rng = random.Random(3)
    lines = [b"id,text,note\r\n"]
    for i in range(rows):
        text = rng.choice(
            [
                f'"line one\nline two {i}"',
                f'"say ""hi"", {i}"',
                f"plain {i}",
                f'5" screen {i}',
                f'"escaped \\" quote,\\\nnewline {i}"',
                f"escaped \\, comma {i}",
                f'"{i}" and after',
                f"a \r b {i}",
            ]
        )
        note = rng.choice(["", '"a\r\nb"', "x" * rng.randint(0, 300), "ends with a backslash\\"])
        fields = [str(i), text, note]
        shape = rng.random()
        if shape < 0.05:
            fields = fields[:1]  # short: padded with empty strings
        elif shape < 0.10:
            fields += ["extra", '"more\nextra"']  # long: the extra fields are dropped
        lines.append(",".join(fields).encode() + rng.choice([b"\n", b"\r\n"]))
        if rng.random() < 0.05:
            lines.append(rng.choice([b"\n", b"\r\n"]))
    return b"".join(lines)


def run_slices(
    s3: Any, key: str, fmt: str, slices: list[tuple[int, int]], ranges: list[str | None] | None = None
) -> list[tuple[pa.Table, int]]:
    """Each slice's writer in turn: (rows it wrote, input bytes it downloaded); ``ranges`` gets the GETs' ranges."""
    results = []
    for first, count in slices:
        counting = CountingS3(s3, key)
        counting.ranges = ranges if ranges is not None else counting.ranges
        app._s3_client = counting
        result_key = f"results/run/job-{first}.parquet"
        answer = app.handler(
            {
                "Bucket": BUCKET,
                "RunId": RUN_ID,
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


class _Body(io.BytesIO):
    def iter_chunks(self, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        while chunk := self.read(chunk_size):
            yield chunk


def whole_file(data: bytes, fmt: str) -> pa.Table:
    """The file as the offline Distributed Map ItemReader reads it: the rows the batch jobs' records came from."""
    if fmt == "CSV":
        config = {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "CSVDelimiter": "COMMA"}
        items = list(_csv_items(_Body(data), config, "s3://b/k", "pad"))
        names = next(csv_rows.CsvDialect(",").records([data]))[1]
        return pa.Table.from_pylist(items, schema=pa.schema([(name, pa.string()) for name in names]))
    assert len(list(_jsonl_items(_Body(data), "s3://b/k"))) == pajson.read_json(io.BytesIO(data)).num_rows
    return pajson.read_json(io.BytesIO(data), read_options=pajson.ReadOptions(block_size=8 << 20))


# ----------------------------------------------------------------------------------------------------- scanner


def test_every_csv_row_read_from_where_the_delimiting_found_it_is_the_item_readers_row() -> None:
    """The row index's CSV checkpoints come from csv_rows delimiting records without values: reading from any of
    them, with the header's columns, gives the ItemReader's rows from there (ragged rows, escapes and all)."""
    data = tricky_csv(400)
    expected = whole_file(data, "CSV")
    counter = row_index.RowMarks(0, 0)
    schema, batches = csv_rows.read_rows(
        io.BytesIO(data), ",", first_row=expected.num_rows, passed=counter.passed
    )  # every row only delimited
    assert list(batches) == [] and counter.row == expected.num_rows
    ends: list[int] = []
    counter = row_index.RowMarks(0, 0)
    _, parsed = csv_rows.read_rows(io.BytesIO(data), ",", passed=lambda at: ends.append(at) or counter.passed(at))
    assert pa.Table.from_batches(list(parsed), schema=schema).to_pylist() == expected.to_pylist()
    assert counter.reached == counter.byte + len(data)

    columns = tuple(schema.names)
    for row in range(1, expected.num_rows, 7):
        at = ends[row - 1]
        start = csv_rows.Start(row, at, columns)
        _, batches = csv_rows.read_rows(io.BytesIO(data[at:]), ",", start=start, first_row=row, end_row=row + 20)
        rows = pa.Table.from_batches(list(batches), schema=schema).to_pylist()
        assert rows == expected.slice(row, 20).to_pylist(), row


def test_the_json_lines_scanner_finds_every_row_where_pyarrow_and_the_item_reader_start_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(row_index, "CHECKPOINT_BYTES", 1)  # a mark after every row
    rows = [json.dumps({"id": i, "text": f"x{i}\n" * (i % 4)}) for i in range(400)]
    blanks = ["\n  \r", "\n\t", "\n\r", "\n"]
    data = "\n".join(r + (blanks[i % 4] if i % 7 == 0 else "") for i, r in enumerate(rows)).encode() + b"\n \t"
    expected = whole_file(data, "JSONL")  # also checks that the offline reader skips the same blank lines
    scanner = row_index.JsonLinesScanner(0, 0)
    rng, at = random.Random(5), 0
    while at < len(data):
        piece = rng.randint(1, 700)
        scanner.feed(data[at : at + piece])
        at += piece
    scanner.finish()

    assert not scanner.lost and scanner.row == expected.num_rows == 400
    marks = dict(scanner.marks)
    assert sorted(marks) == list(range(1, expected.num_rows + 1))
    for row in range(1, expected.num_rows, 37):
        assert whole_file(data[marks[row] :], "JSONL").to_pylist() == expected.slice(row).to_pylist()


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
        assert table["record_id"].to_pylist() == [f"{RUN_ID}-{i:011d}" for i in range(first, first + count)]
        if order == "in order" or first != 2700:
            # its slice, the piece of the one GET that arrived after the slice's end, and at most one checkpoint gap
            assert downloaded < slice_bytes + (1 << 20) + (16 << 10), (first, downloaded)
    if order == "in order":
        assert sum(downloaded for _, downloaded in results) < len(data) + 10 * (1 << 20)
    else:
        assert results[0][1] == len(data)  # the last job's writer, first to run, scanned the whole file once


@pytest.mark.parametrize("before", ["quoted multi-line field", "short row", "long row"])
def test_a_slice_after_a_tricky_row_read_from_its_checkpoint_is_the_slice_read_from_row_0(s3: Any, before: str) -> None:
    """The checkpoint the previous job's writer leaves at the slice's first row is where the reader's row starts:
    after the whole quoted field (newlines, doubled and escaped quotes, an escaped newline) or the ragged row, and
    before the blank lines that follow it."""
    tricky = {
        "quoted multi-line field": '99,"first line\nsecond, with a comma\n""doubled"" \\"escaped\\" \\\nend",x\r\n',
        "short row": "99\n",
        "long row": '99,"a\nb",c,extra,"more\nextra"\n',
    }[before]
    head = b"id,text,note\n" + b"".join(f'{i},"text\n{i}",n\\,{i}\n'.encode() for i in range(99)) + tricky.encode()
    data = head + b"\r\n\n" + b"".join(f"{i},text {i},note {i}\n".encode() for i in range(100, 200))
    put_outputs(s3, range(200))
    for key in ("inputs/p/indexed.csv", "inputs/p/fresh.csv"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=data)
    indexed: list[str | None] = []
    fresh: list[str | None] = []

    from_checkpoint = run_slices(s3, "inputs/p/indexed.csv", "CSV", [(0, 100), (100, 100)], indexed)[1]
    (from_row_0,) = run_slices(s3, "inputs/p/fresh.csv", "CSV", [(100, 100)], fresh)

    assert indexed == ["bytes=0-", f"bytes={len(head)}-"]  # the second writer started right after the tricky row
    assert fresh == ["bytes=0-"]
    assert from_checkpoint[0].drop_columns(["input_key"]) == from_row_0[0].drop_columns(["input_key"])
    expected = whole_file(data, "CSV").slice(100, 100).to_pylist()
    assert from_checkpoint[0].select(["id", "text", "note"]).to_pylist() == expected
    assert from_checkpoint[1] <= len(data) - len(head)
    ((first_slice, _),) = run_slices(s3, "inputs/p/fresh.csv", "CSV", [(0, 100)])
    assert (
        first_slice.select(["id", "text", "note"]).slice(99).to_pylist()
        == whole_file(data, "CSV").slice(99, 1).to_pylist()
    )


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
            "RunId": RUN_ID,
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
