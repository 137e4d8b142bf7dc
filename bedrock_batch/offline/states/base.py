"""What every state shares: parsing of the common fields, Output and Assign, Retry and Catch.

Developer Guide, "States" (concepts-states) and "Handling errors" (concepts-error-handling).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import DefinitionError, StatesError
from ..expressions import Template, is_expression
from ..variables import RESERVED

if TYPE_CHECKING:
    from ..protocols import Frame, Program

# Fields that exist only in JSONPath states; a JSONata state that has one is refused (transforming-data).
JSONPATH_ONLY = frozenset({"InputPath", "Parameters", "ResultSelector", "ResultPath", "OutputPath", "Result",
                           "ItemsPath", "MaxConcurrencyPath", "TimeoutSecondsPath", "HeartbeatSecondsPath",
                           "SecondsPath", "TimestampPath", "ErrorPath", "CausePath", "ToleratedFailureCountPath",
                           "ToleratedFailurePercentagePath"})
COMMON = frozenset({"Type", "Comment", "QueryLanguage"})


@dataclass
class ParseContext:
    """Where we are in the definition, for error messages and nested programs."""

    query_language: str
    path: str  # e.g. "State 'Build records'" or "State 'Map' > ItemProcessor > State 'Pass'"
    execution_type: str = "STANDARD"  # of the program being parsed: EXPRESS forbids .sync and .waitForTaskToken
    # Where a field sits within its state, as AWS names it in evaluation errors: "" for the state's own fields,
    # "Catch[1]/" or "Choices[0]/" inside a clause or rule, "ItemReader/" inside a Map's reader.
    field_prefix: str = ""
    # The parser of a whole program (definition.Program), for the programs a state holds (Parallel branches, a
    # Map's ItemProcessor): states sit below the definition that registers them, so they are handed it.
    parse_program: Callable[[dict[str, Any], ParseContext], Program] | None = None

    def at(self, state_name: str) -> ParseContext:
        prefix = f"{self.path} > " if self.path else ""
        return ParseContext(self.query_language, f"{prefix}State '{state_name}'", self.execution_type,
                            parse_program=self.parse_program)

    def within(self, field: str) -> ParseContext:
        """The context of a nested part of this state: a Catch clause, a Choice rule, ItemReader.ReaderConfig."""
        return ParseContext(self.query_language, f"{self.path}, {field}", self.execution_type,
                            f"{self.field_prefix}{field.replace('.', '/')}/", self.parse_program)

    def program(self, raw: dict[str, Any], path: str, execution_type: str) -> Program:
        """Parse a program nested at ``path`` (a Parallel branch, a Map's ItemProcessor) of ``execution_type``."""
        if self.parse_program is None:
            raise TypeError("ParseContext.parse_program is not set: parse definitions with definition.Program")
        return self.parse_program(raw, ParseContext(self.query_language, path, execution_type,
                                                    parse_program=self.parse_program))

    def field_path(self, field: str) -> str:
        return f"{self.field_prefix}{field}"

    def error(self, message: str, field: str | None = None) -> DefinitionError:
        where = f"{self.path}, field '{field}'" if field else self.path
        return DefinitionError(f"{where}: {message}")


@dataclass
class Transition:
    output: Any
    next: str | None  # None ends the program
    size: int | None = None  # the output's payload size, when the state has measured it already


def set_states(bindings: dict[str, Any], **values: Any) -> None:
    """Give ``$states`` new fields (``result``, ``errorOutput``) in a new ``states`` object, not in place.

    An expression's result may be the very object it read (``{% $states %}`` is ``bindings["states"]``, shared,
    not copied: see expressions._to_json), so the object it returned must not change after it was returned.
    """
    bindings["states"] = {**bindings["states"], **values}


def set_context(bindings: dict[str, Any], name: str, value: Any = None) -> None:
    """Set (or, with None, remove) one field of ``$states.context`` in new objects, for the reason above."""
    states = bindings["states"]
    context = states["context"].copy()  # a dict copy and a pop: the dictcomp's order, in C
    context.pop(name, None)
    if value is not None:
        context[name] = value
    bindings["states"] = {**states, "context": context}


def template(raw: dict[str, Any], field: str, ctx: ParseContext) -> Template | None:
    if field not in raw:
        return None
    return Template(raw[field], f"{ctx.path}, field '{field}'", ctx.field_path(field))


def number_field(raw: dict[str, Any], field: str, ctx: ParseContext, minimum: float = 0,
                 integer: bool = True) -> Template | None:
    """A field that is a number or an expression that yields one (TimeoutSeconds, MaxConcurrency ...)."""
    if field not in raw:
        return None
    value = raw[field]
    if not is_expression(value):
        ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= minimum
        if not ok or (integer and value != int(value)):
            kind = "an integer" if integer else "a number"
            raise ctx.error(f"must be {kind} >= {minimum} or a JSONata expression, got {value!r}", field)
    return Template(value, f"{ctx.path}, field '{field}'", ctx.field_path(field))


def evaluate_number(tpl: Template | None, bindings: dict[str, Any], default: float | None, minimum: float = 0,
                    integer: bool = True) -> float | None:
    if tpl is None:
        return default
    value = tpl.evaluate(bindings)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise tpl.unexpected_type("integer" if integer else "number", value)
    if value < minimum or (integer and value != int(value)):
        kind = "an integer" if integer else "a number"
        raise StatesError(errors.QUERY_EVALUATION_ERROR,
                          f"The value {value:g} of the field '{tpl.field}' must be {kind} >= {minimum:g}")
    return int(value) if integer else value


def parse_assign(raw: dict[str, Any], ctx: ParseContext) -> dict[str, Template] | None:
    if "Assign" not in raw:
        return None
    assign = raw["Assign"]
    if not isinstance(assign, dict):
        raise ctx.error("must be an object of variable names to values", "Assign")
    for name in assign:
        if name in RESERVED or not name.isidentifier():
            raise ctx.error(f"invalid variable name {name!r}", "Assign")
    return {name: Template(value, f"{ctx.path}, field 'Assign.{name}'", ctx.field_path(f"Assign/{name}"))
            for name, value in assign.items()}


# A retry wait without MaxDelaySeconds stops growing here: two years, longer than a Standard execution may run
# (one year, service quotas), so any wait this long ends the execution with its timeout whatever the exact value.
MAX_RETRY_DELAY_SECONDS = 2 * 366 * 24 * 3600


@dataclass
class Retrier:
    error_equals: list[str]
    interval_seconds: float
    max_attempts: int
    backoff_rate: float
    max_delay_seconds: float | None
    jitter: str

    def delay(self, attempt: int, rng: random.Random) -> float:
        """The wait before retry number ``attempt`` (0-based): interval x rate^attempt, capped, maybe jittered.

        The growth is compared in log space, so a retrier with a large MaxAttempts never overflows a float; past
        MaxDelaySeconds (or MAX_RETRY_DELAY_SECONDS, longer than any execution may run) the wait stops growing.
        """
        cap = MAX_RETRY_DELAY_SECONDS if self.max_delay_seconds is None else self.max_delay_seconds
        if math.log(self.interval_seconds) + attempt * math.log(self.backoff_rate) >= math.log(cap):
            wait = float(cap)
        else:
            wait = min(self.interval_seconds * self.backoff_rate**attempt, cap)
        if self.jitter == "FULL":
            wait = rng.uniform(0, wait)
        return wait


@dataclass
class Catcher:
    error_equals: list[str]
    next: str
    output: Template | None
    assign: dict[str, Template] | None


def _error_equals(entry: dict[str, Any], ctx: ParseContext, field: str) -> list[str]:
    names = entry.get("ErrorEquals")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ctx.error("ErrorEquals must be a non-empty list of error names", field)
    if errors.ALL in names and len(names) > 1:
        raise ctx.error("States.ALL must appear alone in ErrorEquals", field)
    return names


def parse_retry(raw: dict[str, Any], ctx: ParseContext) -> list[Retrier]:
    retriers = []
    entries = raw.get("Retry", [])
    for i, entry in enumerate(entries):
        field = f"Retry[{i}]"
        names = _error_equals(entry, ctx, field)
        if errors.ALL in names and i != len(entries) - 1:
            raise ctx.error("a retrier with States.ALL must be the last one", field)
        unknown = set(entry) - {"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds",
                                "JitterStrategy", "Comment"}
        if unknown:
            raise ctx.error(f"unknown fields {sorted(unknown)}", field)
        interval = entry.get("IntervalSeconds", 1)
        attempts = entry.get("MaxAttempts", 3)
        rate = entry.get("BackoffRate", 2.0)
        jitter = entry.get("JitterStrategy", "NONE")
        if not isinstance(interval, int) or interval < 1:
            raise ctx.error("IntervalSeconds must be a positive integer", field)
        if not isinstance(attempts, int) or attempts < 0:
            raise ctx.error("MaxAttempts must be a non-negative integer", field)
        if not isinstance(rate, int | float) or rate < 1.0:
            raise ctx.error("BackoffRate must be >= 1.0", field)
        if jitter not in ("FULL", "NONE"):
            raise ctx.error("JitterStrategy must be FULL or NONE", field)
        max_delay = entry.get("MaxDelaySeconds")
        if max_delay is not None and (not isinstance(max_delay, int) or max_delay < 1):
            raise ctx.error("MaxDelaySeconds must be a positive integer", field)
        retriers.append(Retrier(names, interval, attempts, float(rate), max_delay, jitter))
    return retriers


def parse_catch(raw: dict[str, Any], ctx: ParseContext) -> list[Catcher]:
    catchers = []
    entries = raw.get("Catch", [])
    for i, entry in enumerate(entries):
        field = f"Catch[{i}]"
        names = _error_equals(entry, ctx, field)
        if errors.ALL in names and i != len(entries) - 1:
            raise ctx.error("a catcher with States.ALL must be the last one", field)
        unknown = set(entry) - {"ErrorEquals", "Next", "Output", "Assign", "Comment"}
        if unknown & JSONPATH_ONLY:
            raise ctx.error(f"{sorted(unknown & JSONPATH_ONLY)} are JSONPath fields; use Output", field)
        if unknown:
            raise ctx.error(f"unknown fields {sorted(unknown)}", field)
        if not isinstance(entry.get("Next"), str):
            raise ctx.error("a catcher needs a Next state", field)
        sub = ctx.within(field)
        catchers.append(Catcher(names, entry["Next"], template(entry, "Output", sub), parse_assign(entry, sub)))
    return catchers


class State:
    """A parsed state. Subclasses implement ``run`` (what the state does) and declare their fields."""

    type_name = ""
    fields: frozenset[str] = frozenset()  # beyond COMMON
    terminal = False  # Succeed, Fail and Choice have no Next/End
    has_output = True
    has_assign = True

    def __init__(self, name: str, raw: dict[str, Any], ctx: ParseContext) -> None:
        self.name = name
        self.ctx = ctx
        self.comment = raw.get("Comment")
        self._check_fields(raw)
        self.next: str | None = raw.get("Next")
        self.end = bool(raw.get("End", False))
        if not self.terminal:
            if (self.next is None) == (not self.end):
                raise ctx.error("exactly one of Next or End: true is required")
            if self.next is not None and not isinstance(self.next, str):
                raise ctx.error("must be a state name", "Next")
        self.output = template(raw, "Output", ctx) if self.has_output else None
        self.assign = parse_assign(raw, ctx) if self.has_assign else None
        self.retriers: list[Retrier] = parse_retry(raw, ctx) if "Retry" in self.fields else []
        self.catchers: list[Catcher] = parse_catch(raw, ctx) if "Catch" in self.fields else []

    def _check_fields(self, raw: dict[str, Any]) -> None:
        allowed = COMMON | self.fields
        if self.has_output:
            allowed |= {"Output"}
        if self.has_assign:
            allowed |= {"Assign"}
        if not self.terminal:
            allowed |= {"Next", "End"}
        extra = set(raw) - allowed
        jsonpath = extra & JSONPATH_ONLY
        if jsonpath:
            raise self.ctx.error(
                f"{sorted(jsonpath)} are JSONPath fields, not valid in a JSONata state; use Arguments and Output"
            )
        if extra:
            raise self.ctx.error(f"unknown fields {sorted(extra)} for a {self.type_name} state")

    # -- the parts an execution calls --------------------------------------------------------------------------
    def next_states(self) -> list[str]:
        """Every state this one can move to, for the reachability check."""
        targets = [self.next] if self.next else []
        return targets + [c.next for c in self.catchers]

    def children(self) -> list[Any]:
        """Nested programs (Parallel branches, Map processors), for validation walks."""
        return []

    async def run(self, frame: Frame, state_input: Any, bindings: dict[str, Any]) -> Transition:
        raise NotImplementedError

    def finish(self, frame: Frame, bindings: dict[str, Any], default_output: Any, next_state: str | None,
               output: Template | None = None, assign: dict[str, Template] | None = None,
               default_size: int | None = None) -> Transition:
        """Evaluate Output and Assign against the same bindings (both see the variables as on entry).

        ``default_size``: the measured size of ``default_output``, kept when it becomes the output unchanged.
        """
        output = self.output if output is None else output
        assign = self.assign if assign is None else assign
        result = output.evaluate(bindings) if output is not None else default_output
        if assign:
            frame.scope.assign({name: tpl.evaluate(bindings) for name, tpl in assign.items()})
        return Transition(result, next_state, default_size if output is None else None)

    def find_catcher(self, error: StatesError) -> Catcher | None:
        for catcher in self.catchers:
            if errors.matches(catcher.error_equals, error.error):
                return catcher
        return None
