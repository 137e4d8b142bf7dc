"""ResultWriter: the child executions' results, transformed and written to S3 with a manifest.

Developer Guide, input-output-resultwriter: Transformation NONE (each child's result with its metadata: the
default when exporting), COMPACT (the outputs only: the default without a ResultWriter) or FLATTEN (outputs,
with array outputs flattened); a failed child's entry is always left as with NONE. OutputType JSON writes an
array per file, JSONL one value per line. Files go under ``<Prefix>/<map run id>/`` as ``SUCCEEDED_<n>``,
``FAILED_<n>`` and ``PENDING_<n>``, with ``manifest.json`` listing them. The extension of JSONL result files
is not documented: it is ``RuntimeConfig.jsonl_result_extension``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from .. import errors
from ..errors import StatesError


@dataclass
class ChildResult:
    """One child execution, as the map run saw it."""

    index: int
    arn: str
    name: str
    input: Any
    status: str  # SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING
    output: Any = None
    error: str | None = None
    cause: str | None = None
    start: str = ""
    stop: str = ""
    machine_arn: str = ""

    def full(self) -> dict[str, Any]:
        """The NONE shape: the result with the child's metadata, Input and Output as JSON strings."""
        entry: dict[str, Any] = {
            "ExecutionArn": self.arn,
            "Input": json.dumps(self.input),
            "InputDetails": {"Included": True},
            "Name": self.name,
            "RedriveCount": 0,
            "RedriveStatus": "NOT_REDRIVABLE" if self.status == "SUCCEEDED" else "REDRIVABLE",
            "StartDate": self.start,
            "StateMachineArn": self.machine_arn,
            "Status": self.status,
            "StopDate": self.stop,
        }
        if self.status == "SUCCEEDED":
            entry["Output"] = json.dumps(self.output)
            entry["OutputDetails"] = {"Included": True}
            entry["RedriveStatusReason"] = "Execution is SUCCEEDED and cannot be redriven"
        else:
            entry["Error"] = self.error or ""
            entry["Cause"] = self.cause or ""
        return entry


def transform(results: list[ChildResult], transformation: str) -> list[Any]:
    out: list[Any] = []
    for r in results:
        if r.status != "SUCCEEDED" or transformation == "NONE":
            out.append(r.full())
        elif transformation == "FLATTEN" and isinstance(r.output, list):
            out.extend(r.output)
        else:
            out.append(r.output)
    return out


def _encode(texts: list[str], output_type: str) -> bytes:
    """One file from the values' JSON texts: one per line (JSONL), or the array ``json.dumps`` would write (JSON)."""
    if output_type == "JSONL":
        return "".join(text + "\n" for text in texts).encode()
    return ("[" + ", ".join(texts) + "]").encode()


def write(s3: Any, bucket: str, prefix: str, map_run_arn: str, map_run_id: str, results: list[ChildResult],
          transformation: str, output_type: str, extension: dict[str, str],
          max_file_bytes: int) -> tuple[dict[str, Any], int]:
    """Write the result files and the manifest; returns the Map state's output and the objects written."""
    base = f"{prefix.rstrip('/')}/{map_run_id}" if prefix else map_run_id
    manifest: dict[str, Any] = {"DestinationBucket": bucket, "MapRunArn": map_run_arn,
                                "ResultFiles": {"FAILED": [], "PENDING": [], "SUCCEEDED": []}}
    groups = {"SUCCEEDED": [], "FAILED": [], "PENDING": []}
    for r in results:
        groups["SUCCEEDED" if r.status == "SUCCEEDED" else "PENDING" if r.status == "PENDING" else "FAILED"].append(r)
    try:
        for status, members in groups.items():
            if not members:
                continue
            values = transform(members, transformation)
            for n, chunk in enumerate(_chunks(values, output_type, max_file_bytes)):
                key = f"{base}/{status}_{n}{extension[output_type]}"
                s3.put_object(Bucket=bucket, Key=key, Body=chunk)
                manifest["ResultFiles"][status].append({"Key": key, "Size": len(chunk)})
        manifest_key = f"{base}/manifest.json"
        s3.put_object(Bucket=bucket, Key=manifest_key, Body=json.dumps(manifest).encode())
    except ClientError as err:
        raise StatesError(errors.RESULT_WRITER_FAILED,
                          f"s3://{bucket}/{base}: {err.response.get('Error', {}).get('Code', 'error')}") from None
    written = 1 + sum(len(files) for files in manifest["ResultFiles"].values())
    return {"MapRunArn": map_run_arn, "ResultWriterDetails": {"Bucket": bucket, "Key": manifest_key}}, written


def _chunks(values: list[Any], output_type: str, max_bytes: int) -> list[bytes]:
    """Split results into files of at most ``max_bytes`` (AWS splits at 5 GB); each value is serialised once."""
    files, current, size = [], [], 0
    for v in values:
        text = json.dumps(v, ensure_ascii=False)
        v_size = (len(text) if text.isascii() else len(text.encode())) + 1
        if current and size + v_size > max_bytes:
            files.append(_encode(current, output_type))
            current, size = [], 0
        current.append(text)
        size += v_size
    if current:
        files.append(_encode(current, output_type))
    return files
