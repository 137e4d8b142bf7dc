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

moto has no setting for any of this (``moto.settings`` and its ``MOTO_*`` variables: none touches SQS counting
or DynamoDB Scan), and the runtime needs moto in process, so this is the one place that patches a dependency's
internals. ``install()`` is its only entry; it patches only a moto version in ``CHECKED_MOTO_VERSIONS`` (the pin in
pyproject.toml), and only when the patched classes still look as expected: any other moto runs unpatched, with a
warning, and gives the same answers, more slowly. tests/runtime/test_moto_speedups.py runs each scenario with
and without the patches (``uninstall()``) and compares the answers.
"""

from __future__ import annotations

import functools
import importlib.metadata
import inspect
import operator
import threading
import warnings
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
        from moto.dynamodb.models.table import Table
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
