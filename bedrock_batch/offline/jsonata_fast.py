"""jsonata-python, evaluated faster: each AST node is turned once into a Python closure, with the same semantics.

jsonata-python interprets the syntax tree on every evaluation. Each node goes through ``Jsonata.eval`` (a
per-thread instance, the evaluation context saved and restored) and ``Jsonata._eval`` (two look-ups of debug
callbacks that walk the whole chain of frames, then a chain of string comparisons on the node type). In a
``$map`` over a batch of rows those per-node costs, not the work itself, take most of the time.

``FastJsonata`` is a ``Jsonata`` whose ``eval`` runs a closure built for the node the first time it is evaluated
and kept on the node. The closures mirror the interpreter's methods (``evaluate_path``, ``evaluate_step``,
``evaluate_filter``, ``evaluate_group_expression``, ``evaluate_function``, ``evaluate_binary`` ...) statement by
statement, with what can be decided once (the node type, the operator, literal values, whether a node has
predicates or a group) decided when the closure is built. Rare nodes (wildcards, descendants, sorting, tuple
streams with ``@`` and ``#``, partial application, transforms) call the interpreter's own method. Frames look
names up in a loop instead of by recursion, and native functions' signatures are matched against a cache.

Where a general step can be shortened for a frequent case with the same result, it is: a path ``$var.field`` or
``field.field`` read directly while it meets objects (its last field may hold a plain array, and have filters), a
variable the expression binds nowhere looked up from the evaluation's root frame (what it found past that frame,
in the expression's environment or the static frame, kept there until the environment binds a name:
``_EnvironmentFrame``), a value unwrapped only when it can be a sequence, ``$map``, ``$filter``, ``$sift`` and
``$reduce`` applying a lambda without ``func_apply``'s layers (calling its invocation themselves), ``$replace`` of
plain strings by ``str.replace``, ``$pad`` with one character by ``str.rjust`` or ``str.ljust``, ``$not``,
``$keys`` and ``$lookup`` of objects run directly (``_FAST_NATIVES``), a call site calling the native function it
called last with arguments of types it took then, as they are or as its signature's plan reshapes them, reusing
what it derived from it (``_call``), a lambda's tail call of a native function made at once rather than through a
thunk and the trampoline, reusing what it derived from the function it called last the same way
(``_tail_call``), arithmetic on two finite numbers and comparisons and ``&`` and ``=`` of strings and numbers done
inline. tests/runtime/test_jsonata_fast.py compares each with the interpreter.

Two things of the interpreter are dropped because nothing can observe them here:

* the evaluation context it stores on the instance for ``$eval`` (Step Functions removes ``$eval``: the runtime
  binds its own function over it), except for the nodes handed back to the interpreter, which get it;
* the debug callbacks ``__evaluate_entry`` and ``__evaluate_exit``: an expression or bindings that could define
  them (the text ``__evaluate_`` in the expression, a binding of that name, or one in the static frame) are
  evaluated by the interpreter, unchanged. With them goes the frames' ``is_parallel_call`` flag, which only the
  callbacks' time box reads: array and object constructors of one item do not set it.

A deep recursion in an expression uses fewer Python frames than in the interpreter, so it can go deeper before
Python's recursion limit stops it.

A tree of simple nodes (constructors, literals, variables, ``$var.field`` paths, ``$var[...]`` and
``$var.field[...]`` filters, paths ``$var.step`` of one step on each item, operators, conditions, blocks, calls
``$name(...)``), and a lambda's invocation with its body, is compiled to one Python function once it has
run ``WARM_CALLS`` times as closures (``jsonata_codegen``, whose docstring says what it writes out and why it is
the same): its nodes then cost no call of their own. Its other nodes stay closures, called from it.
"""

from __future__ import annotations

import functools
import math
import operator
import re
from collections.abc import Callable, Iterator
from typing import Any

from jsonata import functions as _functions
from jsonata import jexception, parser
from jsonata.jsonata import Jsonata
from jsonata.utils import Utils

from . import jsonata_codegen, jsonata_functions
from .jsonata_functions import EvaluationTime
from .jsonata_shapes import context_fields as _context_fields
from .jsonata_shapes import plain_name as _plain_name
from .jsonata_shapes import plain_variable as _plain_variable
from .jsonata_shapes import variable_fields as _variable_fields

Functions = _functions.Functions
JException = jexception.JException
JList = Utils.JList
Symbol = parser.Parser.Symbol
NONE = Utils.NONE
NULL = Utils.NULL_VALUE
_CALLBACKS = frozenset({"__evaluate_entry", "__evaluate_exit"})

Node = Callable[[Any, Any], Any]

# How many tail calls one evaluation may make. A tail call runs in a loop (the parser turns it into a thunk), so a
# tail recursion that never ends would never fail; JSONata stops such runaway expressions with U1001.
MAX_TAIL_CALLS = 1_000_000
_STACK_OVERFLOW = ("Stack overflow error: Check for non-terminating recursive function.  "
                   "Consider rewriting as tail-recursive.")
_TOO_MANY_TAIL_CALLS = "Expression evaluation timeout: Check for infinite loop"


class RunawayError(JException):
    """JSONata's U1001: a recursion too deep for the stack, or a tail recursion that does not end."""

    def __init__(self, message: str) -> None:
        super().__init__("U1001", -1)
        self.args = (message,)


def _combine_surrogates(text: str) -> str:
    """A string literal's ``\\uD834\\uDD1E`` as the one character it encodes (the tokenizer leaves the two halves).

    JavaScript strings hold UTF-16 code units, and JSONata counts characters by code point (``$length``,
    ``$substring``): the pair is one character there, as it is in a JSON input.
    """
    if not any("\ud800" <= c <= "\udfff" for c in text):
        return text
    return text.encode("utf-16-be", "surrogatepass").decode("utf-16-be", "surrogatepass")


class _Mode:
    # > 0 while an expression that may use the debug callbacks runs through the interpreter
    interpreted = 0
    # tail calls made by the evaluation under way (a comparator may run on another instance: counted here, once)
    tail_calls = 0
    # the input the trampoline of the lambda being applied runs its tail calls with (``FastJsonata.apply_procedure``);
    # NONE when not known (the thunk is then returned to the trampoline)
    tail_input: Any = NONE


class FastFrame(Jsonata.Frame):
    """A frame that looks names up in a loop; noticing a binding of the debug callbacks.

    ``root`` is the frame of the evaluation's bindings (``FastJsonata._evaluate``) that this one is inside, None
    outside of one: a name that the expression binds nowhere is found there or in the frames around it, never in
    the frames between (``_lookup_unbound``)."""

    root: FastFrame | None = None
    is_parallel_call = False  # (a class default, as the frame's own field reads until a group sets it)
    found: dict[str, Any] | None = None  # (a root's: see _RootFrame)

    def __init__(self, parent: Any) -> None:  # (written out by jsonata_codegen._new_frame: the same fields)
        self.bindings = {}
        self.parent = parent
        kind = parent.__class__  # (root always set: one layout for all)
        self.root = parent.root if kind is FastFrame else parent if kind is _RootFrame else None

    def bind(self, name: str, val: Any) -> None:
        self.bindings[name] = val
        if name in _CALLBACKS:
            raise _CallbacksBound
        if val.__class__ not in _DATA and getattr(val, "signature", None) is not None:
            val.signature.set_function_name(name)

    def lookup(self, name: str) -> Any:
        return _lookup(self, name)


class _RootFrame(FastFrame):
    """The frame of an evaluation's bindings: the root of the frames inside it. Its own ``root`` is None (a frame
    that held itself would live until the garbage collector found the cycle): a look-up from it starts there.

    ``found`` is its parent's when that is the expression's environment (``_EnvironmentFrame``), else None."""

    def __init__(self, parent: Any, bindings: dict[str, Any]) -> None:
        self.bindings = bindings
        self.parent = parent


class _EnvironmentFrame(FastFrame):
    """An expression's environment (its functions, what ``assign`` binds), the parent of its evaluations' roots.

    ``found`` holds what look-ups of names that the expression binds nowhere (``_lookup_unbound``) found here and
    in the static frame, having found nothing in a root (their values, None for none): the same for every root,
    until this frame binds a name (``assign``, ``register_function``; ``$eval`` binds here), which empties it. The
    static frame's functions are defined once, at import."""

    def bind(self, name: str, val: Any) -> None:
        self.found.clear()
        FastFrame.bind(self, name, val)


def _lookup(environment: Any, name: str) -> Any:
    """The value bound to ``name`` in ``environment`` or the frames around it; None (undefined) where none is."""
    frame = environment
    while frame is not None:
        val = frame.bindings.get(name, NONE)
        if val is not NONE:
            return val
        frame = frame.parent
    return None


def _lookup_unbound(environment: Any, name: str) -> Any:
    """``_lookup`` of a name that the expression of the node looking it up binds nowhere (``_mark_bound_names``):
    the frames between ``environment`` and its root were made by the expression (blocks, its lambdas' arguments,
    tuple streams' variables), and hold none of its names but those it binds, so the look-up starts at the root."""
    frame = environment.root or environment
    bindings = frame.bindings
    if name in bindings:
        return bindings[name]
    found = frame.found
    if found is not None:  # a root: what a look-up found past it before (_EnvironmentFrame)
        value = found.get(name, NONE)
        if value is not NONE:
            return value
    while name not in bindings:
        frame = frame.parent
        if frame is None:
            value = None
            break
        bindings = frame.bindings
    else:
        value = bindings[name]
    if found is not None:
        found[name] = value
    return value


def _mark_bound_names(ast: Any) -> list[Any]:
    """Marks each node of the expression ``ast`` with the names it binds anywhere (``_fast_bound``: ``:=``, a
    lambda's arguments, ``@$v`` and ``#$v``, and ``$``). A node of another tree (``$eval``'s, a partial
    application's) has no mark: its look-ups walk every frame. Returns the nodes."""
    bound = {"$"}
    seen: set[int] = set()
    nodes = []
    stack = [ast]
    while stack:
        node = stack.pop()
        if isinstance(node, list | tuple):
            stack.extend(node)
            continue
        if not isinstance(node, Symbol) or id(node) in seen:
            continue
        seen.add(id(node))
        nodes.append(node)
        node._fast_bound = bound
        if node.type == "bind":
            bound.add(str(node.lhs.value))
        elif node.type == "lambda":
            bound.update(str(arg.value) for arg in node.arguments or ())
        elif node.type == "index":
            bound.add(str(node.value))
        for attribute in ("focus", "index"):
            value = node.__dict__.get(attribute)
            if isinstance(value, str):
                bound.add(value)
        stack.extend(v for v in node.__dict__.values() if isinstance(v, Symbol | list | tuple))
    return nodes


class _CallbacksBound(BaseException):  # noqa: N818  (a signal, not an error: no ``except Exception`` stops it)
    """A debug callback was bound during a fast evaluation: it starts again in the interpreter."""


