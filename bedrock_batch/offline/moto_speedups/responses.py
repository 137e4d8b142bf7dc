"""moto's response serializer without asking its six alias providers again for every member of every answer.

moto serializes a response by picking each member of the operation's output shape out of the result
(``AttributePicker``): for every member of every structure (ten received SQS messages: about 150 members; an
UpdateItem: about 10) it makes six alias providers and asks each whether the member has an alias
(``get_possible_keys``): under cProfile, 14% of moto's time draining SQS messages ten at a time. When the
result is a plain ``dict`` (what the SQS and DynamoDB handlers return, every structure inside included), the
providers' answers depend only on the member's name and shape and the shape's parent (set by the serializer just
before): a dict has no ``Meta`` (``ExplicitAlias``), its class is ``dict`` (``ClassPrefixAlias``), and the rest
read the shape (``ShapeNameAlias``, ``NoAlias``, ``ShapePrefixAlias``, ``ModelAlias``: names, ``members``,
``serialization``, which botocore computes once per shape). Here those answers, as moto's own code gave them the
first time, are kept per name, shape and parent (the shape objects themselves kept with them, so an id is never
mistaken for another's) and handed out in the same order. A lookup whose providers raise (moto asks them lazily
and may stop before the one that raises) is not kept: moto's own code answers it, as lazily. Any other result, or
providers other than moto's default six, keeps moto's own code.
"""

from __future__ import annotations

import inspect
from typing import Any

from .patching import set_attribute as _set

_PROVIDERS = ("ExplicitAlias", "ShapeNameAlias", "NoAlias", "ShapePrefixAlias", "ClassPrefixAlias", "ModelAlias")
_NO_PARENT = object()


def patch() -> None:
    """``AttributePicker.get_possible_keys`` answering from what moto's own code answered (module docstring)."""
    from moto.core import serialize

    picker = getattr(serialize, "AttributePicker", None)
    own = picker.__dict__.get("get_possible_keys") if isinstance(picker, type) else None
    providers = getattr(serialize, "DEFAULT_ALIAS_PROVIDERS", None)
    if own is None or not isinstance(providers, list) or [p.__name__ for p in providers] != list(_PROVIDERS):
        return
    sources = {p.__name__: inspect.getsource(p) for p in providers}
    if 'hasattr(obj, "Meta")' not in sources["ExplicitAlias"] \
            or "obj.__class__.__name__" not in sources["ClassPrefixAlias"] \
            or any("context.obj" in sources[name] or "self.context.obj" in sources[name]
                   for name in ("ShapeNameAlias", "NoAlias", "ShapePrefixAlias", "ModelAlias")) \
            or "for alias_provider_cls in self.alias_providers:" not in inspect.getsource(own):
        return  # a provider reads the result otherwise than checked: moto's own lookups
    default = list(providers)
    known: dict[tuple[int, int, str], tuple[Any, Any, tuple[str, ...]]] = {}

    def get_possible_keys(self: Any, context: Any) -> Any:
        if type(context.obj) is not dict or self.alias_providers != default:
            return own(self, context)
        shape, key = context.shape, context.key
        parent = getattr(shape, "parent", _NO_PARENT)
        entry = known.get((id(shape), id(parent), key))
        if entry is None or entry[0] is not shape or entry[1] is not parent:
            try:
                aliases = tuple(own(self, context))
            except Exception:  # moto may stop before the provider that raises: let it ask, lazily
                return own(self, context)
            if len(known) >= 8192:
                known.clear()
            entry = known[(id(shape), id(parent), key)] = (shape, parent, aliases)
        return iter(entry[2])

    _set(picker, "get_possible_keys", get_possible_keys)
