"""File-like views of S3 objects for pyarrow's readers, so an input is never held whole in memory or on disk.

* ``PrefixedStream`` puts bytes already read back in front of a stream (the CSV header is peeked at first);
* ``S3RangeFile`` is a seekable, read-only file served by ranged GETs (Parquet needs its footer first, then only
  the row groups of the slice).
"""

from __future__ import annotations

import io
from typing import Any


class PrefixedStream(io.RawIOBase):
    """``prefix`` followed by the rest of ``stream``."""

    def __init__(self, prefix: bytes, stream: Any) -> None:
        super().__init__()
        self._prefix = memoryview(prefix)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()


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