class _InterpretedFrame(Jsonata.Frame):
    """The interpreter's frame, for evaluations that may use the debug callbacks."""

    root = None


class _Sequence(JList):
    """``Utils.create_sequence()``: a JList with ``sequence`` set, its flags class defaults (cheaper to create)."""

    sequence = True
    outer_wrapper = False
    tuple_stream = False
    keep_singleton = False
    cons = False
    __init__ = list.__init__


class _Array(_Sequence):
    """``Utils.JList()``, created the same cheaper way."""

    sequence = False


class _Procedure(Symbol):
    """A closure as ``evaluate_lambda`` makes it, ``Symbol(parser)`` with the fields it leaves alone class defaults.

    ``Symbol.__init__`` sets some forty fields; a closure (one per evaluation of a ``function`` expression, and one
    per tail call, which the parser turns into a thunk) sets six of them. Unset fields read the class defaults,
    which are those of a new Symbol; a field assigned later becomes the instance's own, as on a Symbol.
    """


for _field, _default in Symbol(Jsonata.get_parser()).__dict__.items():
    setattr(_Procedure, _field, _default)
_new_procedure = object.__new__


# Values that never carry a function signature: JSON values and the interpreter's lists (nothing sets one on them).
_DATA = frozenset({str, int, float, bool, dict, list, type(None), JList, _Sequence, _Array})


def _sequence(el: Any = NONE) -> JList:
    return _Sequence() if el is NONE else _Sequence((el,))


# Numbers as the interpreter's arithmetic takes them (not bool), and its operations on two floats (``%`` takes its
# way: an int of ``math.fmod``).
_NUMBERS = frozenset({int, float})
_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
_isfinite = math.isfinite
# The types the interpreter's comparison compares as they are when both sides have one of them (a nan or an infinity
# compares as Python compares it there too), and its operators.
_ORDERED = frozenset({int, float, str})
_ORDER: dict[str, Callable[[Any, Any], bool]] = {"<": operator.lt, "<=": operator.le, ">": operator.gt,
                                                 ">=": operator.ge}

# The interpreter's own lists: a result of one of these classes may be a sequence to unwrap (``_unwrap``).
_JLISTS = frozenset({JList, _Sequence, _Array})
# Classes of values that are no list (the JSON scalars and objects): a test of the class saves ``isinstance``.
_NOT_LISTS = frozenset({dict, str, int, float, bool, type(None)})
# Integers that Utils.convert_number returns as they are (below 2**53 a float holds them exactly).
_EXACT = 2**53
# Values that a native function's result is as it is: not a number to convert, nor a thunk to run.
_INERT = frozenset({str, bool, dict, type(None), list, JList, _Sequence, _Array})
# Node types whose value is already unwrapped, or never a sequence: their children's values (blocks, conditions,
# bindings), or an array, object or number they make (unary). Unwrapping such a value again changes nothing, unless
# ``[]`` follows the node (``keep_array``).
_UNWRAPPED = frozenset({"block", "condition", "bind", "unary"})


def _unwrap(result: JList, keep_array: bool) -> Any:
    """The end of ``_eval`` for a list: a sequence of one value is that value, an empty one undefined."""
    if result.sequence and not result.tuple_stream:
        if keep_array:
            result.keep_singleton = True
        if not result:
            return None
        if len(result) == 1:
            return result if result.keep_singleton else result[0]
    return result


def _boolize(value: Any) -> bool:
    """``Jsonata.boolize``: the effective boolean value, undefined as false."""
    if value.__class__ is bool:
        return value
    booled = _to_boolean(value)
    return False if booled is None else booled


def _to_boolean(arg: Any) -> bool | None:
    """``Functions.to_boolean`` (which imports the jsonata module on every call)."""
    if arg is None:
        return None
    kind = arg.__class__  # (the most frequent classes first, as the tests below decide them)
    if kind is str:
        return len(arg) > 0
    if kind is bool:
        return arg
    if kind is dict:
        return len(arg) > 0
    if isinstance(arg, list):
        if len(arg) == 1:
            return _to_boolean(arg[0])
        return len(arg) > 1 and any(_boolize(e) for e in arg)
    if isinstance(arg, str):
        return len(arg) > 0
    if isinstance(arg, bool):
        return bool(arg)
    if isinstance(arg, int | float):
        return float(arg) != 0
    if isinstance(arg, dict):
        return len(arg) > 0
    return False


# A _Procedure is always a lambda (``function`` expressions make them, ``_jsonata_lambda`` set): get_symbol's "f".
_SYMBOLS = {str: "s", bool: "b", int: "n", float: "n", dict: "o", list: "a", JList: "a", _Sequence: "a", _Array: "a",
            type(None): "m", _Procedure: "f"}


def _validate_signature(signature: Any, args: Any, context: Any) -> Any:
    """``Signature.validate``, with what the match of the argument types decides cached per tuple of types.

    The symbol of a value of one of the ``_SYMBOLS`` types depends on its type only, so for those the match of
    the supplied symbols against the signature is computed once per tuple of types.
    """
    cache = signature.__dict__.get("_fast_plans")
    if cache is None:
        cache = signature.__dict__["_fast_plans"] = {}
    count = len(args)
    if count == 1:
        key: tuple[type, ...] = (args[0].__class__,)
    elif count == 2:
        key = (args[0].__class__, args[1].__class__)
    else:
        key = tuple(map(type, args))
    plan = cache.get(key)
    if plan is None:
        cacheable = all(t in _SYMBOLS for t in key)
        supplied = "".join(_SYMBOLS[t] if t in _SYMBOLS else signature.get_symbol(a)
                           for t, a in zip(key, args, strict=True))
        match = signature._regex.fullmatch(supplied)
        if match is None:
            signature.throw_validation_error(args, supplied, signature.function_name)
        groups = match.groups()
        takes = _takes(signature._params, groups)
        plan = groups if takes is None else takes
        if not cacheable:
            return _validated(signature, args, context, groups) if takes is None else _reshaped(args, takes)
        cache[key] = plan
    if plan.__class__ is int:
        return args if plan == len(args) else _take(args, plan)
    if plan.__class__ is _Reshape:
        return _reshaped(args, plan)
    return _validated(signature, args, context, plan)


def _symbol(signature: Any, value: Any) -> str:
    """``signature.get_symbol(value)``, from the value's type alone for the ``_SYMBOLS`` types."""
    return _SYMBOLS.get(value.__class__) or signature.get_symbol(value)


class _Reshape(tuple):
    """What ``_validated`` makes of the arguments for a match where it puts a value given to an array parameter
    into an array, or gives such a parameter None: (how many it takes in order, the positions it wraps, those it
    gives None)."""


def _takes(params: Any, groups: tuple[str, ...]) -> int | _Reshape | None:
    """What ``_validated`` does, when it takes the arguments in order (the missing ones None), one each: how many
    it takes, or a ``_Reshape`` when it also wraps some of them in an array or replaces them by None. None when it
    does more: a context argument, or an array parameter with a type for its items (not given an array, or given
    one: its items checked). An array parameter without one keeps an array (``a``), gets None for an ``m`` (the
    null marker is an ``m`` too, whatever the value), and any other value wrapped in an array."""
    count = 0
    wrapped: list[int] = []
    nothing: list[int] = []
    for index, param in enumerate(params):
        group = groups[index]
        if group == "":
            if param.context and param.regex is not None:
                return None
            count += 1
        elif param.type == "a":
            if param.subtype is not None or len(group) != 1:
                return None
            if group == "m":
                nothing.append(count)
            elif group != "a":
                wrapped.append(count)
            count += 1
        else:
            count += len(group)
    if wrapped or nothing:
        return _Reshape((count, tuple(wrapped), tuple(nothing)))
    return count


def _take(args: list[Any], count: int) -> list[Any]:
    """The first ``count`` arguments, None for the missing ones: what ``_validated`` returns for such a plan."""
    if count <= len(args):
        return args[:count]
    return args + [None] * (count - len(args))


def _reshaped(args: list[Any], plan: int | _Reshape) -> list[Any]:
    """What ``_validated`` returns for a plan of ``_takes``."""
    if plan.__class__ is int:
        return _take(args, plan)
    count, wrapped, nothing = plan
    validated = _take(args, count)
    for position in wrapped:
        validated[position] = [validated[position]]
    for position in nothing:
        validated[position] = None
    return validated


def _validated(signature: Any, args: Any, context: Any, groups: tuple[str, ...]) -> list[Any]:
    """The part of ``Signature.validate`` after the regular expression matched (``groups`` of that match)."""
    validated_args = []
    arg_index = 0
    for index, param in enumerate(signature._params):
        arg = args[arg_index] if arg_index < len(args) else None
        match_ = groups[index]
        if match_ == "":
            if param.context and param.regex is not None:
                context_type = signature.get_symbol(context)
                if re.fullmatch(param.regex, context_type):
                    validated_args.append(context)
                else:
                    raise JException("T0411", -1, context, arg_index + 1)
            else:
                validated_args.append(arg)
                arg_index += 1
        else:
            for single in match_:
                if param.type == "a":
                    if single == "m":
                        arg = None
                    else:
                        arg = args[arg_index] if arg_index < len(args) else None
                        array_ok = True
                        if param.subtype is not None:
                            if single != "a" and match_ != param.subtype:
                                array_ok = False
                            elif single == "a":
                                arg_arr = arg
                                if arg_arr:
                                    item_type = _symbol(signature, arg_arr[0])
                                    if item_type != str(param.subtype[0]):
                                        array_ok = False
                                    else:
                                        for o in arg_arr:
                                            if _symbol(signature, o) != item_type:
                                                array_ok = False
                                                break
                        if not array_ok:
                            raise JException("T0412", -1, arg_index + 1, signature.function_name, param.subtype)
                        if single != "a":
                            arg = [arg]
                    validated_args.append(arg)
                    arg_index += 1
                else:
                    arg = args[arg_index] if arg_index < len(args) else None
                    validated_args.append(arg)
                    arg_index += 1
    return validated_args


