"""Where the rows of a CSV or JSON Lines input start, so that a job's writer reads its slice, not the file before it.

A batch job's slice is rows ``[RecordIdOffset, RecordIdOffset + RecordCount)`` of the input file, but a row number
says nothing about where the row starts in the file: CSV values may hold quoted newlines. Read from byte 0, the
200 writers of a 10-million-row input (50,000 rows a job) would download about 100 times the file between them.

So the writers share a sparse index: checkpoints ``(row, byte)`` saying that row ``row`` starts at byte ``byte``,
each one small object ``<INDEX_PREFIX><digest>/<row:012d>.json`` beside the run's other staging files (the bucket's
``staging/`` lifecycle rule expires them). ``digest`` names the object's key, its ETag, the format, the delimiter
and ``RULES`` (the version of the row rules below), so a file uploaded again, read another way or by other rules,
never uses another's checkpoints. A writer:

1. lists the checkpoints and starts from the last one at or before its first row (the file start when there is
   none), with one ranged GET pinned to the ETag;
2. only delimits the rows up to its first row (no values are built), parses the rows of its slice and stops at the
   byte where the slice ends; ``RowMarks`` counts the rows passed and notes where the checkpoints fall;
3. checks that the rows parsed are as many as the rows counted, then writes the checkpoints it passed: its first
   row, the row after its slice (the next job's first row) and one every ``CHECKPOINT_BYTES`` in between.

Checkpoints are facts about an immutable object, so writers racing to write the same one write the same bytes; no
lock is needed. The index only saves reading: when it cannot be listed, read or written, the writer reads from the
file start as it always could. The rows are those of the readers that number them:

* CSV: the Distributed Map CSV reader's, as ``csv_rows.CsvDialect`` implements them; the same code delimits the
  rows before the slice and parses the slice (a line ends at ``\\n`` only, quoted fields hold newlines, a
  backslash escapes the next character, ragged rows are rows, blank lines are not, the first record is the header).
  A checkpoint carries the header's columns, so a read from its byte knows them;
* JSON Lines (``JsonLinesScanner`` delimits, pyarrow's JSON reader parses the slice): a line ends at ``\\n``; a
  line of JSON whitespace only (space, tab, ``\\r``) is not a row, as for pyarrow and the offline reader (which
  skips every line ``str.strip`` empties; a line of other whitespace, a form feed say, is not JSON, and pyarrow
  refuses the file). A checkpoint carries the schema pyarrow infers from the file's first block.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

log = logging.getLogger("parquet_writer")

INDEX_PREFIX = "staging/row-index/"
RULES = "csv_rows-1"  # the rules of the rows checkpoints follow: the index of other rules is never read
CHECKPOINT_BYTES = 16 << 20  # a writer without a checkpoint near its slice reads at most this much before it


@dataclass(frozen=True)
class Checkpoint:
    row: int
    byte: int
    columns: tuple[str, ...] | None = None  # CSV: the header's columns, for a read that starts after the header
    schema: pa.Schema | None = None  # JSON Lines: the schema pyarrow infers from the file's first block

    def body(self) -> bytes:
        return json.dumps(
            {
                "row": self.row,
                "byte": self.byte,
                "columns": None if self.columns is None else list(self.columns),
                "schema": None
                if self.schema is None
                else base64.b64encode(self.schema.serialize().to_pybytes()).decode("ascii"),
            }
        ).encode()

    @classmethod
    def parse(cls, body: bytes) -> Checkpoint:
        data = json.loads(body)
        columns, schema = data.get("columns"), data.get("schema")
        return cls(
            row=int(data["row"]),
            byte=int(data["byte"]),
            columns=None if columns is None else tuple(str(name) for name in columns),
            schema=None if schema is None else pa.ipc.read_schema(pa.py_buffer(base64.b64decode(schema))),
        )


FILE_START = Checkpoint(0, 0)


def index_prefix(bucket: str, key: str, etag: str, fmt: str, delimiter: str) -> str:
    digest = hashlib.sha256("\0".join((bucket, key, etag, fmt, delimiter, RULES)).encode()).hexdigest()[:32]
    return f"{INDEX_PREFIX}{digest}/"


def find_checkpoint(s3: Any, bucket: str, prefix: str, row: int) -> Checkpoint:
    """The last checkpoint at or before ``row``; the file start when there is none or the index cannot be read."""
    best = -1
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                name = item["Key"][len(prefix) :].removesuffix(".json")
                if name.isdigit() and best < int(name) <= row:
                    best = int(name)
        if best <= 0:
            return FILE_START
        return Checkpoint.parse(s3.get_object(Bucket=bucket, Key=f"{prefix}{best:012d}.json")["Body"].read())
    except Exception as error:  # noqa: BLE001 - the index only saves reading
        reason = type(error).__name__
        log.warning("row index s3://%s/%s not usable (%s): reading from the file start", bucket, prefix, reason)
        return FILE_START


def write_checkpoints(s3: Any, bucket: str, prefix: str, checkpoints: list[Checkpoint]) -> int:
    """Write each checkpoint (after row 0); return how many were written."""
    written = 0
    for checkpoint in checkpoints:
        if checkpoint.row <= 0:
            continue
        try:
            s3.put_object(Bucket=bucket, Key=f"{prefix}{checkpoint.row:012d}.json", Body=checkpoint.body())
            written += 1
        except Exception as error:  # noqa: BLE001 - the index only saves reading
            log.warning("row index s3://%s/%s not written (%s)", bucket, prefix, type(error).__name__)
            break
    return written


@dataclass
class RowMarks:
    """Counts the rows a reader passes, from a checkpoint on, and notes where the checkpoints to write fall.

    ``row`` is the row that starts at ``byte``, where reading starts, then the next row to pass; ``reached`` is where
    it starts. ``marks`` collects ``(row, byte)`` for the row ``mark_row`` (once reached), ``stop_row`` and a row every
    ``CHECKPOINT_BYTES``; ``stop_byte`` is where ``stop_row`` starts, the end of what needs reading. ``lost`` is set
    by a scanner when the bytes fit no row: the counts are then unusable.
    """

    row: int
    byte: int
    mark_row: int | None = None
    stop_row: int | None = None
    marks: list[tuple[int, int]] = field(default_factory=list)
    stop_byte: int | None = None
    lost: bool = False

    def __post_init__(self) -> None:
        self.reached = self.byte
        self._next_mark = self.byte + CHECKPOINT_BYTES
        if self.stop_row is not None and self.row >= self.stop_row:
            self._mark(self.byte)
            self.stop_byte = self.byte

    def passed(self, at: int) -> bool:
        """A row ended at byte ``at``, where the next one starts; True once that one is ``stop_row``."""
        self.row += 1
        self.reached = at
        if self.row == self.mark_row or at >= self._next_mark:
            self._mark(at)
        if self.row == self.stop_row:
            self._mark(at)
            self.stop_byte = at
            return True
        return False

    def _mark(self, at: int) -> None:
        if not self.marks or self.marks[-1][0] != self.row:
            self.marks.append((self.row, at))
        self._next_mark = at + CHECKPOINT_BYTES


_LONGEST_LINE = 64 << 20  # 8 times pyarrow's block: the reader would have failed long before
_JSON_LINE = re.compile(rb"([ \t\r]*+\n)|[^\n]*+\n")
_JSON_BLANK = re.compile(rb"[ \t\r\n]*+")


@dataclass
class JsonLinesScanner(RowMarks):
    """Counts the rows of a JSON Lines stream fed to it piece by piece, as pyarrow's JSON reader numbers them (a
    regular expression run in C, hundreds of MiB/s), without parsing them.

    ``byte`` is then where scanning is; ``lost`` is set when the bytes fit no line pyarrow would read.
    """

    def __post_init__(self) -> None:
        super().__post_init__()
        self._pending = b""  # bytes after the last line end seen, starting at self.byte

    @property
    def done(self) -> bool:
        return self.stop_byte is not None or self.lost

    def feed(self, data: bytes) -> None:
        if self.done:
            return
        buffer = self._pending + data if self._pending else data
        position, match = 0, _JSON_LINE.match
        while (found := match(buffer, position)) is not None:
            end = found.end()
            if found.start(1) < 0 and self.passed(self.byte + end):  # a line that is not blank
                position = end
                break
            position = end
        self.byte += position
        self._pending = b"" if self.done else buffer[position:]
        if len(self._pending) > _LONGEST_LINE:
            self.lost, self._pending = True, b""  # no line is this long: the bytes are not what pyarrow reads

    def finish(self) -> None:
        """The stream ended: what is left is the last line, without a line end."""
        if self.done:
            return
        rest, self._pending = self._pending, b""
        self.byte += len(rest)
        if _JSON_BLANK.fullmatch(rest) is None:
            self.passed(self.byte)
