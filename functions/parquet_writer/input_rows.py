"""The rows of the original input file, streamed from S3 as Arrow record batches numbered in file order.

Row ``i`` (from 0, header excluded) is the record ``str(i).zfill(11)`` of the batch jobs. CSV and JSONL are read
from the body of one ranged GET as it arrives (no copy on disk), from the last checkpoint of the shared row index
at or before the slice (see ``row_index``): the rows before the slice are only delimited, the slice is parsed, and
reading ends where the slice does. Parquet is read with ranged GETs, footer first, then only the row groups that
overlap the slice. CSV is read by ``csv_rows`` with the rules of Step Functions' CSV reader (ragged rows padded or
cut, values all strings), the view the workflow that built the prompts had; JSONL keys become columns (pyarrow's
JSON reader); Parquet keeps its schema.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.json as pajson
import pyarrow.parquet as pq
from botocore.exceptions import ClientError

if __package__:
    from . import csv_rows, row_index
    from .s3_files import PacedStream, S3RangeFile, ScannedStream
else:  # deployed: the function folder is the import root
    import csv_rows
    import row_index
    from s3_files import PacedStream, S3RangeFile, ScannedStream

log = logging.getLogger("parquet_writer")

FORMATS = ("CSV", "JSONL", "PARQUET")
# Step Functions' CSVDelimiter names are accepted as well as the characters themselves.
DELIMITER_NAMES = {"COMMA": ",", "TAB": "\t", "SEMICOLON": ";", "PIPE": "|", "SPACE": " "}
DELIMITERS = frozenset(DELIMITER_NAMES.values())

# pyarrow reads JSON Lines a block at a time, and a row must fit in one: 8 MiB is far beyond any prompt, and the
# blocks in flight (see PacedStream) are the largest thing held beside the answers.
_BLOCK_SIZE = 8 << 20
_PARQUET_BATCH_ROWS = 64 * 1024


@dataclass
class InputRows:
    schema: pa.Schema
    batches: Iterator[tuple[int, pa.RecordBatch]]  # (number of the batch's first row, batch), in file order
    ragged: csv_rows.RaggedRows | None = None  # CSV: the slice's rows padded or cut, counted as batches are taken


def open_input(
    s3: Any, bucket: str, key: str, input_format: str, delimiter: str, first_row: int, end_row: int | None
) -> InputRows:
    """Open ``s3://bucket/key``; its batches cover at least ``[first_row, end_row)`` (``None``: to the end)."""
    where = f"s3://{bucket}/{key}"
    fmt = input_format.upper()
    if fmt not in FORMATS:
        raise ValueError(f"cannot read {where}: InputFormat {input_format!r} is not one of {', '.join(FORMATS)}")
    ragged = csv_rows.RaggedRows(first_row, end_row) if fmt == "CSV" else None
    try:
        if fmt == "PARQUET":
            schema, batches = _open_parquet(s3, bucket, key, first_row, end_row)
        else:
            schema, batches = _open_text(s3, bucket, key, fmt, delimiter, first_row, end_row, ragged)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            raise ValueError(f"input object {where} does not exist") from None
        raise
    except pa.ArrowException as error:
        raise ValueError(f"cannot read {where} as {fmt}: {_without_data(error)}") from None
    return InputRows(schema, _guarded(batches, where, fmt), ragged)


