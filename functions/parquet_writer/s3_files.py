"""File-like views of S3 objects for pyarrow's readers, so an input is never held whole in memory or on disk.

* ``PacedStream`` keeps pyarrow's streaming readers from reading far ahead of the batches taken;
* ``S3RangeFile`` is a seekable, read-only file served by ranged GETs (Parquet needs its footer first, then only
  the row groups of the slice);
* ``json_lines`` reads a JSON Lines object line by line, for the files pyarrow's reader cannot take;
* ``ScannedStream`` is a JSON Lines body from a row index checkpoint, that ends where the slice does;
* ``S3UploadStream`` is a write-only file that lands in S3 as a multipart upload (the Parquet result).
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import pyarrow as pa

T = TypeVar("T")
_PIECE = 1 << 20  # bytes read from S3 at a time


class PacedStream(io.RawIOBase):
    """``stream`` as read by a pyarrow streaming reader: at most ``ahead`` reads before the batches taken.

    pyarrow's streaming CSV and JSON readers read their input on an I/O thread, one block a read, up to 32 blocks
    ahead of the batches taken (512 MiB at 16 MiB blocks) when the consumer is slower than S3. Here a read waits while
    ``ahead`` reads have not yet been taken as batches. So that it can never deadlock, whatever the number of reads a
    batch needs, a read goes ahead anyway once the consumer has waited on the reader (see ``call``) for ``stall``
    seconds without taking a batch. Open the reader with ``call``, take its batches with ``batches``, and close the
    stream before dropping the reader: that lets go of a read still waiting.
    """

    def __init__(self, stream: Any, ahead: int = 2, stall: float = 1.0) -> None:
        super().__init__()
        self._stream = stream
        self._ahead, self._stall = ahead, stall
        self._pace = threading.Condition()
        self._reads = self._taken = 0
        self._consumer_waits = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> Any:
        with self._pace:
            while not self.closed and self._reads - self._taken >= self._ahead:
                if not self._pace.wait(self._stall) and self._consumer_waits:
                    break
            if self.closed:
                return b""
            self._reads += 1
        if size < 0:
            return self._stream.read()
        # Filled piece by piece into a buffer of pyarrow's pool, where the parsers' own buffers come and go: a whole
        # block read at once from the HTTP response would be copied twice more in the heap, which keeps it after.
        buffer = pa.allocate_buffer(size)
        view, filled = memoryview(buffer).cast("B"), 0
        while filled < size:
            piece = self._stream.read(min(size - filled, _PIECE))
            if not piece:
                break
            view[filled : filled + len(piece)] = piece
            filled += len(piece)
        view.release()
        return buffer if filled == size else buffer.slice(0, filled)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``function(*args, **kwargs)``, during which the reader may read regardless of the pace."""
        with self._pace:
            self._consumer_waits = True
            self._pace.notify_all()
        try:
            return function(*args, **kwargs)
        finally:
            with self._pace:
                self._consumer_waits = False

    def batches(self, reader: Iterable[T]) -> Iterator[T]:
        """The batches of ``reader`` (which reads this stream), each one letting it read one block further."""
        batches = iter(reader)
        while True:
            batch = self.call(next, batches, None)
            if batch is None:
                return
            with self._pace:
                self._taken += 1
                self._pace.notify_all()
            yield batch

    def close(self) -> None:
        with self._pace:
            if self.closed:
                return
            super().close()
            self._pace.notify_all()
        self._stream.close()


class S3RangeFile(io.RawIOBase):
    """A seekable read-only file over one S3 object; each read is one ranged GET."""

    def __init__(self, s3: Any, bucket: str, key: str, size: int) -> None:
        super().__init__()
        self._s3, self._bucket, self._key, self._size = s3, bucket, key, size
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: Any) -> int:
        end = min(self._position + len(buffer), self._size)
        if end <= self._position:
            return 0
        byte_range = f"bytes={self._position}-{end - 1}"
        body = self._s3.get_object(Bucket=self._bucket, Key=self._key, Range=byte_range)["Body"]
        data = body.read()
        body.close()
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)


def json_lines(s3: Any, bucket: str, key: str) -> Iterator[Any]:
    """Each non-blank line of ``s3://bucket/key`` parsed as JSON, None for a line that is not JSON."""
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    try:
        for raw in body.iter_lines(chunk_size=_PIECE):
            if not raw.strip():
                continue
            try:
                yield json.loads(raw)
            except ValueError:
                yield None
    finally:
        body.close()


