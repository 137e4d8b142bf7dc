"""The Parquet writer's CSV rows are the Distributed Map CSV reader's items, value for value.

Issue "The stack works on its first real AWS run", point 6: the writer must accept whatever the reader accepts and
number the rows the same way, or the answers of row i are joined with another row. The reader's rules are the
Developer Guide's (example-csv-parse-dist-map), as the offline ItemReader implements them: a short row is padded
with empty strings, a long row's extra fields are skipped.
"""

from __future__ import annotations

import importlib.util
import io
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from bedrock_batch.offline.distributed.item_reader import DELIMITERS, _csv_items

FUNCTION_DIR = Path(__file__).resolve().parents[2] / "functions" / "parquet_writer"
_spec = importlib.util.spec_from_file_location("parquet_writer_csv_rows", FUNCTION_DIR / "csv_rows.py")
csv_rows = sys.modules[_spec.name] = importlib.util.module_from_spec(_spec)  # dataclasses look the module up
_spec.loader.exec_module(csv_rows)


class _Body(io.BytesIO):
    """An S3 body: read(n) for the writer, iter_chunks for the offline reader; small pieces to cut lines apart."""

    def iter_chunks(self, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        while chunk := self.read(min(chunk_size, 7)):
            yield chunk


def reader_items(data: bytes, delimiter_name: str) -> list[dict[str, str]]:
    config = {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "CSVDelimiter": delimiter_name}
    return list(_csv_items(_Body(data), config, "s3://b/k", "pad"))


def writer_rows(data: bytes, delimiter: str) -> tuple[list[dict[str, str]], Any]:
    ragged = csv_rows.RaggedRows()
    schema, batches = csv_rows.read_rows(_Body(data), delimiter, ragged)
    table = pa.Table.from_batches(list(batches), schema=schema)
    return table.to_pylist(), ragged


def test_short_rows_are_padded_and_long_rows_cut_and_counted() -> None:
    data = b'a,b,c\n1\n1,2,3,4,5\n"x,y",,\n1,2\n'

    rows, ragged = writer_rows(data, ",")

    assert rows == [
        {"a": "1", "b": "", "c": ""},
        {"a": "1", "b": "2", "c": "3"},
        {"a": "x,y", "b": "", "c": ""},
        {"a": "1", "b": "2", "c": ""},
    ]
    assert rows == reader_items(data, "COMMA")
    assert (ragged.short, ragged.long, ragged.examples) == (2, 1, [0, 1, 3])


def test_only_the_rows_of_the_slice_are_counted_as_ragged() -> None:
    data = b"a,b\n1\n1,2,3\n1\n1,2\n1,2,3\n"
    ragged = csv_rows.RaggedRows(first_row=1, end_row=3)

    _, batches = csv_rows.read_rows(_Body(data), ",", ragged)
    list(batches)

    assert (ragged.short, ragged.long, ragged.examples) == (1, 1, [1, 2])


@pytest.mark.parametrize(
    "text",
    [
        'h1,h2\n"multi\nline, quoted",x\n"open quote at the end',
        'h1,h2\nsay ""hi"",ok\n"a ""b"" c",d\n',
        'h1,h2\nback\\\\slash,\\,comma\\"quote\\n\n',
        'h1,h2\r\n"crlf\r\ninside",x\r\n\r\nlast,row\r\n',
        'h1,h2\n"closed"then text,x\n\\\n',
        '"head,er",h2,"h""3"\n1,2,3\n',
        "h1,h2\n\n\n,\n",
        'h1,h2\nx \r y,"q"\n"a\rb",c\r\n\r',
    ],
    ids=[
        "multiline",
        "doubled-quotes",
        "backslashes",
        "crlf",
        "text-after-quote",
        "quoted-header",
        "blank-lines",
        "lone-cr",
    ],
)
def test_tricky_files_read_the_same_as_the_item_reader(text: str) -> None:
    rows, _ = writer_rows(text.encode(), ",")
    assert rows == reader_items(text.encode(), "COMMA")


def _random_file(rng: random.Random, delimiter: str) -> bytes:
    pieces = ["a", "bc", " ", '"', '""', "\\", "\n", "\r\n", "\r", ",", ";", "|", "\t", "é", "ß字"]
    header = delimiter.join(f"c{i}" for i in range(rng.randint(1, 4)))
    return (header + "\n" + "".join(rng.choice(pieces + [delimiter] * 3) for _ in range(rng.randint(0, 60)))).encode()


@pytest.mark.parametrize("delimiter_name", sorted(DELIMITERS))
def test_random_ragged_files_read_the_same_as_the_item_reader(delimiter_name: str) -> None:
    delimiter = DELIMITERS[delimiter_name]
    rng = random.Random(delimiter_name)
    for _ in range(200):
        data = _random_file(rng, delimiter)
        rows, _ = writer_rows(data, delimiter)
        assert rows == reader_items(data, delimiter_name), data


@pytest.mark.parametrize("delimiter_name", sorted(DELIMITERS))
def test_records_only_delimited_end_where_parsed_records_end_and_a_read_from_there_goes_on_alike(
    delimiter_name: str,
) -> None:
    """The row index's checkpoints are where records end when they are only delimited (no values built); a read
    started there, with the header's columns, must give the item reader's rows from there on."""
    delimiter = DELIMITERS[delimiter_name]
    dialect = csv_rows.CsvDialect(delimiter)
    rng = random.Random("delimit" + delimiter_name)
    for _ in range(200):
        data = _random_file(rng, delimiter)
        pieces = [data[i : i + 5] for i in range(0, len(data), 5)]
        parsed = list(dialect.records(pieces))
        delimited = list(dialect.records(pieces, delimit=range(1, len(data) + 1)))
        assert [end for end, _ in delimited] == [end for end, _ in parsed], data
        assert all(fields is None for _, fields in delimited[1:]), data
        if not parsed:
            continue
        columns = tuple(parsed[0][1])
        items = reader_items(data, delimiter_name)
        for row, (end, _) in enumerate(parsed):  # record `row` (the header first) ends where row `row` starts
            start = csv_rows.Start(row, end, columns)
            _, batches = csv_rows.read_rows(_Body(data[end:]), delimiter, start=start, first_row=row)
            rows = pa.Table.from_batches(list(batches), schema=pa.schema([(c, pa.string()) for c in columns]))
            assert rows.to_pylist() == items[row:], (data, row)


def test_a_slice_is_read_up_to_its_end_and_the_rows_before_it_are_not_decoded() -> None:
    data = "h\nr0 \xe9\n".encode("latin-1") + b"r1\nr2\nr3 \xff\n"  # rows 0 and 3 are not UTF-8
    ends: list[int] = []

    _, batches = csv_rows.read_rows(_Body(data), ",", first_row=1, end_row=3, passed=ends.append)

    assert [row for batch in batches for row in batch["h"].to_pylist()] == ["r1", "r2"]
    assert ends == [data.index(b"r1"), data.index(b"r2"), data.index(b"r3")]


def test_a_row_that_is_not_utf8_is_named_by_its_number() -> None:
    _, batches = csv_rows.read_rows(_Body(b"h\nok\nbad \xff\n"), ",")
    with pytest.raises(pa.ArrowInvalid, match="row 1 "):
        list(batches)


def test_batches_are_cut_by_rows_and_keep_the_file_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_rows, "_BATCH_ROWS", 3)
    data = ("n\n" + "".join(f"{i}\n" for i in range(10))).encode()

    _, batches = csv_rows.read_rows(_Body(data), ",")

    sizes = [batch.num_rows for batch in batches]
    assert sizes == [3, 3, 3, 1]


