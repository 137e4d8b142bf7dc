"""A Bedrock batch job's output files, read into one compact columnar table of answers keyed by record number.

Each ``*.jsonl.out`` under the job's output prefix holds lines ``{recordId, modelInput, modelOutput}`` or
``{recordId, modelInput, error}``. The fast path parses a whole file with ``pyarrow.json`` and an explicit schema
that keeps only ``recordId``, the presence of ``error`` and the answer fields of ``modelOutput`` (the echoed
``modelInput`` is skipped, never materialised); a file it cannot type is read again line by line with
``json.loads``. Output order is not input order: everything is keyed by ``int(recordId)``.
"""

from __future__ import annotations

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
else:  # deployed: the function folder is the import root
    import answer_extraction as extraction

log = logging.getLogger(__name__)

OUTPUT_SUFFIX = ".jsonl.out"
MODEL_ERROR = "model error"
UNRECOGNISED = "unrecognised model output"
NO_OUTPUT = "no output"
UNMATCHED = "recordId outside the slice"

_RECORD_ID = re.compile(r"[0-9]{1,18}")
_BLOCK_SIZE = 16 << 20  # pyarrow.json needs the longest line to fit in one block
_KINDS = ("response", "embedding")

# Every line of every output file, compacted: the record number (null when recordId is not a decimal integer),
# the recordId itself (null when it is not a string), whether the line is an error, and the candidate answers.
_LINE_SCHEMA = pa.schema(
    [
        ("record_idx", pa.int64()),
        ("record_id", pa.string()),
        ("is_error", pa.bool_()),
        ("response", pa.string()),
        ("embedding", extraction.EMBEDDING_TYPE),
        ("input_tokens", pa.int32()),
        ("output_tokens", pa.int32()),
        ("stop_reason", pa.string()),
    ]
)


@dataclass
class JobOutputs:
    """What a job answered. ``answers`` is sorted by ``record_idx``, one row per record, restricted to the slice."""

    kind: str  # "response" (text models) or "embedding"
    answers: pa.RecordBatch  # record_idx, <kind>, input_tokens, output_tokens, stop_reason
    lines: pa.Table  # record_idx, record_id and failure reason (null when the line gave an answer) of every line
    keys: list[str]  # the output files read

    @property
    def files(self) -> int:
        return len(self.keys)

    def failures(self, first_row: int, end_row: int, rows_written: int, reported_elsewhere: int = 0) -> dict[str, int]:
        """Why the rows of ``[first_row, end_row)`` that were not written failed, plus the unmatched lines.

        ``reported_elsewhere`` rows of the slice without a line here (see ``rows_without_line``) are taken out of
        "no output": the caller accounts for them otherwise.
        """
        idx = self.lines["record_idx"]
        in_slice = pc.fill_null(pc.and_(pc.greater_equal(idx, first_row), pc.less(idx, end_row)), False)
        failed = self.lines.filter(pc.and_(in_slice, pc.is_valid(self.lines["failure"])))
        failed = failed.filter(pc.invert(pc.is_in(failed["record_idx"], value_set=self.answers["record_idx"])))
        per_record = failed.append_column("is_model_error", pc.equal(failed["failure"], MODEL_ERROR))
        per_record = per_record.group_by("record_idx").aggregate([("is_model_error", "any")])
        model_errors = pc.sum(per_record["is_model_error_any"]).as_py() or 0
        unrecognised = per_record.num_rows - model_errors
        return {
            MODEL_ERROR: model_errors,
            UNRECOGNISED: unrecognised,
            NO_OUTPUT: (end_row - first_row) - rows_written - model_errors - unrecognised - reported_elsewhere,
            UNMATCHED: self.lines.num_rows - (pc.sum(pc.cast(in_slice, pa.int64())).as_py() or 0),
        }

    def rows_without_line(self, record_idx: pa.Array, first_row: int, end_row: int) -> int:
        """How many distinct record numbers of ``record_idx`` are rows of ``[first_row, end_row)`` with no line here."""
        idx = pc.unique(pc.drop_null(record_idx))
        idx = idx.filter(pc.and_(pc.greater_equal(idx, first_row), pc.less(idx, end_row)))
        seen = pc.is_in(idx, value_set=pc.drop_null(self.lines["record_idx"]).combine_chunks())
        return len(idx) - (pc.sum(pc.cast(seen, pa.int64())).as_py() or 0)


def record_numbers(record_ids: pa.Array) -> pa.Array:
    """``int(recordId)`` where the recordId is a decimal integer of at most 18 digits, else null."""
    is_number = pc.fill_null(pc.match_substring_regex(record_ids, f"^{_RECORD_ID.pattern}$"), False)
    return pc.if_else(is_number, pc.cast(pc.if_else(is_number, record_ids, "0"), pa.int64()), None)


def list_keys(s3: Any, bucket: str, prefix: str, suffix: str) -> Iterator[str]:
    """The keys under ``prefix`` that end with ``suffix``, in S3's (lexicographic) order."""
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if item["Key"].endswith(suffix):
                yield item["Key"]


