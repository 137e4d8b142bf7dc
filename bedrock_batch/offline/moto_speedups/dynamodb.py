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
  a text that does not parse raises every time. The deep copy each UpdateItem's ``Validator`` makes of the tree
  (``copy.deepcopy``, a Python-level walk of every node) loads a pickle of the tree taken when it was parsed:
  the same classes, attributes and links between nodes (parents included), in a sixth of the time.
* DynamoDB (the one that never changes): UpdateItem's validation walks the expression's tree ten times, one
  ``DepthFirstTraverser`` each, and at every node of every walk it rebuilds the traverser's processing map twice
  (``nodes_to_be_processed``: a dict, then a tuple) and asks ``isinstance`` of ``Node`` and of the processed
  classes, which are abstract base classes (``abc.ABCMeta``: a Python-level check each time). That was half of
  an UpdateItem's time in moto. Here a walk builds the map's classes once, and the two answers are kept per node
  class (and per set of processed classes) until ``abc.get_cache_token()`` says an ABC was registered since; the
  walk visits, pre-processes, processes and replaces the nodes in moto's order, through the traverser's own
  ``pre_processing_of_child`` and ``process``.
* DynamoDB (the one that never changes): of those ten walks, the first three only check the tree and change nothing
  (``ActionCountValidator``, ``OverlappingPathsValidator``, ``UpdateHashRangeKeyValidator``: each returns every
  node it is given, or raises), and every clause of the tree is an ``UpdateExpression`` that the first two
  process by searching all the clauses below it again (``find_clauses``): a third of the validation's time. What
  they answer depends on the tree, the attribute names and the table's key attributes only (their settings, the
  processors' attributes). Here a check that passed on a copy of a parsed tree (unchanged, as those three run
  first) is not walked again on a copy of the same tree with the same settings; a check that refused runs again,
  and refuses again, each time. UpdateItem of ``ADD a :a, b :b, ...`` (six actions) and two shorter ones: 1.43 ->
  1.26 ms each.
* DynamoDB: of the seven walks that follow the checks, five want node classes an UpdateExpression often lacks
  (``UpdateExpressionFunction``, ``NoneExistingPath``, ``UpdateExpressionValue``, ``UpdateExpressionSetAction``
  twice): the pipeline's ``ADD n :n, s :s`` has none of them, and each walk visited every node to process none. A
  walk that processes no node, and whose hook before each child is moto's own (which does nothing), changes
  nothing. Here, before such a walk, the classes of the nodes a walk reaches (moto's descent: into each ``Node``
  with children) are gathered, and gathered again after any walk that ran; a walk none of whose wanted classes
  is among them is not walked. The others run in moto's order, so the same one refuses first.
* DynamoDB (the one that never changes): every attribute name of an UpdateExpression's paths, and of a condition's
  or a projection's, is looked up in moto's list of DynamoDB's 573 reserved words (``attribute.upper() in
  ReservedKeywords.get_reserved_keywords()``), one string comparison per word for a name that is not reserved: a
  tenth of an UpdateItem of six attributes. Here the list moto reads (``ReservedKeywords.KEYWORDS``, built once
  from its resource file and never changed) is the same list of the same words whose ``in`` of a ``str`` looks in
  a set made of them: the same answer (a str equals a word of the list exactly when it is in the set); anything
  else is looked for along the list, as before.
