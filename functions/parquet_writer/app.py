"""Join one Bedrock batch job's input rows with its answers on ``recordId`` and write them as Parquet.

Event (the Step Functions Task payload)::

    {"Bucket", "RunId", "InputKey", "InputFormat": "CSV" | "JSONL" | "PARQUET", "CSVDelimiter": "," (or "\\t", ";",
     "|", " ", or COMMA, TAB, SEMICOLON, PIPE, SPACE), "OutputPrefix", "ResultKey", "RecordIdOffset": 0,
     "RecordCount"?, "RequestPrefix"?, "MissingKey"?, "FailedKey"?, "OutputSchema"?, "StructuredKey"?,
     "ColumnTypes"?}

Returns ``{"ResultKey", "Rows", "Errors", "Columns", "InputTokens", "OutputTokens", "OutputFiles", "ErrorReasons",
"Missing", "MissingKey", "Failed", "FailedKey", "StructuredRows", "StructuredKey", "RaggedRows"}``.

``OutputSchema`` (optional, the prompt template's ``output_schema``, a JSON Schema object or its JSON text) asks for
structured answers (see ``structured``): each answer's JSON is extracted and validated, each top-level property is
written as its own typed column after ``record_id`` (``response`` keeps the raw text), and a row whose answer does
not fit is not written but counted under "invalid structured answer" and listed in ``FailedKey`` as ``{"recordId",
"error": {"errorCode": "InvalidStructuredAnswer", "errorMessage": <the reason>}, "answer": <the raw answer, at most
16 KiB>}``. ``StructuredKey`` (optional, with ``OutputSchema``) asks for the written rows as JSON lines ``{"recordId",
"response", "attributes"}``, the properties as DynamoDB attribute values, for the DynamoDB sink; ``StructuredRows``
counts them (0 and a null key when none is written).

Every written row carries ``record_id`` ``<RunId>-<row index>`` (unique across runs and files: the dead letters'
``recordId`` is the same string), ``run_id`` and ``input_key`` after the answer columns. ``ColumnTypes`` (optional,
CSV only; ``{column: "boolean" | "int64" | "float64"}``) types those columns as the input workflow decided from every
row of the file, so that all Parquet files of a run share one schema (see ``column_types``); other CSV columns stay
strings.

A CSV is read with the Distributed Map CSV reader's rules (``csv_rows``): a row with fewer fields than the header
gets empty strings, a row with more loses the extra ones, as the reader gave them to the workflow that built the
prompts. ``RaggedRows`` ``{"Short", "Long"}`` counts such rows of the slice (0 and 0 for JSONL and Parquet).

The answers joined are those of the ``*.jsonl.out`` files under ``OutputPrefix``: the job's output folder
(``batch-output/<job name>/<job id>/``) or one output file in it. The slice is the input rows ``[RecordIdOffset,
RecordIdOffset + RecordCount)`` (to the end of the file without ``RecordCount``); row ``i`` is the record
``str(i).zfill(11)``.

``RequestPrefix`` (optional, the job's request files, e.g. ``batch-input/<job name>/``) asks for the records the
job left out of its output entirely, as a PartiallyCompleted job does: every recordId of every ``*.jsonl`` under it
that no line of any ``*.jsonl.out`` in the output folder carries. The output folder is ``OutputPrefix`` up to its
last '/', so every output file of the job counts even when ``OutputPrefix`` names one. Those records are written,
one line ``{"recordId": ..., "error": {"errorCode": "MissingFromOutput", "errorMessage": "the batch job ended
without an output line for this record"}}`` each, to ``MissingKey`` (optional; default ``<output
folder>/missing.jsonl``, which does not end in .jsonl.out and is never read as output), for the dead-letter queue.

``FailedKey`` (optional, a key in ``Bucket`` that must not end in .jsonl.out) asks for the rows of the slice counted
under "model error" and "unrecognised model output", for the dead-letter queue when no other sink reads every output
line. They are written there one line per record, in record order: ``{"recordId": <as in the output>, "error":
{"errorCode": ..., "errorMessage": ...}}`` with Bedrock's own ``error`` of the record's first error line for a model
error (``errorCode`` as a string, a number as JSON writes it; "ModelError" and "the batch job reported an error for
this record" stand in for a field Bedrock left out), and ``{"errorCode": "UnrecognisedModelOutput", "errorMessage":
"the model output has no recognised answer for this model family"}`` for an unrecognised output.

What the counts mean; a row of the slice is counted in at most one of ``Rows``, ``Errors`` and ``Missing`` (recordIds
are compared as Bedrock echoes them, verbatim):

* ``Rows``: rows of the slice written, those with an answer in the output files read;
* ``Errors``: the sum of ``ErrorReasons``, whose rows are not written (for the dead-letter queue, see ``FailedKey``):

  - "model error": rows of the slice without an answer that have an error line in the files read;
  - "unrecognised model output": rows of the slice without an answer whose lines in the files read are all outputs
    of no known shape;
  - "no output": rows of the slice with no line in the files read. With ``RequestPrefix``, less the rows counted in
    ``Missing`` and the rows with a line in another output file of the folder (which that file's invocation
    counts): what remains are rows never submitted to the job, such as rows rejected before it;
  - "recordId outside the slice": output lines, not rows, of the files read whose recordId is not a decimal integer
    inside the slice, malformed lines included (a line that is not JSON carries no recordId: its record, if
    submitted and without another line, is in ``Missing``);

* ``Missing``: the distinct recordIds submitted under ``RequestPrefix`` without any line in any output file of the
  folder; 0 without ``RequestPrefix``. It covers the whole job, not only the slice: every invocation for the same
  job finds the same records, so report them once per job;
* ``MissingKey``: the key they were written to; null when ``Missing`` is 0, and then no object is written;
* ``Failed``: the lines written to ``FailedKey``, "model error" plus "unrecognised model output"; 0 without
  ``FailedKey``;
* ``FailedKey``: the key they were written to; null when ``Failed`` is 0, and then no object is written.

Why it is built this way: the answers of one job (at most 50,000 records) are read first, file by file and block by
block, keeping a few bytes a line in memory and the answers in a memory-mapped file in /tmp (see ``batch_outputs``
and ``answer_spool``: with a large MaxTokens they outgrow the function's memory); the input is then streamed batch by
batch, each batch's rows with an answer are picked with a vectorised ``take``, their answers gathered beside them
16 MiB at a time, and written as Parquet, a row group every 16 MiB, straight into a multipart upload of 8 MiB parts
(``S3UploadStream``: the Parquet file never touches /tmp). The input is read from the shared row index's checkpoint
before the slice, not from row 0 (see ``row_index``), so a job's writer downloads about its slice, not the file before
it. Memory stays bounded by a few input blocks, one step of answers, one row group and one part, whatever the
answers' length; /tmp holds the answers once. For JSON Lines and Parquet no Python
code runs per input row but the row scanner's regular-expression match; CSV rows are delimited and parsed in Python
(``csv_rows``), because pyarrow's reader cannot read them as Step Functions' does. The missing records are found
from recordIds alone (see ``missing_records``). Nothing but counts and keys is logged: prompts, answers and recordIds
never reach the logs.
"""

