"""moto in process, without the costs that grow with the square of a queue's or a table's size; same answers.

Three places in moto redo, on every call, work whose cost grows with everything already stored (and one redoes
work that never changes):

* SQS: ``Queue.attributes`` (read by every SendMessage for ``ContentBasedDeduplication``) counts the visible,
  delayed and in-flight messages, each message reading the clock twice through ``unix_time_millis`` (two datetime
  constructions). Here each count reads the clock once and compares numbers, as ``Message.visible`` and
  ``Message.delayed`` do.
* SQS: ReceiveMessage checks each returned message's retention period through ``get_queue_attributes``, which
  builds ``Queue.attributes`` (every count) three times per message. Here it reads the queue's
  ``message_retention_period``, the value ``get_queue_attributes`` returns.
* SQS: SendMessage reads ``Queue.attributes`` for ContentBasedDeduplication (up to three times), and building
  them counts every message of the queue: sending n dead letters costs n squared. Here, while moto's own
  SendMessage runs, the queue answers ``attributes`` with that one attribute, as ``Queue.attributes`` gives it
  (present for a FIFO queue only, a boolean written "true"/"false"); SendMessage reads no other. Only in the
  sending thread: any other thread (a moto server's) gets every attribute. A queue a Lambda polls (an event
  source mapping: ReceiveMessage inside the send) keeps moto's own path.
* SQS: DeleteMessage asks every message of the queue whether it ever had the receipt handle (building a list of
  its handles each time), then copies the queue without it: draining a queue of n messages costs n squared
  (13 s for 8,000 dead letters). Here the queue is searched from the front (a consumer deletes what it just
  received, near the front) and the search stops at the message holding the handle, removed in place. moto
  removes every message that ever had the handle; a handle is 185 random letters given to one message on one
  receive, so that message is the only one.
* DynamoDB: each page of a Scan sorts every item of the table again (``Table.all_items``), then walks the items
  of every previous page, one key comparison each, to find where the page starts. Here the sorted list is kept
  with the unsorted one it came from, and reused while the table holds the very same item objects in the same
  order (a put, a delete or a replaced item makes it sort again; an in-place update cannot change a key). A
  table Scan (no index, no segments) with an ExclusiveStartKey gets the items from where its page starts, found
  by bisection with moto's own comparison (``_item_comes_before_dct``, true for a prefix of the sorted items):
  the walk then starts at the first item it would have kept.
* Everywhere (work that never changes): ``camelcase_to_underscores``, a pure function of a short string, turns
  the same action names on every call and the same attribute names on every SendMessage (``Queue.attributes``
  names a dozen attributes), a character at a time. Here the SQS models and every handler's ``call_action`` look
  the answer up once per name.
* Everywhere (work that never changes): every request looks its handler up in ``backend.urls``, a dict of URL
  patterns built anew each time; for S3 the building even reloads ``moto.s3.urls`` twice (its URL bases follow
  ``MOTO_S3_CUSTOM_ENDPOINTS``). Here the dict is built once per backend class and per value of the settings it
  depends on (``enable_iso_regions``, ``get_s3_custom_endpoints``), and each request gets a copy. And
  ``call_action`` lists the handler class's methods (``inspect.getmembers``) on every call; here once per class.
* DynamoDB (the one that never changes): UpdateItem parses its UpdateExpression twice on every call
  (``UpdateExpressionParser.make``, in the handler and in the backend), though a workflow sends the same few
  expressions again and again. Here each text is parsed once and its tree reused: every user of the tree only
  reads it (``find_clauses``) or works on a deep copy (``Validator`` copies it before it resolves anything), and
  a text that does not parse raises every time.

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

A request body reaches moto through werkzeug, which reads it into a new bytearray and copies that into new bytes
(``Request.get_data``): a PutObject of 700 MB held 2.1 GB at once. In process, moto builds its request from the
botocore request's own bytes (``Request.from_primitives``); here, for a body that werkzeug would hand over as it is
(bytes of the declared Content-Length, not form data, not gzip-encoded), the request's data is those very bytes.
And the request is no longer a reference cycle (werkzeug's ``environ["werkzeug.request"]``, read only by its
debugger), so its body goes when moto is done with it, not at the cyclic collector's next full pass.

moto has no setting for any of this (``moto.settings`` and its ``MOTO_*`` variables: none touches SQS counting
or DynamoDB Scan), and the runtime needs moto in process, so this is the one place that patches a dependency's
internals. ``install()`` is its only entry; it patches only a moto version in ``CHECKED_MOTO_VERSIONS`` (the pin in
pyproject.toml), and only when the patched classes still look as expected: any other moto runs unpatched, with a
warning, and gives the same answers, more slowly. tests/runtime/test_moto_speedups.py runs each scenario with
and without the patches (``uninstall()``) and compares the answers.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import inspect
import io
import operator
import os
import shutil
import tempfile
import threading
import types
import warnings
import weakref
from typing import Any

# Each patch below was read against moto's source of these versions, and the tests pass on them.
CHECKED_MOTO_VERSIONS = ("5.2.5",)

_installed = False
_ABSENT = object()
_originals: list[tuple[Any, str, Any]] = []  # (class, attribute, moto's own value) for uninstall()


def install() -> bool:
    """Patch moto's SQS Queue/SQSBackend, DynamoDB Table and UpdateExpressionParser once per process; True if the
    patches are in place.

    Checked against moto 5.2.5 only (``CHECKED_MOTO_VERSIONS``); on another version, or without moto, nothing is
    patched, and a patch whose moto class does not look as expected is skipped.
    """
    global _installed
    if _installed:
        return bool(_originals)
    _installed = True
    try:
        version = importlib.metadata.version("moto")
        from moto.core.request import Request
        from moto.dynamodb.models.table import Table
        from moto.s3 import models as s3_models
        from moto.s3.responses import S3Response
        from moto.sqs import models as sqs_models
    except (ImportError, importlib.metadata.PackageNotFoundError):  # moto not installed: nothing to speed up
        return False
    if version not in CHECKED_MOTO_VERSIONS:
        warnings.warn(f"moto_speedups: moto {version} is not one of {', '.join(CHECKED_MOTO_VERSIONS)}; moto runs "
                      "unpatched (same answers, slower on large queues and tables)", RuntimeWarning, stacklevel=2)
        return False
    _patch_sqs(sqs_models)
    _patch_dynamodb(Table)
    _patch_update_expressions()
    _patch_camelcase()
    _patch_dispatch_lookups()
    _patch_s3_keys(s3_models)
    _patch_s3_ranges(S3Response)
    _patch_request_body(Request)
    return bool(_originals)


def uninstall() -> None:
    """Put moto's own code back (for tests that compare the answers with and without the patches)."""
    global _installed
    while _originals:
        cls, name, value = _originals.pop()
        if value is _ABSENT:
            delattr(cls, name)
        else:
            setattr(cls, name, value)
    _installed = False
