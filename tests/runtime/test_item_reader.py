"""ItemReader: items of a Distributed Map read from S3 (Developer Guide, input-output-itemreader and
example-csv-parse-dist-map)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import (
    BUCKET,
    LIST_OBJECTS,
    csv_text,
    distributed_map,
    machine,
    object_reader,
    offline_runtime,
    put_jsonl,
    put_text,
    run,
    succeeded,
)

from bedrock_batch.offline.distributed.item_reader import read_body
from bedrock_batch.offline.errors import DefinitionError, StatesError
from bedrock_batch.offline.runtime import Runtime


@pytest.fixture
def rt() -> Iterator[Runtime]:
    with offline_runtime() as runtime:
        yield runtime


def read_items(rt: Runtime, reader: dict, input_: dict | None = None, **map_fields) -> list:
    """Run a Distributed Map whose children pass their input through: its output is the items, in order."""
    definition = machine({"Read items": distributed_map(ItemReader=reader, **map_fields)})
    return succeeded(run(rt, definition, input_ or {}))


def test_csv_first_row_names_the_fields(rt: Runtime) -> None:
    """Developer Guide, input-output-itemreader: with CSVHeaderLocation FIRST_ROW the first line is the header and
    each later row becomes one item keyed by it."""
    put_text(rt, "ratings.csv", csv_text(["userId", "movieId", "rating"], [["1", "307", "3.5"], ["1", "481", "4"]]))
    items = read_items(rt, object_reader("ratings.csv", "CSV", CSVHeaderLocation="FIRST_ROW"))
    assert items == [{"userId": "1", "movieId": "307", "rating": "3.5"},
                     {"userId": "1", "movieId": "481", "rating": "4"}]


def test_csv_values_stay_strings(rt: Runtime) -> None:
    """Developer Guide, example-csv-parse-dist-map: fields are treated as strings, numbers and booleans included."""
    put_text(rt, "typed.csv", csv_text(["n", "flag", "empty", "obj"], [["42", "true", "", '{""a"":1}']]))
    [item] = read_items(rt, object_reader("typed.csv", "CSV", CSVHeaderLocation="FIRST_ROW"))
    assert item == {"n": "42", "flag": "true", "empty": "", "obj": '{"a":1}'}
    assert all(isinstance(value, str) for value in item.values())


def test_csv_given_headers_treat_every_line_as_data(rt: Runtime) -> None:
    """Developer Guide, input-output-itemreader: CSVHeaderLocation GIVEN takes the header from CSVHeaders, so the
    first line of the file is a row like any other."""
    put_text(rt, "noheader.csv", "1,307,3.5,1256677221\n1,481,3.5,1256677456\n")
    reader = object_reader("noheader.csv", "CSV", CSVHeaderLocation="GIVEN",
                           CSVHeaders=["userId", "movieId", "rating", "timestamp"])
    items = read_items(rt, reader)
    assert items == [{"userId": "1", "movieId": "307", "rating": "3.5", "timestamp": "1256677221"},
                     {"userId": "1", "movieId": "481", "rating": "3.5", "timestamp": "1256677456"}]


@pytest.mark.parametrize(("name", "char"), [("COMMA", ","), ("TAB", "\t"), ("SEMICOLON", ";"), ("PIPE", "|"),
                                            ("SPACE", " ")])
def test_csv_delimiter_choices(rt: Runtime, name: str, char: str) -> None:
    """Developer Guide, input-output-itemreader: CSVDelimiter accepts COMMA (default), PIPE, SEMICOLON, SPACE and
    TAB, and fields split on that character only."""
    other = "," if char != "," else ";"
    put_text(rt, "delimited.txt", csv_text(["a", "b"], [["x" + other + "y", "2"]], delimiter=char))
    items = read_items(rt, object_reader("delimited.txt", "CSV", CSVHeaderLocation="FIRST_ROW", CSVDelimiter=name))
    assert items == [{"a": "x" + other + "y", "b": "2"}]


def test_csv_delimiter_defaults_to_comma(rt: Runtime) -> None:
    """Developer Guide, example-csv-parse-dist-map: the delimiter defaults to COMMA."""
    put_text(rt, "default.csv", "a,b\n1,2\n")
    assert read_items(rt, object_reader("default.csv", "CSV", CSVHeaderLocation="FIRST_ROW")) == [{"a": "1", "b": "2"}]


def test_csv_quoted_fields_keep_commas_newlines_and_doubled_quotes(rt: Runtime) -> None:
    """Developer Guide, example-csv-parse-dist-map: a field in double quotes can hold commas and newlines without
    ending the field or the record, and a repeated double quote keeps one double quote."""
    body = 'abc,123,"This string contains commas, a double quotation marks (""), and a newline (\n)",last\n'
    put_text(rt, "quoted.csv", body)
    reader = object_reader("quoted.csv", "CSV", CSVHeaderLocation="GIVEN",
                           CSVHeaders=["MyLetters", "MyNumbers", "MyString", "Tail"])
    assert read_items(rt, reader) == [{
        "MyLetters": "abc",
        "MyNumbers": "123",
        "MyString": 'This string contains commas, a double quotation marks ("), and a newline (\n)',
        "Tail": "last",
    }]


def test_csv_backslash_escapes_backslash_and_delimiter(rt: Runtime) -> None:
    """Developer Guide, example-csv-parse-dist-map: a backslash escapes another backslash or the field separator,
    so a doubled backslash keeps one and an escaped comma does not split the field."""
    put_text(rt, "paths.csv", "path,size\nC:\\\\Program Files\\\\MyApp.exe,6534512\na\\,b,1\n")
    items = read_items(rt, object_reader("paths.csv", "CSV", CSVHeaderLocation="FIRST_ROW"))
    assert items == [{"path": "C:\\Program Files\\MyApp.exe", "size": "6534512"}, {"path": "a,b", "size": "1"}]


def test_csv_short_rows_get_empty_strings_and_long_rows_lose_extra_fields(rt: Runtime) -> None:
    """Developer Guide, example-csv-parse-dist-map: a row with fewer fields than the header gets empty strings for
    the missing values; a row with more fields has the additional ones skipped."""
    put_text(rt, "ragged.csv", "a,b,c\n1\n1,2,3,4,5\n")
    items = read_items(rt, object_reader("ragged.csv", "CSV", CSVHeaderLocation="FIRST_ROW"))
    assert items == [{"a": "1", "b": "", "c": ""}, {"a": "1", "b": "2", "c": "3"}]


def test_max_items_stops_reading(rt: Runtime) -> None:
    """Developer Guide, input-output-itemreader: MaxItems is the limit after which the Distributed Map stops
    reading items; the first items of the file are the ones processed."""
    put_text(rt, "many.csv", csv_text(["n"], [[str(i)] for i in range(50)]))
    items = read_items(rt, object_reader("many.csv", "CSV", CSVHeaderLocation="FIRST_ROW", MaxItems=7))
    assert items == [{"n": str(i)} for i in range(7)]


def test_max_items_from_a_jsonata_expression(rt: Runtime) -> None:
    """Developer Guide, input-output-itemreader and transforming-data: in a JSONata state, MaxItems can be a JSONata
    expression that evaluates to the limit."""
    put_jsonl(rt, "many.jsonl", [{"n": i} for i in range(20)])
    reader = object_reader("many.jsonl", "JSONL", MaxItems="{% $states.input.limit %}")
    assert read_items(rt, reader, {"limit": 3}) == [{"n": 0}, {"n": 1}, {"n": 2}]


def test_json_file_array_elements_become_items(rt: Runtime) -> None:
    """Developer Guide, input-output-itemreader: a JSON file holding an array gives one item per element, with
    their JSON types intact."""
    facts = [{"verdict": "true", "score": 1}, {"verdict": "false", "score": 2.5}, [1, 2], "text", None]
    put_text(rt, "facts.json", json.dumps(facts))
    assert read_items(rt, object_reader("facts.json", "JSON")) == facts


def test_json_items_pointer_selects_a_nested_array(rt: Runtime) -> None:
    """Developer Guide, input-output-itemreader: for a JSON file with a nested structure, ReaderConfig.ItemsPointer
    (a JSON Pointer) selects the node that holds the items."""
    put_text(rt, "inventory.json", '{"inventory": {"products": {"featured": [{"sku": "a"}, {"sku": "b"}]}}}')
    reader = object_reader("inventory.json", "JSON", ItemsPointer="/inventory/products/featured")
    assert read_items(rt, reader) == [{"sku": "a"}, {"sku": "b"}]


def test_jsonl_one_item_per_line_skipping_blank_lines(rt: Runtime) -> None:
    """Developer Guide, input-output-itemreader: a JSON Lines file gives one item per line (blank lines carry no
    item)."""
    put_text(rt, "facts.jsonl", '{"verdict": "true"}\n\n{"verdict": "false"}\n   \n{"verdict": "mostly-true"}')
    items = read_items(rt, object_reader("facts.jsonl", "JSONL"))
    assert items == [{"verdict": "true"}, {"verdict": "false"}, {"verdict": "mostly-true"}]


def test_parquet_rows_become_items(rt: Runtime) -> None:
    """Developer Guide, input-output-itemreader: InputType PARQUET reads an Apache Parquet file, one item per row,
    keyed by column name."""
    table = pa.table({"recordId": ["r0", "r1", "r2"], "prompt": ["alpha", "beta", "gamma"]})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    put_text(rt, "rows.parquet", buffer.getvalue())
    items = read_items(rt, object_reader("rows.parquet", "PARQUET"))
    assert items == [{"recordId": "r0", "prompt": "alpha"}, {"recordId": "r1", "prompt": "beta"},
                     {"recordId": "r2", "prompt": "gamma"}]


def test_missing_object_fails_with_item_reader_failed_and_a_catch_handles_it(rt: Runtime) -> None:
    """Developer Guide, concepts-error-handling: States.ItemReaderFailed is raised when the ItemReader cannot read
    its source, and a Catch on the Map state can route it."""
    definition = machine({
        "Read items": distributed_map(ItemReader=object_reader("absent.csv", "CSV"),
                                      Catch=[{"ErrorEquals": ["States.ItemReaderFailed"], "Next": "Report"}],
                                      Next="Done"),
        "Done": {"Type": "Succeed"},
        "Report": {"Type": "Pass", "Output": "{% $states.input.Error %}", "End": True},
    })
    assert succeeded(run(rt, definition)) == "States.ItemReaderFailed"


def test_missing_object_without_catch_fails_the_execution(rt: Runtime) -> None:
    """Developer Guide, concepts-error-handling: an uncaught States.ItemReaderFailed fails the execution."""
    execution = run(rt, machine({"Read items": distributed_map(ItemReader=object_reader("absent.json", "JSON"))}))
    assert execution.status == "FAILED"
    assert execution.error == "States.ItemReaderFailed"


def test_list_objects_v2_yields_object_metadata_under_the_prefix(rt: Runtime) -> None:
    """Developer Guide, input-output-itemreader: s3:listObjectsV2 gives one item per object under Prefix, with
    Etag, Key, LastModified (epoch seconds), Size and StorageClass."""
    put_text(rt, "processData/images/a.jpg", b"\x00" * 10)
    put_text(rt, "processData/images/b.jpg", b"\x00" * 25)
    put_text(rt, "elsewhere/c.jpg", b"\x00")
    reader = {"Resource": LIST_OBJECTS, "Arguments": {"Bucket": BUCKET, "Prefix": "processData/"}}
    items = read_items(rt, reader)
    assert [item["Key"] for item in items] == ["processData/images/a.jpg", "processData/images/b.jpg"]
    assert [item["Size"] for item in items] == [10, 25]
    for item in items:
        assert set(item) == {"Etag", "Key", "LastModified", "Size", "StorageClass"}
        assert item["Etag"].startswith('"') and item["Etag"].endswith('"')
        assert isinstance(item["LastModified"], int)
        assert item["StorageClass"] == "STANDARD"


def test_list_objects_v2_load_and_flatten_reads_each_object(rt: Runtime) -> None:
    """Developer Guide, input-output-itemreader: with Transformation LOAD_AND_FLATTEN the map reads the content of
    every listed object, parsed by InputType, and iterates over its records rather than the metadata."""
    put_jsonl(rt, "logs/hour-01.jsonl", [{"line": 1}, {"line": 2}])
    put_jsonl(rt, "logs/hour-02.jsonl", [{"line": 3}])
    reader = {"Resource": LIST_OBJECTS, "ReaderConfig": {"InputType": "JSONL", "Transformation": "LOAD_AND_FLATTEN"},
              "Arguments": {"Bucket": BUCKET, "Prefix": "logs/"}}
    assert read_items(rt, reader) == [{"line": 1}, {"line": 2}, {"line": 3}]


def test_reader_arguments_are_jsonata(rt: Runtime) -> None:
    """Developer Guide, input-output-itemreader: in JSONata workflows the bucket and key go in Arguments, whose
    values may be JSONata expressions over the state input."""
    put_text(rt, "inputs/day-7.csv", "id\nx\ny\n")
    reader = object_reader("{% 'inputs/day-' & $string($states.input.day) & '.csv' %}", "CSV",
                           bucket="{% $states.input.bucket %}", CSVHeaderLocation="FIRST_ROW")
    assert read_items(rt, reader, {"bucket": BUCKET, "day": 7}) == [{"id": "x"}, {"id": "y"}]


def test_unknown_delimiter_is_refused_at_creation(rt: Runtime) -> None:
    """Developer Guide, input-output-itemreader: CSVDelimiter accepts only COMMA, PIPE, SEMICOLON, SPACE and TAB;
    any other value makes the definition invalid."""
    definition = machine({"Read items": distributed_map(
        ItemReader=object_reader("x.csv", "CSV", CSVHeaderLocation="FIRST_ROW", CSVDelimiter="COLON"))})
    with pytest.raises(DefinitionError, match="CSVDelimiter"):
        rt.create_state_machine("bad-delimiter", definition)


def test_reader_requests_are_counted(rt: Runtime) -> None:
    """Developer Guide, input-output-itemreader: s3:getObject reads the object with one GetObject call;
    s3:listObjectsV2 calls ListObjectsV2, plus one GetObject per listed object with LOAD_AND_FLATTEN."""
    put_jsonl(rt, "parts/a.jsonl", [{"x": 1}])
    put_jsonl(rt, "parts/b.jsonl", [{"x": 2}])
    read_items(rt, object_reader("parts/a.jsonl", "JSONL"))
    assert rt.counters.api_calls["s3:GetObject"] == 1
    read_items(rt, {"Resource": LIST_OBJECTS, "Arguments": {"Bucket": BUCKET, "Prefix": "parts/"}})
    assert rt.counters.api_calls["s3:ListObjectsV2"] == 1
    assert rt.counters.api_calls["s3:GetObject"] == 1
    flatten = {"InputType": "JSONL", "Transformation": "LOAD_AND_FLATTEN"}
    read_items(rt, {"Resource": LIST_OBJECTS, "ReaderConfig": flatten,
                    "Arguments": {"Bucket": BUCKET, "Prefix": "parts/"}})
    assert rt.counters.api_calls["s3:ListObjectsV2"] == 2
    assert rt.counters.api_calls["s3:GetObject"] == 3


def compressed(data: bytes, codec: str) -> bytes:
    sink = pa.BufferOutputStream()
    stream = pa.CompressedOutputStream(sink, codec)
    stream.write(data)
    stream.close()
    return sink.getvalue().to_pybytes()


def test_gzip_and_zstd_files_are_decompressed(rt: Runtime) -> None:
    """Developer Guide, input-output-itemreader: input files may be compressed with GZIP or ZSTD, named like
    myObject.jsonl.gz and myObject.csv.zstd."""
    put_text(rt, "packed/rows.jsonl.gz", compressed(b'{"n": 1}\n{"n": 2}\n', "gzip"))
    put_text(rt, "packed/rows.csv.zstd", compressed(b"id,name\n1,ant\n2,bee\n", "zstd"))
    assert read_items(rt, object_reader("packed/rows.jsonl.gz", "JSONL")) == [{"n": 1}, {"n": 2}]
    assert read_items(rt, object_reader("packed/rows.csv.zstd", "CSV", CSVHeaderLocation="FIRST_ROW")) == [
        {"id": "1", "name": "ant"}, {"id": "2", "name": "bee"}]


def test_corrupt_compressed_file_fails_with_item_reader_failed(rt: Runtime) -> None:
    """Developer Guide, concepts-error-handling: a source the ItemReader cannot read fails the state with
    States.ItemReaderFailed."""
    put_text(rt, "packed/broken.json.gz", b"not gzip at all")
    execution = run(rt, machine({"Read": distributed_map(ItemReader=object_reader("packed/broken.json.gz", "JSON"))}))
    assert execution.error == "States.ItemReaderFailed"


def _body(data: bytes):
    """A local stand-in for one whole-object GET's body: what the reader parsed before it read in ranges."""
    class Body:
        def __init__(self) -> None:
            self._data = io.BytesIO(data)

        def read(self) -> bytes:
            return self._data.read()

        def iter_chunks(self, chunk_size: int = 1 << 20):
            while chunk := self._data.read(chunk_size):
                yield chunk
    return Body()


