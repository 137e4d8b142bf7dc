"""ItemReader: items from an S3 object (CSV, JSON, JSONL, Parquet) or an S3 listing.

Developer Guide, input-output-itemreader: ``arn:aws:states:::s3:getObject`` with ReaderConfig InputType CSV,
JSON, JSONL or PARQUET; CSV headers from the FIRST_ROW or GIVEN in CSVHeaders; CSVDelimiter COMMA, PIPE,
SEMICOLON, SPACE or TAB; CSV values are always strings; MaxItems stops reading after that many items;
``arn:aws:states:::s3:listObjectsV2`` yields ``{Key, Size, Etag, LastModified, StorageClass}`` per object, or
the contents of each object with ``Transformation: LOAD_AND_FLATTEN``. A failure to read is
``States.ItemReaderFailed``.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from .. import errors, json_text
from ..errors import StatesError

DELIMITERS = {"COMMA": ",", "PIPE": "|", "SEMICOLON": ";", "SPACE": " ", "TAB": "\t"}
INPUT_TYPES = {"CSV", "JSON", "JSONL", "PARQUET", "MANIFEST"}
# A field may be as long as a row (the csv module stops at 128 KiB by default and would crash on it).
csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))


def _fail(message: str) -> StatesError:
    return StatesError(errors.ITEM_READER_FAILED, message)


def _line_blocks(body: Any, where: str) -> Iterator[tuple[list[str], bool, bool]]:
    """Decode an S3 body as UTF-8 text without holding the whole object, a chunk's lines at a time: each block is
    (its lines without their newline, whether they ended with one, whether its text holds no double quote, no
    backslash and no CR). Only the last line of the object may end without a newline, and it comes alone.

    A chunk at a time, so that the lines of a plain CSV chunk (most CSV files) are split in one pass over the chunk,
    not each through a chain of generators; the chunk's text is split as it is decoded, the line left open by the
    chunk before joined to its first line (not the whole text copied twice to join and cut it: a third of the time).
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    pending = ""  # the last line so far, not ended by a newline yet
    line_no = 0
    for chunk in body.iter_chunks(chunk_size=1 << 20):
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError as err:
            # err.start is where the bad byte sits in this chunk: count the lines before it.
            near = line_no + pending.count("\n") + chunk[: max(0, err.start)].count(b"\n") + 1
            raise _fail(f"{where}: not valid UTF-8 near line {near}: {err.reason}") from None
        lines = text.split("\n")
        if len(lines) == 1:
            pending += text
            continue
        end = len(text) - len(lines[-1]) - 1  # the chunk's last newline
        plain = _plain(pending) and _plain(text, end)
        lines[0] = pending + lines[0]
        pending = lines.pop()
        line_no += len(lines)
        yield lines, True, plain
    pending += decoder.decode(b"", final=True)
    if pending:
        yield [pending], False, _plain(pending)


def _plain(text: str, end: int | None = None) -> bool:
    """Whether ``text`` (up to ``end``) holds no double quote, no backslash and no CR (found in place, not copied)."""
    end = len(text) if end is None else end
    return text.find('"', 0, end) < 0 and text.find("\\", 0, end) < 0 and text.find("\r", 0, end) < 0


