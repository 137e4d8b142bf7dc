"""A Bedrock batch job's output files, read into compact columns: the answers, and one short entry per line.

Each ``*.jsonl.out`` under the job's output prefix holds lines ``{recordId, modelInput, modelOutput}`` or
``{recordId, modelInput, error}``. The fast path streams a file through ``pyarrow.json`` block by block with an
explicit schema that keeps only ``recordId``, ``error`` and the answer fields of ``modelOutput`` (the echoed
``modelInput`` is skipped, never materialised), and reduces each block at once to what the join needs; a file it
cannot type is read again line by line with ``json.loads``. Output order is not input order: everything is keyed by
``int(recordId)``.

What is kept, so that memory is a few bytes a line, whatever the answers' length:

* the answers of the slice, in the order read, as they were parsed (never copied into sorted order), appended block
  by block to a memory-mapped file in /tmp (``answer_spool``), not held in memory; a sorted index of their record
  numbers says where each one is (``Answers``), and the join gathers each input batch's answers, a step at a time;
* per line, its record number, its recordId and what it gave (an answer, an error or nothing recognisable), for the
  counts and the missing records;
* per error line, Bedrock's ``errorCode`` and ``errorMessage``, for the failed records' list.
"""

from __future__ import annotations

import bisect
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

if __package__:
    from . import answer_extraction as extraction
    from .answer_spool import AnswerSpool
    from .s3_files import PacedStream, json_lines
else:  # deployed: the function folder is the import root
    import answer_extraction as extraction
    from answer_spool import AnswerSpool
    from s3_files import PacedStream, json_lines

log = logging.getLogger(__name__)

OUTPUT_SUFFIX = ".jsonl.out"
MODEL_ERROR = "model error"
UNRECOGNISED = "unrecognised model output"
NO_OUTPUT = "no output"
UNMATCHED = "recordId outside the slice"

# The failed records' list: Bedrock's own error for a model error, these for an output of no known shape.
UNRECOGNISED_ERROR = {
    "errorCode": "UnrecognisedModelOutput",
    "errorMessage": "the model output has no recognised answer for this model family",
}
# An error line without errorCode or errorMessage (Bedrock always sends both).
ERROR_DEFAULTS = {"errorCode": "ModelError", "errorMessage": "the batch job reported an error for this record"}

_RECORD_ID = re.compile(r"[0-9]{1,18}")
_BLOCK_SIZE = 16 << 20  # pyarrow.json needs the longest line to fit in one block
# lines parsed one by one are turned into columns this many at a time, or fewer once their answers hold this much
_FALLBACK_ROWS = 16 * 1024
_FALLBACK_BYTES = 16 << 20
_KINDS = ("response", "embedding")
# What is kept to the end (the answers, a few bytes a line) is copied out of the buffers that the parsers and the join
# allocate and free all the time, into buffers of its own: a kept slice of a parser's buffer would pin all of it.
_KEPT = pa.system_memory_pool()  # the function's default pool too (app.py); named here for where it matters
_IS_MODEL_ERROR, _IS_UNRECOGNISED = 1, 2  # JobOutputs.lines["failure"]; null: the line gave an answer

# Bedrock's errorCode is a number (an HTTP status); a file with text codes is read with the second type.
_ERROR_CODE_TYPES = (pa.int64(), pa.string())
# The explicit schemas of the fast path, tried in this order (a file of the same job usually takes the same one).
_FILE_SCHEMAS = tuple(
    pa.schema(
        [
            ("recordId", pa.string()),
            ("error", pa.struct([("errorCode", code_type), ("errorMessage", pa.string())])),
            ("modelOutput", model_output_type),
        ]
    )
    for code_type in _ERROR_CODE_TYPES
    for model_output_type in extraction.MODEL_OUTPUT_TYPES
)