@pytest.mark.parametrize(("key", "config"), [
    ("rows.csv", {"InputType": "CSV"}), ("rows.jsonl", {"InputType": "JSONL"}), ("rows.json", {"InputType": "JSON"}),
    ("rows.csv.gz", {"InputType": "CSV"}), ("empty.csv", {"InputType": "CSV"}), ("empty.jsonl", {"InputType": "JSONL"}),
])
def test_an_object_read_in_ranges_gives_the_items_of_one_whole_read(rt: Runtime, monkeypatch, key, config) -> None:
    """The reader GETs an object in ranges (a few bytes here, to cut rows, quoted newlines and multi-byte
    characters at range edges): the items are those of the whole object read at once, in the same order."""
    import gzip

    from bedrock_batch.offline.distributed import item_reader

    monkeypatch.setattr(item_reader._RangedBody, "RANGE_BYTES", 7)
    rows = [{"id": str(i), "text": f"é ✓ \"q\" {i}" + ("\nline" if i % 3 == 0 else "")} for i in range(40)]
    if key.startswith("empty"):
        data = b""
    elif ".csv" in key:  # quoted fields: commas, doubled quotes and newlines inside them
        data = csv_text(["id", "text"], [[r["id"], '"' + r["text"].replace('"', '""') + '"'] for r in rows]).encode()
    elif key.endswith(".jsonl"):
        data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    else:
        data = json.dumps(rows, ensure_ascii=False).encode()
    if key.endswith(".gz"):
        data = gzip.compress(data)
    s3 = rt.client("s3")
    s3.put_object(Bucket=BUCKET, Key=key, Body=data)
    got = list(item_reader.read_object(s3, BUCKET, key, config))
    assert got == list(item_reader.read_body(_body(data), key, config))
    assert len(got) == (0 if key.startswith("empty") else 40)