class _CsvDialect:
    """Step Functions' rules for text delimited files (Developer Guide, example-csv-parse-dist-map).

    Fields in double quotes may hold the delimiter and newlines; a repeated double quote keeps one, in quoted
    and unquoted fields alike (the guide's example reads ``{""MyKey"":""MyValue""}`` as ``{"MyKey":"MyValue"}``);
    a backslash escapes a backslash, a double quote or the delimiter, and is dropped before any other character.
    Python's csv module keeps ``""`` in unquoted fields and ignores backslashes, hence this small parser.
    """

    _QUOTED = re.compile(r'"((?:[^"\\]|""|\\[\s\S])*+)"')  # possessive: a doubled quote never closes
    _CLOSING = re.compile(r'(?:[^"\\]|""|\\[\s\S])*+"')  # _QUOTED after its opening quote
    _UNESCAPE = re.compile(r'""|\\([\s\S])')

    def __init__(self, delimiter: str) -> None:
        self.delimiter = delimiter
        self._plain = re.compile(r'(?:[^' + re.escape(delimiter) + r'\\]|\\[\s\S])*+\\?')

    def record_blocks(self, blocks: Iterator[tuple[list[str], bool, bool]]) -> Iterator[list[list[str]]]:
        """The records of ``_line_blocks``, one list of fields per record, a list of records per block; a record
        goes on over newlines inside double quotes, and a blank line is not a record.

        A record inside a quoted field is kept as its lines, and split again only once a line could close the
        field (``_CLOSING`` matches it): the position after a newline inside a quoted field is where a token of
        ``_QUOTED`` starts, so ``_QUOTED`` scans the new line as ``_CLOSING`` does. Splitting the whole record at
        each of its lines took time in the square of its number of lines.
        """
        delimiter = self.delimiter
        parts: list[str] = []  # the lines so far of a record inside a quoted field, each with its newline
        for lines, terminated, plain in blocks:
            if plain and terminated and not parts:
                yield [line.split(delimiter) for line in lines if line]
                continue
            records = []
            for line in lines:
                text = line.removesuffix("\r") if terminated else line
                if parts:
                    parts.append(line + "\n" if terminated else line)
                    if self._CLOSING.match(text) is None:
                        continue  # still inside the quoted field: the newline is part of it
                    pending = "".join(parts)
                    text = pending[:-1].removesuffix("\r") if terminated else pending
                elif not text:
                    continue  # a blank line is not a record
                fields = self.split(text)
                if fields is None:
                    if not parts:
                        parts.append(line + "\n" if terminated else line)
                    continue  # inside a quoted field: the newline is part of it
                parts = []
                records.append(fields)
            yield records
        if parts:
            yield [self.split("".join(parts), final=True) or []]

    def split(self, text: str, final: bool = False) -> list[str] | None:
        """The fields of one record, or None while a quoted field is still open (unless ``final``)."""
        if '"' not in text and "\\" not in text:
            return text.split(self.delimiter)
        if '""' not in text and "\\" not in text and "\r" not in text and text.count('"') % 2 == 0:
            # No doubled quote, no backslash, no lone CR (the csv module refuses one in an unquoted field, where
            # it is data): the csv module agrees with the rules, in C.
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


def _csv_items(body: Any, config: dict[str, Any], where: str, ragged: str) -> Iterator[dict[str, str]]:
    delimiter = DELIMITERS.get(config.get("CSVDelimiter", "COMMA"))
    if delimiter is None:
        raise _fail(f"{where}: CSVDelimiter must be one of {sorted(DELIMITERS)}")
    blocks = _CsvDialect(delimiter).record_blocks(_line_blocks(body, where))
    location = config.get("CSVHeaderLocation", "FIRST_ROW")
    first: list[list[str]] = []
    if location == "GIVEN":
        headers = config.get("CSVHeaders")
        if not isinstance(headers, list) or not headers:
            raise _fail(f"{where}: CSVHeaderLocation GIVEN needs CSVHeaders")
        row_no = 1
    else:
        for first in blocks:  # the header is the first record, the rest of its block rows
            if first:
                break
        else:
            return
        headers, first = first[0], first[1:]
        row_no = 2
    width = len(headers)
    for block in itertools.chain([first], blocks):
        if set(map(len, block)) <= {width}:  # no ragged row: a block's items in one pass
            yield from [dict(zip(headers, row, strict=False)) for row in block]  # widths checked above
            row_no += len(block)
            continue
        for row in block:
            if len(row) != width:
                # Developer Guide, example-csv-parse-dist-map: missing fields are empty strings, extra fields are
                # skipped ("pad"); RuntimeConfig.csv_ragged_rows = "error" fails the read instead.
                if ragged == "error":
                    raise _fail(f"{where}: record {row_no} has {len(row)} fields, the header has {width}")
                row = (row + [""] * width)[:width]
            yield dict(zip(headers, row, strict=True))
            row_no += 1


def _jsonl_items(body: Any, where: str) -> Iterator[Any]:
    """One item per line that is not blank (whitespace only), each read without its newline: the newline changes
    no value, only some errors' messages (an unclosed string ends at a control character), so a line that is not
    JSON is read again with it for the message."""
    line_no = 0
    for lines, terminated, _ in _line_blocks(body, where):
        for line in lines:
            line_no += 1
            if not line or line.isspace():
                continue
            try:
                yield json_text.loads(line)
            except json.JSONDecodeError as err:
                raise _fail(f"{where}: line {line_no} is not JSON: {_message(line, terminated, err)}") from None


