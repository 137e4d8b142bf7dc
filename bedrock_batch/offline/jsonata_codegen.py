"""A tree of simple JSONata nodes compiled to one Python function, for ``jsonata_fast``.

``FastJsonata`` turns each node into a closure; a node's value is a call of its closure, which calls its children's.
In an object constructor of literals, variables and nested constructors (a request body), those calls, not the
work, are most of the time. This module writes such a tree out as the source of one Python function (``compile``),
the statements of each closure one after the other, so that its nodes cost no call.

A *region* is a node of one of the composite kinds below, with its children of the kinds below written out in it,
recursively; a child of any other kind (a lambda, a path of other steps, a negation, a sort...) is called as its
closure (``node_of(child)``), exactly as the parent's closure would call it. Only nodes without a filter, a group or
``[]`` are written out (``_plain``; ``fields``, ``filtered``, ``mapped`` below hold one): for those ``_node``
is the closure of the node kind alone, and so is what is written here. Each kind's writer (``_Writer._<kind>``)
mirrors the closure its docstring names, statement by statement in the same order, so that values, the
interpreter's list classes and flags, and errors (raised by the same calls, with the same positions) are those of
the closures:

* ``literal`` (string, number, ``true``/``false``/``null``): its closure's value (the null marker for null, a
  string's surrogate pairs joined), read once;
* ``variable`` ``$name`` (``FastJsonata._unwrapped``): the look-up of ``_lookup`` or ``_lookup_unbound`` as its
  node chose (the latter with what was found past the root before: ``_EnvironmentFrame``), then a sequence
  unwrapped;
* ``array`` ``[...]`` (``FastJsonata._unary``): an ``_Array``, each defined item appended, an array item's items
  appended unless the item is written ``[...]``; ``cons`` set for an array constructor that is a path's first step;
* ``object`` ``{...}`` with distinct string-literal keys (``FastJsonata._group``'s first branch): each defined
  value under its key, in order. That branch is taken for a context that is not a list; the region's context is
  the same for all its nodes (no node written out changes it), so a region holding an object constructor runs
  the region root's closure instead when its context is a list;
* ``condition`` ``a ? b : c``, ``block`` ``( ...; ... )`` (a new ``FastFrame``), ``bind`` ``$x := ...``;
* ``binary`` ``&``, ``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``+``, ``-``, ``*``, ``/``, ``%``
  (``FastJsonata._binary``): both sides evaluated, then the closure's fast case, else the interpreter's method;
  ``in``; ``and``, ``or``: the right side only when the left does not decide, in the closure's ``try``;
* ``context`` ``$`` (``FastJsonata._variable``);
* ``fields`` ``$name.field.field`` or ``field.field`` (``_fields_read_directly``): read while it meets objects,
  else the path's closure; a filter on the last field (``$name.field[...]``) run on what was read, then
  ``_filtered``'s end;
* ``filtered`` ``$name[...]`` (``FastJsonata._node`` of a variable with one filter): the value bound, filtered,
  unwrapped;
* ``mapped`` ``$name.step`` or ``$name.field[...].step`` (``FastJsonata._path`` of a prefix read as ``fields`` or
  a variable, then a last step on each item): the prefix's items, the step written out in a loop over them with
  the item as its context (``_Writer.write_on``; a field name read as ``name_step`` does), flattened and unwrapped
  (see ``_Writer._mapped``);
* ``call`` ``$name(...)`` (``FastJsonata._call``): see ``_Writer._call``. A call of ``$string``, ``$length``,
  ``$exists``, ``$not``, ``$lookup``, ``$replace``, ``$pad``, ``$keys``, ``$count`` or ``$floor`` is first written
  out as Python for the argument types that its function takes as they are and computes without an error
  (``_INLINE``: a string as it is, an object's field, ``str.replace``...), when the name holds that very function;
  anything else is the call site's.

A filter (``_Writer._filter``: ``FastJsonata._filter``'s ``by_index`` or ``by_predicate``) runs in a loop over the
items of a plain list or of a sequence or array without flags of its own, or on a value that is no list, its
predicate written out with the item as the context (``_Writer.write_on``; ``_Writer.context`` is the local that
``$``, field paths and calls read); anything else (undefined, a list with flags) takes the node's closure, which reads
the value again (a read has no effect). A predicate or a step holding an object constructor (written out for a
context that is not a list) is called as its node for an item that is a list.

A lambda's invocation (``FastJsonata._invoker``'s ``invoke``: its frame, its parameters bound, its body) is
written out the same way, its body too (``compile_invoker``), a tail call of ``$name(...)`` included.

``jsonata_fast`` compiles a region, or an invocation, once it has run ``WARM_CALLS`` times as closures
(``_warming``); the generated source is kept on the function (``_cg_source``). The names the generated code uses
(``FastFrame``, ``_Array``, ``NONE``...) are given by ``jsonata_fast`` in a namespace (``NAMES``), so that this
module imports nothing of it. tests/runtime/test_jsonata_fast.py compares each kind, its edge values and errors,
with jsonata-python's interpreter.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from jsonata.jsonata import Jsonata

from .jsonata_functions import EXACT_INT, OVERRIDES
from .jsonata_shapes import bare_path, context_field_steps, variable_field_steps

Node = Callable[[Any, Any], Any]

# What the generated code reads from the namespace jsonata_fast gives (checked when a function is compiled).
NAMES = ("FastFrame", "_Array", "NONE", "NULL", "_JLISTS", "_NUMBERS", "_ORDERED", "_unwrap", "_boolize",
         "_string", "_is_deep_equal", "_isfinite", "_compare", "_numeric", "JException", "_INERT", "_EXACT",
         "_Procedure", "_Mode", "_trampoline", "_DATA", "JList", "_NATIVE", "_count_tail_call", "_reshaped",
         "_convert_number", "_is_numeric", "_NOT_LISTS", "_Sequence", "_times_kept", "_settled",
         "_flatten", "_new_object", "_RootFrame")

_COMPOSITE = frozenset({"array", "object", "condition", "block", "bind", "binary", "call"})
_BINARY = frozenset({"&", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "and", "or", "in"})
_ARITHMETIC = {"+": "+", "-": "-", "*": "*", "/": "/"}


class _Inline:
    """A native function's call written out as Python for arguments of some types (``_Writer._inlined``).

    ``native`` is the function object the procedure must be (by identity: a name bound to anything else takes the
    call site), ``cases`` its tests on the arguments (``{0}``, ``{1}``...) and the value each gives (``{t}`` the
    local it goes to); for those types the signature takes the arguments as they are and the function's fast
    version (``jsonata_fast._FAST_NATIVES``, else its method) computes that value, without an error. ``plain``:
    every value is a string, a boolean or an int below 2**53, which a native call's ending leaves as it is.
    ``names``: the globals the cases read besides the namespace's (``NAMES``).
    """

    __slots__ = ("native", "cases", "plain", "names")

    def __init__(self, native: Any, cases: tuple[tuple[str, str], ...], plain: bool = True,
                 names: dict[str, Any] | None = None) -> None:
        self.native, self.cases, self.plain, self.names = native, cases, plain, names or {}


_NATIVES = Jsonata.static_frame.lookup
# name -> arity -> the call written out (each mirrors the function it names; test_jsonata_fast compares them with
# the interpreter)
_INLINE: dict[str, dict[int, _Inline]] = {
    # Functions206.string: a string as it is, an int below EXACT_INT its digits, an object or a plain list its
    # JSON text (the function itself, without the call site's steps)
    "string": {1: _Inline(OVERRIDES["string"], (
        ("{0}.__class__ is str", "{0}"),
        (f"{{0}}.__class__ is int and -{EXACT_INT} < {{0}} < {EXACT_INT}", "str({0})"),
        ("{0}.__class__ is dict or {0}.__class__ is list", "_string({0}, None)")), plain=False)},
    # _lookup_field: an object's field, the null marker for a null, undefined when missing
    "lookup": {2: _Inline(_NATIVES("lookup"), (
        ("{0}.__class__ is dict and {1}.__class__ is str",
         "NULL if ({t} := {0}.get({1}, NONE)) is None else None if {t} is NONE else {t}"),), plain=False)},
    # _replace: every occurrence of a plain string by a replacement without "$"
    "replace": {3: _Inline(_NATIVES("replace"), (
        ("{0}.__class__ is str and {1}.__class__ is str and {1} and {2}.__class__ is str and '$' not in {2}",
         "{0}.replace({1}, {2})"),))},
    # _pad: one character, an int width
    "pad": {3: _Inline(_NATIVES("pad"), (
        ("{0}.__class__ is str and {1}.__class__ is int and {2}.__class__ is str and len({2}) == 1",
         "{0}.rjust(-{1}, {2}) if {1} < 0 else {0}.ljust({1}, {2})"),))},
    # Functions.length of a string
    "length": {1: _Inline(_NATIVES("length"), (("{0}.__class__ is str", "len({0})"),))},
    # Functions.exists: undefined is not, a string or an object is
    "exists": {1: _Inline(_NATIVES("exists"), (("{0} is None", "False"),
                                               ("{0}.__class__ is str or {0}.__class__ is dict", "True")))},
    # _not of a boolean
    "not": {1: _Inline(_NATIVES("not"), (("{0}.__class__ is bool", "not {0}"),))},
    # _keys of an object: its keys as a sequence
    "keys": {1: _Inline(_NATIVES("keys"), (("{0}.__class__ is dict", "_Sequence({0})"),))},
    # Functions.count of an array or sequence
    "count": {1: _Inline(_NATIVES("count"), (("{0}.__class__ is list or {0}.__class__ in _JLISTS", "len({0})"),))},
    # Functions.floor, math.floor(float(n)): a finite float's floor, an int below 2**53 itself
    "floor": {1: _Inline(_NATIVES("floor"), (
        ("{0}.__class__ is float and _isfinite({0})", "_floor({0})"),
        ("{0}.__class__ is int and -_EXACT < {0} < _EXACT", "{0}")), plain=False, names={"_floor": math.floor})},
}


def _inline_of(expr: Any, count: int) -> _Inline | None:
    """The call ``$name(...)`` of ``count`` arguments written out for some types, if its name has one."""
    procedure = expr.procedure
    if getattr(procedure, "type", None) != "variable":
        return None
    return _INLINE.get(str(procedure.value), {}).get(count)


def _plain(expr: Any) -> bool:
    """No filter, group or ``[]``: the node's value is its kind's closure's value."""
    return (not getattr(expr, "predicate", None) and getattr(expr, "group", None) is None
            and not getattr(expr, "keep_array", False) and not getattr(expr, "stages", None))