def _open_text(
    s3: Any,
    bucket: str,
    key: str,
    fmt: str,
    delimiter: str,
    first_row: int,
    end_row: int | None,
    ragged: csv_rows.RaggedRows | None,
) -> tuple[pa.Schema, Iterator[tuple[int, pa.RecordBatch]]]:
    """CSV or JSON Lines rows from ``first_row`` on, read from the row index's checkpoint before them."""
    head = s3.head_object(Bucket=bucket, Key=key)
    size, etag = head["ContentLength"], head["ETag"]
    prefix = row_index.index_prefix(bucket, key, etag, fmt, delimiter)
    start = row_index.find_checkpoint(s3, bucket, prefix, first_row) if first_row > 0 else row_index.FILE_START
    if start.byte > 0 and (start.columns is None if fmt == "CSV" else start.schema is None):
        start = row_index.FILE_START  # not a checkpoint this reader can start from
    body = _get_range(s3, bucket, key, etag, start.byte, size)
    try:
        if fmt == "CSV":
            counter = row_index.RowMarks(start.row, start.byte, mark_row=first_row, stop_row=end_row)
            at = csv_rows.Start(start.row, start.byte, start.columns)
            schema, rows = csv_rows.read_rows(
                body, delimiter, ragged, start=at, first_row=first_row, end_row=end_row, passed=counter.passed
            )
            batches = _numbered_rows(rows, body, first_row)
            index = _IndexUpdate(s3, bucket, prefix, counter, first_row, tuple(schema.names), None)
        else:
            schema, batches, counter = _open_jsonl_from(body, start, first_row, end_row)
            index = _IndexUpdate(s3, bucket, prefix, counter, first_row, None, schema)
    except BaseException:
        body.close()
        raise
    log.info("input s3://%s/%s: read from row %d (byte %d) for row %d", bucket, key, start.row, start.byte, first_row)
    return schema, index.follow(batches)


def _numbered_rows(
    batches: Iterator[pa.RecordBatch], body: Any, first_row: int
) -> Iterator[tuple[int, pa.RecordBatch]]:
    row = first_row
    try:
        for batch in batches:
            yield row, batch
            row += batch.num_rows
    finally:
        batches.close()
        body.close()  # the rest of the object is not downloaded


def _open_jsonl_from(
    body: Any, start: row_index.Checkpoint, first_row: int, end_row: int | None
) -> tuple[pa.Schema, Iterator[tuple[int, pa.RecordBatch]], row_index.JsonLinesScanner]:
    """JSON Lines from ``start``: the lines before ``first_row`` are only delimited, pyarrow parses the slice."""
    scanner = row_index.JsonLinesScanner(start.row, start.byte, mark_row=first_row, stop_row=end_row)
    infer_here = start.schema is None and first_row > start.row  # the first block is skipped
    stream = ScannedStream(body, scanner, keep_first=_BLOCK_SIZE if infer_here else 0)
    try:
        stream.skip_to(first_row)
        json_schema = _jsonl_schema(bytes(stream.first_bytes)) if infer_here else start.schema
        schema, batches = _open_jsonl(stream, json_schema)
    except BaseException:
        stream.close()
        raise
    return schema, _from_row(batches, first_row), scanner


def _get_range(s3: Any, bucket: str, key: str, etag: str, first_byte: int, size: int) -> Any:
    """The object from ``first_byte`` on, as long as it is still the object whose ETag was read."""
    if first_byte >= size:
        return io.BytesIO(b"")
    return s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={first_byte}-", IfMatch=etag)["Body"]


def _jsonl_schema(first_bytes: bytes) -> pa.Schema:
    """The schema pyarrow's streaming reader infers from the file's first block (its whole lines)."""
    whole = first_bytes[: first_bytes.rfind(b"\n") + 1] if len(first_bytes) >= _BLOCK_SIZE else first_bytes
    return pajson.open_json(io.BytesIO(whole), read_options=pajson.ReadOptions(block_size=_BLOCK_SIZE)).schema


def _from_row(batches: Iterator[tuple[int, pa.RecordBatch]], first_row: int) -> Iterator[tuple[int, pa.RecordBatch]]:
    """Number the batches of a stream that starts at ``first_row``."""
    try:
        for row, batch in batches:
            yield first_row + row, batch
    finally:
        batches.close()