def _message(line: str, terminated: bool, err: json.JSONDecodeError) -> str:
    """The message of reading ``line`` as the file holds it: with its newline when it ends with one."""
    if terminated:
        try:
            json_text.loads(line + "\n")
        except json.JSONDecodeError as with_newline:
            return with_newline.msg
    return err.msg


def _json_items(body: Any, where: str, pointer: str | None = None) -> Iterator[Any]:
    try:
        data = json_text.loads(body.read())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise _fail(f"{where}: not a JSON document: {err}") from None
    if pointer:
        data = _resolve_pointer(data, pointer, where)
    if not isinstance(data, list):
        raise _fail(f"{where}: a JSON ItemReader source must hold an array (or select one with ItemsPointer)")
    yield from data


def _resolve_pointer(data: Any, pointer: str, where: str) -> Any:
    """ReaderConfig.ItemsPointer, a JSON Pointer (RFC 6901) to the array inside a JSON file."""
    if not pointer.startswith("/"):
        raise _fail(f"{where}: ItemsPointer {pointer!r} must start with '/'")
    node = data
    for token in pointer[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise _fail(f"{where}: ItemsPointer {pointer!r} selects nothing")
    return node


def _parquet_items(body: Any, where: str) -> Iterator[dict[str, Any]]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(io.BytesIO(body.read()))
    except Exception as err:
        raise _fail(f"{where}: not a Parquet file: {err}") from None
    # Parquet values keep their types as JSON numbers, strings and booleans (AWS does not document the mapping).
    for batch in parquet.iter_batches(batch_size=10_000):
        yield from batch.to_pylist()


# input-output-itemreader: "Input files support the following external compression types: GZIP, ZSTD", named like
# myObject.jsonl.gz and myObject.csv.zstd.
_COMPRESSION = {"gz": "gzip", "gzip": "gzip", "zst": "zstd", "zstd": "zstd"}


class _DecompressedBody:
    """An S3 body seen through GZIP or ZSTD decompression (pyarrow has both codecs)."""

    def __init__(self, body: Any, codec: str, where: str) -> None:
        import pyarrow as pa

        self._where = where
        self._stream = pa.input_stream(pa.py_buffer(body.read()), compression=codec)

    def read(self) -> bytes:
        return self._guard(self._stream.read)

    def iter_chunks(self, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        while chunk := self._guard(lambda: self._stream.read(chunk_size)):
            yield chunk

    def _guard(self, read: Any) -> bytes:
        try:
            return read()
        except OSError as err:
            raise _fail(f"{self._where}: cannot decompress: {err}") from None


def read_object(s3: Any, bucket: str, key: str, config: dict[str, Any], ragged: str = "pad",
                version: str | None = None, calls: Counter[str] | None = None) -> Iterator[Any]:
    where = f"s3://{bucket}/{key}"
    kwargs = {"Bucket": bucket, "Key": key, **({"VersionId": version} if version else {})}
    if calls is not None:
        calls["s3:GetObject"] += 1
    try:
        body = _RangedBody(s3, kwargs, where)
    except ClientError as err:
        raise _get_failed(where, err) from None
    return read_body(body, key, config, ragged, where)


def _get_failed(where: str, err: ClientError) -> StatesError:
    return _fail(f"{where}: {err.response.get('Error', {}).get('Code', 'error')}: "
                 f"{err.response.get('Error', {}).get('Message', '')}")


class _RangedBody:
    """An S3 object read in ranges of ``RANGE_BYTES``, each GET asking for the ETag of the first (IfMatch).

    A whole-object GET holds the object in memory as long as its items are read (moto answers with the whole
    object at once): a Distributed Map reading a 600 MB CSV held it for the whole map run, the time it takes to run
    every child. In ranges, the reader holds one range at a time; a change of the object between two ranges fails
    the read (PreconditionFailed) rather than mix two versions. An empty object is read whole (a range of nothing
    is InvalidRange).
    """

    RANGE_BYTES = 8 << 20

    def __init__(self, s3: Any, kwargs: dict[str, Any], where: str) -> None:
        self._s3, self._kwargs, self._where = s3, kwargs, where
        try:
            first = s3.get_object(**kwargs, Range=f"bytes=0-{self.RANGE_BYTES - 1}")
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") != "InvalidRange":
                raise
            first = s3.get_object(**kwargs)
        self._first: Any = first["Body"]
        self._etag = first["ETag"]
        content_range = first.get("ContentRange")
        self._size = int(content_range.rsplit("/", 1)[1]) if content_range else first["ContentLength"]
        self._next = first["ContentLength"]

    def _ranges(self) -> Iterator[Any]:
        yield self._first
        self._first = None
        while self._next < self._size:
            end = min(self._size, self._next + self.RANGE_BYTES) - 1
            try:
                body = self._s3.get_object(**self._kwargs, Range=f"bytes={self._next}-{end}", IfMatch=self._etag)
            except ClientError as err:
                raise _get_failed(self._where, err) from None
            self._next = end + 1
            yield body["Body"]

    def iter_chunks(self, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        for body in self._ranges():
            yield from body.iter_chunks(chunk_size=chunk_size)

    def read(self) -> bytes:
        return b"".join(body.read() for body in self._ranges())


def read_body(body: Any, key: str, config: dict[str, Any], ragged: str = "pad", where: str = "") -> Iterator[Any]:
    """The items of an object's body (anything with ``read()`` and ``iter_chunks(chunk_size)``, as a botocore
    StreamingBody), read by the rules of ``config`` for an object named ``key``; ``where`` names it in errors."""
    where = where or key
    input_type = config.get("InputType", "JSON")
    codec = _COMPRESSION.get(key.lower().rsplit(".", 1)[-1]) if "." in key else None
    if codec and input_type != "PARQUET":  # Parquet compresses inside the file
        body = _DecompressedBody(body, codec, where)
    if input_type == "CSV":
        return _csv_items(body, config, where, ragged)
    if input_type == "JSONL":
        return _jsonl_items(body, where)
    if input_type == "JSON":
        return _json_items(body, where, config.get("ItemsPointer"))
    if input_type == "PARQUET":
        return _parquet_items(body, where)
    raise _fail(f"{where}: InputType {input_type} is not supported offline")


def list_objects(s3: Any, arguments: dict[str, Any], config: dict[str, Any], ragged: str,
                 calls: Counter[str] | None = None) -> Iterator[Any]:
    bucket = arguments.get("Bucket")
    params = {k: v for k, v in arguments.items() if k in ("Bucket", "Prefix", "Delimiter", "StartAfter")}
    paginator = s3.get_paginator("list_objects_v2")
    try:
        for page in paginator.paginate(**params):
            if calls is not None:
                calls["s3:ListObjectsV2"] += 1
            for obj in page.get("Contents", []):
                if config.get("Transformation") == "LOAD_AND_FLATTEN":
                    yield from read_object(s3, bucket, obj["Key"], config, ragged, calls=calls)
                else:
                    yield {"Etag": obj["ETag"], "Key": obj["Key"], "LastModified": int(obj["LastModified"].timestamp()),
                           "Size": obj["Size"], "StorageClass": obj.get("StorageClass", "STANDARD")}
    except ClientError as err:
        raise _fail(f"s3://{bucket}: {err.response.get('Error', {}).get('Code', 'error')}") from None


def read_items(s3: Any, resource: str, arguments: dict[str, Any], config: dict[str, Any],
               max_items: int | None, ragged: str, calls: Counter[str] | None = None) -> Iterator[Any]:
    """The items of an ItemReader, up to ``max_items``; ``calls`` counts the S3 requests made."""
    if resource.endswith(":s3:getObject"):
        if not isinstance(arguments, dict) or "Bucket" not in arguments or "Key" not in arguments:
            raise _fail("ItemReader Arguments need Bucket and Key")
        items = read_object(s3, arguments["Bucket"], arguments["Key"], config, ragged, arguments.get("VersionId"),
                            calls)
    else:
        items = list_objects(s3, arguments, config, ragged, calls)
    if max_items is None:
        yield from items  # no count kept: a step less for each item
        return
    for count, item in enumerate(items):
        if max_items is not None and count >= max_items:
            return
        yield item