def test_an_object_replaced_while_read_in_ranges_fails_the_read(rt: Runtime, monkeypatch) -> None:
    """Ranges after the first ask for the first one's ETag: a replaced object fails the read, never mixes two.

    AWS's behaviour here is not documented: the stricter reading, listed in docs/fidelity.md."""
    from bedrock_batch.offline.distributed import item_reader
    from bedrock_batch.offline.errors import StatesError

    monkeypatch.setattr(item_reader._RangedBody, "RANGE_BYTES", 16)
    s3 = rt.client("s3")
    s3.put_object(Bucket=BUCKET, Key="rows.jsonl", Body=b"".join(b'{"n": %d}\n' % i for i in range(20)))
    items = item_reader.read_object(s3, BUCKET, "rows.jsonl", {"InputType": "JSONL"})
    assert next(items) == {"n": 0}
    s3.put_object(Bucket=BUCKET, Key="rows.jsonl", Body=b"".join(b'{"m": %d}\n' % i for i in range(20)))
    with pytest.raises(StatesError) as err:
        list(items)
    assert err.value.error == "States.ItemReaderFailed" and "PreconditionFailed" in str(err.value)


class _ChunkedBody(io.BytesIO):
    """An S3 body read ``size`` bytes at a time: records and characters cut across chunks."""

    def __init__(self, data: bytes, size: int) -> None:
        super().__init__(data)
        self.size = size

    def iter_chunks(self, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        while chunk := self.read(min(chunk_size, self.size)):
            yield chunk


# Plain rows, then quoted fields over many lines (doubled quotes, a backslash before a newline, CRLF, a quote
# closing at a line's start), blank lines, a short and a long row, a lone CR, and a last line without a newline.
_TRICKY_CSV = ("a,b,c\n" + "".join(f"p{i},q{i},r{i}\n" for i in range(40))
               + '"one\nquoted ""field""\nover\nlines\\\nand more",x,"y\r\nz"\r\n\n'
               + '"\nstarts on a newline\n""\n",2,3\n1\n1,2,3,4\nlone\rcr,"q",é字\n\r\n'
               + '"' + "\n".join(f"line {i}" for i in range(300)) + '",end,row\nlast,row,"open')


def test_csv_items_are_the_same_however_the_object_is_cut_into_chunks() -> None:
    """Developer Guide, example-csv-parse-dist-map: a record is one line, or several inside double quotes, whatever
    the chunks the object arrives in; plain rows and quoted ones give the same items read either way."""
    data = _TRICKY_CSV.encode()
    config = {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"}
    whole = list(read_body(_ChunkedBody(data, len(data)), "k.csv", config))
    assert whole[:2] == [{"a": "p0", "b": "q0", "c": "r0"}, {"a": "p1", "b": "q1", "c": "r1"}]
    assert whole[40:] == [
        {"a": 'one\nquoted "field"\nover\nlines\nand more', "b": "x", "c": "y\r\nz"},
        {"a": '\nstarts on a newline\n"\n', "b": "2", "c": "3"},
        {"a": "1", "b": "", "c": ""},
        {"a": "1", "b": "2", "c": "3"},
        {"a": "lone\rcr", "b": "q", "c": "é字"},
        {"a": "\n".join(f"line {i}" for i in range(300)), "b": "end", "c": "row"},
        {"a": "last", "b": "row", "c": '"open'},
    ]
    for size in (1, 2, 3, 7, 64, 1000):
        assert list(read_body(_ChunkedBody(data, size), "k.csv", config)) == whole, size


def test_a_ragged_row_fails_the_read_after_the_rows_before_it() -> None:
    """RuntimeConfig.csv_ragged_rows "error": the rows before the ragged one are items, then the read fails."""
    data = ("a,b\n" + "".join(f"{i},{i}\n" for i in range(50)) + "short\n1,2\n").encode()
    items = read_body(_ChunkedBody(data, 1 << 20), "k.csv", {"InputType": "CSV"}, ragged="error")
    assert [next(items) for _ in range(50)] == [{"a": str(i), "b": str(i)} for i in range(50)]
    with pytest.raises(StatesError, match="record 52 has 1 fields, the header has 2"):
        next(items)


def _jsonl_as_lines(data: bytes) -> tuple[list, str | None]:
    """The reference reading of a JSON Lines body: each line with its newline, blank ones skipped, read by
    json.loads; the items, and the message of the first line that is not JSON."""
    pieces = data.decode().split("\n")
    lines = [piece + "\n" for piece in pieces[:-1]] + ([pieces[-1]] if pieces[-1] else [])
    items = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError as err:
            return items, f"line {n} is not JSON: {err.msg}"
    return items, None


@pytest.mark.parametrize("bad", [None, '"an unclosed string', '{"a": "unclosed', '{"a": 1', '[1, 2', "tru",
                                 '"tab\there"', "{} {}", '{"a": 1}\r x', "\u2028"])
@pytest.mark.parametrize("last_newline", [True, False])
def test_jsonl_items_and_errors_are_those_of_each_line_with_its_newline(bad: str | None, last_newline: bool) -> None:
    """Developer Guide, input-output-itemreader: JSON Lines holds one JSON value per line (blank lines skipped, a
    line of whitespace of any kind is blank); the items, and the error naming the first line that is not JSON with
    its message, are json.loads' of each line as the file holds it, its newline included."""
    lines = ['{"n": 1}', "", "   ", "\t\x0b\x0c\x1c\x1d\x1e\x1f\x85\u3000", '{"n": 2}\r', ' [1, "é字"] ', "null"]
    if bad is not None:
        lines.append(bad)
    lines.append('{"n": 3}')
    data = ("\n".join(lines) + ("\n" if last_newline else "")).encode()
    items, error = _jsonl_as_lines(data)
    for size in (1, 5, 1 << 20):
        read = read_body(_ChunkedBody(data, size), "k.jsonl", {"InputType": "JSONL"})
        if error is None:
            assert list(read) == items
            continue
        assert [next(read) for _ in items] == items
        with pytest.raises(StatesError) as err:
            next(read)
        assert err.value.error == "States.ItemReaderFailed" and err.value.cause == f"k.jsonl: {error}"