def test_an_empty_file_has_no_header() -> None:
    with pytest.raises(pa.ArrowInvalid, match="no header"):
        csv_rows.read_rows(_Body(b""), ",")


def test_records_over_hundreds_of_lines_read_the_same_and_end_where_the_reader_says() -> None:
    """A quoted field over many lines (doubled quotes, a backslash before a newline, CRLF inside, a quote closing a
    line's start), then more rows: the writer's rows, and the ends of the records when only delimited, are the item
    reader's, whatever the pieces the file arrives in."""
    body = "\n".join(f'line {i} ""q"" \\' if i % 50 == 7 else f"line {i}\r" if i % 9 == 0 else f"line {i}"
                     for i in range(400))
    text = f'a,b\n"{body}",x\n"\n""",y\n1,2\n"{body}\n",last\n"open {body}'
    data = text.encode()
    dialect = csv_rows.CsvDialect(",")
    whole = list(dialect.records([data]))
    assert len(whole) == 6 and whole[-1][0] == len(data)
    items = reader_items(data, "COMMA")
    assert [(row + [""])[:2] for _, row in whole[1:]] == [list(item.values()) for item in items]  # the last is short
    for size in (1, 5, 64, 4096):
        pieces = [data[i : i + size] for i in range(0, len(data), size)]
        assert list(dialect.records(pieces)) == whole, size
        delimited = list(dialect.records(pieces, delimit=range(1, 6)))
        assert [end for end, _ in delimited] == [end for end, _ in whole], size
    rows, _ = writer_rows(data, ",")
    assert rows == items