class FastJsonata(Jsonata):
    """A ``Jsonata`` expression evaluated through closures built once per node (see the module docstring)."""

    # Whether trees of simple nodes are compiled to Python functions (jsonata_codegen); off, the closures alone.
    codegen = True

    def __init__(self, expr: str, *args: Any, **kwargs: Any) -> None:
        self._codegen_names: dict[str, Any] | None = None
        self._interpret = expr is None or "__evaluate_" in expr
        super().__init__(expr, *args, **kwargs)
        if self.environment.__class__ is FastFrame:  # (made by create_frame: the same layout)
            self.environment.__class__ = _EnvironmentFrame
            self.environment.found = {}
        if getattr(self, "ast", None) is not None:
            nodes = _mark_bound_names(self.ast)
            if self.codegen:
                jsonata_codegen.mark_inner(nodes)
        # JSONata 2.0.6's own versions of the functions jsonata-python computes otherwise (jsonata_functions).
        for name, function in jsonata_functions.OVERRIDES.items():
            self.register_function(name, function)

    # -- entry points ------------------------------------------------------------------------------------------
    def evaluate(self, input: Any, bindings: Any = None) -> Any:
        """``Jsonata.evaluate``; ``$now()`` and ``$millis()`` read the time once per evaluation, as JSONata does
        (at the first of them: the virtual clock does not move while an expression is evaluated)."""
        saved_time, saved_calls = EvaluationTime.millis, _Mode.tail_calls
        EvaluationTime.millis = None
        _Mode.tail_calls = 0
        try:
            items = bindings if bindings.__class__ is dict else None if bindings is None \
                else bindings.bindings if isinstance(bindings, Jsonata.Frame) else bindings
            interpret = (self._interpret
                         or (items is not None and ("__evaluate_entry" in items or "__evaluate_exit" in items))
                         or _mentions_callbacks(self.environment))
            if not interpret and items is not None:
                try:
                    return self._evaluate(input, items)
                except _CallbacksBound:
                    pass  # a callback was bound by the expression: start again, interpreted
            if not interpret:
                return super().evaluate(input, bindings)  # no bindings: "$" goes into the expression's own frame
            _Mode.interpreted += 1
            try:
                return super().evaluate(input, bindings)
            finally:
                _Mode.interpreted -= 1
        except RecursionError:
            raise RunawayError(_STACK_OVERFLOW) from None
        except JException as err:
            if _caused_by_recursion(err):
                raise RunawayError(_STACK_OVERFLOW) from None
            raise
        finally:
            EvaluationTime.millis, _Mode.tail_calls = saved_time, saved_calls

    def _evaluate(self, input: Any, items: Any) -> Any:
        """``Jsonata.evaluate`` with bindings, the bindings copied into the new frame at once."""
        if self.errors is not None:
            raise JException("S0500", 0)
        table = dict(items)
        exec_env = _RootFrame(self.environment, table)
        for value in table.values():
            if value.__class__ not in _DATA:  # a function among them
                _name_functions(table)
                break
        if input.__class__ in _DATA:
            table["$"] = input  # what bind() does for a plain value
        else:
            exec_env.bind("$", input)
        # (jsonata-python's own evaluate sets no timestamp, and nothing reads one: $now and $millis read
        # EvaluationTime)
        if isinstance(input, list) and not Utils.is_sequence(input):
            input = _sequence(input)
            input.outer_wrapper = True
        if self.validate_input:
            Functions.validate_input(input)
        if self.environment.__class__ is _EnvironmentFrame:
            exec_env.found = self.environment.found
        try:
            node = None if _Mode.interpreted else self.ast.__dict__.get("_fast_node")  # (eval(), without its call)
            result = self.eval(self.ast, input, exec_env) if node is None else node(input, exec_env)
            if self.output_convert_nulls:
                result = Utils.convert_nulls(result)
            return result
        except Exception as err:
            self.populate_message(err)
            raise

    def create_frame(self, enclosing_environment: Any = None) -> Any:
        if _Mode.interpreted:
            return _InterpretedFrame(enclosing_environment)
        return FastFrame(enclosing_environment)

    def eval(self, expr: Any, input: Any, environment: Any) -> Any:
        if _Mode.interpreted:
            return Jsonata.eval(self, expr, input, environment)
        node = expr.__dict__.get("_fast_node")
        if node is None:
            node = self._node(expr)
        return node(input, environment)

    # -- building closures -------------------------------------------------------------------------------------
    def _node(self, expr: Any) -> Node:
        """The closure for ``_eval(expr, input, environment)``: the node, its predicates, group and unwrapping."""
        node = expr.__dict__.get("_fast_node")
        if node is not None:
            return node
        node_type = getattr(expr, "type", None)
        core = self._core(expr, node_type)
        predicate = getattr(expr, "predicate", None)
        filters = [self._filter(item.expr) for item in predicate] if predicate else []
        group = getattr(expr, "group", None) if node_type is not None and node_type != "path" else None
        group_fn = self._group(group) if group is not None else None
        keep_array = expr.keep_array
        plain = node_type in ("string", "number", "value", "binary", "regex", "lambda") and not filters \
            and group_fn is None

        if plain or (node_type in _UNWRAPPED and not keep_array and not filters and group_fn is None):
            node = core
        elif not filters and group_fn is None and node_type == "function":
            node = self._call(expr)
        elif not filters and group_fn is None and node_type in ("variable", "name"):
            node = self._unwrapped(expr, node_type, core)
        elif not filters and group_fn is None and not keep_array and node_type == "path" and _variable_fields(expr):
            node = _fields_read_directly(str(expr.steps[0].value), [str(step.value) for step in expr.steps[1:]],
                                         core, self._last_stages(expr), self._lookup_of(expr.steps[0]))
        elif not filters and group_fn is None and not keep_array and node_type == "path" and _context_fields(expr):
            node = _fields_read_directly(None, [str(step.value) for step in expr.steps], core,
                                         self._last_stages(expr), _lookup)
        elif not filters and group_fn is None:
            def node(input: Any, environment: Any) -> Any:
                result = core(input, environment)
                return _unwrap(result, keep_array) if result.__class__ in _JLISTS else result
        else:
            def node(input: Any, environment: Any) -> Any:
                result = core(input, environment)
                for filter_fn in filters:
                    result = filter_fn(result, environment)
                if group_fn is not None:
                    result = group_fn(result, environment)
                if result is not None and isinstance(result, JList):
                    return _unwrap(result, keep_array)
                return result
        if self.codegen and jsonata_codegen.is_region(expr):  # (a plain node: its node is ``core`` or ``_call``'s)
            def install(region: Node) -> None:
                expr._fast_node = region

            node = _warming(node, lambda closure: jsonata_codegen.compile_region(
                expr, closure, self._node, self._unbound, self._call, self._namespace()), install)
        expr._fast_node = node
        return node

    def _unbound(self, variable: Any) -> bool:
        return self._lookup_of(variable) is _lookup_unbound

    def _namespace(self) -> dict[str, Any]:
        """What the functions jsonata_codegen writes read (``jsonata_codegen.NAMES``)."""
        if self._codegen_names is None:
            self._codegen_names = {
                "FastFrame": FastFrame, "_Array": _Array, "NONE": NONE, "NULL": NULL, "_JLISTS": _JLISTS,
                "_NUMBERS": _NUMBERS, "_ORDERED": _ORDERED, "_unwrap": _unwrap, "_boolize": _boolize,
                "_string": jsonata_functions.Functions206.string, "_is_deep_equal": Utils.is_deep_equal,
                "_isfinite": _isfinite, "_compare": self.evaluate_comparison_expression,
                "_numeric": self.evaluate_numeric_expression, "JException": JException, "_INERT": _INERT,
                "_EXACT": _EXACT, "_Procedure": _Procedure, "_Mode": _Mode, "_trampoline": self._trampoline,
                "_DATA": _DATA, "JList": JList, "_NATIVE": _NATIVE, "_count_tail_call": _count_tail_call,
                "_reshaped": _reshaped, "_convert_number": _convert_number, "_is_numeric": _is_numeric,
                "_NOT_LISTS": _NOT_LISTS, "_Sequence": _Sequence, "_times_kept": _times_kept, "_settled": _settled,
                "_flatten": _flatten, "_new_object": object.__new__, "_RootFrame": _RootFrame}
        return self._codegen_names

    def _last_stages(self, path: Any) -> list[Callable[[Any, Any], Any]]:
        """The filters of a path's last step (``$v.items[...]``), as ``_step`` runs them."""
        stages = path.steps[-1].stages
        return [self._filter(stage.expr) for stage in stages] if stages else []

    def _core(self, expr: Any, node_type: str | None) -> Node:
        if node_type is None:
            return _undefined
        build = _BUILDERS.get(node_type)
        if build is None:
            return _undefined
        return build(self, expr)

    def _stock(self, method: Callable[..., Any], expr: Any, with_environment: bool = True) -> Node:
        """A node handed to the interpreter's own method, with the evaluation context it may read."""

        def node(input: Any, environment: Any) -> Any:
            saved_input, saved_environment = self.input, self.environment
            self.input, self.environment = input, environment
            try:
                if with_environment:
                    return method(self, expr, input, environment)
                return method(self, expr, input)
            finally:
                self.input, self.environment = saved_input, saved_environment

        return node

    # -- literals, names and variables -------------------------------------------------------------------------
    def _literal(self, expr: Any) -> Node:
        value = expr.value if expr.value is not None else NULL
        if value.__class__ is str:
            value = _combine_surrogates(value)
        return lambda input, environment: value

    def _name(self, expr: Any) -> Node:
        key = str(expr.value)
        lookup = Functions.lookup

        def name(input: Any, environment: Any) -> Any:
            if isinstance(input, dict):
                result = input.get(key, NONE)
                if result is None and key in input:
                    return NULL
                return None if result is NONE else result
            return lookup(input, key)

        return name

    def _variable(self, expr: Any) -> Node:
        if expr.value == "":
            def context(input: Any, environment: Any) -> Any:
                return input[0] if input.__class__ not in _NOT_LISTS and isinstance(input, JList) \
                    and input.outer_wrapper else input

            return context
        key = str(expr.value)
        lookup = self._lookup_of(expr)

        def variable(input: Any, environment: Any) -> Any:
            return lookup(environment, key)

        return variable

    def _lookup_of(self, variable: Any) -> Callable[[Any, str], Any]:
        """How the variable node ``variable`` looks its name up: from the root when its expression binds the
        name nowhere (``_lookup_unbound``)."""
        bound = variable.__dict__.get("_fast_bound")
        if bound is not None and str(variable.value) not in bound:
            return _lookup_unbound
        return _lookup

    def _unwrapped(self, expr: Any, node_type: str, core: Node) -> Node:
        """The node of a variable or a field name alone (no filter, no group): its value, unwrapped as by
        ``_eval``, in one closure."""
        keep_array = expr.keep_array
        if node_type == "variable" and expr.value != "":
            key = str(expr.value)
            lookup = self._lookup_of(expr)

            def variable(input: Any, environment: Any) -> Any:
                val = lookup(environment, key)
                if val.__class__ in _JLISTS:
                    return _unwrap(val, keep_array)
                return val

            return variable
        if node_type == "name":
            key = str(expr.value)

            def name(input: Any, environment: Any) -> Any:
                if input.__class__ is dict:
                    result = input.get(key, NONE)
                    if result is NONE:
                        return None
                    if result is None:
                        return NULL  # (the key is there: its value is null)
                    if result.__class__ in _JLISTS:
                        return _unwrap(result, keep_array)
                    return result
                result = core(input, environment)
                return _unwrap(result, keep_array) if result.__class__ in _JLISTS else result

            return name

        def node(input: Any, environment: Any) -> Any:
            result = core(input, environment)
            return _unwrap(result, keep_array) if result.__class__ in _JLISTS else result

        return node

    def _parent(self, expr: Any) -> Node:
        label = expr.slot.label
        return lambda input, environment: environment.lookup(label)

    def _regex(self, expr: Any) -> Node:
        value = expr.value
        return lambda input, environment: value

    # -- paths, steps, filters ---------------------------------------------------------------------------------
    def _path(self, expr: Any) -> Node:
        steps = expr.steps
        if any(s.tuple is not None or s.type == "sort" or s.focus is not None for s in steps) or expr.tuple is not None:
            return self._stock(Jsonata.evaluate_path, expr)
        first_not_variable = steps[0].type != "variable"
        # An array constructor as the first step is evaluated on the whole input sequence; other steps on each item.
        compiled = []
        names: list[tuple[str, Callable[[Any, Any], Any]]] = []  # a run of plain field names, walked together
        for ii, step in enumerate(steps):
            if ii == 0 and step.consarray:
                compiled.append(self._node(step))
                continue
            step_fn = self._step(step, ii == len(steps) - 1)
            if _plain_name(step):
                names.append((str(step.value), step_fn))
                continue
            if names:
                compiled.append(_name_chain(names))
                names = []
            compiled.append(step_fn)
        if names:
            compiled.append(_name_chain(names))
        keep_singleton_array = expr.keep_singleton_array
        group_fn = self._group(expr.group) if expr.group is not None else None

        def path(input: Any, environment: Any) -> Any:
            input_sequence = input if isinstance(input, list) and first_not_variable else _sequence(input)
            result_sequence = None
            for step in compiled:
                result_sequence = step(input_sequence, environment)
                if result_sequence is None or not result_sequence:
                    break
                input_sequence = result_sequence
            if keep_singleton_array:
                if not isinstance(result_sequence, JList):
                    result_sequence = JList(result_sequence)
                if isinstance(result_sequence, JList) and result_sequence.cons and not result_sequence.sequence:
                    result_sequence = _sequence(result_sequence)
                result_sequence.keep_singleton = True
            if group_fn is not None:
                result_sequence = group_fn(result_sequence, environment)
            return result_sequence

        return path

    def _step(self, step: Any, last_step: bool) -> Callable[[Any, Any], Any]:
        """``evaluate_step(step, input, environment, last_step)`` for a step that is not a sort."""
        step_node = self._node(step)
        stages = [self._filter(stage.expr) for stage in step.stages] if step.stages is not None else []
        if _plain_variable(step):
            name = str(step.value)
            lookup = self._lookup_of(step)

            def variable_step(input: Any, environment: Any) -> Any:
                # A variable alone: its value for each item (it does not depend on the item), unwrapped as by _eval.
                value = lookup(environment, name)
                if len(input) == 1 and value.__class__ is dict:  # one item: an object is the step's one result
                    return _Sequence((value,))
                result = []
                for _ in input:
                    res = value
                    if res is None:  # undefined
                        continue
                    if isinstance(res, JList) and res.sequence and not res.tuple_stream:
                        if not res:
                            continue
                        if len(res) == 1 and not res.keep_singleton:
                            res = res[0]
                            if res is None:
                                continue
                    result.append(res)
                return _flatten(result, last_step)

            return variable_step
        if not _plain_name(step):
            # (the step's node read again at each step: a tree compiled since is put there, _warming)
            return lambda input, environment: _step(step.__dict__.get("_fast_node", step_node), stages, input,
                                                    environment, last_step)
        key = str(step.value)

        def name_step(input: Any, environment: Any) -> Any:
            # A field name alone: the name node inlined for objects (lookup, then the unwrapping of _eval).
            result = []
            for inp in input:
                if inp.__class__ is dict:
                    res = inp.get(key, NONE)
                    if res is NONE:
                        continue
                    if res is None:
                        res = NULL
                    elif isinstance(res, JList) and res.sequence and not res.tuple_stream:
                        if not res:
                            continue
                        if len(res) == 1 and not res.keep_singleton:
                            res = res[0]
                            if res is None:
                                continue
                else:
                    res = step_node(inp, environment)
                    if res is None:
                        continue
                result.append(res)
            return _flatten(result, last_step)

        return name_step

    def _filter(self, predicate: Any) -> Callable[[Any, Any], Any]:
        """``evaluate_filter(predicate, input, environment)``."""
        if predicate.type == "number":
            position = int(predicate.value)

            def by_index(input: Any, environment: Any) -> Any:
                results = _sequence()
                if isinstance(input, JList) and input.tuple_stream:
                    results.tuple_stream = True
                if input is None:
                    input = _sequence()
                elif not isinstance(input, list):
                    input = _sequence(input)
                index = position
                if index < 0:
                    index = len(input) + index
                if 0 <= index < len(input):
                    item = input[index]
                    if item is None:
                        item = NULL
                    if isinstance(item, list):
                        results = item
                    else:
                        results.append(item)
                return results

            return by_index

        first_test = self._node(predicate)

        def by_predicate(input: Any, environment: Any) -> Any:
            # (the predicate's node read again at each filter: a tree compiled since is put there, _warming)
            test = predicate.__dict__.get("_fast_node", first_test)
            results = _Sequence()
            tuples = isinstance(input, JList) and input.tuple_stream
            if tuples:
                results.tuple_stream = True
            if input is None:
                input = _Sequence()
            elif not isinstance(input, list):
                input = _Sequence((input,))
            for index, item in enumerate(input):
                context = item
                env = environment
                if tuples:
                    context = item["@"]
                    env = self.create_frame_from_tuple(environment, item)
                res = test(context, env)
                if res is True:
                    results.append(item)
                elif res is not False and res is not None:
                    for _ in range(_times_kept(res, index, len(input))):
                        results.append(item)
            return results

        return by_predicate

    # -- operators ---------------------------------------------------------------------------------------------
    def _binary(self, expr: Any) -> Node:
        lhs_node, rhs_node = self._node(expr.lhs), self._node(expr.rhs)
        op = str(expr.value)
        position = expr.position
        if op in ("and", "or"):
            is_and = op == "and"

            def boolean(input: Any, environment: Any) -> Any:
                lhs = lhs_node(input, environment)
                try:
                    l_bool = _boolize(lhs)
                    if is_and:
                        return l_bool and _boolize(rhs_node(input, environment))
                    return l_bool or _boolize(rhs_node(input, environment))
                except Exception as err:
                    if not isinstance(err, JException):
                        raise JException("Unexpected", position) from err
                    raise

            return boolean
        if op in ("+", "-", "*", "/", "%"):
            numeric = self.evaluate_numeric_expression
            operate = _ARITHMETIC.get(op)

            def arithmetic(input: Any, environment: Any) -> Any:
                lhs = lhs_node(input, environment)
                rhs = rhs_node(input, environment)
                if operate is not None and lhs.__class__ in _NUMBERS and rhs.__class__ in _NUMBERS:
                    # evaluate_numeric_expression of two numbers (finite: a nan or an infinity takes its way, to
                    # its error): the operation on floats, a whole result as an int (convert_number)
                    result = operate(float(lhs), float(rhs))
                    if result.__class__ is float and _isfinite(result) and _isfinite(lhs) and _isfinite(rhs):
                        return int(result) if result.is_integer() else result
                return numeric(lhs, rhs, op)

            return arithmetic
        if op in ("=", "!="):
            is_deep_equal = Utils.is_deep_equal
            negate = op == "!="

            def equality(input: Any, environment: Any) -> Any:
                lhs = lhs_node(input, environment)
                rhs = rhs_node(input, environment)
                if lhs is None or rhs is None:
                    return False
                if lhs.__class__ is str and rhs.__class__ is str:
                    return (lhs == rhs) is not negate  # is_deep_equal of two strings
                if lhs.__class__ in _NUMBERS and rhs.__class__ in _NUMBERS:
                    return (float(lhs) == float(rhs)) is not negate  # is_deep_equal of two floats
                if not isinstance(lhs, bool) and isinstance(lhs, int | float):
                    lhs = float(lhs)
                if not isinstance(rhs, bool) and isinstance(rhs, int | float):
                    rhs = float(rhs)
                equal = is_deep_equal(lhs, rhs)
                return not equal if negate else equal

            return equality
        if op in ("<", "<=", ">", ">="):
            compare = self.evaluate_comparison_expression
            order = _ORDER[op]

            def comparison(input: Any, environment: Any) -> Any:
                lhs = lhs_node(input, environment)
                rhs = rhs_node(input, environment)
                if lhs.__class__ is rhs.__class__ and lhs.__class__ in _ORDERED:
                    # evaluate_comparison_expression of two values of one type it compares as they are
                    return order(lhs, rhs)
                return compare(lhs, rhs, op)

            return comparison
        if op == "&":
            string = jsonata_functions.Functions206.string  # JSONata 2.0.6's $string

            def concat(input: Any, environment: Any) -> Any:
                lhs = lhs_node(input, environment)
                rhs = rhs_node(input, environment)
                # (a string is its own $string)
                if lhs.__class__ is not str:
                    lhs = "" if lhs is None else string(lhs, None)
                if rhs.__class__ is not str:
                    rhs = "" if rhs is None else string(rhs, None)
                return lhs + rhs

            return concat
        if op == "..":
            def range_(input: Any, environment: Any) -> Any:
                return self.evaluate_range_expression(lhs_node(input, environment), rhs_node(input, environment))

            return range_
        if op == "in":
            def includes(input: Any, environment: Any) -> Any:
                # evaluate_includes_expression: whether an item of the right side (an array, or the value alone)
                # is == the left side
                lhs = lhs_node(input, environment)
                rhs = rhs_node(input, environment)
                if lhs is None or rhs is None:
                    return False
                if not isinstance(rhs, list):
                    return rhs == lhs
                if lhs.__class__ is str:
                    return lhs in rhs  # identity or ==: for a string, the same as ==
                return any(item == lhs for item in rhs)

            return includes

        def unknown(input: Any, environment: Any) -> Any:
            lhs_node(input, environment)
            rhs_node(input, environment)
            raise JException("Unexpected operator " + op, position)

        return unknown

    def _unary(self, expr: Any) -> Node:
        value = str(expr.value)
        if value == "-":
            operand = self._node(expr.expression)
            is_numeric, convert_number = Utils.is_numeric, Utils.convert_number

            def negate(input: Any, environment: Any) -> Any:
                result = operand(input, environment)
                if result is None:
                    return None
                if is_numeric(result):
                    return convert_number(-float(result))
                raise JException("D1002", expr.position, expr.value, result)

            return negate
        if value == "[":
            items = [(self._node(item), str(item.value) == "[") for item in expr.expressions]
            consarray = expr.consarray

            def array(input: Any, environment: Any) -> Any:
                result = _Array()
                for item_node, nested in items:
                    item = item_node(input, environment)
                    if item is not None:
                        if nested or item.__class__ in _NOT_LISTS or not isinstance(item, list):
                            result.append(item)
                        else:
                            result.extend(item)  # Functions.append, in place: the new array is ours alone
                if consarray:
                    if not isinstance(result, JList):
                        result = JList(result)
                    result.cons = True
                return result

            return array
        if value == "{":
            return self._group(expr)
        return _undefined

    def _condition(self, expr: Any) -> Node:
        condition, then = self._node(expr.condition), self._node(expr.then)
        otherwise = self._node(expr._else) if expr._else is not None else None

        def conditional(input: Any, environment: Any) -> Any:
            if _boolize(condition(input, environment)):
                return then(input, environment)
            if otherwise is not None:
                return otherwise(input, environment)
            return None

        return conditional

    def _block(self, expr: Any) -> Node:
        expressions = [self._node(e) for e in expr.expressions]

        def block(input: Any, environment: Any) -> Any:
            frame = FastFrame(environment)
            result = None
            for expression in expressions:
                result = expression(input, frame)
            return result

        return block

    def _bind(self, expr: Any) -> Node:
        name = str(expr.lhs.value)
        value_node = self._node(expr.rhs)

        def bind(input: Any, environment: Any) -> Any:
            value = value_node(input, environment)
            environment.bind(name, value)
            return value

        return bind

    # -- objects -----------------------------------------------------------------------------------------------
    def _group(self, expr: Any) -> Callable[[Any, Any], Any]:
        """``evaluate_group_expression(expr, input, environment)``: an object constructor."""
        cached = expr.__dict__.get("_fast_group")
        if cached is not None:
            return cached
        pairs = [(self._node(key), self._node(value)) for key, value in expr.lhs_object]
        position = expr.position
        literal_keys = [_literal_string(key) for key, _ in expr.lhs_object]
        simple = all(k is not None for k in literal_keys) and len(set(literal_keys)) == len(literal_keys)
        simple_pairs = list(zip(literal_keys, [value for _, value in pairs], strict=True))
        append = Functions.append

        def group(input: Any, environment: Any) -> Any:
            if simple and not isinstance(input, list):
                # One item and distinct literal keys: every key forms its own group, in order.
                result = {}
                for key, value_node in simple_pairs:
                    res = value_node(input, environment)
                    if res is not None:
                        result[key] = res
                return result
            result = {}
            groups: dict[str, list[Any]] = {}
            reduce = isinstance(input, JList) and input.tuple_stream
            if not isinstance(input, list):
                input = _sequence(input)
            if not input:
                input.append(None)
            for item in input:
                env = self.create_frame_from_tuple(environment, item) if reduce else environment
                for pair_index, (key_node, _) in enumerate(pairs):
                    key = key_node(item["@"] if reduce else item, env)
                    if key is not None and not isinstance(key, str):
                        raise JException("T1003", position, key)
                    if key is not None:
                        entry = groups.get(key)
                        if entry is not None:
                            if entry[1] != pair_index:
                                raise JException("D1009", position, key)
                            entry[0] = append(entry[0], item)
                        else:
                            groups[key] = [item, pair_index]
            for idx, (key, (data, expr_index)) in enumerate(groups.items()):
                context = data
                env = environment
                if reduce:
                    reduced = self.reduce_tuple_stream(data)
                    context = reduced["@"]
                    reduced.pop("@", None)
                    env = self.create_frame_from_tuple(environment, reduced)
                env.is_parallel_call = idx > 0
                res = pairs[expr_index][1](context, env)
                if res is not None:
                    result[key] = res
            return result

        expr._fast_group = group
        return group

    # -- functions ---------------------------------------------------------------------------------------------
    def _function(self, expr: Any) -> Node:
        call = self._call(expr)
        return lambda input, environment: call(input, environment, NONE, False)

    def _call(self, expr: Any) -> Callable[..., Any]:
        """``evaluate_function(expr, input, environment, applyto_context)``; called with the input and environment
        alone, the node of the function expression (its value unwrapped, as ``_eval`` does)."""
        cached = expr.__dict__.get("_fast_call")
        if cached is not None:
            return cached
        procedure = expr.procedure
        procedure_node = self._node(procedure)
        argument_nodes = [self._node(a) for a in (expr.arguments if expr.arguments is not None else [])]
        is_path = getattr(procedure, "type", None) is not None and procedure.type == "path"
        first_step = str(procedure.steps[0].value) if is_path else None
        proc_name = procedure.steps[0].value if is_path else (procedure.value if procedure is not None else None)
        position = expr.position
        apply, trampoline = self.apply, self._trampoline
        is_numeric, convert_number = Utils.is_numeric, Utils.convert_number
        # the arguments' nodes, the first two by name: most calls have one or two
        count = len(argument_nodes)
        first, second = (argument_nodes + [_undefined, _undefined])[:2]
        # ``$name(...)``: the variable node's lookup and unwrapping, written out here
        name = str(procedure.value) if _plain_variable(procedure) else None
        lookup = self._lookup_of(procedure) if name is not None else _lookup

        keep_array = expr.keep_array
        # The native function called here last (without a context argument: ``count`` arguments), and what was
        # derived from it: the argument types its signature takes as they are, its function (``_FAST_NATIVES``'
        # version bound to this instance) and the None that pad the arguments to its ``nargs``.
        site_proc: Any = None
        site_types: set[tuple[type, ...]] | None = None  # None: it has no signature (takes every argument)
        site_function: Callable[..., Any] = _undefined
        site_padding: tuple[None, ...] = ()
        # For that function, the argument types its signature's plan takes in order but reshaped (``_Reshape``: a
        # value given to an array parameter wrapped in an array, an undefined or null one None; or the missing ones
        # None): the plan (a pure function of the types, as ``_validate_signature`` caches it), then the function and
        # the padding for the arguments it makes, as the branch below decides them.
        site_reshapes: dict[tuple[type, ...], tuple[Any, Callable[..., Any], tuple[None, ...]]] = {}
        # the same five, for the call sites jsonata_codegen writes out (a sentinel first: no function is it)
        shared: list[Any] = [_NO_SITE, None, _undefined, (), site_reshapes]

        def call(input: Any, environment: Any, applyto_context: Any = NONE, unwrap: bool = True) -> Any:
            # unwrap: the end of _eval for a function node alone (no filter, no group): the node is this closure
            if name is not None:
                proc = lookup(environment, name)
                if proc.__class__ in _JLISTS:
                    proc = _unwrap(proc, False)
            else:
                proc = procedure_node(input, environment)
            if proc is None and is_path and environment.lookup(first_step) is not None:
                raise JException("T1005", position, procedure.steps[0].value)
            if applyto_context is not NONE:
                evaluated_args = [applyto_context]
                for argument in argument_nodes:
                    evaluated_args.append(argument(input, environment))
            elif count == 1:
                evaluated_args = [first(input, environment)]
            elif count == 2:
                evaluated_args = [first(input, environment), second(input, environment)]
            else:
                evaluated_args = [argument(input, environment) for argument in argument_nodes]
            result = site(proc, evaluated_args, input, environment, applyto_context)
            if unwrap and result.__class__ in _JLISTS:
                return _unwrap(result, keep_array)
            return result

        def site(proc: Any, evaluated_args: list[Any], input: Any, environment: Any,
                 applyto_context: Any = NONE) -> Any:
            """The call of ``proc`` (what the procedure expression gave) with the arguments evaluated: the rest of
            ``evaluate_function``, its result not unwrapped. (jsonata_codegen calls it for the call sites it writes
            out.)"""
            nonlocal site_proc, site_types, site_function, site_padding, site_reshapes
            if proc is None:
                raise JException("T1006", position, proc_name)
            try:
                if proc.__class__ is _NATIVE:
                    # apply() -> apply_inner() -> _apply_native(), written out here: the most frequent call
                    if proc is site_proc and applyto_context is NONE and (
                            site_types is None or ((type(evaluated_args[0]),) if count == 1
                                                   else (type(evaluated_args[0]), type(evaluated_args[1])) if count == 2
                                                   else (type(evaluated_args[0]), type(evaluated_args[1]),
                                                         type(evaluated_args[2])) if count == 3
                                                   else tuple(map(type, evaluated_args))) in site_types):
                        # the native function of the last call here, given arguments of types its signature
                        # takes as they are: the end of the branch below, its decisions taken then
                        result = site_function(*evaluated_args, *site_padding) if site_padding else site_function(
                            *evaluated_args)
                    elif (proc is site_proc and site_reshapes and applyto_context is NONE
                          and (reshape := site_reshapes.get(tuple(map(type, evaluated_args)))) is not None):
                        # arguments of types its signature reshapes as a plan: the end of the branch below, its
                        # validation (_validate_signature of a cached plan: _reshaped) and its choice of function
                        plan, function, padding = reshape
                        result = function(*_reshaped(evaluated_args, plan), *padding)
                    else:
                        sig = proc.signature
                        if sig is None:
                            args = evaluated_args
                        else:
                            # _validate_signature, its most frequent end (the arguments as they are) written out
                            plans = sig.__dict__.get("_fast_plans")
                            if plans is None:
                                plan = None
                            elif applyto_context is not NONE:
                                plan = plans.get(tuple(map(type, evaluated_args)))
                            elif count == 1:
                                plan = plans.get((evaluated_args[0].__class__,))
                            elif count == 2:
                                plan = plans.get((evaluated_args[0].__class__, evaluated_args[1].__class__))
                            else:
                                plan = plans.get(tuple(map(type, evaluated_args)))
                            if plan.__class__ is int and len(evaluated_args) <= plan <= proc.nargs:
                                # the arguments in order, the missing ones None: what _take, then the padding below,
                                # make of them
                                args = evaluated_args
                            else:
                                args = _validate_signature(sig, evaluated_args, input)
                        if applyto_context is NONE and sig is not None and args is not evaluated_args:
                            # the plan _validate_signature cached for these types (none for a type it does not
                            # cache, nor for a match it validates item by item)
                            plan = _cached_plan(sig, evaluated_args)
                            # (a plan that takes them in order, the missing ones None, takes them as they are at the
                            # next call: the padding gives the None)
                            as_is = plan.__class__ is int and len(evaluated_args) <= plan <= proc.nargs
                            reshaping = not as_is and (plan.__class__ is int or plan.__class__ is _Reshape)
                        else:
                            as_is = reshaping = False
                        if applyto_context is NONE and (sig is None or args is evaluated_args or as_is or reshaping):
                            # remembered for the next call here: this function takes arguments of these types as they
                            # are, or as the plan reshapes them (a signature's plan for a tuple of types never changes)
                            if proc is not site_proc:
                                site_proc, site_types = proc, None if sig is None else set()
                                site_function, site_padding = _native_entry(self, proc, count)
                                site_reshapes = {}
                                shared[:] = (site_proc, site_types, site_function, site_padding, site_reshapes)
                            if reshaping:
                                # (len(args): what the plan makes of any arguments of these types)
                                site_reshapes[tuple(map(type, evaluated_args))] = (
                                    plan, *_native_entry(self, proc, len(args)))
                            elif site_types is not None:
                                site_types.add(tuple(map(type, evaluated_args)))
                        missing = proc.nargs - len(args)
                        if missing == 0:
                            fast = _FAST_NATIVES.get(proc)
                            result = proc.method(*args) if fast is None else fast(self, *args)
                        else:
                            fast = _FAST_NATIVES.get(proc) if missing > 0 else None
                            if fast is not None:
                                result = fast(self, *args, *([None] * missing))
                            else:
                                result = proc.method(*args, *([None] * missing)) if missing > 0 else proc.method(*args)
                    if result.__class__ not in _INERT and not (result.__class__ is int and -_EXACT < result < _EXACT):
                        # (convert_number keeps such an integer as it is)
                        if is_numeric(result):
                            result = convert_number(result)
                        result = trampoline(result, input, environment)
                elif isinstance(proc, Symbol):
                    proc.token = proc_name
                    proc.position = position
                    if proc.__class__ is _Procedure and proc.signature is None:
                        # apply() -> apply_inner() -> validate_arguments() (the arguments as they are) ->
                        # apply_procedure(), without the layers
                        invoke = proc.body.__dict__.get("_fast_invoke")
                        if invoke is None or _Mode.interpreted:
                            result = self.apply_procedure(proc, evaluated_args, input)
                        else:
                            result = invoke(proc.environment, proc.input, evaluated_args, input)
                        if result.__class__ not in _INERT:
                            result = trampoline(result, input, environment)
                    else:
                        result = apply(proc, evaluated_args, input, environment)
                else:
                    result = apply(proc, evaluated_args, input, environment)
            except JException as jex:
                locate(jex)
                raise
            return result

        def locate(jex: JException) -> None:
            """An error raised by the call: at this call's position, unless it has one."""
            if jex.location < 0:
                jex.location = position
            if jex.current is None:
                jex.current = expr.token

        def finish(result: Any, input: Any, environment: Any) -> Any:
            """The end of a native function's call for a result not ``_INERT`` (nor a small int): a number
            converted, a thunk run."""
            if is_numeric(result):
                result = convert_number(result)
            return trampoline(result, input, environment)

        # what the call sites that jsonata_codegen writes out use (jsonata_codegen._Writer._call)
        call.site, call.shared, call.locate, call.finish, call.token = site, shared, locate, finish, proc_name
        expr._fast_call = call
        return call

    def _lambda(self, expr: Any) -> Node:
        arguments, signature, body, thunk = expr.arguments, expr.signature, expr.body, expr.thunk
        if not thunk and isinstance(body, Symbol) and _mark_tail_calls(body):
            body._fast_tail_calls = True
        if thunk and expr.__dict__.get("_fast_tail_call") and _plain_variable(body.procedure):
            return self._tail_call(expr, lambda_node=self._lambda_node(expr, arguments, signature, body))
        return self._lambda_node(expr, arguments, signature, body)

    def _tail_call(self, expr: Any, lambda_node: Node) -> Node:
        """A tail call ``$name(...)`` (a thunk) that ``_mark_tail_calls`` found in a lambda's tail position: when
        ``$name`` is a native function, it is called here, as the trampoline would call it next (the arguments
        evaluated in the lambda's scope, the signature checked against the trampoline's input), rather than
        returned as a thunk. Anything else is the thunk, for the trampoline.

        As a call site does (``_call``), the tail call remembers the native function it applied last and the
        argument types its signature took as they are (``shared``: that function, those types, its function as
        ``_apply_native`` would choose it and the padding; ``_remembering``): given those again, the function is
        called at once, its result what ``_apply_native`` makes of it."""
        call = expr.body
        procedure_node = self._node(call.procedure)
        argument_nodes = [self._node(a) for a in (call.arguments if call.arguments is not None else [])]
        shared: list[Any] = [_NO_SITE, None, _undefined, ()]
        apply_native = self._remembering(shared)

        def tail_call(input: Any, environment: Any) -> Any:
            context = _Mode.tail_input
            if context is not NONE:
                proc = procedure_node(input, environment)  # a variable: looked up again by the trampoline
                if proc.__class__ is _NATIVE:
                    _Mode.tail_calls += 1
                    if _Mode.tail_calls > MAX_TAIL_CALLS:
                        raise RunawayError(_TOO_MANY_TAIL_CALLS)
                    args = [argument(input, environment) for argument in argument_nodes]
                    if proc is shared[0] and (shared[1] is None or tuple(map(type, args)) in shared[1]):
                        result = shared[2](*args, *shared[3])
                        if result.__class__ in _INERT:
                            return result
                        return _convert_number(result) if _is_numeric(result) else result
                    return apply_native(proc, args, context)
            return lambda_node(input, environment)

        tail_call.tail_parts = (call, lambda_node, shared, apply_native)  # (for jsonata_codegen.compile_invoker)
        return tail_call

    def _remembering(self, shared: list[Any]) -> Callable[[Any, list[Any], Any], Any]:
        """``_apply_native(proc, args, context)``, remembering in ``shared`` (as ``_call``'s ``site`` does) the
        function applied and, for a signature, the tuple of argument types its plan takes as they are (a plan
        that takes them in order, the missing ones None: ``_apply_native`` pads them): then what
        ``_apply_native`` calls for them (its fast version bound to this instance, or its method) and the None
        it pads them with."""
        apply_native = self._apply_native

        def apply(proc: Any, args: list[Any], context: Any) -> Any:
            result = apply_native(proc, args, context)
            sig = proc.signature
            if sig is not None:
                plan = _cached_plan(sig, args)
                if not (plan.__class__ is int and len(args) <= plan <= proc.nargs):
                    return result
            if proc is not shared[0]:
                shared[:] = (proc, None if sig is None else set(), *_native_entry(self, proc, len(args)))
            if sig is not None:
                shared[1].add(tuple(map(type, args)))
            return result

        return apply

    def _lambda_node(self, expr: Any, arguments: Any, signature: Any, body: Any) -> Node:
        parser_, thunk = self.parser, expr.thunk

        def lambda_(input: Any, environment: Any) -> Any:
            procedure = _new_procedure(_Procedure)
            procedure._outer_instance = parser_
            procedure._jsonata_lambda = True
            procedure.input = input
            procedure.environment = environment
            procedure.arguments = arguments
            procedure.signature = signature
            procedure.body = body
            if thunk:
                procedure.thunk = True
            return procedure

        return lambda_

    def _apply_expression(self, expr: Any) -> Node:
        if expr.rhs.type != "function":
            return self._stock(Jsonata.evaluate_apply_expression, expr)
        lhs_node = self._node(expr.lhs)
        call = self._call(expr.rhs)
        return lambda input, environment: call(input, environment, lhs_node(input, environment), False)

    # -- the interpreter's methods that native functions and the rare nodes call back into ----------------------
    def evaluate_function(self, expr: Any, input: Any, environment: Any, applyto_context: Any) -> Any:
        if _Mode.interpreted:
            return Jsonata.evaluate_function(self, expr, input, environment, applyto_context)
        return self._call(expr)(input, environment, applyto_context, False)

    def apply(self, proc: Any, args: Any, input: Any, environment: Any) -> Any:
        return self._trampoline(self.apply_inner(proc, args, input, environment), input, environment)

    def _trampoline(self, result: Any, input: Any, environment: Any) -> Any:
        """The rest of ``apply``: tail calls returned as thunks are run until a value comes back."""
        if result.__class__ in _INERT:
            return result
        while isinstance(result, Symbol) and result._jsonata_lambda and result.thunk:
            _Mode.tail_calls += 1
            if _Mode.tail_calls > MAX_TAIL_CALLS:
                raise RunawayError(_TOO_MANY_TAIL_CALLS)
            call, scope_input, scope = result.body, result.input, result.environment
            procedure = call.procedure
            next_ = self.eval(procedure, scope_input, scope)
            if next_.__class__ is _NATIVE:
                evaluated_args = [self.eval(arg, scope_input, scope) for arg in call.arguments]
                result = self._apply_native(next_, evaluated_args, input)
                continue
            if procedure.type == "variable" and isinstance(next_, Symbol):
                next_.token = procedure.value
            if isinstance(next_, Symbol):
                next_.position = procedure.position
            evaluated_args = [self.eval(arg, scope_input, scope) for arg in call.arguments]
            result = self.apply_inner(next_, evaluated_args, input, environment)
        return result

    def _apply_native(self, proc: Any, args: list[Any], input: Any) -> Any:
        """``apply_inner`` of a native function: ``validate_arguments`` (``input`` the context), then
        ``JNativeFunction.call`` (``Functions._call(method, nargs, args)``), or the function's fast version."""
        sig = proc.signature
        if sig is not None:
            plans = sig.__dict__.get("_fast_plans")
            plan = None if plans is None else plans.get(tuple(map(type, args)))
            if plan.__class__ is _Reshape:
                args = _reshaped(args, plan)  # (what _validate_signature makes of them with that plan)
            elif not (plan.__class__ is int and len(args) <= plan <= proc.nargs):
                # (else the arguments as they are: _take's None, then the padding below, give what the plan gives)
                args = _validate_signature(sig, args, input)
        missing = proc.nargs - len(args)
        fast = _FAST_NATIVES.get(proc) if missing >= 0 else None
        if fast is not None:
            res = fast(self, *args, *([None] * missing))
        else:
            res = proc.method(*args, *([None] * missing)) if missing > 0 else proc.method(*args)
        if res.__class__ in _INERT:
            return res
        return _convert_number(res) if _is_numeric(res) else res

    def apply_inner(self, proc: Any, args: Any, input: Any, environment: Any) -> Any:
        if proc.__class__ is _NATIVE:
            return self._apply_native(proc, args, input)
        validated_args = args
        if proc is not None:
            validated_args = self.validate_arguments(proc, args, input)
        if isinstance(proc, Symbol) and proc._jsonata_lambda:
            return self.apply_procedure(proc, validated_args, input)  # apply's trampoline runs with this input
        if isinstance(proc, Jsonata.JFunction | Jsonata.JLambda):
            return proc.call(input, validated_args)
        return Jsonata.apply_inner(self, proc, args, input, environment)  # a regex, or not a function

    def validate_arguments(self, signature: Any, args: Any, context: Any) -> Any:
        kind = type(signature)
        if kind is Jsonata.JNativeFunction or kind is Jsonata.JFunction:
            if signature.signature is None:
                return args
            return _validate_signature(signature.signature, args, context)
        if kind is Jsonata.JLambda or ((kind is _Procedure or kind is Symbol) and signature._jsonata_lambda
                                       and signature.signature is None):
            return args
        return Jsonata.validate_arguments(self, signature, args, context)

    def apply_procedure(self, proc: Any, args: Any, tail_input: Any = NONE) -> Any:
        """``Jsonata.apply_procedure``; ``tail_input``, the input of the trampoline its result goes to, lets the
        lambda's tail calls of native functions run at once (``_tail_call``), NONE when not known."""
        if _Mode.interpreted:
            return Jsonata.apply_procedure(self, proc, args)
        body = proc.body
        if proc.__class__ is _Procedure:
            invoke = body.__dict__.get("_fast_invoke") or self._invoker(proc.arguments, body, keep=True)
        elif isinstance(body, Symbol):  # a partial application's lambda: its own parameters, another's body
            invoke = self._invoker(proc.arguments, body, keep=False)
        else:
            return Jsonata.apply_procedure(self, proc, args)  # (which fails)
        return invoke(proc.environment, proc.input, args, tail_input)

    def _invoker(self, arguments: Any, body: Any, keep: bool) -> Callable[[Any, Any, list[Any], Any], Any]:
        """``invoke(environment, input, args, tail_input)``: ``apply_procedure`` of a lambda with these parameters
        and this body that closes over ``environment`` and ``input``, what depends on the lambda expression alone
        decided once. ``keep``: kept on the body, for the lambdas its expression makes (``_Procedure``: the same
        parameters each time)."""
        names = [str(arg.value) for arg in arguments]
        plain = not any(name in _CALLBACKS for name in names)  # (else bind() of that name stops the evaluation)
        node = body.__dict__.get("_fast_node") or self._node(body)
        tail_calls = "_fast_tail_calls" in body.__dict__

        def invoke(environment: Any, input: Any, args: list[Any], tail_input: Any) -> Any:
            env = FastFrame(environment)
            table = env.bindings
            for name, value in zip(names, args, strict=False):
                if value.__class__ in _DATA and plain:
                    table[name] = value  # what bind() does for a plain value
                else:
                    env.bind(name, value)
            if not tail_calls:
                return node(input, env)
            saved = _Mode.tail_input
            _Mode.tail_input = tail_input
            try:
                return node(input, env)
            finally:
                _Mode.tail_input = saved

        if keep and self.codegen:
            def install(generated: Callable[..., Any]) -> None:
                body._fast_invoke = generated

            invoke = _warming(invoke, lambda closure: jsonata_codegen.compile_invoker(
                names, plain, tail_calls, body, node, self._node, self._unbound, self._call, self._namespace()),
                install, invoker=True)
        if keep:
            body._fast_invoke = invoke
        return invoke

    def _runner(self, proc: Any) -> Callable[[list[Any]], Any] | None:
        """``trampoline(apply_procedure(proc, args, None), None, environment)`` for a lambda (``_Procedure``) that a
        native function applies to many values (``$map``...). None for a body that is not a node."""
        body = proc.body
        if not isinstance(body, Symbol):
            return None
        invoke = body.__dict__.get("_fast_invoke") or self._invoker(proc.arguments, body, keep=True)
        parent, input = proc.environment, proc.input
        trampoline = self._trampoline

        def run(args: list[Any]) -> Any:
            result = invoke(parent, input, args, None)
            if result.__class__ in _INERT:
                return result
            return trampoline(result, None, self.environment)

        return run