from __future__ import annotations

import bisect
import contextlib
import ctypes
import logging
import os
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

if __package__:
    from . import batch_outputs, column_types, input_rows, missing_records, structured
    from .answer_extraction import EMBEDDING_TYPE
    from .s3_files import S3UploadStream
else:  # deployed: the function folder is the import root
    import batch_outputs
    import column_types
    import input_rows
    import missing_records
    import structured
    from answer_extraction import EMBEDDING_TYPE
    from s3_files import S3UploadStream

log = logging.getLogger("parquet_writer")
log.setLevel(os.environ.get("LOG_LEVEL", "INFO"))

# pyarrow's buffers from the C library's allocator, not mimalloc (pyarrow's default on Linux): four 50,000-row slices
# in one process (`python -m bench.parquet_writer 100000 --slices`) peaked 70-170 MB lower and ended each invocation
# about 180 MB lower (mimalloc keeps what it freed), at the same speed. The function's memory is what its Lambda limit
# counts, for one invocation and the next in a warm container.
pa.set_memory_pool(pa.system_memory_pool())


def _fix_mmap_threshold(size: int) -> None:
    """Make glibc's malloc give every block of ``size`` bytes or more its own mmap, returned to the system when freed.

    By default the threshold moves up (to 32 MiB) each time such a block is freed, after which the parsers' 16 MiB
    blocks and the upload's 8 MiB parts come from the heap and fragment it: reading one output file of 50,000 answers
    of 8 KiB (`python -m bench.parquet_writer 50000 --answer-tokens 2048`) peaked at 511 MiB of anonymous memory,
    of which pyarrow held 124; with the threshold fixed here, 248. Not glibc (no ``mallopt``): nothing to do.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(_M_MMAP_THRESHOLD, size)


_M_MMAP_THRESHOLD = -3  # malloc.h
if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):  # in Lambda, where the process is the function's own; not in a
    _fix_mmap_threshold(4 << 20)                # process that imports the writer (the offline runtime, tests)

RECORD_ID_WIDTH = 11
ANSWER_FIELDS = {
    "response": pa.string(),
    "embedding": EMBEDDING_TYPE,
    "input_tokens": pa.int32(),
    "output_tokens": pa.int32(),
    "stop_reason": pa.string(),
    "record_id": pa.string(),
    "run_id": pa.string(),
    "input_key": pa.string(),
}
# A row group is written once this many rows or bytes are joined: enough for the columns' pages to compress well,
# little enough not to hold much beside the answers. The answers are gathered at most this many bytes at a time.
_ROW_GROUP_ROWS = 64 * 1024
_ROW_GROUP_BYTES = 16 << 20

_s3_client: Any = None


def s3() -> Any:
    """The S3 client, created on first use so that tests (moto) and AWS_ENDPOINT_URL apply to it."""
    global _s3_client
    if _s3_client is None:
        _s3_client = boto3.client("s3")
    return _s3_client


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    job = _Job(event)
    outputs = batch_outputs.read_job_outputs(s3(), job.bucket, job.output_prefix, job.first_row, job.end_row)
    log.info(
        "job output: %d files, %d lines, %d answers (%s) under s3://%s/%s",
        outputs.files,
        outputs.lines.num_rows,
        outputs.answers.num_rows,
        outputs.kind,
        job.bucket,
        job.output_prefix,
    )
    missing = None
    if job.request_prefix is not None:
        missing = missing_records.find_missing(s3(), job.bucket, job.request_prefix, job.output_folder, outputs)
        log.info(
            "job requests: %d files under s3://%s/%s; %d records without a line in the %d output files of %s",
            missing.request_files,
            job.bucket,
            job.request_prefix,
            len(missing.record_ids),
            missing.output_files,
            job.output_folder,
        )
    source = input_rows.open_input(
        s3(), job.bucket, job.input_key, job.input_format, job.delimiter, job.first_row, job.end_row
    )
    checker = None
    if job.output_schema is not None and outputs.kind == "response":
        checker = structured.StructuredOutput(job.output_schema)
    input_schema = column_types.typed_schema(source.schema, job.column_types)
    schema = _result_schema(input_schema, outputs.kind, checker.fields if checker else [])
    result_file = S3UploadStream(s3(), job.bucket, job.result_key)
    try:
        with pq.ParquetWriter(result_file, schema) as writer:
            totals = _join(source, outputs, job, input_schema, schema, writer, checker)
        outputs.answers.release()  # before the upload's last part is sent
        result_file.commit()
    except BaseException:
        result_file.abort()
        raise

    end_row = job.first_row + totals["slice_rows"]
    elsewhere = 0 if missing is None else outputs.rows_without_line(missing.elsewhere_idx, job.first_row, end_row)
    invalid = checker.invalid if checker else []
    failures = outputs.failures(job.first_row, end_row, totals["rows"] + len(invalid), reported_elsewhere=elsewhere)
    reasons = failures.reasons if checker is None else {**failures.reasons, structured.INVALID_REASON: len(invalid)}
    failed_records = structured.merge_failed(failures.records, invalid) if invalid else failures.records
    failed_key = None
    if job.failed_key is not None and failed_records:
        failed_key = job.failed_key
        batch_outputs.write_failed(s3(), job.bucket, failed_key, failed_records)
    structured_key = None
    if checker is not None and job.structured_key is not None and checker.items:
        structured_key = job.structured_key
        structured.write_lines(s3(), job.bucket, structured_key, checker.items)
    ragged = source.ragged or input_rows.csv_rows.RaggedRows()
    missing_key = None
    if missing is not None and len(missing.record_ids):
        missing_key = job.missing_key
        missing_records.write_missing(s3(), job.bucket, missing_key, missing.record_ids)
    result = {
        "ResultKey": job.result_key,
        "Rows": totals["rows"],
        "Errors": sum(reasons.values()),
        "Columns": schema.names,
        "InputTokens": totals["input_tokens"],
        "OutputTokens": totals["output_tokens"],
        "OutputFiles": outputs.files,
        "ErrorReasons": reasons,
        "Missing": 0 if missing is None else len(missing.record_ids),
        "MissingKey": missing_key,
        "Failed": 0 if failed_key is None else len(failed_records),
        "FailedKey": failed_key,
        "StructuredRows": 0 if structured_key is None else len(checker.items),
        "StructuredKey": structured_key,
        "RaggedRows": {"Short": ragged.short, "Long": ragged.long},
    }
    if ragged.short or ragged.long:
        log.warning(
            "s3://%s/%s: %d rows of the slice had fewer fields than the header (padded with empty strings) and %d"
            " more (extra fields skipped), as Step Functions' CSV reader reads them; first such rows (from 0): %s",
            job.bucket,
            job.input_key,
            ragged.short,
            ragged.long,
            ragged.examples,
        )
    log.info(
        "wrote s3://%s/%s: %d rows of %d in the slice, %d errors %s, %d rows counted by another output file or as"
        " missing; %d missing records listed in %s; %d failed records listed in %s",
        job.bucket,
        job.result_key,
        result["Rows"],
        totals["slice_rows"],
        result["Errors"],
        reasons,
        elsewhere,
        result["Missing"],
        missing_key,
        result["Failed"],
        failed_key,
    )
    return result


class _Job:
    """The event, checked: a missing or malformed field is named in the error."""

    def __init__(self, event: dict[str, Any]) -> None:
        def required(name: str) -> str:
            value = event.get(name)
            if not isinstance(value, str) or not value:
                raise ValueError(f"event field {name} is missing or empty")
            return value

        self.bucket = required("Bucket")
        self.run_id = required("RunId")
        self.input_key = required("InputKey")
        self.input_format = required("InputFormat")
        self.output_prefix = required("OutputPrefix")
        self.result_key = required("ResultKey")
        delimiter = event.get("CSVDelimiter") or ","
        self.delimiter = input_rows.DELIMITER_NAMES.get(delimiter, delimiter)
        if self.delimiter not in input_rows.DELIMITERS:
            raise ValueError(f"CSVDelimiter {delimiter!r} for {self.input_key} is not one of , TAB ; | SPACE")
        self.first_row = _whole_number(event, "RecordIdOffset", 0)
        self.request_prefix = _optional_key(event, "RequestPrefix")
        self.output_folder = self.output_prefix[: self.output_prefix.rfind("/") + 1]  # "" when it has no '/'
        self.missing_key = _optional_key(event, "MissingKey") or f"{self.output_folder}missing.jsonl"
        if self.request_prefix is not None:
            if not self.output_folder:
                raise ValueError(f"OutputPrefix {self.output_prefix!r} has no folder to look for the job's outputs in")
            if self.missing_key.endswith(batch_outputs.OUTPUT_SUFFIX):
                raise ValueError(f"MissingKey {self.missing_key!r} must not end in {batch_outputs.OUTPUT_SUFFIX}")
        self.failed_key = _optional_key(event, "FailedKey")
        if self.failed_key is not None:
            if self.failed_key.endswith(batch_outputs.OUTPUT_SUFFIX):
                raise ValueError(f"FailedKey {self.failed_key!r} must not end in {batch_outputs.OUTPUT_SUFFIX}")
            if self.failed_key in (self.result_key, self.missing_key if self.request_prefix is not None else None):
                raise ValueError(f"FailedKey {self.failed_key!r} must differ from ResultKey and MissingKey")
        self.output_schema = event.get("OutputSchema")  # a prompt template's output_schema, or null
        self.structured_key = _optional_key(event, "StructuredKey")
        if self.structured_key is not None and self.structured_key.endswith(batch_outputs.OUTPUT_SUFFIX):
            raise ValueError(f"StructuredKey {self.structured_key!r} must not end in {batch_outputs.OUTPUT_SUFFIX}")
        types = column_types.parse(event.get("ColumnTypes"))
        self.column_types = types if self.input_format.upper() == "CSV" else {}  # JSONL and Parquet keep theirs
        count = _whole_number(event, "RecordCount", None)
        self.end_row = None if count is None else self.first_row + count


def _optional_key(event: dict[str, Any], name: str) -> str | None:
    value = event.get(name)
    if value is not None and (not isinstance(value, str) or not value):
        raise ValueError(f"event field {name} must be a non-empty string when given, got {value!r}")
    return value


def _whole_number(event: dict[str, Any], name: str, default: int | None) -> int | None:
    value = event.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if number < 0 or isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError(f"event field {name} must be a whole number >= 0, got {value!r}")
    return number


def _result_schema(input_schema: pa.Schema, kind: str, structured_fields: list[pa.Field] = ()) -> pa.Schema:
    """Every input column, then the answer columns; an input column that clashes with one gets an ``input_`` prefix."""
    answer_fields = [pa.field(name, ANSWER_FIELDS[name]) for name in (kind, *list(ANSWER_FIELDS)[2:])]
    answer_fields += structured_fields
    taken = {field.name for field in answer_fields}
    fields = []
    for field in input_schema:
        name = field.name
        while name in taken:
            name = f"input_{name}"
        taken.add(name)
        fields.append(field.with_name(name))
    return pa.schema(fields + answer_fields)


def _join(
    source: input_rows.InputRows,
    outputs: batch_outputs.JobOutputs,
    job: _Job,
    input_schema: pa.Schema,
    schema: pa.Schema,
    writer: pq.ParquetWriter,
    checker: structured.StructuredOutput | None = None,
) -> dict[str, int]:
    answers = outputs.answers
    answer_schema = schema if checker is None else pa.schema(list(schema)[: len(schema) - len(checker.fields)])
    answer_idx = answers.record_idx
    idx_view = batch_outputs.int64_view(answer_idx)
    step_rows = answers.step_rows(_ROW_GROUP_BYTES)  # answers of up to 32 KiB: 512 at a time
    totals = {"rows": 0, "slice_rows": 0, "input_tokens": 0, "output_tokens": 0}
    pending: list[pa.RecordBatch] = []
    pending_rows = pending_bytes = 0
    next_answer = 0
    where = f"s3://{job.bucket}/{job.input_key}"
    try:
        for first, batch in source.batches:
            if job.end_row is not None and first >= job.end_row:
                break  # the rest of the file is outside the slice: stop downloading it
            start = max(first, job.first_row)
            stop = first + batch.num_rows if job.end_row is None else min(first + batch.num_rows, job.end_row)
            if stop <= start:
                continue
            totals["slice_rows"] += stop - start
            lo = bisect.bisect_left(idx_view, start, next_answer)
            hi = next_answer = bisect.bisect_left(idx_view, stop, lo)
            for step_lo in range(lo, hi, step_rows):  # the answers are gathered a step at a time
                step_hi = min(step_lo + step_rows, hi)
                matched_idx = answer_idx.slice(step_lo, step_hi - step_lo)
                rows = column_types.cast_batch(batch.take(pc.subtract(matched_idx, first)), input_schema, where)
                # record_id is Bedrock's recordId until the structured check (its failed records keep that id, as
                # the other failed records do), then "<RunId>-<recordId>"
                record_ids = pc.utf8_lpad(pc.cast(matched_idx, pa.string()), width=RECORD_ID_WIDTH, padding="0")
                constants = [pa.repeat(job.run_id, len(record_ids)), pa.repeat(job.input_key, len(record_ids))]
                out = pa.RecordBatch.from_arrays(
                    [*rows.columns, *answers.take(step_lo, step_hi), record_ids, *constants], schema=answer_schema
                )
                del rows
                totals["input_tokens"] += pc.sum(out["input_tokens"]).as_py() or 0
                totals["output_tokens"] += pc.sum(out["output_tokens"]).as_py() or 0
                if checker is not None:  # an answer that does not fit the output schema goes to the failed records
                    out = checker.split(out, keep_items=job.structured_key is not None)
                at = out.schema.get_field_index("record_id")
                out = out.set_column(at, "record_id", pc.binary_join_element_wise(job.run_id, out["record_id"], "-"))
                totals["rows"] += out.num_rows
                pending.append(out)
                pending_rows += out.num_rows
                pending_bytes += out.nbytes
                del out
                if pending_rows >= _ROW_GROUP_ROWS or pending_bytes >= _ROW_GROUP_BYTES:
                    writer.write_table(pa.Table.from_batches(pending, schema=schema))
                    pending, pending_rows, pending_bytes = [], 0, 0
                    pa.default_memory_pool().release_unused()  # hand back the pages of the buffers just freed
            del batch
    finally:
        source.batches.close()
    if pending:
        writer.write_table(pa.Table.from_batches(pending, schema=schema))
    return totals