class _IndexUpdate:
    """Once every batch is taken, checks the rows parsed against the rows counted and writes the checkpoints passed."""

    def __init__(
        self,
        s3: Any,
        bucket: str,
        prefix: str,
        counter: row_index.RowMarks,
        first_row: int,
        columns: tuple[str, ...] | None,
        schema: pa.Schema | None,
    ) -> None:
        self._s3, self._bucket, self._prefix = s3, bucket, prefix
        self._counter, self._first_row = counter, first_row
        self._start_byte = counter.byte
        self._columns, self._schema = columns, schema

    def follow(self, batches: Iterator[tuple[int, pa.RecordBatch]]) -> Iterator[tuple[int, pa.RecordBatch]]:
        parsed = 0
        try:
            for row, batch in batches:
                parsed += batch.num_rows
                yield row, batch
        finally:
            batches.close()
        self._finish(parsed)  # not reached when the consumer stops early: then the counts are partial

    def _finish(self, parsed: int) -> None:
        counter = self._counter
        if counter.lost:
            log.warning("input rows could not be delimited as pyarrow reads them: the row index is not updated")
            return
        counted = max(counter.row - self._first_row, 0)  # rows counted from the slice's first row on
        if parsed != counted:
            raise ValueError(
                f"{parsed} rows were parsed from row {self._first_row} on, where {counted} were counted:"
                f" delete s3://{self._bucket}/{self._prefix} and report it"
            )
        checkpoints = [row_index.Checkpoint(row, byte, self._columns, self._schema) for row, byte in counter.marks]
        written = row_index.write_checkpoints(self._s3, self._bucket, self._prefix, checkpoints)
        log.info(
            "input read: bytes %d to %d delimited or parsed, rows %d to %d parsed; %d row index checkpoints written",
            self._start_byte,
            counter.reached,
            self._first_row,
            self._first_row + parsed,
            written,
        )


def _open_jsonl(body: Any, schema: pa.Schema | None = None) -> tuple[pa.Schema, Iterator[tuple[int, pa.RecordBatch]]]:
    """``schema``: the one inferred from the file's first block, when ``body`` starts after it."""
    paced = PacedStream(body)
    try:
        reader = paced.call(
            pajson.open_json,
            paced,
            read_options=pajson.ReadOptions(block_size=_BLOCK_SIZE),
            parse_options=pajson.ParseOptions(explicit_schema=schema),
        )
    except BaseException:
        paced.close()
        raise
    return reader.schema, _numbered(reader, paced)


def _numbered(reader: Any, stream: PacedStream) -> Iterator[tuple[int, pa.RecordBatch]]:
    row = 0
    try:
        for batch in stream.batches(reader):
            yield row, batch
            row += batch.num_rows
    finally:
        stream.close()  # before the reader goes: its I/O thread may be waiting to read


def _open_parquet(
    s3: Any, bucket: str, key: str, first_row: int, end_row: int | None
) -> tuple[pa.Schema, Iterator[tuple[int, pa.RecordBatch]]]:
    size = s3.head_object(Bucket=bucket, Key=key)["ContentLength"]
    parquet = pq.ParquetFile(io.BufferedReader(S3RangeFile(s3, bucket, key, size), buffer_size=1 << 20))
    groups, first_group_row, row = [], None, 0
    for index in range(parquet.metadata.num_row_groups):
        rows = parquet.metadata.row_group(index).num_rows
        if row + rows > first_row and (end_row is None or row < end_row):
            groups.append(index)
            first_group_row = row if first_group_row is None else first_group_row
        row += rows
    return parquet.schema_arrow, _numbered_parquet(parquet, groups, first_group_row or 0)


def _numbered_parquet(parquet: pq.ParquetFile, groups: list[int], row: int) -> Iterator[tuple[int, pa.RecordBatch]]:
    if not groups:
        return
    for batch in parquet.iter_batches(batch_size=_PARQUET_BATCH_ROWS, row_groups=groups):
        yield row, batch
        row += batch.num_rows


def _guarded(batches: Iterator[tuple[int, pa.RecordBatch]], where: str, fmt: str) -> Iterator:
    """Turn a read error in the middle of the file into a ValueError that names the object."""
    try:
        yield from batches
    except pa.ArrowException as error:
        raise ValueError(f"cannot read {where} as {fmt}: {_without_data(error)}") from None
    finally:
        batches.close()


def _without_data(error: Exception) -> str:
    """pyarrow quotes the offending row after the second colon; keep rows (maybe prompts) out of errors and logs."""
    return ": ".join(str(error).split(": ")[:2])