def _step(step_node: Node, stages: list[Any], input: Any, environment: Any, last_step: bool) -> Any:
    """``evaluate_step`` for a step that is not a sort."""
    result = []
    for inp in input:
        res = step_node(inp, environment)
        for stage in stages:
            res = stage(res, environment)
        if res is not None:
            result.append(res)
    return _flatten(result, last_step)


# What a path read directly gives when it has to take its steps one by one.
_STEPS = object()


def _fields_read_directly(name: str | None, keys: list[str], path: Node, stages: list[Node],
                          lookup: Callable[[Any, str], Any]) -> Node:
    """The node of a ``_variable_fields`` path (``name`` is the variable's) or a ``_context_fields`` one (``name``
    None): while the variable, or the context as one item, and each field but the last hold an object, the last
    field's value is read directly: a missing field undefined, a null the null marker, a plain list as it is (the
    last step's single array result is the path's value), then given to the last step's filters (``stages``).
    From no context, undefined. Anything else (a sequence, an array on the way, one of the interpreter's lists)
    takes the path's steps."""
    leading, last = keys[:-1], keys[-1]

    def fields(input: Any, environment: Any) -> Any:
        current = input if name is None else lookup(environment, name)
        if current.__class__ is dict:
            for key in leading:  # while each field holds an object
                current = current.get(key, NONE)
                if current.__class__ is not dict:
                    break
            if current.__class__ is dict:
                value = current.get(last, NONE)
                if value is NONE:
                    return None
                if value is None:
                    value = NULL
                elif value.__class__ not in _NOT_LISTS and isinstance(value, list) and value.__class__ is not list:
                    value = _STEPS
                if value is not _STEPS:
                    return _filtered(value, stages, environment) if stages else value
            elif current is NONE:
                return None  # a field on the way is missing
        elif current is None and name is None:
            return None  # no context: the first step finds nothing (Functions.lookup of undefined)
        result = path(input, environment)
        return _unwrap(result, False) if result.__class__ in _JLISTS else result

    return fields


