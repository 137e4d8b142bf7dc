"""moto's DynamoDB items copied and sized without Python's generic machinery at every value; the same copies, sizes.

* Copies: every UpdateItem deep-copies the item twice before it changes it (the handler keeps the attributes as
  they were, for ``ReturnValues``; the backend keeps the item as it was, for a stream), and GetItem, Query and Scan
  copy what they return. moto's ``Item.__deepcopy__`` and ``DynamoType.__deepcopy__`` already copy by hand, but
  each value goes through ``copy.deepcopy`` (a memo look-up, the class's dispatch, ``getattr(x, "__deepcopy__")``,
  a keep-alive list), which was half of a copy's time. Here a ``DynamoType`` (the class itself, not a subclass)
  inside an item or a list or map value is copied by the same code moto's ``__deepcopy__`` runs, called directly:
  the memo is read and written as moto reads and writes it, so what was shared stays shared, and anything else
  still goes through ``copy.deepcopy``. The keep-alive list is not kept: it holds each original for the memo's
  life so that no id is reused while copying, and the originals here belong to the item being copied, alive
  throughout.
* Sizes: each attribute an UpdateItem sets (every ``ADD n :n`` and ``SET``) makes moto's ``LimitedSizeDict`` add up
  the size of the whole item (``DynamoType.size`` of every attribute), to refuse an item over 400 KB, and the size
  of a string or number set builds a ``DynamoType`` for each member to ask its size. Here ``DynamoType.size`` of a
  number, a string, a binary, a boolean, a null and a set answers what moto's answers (the same expressions:
  ``len(str(value))`` for a number, ``bytesize`` of a string, 1 for a boolean value) without building the members;
  lists and maps, and subclasses, keep moto's own code (whose members' sizes come here).
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

from .patching import set_attribute as _set

_SETS = ("SS", "NS", "BS")  # moto's DynamoType.is_set (a tuple: ``in`` compares as moto's does)


def patch() -> None:
    """``Item.__deepcopy__``, ``DynamoType.__deepcopy__`` and ``DynamoType.size`` (module docstring)."""
    from moto.dynamodb.models import dynamo_type

    if not _kinds_as_read(dynamo_type):
        return  # moto tells a value's kind otherwise than both patches read it: moto's own copies and sizes
    _patch_copies(dynamo_type)
    _patch_sizes(dynamo_type)


def _patch_copies(module: Any) -> None:
    value_cls, item_cls, sized_dict = module.DynamoType, module.Item, module.LimitedSizeDict
    own_copy = value_cls.__dict__.get("__deepcopy__")
    value_source = inspect.getsource(own_copy) if callable(own_copy) else ""
    item_source = inspect.getsource(item_cls.__deepcopy__)
    if not all(part in value_source for part in ("result.value = list(self.value)", "result.value = self.value",
                                                 "self.is_list()", "self.is_map()", "self.is_set()")) \
            or not all(part in item_source for part in ("result.hash_key", "result.range_key", "result.attrs",
                                                        "dict.__setitem__(attrs_copy")):
        return  # moto copies otherwise than this copies
    deepcopy = copy.deepcopy

    def copy_value(value: Any, memo: dict[int, Any]) -> Any:
        """``copy.deepcopy(value, memo)``, a DynamoType copied by its ``__deepcopy__`` directly."""
        if type(value) is value_cls:
            return copy_dynamo_type(value, memo)
        return deepcopy(value, memo)

    def copy_dynamo_type(self: Any, memo: dict[int, Any]) -> Any:
        """moto's ``DynamoType.__deepcopy__`` (its ``is_list``, ``is_map``, ``is_set`` read in place), its members
        copied by ``copy_value``; a subclass's copy is moto's own."""
        if type(self) is not value_cls:
            return own_copy(self, memo)
        if id(self) in memo:
            return memo[id(self)]
        result = value_cls.__new__(value_cls)
        memo[id(self)] = result
        result.type = kind = self.type
        if kind == "L":
            result.value = [copy_value(v, memo) for v in self.value]
        elif kind == "M":
            result.value = {k: copy_value(v, memo) for k, v in self.value.items()}
        elif kind in _SETS:
            result.value = list(self.value)
        else:
            result.value = self.value
        return result

    def copy_item(self: Any, memo: dict[int, Any]) -> Any:
        """moto's ``Item.__deepcopy__`` (no size check while copying), its values copied by ``copy_value``."""
        if id(self) in memo:
            return memo[id(self)]
        result = self.__class__.__new__(self.__class__)
        memo[id(self)] = result
        result.hash_key = copy_value(self.hash_key, memo)
        result.range_key = copy_value(self.range_key, memo)
        attrs_copy = sized_dict.__new__(sized_dict)
        dict.__init__(attrs_copy)
        for key, value in self.attrs.items():
            dict.__setitem__(attrs_copy, key, copy_value(value, memo))
        result.attrs = attrs_copy
        return result

    _set(value_cls, "__deepcopy__", copy_dynamo_type)
    _set(item_cls, "__deepcopy__", copy_item)


def _kinds_as_read(module: Any) -> bool:
    """Whether moto tells a value's kind as the patches read it in place: ``type == "N"``, ``"L"``, ``"M"``, or one
    of ``_SETS``."""
    kinds = module.DDBType
    sources = {name: inspect.getsource(getattr(module.DynamoType, name)) for name in ("is_number", "is_list",
                                                                                    "is_map", "is_set")}
    return (kinds.NUMBER, kinds.LIST, kinds.MAP) == ("N", "L", "M") \
        and (kinds.STRING_SET, kinds.NUMBER_SET, kinds.BINARY_SET) == _SETS \
        and "return self.type == DDBType.NUMBER" in sources["is_number"] \
        and "return self.type == DDBType.LIST" in sources["is_list"] \
        and "return self.type == DDBType.MAP" in sources["is_map"] \
        and "return self.type in (DDBType.STRING_SET, DDBType.NUMBER_SET, DDBType.BINARY_SET)" in sources["is_set"]


def _patch_sizes(module: Any) -> None:
    value_cls, bytesize = module.DynamoType, module.bytesize
    own = value_cls.__dict__.get("size")
    source = inspect.getsource(own) if callable(own) else ""
    expected = ("value_size = len(str(self.value))", "sub_type = self.type[0]",
                "DynamoType({sub_type: v}).size() for v in self.value", "isinstance(self.value, bool)",
                "value_size = 1", "value_size = bytesize(self.value)")
    if not all(part in source for part in expected):
        return  # moto sizes otherwise than this sizes

    def size(self: Any) -> int:
        """moto's ``DynamoType.size``: a number's digits, a string's UTF-8 bytes, a set's members' sizes added."""
        kind = self.type
        if type(self) is not value_cls or kind == "L" or kind == "M":
            return own(self)  # a subclass's own tests, or a list's or a map's members: moto's walk
        if kind == "N":
            return len(str(self.value))
        if kind in _SETS:
            if kind[0] == "N":  # each member a DynamoType({"N": v}): a number
                return sum([len(str(v)) for v in self.value])
            return sum([1 if isinstance(v, bool) else bytesize(v) for v in self.value])
        return 1 if isinstance(self.value, bool) else bytesize(self.value)

    _set(value_cls, "size", size)