def _object_keys(expr: Any) -> list[str] | None:
    """The keys of an object constructor when they are distinct plain string literals (``_literal_string``)
    without a surrogate code point (``_literal_string`` joins a pair of them: such keys are left to the
    closure)."""
    keys = []
    for key, _ in expr.lhs_object:
        if (getattr(key, "type", None) != "string" or not isinstance(key.value, str)
                or getattr(key, "predicate", None) or getattr(key, "group", None) is not None
                or any("\ud800" <= c <= "\udfff" for c in key.value)):
            return None
        keys.append(key.value)
    return keys if len(set(keys)) == len(keys) else None


def kind(expr: Any) -> str | None:
    """The kind under which a node is written out, None for one that is called as its closure."""
    node_type = getattr(expr, "type", None)
    if node_type == "variable" and expr.value != "" and _one_filter(expr):
        return "filtered"
    if node_type is None or not _plain(expr):
        return None
    if node_type in ("string", "number", "value"):
        return "literal"
    if node_type == "variable":
        return "variable" if expr.value != "" else "context"
    if node_type == "unary":
        if expr.value == "[":
            return "array"
        if expr.value == "{" and _object_keys(expr) is not None:
            return "object"
        return None
    if node_type == "condition":
        return "condition"
    if node_type == "block":
        return "block"
    if node_type == "bind":
        return "bind" if getattr(expr.lhs, "type", None) == "variable" else None
    if node_type == "binary":
        return "binary" if str(expr.value) in _BINARY else None
    if node_type == "function":
        procedure = expr.procedure
        return "call" if procedure is not None and getattr(procedure, "type", None) != "path" else None
    if node_type == "path":
        return "fields" if _field_path(expr) else "mapped" if _mapped_path(expr) else None
    return None


def _one_filter(expr: Any) -> bool:
    """A node with one filter and nothing else (no group, ``[]`` or stage): ``$name[...]``."""
    predicate = getattr(expr, "predicate", None)
    return (predicate is not None and len(predicate) == 1 and getattr(expr, "group", None) is None
            and not getattr(expr, "keep_array", False) and not getattr(expr, "stages", None))


def _field_path(expr: Any) -> bool:
    """A path ``$name.field.field...`` of a named variable and field names, or ``field.field...`` of field names
    alone, with nothing on the path or its steps but one filter on the last field (``FastJsonata`` reads it with
    ``_fields_read_directly``: ``jsonata_shapes.variable_fields``, ``context_fields``)."""
    return bare_path(expr) and _field_steps(expr.steps)