def read_job_outputs(s3: Any, bucket: str, prefix: str, first_row: int, end_row: int | None) -> JobOutputs:
    """Read every ``*.jsonl.out`` under ``prefix``; keep answers whose record is in ``[first_row, end_row)``."""
    keys = list(list_keys(s3, bucket, prefix, OUTPUT_SUFFIX))
    parts = [_read_output_file(s3, bucket, key) for key in keys]
    lines = pa.concat_tables(parts) if parts else _LINE_SCHEMA.empty_table()
    kind = _job_kind(lines) or _kind_from_model_input(s3, bucket, keys)

    idx = lines["record_idx"]
    in_range = pc.greater_equal(idx, first_row)
    if end_row is not None:
        in_range = pc.and_(in_range, pc.less(idx, end_row))
    answered = pc.and_(pc.invert(lines["is_error"]), pc.is_valid(lines[kind]))
    good = lines.filter(pc.fill_null(pc.and_(answered, in_range), False))
    good = good.select(["record_idx", kind, "input_tokens", "output_tokens", "stop_reason"])
    good = good.take(pc.sort_indices(good["record_idx"]))  # stable: the first answer of a repeated record wins
    if good.num_rows > 1:
        sorted_idx = good["record_idx"].combine_chunks()
        is_first = pc.not_equal(sorted_idx.slice(1), sorted_idx.slice(0, len(sorted_idx) - 1))
        good = good.filter(pa.concat_arrays([pa.array([True]), is_first]))
    answers = good.combine_chunks().to_batches()
    failure = pc.if_else(lines["is_error"], MODEL_ERROR, pc.if_else(answered, None, UNRECOGNISED))
    return JobOutputs(
        kind=kind,
        answers=answers[0] if answers else pa.RecordBatch.from_pylist([], schema=good.schema),
        lines=pa.table({"record_idx": idx, "record_id": lines["record_id"], "failure": failure}),
        keys=keys,
    )


def _read_output_file(s3: Any, bucket: str, key: str) -> pa.Table:
    for model_output_type in extraction.MODEL_OUTPUT_TYPES:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        try:
            return _parse_typed(body, model_output_type)
        except pa.ArrowException:
            continue  # a field of another type than expected: try the next schema, then the slow path
        finally:
            body.close()
    log.info("output file %s read line by line", key)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    try:
        return _parse_lines(body.iter_lines(chunk_size=1 << 20))
    finally:
        body.close()


def _parse_typed(stream: Any, model_output_type: pa.StructType) -> pa.Table:
    schema = pa.schema([("recordId", pa.string()), ("error", pa.struct([])), ("modelOutput", model_output_type)])
    table = pajson.read_json(
        stream,
        read_options=pajson.ReadOptions(block_size=_BLOCK_SIZE),
        parse_options=pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"),
    )
    parts = [
        _compact_lines(batch["recordId"], batch["error"], extraction.extract_columns(batch["modelOutput"]))
        for batch in table.to_batches()
    ]
    return pa.Table.from_batches(parts, schema=_LINE_SCHEMA)


def _compact_lines(record_ids: pa.Array, errors: pa.Array, answers: dict[str, pa.Array]) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(
        [
            record_numbers(record_ids),
            record_ids,
            pc.is_valid(errors),
            answers["response"],
            answers["embedding"],
            pc.cast(answers["input_tokens"], pa.int32()),
            pc.cast(answers["output_tokens"], pa.int32()),
            answers["stop_reason"],
        ],
        schema=_LINE_SCHEMA,
    )


def _parse_lines(lines: Iterator[bytes]) -> pa.Table:
    columns: dict[str, list] = {name: [] for name in _LINE_SCHEMA.names}
    for raw in lines:
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            line = None  # a malformed line cannot be matched to a record: it counts as unmatched
        if not isinstance(line, dict):
            line = {"error": "malformed output line"}
        record_id = line.get("recordId")
        is_number = isinstance(record_id, str) and _RECORD_ID.fullmatch(record_id)
        is_error = line.get("error") is not None
        answer = None if is_error else extraction.extract_one(line.get("modelOutput"))
        columns["record_idx"].append(int(record_id) if is_number else None)
        columns["record_id"].append(record_id if isinstance(record_id, str) else None)
        columns["is_error"].append(is_error)
        for name, value in zip(extraction.Answer._fields, answer or extraction.Answer(*[None] * 5), strict=True):
            columns[name].append(value)
    return pa.Table.from_pydict(columns, schema=_LINE_SCHEMA)


def _job_kind(lines: pa.Table) -> str | None:
    """A job runs one model: text if more lines answered with text than with a vector, and the reverse."""
    counts = {kind: lines.num_rows - lines[kind].null_count for kind in _KINDS}
    if not any(counts.values()):
        return None
    return max(_KINDS, key=lambda kind: counts[kind])


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