_ABSENT = object()


def _set(cls: Any, name: str, value: Any) -> None:
    _originals.append((cls, name, cls.__dict__.get(name, _ABSENT)))
    setattr(cls, name, value)


def _patch_sqs(sqs_models: Any) -> None:
    queue_cls, backend_cls = sqs_models.Queue, sqs_models.SQSBackend
    clock = getattr(sqs_models, "unix_time_millis", None)
    needed = ("messages", "approximate_number_of_messages_delayed", "approximate_number_of_messages_not_visible")
    if clock is None or not all(isinstance(queue_cls.__dict__.get(n), property) for n in needed) \
            or not hasattr(backend_cls, "is_message_valid_based_on_retention_period"):
        return

    def messages(self: Any) -> list[Any]:
        # Message.visible: now > visible_at; Message.delayed: now < delayed_until
        now = sqs_models.unix_time_millis()
        return [m for m in self._messages if now > m.visible_at and not now < m.delayed_until]

    def delayed(self: Any) -> int:
        now = sqs_models.unix_time_millis()
        return sum(1 for m in self._messages if now < m.delayed_until)

    def not_visible(self: Any) -> int:
        now = sqs_models.unix_time_millis()
        return sum(1 for m in self._messages if not now > m.visible_at)

    def retained(self: Any, queue_name: str, message: Any) -> bool:
        retention_period = self.get_queue(queue_name).message_retention_period
        return not retention_period + message.sent_timestamp / 1000 <= sqs_models.unix_time()

    _patch_sqs_delete(sqs_models)
    _patch_sqs_send(sqs_models)
    _set(queue_cls, "messages", property(messages))
    _set(queue_cls, "approximate_number_of_messages_delayed", property(delayed))
    _set(queue_cls, "approximate_number_of_messages_not_visible", property(not_visible))
    _set(backend_cls, "is_message_valid_based_on_retention_period", retained)


