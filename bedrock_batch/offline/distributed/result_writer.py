"""ResultWriter: the child executions' results, transformed and written to S3 with a manifest.

Developer Guide, input-output-resultwriter: Transformation NONE (each child's result with its metadata: the
default when exporting), COMPACT (the outputs only: the default without a ResultWriter) or FLATTEN (outputs,
with array outputs flattened); a failed child's entry is always left as with NONE. OutputType JSON writes an
array per file, JSONL one value per line. Files go under ``<Prefix>/<map run id>/`` as ``SUCCEEDED_<n>``,
``FAILED_<n>`` and ``PENDING_<n>``, with ``manifest.json`` listing them. The extension of JSONL result files
is not documented: it is ``RuntimeConfig.jsonl_result_extension``.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from .. import errors
from ..errors import StatesError
from ..json_text import compact_text, json_bytes
from ..payloads import PayloadText


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
    output_text: PayloadText | None = None  # the output's text as the child measured it (Execution.output_text)

    def full(self) -> dict[str, Any]:
        """The NONE shape: the result with the child's metadata, Input and Output as JSON strings."""
        entry: dict[str, Any] = {
            "ExecutionArn": self.arn,
            "Input": compact_text(self.input),
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
            entry["Output"] = compact_text(self.output)
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


def _status_group(status: str) -> str:
    return "SUCCEEDED" if status == "SUCCEEDED" else "PENDING" if status == "PENDING" else "FAILED"


class ResultSpool:
    """A map run's results for its ResultWriter, kept as the JSON text each will be written as, not as objects.

    Each child's entry is transformed and serialised once, when the child ends, into a temporary file (in memory
    up to 1 MiB, on disk past it: a million rows run 21 job workflows and their map runs at once): a run of a
    million rows holds no child's input or output once it has ended. ``texts`` gives them back in item order.

    A child's values (a FLATTENed output is hundreds of them) are written as one block and read back as one block,
    with the length of each value kept to cut the block apart: a write and a seek and read per value cost more than
    serialising the value. A succeeded child's output was serialised already when its last state measured it: that
    text is written (``ChildResult.output_text``), not a second one.
    """

    def __init__(self, transformation: str) -> None:
        self.transformation = transformation
        self._file = tempfile.SpooledTemporaryFile(max_size=2**20)  # noqa: SIM115  (closed by close())
        self._end = 0
        # per status, one entry per child with values: (child index, offset of its block, the block's length, the
        # length of each value in it), the offsets growing in the order children arrive
        self._blocks: dict[str, list[tuple[int, int, int, tuple[int, ...]]]] = {
            "SUCCEEDED": [], "FAILED": [], "PENDING": []}
        self._read = False  # texts() moved the position: the next add seeks back to the end

    def add(self, result: ChildResult) -> None:
        kept = self._kept_text(result)
        if kept is not None:
            block, lengths = kept.block, kept.lengths
        else:
            texts = [json_bytes(value) for value in transform([result], self.transformation)]
            block, lengths = texts[0] if len(texts) == 1 else b"".join(texts), tuple(len(text) for text in texts)
        if not lengths:  # FLATTEN of an empty array: nothing to write
            return
        if self._read:  # a seek flushes the file's buffer: a write syscall per child if done every time
            self._file.seek(self._end)
            self._read = False
        self._file.write(block)
        self._blocks[_status_group(result.status)].append((result.index, self._end, len(block), lengths))
        self._end += len(block)

    def _kept_text(self, result: ChildResult) -> PayloadText | None:
        """The text the child kept of what ``transform`` gives for it (Execution.output_text), if it kept one: of
        its output (COMPACT), or of each item of its array output (FLATTEN); the very bytes ``json_bytes`` writes
        for them."""
        text = result.output_text
        if text is None or result.status != "SUCCEEDED" or text.value is not result.output:
            return None
        if self.transformation == "COMPACT" and not text.items:
            return text
        if self.transformation == "FLATTEN" and text.items == isinstance(result.output, list):
            return text
        return None

    def statuses(self) -> list[str]:
        return [status for status, blocks in self._blocks.items() if blocks]

    def texts(self, status: str) -> Iterator[bytes]:
        """The UTF-8 JSON texts of one status group, in item order (a flattened output's values in their order;
        children of one index, which a map run never has, in the order they arrived)."""
        self._read = True
        for _, offset, size, lengths in sorted(self._blocks[status], key=lambda b: (b[0], b[1])):
            self._file.seek(offset)
            block = self._file.read(size)
            if len(lengths) == 1:
                yield block
                continue
            start = 0
            for length in lengths:
                yield block[start:start + length]
                start += length

    def close(self) -> None:
        self._file.close()


def write(s3: Any, bucket: str, prefix: str, map_run_arn: str, map_run_id: str,
          spool: ResultSpool, output_type: str, extension: dict[str, str],
          max_file_bytes: int) -> tuple[dict[str, Any], int]:
    """Write the result files and the manifest; returns the Map state's output and the objects written.

    ``spool``: the children's entries, gathered as they ended (its owner closes it).
    """
    base = f"{prefix.rstrip('/')}/{map_run_id}" if prefix else map_run_id
    manifest: dict[str, Any] = {"DestinationBucket": bucket, "MapRunArn": map_run_arn,
                                "ResultFiles": {"FAILED": [], "PENDING": [], "SUCCEEDED": []}}
    try:
        for status in ("SUCCEEDED", "FAILED", "PENDING"):
            if status not in spool.statuses():
                continue
            for n, chunk in enumerate(_files(spool.texts(status), output_type, max_file_bytes)):
                key = f"{base}/{status}_{n}{extension[output_type]}"
                s3.put_object(Bucket=bucket, Key=key, Body=chunk)
                manifest["ResultFiles"][status].append({"Key": key, "Size": len(chunk)})
                del chunk
        manifest_key = f"{base}/manifest.json"
        s3.put_object(Bucket=bucket, Key=manifest_key, Body=json.dumps(manifest).encode())
    except ClientError as err:
        raise StatesError(errors.RESULT_WRITER_FAILED,
                          f"s3://{bucket}/{base}: {err.response.get('Error', {}).get('Code', 'error')}") from None
    written = 1 + sum(len(files) for files in manifest["ResultFiles"].values())
    return {"MapRunArn": map_run_arn, "ResultWriterDetails": {"Bucket": bucket, "Key": manifest_key}}, written


def _files(texts: Iterable[bytes], output_type: str, max_bytes: int) -> Iterator[bytes]:
    """``_chunks`` over UTF-8 JSON texts already serialised, one file at a time.

    Each file is written as its texts arrive into one growing buffer: no list of the texts and joined copy side by
    side (a reader map's result file at a million rows is about 700 MB).
    """
    current: io.BytesIO | None = None
    size = 0
    for text in texts:
        v_size = len(text) + 1
        if current is not None and size + v_size > max_bytes:
            yield _close(current, output_type)
            current, size = None, 0
        if current is None:
            current = io.BytesIO()
            if output_type != "JSONL":
                current.write(b"[")
        elif output_type != "JSONL":
            current.write(b",")
        current.write(text)
        if output_type == "JSONL":
            current.write(b"\n")
        size += v_size
    if current is not None:
        yield _close(current, output_type)


def _close(file: io.BytesIO, output_type: str) -> bytes:
    """The file's bytes: one value per line (JSONL), or one compact JSON array."""
    if output_type != "JSONL":
        file.write(b"]")
    data = file.getvalue()
    file.close()
    return data


def _chunks(values: list[Any], output_type: str, max_bytes: int) -> list[bytes]:
    """Split results into files of at most ``max_bytes`` (AWS splits at 5 GB); each value is serialised once."""
    return list(_files((json_bytes(v) for v in values), output_type, max_bytes))
