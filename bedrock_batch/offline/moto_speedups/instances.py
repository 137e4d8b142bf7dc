"""moto's models without a list of every instance ever made.

Every moto model (``BaseModel``: S3 objects and their ACLs, multipart parts, DynamoDB items, SQS messages ...)
appends itself, when made, to a list on its class (``instances_tracked``) that is emptied only when moto resets.
moto reads the lists for two things: its server's dashboard (``/moto-api/data.json``, not used in process) and, at
reset, to dispose of S3 objects that no bucket holds any more. So everything a run ever stored stays in memory,
deleted or replaced: each DynamoDB UpdateItem keeps two copies of the item (the run summary grows to about 16 KB),
each dead letter deleted from its queue stays, each S3 object (about 4 KB of Python objects) stays. At a million
rows that grows with the rows. Here a model is not added to the list; an S3 object that nothing holds is then
collected, and ``FakeKey.__del__`` disposes of it (closes its buffer) without moto's "not disposed of in time"
ResourceWarning: being collected is now how such an object ends. What moto answers does not change.
"""

from __future__ import annotations

import inspect
from typing import Any

from .patching import set_attribute as _set


def patch(base_model: Any, fake_key: Any) -> None:
    """``BaseModel.__new__`` without the append; ``FakeKey.__del__`` disposing quietly."""
    if "instances_tracked.append" not in inspect.getsource(base_model.__new__) \
            or "dispose(garbage=True)" not in inspect.getsource(fake_key.__del__):
        return

    def new(cls: Any, *args: Any, **kwargs: Any) -> Any:
        return object.__new__(cls)

    def collected(self: Any) -> None:
        self.dispose()

    _set(base_model, "__new__", new)
    _set(fake_key, "__del__", collected)
