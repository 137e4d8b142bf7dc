"""A job's answers kept in a file under /tmp and memory-mapped, not in the function's memory.

One output file holds up to 50,000 answers; with a large ``MaxTokens`` they reach gigabytes (8,192 tokens of about
4 bytes: 32 KiB an answer, 1.6 GB a job), more than the Lambda's memory. So each block's answers are appended, as
they are parsed, to an Arrow IPC file in the function's ephemeral storage (``TMPDIR``, /tmp on Lambda), and the file
is then memory-mapped: the join reads the answers it needs in place. Mapped file pages are page cache, which the
kernel reclaims under pressure (they are clean: the file is not written after it is mapped); anonymous memory, what
the function's memory limit bounds, holds only the answers of one step of the join. The file is unlinked as soon as
it is mapped, so nothing is left in /tmp however the invocation ends; its space is freed when the map goes.

A file may be read again with another schema after part of it was parsed (``batch_outputs``): ``mark`` and
``drop_since`` leave out what such an attempt had appended.
"""

from __future__ import annotations

import os
import tempfile

import pyarrow as pa


class AnswerSpool:
    """Answer batches appended to a temporary Arrow IPC file, read back memory-mapped by ``open``."""

    def __init__(self, schema: pa.Schema) -> None:
        descriptor, self._path = tempfile.mkstemp(prefix="answers-", suffix=".arrow")
        os.close(descriptor)
        try:
            self._sink = pa.OSFile(self._path, "wb")
            self._writer = pa.ipc.new_file(self._sink, schema)
        except BaseException:
            os.remove(self._path)
            raise
        self._written = 0
        self._dropped: set[int] = set()

    def add(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows:
            self._writer.write_batch(batch)
            self._written += 1

    def mark(self) -> int:
        """Where the next batch goes, for ``drop_since``."""
        return self._written

    def drop_since(self, mark: int) -> None:
        """Leave the batches appended since ``mark`` out of what ``open`` returns."""
        self._dropped.update(range(mark, self._written))

    def open(self) -> list[pa.RecordBatch]:
        """Every batch appended and not dropped, in order, backed by the memory-mapped file (no copy)."""
        try:
            self._writer.close()  # (may fail: no space left for the footer)
            self._sink.close()
            source = pa.memory_map(self._path)
        finally:
            os.remove(self._path)
        reader = pa.ipc.open_file(source)
        return [reader.get_batch(i) for i in range(reader.num_record_batches) if i not in self._dropped]

    def discard(self) -> None:
        """Close and remove the file without reading it (the invocation failed before ``open``)."""
        try:
            if not self._sink.closed:
                self._sink.close()
        finally:
            if os.path.exists(self._path):
                os.remove(self._path)
