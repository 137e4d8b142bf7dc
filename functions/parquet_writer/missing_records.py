"""The records a Bedrock batch job was given but left out of its output entirely.

A job that ends PartiallyCompleted writes no line at all, neither an answer nor an error, for some of its records.
They are found by difference: the ``recordId`` of every line of every request file (``*.jsonl`` under the job's
request prefix, lines ``{recordId, modelInput}``) that no line of any output file (``*.jsonl.out`` in the job's
output folder) carries. recordIds are compared as strings, exactly as Bedrock echoes them; a line whose recordId is
not a string, or that is not valid JSON, carries none.

Only ``recordId`` is read: ``pyarrow.json`` with an explicit one-field schema streams each file block by block and
skips ``modelInput`` without materialising it; a file it cannot parse (a line longer than a block, a malformed line,
a recordId that is not a string) is read again line by line. A job has at most 50,000 records, so the recordIds
held are a few megabytes whatever the size of the files. The output files the join already read are not read
again: their recordIds come with ``JobOutputs.lines``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

if __package__:
    from . import batch_outputs
    from .s3_files import json_lines
else:  # deployed: the function folder is the import root
    import batch_outputs
    from s3_files import json_lines

log = logging.getLogger(__name__)

REQUEST_SUFFIX = ".jsonl"
MISSING_ERROR = {
    "errorCode": "MissingFromOutput",
    "errorMessage": "the batch job ended without an output line for this record",
}

_BLOCK_SIZE = 16 << 20  # pyarrow.json needs the longest line to fit in one block
_ID_SCHEMA = pa.schema([("recordId", pa.string())])


@dataclass
class MissingRecords:
    record_ids: pa.Array  # string: the submitted recordIds with no output line, distinct, in submission order
    # int64: record numbers accounted for outside the output files the join read: those of the missing records,
    # and those with a line in another output file of the folder (that file's own invocation counts them)
    elsewhere_idx: pa.Array
    request_files: int
    output_files: int  # every *.jsonl.out of the folder


def find_missing(
    s3: Any, bucket: str, request_prefix: str, output_folder: str, outputs: batch_outputs.JobOutputs
) -> MissingRecords:
    """The recordIds submitted under ``request_prefix`` without a line in any output file of ``output_folder``."""
    request_keys = list(batch_outputs.list_keys(s3, bucket, request_prefix, REQUEST_SUFFIX))
    if not request_keys:
        raise ValueError(f"no request file (*{REQUEST_SUFFIX}) under s3://{bucket}/{request_prefix}")
    submitted = _distinct([record_ids(s3, bucket, key) for key in request_keys])

    read = set(outputs.keys)
    folder_keys = list(batch_outputs.list_keys(s3, bucket, output_folder, batch_outputs.OUTPUT_SUFFIX))
    others = _distinct([record_ids(s3, bucket, key) for key in folder_keys if key not in read])
    answered = _distinct([pc.drop_null(outputs.lines["record_id"]).combine_chunks(), others])

    missing = submitted.filter(pc.invert(pc.is_in(submitted, value_set=answered)))
    elsewhere = pa.concat_arrays([batch_outputs.record_numbers(missing), batch_outputs.record_numbers(others)])
    return MissingRecords(
        record_ids=missing,
        elsewhere_idx=elsewhere,
        request_files=len(request_keys),
        output_files=len(read | set(folder_keys)),
    )


def write_missing(s3: Any, bucket: str, key: str, missing: pa.Array) -> None:
    """One JSON line per missing record, shaped like an output error line, to ``s3://bucket/key``."""
    lines = (json.dumps({"recordId": record_id, "error": MISSING_ERROR}) + "\n" for record_id in missing.to_pylist())
    body = "".join(lines)
    s3.put_object(Bucket=bucket, Key=key, Body=body.encode())


def record_ids(s3: Any, bucket: str, key: str) -> pa.Array:
    """The string recordIds of the lines of one JSON Lines object, in file order (no nulls)."""
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    try:
        reader = pajson.open_json(
            body,
            read_options=pajson.ReadOptions(block_size=_BLOCK_SIZE),
            parse_options=pajson.ParseOptions(explicit_schema=_ID_SCHEMA, unexpected_field_behavior="ignore"),
        )
        chunks = [batch.column(0) for batch in reader]
        return pc.drop_null(pa.chunked_array(chunks, pa.string())).combine_chunks()
    except pa.ArrowException:
        pass  # fall through to the line by line reader
    finally:
        body.close()
    log.info("recordIds of %s read line by line", key)
    return pa.array(_ids_line_by_line(json_lines(s3, bucket, key)), pa.string())


def _ids_line_by_line(lines: Any) -> list[str]:
    ids = []
    for line in lines:
        record_id = line.get("recordId") if isinstance(line, dict) else None  # a malformed line carries none
        if isinstance(record_id, str):
            ids.append(record_id)
    return ids


def _distinct(parts: list[pa.Array]) -> pa.Array:
    """The distinct values of ``parts``, in order of first appearance."""
    if not parts:
        return pa.array([], pa.string())
    return pc.unique(pa.chunked_array(parts, pa.string()))
