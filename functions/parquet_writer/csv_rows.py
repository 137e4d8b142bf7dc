"""CSV rows exactly as Step Functions' Distributed Map CSV reader gives them, as Arrow record batches of strings.

The rows a job's records came from were read by the input workflow's ItemReader; the writer must see the same rows
for the same file, or row ``i`` would not be item ``i`` (issue "The stack works on its first real AWS run", point 6:
a ragged CSV passed validation, the jobs ran and pyarrow's CSV reader then refused the file, stranding the answers).
The Developer Guide, example-csv-parse-dist-map, gives the rules, which pyarrow's reader cannot follow: a row with
fewer fields than the header gets empty strings for the missing ones, a row with more has the extra ones skipped
(``invalid_row_handler`` can only skip or refuse a row, and skipping would shift every later row); a repeated double
quote keeps one in unquoted fields too; a backslash escapes the next character. So the file is parsed here, line by
line as it streams in, with the rules of the offline reader (``bedrock_batch/offline/distributed/item_reader.py``,
``_CsvDialect``); ``tests/functions/test_csv_rows.py`` checks both give the same rows.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
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


class CsvDialect:
    """Step Functions' rules for text delimited files (Developer Guide, example-csv-parse-dist-map).

    Fields in double quotes may hold the delimiter and newlines; a repeated double quote keeps one, in quoted
    and unquoted fields alike (the guide's example reads ``{""MyKey"":""MyValue""}`` as ``{"MyKey":"MyValue"}``);
    a backslash escapes a backslash, a double quote or the delimiter, and is dropped before any other character.
    A blank line is not a record. Python's csv module keeps ``""`` in unquoted fields and ignores backslashes,
    hence this small parser, which uses the csv module (in C) for the records it reads the same way.
    """

    _QUOTED = re.compile(r'"((?:[^"\\]|""|\\[\s\S])*+)"')  # possessive: a doubled quote never closes
    _UNESCAPE = re.compile(r'""|\\([\s\S])')

    def __init__(self, delimiter: str) -> None:
        self.delimiter = delimiter
        self._plain = re.compile(r"(?:[^" + re.escape(delimiter) + r"\\]|\\[\s\S])*+\\?")

    def records(self, lines: Iterator[str]) -> Iterator[list[str]]:
        """One list of fields per record; a record goes on over newlines inside double quotes."""
        pending = ""
        for line in lines:
            pending += line
            text = pending[:-1].removesuffix("\r") if pending.endswith("\n") else pending
            if not text:
                pending = ""
                continue
            fields = self.split(text)
            if fields is None:
                continue  # inside a quoted field: the newline is part of it
            pending = ""
            yield fields
        if pending:
            yield self.split(pending, final=True) or []

    def split(self, text: str, final: bool = False) -> list[str] | None:
        """The fields of one record, or None while a quoted field is still open (unless ``final``)."""
        if '"' not in text and "\\" not in text:
            return text.split(self.delimiter)
        if '""' not in text and "\\" not in text and text.count('"') % 2 == 0:
            return next(csv.reader([text], delimiter=self.delimiter))
        fields, pos, end = [], 0, len(text)
        while True:
            value = ""
            if text.startswith('"', pos):
                quoted = self._QUOTED.match(text, pos)
                if quoted is None and not final:
                    return None
                if quoted is not None:
                    value, pos = self._unescape(quoted.group(1)), quoted.end()
            plain = self._plain.match(text, pos)
            assert plain is not None  # it matches the empty string
            value += self._unescape(plain.group(0))
            fields.append(value)
            pos = plain.end()
            if pos >= end:
                return fields
            pos += 1  # the delimiter

    def _unescape(self, raw: str) -> str:
        if '"' not in raw and "\\" not in raw:
            return raw
        return self._UNESCAPE.sub(lambda m: '"' if m.group(0) == '""' else m.group(1), raw)


def text_lines(body: Any) -> Iterator[str]:
    """The body as UTF-8 text, line by line (each with its ``\\n``), read a piece at a time."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    pending = ""
    line_no = 0
    while piece := body.read(_PIECE):
        try:
            pending += decoder.decode(piece)
        except UnicodeDecodeError:
            raise pa.ArrowInvalid(f"not valid UTF-8 after line {line_no + pending.count(chr(10))}") from None
        *complete, pending = pending.split("\n")
        line_no += len(complete)
        for line in complete:
            yield line + "\n"
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending


def read_rows(
    body: Any, delimiter: str, ragged: RaggedRows | None = None
) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """The header's columns (all strings) and the rows after it in batches, each row as wide as the header.

    ``ragged``, when given, counts the rows padded or cut as the batches are taken. An empty file or bytes that are
    not UTF-8 raise ``pa.ArrowInvalid`` (a ValueError), which ``input_rows`` reports naming the object.
    """
    records = CsvDialect(delimiter).records(text_lines(body))
    header = next(records, None)
    if header is None:
        raise pa.ArrowInvalid("the file is empty, no header row")
    schema = pa.schema([pa.field(name, pa.string()) for name in header])
    return schema, _batches(records, schema, ragged if ragged is not None else RaggedRows())


def _batches(records: Iterator[list[str]], schema: pa.Schema, ragged: RaggedRows) -> Iterator[pa.RecordBatch]:
    width = len(schema)
    rows: list[list[str]] = []
    chars = 0
    for row_no, row in enumerate(records):
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