def _plain_file(rng: random.Random, delimiter: str) -> bytes:
    """A file of lines without a double quote, backslash or CR: blank lines, ragged rows, non-ASCII text."""
    words = ["a", "bc", " ", "é", "ß字", "", "x y"]
    width = rng.randint(1, 4)
    lines = [delimiter.join(f"c{i}" for i in range(width))]
    for _ in range(rng.randint(0, 40)):
        fields = rng.choice([width, width, width, 1, width + 2])
        lines.append("" if rng.random() < 0.1 else delimiter.join(rng.choice(words) for _ in range(fields)))
    return ("\n".join(lines) + rng.choice(["", "\n", "\n\n"])).encode()


@pytest.mark.parametrize("delimiter_name", sorted(DELIMITERS))
def test_lines_without_quotes_backslashes_or_crs_read_the_same_whole_as_line_by_line(
    delimiter_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``CsvDialect.records`` reads the whole lines of a piece without a double quote, a backslash or a CR in one
    tight loop; the records, their ends and the records only delimited are those of the line by line loop (the
    reference, forced by calling no piece plain), whatever the pieces, and the rows are the item reader's."""
    delimiter = DELIMITERS[delimiter_name]
    dialect = csv_rows.CsvDialect(delimiter)
    rng = random.Random("plain" + delimiter_name)
    for _ in range(200):
        data = _plain_file(rng, delimiter)
        size = rng.choice([3, 8, 64, 1 << 20])
        pieces = [data[i : i + size] for i in range(0, len(data), size)]
        delimit = range(1, rng.randint(1, 12))
        whole = list(dialect.records(pieces)), list(dialect.records(pieces, delimit=delimit))
        with monkeypatch.context() as patched:
            patched.setattr(csv_rows, "_is_plain", lambda data: False)
            assert (list(dialect.records(pieces)), list(dialect.records(pieces, delimit=delimit))) == whole, data
        rows, _ = writer_rows(data, delimiter)
        assert rows == reader_items(data, delimiter_name), data


def test_a_plain_row_that_is_not_utf8_is_named_by_its_number_and_a_delimited_one_is_not_decoded() -> None:
    data = b"h\nr0 \xff\nr1\nr2 \xfe\nr3\n"  # no double quote, backslash or CR: the lines are read whole

    _, slice_rows = csv_rows.read_rows(_Body(data), ",", first_row=1, end_row=2)
    _, from_start = csv_rows.read_rows(_Body(data), ",", first_row=1)

    assert [row for batch in slice_rows for row in batch["h"].to_pylist()] == ["r1"]
    with pytest.raises(pa.ArrowInvalid, match="row 2 "):
        list(from_start)