def _filtered(value: Any, stages: list[Node], environment: Any) -> Any:
    """The end of a path whose last step read ``value`` (not undefined) from one object and has filters: the step
    (``_step``) runs them on it, flattens the result, and the path's value is unwrapped."""
    for stage in stages:
        value = stage(value, environment)
    if value.__class__ is _Sequence and not value.__dict__:
        # a sequence with no flag of its own (a predicate's results): what _flatten (a copy of it) and _unwrap make
        if not value:
            return None
        return value[0] if len(value) == 1 else _Sequence(value)
    return _settled(value)


def _settled(value: Any) -> Any:
    """``_filtered``'s end for a value that is not a sequence without flags: flattened as the last step's one
    result, then unwrapped (undefined stays undefined)."""
    if value is None:
        return None
    result = _flatten([value], True)
    return _unwrap(result, False) if result.__class__ in _JLISTS else result


def _times_kept(res: Any, index: int, count: int) -> int:
    """How many times ``evaluate_filter`` keeps the item at ``index`` of ``count`` items for which the predicate
    gave ``res`` (neither true, false nor undefined): once for each number of ``res`` (a number, or an array of
    numbers) that is the index (a negative one counted from the end), else once when ``res`` is true as a
    boolean."""
    if _is_numeric(res):
        res = _sequence(res)
    if Utils.is_array_of_numbers(res):
        times = 0
        for ires in res:
            ii = int(ires)
            if ii < 0:
                ii = count + ii
            if ii == index:
                times += 1
        return times
    return 1 if _boolize(res) else 0