def _mapped_path(expr: Any) -> bool:
    """A path ``prefix.step``: the prefix a named variable alone or the steps of a ``_field_path``, the last step
    anything that ``FastJsonata._step`` evaluates on each item by its node (``_step``) or as a field name
    (``name_step``), alone (no stage, group or ``[]``)."""
    steps = expr.steps
    if not bare_path(expr) or len(steps) < 2:
        return False
    last = steps[-1]
    if (not _plain(last) or last.tuple is not None or last.focus is not None or last.consarray
            or last.type not in _MAPPED_STEPS or (last.type == "variable" and last.value != "")):
        return False
    prefix = steps[:-1]
    if len(prefix) == 1 and prefix[0].type == "variable":
        first = prefix[0]
        return (first.value != "" and _plain(first) and first.tuple is None and first.focus is None
                and not first.consarray)
    return _field_steps(prefix)


# The kinds of node a mapped path's last step may be (a named variable there is ``_step``'s ``variable_step``).
_MAPPED_STEPS = frozenset({"name", "function", "block", "condition", "binary", "unary", "variable"})


def _field_steps(steps: list[Any]) -> bool:
    """``_field_path``'s steps: those ``FastJsonata`` reads field by field, with at most one filter on the last."""
    return ((variable_field_steps(steps) or context_field_steps(steps))
            and len(steps[-1].stages or ()) <= 1)


def _has_object(expr: Any) -> bool:
    """Whether a node written out holds an object constructor written out with it (with the same context)."""
    node_kind = kind(expr)
    if node_kind == "object":
        return True
    return node_kind in _COMPOSITE and any(_has_object(child) for child in _children(expr, node_kind))


def _children(expr: Any, node_kind: str) -> list[Any]:
    """The children a node of a composite kind writes out or calls."""
    if node_kind in ("array", "block"):
        return list(expr.expressions)
    if node_kind == "object":
        return [value for _, value in expr.lhs_object]
    if node_kind == "condition":
        return [expr.condition, expr.then] + ([expr._else] if expr._else is not None else [])
    if node_kind == "bind":
        return [expr.rhs]
    if node_kind == "binary":
        return [expr.lhs, expr.rhs]
    if node_kind == "call":
        return [expr.procedure, *(expr.arguments or ())]
    return []


def mark_inner(nodes: list[Any]) -> None:
    """Marks (``_cg_inner``) each node that the region of a composite parent writes out: no function of its own is
    compiled for it (its closure stays, for the parent's closure). The call a tail call's thunk holds is never
    evaluated as a node (the trampoline, or ``_tail_call``, evaluates its parts): its parts are not marked."""
    thunks = {id(expr.body) for expr in nodes if getattr(expr, "type", None) == "lambda" and expr.thunk}
    for expr in nodes:
        node_kind = kind(expr)
        if node_kind in _COMPOSITE and id(expr) not in thunks:
            for child in _children(expr, node_kind):
                if kind(child) is not None:
                    child._cg_inner = True


def is_region(expr: Any) -> bool:
    """Whether a node is the root of a region: of a composite kind, not written out by a parent's region, in the
    tree of an expression as compiled (``_fast_bound`` set: a tree that ``$eval`` parses on each call is left to
    the closures, not compiled again each time)."""
    return (kind(expr) in _COMPOSITE and not expr.__dict__.get("_cg_inner")
            and expr.__dict__.get("_fast_bound") is not None)


def compile_region(expr: Any, closure: Node, node_of: Callable[[Any], Node], unbound: Callable[[Any], bool],
                   call_of: Callable[[Any], Callable[..., Any]], namespace: dict[str, Any]) -> Node | None:
    """The generated function of the region rooted at ``expr`` (``closure`` is its closure), or None when it
    would write out nothing but the root. ``node_of(child)`` is a child's closure; ``unbound(variable)`` whether
    the variable node looks its name up with ``_lookup_unbound``; ``call_of(call)`` the call's closure
    (``FastJsonata._call``), with the parts its generated call site uses (``_Writer._call``)."""
    writer = _Writer(node_of, unbound, call_of)
    value = writer.write(expr, "env", 1)
    if writer.inlined < 2:
        return None
    lines = ["def region(input, env):"]
    if writer.objects:
        # (an object constructor is written out for a context that is not a list: _group's first branch)
        lines += ["    if input.__class__ not in _NOT_LISTS and isinstance(input, list):",
                  "        return _closure(input, env)"]
    lines += writer.lines
    lines.append(f"    return {value}")
    return _define("region", lines, writer, closure, namespace, f"region at {getattr(expr, 'position', '?')}")


def compile_invoker(names: list[str], plain: bool, tail_calls: bool, body: Any, closure: Node,
                    node_of: Callable[[Any], Node], unbound: Callable[[Any], bool],
                    call_of: Callable[[Any], Callable[..., Any]],
                    namespace: dict[str, Any]) -> Callable[..., Any] | None:
    """``FastJsonata._invoker``'s ``invoke(environment, input, args, tail_input)`` for a lambda whose body is of a
    kind written out, the body written out in it (``closure`` is the body's node); None for another body.

    As ``invoke``: a new frame, each parameter bound to its argument in order (those past the last argument
    unbound; a plain value put in the frame's table, anything else through ``bind``, every value through ``bind``
    when a parameter is named as a debug callback: ``plain`` False), and with ``tail_calls`` the body evaluated
    with ``_Mode.tail_input`` set to ``tail_input``, restored after.

    A body that is a tail call of ``$name(...)`` (``FastJsonata._tail_call``, its ``tail_parts``) is written out
    as that closure: with a trampoline's input known and ``$name`` a native function, the tail call counted and
    the function applied to the arguments (the function it remembers called at once for argument types it took
    as they are, else its ``_apply_native``); else the thunk (the lambda's closure)."""
    parts = getattr(node_of(body), "tail_parts", None)
    if kind(body) is None and parts is None:
        return None
    writer = _Writer(node_of, unbound, call_of)
    depth = 2 if tail_calls else 1
    value = writer.write(body, "env", depth) if parts is None else writer.tail_call(*parts, depth)
    lines = ["def invoke(environment, input, args, tail_input):",
             *("    " + line for line in _new_frame("env", "environment", "kind")),
             "    table = env.bindings", "    count = len(args)"]
    for index, name in enumerate(names):
        lines += [f"    if count > {index}:", f"        value = args[{index}]"]
        if plain:
            lines += ["        if value.__class__ in _DATA:", f"            table[{name!r}] = value",
                      "        else:", f"            env.bind({name!r}, value)"]
        else:
            lines.append(f"        env.bind({name!r}, value)")
    indent = "    " * depth
    if tail_calls:
        lines += ["    saved = _Mode.tail_input", "    _Mode.tail_input = tail_input", "    try:"]
    if writer.objects:
        lines += [f"{indent}if input.__class__ not in _NOT_LISTS and isinstance(input, list):",
                  f"{indent}    return _closure(input, env)"]
    lines += writer.lines
    lines.append(f"{indent}return {value}")
    if tail_calls:
        lines += ["    finally:", "        _Mode.tail_input = saved"]
    return _define("invoke", lines, writer, closure, namespace, f"lambda body at {getattr(body, 'position', '?')}")


