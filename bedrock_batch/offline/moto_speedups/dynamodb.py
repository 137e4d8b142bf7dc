"""moto's DynamoDB without re-sorting a table per Scan page or re-parsing an UpdateExpression per call; same answers.

* DynamoDB: each page of a Scan sorts every item of the table again (``Table.all_items``), then walks the items
  of every previous page, one key comparison each, to find where the page starts. Here the sorted list is kept
  with the unsorted one it came from, and reused while the table holds the very same item objects in the same
  order (a put, a delete or a replaced item makes it sort again; an in-place update cannot change a key). A
  table Scan (no index, no segments) with an ExclusiveStartKey gets the items from where its page starts, found
  by bisection with moto's own comparison (``_item_comes_before_dct``, true for a prefix of the sorted items):
  the walk then starts at the first item it would have kept.
* DynamoDB (the one that never changes): UpdateItem parses its UpdateExpression twice on every call
  (``UpdateExpressionParser.make``, in the handler and in the backend), though a workflow sends the same few
  expressions again and again. Here each text is parsed once and its tree reused: every user of the tree only
  reads it (``find_clauses``) or works on a deep copy (``Validator`` copies it before it resolves anything), and
  a text that does not parse raises every time.
"""

from __future__ import annotations

import functools
import inspect
import operator
from typing import Any

from .patching import set_attribute as _set


def patch(table_cls: Any) -> None:
    """Scan pages (moto's DynamoDB ``Table``) and UpdateExpression parsing."""
    _patch_dynamodb(table_cls)
    _patch_update_expressions()



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