def _name_chain(names: list[tuple[str, Callable[[Any, Any], Any]]]) -> Callable[[Any, Any], Any]:
    """Consecutive field-name steps: while one object flows through them, its fields are read directly.

    One object in, a field that holds an object or a scalar: the step's result is that one value, so the next step
    starts from it. Anything else (several items, an array, not an object) goes on with the steps one by one.
    """
    keys = [key for key, _ in names]
    steps = [step for _, step in names]
    count = len(keys)

    def chain(input: Any, environment: Any) -> Any:
        j = 0
        sequence = input
        if len(input) == 1:
            current = input[0]
            while j < count:
                if current.__class__ is not dict:
                    break
                res = current.get(keys[j], NONE)
                if res is NONE:
                    return _Sequence()
                if res is None:
                    res = NULL
                elif isinstance(res, list):
                    break
                current = res
                j += 1
            else:
                return _Sequence((current,))
            if j:
                sequence = _Sequence((current,))
        for k in range(j, count):
            sequence = steps[k](sequence, environment)
            if not sequence:
                return sequence
        return sequence

    return chain


def _flatten(result: list[Any], last_step: bool) -> Any:
    """The end of ``evaluate_step``: the results as one sequence (the last step's single array result as is)."""
    if len(result) == 1:
        res = result[0]
        if not isinstance(res, list):
            return _Sequence(result)
        if last_step and not Utils.is_sequence(res):
            return res
    result_sequence = _sequence()
    for res in result:
        if not isinstance(res, list) or (isinstance(res, JList) and res.cons):
            result_sequence.append(res)
        else:
            result_sequence.extend(res)
    return result_sequence