def _patch_sqs_send(sqs_models: Any) -> None:
    queue_cls, backend_cls = sqs_models.Queue, sqs_models.SQSBackend
    own_attributes, own_send = queue_cls.__dict__.get("attributes"), backend_cls.__dict__.get("send_message")
    if not isinstance(own_attributes, property) or own_send is None \
            or "ContentBasedDeduplication" not in getattr(queue_cls, "FIFO_ATTRIBUTES", ()) \
            or "ContentBasedDeduplication" in getattr(queue_cls, "BASE_ATTRIBUTES", ()):
        return

    sending = threading.local()  # the queues this thread is sending to: another thread sees moto's own attributes

    def attributes(self: Any) -> dict[str, Any]:
        if not any(queue is self for queue in getattr(sending, "queues", ())):
            return own_attributes.fget(self)
        if not self.fifo_queue:
            return {}
        value = self.content_based_deduplication
        return {"ContentBasedDeduplication": str(value).lower() if isinstance(value, bool) else value}

    def send_message(self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        queue = self.get_queue(queue_name)  # moto's send_message starts with it: the same QueueDoesNotExist
        queues = sending.__dict__.setdefault("queues", [])
        if queue.lambda_event_source_mappings:
            return own_send(self, queue_name, *args, **kwargs)
        queues.append(queue)
        try:
            return own_send(self, queue_name, *args, **kwargs)
        finally:
            queues.pop()  # the one appended above: sends within this one have popped theirs

    _set(queue_cls, "attributes", property(attributes))
    _set(backend_cls, "send_message", send_message)


def _patch_sqs_delete(sqs_models: Any) -> None:
    queue_cls = sqs_models.Queue
    own = queue_cls.__dict__.get("delete_message")
    invalid = getattr(sqs_models, "ReceiptHandleIsInvalid", None)
    if own is None or invalid is None or "_old_receipt_handles" not in inspect.getsource(sqs_models.Message):
        return

    def delete_message(self: Any, receipt_handle: str) -> None:
        if receipt_handle in self.deleted_messages:  # already deleted: moto lets it pass
            return
        messages = self._messages
        index = next((i for i, m in enumerate(messages)  # Message.had_receipt_handle, without building the list
                      if m.receipt_handle == receipt_handle or receipt_handle in m._old_receipt_handles), None)
        if index is None:
            raise invalid()
        message = messages[index]
        self.pending_messages.discard(message)
        self.deleted_messages.update(message.all_receipt_handles)
        del messages[index]

    _set(queue_cls, "delete_message", delete_message)


def _patch_dynamodb(table_cls: Any) -> None:
    if not all(n in table_cls.__dict__ for n in ("all_items", "scan", "_item_comes_before_dct")):
        return
    same = operator.is_
    scan = table_cls.scan
    scan_signature = inspect.signature(scan)
    if not {"exclusive_start_key", "index_name", "segments"} <= set(scan_signature.parameters):
        return

    def table_scan(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = scan_signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        start = bound.arguments["exclusive_start_key"]
        segments = bound.arguments["segments"]
        if start is not None and not bound.arguments["index_name"] and (segments is None or
                                                                         tuple(segments) == (None, None)):
            self._offline_scan_start = start
        try:
            return scan(self, *args, **kwargs)
        finally:
            self.__dict__.pop("_offline_scan_start", None)

    def after_start(self: Any, ordered: list[Any], start: Any) -> list[Any]:
        """The items from the first one that does not come before or at ``start``."""
        hash_attrs, range_attrs = [self.hash_key_attr], [self.range_key_attr]
        lo, hi = 0, len(ordered)
        while lo < hi:
            mid = (lo + hi) // 2
            if self._item_comes_before_dct(ordered[mid], start, hash_attrs, range_attrs, True):
                lo = mid + 1
            else:
                hi = mid
        return ordered[lo:]

    def all_items(self: Any) -> list[Any]:
        items: list[Any] = []
        if self.range_key_attr:
            for hash_set in self.items.values():
                items.extend(hash_set.values())
        else:
            items.extend(self.items.values())
        cached = self.__dict__.get("_offline_sorted_items")
        if cached is not None and len(cached[0]) == len(items) and all(map(same, cached[0], items)):
            result = cached[1]
        else:
            result = sorted(items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)
            self._offline_sorted_items = (items, result)
        start = self.__dict__.pop("_offline_scan_start", None)
        return list(result) if start is None else after_start(self, result, start)

    _set(table_cls, "all_items", all_items)
    _set(table_cls, "scan", table_scan)


def _patch_update_expressions() -> None:
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    make = UpdateExpressionParser.__dict__.get("make")
    copies = "deepcopy(expression)" in inspect.getsource(validators.Validator.__init__)
    if not isinstance(make, classmethod) or not copies:
        return
    parse = make.__func__

    @functools.lru_cache(maxsize=1024)
    def parsed(cls: Any, expression: str) -> Any:
        return parse(cls, expression)

    def cached_make(cls: Any, expression_str: Any) -> Any:
        if not isinstance(expression_str, str):  # not a key for the cache: parsed as moto parses it
            return parse(cls, expression_str)
        return parsed(cls, expression_str)

    _set(UpdateExpressionParser, "make", classmethod(cached_make))


def _patch_camelcase() -> None:
    from moto.core import responses, utils
    from moto.sqs import models as sqs_models

    own = utils.camelcase_to_underscores

    @functools.lru_cache(maxsize=4096)
    def known(argument: str) -> str:
        return own(argument)

    def camelcase_to_underscores(argument: str) -> str:
        return known(argument) if type(argument) is str else own(argument)

    for module in (responses, sqs_models):
        if module.__dict__.get("camelcase_to_underscores") is own:
            _set(module, "camelcase_to_underscores", camelcase_to_underscores)


def _patch_dispatch_lookups() -> None:
    from moto import settings
    from moto.core import base_backend, responses

    own_urls = base_backend.BaseBackend.__dict__.get("urls")
    if isinstance(own_urls, property):
        built: dict[tuple[Any, ...], dict[str, Any]] = {}

        def urls(self: Any) -> dict[str, Any]:
            key = (type(self), settings.enable_iso_regions(), tuple(settings.get_s3_custom_endpoints()))
            if key not in built:
                built[key] = own_urls.fget(self)
            return dict(built[key])

        _set(base_backend.BaseBackend, "urls", property(urls))

    own_names = responses.__dict__.get("method_names_from_class")
    if own_names is not None:
        @functools.lru_cache(maxsize=256)
        def listed(clazz: Any) -> tuple[str, ...]:
            return tuple(own_names(clazz))

        def method_names_from_class(clazz: Any) -> list[str]:
            return list(listed(clazz))

        _set(responses, "method_names_from_class", method_names_from_class)
def _patch_s3_keys(s3_models: Any) -> None:
    """FakeKey's values through ``SpillingBuffer`` (moto.s3.models' only use of ``tempfile``)."""
    if not isinstance(s3_models.__dict__.get("tempfile"), types.ModuleType) \
            or "_value_buffer" not in inspect.getsource(s3_models.FakeKey.__init__):
        return
    _set(s3_models, "tempfile", types.SimpleNamespace(SpooledTemporaryFile=SpillingBuffer))


class SpillingBuffer:
    """A ``tempfile.SpooledTemporaryFile`` for moto's FakeKey, holding no file descriptor between calls.

    In memory up to ``max_size`` bytes (0: no limit); written past it, the content moves to a file of its own in
    one temporary folder, opened for each read or write and closed after it, and removed by ``close()`` (moto's
    ``FakeKey.dispose``) or when the buffer is collected. Supports what FakeKey calls: seek, tell, read, write,
    truncate, close.
    """

    _folder: str | None = None

    def __init__(self, max_size: int = 0, *args: Any, **kwargs: Any) -> None:
        self._max_size = max_size
        self._memory: io.BytesIO | None = io.BytesIO()
        self._path: str | None = None
        self._position = 0
        self._finalizer: Any = None
        self.closed = False

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

    def write(self, data: bytes) -> int:
        if self._memory is not None:
            if not self._max_size or self._memory.tell() + len(data) <= self._max_size:
                return self._memory.write(data)
            self._rollover()  # to the file first: a large value is not copied into memory on its way there
        assert self._path is not None
        with open(self._path, "r+b") as f:
            f.seek(self._position)
            written = f.write(data)
        self._position += written
        return written

    def truncate(self, size: int | None = None) -> int:
        if self._memory is not None:
            return self._memory.truncate(size)
        assert self._path is not None
        size = self._position if size is None else size
        os.truncate(self._path, size)
        return size

    def close(self) -> None:
        self.closed = True
        self._memory = None
        if self._finalizer is not None:
            self._finalizer()

    def _rollover(self) -> None:
        assert self._memory is not None
        if SpillingBuffer._folder is None:
            SpillingBuffer._folder = tempfile.mkdtemp(prefix="moto-s3-")
            weakref.finalize(SpillingBuffer, shutil.rmtree, SpillingBuffer._folder, True)
        fd, path = tempfile.mkstemp(dir=SpillingBuffer._folder)
        with os.fdopen(fd, "wb") as f:
            f.write(self._memory.getbuffer())
        self._position = self._memory.tell()
        self._memory = None
        self._path = path
        self._finalizer = weakref.finalize(self, _remove, path)


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


class _LazyValueKey:
    """A FakeKey whose ``value`` is a ``_KeyContent``: everything else is the key's own."""

    def __init__(self, key: Any) -> None:
        self.__dict__["_key"] = key

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["_key"], name)

    @property
    def value(self) -> _KeyContent:
        return _KeyContent(self.__dict__["_key"])


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
            key = _LazyValueKey(key)
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


_FORMS = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})


