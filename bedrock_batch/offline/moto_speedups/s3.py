"""moto S3 objects on disk past the key buffer size, without a descriptor each; ranges read without the object.

One place in moto holds a resource per object stored: S3's ``FakeKey`` keeps its value in a
``tempfile.SpooledTemporaryFile`` of moto's key buffer size (``MOTO_S3_DEFAULT_KEY_BUFFER_SIZE``, read per key),
in memory below it and past it in a temporary file that stays open as long as the object exists: one file
descriptor per object. With the buffer size lowered so that a run's many small objects leave memory (the offline
runtime does, ``local.offline_aws``), a run of ten million rows stores more objects than the descriptors a process
may open. Here a value past the buffer size goes to a file of its own that is open only while it is read or
written; below it, it stays in memory, as before. The bytes stored and read back are the same.

A ranged S3 GetObject reads the whole object in moto (``get_object`` returns ``key.value``) and then cuts the range
out of it (``_handle_range_header``): a Parquet writer reading a 50,000-row slice of a 600 MB input held the 600 MB
twice. Here a GetObject with a Range header hands ``_handle_range_header`` a view of the object that reads only the
bytes it cuts (the same length, the same bytes); when moto answers a Range with the whole object (a header it
ignores), the view is read whole, as before. A range of more than 1 MiB of an object on disk is not even cut out:
the response body (moto's ``MockRawResponse``, read by botocore's StreamingBody) reads it from the object's file as
the caller reads it.

A multipart upload (what ``aws s3 cp`` and boto3's ``upload_file`` send past 8 MB) is completed in moto by joining
its parts into one ``bytearray`` and then one ``bytes`` (``FakeMultipart.complete``) before the new object is
written: a 600 MB input held twice in memory. Here, when the upload's checksum is per part (COMPOSITE: CRC32, what
boto3 sends), the parts are checked as moto checks them (InvalidPart, EntityTooSmall, MalformedXML), the ETag and
the checksum are computed as moto computes them, and the parts are joined in a file, which becomes the new object's
own: file to file in the kernel (``os.copy_file_range``) for the parts on disk, their bytes never read into Python
(joining 200 MB in 8 MB parts took 0.55 s, 0.12 s so). A full-object checksum (CRC64NVME, moto's default) needs
the whole object and keeps moto's own code.

A CopyObject reads the whole source into memory in moto (``copy_object`` hands ``put_object`` ``src_key.value``),
writes it to the new object and hashes it again for the new ETag. Here a source on disk is copied file to file
into the new object's own file, and the new object's buffer takes over the MD5 the source's buffer took as it was
written (``hashlib``'s ``copy()``: the same digest as hashing the same bytes); a source whose digest is not known
(a completed upload's: its ETag is its parts') is hashed as moto hashes it. Copying 60 MB took 0.26 s, 0.02 s so.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import io
import os
import shutil
import tempfile
import types
import weakref
from typing import Any

from .patching import set_attribute as _set


def patch(s3_models: Any, response_cls: Any) -> None:
    """Object values through ``SpillingBuffer`` (moto.s3.models), ranged GetObject (``S3Response``)."""
    _patch_s3_keys(s3_models)
    _patch_s3_ranges(response_cls)



def _patch_s3_keys(s3_models: Any) -> None:
    """FakeKey's values through ``SpillingBuffer`` (moto.s3.models' only use of ``tempfile``)."""
    if not isinstance(s3_models.__dict__.get("tempfile"), types.ModuleType) \
            or "_value_buffer" not in inspect.getsource(s3_models.FakeKey.__init__):
        return
    _set(s3_models, "tempfile", types.SimpleNamespace(SpooledTemporaryFile=SpillingBuffer))
    _patch_etag(s3_models.FakeKey)
    _patch_multipart_completion(s3_models)
    _patch_copy(s3_models)


def _patch_etag(fake_key: Any) -> None:
    """FakeKey's ETag, the MD5 of its value, from the digest its ``SpillingBuffer`` took as the value was written,
    when it has one: moto would read the value back (from its file, past the key buffer size) to hash it."""
    own = fake_key.__dict__.get("etag")
    if not isinstance(own, property) or own.fset is not None or "md5_hash()" not in inspect.getsource(own.fget):
        return

    def etag(self: Any) -> str:
        if self._etag is None:
            digest = getattr(self._value_buffer, "md5_hexdigest", None)
            known = digest() if digest is not None else None
            if known is not None:
                self._etag = known
        return own.fget(self)

    _set(fake_key, "etag", property(etag))


def _patch_multipart_completion(s3_models: Any) -> None:
    """FakeMultipart.complete hands put_object its parts joined in a file (``_InFile``), not in memory (module
    docstring). Only where a ``SpillingBuffer`` writes the new object (``_patch_s3_keys``): it is what reads it.
    """
    names = ("FakeMultipart", "MultipartChecksumBuilder", "InvalidPart", "EntityTooSmall", "MalformedXML",
             "S3_UPLOAD_PART_MIN_SIZE")
    if not all(hasattr(s3_models, n) for n in names) \
            or "total.extend(part.value)" not in inspect.getsource(s3_models.FakeMultipart.complete):
        return
    complete = s3_models.FakeMultipart.complete

    def complete_by_parts(self: Any, body: Any) -> Any:
        checksums = s3_models.MultipartChecksumBuilder(self.metadata.get("x-amz-checksum-algorithm"),
                                                       self.metadata.get("x-amz-checksum-type"))
        if checksums.checksum_type != "COMPOSITE":
            return complete(self, body)
        md5s = bytearray()
        parts: list[Any] = []
        for number, etag in body:
            part = self.parts.get(number)
            if part is None or part.etag.replace('"', "") != etag.replace('"', ""):
                raise s3_models.InvalidPart()
            if parts and parts[-1].contentsize < s3_models.S3_UPLOAD_PART_MIN_SIZE:
                raise s3_models.EntityTooSmall()
            md5s.extend(bytes.fromhex(part.etag.replace('"', "")))
            checksums.addPart(part.value)
            parts.append(part)
        if not parts:
            raise s3_models.MalformedXML
        etag = hashlib.md5(bytes(md5s), usedforsecurity=False).hexdigest()
        return _InFile(parts), f"{etag}-{len(parts)}", checksums.build()

    _set(s3_models.FakeMultipart, "complete", complete_by_parts)


def _patch_copy(s3_models: Any) -> None:
    """S3Backend.copy_object hands put_object a copy of a source on disk made file to file (``_InFile``), with the
    MD5 the source's buffer took, not the source's bytes read into memory (moto_speedups.s3's docstring)."""
    own = s3_models.S3Backend.__dict__.get("copy_object")
    if own is None or "value=src_key.value" not in inspect.getsource(own) \
            or inspect.getsource(own).count(".value") != 1:  # the value read once, for put_object
        return

    def copy_object(self: Any, src_key: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(getattr(src_key, "_value_buffer", None), SpillingBuffer) and src_key._value_buffer._path:
            src_key = _KeyWithValue(src_key, _copied)
        return own(self, src_key, *args, **kwargs)

    _set(s3_models.S3Backend, "copy_object", copy_object)


class _KeyWithValue:
    """A FakeKey whose ``value`` is ``make(key)``, made when it is read: everything else is the key's own."""

    def __init__(self, key: Any, make: Any) -> None:
        self.__dict__["_key"] = key
        self.__dict__["_make"] = make

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["_key"], name)

    @property
    def value(self) -> Any:
        return self.__dict__["_make"](self.__dict__["_key"])


def _copied(key: Any) -> _InFile:
    """A copy of a key's bytes in a file of its own."""
    return _InFile([key])


class _InFile:
    """An object's new value already in a file of its own, read back 1 MiB at a time or taken whole by the buffer
    that stores it (``SpillingBuffer.write``); ``md5``: the MD5 of its bytes (a hash object), when it is known.

    Made when the value is known: a completed upload's parts, joined when the upload completes (moto disposes of the
    parts, and their files, before it writes the new object), or a copy of an object.
    """

    def __init__(self, sources: list[Any]) -> None:
        """The values of ``sources`` (FakeKeys) one after the other, those on disk copied file to file."""
        fd, self._path = tempfile.mkstemp(dir=SpillingBuffer.folder())
        self._remove = weakref.finalize(self, _remove, self._path)
        self.md5: Any = None
        try:
            self._size = 0
            for key in sources:
                written, self.md5 = _append_value(fd, key)
                self._size += written
        finally:
            os.close(fd)
        if len(sources) != 1:
            self.md5 = None  # (a joined upload's ETag is the MD5 of its parts' MD5s)

    def __len__(self) -> int:
        return self._size

    def chunks(self) -> Any:
        with open(self._path, "rb") as f:
            while chunk := f.read(1 << 20):
                yield chunk
        self._remove()

    def take(self) -> str:
        """The file itself, for a buffer to keep as its own: no longer removed with this object."""
        self._remove.detach()
        return self._path


def _append_value(fd: int, key: Any) -> tuple[int, Any]:
    """Write ``key``'s value at ``fd``'s position, file to file in the kernel when it is on disk (a
    ``SpillingBuffer``'s file: its bytes never pass through Python): the number of bytes written, and the MD5 of
    the value (a hash object) if its buffer took it as the value was written (else None)."""
    buffer = key._value_buffer
    if not isinstance(buffer, SpillingBuffer) or buffer._path is None:
        return _write_all(fd, key.value), None
    with key.lock:  # as moto's FakeKey.value reads it
        source = os.open(buffer._path, os.O_RDONLY)
        try:
            return _copy_file(source, fd), buffer.md5_copy()
        finally:
            os.close(source)


def _write_all(fd: int, data: bytes) -> int:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    return len(data)


def _copy_file(source: int, target: int) -> int:
    """Copy what is left of ``source`` to ``target`` (file descriptors, at their positions)."""
    copied = 0
    if hasattr(os, "copy_file_range"):
        try:
            while count := os.copy_file_range(source, target, 1 << 30):
                copied += count
            return copied
        except OSError:  # not supported here (file system, kernel): read and write, from where it stopped
            pass
    while chunk := os.read(source, 1 << 20):
        copied += _write_all(target, chunk)
    return copied


class SpillingBuffer:
    """A ``tempfile.SpooledTemporaryFile`` for moto's FakeKey, holding no file descriptor between calls.

    In memory up to ``max_size`` bytes (0: no limit); written past it, the content moves to a file of its own in
    one temporary folder, opened for each read or write and closed after it, and removed by ``close()`` (moto's
    ``FakeKey.dispose``) or when the buffer is collected. Supports what FakeKey calls: seek, tell, read, write,
    truncate, close; and ``md5_hexdigest``, the MD5 of the content (FakeKey's ETag), taken as it is written while
    it is written in order from its start (what FakeKey does: truncate, then write the value).
    """

    _folder: str | None = None

    def __init__(self, max_size: int = 0, *args: Any, **kwargs: Any) -> None:
        self._max_size = max_size
        self._memory: io.BytesIO | None = io.BytesIO()
        self._path: str | None = None
        self._position = 0
        self._finalizer: Any = None
        self.closed = False
        self._md5: Any = hashlib.md5(usedforsecurity=False)  # of the content, while it is the bytes hashed
        self._hashed = 0

    @property
    def _rolled(self) -> bool:
        return self._path is not None

    def seek(self, offset: int, whence: int = 0) -> int:
        if self._memory is not None:
            return self._memory.seek(offset, whence)
        assert self._path is not None
        base = {0: 0, 1: self._position, 2: os.path.getsize(self._path)}[whence]
        self._position = max(0, base + offset)
        return self._position

    def tell(self) -> int:
        return self._memory.tell() if self._memory is not None else self._position

    def read(self, size: int | None = -1) -> bytes:
        if self._memory is not None:
            return self._memory.read(size)
        assert self._path is not None
        with open(self._path, "rb") as f:
            f.seek(self._position)
            data = f.read(size)
        self._position += len(data)
        return data

    def write(self, data: bytes | _InFile) -> int:
        if isinstance(data, _InFile):  # an upload completed or an object copied (see _InFile)
            if self._memory is not None and not self._memory.getbuffer().nbytes and not self._memory.tell() \
                    and 0 < self._max_size < len(data):
                return self._adopt(data)
            if data.md5 is None:  # a joined upload's ETag is the parts' (moto's FakeKey is given it), not this digest
                self._md5 = None
            return sum(self.write(chunk) for chunk in data.chunks())
        if self._md5 is not None:
            if self.tell() == self._hashed:
                self._md5.update(data)
                self._hashed += len(data)
            else:
                self._md5 = None
        if self._memory is not None:
            if not self._max_size or self._memory.tell() + len(data) <= self._max_size:
                return self._memory.write(data)
            return self._rollover(data)  # to the file directly: a large value is not copied into memory first
        assert self._path is not None
        with open(self._path, "r+b") as f:
            f.seek(self._position)
            written = f.write(data)
        self._position += written
        return written

    def truncate(self, size: int | None = None) -> int:
        if (self.tell() if size is None else size) == 0:
            self._md5, self._hashed = hashlib.md5(usedforsecurity=False), 0
        elif size != self._hashed:  # (None is the position, whatever it is)
            self._md5 = None
        if self._memory is not None:
            return self._memory.truncate(size)
        assert self._path is not None
        size = self._position if size is None else size
        os.truncate(self._path, size)
        return size

    def md5_hexdigest(self) -> str | None:
        """The MD5 of the content, when it was all written in order from its start (else None: read it)."""
        return self._md5.hexdigest() if self._md5 is not None else None

    def md5_copy(self) -> Any:
        """The MD5 of the content as a hash object to go on with (``hashlib``'s ``copy()``), or None, as above."""
        return self._md5.copy() if self._md5 is not None else None

    def close(self) -> None:
        self.closed = True
        self._memory = None
        self._md5 = None
        if self._finalizer is not None:
            self._finalizer()

    @staticmethod
    def folder() -> str:
        """The one temporary folder of the objects' files, removed at exit."""
        if SpillingBuffer._folder is None:
            SpillingBuffer._folder = tempfile.mkdtemp(prefix="moto-s3-")
            weakref.finalize(SpillingBuffer, shutil.rmtree, SpillingBuffer._folder, True)
        return SpillingBuffer._folder

    def _adopt(self, value: _InFile) -> int:
        """Take a value's file as this buffer's content (empty so far, and to be spilled anyway), and its MD5."""
        self._memory = None
        self._path = value.take()
        self._position = len(value)
        self._finalizer = weakref.finalize(self, _remove, self._path)
        self._md5, self._hashed = (value.md5.copy() if value.md5 is not None else None), len(value)
        return len(value)

    def _rollover(self, data: bytes) -> int:
        """Move the content to a file of its own with ``data`` written at the position (one open for both)."""
        assert self._memory is not None
        fd, path = tempfile.mkstemp(dir=SpillingBuffer.folder())
        with os.fdopen(fd, "wb") as f:
            f.write(self._memory.getbuffer())
            f.seek(self._memory.tell())
            written = f.write(data)
        self._position = self._memory.tell() + written
        self._memory = None
        self._path = path
        self._finalizer = weakref.finalize(self, _remove, path)
        return written


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


class _KeyContent:
    """An S3 object's bytes for moto's ``_handle_range_header``: its length, and any slice read on demand."""

    def __init__(self, key: Any) -> None:
        self._key = key

    def __len__(self) -> int:
        return int(self._key.size)

    def __getitem__(self, index: slice) -> bytes | _KeyRange:
        start, stop, step = index.indices(len(self))
        if step != 1:
            raise ValueError("a range is contiguous")
        with self._key.lock:
            buffer = self._key._value_buffer
            path = getattr(buffer, "_path", None)
            if path is not None and stop - start > _KeyRange.MIN_BYTES:
                return _KeyRange(path, start, stop - start)
            buffer.seek(start)
            return bytes(buffer.read(max(0, stop - start)))

    def whole(self) -> bytes:
        return bytes(self._key.value)


class _KeyRange:
    """A range of a spilled S3 object, read as the GetObject body is read (``_RawResponse``), not cut out up front.

    A ranged GET open to the end of a 600 MB object (the Parquet writer reads from its first row on and stops at its
    last) made moto build the whole tail as bytes. The object's file is opened when the GET is answered, so the body
    is the object as it was then even if a later PutObject replaces it (moto removes the old file: it stays readable
    through the open descriptor), and closed once the body is read or dropped.
    """

    MIN_BYTES = 1 << 20  # smaller ranges are cut out as bytes, as moto does

    def __init__(self, path: str, start: int, length: int) -> None:
        self._fd = os.open(path, os.O_RDONLY)
        self._close = weakref.finalize(self, os.close, self._fd)
        self._position, self._end = start, start + length
        self._length = length

    def __len__(self) -> int:
        return self._length

    def read(self, size: int | None = -1) -> bytes:
        left = self._end - self._position
        size = left if size is None or size < 0 else min(size, left)
        data = os.pread(self._fd, size, self._position) if size > 0 else b""
        self._position += len(data)
        if self._position >= self._end:
            self._close()
        return data


def _raw_response_class(base: type) -> type:
    """moto's MockRawResponse (a BytesIO over the body) that also reads a ``_KeyRange`` body as it is read."""

    class _RawResponse(base):  # type: ignore[misc, valid-type]
        def __init__(self, response_input: Any) -> None:
            self._range = response_input if isinstance(response_input, _KeyRange) else None
            super().__init__(b"" if self._range is not None else response_input)

        def read(self, size: int | None = -1) -> bytes:
            return super().read(size) if self._range is None else self._range.read(size)

        def stream(self, **kwargs: Any) -> Any:
            if self._range is None:
                yield from super().stream(**kwargs)
                return
            while contents := self._range.read(1 << 20):
                yield contents

    return _RawResponse


def _patch_s3_ranges(response_cls: Any) -> None:
    """S3Response.get_object with a Range header reads only the range (see the module docstring)."""
    names = ("get_object", "_get_key", "_handle_range_header", "key_response")
    if not all(callable(response_cls.__dict__.get(n)) for n in names) \
            or "key.value" not in inspect.getsource(response_cls.get_object) \
            or "response_content[begin : end + 1]" not in inspect.getsource(response_cls._handle_range_header):
        return
    get_object, get_key, handle_range = response_cls.get_object, response_cls._get_key, \
        response_cls._handle_range_header

    def ranged_get_object(self: Any) -> Any:
        if not self.headers.get("range"):
            return get_object(self)
        self._offline_lazy_value = True
        try:
            status, headers, body = get_object(self)
        finally:
            self.__dict__.pop("_offline_lazy_value", None)
        if isinstance(body, _KeyContent) and status != 200:  # answered whole (partNumber), not by range
            body = body.whole()
        return status, headers, body

    def lazy_get_key(self: Any, *args: Any, **kwargs: Any) -> Any:
        key, not_modified = get_key(self, *args, **kwargs)
        if self.__dict__.get("_offline_lazy_value") and key is not None:
            key = _KeyWithValue(key, _KeyContent)
        return key, not_modified

    def range_of(self: Any, request: Any, response_headers: Any, response_content: Any) -> Any:
        status, headers, body = handle_range(self, request, response_headers, response_content)
        return status, headers, body.whole() if isinstance(body, _KeyContent) else body

    from moto.core import botocore_stubber

    if not isinstance(getattr(botocore_stubber, "MockRawResponse", None), type) \
            or "MockRawResponse(body)" not in inspect.getsource(botocore_stubber.BotocoreStubber.__call__):
        return
    _set(botocore_stubber, "MockRawResponse", _raw_response_class(botocore_stubber.MockRawResponse))
    _set(response_cls, "get_object", ranged_get_object)
    _set(response_cls, "_get_key", lazy_get_key)
    _set(response_cls, "_handle_range_header", range_of)