def _new_frame(frame: str, parent: str, kind: str) -> list[str]:
    """``frame = FastFrame(parent)``, its ``__init__`` written out (``kind`` a local it uses): the same fields."""
    return [f"{frame} = _new_object(FastFrame)", f"{frame}.bindings = {{}}", f"{frame}.parent = {parent}",
            f"{kind} = {parent}.__class__",
            f"{frame}.root = {parent}.root if {kind} is FastFrame else {parent} if {kind} is _RootFrame else None"]


def _define(name: str, lines: list[str], writer: _Writer, closure: Node, namespace: dict[str, Any],
            where: str) -> Callable[..., Any] | None:
    """The function ``name`` that ``lines`` define, compiled with the namespace's names and the writer's globals;
    None when Python cannot compile it (a tree nested past Python's limits of indentation or of nested ``try``
    blocks): the closures then run it."""
    globals_ = {key: namespace[key] for key in NAMES}
    globals_.update(writer.names)
    globals_["_closure"] = closure
    source = "\n".join(lines) + "\n"
    try:
        code = compile(source, f"<jsonata {where}>", "exec")
    except (SyntaxError, RecursionError, MemoryError):  # (IndentationError is a SyntaxError)
        return None
    exec(code, globals_)  # noqa: S102  (source written from the node kinds, no text of the expression)
    function = globals_[name]
    function._cg_source = source
    return function