def _mark_tail_calls(expr: Any) -> bool:
    """Marks the thunks (tail calls) a lambda's body ``expr`` returns as they are: the body itself, or the branches
    of conditions and the last expression of blocks that have no filter, group or ``[]`` (such nodes return their
    value unchanged). Whether there is one."""
    if getattr(expr, "predicate", None) or getattr(expr, "group", None) is not None or expr.keep_array:
        return False
    if expr.type == "lambda":
        if expr.thunk:
            expr._fast_tail_call = True
            return True
        return False
    if expr.type == "condition":
        then = _mark_tail_calls(expr.then)
        return (expr._else is not None and _mark_tail_calls(expr._else)) or then
    if expr.type == "block" and expr.expressions:
        return _mark_tail_calls(expr.expressions[-1])
    return False


def _undefined(input: Any, environment: Any) -> Any:
    return None


def _literal_string(expr: Any) -> str | None:
    """The key of an object constructor when it is a plain string literal (no predicate, group or flags)."""
    if (getattr(expr, "type", None) == "string" and isinstance(expr.value, str)
            and not getattr(expr, "predicate", None) and getattr(expr, "group", None) is None):
        return _combine_surrogates(expr.value)
    return None


def _caused_by_recursion(err: BaseException) -> bool:
    """Whether a RecursionError set off this error (the interpreter turns some errors into its own)."""
    seen = 0
    cause = err.__cause__ or err.__context__
    while cause is not None and seen < 20:
        if isinstance(cause, RecursionError):
            return True
        cause, seen = cause.__cause__ or cause.__context__, seen + 1
    return False


def _name_functions(bindings: dict[str, Any]) -> None:
    """What ``bind`` does for each function of an evaluation's bindings: its signature named after its binding."""
    for name, value in bindings.items():
        if value.__class__ not in _DATA and getattr(value, "signature", None) is not None:
            value.signature.set_function_name(name)


# How many times a tree of simple nodes (or a lambda's invocation) runs as closures before it is compiled to one
# Python function (jsonata_codegen): a tree that runs a few times is not worth compiling.
WARM_CALLS = 16


def _warming(closure: Callable[..., Any], compile_: Callable[[Callable[..., Any]], Callable[..., Any] | None],
             install: Callable[[Callable[..., Any]], None], invoker: bool = False) -> Callable[..., Any]:
    """``closure`` (a node's, or with ``invoker`` a lambda's ``invoke``), until it has run ``WARM_CALLS`` times;
    then what ``compile_(closure)`` generates (if nothing, the closure still), which ``install`` puts where the
    closure is looked up (those who kept this function call the generated one through it). The same arguments,
    the same value: the generated function is the closure's twin."""
    remaining = WARM_CALLS
    current = closure

    def warm() -> None:
        nonlocal remaining, current
        remaining -= 1
        if not remaining:
            try:
                generated = compile_(closure)
            except RecursionError:  # a tree too deep to write out: its closures run it
                generated = None
            if generated is not None:
                current = generated
                install(generated)

    def node(input: Any, environment: Any) -> Any:
        if remaining:
            warm()
        return current(input, environment)

    def invoke(environment: Any, input: Any, args: list[Any], tail_input: Any) -> Any:
        if remaining:
            warm()
        return current(environment, input, args, tail_input)

    return invoke if invoker else node


