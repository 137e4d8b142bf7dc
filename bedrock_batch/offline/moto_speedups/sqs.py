"""moto's SQS without the costs that grow with the square of a queue's length; same answers.

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
* SQS: ReceiveMessage walks ``queue.messages``, a list of every visible message of the queue built anew for each
  call (two clock comparisons per message, in Python), and stops after the ten it returns: draining a queue of n
  messages ten at a time makes n squared / 20 of those tests. Here, while moto's own ReceiveMessage runs in this
  thread, the queue answers ``messages`` with the same messages found as the walk goes: a copy of the list of the
  queue's messages taken when asked (one C-level copy), each kept if visible and not delayed at the clock read then,
  the list's test, made only as far as the walk goes. The walk changes no other message's visibility or delay than
  the one it is at, so it meets the same messages in the same order. Its truth (what ``wait_for_messages`` asks)
  and its length are the list's. Draining 20,000 dead letters as ``demo.dead_letter_messages`` does went
  from 8.1 to 5.9 s with this, the receipt handles below and ``moto_speedups.responses``.
* SQS: each message received gets a new receipt handle, 185 letters each drawn by ``random.choice`` from moto's
  seeded random (``generate_receipt_handle``): a tenth of a drain's time. Here they are drawn as
  ``moto_speedups.draws`` draws: the same outputs of the generator, the same letters, the generator left where
  moto leaves it (checked from a few seeds when patching).
"""

from __future__ import annotations

import inspect
import string
import threading
from typing import Any

from .draws import choices, same_draws
from .patching import set_attribute as _set


def patch(sqs_models: Any) -> None:
    """Queue counts and retention, SendMessage's attributes, ReceiveMessage's walk and receipt handles,
    DeleteMessage's search (moto.sqs.models)."""
    _patch_sqs(sqs_models)



def _patch_sqs(sqs_models: Any) -> None:
    queue_cls, backend_cls = sqs_models.Queue, sqs_models.SQSBackend
    clock = getattr(sqs_models, "unix_time_millis", None)
    needed = ("messages", "approximate_number_of_messages_delayed", "approximate_number_of_messages_not_visible")
    if clock is None or not all(isinstance(queue_cls.__dict__.get(n), property) for n in needed) \
            or not hasattr(backend_cls, "is_message_valid_based_on_retention_period"):
        return

    def messages(self: Any) -> list[Any]:
        return list(_Visible(self._messages, sqs_models.unix_time_millis()))

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
    _patch_receipt_handles(sqs_models)
    _set(queue_cls, "messages", property(_lazy_while_receiving(sqs_models, messages)))
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


class _Visible:
    """A queue's visible messages (``Queue.messages``) found as they are iterated over; ``messages``: the queue's
    messages when asked, ``now``: the clock then."""

    def __init__(self, messages: list[Any], now: float) -> None:
        self._messages, self._now = messages, now

    def __iter__(self) -> Any:
        now = self._now  # Message.visible: now > visible_at; Message.delayed: now < delayed_until
        return (m for m in self._messages if now > m.visible_at and not now < m.delayed_until)

    def __len__(self) -> int:  # the list's length, for any caller that asks (moto's receive path does not)
        return sum(1 for _ in self)

    def __bool__(self) -> bool:  # what wait_for_messages tests
        return any(True for _ in self)


def _lazy_while_receiving(sqs_models: Any, messages: Any) -> Any:
    """``messages`` (the property's getter), answered by a ``_Visible`` while moto's own ReceiveMessage runs in
    this thread on that queue (module docstring); moto's receive_message patched to say so."""
    backend_cls = sqs_models.SQSBackend
    own = backend_cls.__dict__.get("receive_message")
    source = inspect.getsource(own) if own is not None else ""
    if own is None or source.count("in queue.messages") != 1 or "for message in queue.messages:" not in source:
        return messages
    receiving = threading.local()  # the queues this thread is receiving from

    def visible(self: Any) -> Any:
        if any(queue is self for queue in getattr(receiving, "queues", ())):
            return _Visible(self._messages.copy(), sqs_models.unix_time_millis())
        return messages(self)

    def receive_message(self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        queue = self.get_queue(queue_name)  # moto's receive_message starts with it: the same QueueDoesNotExist
        queues = receiving.__dict__.setdefault("queues", [])
        queues.append(queue)
        try:
            return own(self, queue_name, *args, **kwargs)
        finally:
            queues.pop()

    _set(backend_cls, "receive_message", receive_message)
    return visible


def _receipt_handle(rng: Any, length: int = 185) -> str:
    """``"".join(rng.choice(ascii_lowercase) for _ in range(length))`` from the same outputs of ``rng``."""
    return choices(rng, string.ascii_lowercase, length)


def _patch_receipt_handles(sqs_models: Any) -> None:
    import random

    from moto.sqs import utils

    own = utils.__dict__.get("generate_receipt_handle")
    rng = utils.__dict__.get("random")
    if own is None or sqs_models.__dict__.get("generate_receipt_handle") is not own or not isinstance(
            rng, random.Random) or "random.choice(string.ascii_lowercase) for x in range(length)" not in \
            inspect.getsource(own) or "length = 185" not in inspect.getsource(own):
        return
    def own_handle(rng: Any) -> str:  # moto's generate_receipt_handle, from a generator of its own
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(185))

    if not same_draws(type(rng), own_handle, _receipt_handle, [()] * 8):
        return  # not the same handles, or the generator not left in the same state: moto's own

    def generate_receipt_handle() -> str:
        return _receipt_handle(utils.random)

    _set(sqs_models, "generate_receipt_handle", generate_receipt_handle)
