"""The rows of the original input file, streamed from S3 as Arrow record batches numbered in file order.

Row ``i`` (from 0, header excluded) is the record ``str(i).zfill(11)`` of the batch jobs. CSV and JSONL are read
from the GET body as it arrives (no copy on disk, stop as soon as the slice is read); Parquet is read with ranged
GETs, footer first, then only the row groups that overlap the slice. CSV values all stay strings, the view Step
Functions' CSV reader gives the workflow that built the prompts; JSONL keys become columns; Parquet keeps its schema.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.json as pajson
import pyarrow.parquet as pq
from botocore.exceptions import ClientError

if __package__:
    from . import csv_rows
    from .s3_files import PacedStream, S3RangeFile
else:  # deployed: the function folder is the import root
    import csv_rows
    from s3_files import PacedStream, S3RangeFile

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
            body = _get_body(s3, bucket, key)
            try:
                schema, batches = _open_csv(body, delimiter, ragged) if fmt == "CSV" else _open_jsonl(body)
            except BaseException:
                body.close()
                raise
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            raise ValueError(f"input object {where} does not exist") from None
        raise
    except pa.ArrowException as error:
        raise ValueError(f"cannot read {where} as {fmt}: {_without_data(error)}") from None
    return InputRows(schema, _guarded(batches, where, fmt), ragged)


def _get_body(s3: Any, bucket: str, key: str) -> Any:
    return s3.get_object(Bucket=bucket, Key=key)["Body"]


def _open_csv(
    body: Any, delimiter: str, ragged: csv_rows.RaggedRows | None
) -> tuple[pa.Schema, Iterator[tuple[int, pa.RecordBatch]]]:
    """Rows as Step Functions' CSV reader gives them (ragged rows padded or cut, see ``csv_rows``), not pyarrow's."""
    schema, batches = csv_rows.read_rows(body, delimiter, ragged)
    return schema, _numbered_rows(batches, body)


def _numbered_rows(batches: Iterator[pa.RecordBatch], body: Any) -> Iterator[tuple[int, pa.RecordBatch]]:
    row = 0
    try:
        for batch in batches:
            yield row, batch
            row += batch.num_rows
    finally:
        body.close()


def _open_jsonl(body: Any) -> tuple[pa.Schema, Iterator[tuple[int, pa.RecordBatch]]]:
    paced = PacedStream(body)
    try:
        reader = paced.call(pajson.open_json, paced, read_options=pajson.ReadOptions(block_size=_BLOCK_SIZE))
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