class _Writer:
    """Writes a region's statements (``lines``) and the globals they read (``names``)."""

    def __init__(self, node_of: Callable[[Any], Node], unbound: Callable[[Any], bool],
                 call_of: Callable[[Any], Callable[..., Any]]) -> None:
        self.node_of = node_of
        self.unbound = unbound
        self.call_of = call_of
        self.lines: list[str] = []
        self.names: dict[str, Any] = {}
        self.count = 0
        self.inlined = 0
        self.objects = False
        # the local holding the context the node being written reads (``input``, or the item a filter tests)
        self.context = "input"

    def tail_call(self, call: Any, lambda_node: Node, shared: list[Any], remembering: Callable[..., Any],
                  depth: int) -> str:
        """``FastJsonata._tail_call``'s ``tail_call`` (see ``compile_invoker``): ``shared`` its remembered native
        function, ``remembering`` its ``_apply_native``."""
        context, t, site, r = self.temp(), self.temp(), self.temp(), self.temp()
        self.emit(depth, f"{context} = _Mode.tail_input")
        self.emit(depth, f"if {context} is not NONE:")
        proc = self.write(call.procedure, "env", depth + 1)
        self.emit(depth + 1, f"if {proc}.__class__ is _NATIVE:")
        self.emit(depth + 2, "_count_tail_call()")
        args = [self.write(argument, "env", depth + 2) for argument in call.arguments or ()]
        types = f"({''.join(f'type({a}), ' for a in args)})"
        self.emit(depth + 2, f"{site} = {self.value(shared)}")
        inline = _inline_of(call, len(args))
        if inline is not None:
            for test, value in self._inlined(inline, proc, args, r):
                self.emit(depth + 2, test)
                self.emit(depth + 3, value)
                if not inline.plain:
                    self.emit(depth + 3, f"if {r}.__class__ in _INERT:")
                    self.emit(depth + 4, f"return {r}")
                    self.emit(depth + 3, f"return _convert_number({r}) if _is_numeric({r}) else {r}")
                else:
                    self.emit(depth + 3, f"return {r}")
        self.emit(depth + 2, f"{'if' if inline is None else 'elif'} {proc} is {site}[0] and ({site}[1] is None or "
                             f"{types} in {site}[1]):")
        self.emit(depth + 3, f"{r} = {site}[2]({''.join(a + ', ' for a in args)}*{site}[3])")
        self.emit(depth + 3, f"if {r}.__class__ in _INERT:")
        self.emit(depth + 4, f"return {r}")
        self.emit(depth + 3, f"return _convert_number({r}) if _is_numeric({r}) else {r}")
        self.emit(depth + 2, f"return {self.value(remembering)}({proc}, [{', '.join(args)}], {context})")
        self.emit(depth, f"{t} = {self.value(lambda_node)}({self.context}, env)")
        self.inlined += 1
        return t

    def _inlined(self, inline: _Inline, proc: str, args: list[str], t: str) -> list[tuple[str, str]]:
        """The branches (``if``/``elif`` line, statement) of a call written out (``_INLINE``): the procedure is
        the native function and the arguments pass a case's test, the value goes to ``t``."""
        native = self.value(inline.native)
        self.names.update(inline.names)
        return [(f"{'if' if i == 0 else 'elif'} {proc} is {native} and ({test.format(*args, t=t)}):",
                 f"{t} = {value.format(*args, t=t)}") for i, (test, value) in enumerate(inline.cases)]

    def write_on(self, expr: Any, item: str, env: str, depth: int) -> str:
        """``write`` with the local ``item`` as the context (a filter's predicate, a mapped path's last step). A
        node holding an object constructor (written out for a context that is not a list: ``_object``) is called
        as its node when the item is a list."""
        saved, self.context = self.context, item
        try:
            if not _has_object(expr):
                return self.write(expr, env, depth)
            t = self.temp()
            self.emit(depth, f"if {item}.__class__ not in _NOT_LISTS and isinstance({item}, list):")
            self.emit(depth + 1, f"{t} = {self.value(self.node_of(expr))}({item}, {env})")
            self.emit(depth, "else:")
            objects = self.objects  # (the region's own input need not be tested for these)
            self.emit(depth + 1, f"{t} = {self.write(expr, env, depth + 1)}")
            self.objects = objects
            return t
        finally:
            self.context = saved

    def value(self, obj: Any) -> str:
        """A global of the generated function holding ``obj``."""
        name = f"g{len(self.names)}"
        self.names[name] = obj
        return name

    def temp(self) -> str:
        self.count += 1
        return f"v{self.count}"

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)

    def _located(self, depth: int, locate: str, *lines: str) -> None:
        """``lines`` in a ``try`` whose JSONata error gets the call's position (``locate``) before it goes on; a line
        ending with ``:`` opens a block of the one line after it."""
        self.emit(depth, "try:")
        inner = depth + 1
        for line in lines:
            self.emit(inner, line)
            inner = depth + 2 if line.endswith(":") else depth + 1
        self.emit(depth, "except JException as error:")
        self.emit(depth + 1, f"{locate}(error)")
        self.emit(depth + 1, "raise")

    def write(self, expr: Any, env: str, depth: int) -> str:
        """Emits the statements computing ``expr``'s value in environment ``env``; returns a local or global name
        holding it (a global only for a literal: never assigned)."""
        node_kind = kind(expr)
        if node_kind is None:
            t = self.temp()
            self.emit(depth, f"{t} = {self.value(self.node_of(expr))}({self.context}, {env})")
            return t
        self.inlined += 1
        return getattr(self, "_" + node_kind)(expr, env, depth)

    @staticmethod
    def defined(expr: Any) -> bool:
        """Whether a node written out never gives undefined (None) nor a list other than an array constructor's."""
        return kind(expr) in ("literal", "object")

    # -- leaves --------------------------------------------------------------------------------------------------
    def _literal(self, expr: Any, env: str, depth: int) -> str:
        """``FastJsonata._literal``."""
        return self.value(self.node_of(expr)(None, None))  # (FastJsonata._literal: the value alone)

    def _variable(self, expr: Any, env: str, depth: int) -> str:
        """``FastJsonata._unwrapped`` of a variable."""
        t = self.look_up(expr, env, depth)
        self.emit(depth, f"if {t}.__class__ in _JLISTS:")
        self.emit(depth + 1, f"{t} = _unwrap({t}, False)")
        return t

    def look_up(self, expr: Any, env: str, depth: int) -> str:
        """The value bound to the variable node ``expr``'s name, as it is (not unwrapped)."""
        key = repr(str(expr.value))
        t, f, b = self.temp(), self.temp(), self.temp()
        if self.unbound(expr):  # _lookup_unbound: the root, what was found past it, else the frames past it
            c = self.temp()
            self.emit(depth, f"{f} = {env}.root or {env}")
            self.emit(depth, f"{b} = {f}.bindings")
            self.emit(depth, f"if {key} in {b}:")
            self.emit(depth + 1, f"{t} = {b}[{key}]")
            self.emit(depth, f"elif ({c} := {f}.found) is None or ({t} := {c}.get({key}, NONE)) is NONE:")
            self.emit(depth + 1, f"while {key} not in {b}:")
            self.emit(depth + 2, f"{f} = {f}.parent")
            self.emit(depth + 2, f"if {f} is None:")
            self.emit(depth + 3, f"{t} = None")
            self.emit(depth + 3, "break")
            self.emit(depth + 2, f"{b} = {f}.bindings")
            self.emit(depth + 1, "else:")
            self.emit(depth + 2, f"{t} = {b}[{key}]")
            self.emit(depth + 1, f"if {c} is not None:")
            self.emit(depth + 2, f"{c}[{key}] = {t}")
        else:  # _lookup
            self.emit(depth, f"{f} = {env}")
            self.emit(depth, f"while {f} is not None:")
            self.emit(depth + 1, f"{t} = {f}.bindings.get({key}, NONE)")
            self.emit(depth + 1, f"if {t} is not NONE:")
            self.emit(depth + 2, "break")
            self.emit(depth + 1, f"{f} = {f}.parent")
            self.emit(depth, "else:")
            self.emit(depth + 1, f"{t} = None")
        return t

    def _context(self, expr: Any, env: str, depth: int) -> str:
        """``$`` (``FastJsonata._variable``): the context, the one item of an input array wrapped as a sequence;
        then unwrapped as by ``_eval``."""
        t, c = self.temp(), self.context
        self.emit(depth, f"{t} = {c}[0] if {c}.__class__ not in _NOT_LISTS and isinstance({c}, JList) "
                         f"and {c}.outer_wrapper else {c}")
        self.emit(depth, f"if {t}.__class__ in _JLISTS:")
        self.emit(depth + 1, f"{t} = _unwrap({t}, False)")
        return t

    def _fields(self, expr: Any, env: str, depth: int) -> str:
        """``_fields_read_directly``: while the variable (or the context) and each field but the last hold an
        object, the last field's value (undefined when missing, the null marker for a null, not one of the
        interpreter's lists); a field on the way missing, undefined; from no context, undefined; anything else,
        the path's closure."""
        t = self._read(expr.steps, env, depth)
        self.emit(depth, f"if {t} is NONE:")
        self.emit(depth + 1, f"{t} = {self.value(self.node_of(expr))}({self.context}, {env})")
        if expr.steps[-1].stages:  # read directly, not undefined: the last step's filter, then _filtered's end
            def end(inner: int) -> None:
                self.emit(inner, f"if {t}.__class__ is _Sequence and not {t}.__dict__:")
                self.emit(inner + 1, f"{t} = None if not {t} else {t}[0] if len({t}) == 1 else _Sequence({t})")
                self.emit(inner, "else:")
                self.emit(inner + 1, f"{t} = _settled({t})")

            self.emit(depth, f"elif {t} is not None:")
            self._filter(t, expr.steps[-1].stages[0].expr, expr, env, depth + 1, end)
        return t

    def _read(self, steps: list[Any], env: str, depth: int) -> str:
        """``_fields``' reading of the ``_field_steps`` ``steps``: the last field's value (not filtered), None for
        undefined, NONE where the path's closure is to take the steps."""
        variable = steps[0].type == "variable"
        keys = [repr(str(step.value)) for step in (steps[1:] if variable else steps)]
        t = self.temp()
        if variable:
            current = self.look_up(steps[0], env, depth)
            self.emit(depth, f"{t} = NONE")  # (NONE: not read here)
        else:
            current = self.temp()
            self.emit(depth, f"{current} = {self.context}")
            self.emit(depth, f"{t} = None if {self.context} is None else NONE")
        inner = depth
        for key in keys[:-1]:
            self.emit(inner, f"if {current}.__class__ is dict:")
            self.emit(inner + 1, f"{current} = {current}.get({key}, NONE)")
            inner += 1
        self.emit(inner, f"if {current}.__class__ is dict:")
        self.emit(inner + 1, f"{t} = {current}.get({keys[-1]}, NONE)")
        self.emit(inner + 1, f"if {t} is NONE:")
        self.emit(inner + 2, f"{t} = None")
        self.emit(inner + 1, f"elif {t} is None:")
        self.emit(inner + 2, f"{t} = NULL")
        self.emit(inner + 1, f"elif {t}.__class__ not in _NOT_LISTS and isinstance({t}, list) "
                             f"and {t}.__class__ is not list:")
        self.emit(inner + 2, f"{t} = NONE")
        if len(keys) > 1:
            self.emit(inner, f"elif {current} is NONE:")
            self.emit(inner + 1, f"{t} = None")
        return t

    def _mapped(self, expr: Any, env: str, depth: int) -> str:
        """``FastJsonata._path`` of a ``_mapped_path`` ``prefix.step``: the items the prefix's steps give, read
        directly, then the last step on each (``_step``), flattened (``_flatten``), unwrapped (the path's node).

        The prefix's items: a variable's value, a plain list or an array without flags of its own (its items:
        ``_flatten`` of a step's one list), a sequence without flags of its own and not of one item
        (``variable_step`` unwraps a sequence of one), or a value that is no list (one item); undefined, none. A
        field path's last value read (``_read``): a plain list or one item; undefined, none; with a filter, that
        filter's results flattened. Anything else (an array on the way, a list with flags) takes the path's
        closure, which reads the prefix again (a read has no effect), before any step has run."""
        prefix = expr.steps[:-1]
        closure = self.value(self.node_of(expr))
        items = self.temp()

        def each(inner: int) -> None:
            self._each(expr, t, items, env, inner)

        if len(prefix) == 1 and prefix[0].type == "variable":
            t = self.look_up(prefix[0], env, depth)
            self._items_or_closure(
                t, items, closure, env, depth, each,
                (f"{t}.__class__ is list or ({t}.__class__ is _Array and not {t}.__dict__) or "
                 f"({t}.__class__ is _Sequence and not {t}.__dict__ and len({t}) != 1)", t),
                (f"{t}.__class__ in _NOT_LISTS", f"() if {t} is None else ({t},)"))
            return t
        t = self._read(prefix, env, depth)
        self.emit(depth, f"if {t} is NONE:")
        self.emit(depth + 1, f"{t} = {closure}({self.context}, {env})")
        self.emit(depth, f"elif {t} is None:")
        self.emit(depth + 1, f"{t} = None")  # (the prefix gave nothing: the path's value is undefined)
        self.emit(depth, "else:")
        if prefix[-1].stages:
            def end(inner: int) -> None:
                self.emit(inner, f"{items} = _flatten([{t}], False)")
                each(inner)

            self._filter(t, prefix[-1].stages[0].expr, expr, env, depth + 1, end)
        else:
            self.emit(depth + 1, f"{items} = {t} if {t}.__class__ is list else ({t},)")
            each(depth + 1)
        return t

    def _each(self, expr: Any, t: str, items: str, env: str, depth: int) -> None:
        """The end of a mapped path: its last step on each of ``items`` into ``t`` (``_step``: a result not
        undefined kept; a field name as ``name_step`` reads it; any other step by ``write_on``), flattened as the
        last step's, unwrapped."""
        last = expr.steps[-1]
        results, item = self.temp(), self.temp()
        self.emit(depth, f"{results} = []")
        self.emit(depth, f"for {item} in {items}:")
        inner = depth + 1
        if last.type == "name":  # name_step
            value = self.temp()
            self.emit(inner, f"if {item}.__class__ is dict:")
            self.emit(inner + 1, f"{value} = {item}.get({str(last.value)!r}, NONE)")
            self.emit(inner + 1, f"if {value} is NONE:")
            self.emit(inner + 2, "continue")
            self.emit(inner + 1, f"if {value} is None:")
            self.emit(inner + 2, f"{value} = NULL")
            self.emit(inner + 1, f"elif isinstance({value}, JList) and {value}.sequence and not {value}.tuple_stream:")
            self.emit(inner + 2, f"if not {value}:")
            self.emit(inner + 3, "continue")
            self.emit(inner + 2, f"if len({value}) == 1 and not {value}.keep_singleton:")
            self.emit(inner + 3, f"{value} = {value}[0]")
            self.emit(inner + 3, f"if {value} is None:")
            self.emit(inner + 4, "continue")
            self.emit(inner, "else:")
            self.emit(inner + 1, f"{value} = {self.value(self.node_of(last))}({item}, {env})")
            self.emit(inner + 1, f"if {value} is None:")
            self.emit(inner + 2, "continue")
        else:
            value = self.write_on(last, item, env, inner)
        self.emit(inner, f"if {value} is not None:")
        self.emit(inner + 1, f"{results}.append({value})")
        self.emit(depth, f"{t} = _flatten({results}, True)")
        self.emit(depth, f"if {t}.__class__ in _JLISTS:")
        self.emit(depth + 1, f"{t} = _unwrap({t}, False)")

    def _filtered(self, expr: Any, env: str, depth: int) -> str:
        """``$name[...]`` (``FastJsonata._node`` of a variable with a filter): the value bound to the name, as it
        is, filtered, then unwrapped."""
        t = self.look_up(expr, env, depth)

        def end(inner: int) -> None:
            self.emit(inner, f"if isinstance({t}, JList):")
            self.emit(inner + 1, f"{t} = _unwrap({t}, False)")

        self._filter(t, expr.predicate[0].expr, expr, env, depth, end)
        return t

    def _filter(self, t: str, predicate: Any, node: Any, env: str, depth: int, end: Callable[[int], None]) -> None:
        """``FastJsonata._filter``'s ``by_index`` or ``by_predicate`` of ``t`` into ``t``, then ``end`` (the rest
        of the node's value), for a plain list, a sequence or array without flags of its own or a value that is no
        list (one item); for anything else (undefined, a list with flags) the node's closure (``node``'s), which
        reads its value again: reading has no effect. The predicate is written out with the item as its context
        (``write_on``)."""
        items = self.temp()
        self._items_or_closure(
            t, items, self.value(self.node_of(node)), env, depth,
            lambda inner: self._kept(t, items, predicate, env, inner, end),
            (f"{t}.__class__ is list or (({t}.__class__ is _Sequence or {t}.__class__ is _Array) "
             f"and not {t}.__dict__)", t),
            (f"{t} is not None and not isinstance({t}, list)", f"({t},)"))

    def _items_or_closure(self, t: str, items: str, closure: str, env: str, depth: int,
                          body: Callable[[int], None], *cases: tuple[str, str]) -> None:
        """``items`` set by the first of ``cases`` (a test, the items then) that holds, then ``body`` (at the depth
        it is given); where none holds, ``t`` is the node's ``closure``'s value instead."""
        for number, (test, value) in enumerate(cases):
            self.emit(depth, f"{'elif' if number else 'if'} {test}:")
            self.emit(depth + 1, f"{items} = {value}")
        self.emit(depth, "else:")
        self.emit(depth + 1, f"{items} = None")
        self.emit(depth, f"if {items} is None:")
        self.emit(depth + 1, f"{t} = {closure}({self.context}, {env})")
        self.emit(depth, "else:")
        body(depth + 1)

    def _kept(self, t: str, items: str, predicate: Any, env: str, inner: int, end: Callable[[int], None]) -> None:
        """The filter's results of ``items`` into ``t`` (``by_index`` or ``by_predicate``), then ``end``."""
        n, result = self.temp(), self.temp()
        self.emit(inner, f"{result} = _Sequence()")
        self.emit(inner, f"{n} = len({items})")
        if predicate.type == "number":  # by_index
            position = int(predicate.value)
            index, item = self.temp(), self.temp()
            self.emit(inner, f"{index} = {f'{n} + {position}' if position < 0 else position}")
            self.emit(inner, f"if 0 <= {index} < {n}:")
            self.emit(inner + 1, f"{item} = {items}[{index}]")
            self.emit(inner + 1, f"if {item} is None:")
            self.emit(inner + 2, f"{item} = NULL")
            self.emit(inner + 1, f"if isinstance({item}, list):")
            self.emit(inner + 2, f"{result} = {item}")
            self.emit(inner + 1, "else:")
            self.emit(inner + 2, f"{result}.append({item})")
        else:  # by_predicate
            index, item, times = self.temp(), self.temp(), self.temp()
            self.emit(inner, f"for {index}, {item} in enumerate({items}):")
            kept = self.write_on(predicate, item, env, inner + 1)
            self.emit(inner + 1, f"if {kept} is True:")
            self.emit(inner + 2, f"{result}.append({item})")
            self.emit(inner + 1, f"elif {kept} is not False and {kept} is not None:")
            self.emit(inner + 2, f"for {times} in range(_times_kept({kept}, {index}, {n})):")
            self.emit(inner + 3, f"{result}.append({item})")
        self.emit(inner, f"{t} = {result}")
        end(inner)

    def _call(self, expr: Any, env: str, depth: int) -> str:
        """``FastJsonata._call``'s ``call``: the procedure, then the arguments in order, then its ``site``, the
        result unwrapped. Three of ``site``'s branches are written out, each in the ``try`` that gives its errors
        the call's position (``locate``): the native function of the site's last call given arguments of the
        types it took then as they are (``shared``: the site's function, those types, its padding) or reshaped
        by its signature's plan (``shared[4]``: those types -> the plan, the function and the padding ``site``
        chose for what the plan makes), and a lambda without a signature invoked by what its body's expression
        decided (``_fast_invoke``), its token and position set first. Anything else (the first call, other
        types, no function) is ``site``'s."""
        call = self.call_of(expr)
        proc = self.write(expr.procedure, env, depth)
        args = [self.write(argument, env, depth) for argument in expr.arguments or ()]
        arg_list = f"[{', '.join(args)}]"
        types = f"({''.join(f'type({a}), ' for a in args)})"
        t, shared, invoke = self.temp(), self.temp(), self.temp()
        locate = self.value(call.locate)
        key, reshape = self.temp(), self.temp()
        native_result = (f"if {t}.__class__ not in _INERT and not ({t}.__class__ is int and -_EXACT < {t} < _EXACT):",
                         f"{t} = {self.value(call.finish)}({t}, {self.context}, {env})")
        self.emit(depth, f"{shared} = {self.value(call.shared)}")
        inline = _inline_of(expr, len(args))
        if inline is not None:
            for test, value in self._inlined(inline, proc, args, t):
                self.emit(depth, test)
                if inline.plain:
                    self.emit(depth + 1, value)
                else:
                    self._located(depth + 1, locate, value, *native_result)
        self.emit(depth, f"{'if' if inline is None else 'elif'} {proc} is {shared}[0] and ({shared}[1] is None or "
                         f"({key} := {types}) in {shared}[1]):")
        self._located(depth + 1, locate, f"{t} = {shared}[2]({''.join(a + ', ' for a in args)}*{shared}[3])",
                      *native_result)
        # (the key is set here: the first test failed on it, the site's function being this one)
        self.emit(depth, f"elif {proc} is {shared}[0] and ({reshape} := {shared}[4].get({key})) is not None:")
        self._located(depth + 1, locate, f"{t} = {reshape}[1](*_reshaped({arg_list}, {reshape}[0]), *{reshape}[2])",
                      *native_result)
        self.emit(depth, f"elif ({proc}.__class__ is _Procedure and {proc}.signature is None and not _Mode.interpreted"
                         f" and ({invoke} := {proc}.body.__dict__.get('_fast_invoke')) is not None):")
        self._located(depth + 1, locate, f"{proc}.token = {self.value(call.token)}",
                      f"{proc}.position = {expr.position!r}",
                      f"{t} = {invoke}({proc}.environment, {proc}.input, {arg_list}, {self.context})",
                      f"if {t}.__class__ not in _INERT:", f"{t} = _trampoline({t}, {self.context}, {env})")
        self.emit(depth, "else:")
        self.emit(depth + 1, f"{t} = {self.value(call.site)}({proc}, {arg_list}, {self.context}, {env})")
        self.emit(depth, f"if {t}.__class__ in _JLISTS:")
        self.emit(depth + 1, f"{t} = _unwrap({t}, False)")
        return t

    # -- constructors --------------------------------------------------------------------------------------------
    def _array(self, expr: Any, env: str, depth: int) -> str:
        """``FastJsonata._unary``'s ``array`` (items that are never undefined nor a list appended at once)."""
        items = list(expr.expressions)
        t = self.temp()
        if all(self.defined(item) for item in items):
            # every item defined and not a list: each appended as it is
            values = [self.write(item, env, depth) for item in items]
            self.emit(depth, f"{t} = _Array(({''.join(v + ', ' for v in values)}))")
        else:
            self.emit(depth, f"{t} = _Array()")
            for item in items:
                value = self.write(item, env, depth)
                nested = str(item.value) == "["
                self.emit(depth, f"if {value} is not None:")
                if nested:
                    self.emit(depth + 1, f"{t}.append({value})")
                else:
                    self.emit(depth + 1, f"if {value}.__class__ not in _NOT_LISTS and isinstance({value}, list):")
                    self.emit(depth + 2, f"{t}.extend({value})")
                    self.emit(depth + 1, "else:")
                    self.emit(depth + 2, f"{t}.append({value})")
        if expr.consarray:
            self.emit(depth, f"{t}.cons = True")
        return t

    def _object(self, expr: Any, env: str, depth: int) -> str:
        """``FastJsonata._group``'s first branch (for a context that is not a list: see ``compile_region``)."""
        self.objects = True
        keys = [repr(key) for key in _object_keys(expr)]
        values = [value for _, value in expr.lhs_object]
        t = self.temp()
        if all(self.defined(value) for value in values):
            written = [self.write(value, env, depth) for value in values]
            self.emit(depth, f"{t} = {{{', '.join(f'{k}: {v}' for k, v in zip(keys, written, strict=True))}}}")
            return t
        self.emit(depth, f"{t} = {{}}")
        for key, value in zip(keys, values, strict=True):
            written = self.write(value, env, depth)
            if self.defined(value):
                self.emit(depth, f"{t}[{key}] = {written}")
            else:
                self.emit(depth, f"if {written} is not None:")
                self.emit(depth + 1, f"{t}[{key}] = {written}")
        return t

    # -- control -------------------------------------------------------------------------------------------------
    def _condition(self, expr: Any, env: str, depth: int) -> str:
        """``FastJsonata._condition``."""
        condition = self.write(expr.condition, env, depth)
        t = self.temp()
        self.emit(depth, f"if ({condition} if {condition}.__class__ is bool else _boolize({condition})):")
        then = self.write(expr.then, env, depth + 1)
        self.emit(depth + 1, f"{t} = {then}")
        self.emit(depth, "else:")
        if expr._else is not None:
            otherwise = self.write(expr._else, env, depth + 1)
            self.emit(depth + 1, f"{t} = {otherwise}")
        else:
            self.emit(depth + 1, f"{t} = None")
        return t

    def _block(self, expr: Any, env: str, depth: int) -> str:
        """``FastJsonata._block``: its expressions in a new frame, the last one's value."""
        frame, kind = self.temp(), self.temp()
        for line in _new_frame(frame, env, kind):
            self.emit(depth, line)
        result = "None"
        for item in expr.expressions:
            result = self.write(item, frame, depth)
        t = self.temp()
        self.emit(depth, f"{t} = {result}")
        return t

    def _bind(self, expr: Any, env: str, depth: int) -> str:
        """``FastJsonata._bind``."""
        value = self.write(expr.rhs, env, depth)
        self.emit(depth, f"{env}.bind({str(expr.lhs.value)!r}, {value})")
        return value

    # -- operators -----------------------------------------------------------------------------------------------
    def _boolean(self, expr: Any, op: str, env: str, depth: int) -> str:
        """``and``, ``or``: the left side's effective boolean value, the right side evaluated only when it decides,
        any error but the interpreter's own (raised from the left side's value on) turned into "Unexpected"."""
        lhs = self.write(expr.lhs, env, depth)
        t = self.temp()
        self.emit(depth, "try:")
        self.emit(depth + 1, f"{t} = {lhs} if {lhs}.__class__ is bool else _boolize({lhs})")
        self.emit(depth + 1, f"if {'' if op == 'and' else 'not '}{t}:")
        rhs = self.write(expr.rhs, env, depth + 2)
        self.emit(depth + 2, f"{t} = {rhs} if {rhs}.__class__ is bool else _boolize({rhs})")
        self.emit(depth, "except Exception as error:")
        self.emit(depth + 1, "if not isinstance(error, JException):")
        self.emit(depth + 2, f"raise JException('Unexpected', {expr.position!r}) from error")
        self.emit(depth + 1, "raise")
        return t

    def _binary(self, expr: Any, env: str, depth: int) -> str:
        """``FastJsonata._binary``: ``concat``, ``equality``, ``includes``, ``comparison``, ``arithmetic``."""
        op = str(expr.value)
        if op in ("and", "or"):
            return self._boolean(expr, op, env, depth)
        lhs_value = self.write(expr.lhs, env, depth)
        rhs_value = self.write(expr.rhs, env, depth)
        lhs, rhs, t = self.temp(), self.temp(), self.temp()
        self.emit(depth, f"{lhs} = {lhs_value}")
        self.emit(depth, f"{rhs} = {rhs_value}")
        if op == "&":  # concat
            for side in (lhs, rhs):
                self.emit(depth, f"if {side}.__class__ is not str:")
                self.emit(depth + 1, f"{side} = '' if {side} is None else _string({side}, None)")
            self.emit(depth, f"{t} = {lhs} + {rhs}")
        elif op in ("=", "!="):  # equality
            negate = op == "!="
            self.emit(depth, f"if {lhs} is None or {rhs} is None:")
            self.emit(depth + 1, f"{t} = False")
            self.emit(depth, f"elif {lhs}.__class__ is str and {rhs}.__class__ is str:")
            self.emit(depth + 1, f"{t} = {lhs} {'!=' if negate else '=='} {rhs}")
            self.emit(depth, f"elif {lhs}.__class__ in _NUMBERS and {rhs}.__class__ in _NUMBERS:")
            self.emit(depth + 1, f"{t} = float({lhs}) {'!=' if negate else '=='} float({rhs})")
            self.emit(depth, "else:")
            for side in (lhs, rhs):
                self.emit(depth + 1, f"if not isinstance({side}, bool) and isinstance({side}, int | float):")
                self.emit(depth + 2, f"{side} = float({side})")
            self.emit(depth + 1, f"{t} = {'not ' if negate else ''}_is_deep_equal({lhs}, {rhs})")
        elif op == "in":  # includes: whether an item of the right side (an array, or the value alone) == the left
            self.emit(depth, f"if {lhs} is None or {rhs} is None:")
            self.emit(depth + 1, f"{t} = False")
            self.emit(depth, f"elif not isinstance({rhs}, list):")
            self.emit(depth + 1, f"{t} = {rhs} == {lhs}")
            self.emit(depth, f"elif {lhs}.__class__ is str:")
            self.emit(depth + 1, f"{t} = {lhs} in {rhs}")
            self.emit(depth, "else:")
            self.emit(depth + 1, f"{t} = any(item == {lhs} for item in {rhs})")
        elif op in ("<", "<=", ">", ">="):  # comparison
            self.emit(depth, f"if {lhs}.__class__ is {rhs}.__class__ and {lhs}.__class__ in _ORDERED:")
            self.emit(depth + 1, f"{t} = {lhs} {op} {rhs}")
            self.emit(depth, "else:")
            self.emit(depth + 1, f"{t} = _compare({lhs}, {rhs}, {op!r})")
        else:  # arithmetic
            operator = _ARITHMETIC.get(op)
            if operator is None:  # % takes the interpreter's way
                self.emit(depth, f"{t} = _numeric({lhs}, {rhs}, {op!r})")
                return t
            r = self.temp()
            self.emit(depth, f"if {lhs}.__class__ in _NUMBERS and {rhs}.__class__ in _NUMBERS:")
            self.emit(depth + 1, f"{r} = float({lhs}) {operator} float({rhs})")
            self.emit(depth + 1, f"if {r}.__class__ is float and _isfinite({r}) and _isfinite({lhs}) "
                                 f"and _isfinite({rhs}):")
            self.emit(depth + 2, f"{t} = int({r}) if {r}.is_integer() else {r}")
            self.emit(depth + 1, "else:")
            self.emit(depth + 2, f"{t} = _numeric({lhs}, {rhs}, {op!r})")
            self.emit(depth, "else:")
            self.emit(depth + 1, f"{t} = _numeric({lhs}, {rhs}, {op!r})")
        return t