def _count_tail_call() -> None:
    """One more tail call by the evaluation under way: U1001 past ``MAX_TAIL_CALLS``."""
    _Mode.tail_calls += 1
    if _Mode.tail_calls > MAX_TAIL_CALLS:
        raise RunawayError(_TOO_MANY_TAIL_CALLS)


def _mentions_callbacks(frame: Any) -> bool:
    while frame is not None:
        bindings = frame.bindings
        if "__evaluate_entry" in bindings or "__evaluate_exit" in bindings:
            return True
        frame = frame.parent
    return False


# -- native functions, run faster ----------------------------------------------------------------------------------
# Those that call a function argument mirror their jsonata-python function (Functions.map, filter, sift, fold_left)
# with the function argument's arity read once (``get_function_arity``: a lambda's is the number of its parameters)
# and a lambda applied directly (``func_apply`` -> ``apply`` -> ``apply_inner`` -> ``apply_procedure``, through the
# running instance); ``$replace`` of a plain string by a plain string is ``str.replace``, ``$pad`` with one character
# ``str.rjust`` or ``str.ljust``.


def _applier(instance: FastJsonata, func: Any) -> Callable[[list[Any]], Any]:
    """``Functions.func_apply(func, args)``, its branches decided once for ``func``."""
    if isinstance(func, Symbol) and func._jsonata_lambda:
        if func.signature is None:  # apply() without the validation, which returns the arguments as they are
            if func.__class__ is _Procedure and not _Mode.interpreted:
                run = instance._runner(func)
                if run is not None:
                    return run
            trampoline, apply_procedure = instance._trampoline, instance.apply_procedure
            return lambda args: trampoline(apply_procedure(func, args, None), None, instance.environment)
        return lambda args: instance.apply(func, args, None, instance.environment)
    return lambda args: func.call(None, args)


def _invoke_of(instance: FastJsonata, func: Any) -> Callable[[Any, Any, list[Any], Any], Any] | None:
    """The lambda's ``invoke`` that ``_applier``'s function (``FastJsonata._runner``'s ``run``) calls for ``func``,
    None when it calls another way: the natives that apply a lambda to many values call it themselves, then the
    trampoline for a result that is not ``_INERT``, as ``run`` does."""
    if func.__class__ is _Procedure and func.signature is None and not _Mode.interpreted:
        body = func.body
        if isinstance(body, Symbol):
            return body.__dict__.get("_fast_invoke") or instance._invoker(func.arguments, body, keep=True)
    return None


def _cached_plan(sig: Any, args: list[Any]) -> Any:
    """The plan ``_validate_signature`` cached for the types of ``args`` (None when it cached none)."""
    plans = sig.__dict__.get("_fast_plans")
    return None if plans is None else plans.get(tuple(map(type, args)))


def _native_entry(instance: FastJsonata, proc: Any, count: int) -> tuple[Any, tuple[None, ...]]:
    """What a call remembered for ``count`` arguments applies to ``proc``: its fast version bound to ``instance``
    where it has one and takes them (``_FAST_NATIVES``), else its method; and the None that pad them to its arity."""
    fast = _FAST_NATIVES.get(proc) if proc.nargs >= count else None
    return (proc.method if fast is None else functools.partial(fast, instance),
            (None,) * (proc.nargs - count) if proc.nargs > count else ())


def _arity(func: Any) -> int:
    """``Functions.get_function_arity``: a lambda's is the number of its parameters."""
    if func.__class__ is _Procedure:
        return len(func.arguments)
    return Functions.get_function_arity(func)


def _each(instance: FastJsonata, arr: list[Any], func: Any) -> Iterator[tuple[Any, Any]]:
    """Each item of ``arr`` with ``func``'s value for it, called with the item, its index and the array, as many of
    them as the function's arity takes (``Functions.map`` and ``Functions.filter`` call it so)."""
    arity = _arity(func)
    apply_ = _applier(instance, func)
    for i, arg in enumerate(arr):
        func_args = [arg]
        if arity >= 2:
            func_args.append(i)
        if arity >= 3:
            func_args.append(arr)
        yield arg, apply_(func_args)


def _map(instance: FastJsonata, arr: Any, func: Any) -> Any:
    """``Functions.map``."""
    if arr is None:
        return None
    result = _Sequence()
    if arr and _arity(func) < 2:  # _each for a function of the item alone, written out
        invoke = _invoke_of(instance, func)
        if invoke is not None:  # (_applier's run, written out)
            parent, scope, trampoline = func.environment, func.input, instance._trampoline
            for arg in arr:
                res = invoke(parent, scope, [arg], None)
                if res.__class__ not in _INERT:
                    res = trampoline(res, None, instance.environment)
                if res is not None:
                    result.append(res)
            return result
        apply_ = _applier(instance, func)
        for arg in arr:
            res = apply_([arg])
            if res is not None:
                result.append(res)
        return result
    for _, res in _each(instance, arr, func) if arr else ():
        if res is not None:
            result.append(res)
    return result


def _filter(instance: FastJsonata, arr: Any, func: Any) -> Any:
    """``Functions.filter``."""
    if arr is None:
        return None
    result = _Sequence()
    for arg, res in _each(instance, arr, func) if arr else ():
        if _to_boolean(res):
            result.append(arg)
    return result


def _sift(instance: FastJsonata, arg: Any, func: Any) -> Any:
    """``Functions.sift``: the entries for which the function is true; undefined when none is."""
    if arg is None:
        return None
    if not arg:
        return None
    arity = _arity(func)
    invoke = _invoke_of(instance, func)
    if invoke is not None:  # (_applier's run, written out in the loop)
        parent, scope, trampoline = func.environment, func.input, instance._trampoline
    else:
        apply_ = _applier(instance, func)
    result = {}
    for key, value in arg.items():
        func_args = [value] if arity < 2 else [value, key] if arity < 3 else [value, key, arg]
        if invoke is not None:
            res = invoke(parent, scope, func_args, None)
            if res.__class__ not in _INERT:
                res = trampoline(res, None, instance.environment)
        else:
            res = apply_(func_args)
        if res is True or (res is not False and _boolize(res)):  # (_boolize of a boolean is itself)
            result[key] = value
    return result or None


def _fold_left(instance: FastJsonata, sequence: Any, func: Any, init: Any) -> Any:
    """``Functions.fold_left`` (``$reduce``)."""
    if sequence is None:
        return None
    arity = _arity(func)
    if arity < 2:
        raise JException("D3050", 1)
    if init is None and sequence:
        result = sequence[0]
        index = 1
    else:
        result = init
        index = 0
    count = len(sequence)
    invoke = _invoke_of(instance, func)
    if invoke is not None:  # (_applier's run, written out in the loop)
        parent, scope, trampoline = func.environment, func.input, instance._trampoline
    else:
        apply_ = _applier(instance, func)
    while index < count:
        args = ([result, sequence[index]] if arity < 3 else [result, sequence[index], index] if arity < 4
                else [result, sequence[index], index, sequence])
        if invoke is not None:
            result = invoke(parent, scope, args, None)
            if result.__class__ not in _INERT:
                result = trampoline(result, None, instance.environment)
        else:
            result = apply_(args)
        index += 1
    return result


def _replace(instance: FastJsonata, string: Any, pattern: Any, replacement: Any, limit: Any) -> Any:
    """``Functions.replace``; a plain string pattern, every occurrence, by a replacement without ``$``: ``str.replace``.

    The library finds each occurrence left to right, from the end of the previous one, and puts in the replacement
    with its ``$0``, ``$1``... filled in: without a ``$`` that is the replacement as it is, which ``str.replace`` does.
    """
    if (limit is None and string.__class__ is str and pattern.__class__ is str and pattern
            and replacement.__class__ is str and "$" not in replacement):
        return string.replace(pattern, replacement)
    return Functions.replace(string, pattern, replacement, limit)


def _pad(instance: FastJsonata, string: Any, width: Any, char: Any) -> Any:
    """``Functions.pad``; a string, an integer width and one character: ``str.rjust`` (a negative width) or
    ``str.ljust``.

    The library puts ``width`` minus the string's length (when above 0) characters of the repeated ``char`` before
    the string (a negative width, as many as its magnitude) or after it: for one character, what ``rjust`` and
    ``ljust`` put there.
    """
    if string.__class__ is str and width.__class__ is int and char.__class__ is str and len(char) == 1:
        return string.rjust(-width, char) if width < 0 else string.ljust(width, char)
    return Functions.pad(string, width, char)


def _not(instance: FastJsonata, arg: Any) -> Any:
    """``Functions.not_``: undefined stays undefined."""
    return None if arg is None else not _to_boolean(arg)


def _keys(instance: FastJsonata, arg: Any) -> Any:
    """``Functions.keys``; an object's keys, in order, as a sequence."""
    if arg.__class__ is dict:
        return _Sequence(arg)
    return Functions.keys(arg)


def _lookup_field(instance: FastJsonata, input: Any, key: Any) -> Any:
    """``Functions.lookup`` (``$lookup``): from an object, the field's value, the null marker for a null, undefined
    when it is missing."""
    if input.__class__ is dict:
        result = input.get(key, NONE)
        if result is NONE:
            return None
        return NULL if result is None else result
    return Functions.lookup(input, key)


_NATIVE = Jsonata.JNativeFunction
_NO_SITE = object()  # (what no procedure is)
_is_numeric, _convert_number = Utils.is_numeric, Utils.convert_number

# a native function of the static frame (hashed by identity) -> its fast version, called with the running instance
_FAST_NATIVES: dict[Any, Callable[..., Any]] = {
    Jsonata.static_frame.lookup(name): function
    for name, function in (("map", _map), ("filter", _filter), ("sift", _sift), ("reduce", _fold_left),
                           ("replace", _replace), ("pad", _pad), ("not", _not), ("keys", _keys),
                           ("lookup", _lookup_field))
}

_BUILDERS: dict[str, Callable[[FastJsonata, Any], Node]] = {
    "path": FastJsonata._path,
    "binary": FastJsonata._binary,
    "unary": FastJsonata._unary,
    "name": FastJsonata._name,
    "string": FastJsonata._literal,
    "number": FastJsonata._literal,
    "value": FastJsonata._literal,
    "wildcard": lambda self, expr: self._stock(Jsonata.evaluate_wildcard, expr, with_environment=False),
    "descendant": lambda self, expr: self._stock(Jsonata.evaluate_descendants, expr, with_environment=False),
    "parent": FastJsonata._parent,
    "condition": FastJsonata._condition,
    "block": FastJsonata._block,
    "bind": FastJsonata._bind,
    "regex": FastJsonata._regex,
    "function": FastJsonata._function,
    "variable": FastJsonata._variable,
    "lambda": FastJsonata._lambda,
    "partial": lambda self, expr: self._stock(Jsonata.evaluate_partial_application, expr),
    "apply": FastJsonata._apply_expression,
    "transform": lambda self, expr: self._stock(Jsonata.evaluate_transform_expression, expr),
}
