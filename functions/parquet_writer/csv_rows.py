"""CSV rows exactly as Step Functions' Distributed Map CSV reader gives them, as Arrow record batches of strings.

The rows a job's records came from were read by the input workflow's ItemReader; the writer must see the same rows
for the same file, or row ``i`` would not be item ``i`` (issue "The stack works on its first real AWS run", point 6:
a ragged CSV passed validation, the jobs ran and pyarrow's CSV reader then refused the file, stranding the answers).
The Developer Guide, example-csv-parse-dist-map, gives the rules, which pyarrow's reader cannot follow: a row with
fewer fields than the header gets empty strings for the missing ones, a row with more has the extra ones skipped
(``invalid_row_handler`` can only skip or refuse a row, and skipping would shift every later row); a repeated double
quote keeps one in unquoted fields too; a backslash escapes the next character; only ``\\n`` ends a line. So the
file is parsed here, line by line as it streams in, with the rules of the offline reader
(``bedrock_batch/offline/distributed/item_reader.py``, ``_CsvDialect``); ``tests/functions/test_csv_rows.py`` checks
both give the same rows.

The same dialect also finds where each record starts, in bytes, without building the values of the records before
the slice: that is what the shared row index (``row_index``) records, so a read can start at a checkpoint in the
middle of the file (``Start``) and still see the reader's rows.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import pyarrow as pa

_PIECE = 1 << 20  # bytes read from S3 at a time
# A batch is cut at this many rows or characters: enough to amortise the Arrow conversion, small next to the answers.
_BATCH_ROWS = 64 * 1024
_BATCH_CHARS = 8 << 20
# A field may be as long as a row (the csv module stops at 128 KiB by default and would crash on it).
csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))


@dataclass
class RaggedRows:
    """Rows of ``[first_row, end_row)`` whose field count differs from the header's: padded or cut, never refused.

    Rows are numbered from 0, the header excluded, as the reader's items and the batch jobs' recordIds are.
    """

    first_row: int = 0
    end_row: int | None = None
    short: int = 0  # padded with empty strings
    long: int = 0  # extra fields skipped
    examples: list[int] = field(default_factory=list)  # the first few such rows

    def note(self, row_no: int, fields: int, width: int) -> None:
        if row_no < self.first_row or (self.end_row is not None and row_no >= self.end_row):
            return
        if fields < width:
            self.short += 1
        else:
            self.long += 1
        if len(self.examples) < 5:
            self.examples.append(row_no)


@dataclass(frozen=True)
class Start:
    """Where a read starts: row ``row`` begins at byte ``byte``; ``columns``, the header, when that is after it."""

    row: int = 0
    byte: int = 0
    columns: tuple[str, ...] | None = None  # None: the read starts at the file start, with the header


class CsvDialect:
    """Step Functions' rules for text delimited files (Developer Guide, example-csv-parse-dist-map).

    Fields in double quotes may hold the delimiter and newlines; a repeated double quote keeps one, in quoted
    and unquoted fields alike (the guide's example reads ``{""MyKey"":""MyValue""}`` as ``{"MyKey":"MyValue"}``);
    a backslash escapes a backslash, a double quote or the delimiter, and is dropped before any other character.
    A line ends at ``\\n`` (a ``\\r`` before it is dropped; a lone ``\\r`` is data); a blank line is not a record.
    Python's csv module keeps ``""`` in unquoted fields and ignores backslashes, hence this small parser, which
    uses the csv module (in C) for the records it reads the same way.

    It is the one place that decides where a record ends: the writer parses its slice with it and, to reach the
    slice, delimits the records before it with it too, only without building their values.
    """

    _QUOTED = re.compile(r'"((?:[^"\\]|""|\\[\s\S])*+)"')  # possessive: a doubled quote never closes
    _CLOSING = re.compile(r'(?:[^"\\]|""|\\[\s\S])*+"')  # _QUOTED after its opening quote
    _UNESCAPE = re.compile(r'""|\\([\s\S])')

    def __init__(self, delimiter: str) -> None:
        self.delimiter = delimiter
        self._plain = re.compile(r"(?:[^" + re.escape(delimiter) + r"\\]|\\[\s\S])*+\\?")

    def records(
        self, pieces: Iterable[bytes], byte: int = 0, delimit: range = range(0)
    ) -> Iterator[tuple[int, list[str] | None]]:
        """``(end, fields)`` for each record in the bytes ``pieces``, whose first byte is byte ``byte`` of the file.

        ``end`` is where the record's line end ends: the next record, or the blank lines before it, start there.
        A record goes on over newlines inside double quotes. The records whose number in this stream (from 0) is in
        ``delimit`` are only delimited: ``fields`` is None, and their bytes are not decoded (the rest must be UTF-8:
        ``UnicodeDecodeError`` otherwise). The whole lines of a piece without a double quote, a backslash or a CR,
        where only the delimiter and the line ends mean something, take a shorter loop (about 15% less time for a
        file of such lines), with the same records.
        """
        index = 0
        # The text of a record whose quoted field is still open, line by line, its newlines included. The record is
        # split again only once a line could close the field (``_CLOSING`` matches it): the position after a newline
        # inside a quoted field is where a token of ``_QUOTED`` starts, so ``_QUOTED`` scans the new line as
        # ``_CLOSING`` does. Splitting the whole record at each of its lines took time in the square of its lines.
        pending: list[str] = []
        rest = b""  # the start of a line that the end of a piece cut
        for piece in chain(pieces, (None,)):
            if piece is not None:
                lines = piece.split(b"\n")
                if rest:
                    lines[0] = rest + lines[0]
                rest, newline = lines.pop(), 1
            elif rest:  # the end: what is left is a last line without a line end
                lines, newline = [rest], 0
            else:
                break
            if lines and newline and not pending and _is_plain(piece) and _is_plain(lines[0]):
                # no double quote, backslash or CR in these whole lines: each one is a record split at the delimiter
                # (what the loop below does with them, line by line), or blank
                for line in lines:
                    byte += len(line) + 1
                    if line:
                        only_delimit = index in delimit
                        index += 1
                        yield byte, None if only_delimit else line.decode("utf-8").split(self.delimiter)
                continue
            for line in lines:
                byte += len(line) + newline
                only_delimit = index in delimit
                if only_delimit and not pending and b'"' not in line:
                    # no double quote, so no quoted field: the line is a whole record (as split says), or blank
                    if newline and (not line or line == b"\r"):
                        continue
                    index += 1
                    yield byte, None
                    continue
                decoded = line.decode("utf-8", "surrogateescape" if only_delimit else "strict")
                if pending:
                    if self._CLOSING.match(decoded.removesuffix("\r") if newline else decoded) is None:
                        pending.append(decoded + "\n" if newline else decoded)  # the newline is data
                        continue
                    whole = "".join(pending) + decoded
                else:
                    whole = decoded
                text = whole.removesuffix("\r") if newline else whole
                if not text:
                    continue  # a blank line is not a record
                fields = self.split(text, values=not only_delimit)
                if fields is None:
                    pending = [whole + "\n" if newline else whole]  # inside a quoted field: the newline is data
                    continue
                pending = []
                index += 1
                yield byte, None if only_delimit else fields
        if pending:  # a quoted field still open at the end of the file
            values = index not in delimit
            yield byte, self.split("".join(pending), final=True, values=values) if values else None

    def split(self, text: str, final: bool = False, values: bool = True) -> list[str] | None:
        """The fields of one record, or None while a quoted field is still open (unless ``final``).

        Without ``values`` only the record's end is sought: an empty list says the record is whole.
        """
        if '"' not in text and "\\" not in text:
            return text.split(self.delimiter) if values else []
        # no doubled quote, no backslash, no lone CR (csv refuses one unquoted, where it is data): csv agrees
        if '""' not in text and "\\" not in text and "\r" not in text and text.count('"') % 2 == 0:
            return next(csv.reader([text], delimiter=self.delimiter)) if values else []
        fields, pos, end = [], 0, len(text)
        while True:
            value = ""
            if text.startswith('"', pos):
                quoted = self._QUOTED.match(text, pos)
                if quoted is None and not final:
                    return None
                if quoted is not None:
                    value, pos = self._unescape(quoted.group(1)) if values else "", quoted.end()
            plain = self._plain.match(text, pos)
            assert plain is not None  # it matches the empty string
            if values:
                fields.append(value + self._unescape(plain.group(0)))
            pos = plain.end()
            if pos >= end:
                return fields
            pos += 1  # the delimiter

    def _unescape(self, raw: str) -> str:
        if '"' not in raw and "\\" not in raw:
            return raw
        return self._UNESCAPE.sub(lambda m: '"' if m.group(0) == '""' else m.group(1), raw)


def _is_plain(data: bytes) -> bool:
    """No double quote, backslash or CR: nothing but the delimiter and line ends has a meaning in these bytes."""
    return b'"' not in data and b"\\" not in data and b"\r" not in data


def read_rows(
    body: Any,
    delimiter: str,
    ragged: RaggedRows | None = None,
    *,
    start: Start = Start(),
    first_row: int = 0,
    end_row: int | None = None,
    passed: Callable[[int], object] | None = None,
) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """The header's columns (all strings) and rows ``[first_row, end_row)`` in batches, each row as wide as the
    header (``end_row`` None: to the end of the file).

    ``body`` holds the file from ``start`` on: the file start by default, or a place where a row starts (a
    checkpoint of ``row_index``) with the header's columns. The rows before ``first_row`` are only delimited;
    ``passed(byte)`` is called at the end of every row read, with the byte where the next row starts. Reading stops
    at the end of row ``end_row - 1``. ``ragged``, when given, counts the rows padded or cut as the batches are
    taken. An empty file or bytes that are not UTF-8 raise ``pa.ArrowInvalid`` (a ValueError), which
    ``input_rows`` reports naming the object.
    """
    if first_row < start.row:
        raise ValueError(f"cannot read from row {first_row} a file read from row {start.row}")
    header_first = int(start.columns is None)
    delimit = range(header_first, header_first + first_row - start.row)
    records = CsvDialect(delimiter).records(_pieces(body), start.byte, delimit)
    columns = start.columns
    if columns is None:
        try:
            header = next(records, None)
        except UnicodeDecodeError:
            raise pa.ArrowInvalid("the header row is not valid UTF-8") from None
        if header is None:
            raise pa.ArrowInvalid("the file is empty, no header row")
        columns = header[1]
    schema = pa.schema([pa.field(name, pa.string()) for name in columns])
    rows = _rows(records, start.row, end_row, passed)
    return schema, _batches(rows, first_row, schema, ragged if ragged is not None else RaggedRows())


def _pieces(body: Any) -> Iterator[bytes]:
    while piece := body.read(_PIECE):
        yield piece


def _rows(
    records: Iterator[tuple[int, list[str] | None]],
    row: int,
    end_row: int | None,
    passed: Callable[[int], object] | None,
) -> Iterator[list[str]]:
    """The fields of the rows parsed, from row ``row`` (the first record) to ``end_row``."""
    try:
        if end_row is not None and row >= end_row:
            return
        for end, fields in records:
            if passed is not None:
                passed(end)
            row += 1
            if fields is not None:
                yield fields
            if row == end_row:
                return
    except UnicodeDecodeError:
        raise pa.ArrowInvalid(f"row {row} (from 0, header excluded) is not valid UTF-8") from None
    finally:
        records.close()


def _batches(
    records: Iterator[list[str]], first_row: int, schema: pa.Schema, ragged: RaggedRows
) -> Iterator[pa.RecordBatch]:
    width = len(schema)
    rows: list[list[str]] = []
    chars = 0
    for row_no, row in enumerate(records, start=first_row):
        if len(row) != width:
            # example-csv-parse-dist-map: missing fields are empty strings, extra fields are skipped.
            ragged.note(row_no, len(row), width)
            row = (row + [""] * (width - len(row))) if len(row) < width else row[:width]
        rows.append(row)
        chars += sum(map(len, row))
        if len(rows) >= _BATCH_ROWS or chars >= _BATCH_CHARS:
            yield _record_batch(rows, schema)
            rows, chars = [], 0
    if rows:
        yield _record_batch(rows, schema)


def _record_batch(rows: list[list[str]], schema: pa.Schema) -> pa.RecordBatch:
    columns = zip(*rows, strict=True) if rows else ()
    return pa.RecordBatch.from_arrays([pa.array(column, pa.string()) for column in columns], schema=schema)
