"""The rows of the original input file, streamed from S3 as Arrow record batches numbered in file order.

Row ``i`` (from 0, header excluded) is the record ``str(i).zfill(11)`` of the batch jobs. CSV and JSONL are read
from the body of one ranged GET as it arrives (no copy on disk), from the last checkpoint of the shared row index
at or before the slice (see ``row_index``): the bytes before the slice are only scanned, the slice is parsed, and
the stream ends where the slice does. Parquet is read with ranged GETs, footer first, then only the row groups
that overlap the slice. CSV values all stay strings, the view Step
Functions' CSV reader gives the workflow that built the prompts; JSONL keys become columns; Parquet keeps its schema.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq
from botocore.exceptions import ClientError

if __package__:
    from . import row_index
    from .s3_files import PacedStream, PrefixedStream, S3RangeFile, ScannedStream
else:  # deployed: the function folder is the import root
    import row_index
    from s3_files import PacedStream, PrefixedStream, S3RangeFile, ScannedStream

log = logging.getLogger("parquet_writer")

FORMATS = ("CSV", "JSONL", "PARQUET")
# Step Functions' CSVDelimiter names are accepted as well as the characters themselves.
DELIMITER_NAMES = {"COMMA": ",", "TAB": "\t", "SEMICOLON": ";", "PIPE": "|", "SPACE": " "}
DELIMITERS = frozenset(DELIMITER_NAMES.values())

# pyarrow reads CSV and JSON Lines a block at a time, and a row must fit in one: 8 MiB is far beyond any prompt, and
# the blocks in flight (see PacedStream) are the largest thing held beside the answers.
_BLOCK_SIZE = 8 << 20
_PARQUET_BATCH_ROWS = 64 * 1024


@dataclass
class InputRows:
    schema: pa.Schema
    batches: Iterator[tuple[int, pa.RecordBatch]]  # (number of the batch's first row, batch), in file order


def open_input(
    s3: Any, bucket: str, key: str, input_format: str, delimiter: str, first_row: int, end_row: int | None
) -> InputRows:
    """Open ``s3://bucket/key``; its batches cover at least ``[first_row, end_row)`` (``None``: to the end)."""
    where = f"s3://{bucket}/{key}"
    fmt = input_format.upper()
    if fmt not in FORMATS:
        raise ValueError(f"cannot read {where}: InputFormat {input_format!r} is not one of {', '.join(FORMATS)}")
    try:
        if fmt == "PARQUET":
            schema, batches = _open_parquet(s3, bucket, key, first_row, end_row)
        else:
            schema, batches = _open_text(s3, bucket, key, fmt, delimiter, first_row, end_row)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            raise ValueError(f"input object {where} does not exist") from None
        raise
    except pa.ArrowException as error:
        raise ValueError(f"cannot read {where} as {fmt}: {_without_data(error)}") from None
    return InputRows(schema, _guarded(batches, where, fmt))