"""

from __future__ import annotations

import abc
import contextlib
import copy
import functools
import inspect
import operator
import pickle
from typing import Any

from .patching import set_attribute as _set


def patch(table_cls: Any) -> None:
    """Scan pages (moto's DynamoDB ``Table``) and UpdateExpression parsing."""
    _patch_dynamodb(table_cls)
    _patch_update_expressions()
    _patch_traverser()
    _patch_reserved_keywords()



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
    if not isinstance(make, classmethod) or not copies or validators.__dict__.get("deepcopy") is not copy.deepcopy:
        return
    parse = make.__func__
    # Each parsed tree, by id, with the tree itself (which keeps the id its own) and its pickle, taken when parsed.
    pickled: dict[int, tuple[Any, bytes]] = {}

    @functools.lru_cache(maxsize=1024)
    def parsed(cls: Any, expression: str) -> Any:
        tree = parse(cls, expression)
        if len(pickled) >= 1024:
            pickled.clear()
        with contextlib.suppress(Exception):  # a tree that does not pickle is deep-copied as moto copies it
            pickled[id(tree)] = (tree, pickle.dumps(tree, pickle.HIGHEST_PROTOCOL))
        return tree

    def cached_make(cls: Any, expression_str: Any) -> Any:
        if not isinstance(expression_str, str):  # not a key for the cache: parsed as moto parses it
            return parse(cls, expression_str)
        return parsed(cls, expression_str)

    def deepcopy(value: Any, memo: Any = None) -> Any:
        """``copy.deepcopy``; of a tree parsed here (which nothing changes), its pickle loaded: the same nodes."""
        known = pickled.get(id(value))
        if known is not None and known[0] is value and memo is None:
            return pickle.loads(known[1])
        return copy.deepcopy(value, memo)

    _set(UpdateExpressionParser, "make", classmethod(cached_make))
    _set(validators, "deepcopy", deepcopy)
    _patch_validator_checks(validators, lambda tree: pickled.get(id(tree), (None,))[0] is tree)


# The walks of UpdateItem's validation that only check the tree (each processor returns every node it is given, or
# raises), in the order moto's UpdateExpressionValidator runs them, first.
_CHECKS = ("ActionCountValidator", "OverlappingPathsValidator", "UpdateHashRangeKeyValidator")


def _patch_validator_checks(validators: Any, is_parsed: Any) -> None:
    """A check walk that passed on a copy of a parsed tree, with the same settings, is not walked again (see the
    module docstring). ``is_parsed(tree)``: whether ``tree`` is one of the parsed trees kept (never changed)."""
    checks = tuple(getattr(validators, name, None) for name in _CHECKS)
    validator = validators.Validator
    if not all(isinstance(c, type) and _only_checks(c) for c in checks) \
            or "deepcopy(expression)" not in inspect.getsource(validator.__init__) \
            or "n = processor.traverse(n)" not in inspect.getsource(validator.validate):
        return
    own_init = validator.__init__
    node_class = validators.Node
    own_hook = validators.DepthFirstTraverser.__dict__.get("pre_processing_of_child")
    passed: dict[tuple[Any, ...], Any] = {}  # (tree's id, check's class, its settings) -> the tree, once it passed

    def __init__(self: Any, expression: Any, *args: Any, **kwargs: Any) -> None:
        own_init(self, expression, *args, **kwargs)
        if is_parsed(expression):
            self._offline_parsed = expression  # node_to_validate is its deep copy, as yet unchanged

    def validate(self: Any) -> Any:
        tree = self.__dict__.pop("_offline_parsed", None)  # (validated again, the copy is no longer the tree)
        n = self.node_to_validate
        reached: set[type] | None = None  # the classes of the nodes a walk of n reaches (None: not known)
        for processor in self.processors:
            key = _check_key(processor, checks, tree)
            if key is None:
                tree = None  # past the first walk that is not a check, the copy may differ from the tree
                if _quiet(processor, own_hook):
                    if reached is None:
                        reached = _reached(n, node_class)
                    wanted = processor.nodes_to_be_processed()
                    if not any(issubclass(cls, wanted) for cls in reached):
                        continue  # it would process no node: the walk changes nothing
            elif passed.get(key) is tree:
                continue
            n = processor.traverse(n)
            reached = None
            if key is not None:
                if len(passed) >= 4096:
                    passed.clear()
                passed[key] = tree
        return n

    _set(validator, "__init__", __init__)
    _set(validator, "validate", validate)


def _quiet(processor: Any, own_hook: Any) -> bool:
    """Whether ``processor``'s walk does nothing but process nodes: moto's own hook before each child (which does
    nothing), not one of its class or of its own."""
    return own_hook is not None and type(processor).pre_processing_of_child is own_hook \
        and "pre_processing_of_child" not in processor.__dict__


def _reached(node: Any, node_class: type) -> set[type]:
    """The classes of the nodes a walk from ``node`` processes if it wants them: ``node`` and, below each node, its
    children, as moto's walk descends (into each ``Node`` that has children)."""
    classes: set[type] = set()
    pending = [node]
    while pending:
        node = pending.pop()
        if isinstance(node, node_class):
            classes.add(type(node))
            if node.children is not None:
                pending.extend(node.children)
    return classes


def _only_checks(cls: type) -> bool:
    """Whether every ``return`` of ``cls`` gives its processing map or the node its processor was given."""
    returns = [line.strip() for line in inspect.getsource(cls).splitlines() if line.strip().startswith("return")]
    return bool(returns) and all(r == "return node" or r.startswith("return {") for r in returns)


def _check_key(processor: Any, checks: tuple[type, ...], tree: Any) -> tuple[Any, ...] | None:
    """What a check's answer on a copy of ``tree`` depends on: the tree, the check, its settings (None: not known)."""
    if tree is None or type(processor) not in checks:
        return None
    settings = _frozen(processor.__dict__)
    return None if settings is None else (id(tree), type(processor), settings)


def _frozen(value: Any) -> Any:
    """``value`` (strings, and dicts and lists of them: the checks' settings) as a hashable whole that equals only
    the same contents; None for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        items = [(k, _frozen(v)) for k, v in value.items()]
        return None if any(not isinstance(k, str) or v is None for k, v in items) else ("dict", tuple(items))
    if isinstance(value, list):
        parts = [_frozen(v) for v in value]
        return None if any(p is None for p in parts) else ("list", tuple(parts))
    return None


def _subclasses(cls: Any) -> list[Any]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def _patch_traverser() -> None:
    from moto.dynamodb.parsing import ast_nodes, validators  # noqa: F401  (validators: its traversers subclass)

    traverser, node_class = ast_nodes.DepthFirstTraverser, ast_nodes.Node
    walked = ("traverse", "traverse_node_recursively", "nodes_to_be_processed", "pre_processing_of_child", "process")
    if not all(name in traverser.__dict__ for name in walked) or any(
            name in sub.__dict__ for sub in _subclasses(traverser) for name in walked[:3]):
        return  # moto's walk is not the one this replaces, or a traverser walks its own way
    own_pre = traverser.__dict__["pre_processing_of_child"]
    kinds: dict[tuple[type, ...], dict[type, tuple[bool, bool]]] = {}  # processed classes -> node class -> answers
    token = [abc.get_cache_token()]

    def traverse(self: Any, node: Any) -> Any:
        """``traverse_node_recursively(node)`` as moto walks it (see the module docstring)."""
        if abc.get_cache_token() != token[0]:  # an ABC registered a class since: isinstance may answer otherwise
            kinds.clear()
            token[0] = abc.get_cache_token()
        wanted = self.nodes_to_be_processed()
        known = kinds.setdefault(wanted, {})
        own_hook = type(self).pre_processing_of_child is own_pre and "pre_processing_of_child" not in self.__dict__
        pre = None if own_hook else self.pre_processing_of_child  # moto's own hook does nothing
        process = self.process

        def walk(node: Any, child_id: int) -> Any:
            kind = known.get(type(node))
            if kind is None:
                kind = known[type(node)] = (isinstance(node, node_class), isinstance(node, wanted))
            if kind[0]:
                parent_node = node.parent
                if node.children is not None:
                    for i, child_node in enumerate(node.children):
                        if pre is not None:
                            pre(node, i)
                        walk(child_node, i)
                if kind[1]:
                    node = process(node)
                    node.parent = parent_node
                    if parent_node:
                        parent_node.children[child_id] = node
            return node

        return walk(node, -1)

    _set(traverser, "traverse", traverse)


def _patch_reserved_keywords() -> None:
    from moto.dynamodb.parsing.reserved_keywords import ReservedKeywords

    own = ReservedKeywords.__dict__.get("get_reserved_keywords")
    if not isinstance(own, classmethod) or "KEYWORDS" not in ReservedKeywords.__dict__ \
            or "cls.KEYWORDS = cls._get_reserved_keywords()" not in inspect.getsource(own.__func__):
        return
    words = ReservedKeywords._get_reserved_keywords()
    if type(words) is list and all(type(word) is str for word in words):
        _set(ReservedKeywords, "KEYWORDS", _Words(words))


class _Words(list):  # type: ignore[type-arg]
    """A list of words whose ``in`` of a ``str`` is answered by a set of them (the same answer, see the module
    docstring); moto only reads its reserved words, so the set is made once, with the list."""

    def __init__(self, words: list[str]) -> None:
        super().__init__(words)
        self._set = frozenset(words)

    def __contains__(self, word: object) -> bool:
        if type(word) is str:
            return word in self._set
        return list.__contains__(self, word)
