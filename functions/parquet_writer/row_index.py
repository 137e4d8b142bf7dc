"""Where the rows of a CSV or JSON Lines input start, so that a job's writer reads its slice, not the file before it.

A batch job's slice is rows ``[RecordIdOffset, RecordIdOffset + RecordCount)`` of the input file, but a row number
says nothing about where the row starts in the file: CSV values may hold quoted newlines. Read from byte 0, the
200 writers of a 10-million-row input (50,000 rows a job) would download about 100 times the file between them.

So the writers share a sparse index: checkpoints ``(row, byte)`` saying that row ``row`` starts at byte ``byte``,
each one small object ``<INDEX_PREFIX><digest>/<row:012d>.json`` beside the run's other staging files (the bucket's
``staging/`` lifecycle rule expires them). ``digest`` names the object's key, its ETag, the format and the
delimiter, so a file uploaded again, or read another way, never uses another's checkpoints. A writer:

1. lists the checkpoints and starts from the last one at or before its first row (the file start when there is
   none), with one ranged GET pinned to the ETag;
2. scans the bytes up to its first row with ``RowScanner`` (a regular expression run in C, hundreds of MiB/s),
   without parsing them; the rows of the slice are parsed by pyarrow as before, and the stream ends at the byte
   where the slice ends, which the scanner finds;
3. checks that pyarrow parsed exactly as many rows as the scanner counted, then writes the checkpoints it passed:
   its first row, the row after its slice (the next job's first row) and one every ``CHECKPOINT_BYTES`` in between.

Checkpoints are facts about an immutable object, so writers racing to write the same one write the same bytes; no
lock is needed. The index only saves reading: when it cannot be listed, read or written, the writer reads from the
file start as it always could. The scanner follows the rules of pyarrow's readers, which number the rows:

* CSV (``newlines_in_values``, double quotes, ``""`` inside quotes, no escape character): a field that starts with
  ``"`` runs to the next lone ``"``, anything else to the next delimiter or line end; a line ends at ``\\n``, ``\\r``
  or ``\\r\\n``; empty lines are not rows; the first record of the file is the header;
* JSON Lines: a line ends at ``\\n``; lines of JSON whitespace only are not rows.
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
CHECKPOINT_BYTES = 16 << 20  # a writer without a checkpoint near its slice reads at most this much before it


@dataclass(frozen=True)
class Checkpoint:
    row: int
    byte: int
    header: bytes | None = None  # CSV: the header record, to put in front of bytes read from the middle
    schema: pa.Schema | None = None  # JSON Lines: the schema pyarrow infers from the file's first block

    def body(self) -> bytes:
        return json.dumps(
            {
                "row": self.row,
                "byte": self.byte,
                "header": None if self.header is None else base64.b64encode(self.header).decode("ascii"),
                "schema": None
                if self.schema is None
                else base64.b64encode(self.schema.serialize().to_pybytes()).decode("ascii"),
            }
        ).encode()

    @classmethod
    def parse(cls, body: bytes) -> Checkpoint:
        data = json.loads(body)
        header, schema = data.get("header"), data.get("schema")
        return cls(
            row=int(data["row"]),
            byte=int(data["byte"]),
            header=None if header is None else base64.b64decode(header),
            schema=None if schema is None else pa.ipc.read_schema(pa.py_buffer(base64.b64decode(schema))),
        )


FILE_START = Checkpoint(0, 0)


def index_prefix(bucket: str, key: str, etag: str, fmt: str, delimiter: str) -> str:
    digest = hashlib.sha256("\0".join((bucket, key, etag, fmt, delimiter)).encode()).hexdigest()[:32]
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


def _csv_record(delimiter: str) -> re.Pattern[bytes]:
    d = re.escape(delimiter.encode())
    value = rb'(?:"[^"]*+(?:""[^"]*+)*+"|(?!"))[^' + d + rb"\r\n]*+"
    return re.compile(value + rb"(?:" + d + value + rb")*+(?:\r\n|\n|\r)")


_LONGEST_RECORD = 64 << 20  # 8 times pyarrow's block: the reader would have failed long before
_JSON_LINE = re.compile(rb"([ \t\r]*+\n)|[^\n]*+\n")
_JSON_BLANK = re.compile(rb"[ \t\r\n]*+")


@dataclass
class RowScanner:
    """Counts the rows of a CSV or JSON Lines stream fed to it piece by piece, and notes where chosen rows start.

    ``row`` and ``byte`` are where scanning starts (a checkpoint); with ``header`` the first record is the CSV
    header (scanning from the file start), kept in ``header_bytes``. ``marks`` collects ``(row, byte)`` for the row
    ``mark_row`` (once reached), ``stop_row`` and a row every ``CHECKPOINT_BYTES``; ``stop_byte`` is where
    ``stop_row`` starts, after which nothing more is scanned. ``lost`` is set when the bytes fit no record: the
    counts are then unusable.
    """

    fmt: str
    delimiter: str
    row: int
    byte: int
    header: bool = False
    mark_row: int | None = None
    stop_row: int | None = None
    header_bytes: bytes | None = None
    marks: list[tuple[int, int]] = field(default_factory=list)
    stop_byte: int | None = None
    lost: bool = False

    def __post_init__(self) -> None:
        self._record = _csv_record(self.delimiter) if self.fmt == "CSV" else _JSON_LINE
        self._pending = b""  # bytes after the last record end seen, starting at self.byte
        self._next_mark = self.byte + CHECKPOINT_BYTES
        if self.stop_row is not None and self.row >= self.stop_row:
            self._mark(self.byte)
            self.stop_byte = self.byte

    @property
    def done(self) -> bool:
        return self.stop_byte is not None or self.lost

    def feed(self, data: bytes) -> None:
        if self.done:
            return
        buffer = self._pending + data if self._pending else data
        position, match, csv = 0, self._record.match, self.fmt == "CSV"
        end_of_buffer = len(buffer)
        while True:
            found = match(buffer, position)
            if found is None:
                break
            end = found.end()
            if csv and end == end_of_buffer and buffer[end - 1] == 13:
                break  # a "\r" at the end of what arrived may be the first half of "\r\n": wait for more
            if self.header:
                self.header, self.header_bytes = False, bytes(buffer[position:end])
            elif not (buffer[position] in (10, 13) if csv else found.start(1) >= 0):  # not an empty line
                self.row += 1
                if self._passed(self.byte + end):
                    position = end
                    break
            position = end
        self.byte += position
        self._pending = b"" if self.done else buffer[position:]
        if len(self._pending) > _LONGEST_RECORD:
            self.lost, self._pending = True, b""  # no record is this long: the bytes are not what pyarrow reads

    def finish(self) -> None:
        """The stream ended: what is left is the last record, without a line end."""
        if self.done:
            return
        rest, self._pending = self._pending, b""
        if self.header and rest:
            self.header, self.header_bytes = False, rest
        elif self.fmt == "CSV" and rest:
            if self._record.fullmatch(rest + b"\n") is None:
                self.lost = True
                return
            self.row += 1
        elif self.fmt != "CSV" and _JSON_BLANK.fullmatch(rest) is None:
            self.row += 1
        self.byte += len(rest)
        if not self.lost and rest:
            self._passed(self.byte)

    def _passed(self, at: int) -> bool:
        """A row ended at byte ``at`` (so row ``self.row`` starts there); True once ``stop_row`` is reached."""
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