def _patch_request_body(request_cls: Any) -> None:
    """moto's in-process Request keeps the botocore body's bytes as its data (see the module docstring)."""
    from botocore.httpchecksum import AwsChunkedWrapper
    from_primitives = request_cls.__dict__.get("from_primitives")
    if not isinstance(from_primitives, classmethod) or "get_data" in request_cls.__dict__:
        return
    build = from_primitives.__func__

    def from_botocore(cls: Any, method: str, url: str, headers: Any, body: Any = None) -> Any:
        if isinstance(body, io.BytesIO) and body.tell() == 0:
            body = body.getvalue()  # what werkzeug reads from it; the bytes botocore wrapped, not a copy
        elif isinstance(body, AwsChunkedWrapper) or (hasattr(body, "read") and not isinstance(body, bytes | str)):
            body = body.read()  # what from_primitives (a chunked body) or werkzeug (a file) reads from it
        request = build(cls, method, url, headers, body)
        if request.environ.get("werkzeug.request") is request:
            # werkzeug's back-reference (read only by its debugger) makes each request a reference cycle, so the
            # body it caches lived until the cyclic collector's next full pass: minutes, hundreds of MB, in a run.
            del request.environ["werkzeug.request"]
        # werkzeug's get_data reads Content-Length bytes of the stream, which holds ``body``; form data is parsed
        # (and not kept as data), and a gzip-encoded body is decompressed first: those are left to werkzeug.
        if type(body) is bytes and body and request.content_length == len(body) \
                and request.mimetype not in _FORMS and "gzip" not in (request.content_encoding or ""):
            request._cached_data = body
        return request

    _set(request_cls, "from_primitives", classmethod(from_botocore))