def _open_text(
    s3: Any, bucket: str, key: str, fmt: str, delimiter: str, first_row: int, end_row: int | None
) -> tuple[pa.Schema, Iterator[tuple[int, pa.RecordBatch]]]:
    """CSV or JSON Lines rows from ``first_row`` on, read from the row index's checkpoint before them."""
    head = s3.head_object(Bucket=bucket, Key=key)
    size, etag = head["ContentLength"], head["ETag"]
    prefix = row_index.index_prefix(bucket, key, etag, fmt, delimiter)
    start = row_index.find_checkpoint(s3, bucket, prefix, first_row) if first_row > 0 else row_index.FILE_START
    scanner = row_index.RowScanner(
        fmt,
        delimiter,
        start.row,
        start.byte,
        header=fmt == "CSV" and start.byte == 0,
        mark_row=first_row,
        stop_row=end_row,
    )
    infer_here = fmt == "JSONL" and start.schema is None and first_row > start.row  # the first block is skipped
    body = _get_range(s3, bucket, key, etag, start.byte, size)
    stream = ScannedStream(body, scanner, keep_first=_BLOCK_SIZE if infer_here else 0)
    try:
        stream.skip_to(first_row)
        header = start.header if start.header is not None else scanner.header_bytes
        json_schema = start.schema
        if infer_here:
            json_schema = _jsonl_schema(bytes(stream.first_bytes))
        if fmt == "CSV":
            text = stream if first_row == 0 and start.byte == 0 else PrefixedStream(header or b"", stream)
            schema, batches = _open_csv(text, delimiter)
        else:
            schema, batches = _open_jsonl(stream, json_schema)
    except BaseException:
        stream.close()
        raise
    log.info("input s3://%s/%s: read from row %d (byte %d) for row %d", bucket, key, start.row, start.byte, first_row)
    index = _IndexUpdate(s3, bucket, prefix, scanner, stream, first_row, header, schema if fmt == "JSONL" else None)
    return schema, index.follow(_from_row(batches, first_row))


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
    """Once every batch is taken, checks pyarrow's count against the scanner's and writes the checkpoints passed."""

    def __init__(
        self,
        s3: Any,
        bucket: str,
        prefix: str,
        scanner: row_index.RowScanner,
        stream: ScannedStream,
        first_row: int,
        header: bytes | None,
        schema: pa.Schema | None,
    ) -> None:
        self._s3, self._bucket, self._prefix = s3, bucket, prefix
        self._scanner, self._stream, self._first_row = scanner, stream, first_row
        self._header, self._schema = header, schema

    def follow(self, batches: Iterator[tuple[int, pa.RecordBatch]]) -> Iterator[tuple[int, pa.RecordBatch]]:
        end = self._first_row
        try:
            for row, batch in batches:
                end = row + batch.num_rows
                yield row, batch
        finally:
            batches.close()
        self._finish(end)  # not reached when the consumer stops early: then the scanner's counts are partial

    def _finish(self, parsed_end: int) -> None:
        scanner = self._scanner
        if scanner.lost:
            log.warning("input rows could not be scanned as pyarrow reads them: the row index is not updated")
            return
        if parsed_end != scanner.row:
            raise ValueError(
                f"pyarrow read rows {self._first_row} to {parsed_end} where the row scanner counted to {scanner.row}:"
                f" delete s3://{self._bucket}/{self._prefix} and report it"
            )
        header = self._header if self._header is not None else scanner.header_bytes  # read by now from byte 0
        if header is None and self._schema is None:
            return  # a CSV checkpoint without the header could not be read from
        checkpoints = [row_index.Checkpoint(row, byte, header, self._schema) for row, byte in scanner.marks]
        written = row_index.write_checkpoints(self._s3, self._bucket, self._prefix, checkpoints)
        log.info(
            "input read: %d bytes downloaded, rows %d to %d parsed; %d row index checkpoints written",
            self._stream.bytes_read,
            self._first_row,
            parsed_end,
            written,
        )


def _open_csv(body: Any, delimiter: str) -> tuple[pa.Schema, Iterator[tuple[int, pa.RecordBatch]]]:
    parse_options = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True)
    header, stream = _peek_header(body)
    if not header.strip():
        raise pa.ArrowInvalid("the file is empty: no header row")
    names = pacsv.read_csv(io.BytesIO(header), parse_options=parse_options).column_names
    paced = PacedStream(stream)
    try:
        reader = paced.call(
            pacsv.open_csv,
            paced,
            read_options=pacsv.ReadOptions(block_size=_BLOCK_SIZE),
            parse_options=parse_options,
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())),
        )
    except BaseException:
        paced.close()
        raise
    return reader.schema, _numbered(reader, paced)


def _peek_header(body: Any) -> tuple[bytes, PrefixedStream]:
    """The first CSV record (the header, quoted newlines included) and a stream that still starts with it."""
    seen = b""
    while True:
        chunk = body.read(64 * 1024)
        seen += chunk
        end = _first_record_end(seen)
        if end is not None or not chunk:
            return seen[: end or len(seen)], PrefixedStream(seen, body)


def _first_record_end(data: bytes) -> int | None:
    newline = data.find(b"\n")
    while newline >= 0:
        if data.count(b'"', 0, newline) % 2 == 0:
            return newline + 1
        newline = data.find(b"\n", newline + 1)
    return None


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