# Every line, compacted: the record number (null when recordId is not a decimal integer), the recordId itself (null
# when it is not a string), whether the line is an error and the error's fields, and the candidate answers.
_LINE_SCHEMA = pa.schema(
    [
        ("record_idx", pa.int64()),
        ("record_id", pa.string()),
        ("is_error", pa.bool_()),
        ("error_code", pa.string()),
        ("error_message", pa.string()),
        ("response", pa.string()),
        ("embedding", extraction.EMBEDDING_TYPE),
        ("input_tokens", pa.int32()),
        ("output_tokens", pa.int32()),
        ("stop_reason", pa.string()),
    ]
)
# What is kept of each line, of each answer and of each error line.
_LINES = pa.schema(
    [
        ("record_idx", pa.int64()),
        ("record_id", pa.string()),
        ("is_error", pa.bool_()),
        ("has_response", pa.bool_()),
        ("has_embedding", pa.bool_()),
    ]
)
_ANSWERS = pa.schema(
    [_LINE_SCHEMA.field(name) for name in ("record_idx", *_KINDS, "input_tokens", "output_tokens", "stop_reason")]
)
_ERRORS = pa.schema([("line", pa.int64()), ("error_code", pa.string()), ("error_message", pa.string())])


class Answers:
    """The answers of the slice, one per record (the first of ``kind`` read wins), looked up in record order.

    ``record_idx`` is sorted; the answer of ``record_idx[i]`` is row ``positions[i]`` of the concatenation of
    ``chunks``, which stay as they were read (memory-mapped, see ``answer_spool``): sorting moves 16 bytes an answer,
    not the answers. Rows of ``chunks`` without an answer of ``kind`` are left out of the index.
    """

    def __init__(self, kind: str, chunks: list[pa.RecordBatch]) -> None:
        self.kind = kind
        self.columns = [kind, "input_tokens", "output_tokens", "stop_reason"]
        chunks = [chunk for chunk in chunks if chunk.num_rows]
        self._chunks = [chunk.select(self.columns) for chunk in chunks]
        self._starts = [0]
        for chunk in self._chunks:
            self._starts.append(self._starts[-1] + chunk.num_rows)
        idx = pa.chunked_array([chunk["record_idx"] for chunk in chunks], pa.int64())
        has_kind = pa.chunked_array([pc.is_valid(chunk[kind]) for chunk in chunks], pa.bool_())
        at = pc.cast(pc.indices_nonzero(has_kind), pa.int64())  # rows of the concatenation with an answer
        idx = idx.filter(has_kind)
        order = pc.sort_indices(idx)  # stable: the first answer of a repeated record wins
        sorted_idx = idx.take(order).combine_chunks() if len(idx) else pa.array([], pa.int64())
        positions = at.take(order)
        if len(sorted_idx) > 1:
            is_first = pc.not_equal(sorted_idx.slice(1), sorted_idx.slice(0, len(sorted_idx) - 1))
            is_first = pa.concat_arrays([pa.array([True]), is_first])
            sorted_idx, positions = sorted_idx.filter(is_first), positions.filter(is_first)
        self.record_idx: pa.Array = pa.concat_arrays([sorted_idx], memory_pool=_KEPT)
        self.positions: pa.Array = pa.concat_arrays([positions], memory_pool=_KEPT)
        self.longest = max((_longest(chunk[kind]) for chunk in self._chunks), default=0)  # bytes of one answer

    def step_rows(self, step_bytes: int) -> int:
        """How many answers ``take`` may gather at once to hold at most ``step_bytes`` of them (at least one)."""
        return max(1, step_bytes // max(1, self.longest))

    @property
    def num_rows(self) -> int:
        return len(self.record_idx)

    def take(self, lo: int, hi: int) -> list[pa.Array]:
        """The answer columns (``columns``) of ``record_idx[lo:hi]``, in that order."""
        positions = self.positions.slice(lo, hi - lo)
        order = pc.cast(pc.sort_indices(positions), pa.int64())
        by_position = positions.take(order)
        view = int64_view(by_position)
        pieces, start = [], 0
        for chunk, chunk_start, chunk_end in zip(self._chunks, self._starts, self._starts[1:], strict=False):
            end = bisect.bisect_left(view, chunk_end, start)
            if end > start:
                pieces.append(chunk.take(pc.subtract(by_position.slice(start, end - start), chunk_start)))
                start = end
                if start == len(by_position):
                    break
        gathered = pa.concat_batches(pieces) if len(pieces) > 1 else pieces[0]
        return gathered.take(pc.inverse_permutation(order)).columns

    def release(self) -> None:
        """Drop the answers themselves (the record numbers stay, for the counts)."""
        self._chunks, self._starts = [], [0]


@dataclass
class Failures:
    reasons: dict[str, int]  # ErrorReasons
    records: list[dict[str, Any]]  # {"recordId", "error": {"errorCode", "errorMessage"}} in record number order


@dataclass
class JobOutputs:
    """What a job answered: ``answers`` are restricted to the slice, ``lines`` and ``errors`` cover every line."""

    kind: str  # "response" (text models) or "embedding"
    answers: Answers
    lines: pa.Table  # record_idx, record_id, failure (int8: 1 model error, 2 unrecognised, null: an answer)
    errors: pa.Table  # line (its row in ``lines``), error_code, error_message of each error line
    keys: list[str]  # the output files read

    @property
    def files(self) -> int:
        return len(self.keys)

    def failures(self, first_row: int, end_row: int, rows_written: int, reported_elsewhere: int = 0) -> Failures:
        """Why the rows of ``[first_row, end_row)`` that were not written failed, plus the unmatched lines.

        ``reported_elsewhere`` rows of the slice without a line here (see ``rows_without_line``) are taken out of
        "no output": the caller accounts for them otherwise. ``records`` lists the rows counted as "model error"
        or "unrecognised model output", each with the first error line of its record (or, without one, its first
        unrecognised output).
        """
        idx = self.lines["record_idx"]
        in_slice = pc.fill_null(pc.and_(pc.greater_equal(idx, first_row), pc.less(idx, end_row)), False)
        line = pc.cast(pc.indices_nonzero(pc.and_(in_slice, pc.is_valid(self.lines["failure"]))), pa.int64())
        failed = self.lines.take(line).append_column("line", line)
        failed = failed.filter(pc.invert(pc.is_in(failed["record_idx"], value_set=self.answers.record_idx)))
        failed = failed.sort_by([("record_idx", "ascending"), ("failure", "ascending"), ("line", "ascending")])
        if failed.num_rows > 1:
            sorted_idx = failed["record_idx"].combine_chunks()
            is_first = pc.not_equal(sorted_idx.slice(1), sorted_idx.slice(0, len(sorted_idx) - 1))
            failed = failed.filter(pa.concat_arrays([pa.array([True]), is_first]))
        is_model_error = pc.equal(failed["failure"], _IS_MODEL_ERROR)
        model_errors = pc.sum(pc.cast(is_model_error, pa.int64())).as_py() or 0
        unrecognised = failed.num_rows - model_errors
        reasons = {
            MODEL_ERROR: model_errors,
            UNRECOGNISED: unrecognised,
            NO_OUTPUT: (end_row - first_row) - rows_written - model_errors - unrecognised - reported_elsewhere,
            UNMATCHED: self.lines.num_rows - (pc.sum(pc.cast(in_slice, pa.int64())).as_py() or 0),
        }
        error_row = pc.index_in(failed["line"], value_set=self.errors["line"].combine_chunks())
        codes = pc.take(self.errors["error_code"], error_row).to_pylist()
        messages = pc.take(self.errors["error_message"], error_row).to_pylist()
        records = [
            {
                "recordId": record_id,
                "error": {
                    "errorCode": code if code is not None else ERROR_DEFAULTS["errorCode"],
                    "errorMessage": message if message is not None else ERROR_DEFAULTS["errorMessage"],
                }
                if model_error
                else UNRECOGNISED_ERROR,
            }
            for record_id, model_error, code, message in zip(
                failed["record_id"].to_pylist(), is_model_error.to_pylist(), codes, messages, strict=True
            )
        ]
        return Failures(reasons, records)

    def rows_without_line(self, record_idx: pa.Array, first_row: int, end_row: int) -> int:
        """How many distinct record numbers of ``record_idx`` are rows of ``[first_row, end_row)`` with no line here."""
        idx = pc.unique(pc.drop_null(record_idx))
        idx = idx.filter(pc.and_(pc.greater_equal(idx, first_row), pc.less(idx, end_row)))
        seen = pc.is_in(idx, value_set=pc.drop_null(self.lines["record_idx"]).combine_chunks())
        return len(idx) - (pc.sum(pc.cast(seen, pa.int64())).as_py() or 0)


def _longest(column: pa.Array) -> int:
    """The bytes of the longest value of an answer column: a string's UTF-8, an embedding's floats."""
    if pa.types.is_list(column.type):
        lengths, width = pc.list_value_length(column), column.type.value_type.byte_width
    else:
        lengths, width = pc.binary_length(column), 1
    return (pc.max(lengths).as_py() or 0) * width


def write_failed(s3: Any, bucket: str, key: str, records: list[dict[str, Any]]) -> None:
    """One JSON line per failed record, shaped like an output error line, to ``s3://bucket/key``."""
    body = "".join(json.dumps(record) + "\n" for record in records)
    s3.put_object(Bucket=bucket, Key=key, Body=body.encode())


def record_numbers(record_ids: pa.Array) -> pa.Array:
    """``int(recordId)`` where the recordId is a decimal integer of at most 18 digits, else null."""
    is_number = pc.fill_null(pc.match_substring_regex(record_ids, f"^{_RECORD_ID.pattern}$"), False)
    return pc.if_else(is_number, pc.cast(pc.if_else(is_number, record_ids, "0"), pa.int64()), None)


def int64_view(array: pa.Array) -> Any:
    """A zero-copy sequence view of a null-free int64 array, for ``bisect``."""
    if len(array) == 0:
        return []
    return memoryview(array.buffers()[1]).cast("q")[array.offset : array.offset + len(array)]


def list_keys(s3: Any, bucket: str, prefix: str, suffix: str) -> Iterator[str]:
    """The keys under ``prefix`` that end with ``suffix``, in S3's (lexicographic) order."""
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if item["Key"].endswith(suffix):
                yield item["Key"]


def read_job_outputs(s3: Any, bucket: str, prefix: str, first_row: int, end_row: int | None) -> JobOutputs:
    """Read every ``*.jsonl.out`` under ``prefix``; keep answers whose record is in ``[first_row, end_row)``."""
    keys = list(list_keys(s3, bucket, prefix, OUTPUT_SUFFIX))
    spool = AnswerSpool(_ANSWERS)
    try:
        reader = _OutputReader(s3, bucket, first_row, end_row, spool)
        files = [reader.read(key) for key in keys]  # in the order of the keys: the first answer read wins
    except BaseException:
        spool.discard()
        raise
    chunks = spool.open()  # (removes the file, whether or not it opens)

    lines = pa.Table.from_batches([_kept([file.lines for file in files], _LINES)])
    errors, first_line = [], 0
    for file in files:
        if file.errors is not None:
            errors.append(file.errors.set_column(0, "line", pc.add(file.errors["line"], first_line)))
        first_line += file.lines.num_rows
    del files

    counts = {kind: pc.sum(pc.cast(lines[f"has_{kind}"], pa.int64())).as_py() or 0 for kind in _KINDS}
    # a job runs one model: text if more lines answered with text than with a vector, and the reverse
    kind = max(_KINDS, key=lambda k: counts[k]) if any(counts.values()) else _kind_from_model_input(s3, bucket, keys)
    has_kind = lines[f"has_{kind}"]
    failure = pc.if_else(
        lines["is_error"], _IS_MODEL_ERROR, pc.if_else(has_kind, pa.scalar(None, pa.int8()), _IS_UNRECOGNISED)
    )
    return JobOutputs(
        kind=kind,
        answers=Answers(kind, chunks),
        lines=pa.table({"record_idx": lines["record_idx"], "record_id": lines["record_id"], "failure": failure}),
        errors=pa.Table.from_batches([_kept(errors, _ERRORS)]),
        keys=keys,
    )


@dataclass
class _FileParts:
    """What is kept of one output file (see the module docstring) but its answers, which went to the spool;
    ``errors``' lines count from its first line."""

    lines: pa.RecordBatch  # _LINES, one row per line
    errors: pa.RecordBatch | None  # _ERRORS: the error lines


class _OutputReader:
    """Reads output files into ``_FileParts``, one at a time (two side by side would hold twice the buffers), and
    their answers (the lines with an answer whose record is in the slice, ``_ANSWERS``) into ``spool``."""

    def __init__(self, s3: Any, bucket: str, first_row: int, end_row: int | None, spool: AnswerSpool) -> None:
        self._s3, self._bucket = s3, bucket
        self._first_row, self._end_row = first_row, end_row
        self._spool = spool
        self._schemas = list(_FILE_SCHEMAS)  # the one that fitted the last file first: the job's files are alike

    def read(self, key: str) -> _FileParts:
        for schema in list(self._schemas):
            body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"]
            mark = self._spool.mark()
            try:
                blocks = [self._split(batch) for batch in _parse_typed(body, schema)]
            except pa.ArrowException as error:
                self._spool.drop_since(mark)  # this attempt's answers: the next one reads the file again
                if "straddl" in str(error):
                    break  # a line longer than a block: no schema helps, straight to the slow path
                continue  # a field of another type than expected: try the next schema, then the slow path
            finally:
                body.close()
            self._schemas.remove(schema)
            self._schemas.insert(0, schema)
            return _file_parts(blocks)
        log.info("output file %s read line by line", key)
        lines = json_lines(self._s3, self._bucket, key)
        return _file_parts([self._split(batch) for batch in _parse_lines(lines)])

    def _split(self, batch: pa.RecordBatch) -> tuple[pa.RecordBatch, pa.RecordBatch]:
        """One block of compacted lines (``_LINE_SCHEMA``) as its lines and errors (lines of the block); its answers
        go to the spool."""
        idx, is_error = batch["record_idx"], batch["is_error"]
        has_response, has_embedding = pc.is_valid(batch["response"]), pc.is_valid(batch["embedding"])
        lines = pa.RecordBatch.from_arrays(
            [idx, batch["record_id"], is_error, has_response, has_embedding], schema=_LINES
        )
        in_range = pc.greater_equal(idx, self._first_row)
        if self._end_row is not None:
            in_range = pc.and_(in_range, pc.less(idx, self._end_row))
        answered = pc.and_(pc.invert(is_error), pc.or_(has_response, has_embedding))
        self._spool.add(batch.select(_ANSWERS.names).filter(pc.fill_null(pc.and_(answered, in_range), False)))
        error_lines = pc.cast(pc.indices_nonzero(is_error), pa.int64())
        errors = batch.select(["error_code", "error_message"]).take(error_lines)
        errors = pa.RecordBatch.from_arrays([error_lines, *errors.columns], schema=_ERRORS)
        return lines, errors


def _file_parts(blocks: list[tuple[pa.RecordBatch, pa.RecordBatch]]) -> _FileParts:
    errors, first_line = [], 0
    for lines, block_errors in blocks:
        if block_errors.num_rows:
            errors.append(block_errors.set_column(0, "line", pc.add(block_errors["line"], first_line)))
        first_line += lines.num_rows
    return _FileParts(
        lines=_kept([lines for lines, _ in blocks], _LINES),
        errors=_kept(errors, _ERRORS) if errors else None,
    )


def _kept(batches: list[pa.RecordBatch], schema: pa.Schema) -> pa.RecordBatch:
    """``batches`` as one batch, copied to the memory pool of what is kept until the end (see ``_KEPT``)."""
    columns = [
        pa.concat_arrays([batch.column(i) for batch in batches], memory_pool=_KEPT)
        if batches
        else pa.array([], field.type)
        for i, field in enumerate(schema)
    ]
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def _parse_typed(body: Any, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    stream = PacedStream(body)
    try:
        reader = stream.call(
            pajson.open_json,
            stream,
            read_options=pajson.ReadOptions(block_size=_BLOCK_SIZE),
            parse_options=pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"),
        )
        for batch in stream.batches(reader):
            errors = batch["error"]
            yield _compact_lines(
                batch["recordId"],
                pc.is_valid(errors),
                pc.cast(pc.struct_field(errors, ["errorCode"]), pa.string()),
                pc.struct_field(errors, ["errorMessage"]),
                extraction.extract_columns(batch["modelOutput"]),
            )
    finally:
        stream.close()  # before the reader goes: its I/O thread may be waiting to read


def _compact_lines(
    record_ids: pa.Array, is_error: pa.Array, codes: pa.Array, messages: pa.Array, answers: dict[str, pa.Array]
) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(
        [
            record_numbers(record_ids),
            record_ids,
            is_error,
            codes,
            messages,
            answers["response"],
            answers["embedding"],
            pc.cast(answers["input_tokens"], pa.int32()),
            pc.cast(answers["output_tokens"], pa.int32()),
            answers["stop_reason"],
        ],
        schema=_LINE_SCHEMA,
    )


def _parse_lines(lines: Iterator[Any]) -> Iterator[pa.RecordBatch]:
    columns: dict[str, list] = {name: [] for name in _LINE_SCHEMA.names}
    answer_bytes = 0
    for line in lines:
        if not isinstance(line, dict):  # a malformed line cannot be matched to a record: it counts as unmatched
            line = {"error": "malformed output line"}
        record_id = line.get("recordId")
        is_number = isinstance(record_id, str) and _RECORD_ID.fullmatch(record_id)
        error = line.get("error")
        answer = None if error is not None else extraction.extract_one(line.get("modelOutput"))
        columns["record_idx"].append(int(record_id) if is_number else None)
        columns["record_id"].append(record_id if isinstance(record_id, str) else None)
        columns["is_error"].append(error is not None)
        code, message = _error_fields(error)
        columns["error_code"].append(code)
        columns["error_message"].append(message)
        for name, value in zip(extraction.Answer._fields, answer or extraction.Answer(*[None] * 5), strict=True):
            columns[name].append(value)
        if answer is not None:  # characters of the text, or the embedding's floats (4 bytes each)
            answer_bytes += len(answer.response) if isinstance(answer.response, str) else 0
            answer_bytes += 4 * len(answer.embedding) if isinstance(answer.embedding, list) else 0
        if len(columns["record_idx"]) >= _FALLBACK_ROWS or answer_bytes >= _FALLBACK_BYTES:
            yield pa.RecordBatch.from_pydict(columns, schema=_LINE_SCHEMA)
            columns = {name: [] for name in _LINE_SCHEMA.names}
            answer_bytes = 0
    if columns["record_idx"]:
        yield pa.RecordBatch.from_pydict(columns, schema=_LINE_SCHEMA)


def _error_fields(error: Any) -> tuple[str | None, str | None]:
    """``errorCode`` as text (a number as JSON writes it) and ``errorMessage`` of an output line's ``error``."""
    if not isinstance(error, dict):
        return None, error if isinstance(error, str) else None
    code, message = error.get("errorCode"), error.get("errorMessage")
    if isinstance(code, float) and code.is_integer():
        code = int(code)
    if code is not None and not isinstance(code, str):
        code = json.dumps(code)
    return code, message if isinstance(message, str) else None


def _kind_from_model_input(s3: Any, bucket: str, keys: list[str]) -> str:
    """No answer at all: tell an embedding job from its first echoed ``modelInput``."""
    for key in keys:
        body = s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-1048575")["Body"]
        first_line = body.read().split(b"\n", 1)[0]
        body.close()
        try:
            model_input = json.loads(first_line).get("modelInput")
        except (ValueError, AttributeError):
            continue
        if isinstance(model_input, dict):
            return "embedding" if {"inputText", "texts"} & model_input.keys() else "response"
    return "response"