class ScannedStream(io.RawIOBase):
    """The body of a ranged GET of JSON Lines as it passes ``scanner`` (a ``row_index.JsonLinesScanner``); it ends
    where the scanner's stop row starts, so that pyarrow parses the slice and nothing after it.

    ``skip_to`` reads and scans, without returning them, the bytes before a row; ``first_bytes`` keeps the first
    bytes read (from the file start, for JSON Lines' schema) when asked.
    """

    def __init__(self, body: Any, scanner: Any, keep_first: int = 0) -> None:
        super().__init__()
        self._body, self._scanner = body, scanner
        self._position = scanner.byte  # in the object, of the next byte returned
        self._ahead = b""  # read and scanned, not yet returned
        self._eof = False
        self._keep_first = keep_first
        self.first_bytes = bytearray()
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def skip_to(self, row: int) -> None:
        """Scan up to where ``row`` starts (the scanner's ``mark_row``); the next read returns the bytes from there."""
        scanner, previous = self._scanner, b""
        while scanner.row < row and not scanner.done:
            start = self._position
            piece = self._read_piece(_PIECE)
            if not piece:
                scanner.finish()
                break
            scanner.feed(piece)
            self._position += len(piece)
            if scanner.row >= row and not scanner.lost:
                at = next(byte for mark_row, byte in scanner.marks if mark_row == row)
                window_start = start - len(previous)
                self._ahead = (previous + piece)[at - window_start :]
                self._position = at
                return
            previous = piece
        if scanner.lost or scanner.row < row:
            raise ValueError(f"the file ends before row {row}" if not scanner.lost else "the rows could not be scanned")

    def read(self, size: int = -1) -> bytes:
        if self._ahead:
            size = len(self._ahead) if size < 0 else size
            data, self._ahead = self._ahead[:size], self._ahead[size:]
            self._position += len(data)
            return self._truncated(data)
        if self._eof:
            return b""
        stop = self._scanner.stop_byte
        if stop is not None and self._position >= stop:
            return self._end()
        piece = self._read_piece(_PIECE if size < 0 else min(size, _PIECE))
        if not piece:
            self._scanner.finish()
            self._eof = True
            return b""
        self._scanner.feed(piece)
        self._position += len(piece)
        return self._truncated(piece)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _truncated(self, data: bytes) -> bytes:
        """``data`` (which ends at ``self._position``) up to the stop byte, if the scanner has found it."""
        stop = self._scanner.stop_byte
        if stop is None or self._position <= stop:
            return data
        keep = len(data) - (self._position - stop)
        self._position = stop
        self._ahead = b""
        self._end()
        return data[: max(keep, 0)]

    def _end(self) -> bytes:
        self._eof = True
        self._body.close()  # the rest of the object is not downloaded
        return b""

    def _read_piece(self, size: int) -> bytes:
        piece = self._body.read(size)
        self.bytes_read += len(piece)
        if len(self.first_bytes) < self._keep_first:
            self.first_bytes += piece[: self._keep_first - len(self.first_bytes)]
        return piece

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class S3UploadStream(io.RawIOBase):
    """A write-only file that lands in ``s3://bucket/key``: a multipart upload of ``part_size`` parts, or one
    PutObject when everything written fits in one part. Nothing touches the disk; at most one part is held.

    ``commit`` makes the object; ``abort`` (or never committing) leaves none. ``close`` does neither, because
    pyarrow closes the file it writes to when it is done, whether it is done well or not.
    """

    def __init__(self, s3: Any, bucket: str, key: str, part_size: int = 8 << 20) -> None:
        super().__init__()
        self._s3, self._bucket, self._key, self._part_size = s3, bucket, key, part_size
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self._written = 0

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._written

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self._buffer += view
        self._written += len(view)
        while len(self._buffer) >= self._part_size:
            self._upload_part(self._part_size)
        return len(view)

    def commit(self) -> None:
        if self._upload_id is None:
            self._s3.put_object(Bucket=self._bucket, Key=self._key, Body=bytes(self._buffer))
        else:
            if self._buffer or not self._parts:
                self._upload_part(len(self._buffer))
            self._s3.complete_multipart_upload(
                Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, MultipartUpload={"Parts": self._parts}
            )
        self._buffer = bytearray()

    def abort(self) -> None:
        self._buffer = bytearray()
        if self._upload_id is not None:
            upload_id, self._upload_id = self._upload_id, None
            self._s3.abort_multipart_upload(Bucket=self._bucket, Key=self._key, UploadId=upload_id)

    def _upload_part(self, size: int) -> None:
        if self._upload_id is None:
            self._upload_id = self._s3.create_multipart_upload(Bucket=self._bucket, Key=self._key)["UploadId"]
        number = len(self._parts) + 1
        body = bytes(self._buffer[:size])
        del self._buffer[:size]
        etag = self._s3.upload_part(
            Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, PartNumber=number, Body=body
        )["ETag"]
        self._parts.append({"PartNumber": number, "ETag": etag})
