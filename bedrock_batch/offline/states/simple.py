"""The states that move data and control without calling anything: Pass, Choice, Wait, Succeed, Fail.

Developer Guide: state-pass, state-choice, state-wait, state-succeed, state-fail.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import StatesError
from ..expressions import Template, is_expression
from .base import ParseContext, State, Transition, evaluate_number, number_field, parse_assign, template

if TYPE_CHECKING:
    from ..protocols import Frame


class PassState(State):
    """Passes its input on, or what ``Output`` makes of it."""

    type_name = "Pass"

    async def run(self, frame: Frame, state_input: Any, bindings: dict[str, Any]) -> Transition:
        return self.finish(frame, bindings, state_input, self.next)


class ChoiceRule:
    def __init__(self, raw: dict[str, Any], index: int, ctx: ParseContext) -> None:
        field = f"Choices[{index}]"
        sub = ctx.within(field)
        extra = set(raw) - {"Condition", "Next", "Output", "Assign", "Comment"}
        if extra:
            raise ctx.error(f"unknown fields {sorted(extra)}; a JSONata rule has Condition and Next", field)
        if "Condition" not in raw:
            raise ctx.error("a JSONata choice rule needs a Condition", field)
        condition = raw["Condition"]
        if not (is_expression(condition) or isinstance(condition, bool)):
            raise ctx.error("Condition must be a JSONata expression or a boolean", f"{field}.Condition")
        if not isinstance(raw.get("Next"), str):
            raise ctx.error("a choice rule needs a Next state", field)
        self.condition = Template(condition, f"{sub.path}, field 'Condition'", sub.field_path("Condition"))
        self.next: str = raw["Next"]
        self.output = template(raw, "Output", sub)
        self.assign = parse_assign(raw, sub)


class ChoiceState(State):
    """Moves to the first rule whose Condition holds, else Default, else fails with States.NoChoiceMatched."""

    type_name = "Choice"
    fields = frozenset({"Choices", "Default"})
    terminal = True

    def __init__(self, name: str, raw: dict[str, Any], ctx: ParseContext) -> None:
        super().__init__(name, raw, ctx)
        choices = raw.get("Choices")
        if not isinstance(choices, list) or not choices:
            raise ctx.error("must be a non-empty list of rules", "Choices")
        self.rules = [ChoiceRule(rule, i, ctx) for i, rule in enumerate(choices)]
        self.default: str | None = raw.get("Default")

    def next_states(self) -> list[str]:
        return [r.next for r in self.rules] + ([self.default] if self.default else [])

    async def run(self, frame: Frame, state_input: Any, bindings: dict[str, Any]) -> Transition:
        for rule in self.rules:
            verdict = rule.condition.evaluate(bindings)
            if not isinstance(verdict, bool):
                raise rule.condition.unexpected_type("boolean", verdict)
            if verdict:
                # A matching rule's Output replaces the state's; the state's Assign applies whichever rule
                # matches (state-choice), together with the rule's own (the rule's value wins a shared name).
                assign = {**(self.assign or {}), **(rule.assign or {})}
                return self.finish(frame, bindings, state_input, rule.next, rule.output, assign)
        if self.default is None:
            raise StatesError(errors.NO_CHOICE_MATCHED,
                              f"{self.ctx.path}: no choice rule matched and there is no Default")
        return self.finish(frame, bindings, state_input, self.default)


class WaitState(State):
    """Waits for Seconds or until Timestamp, on the virtual clock."""

    type_name = "Wait"
    fields = frozenset({"Seconds", "Timestamp"})

    def __init__(self, name: str, raw: dict[str, Any], ctx: ParseContext) -> None:
        super().__init__(name, raw, ctx)
        if ("Seconds" in raw) == ("Timestamp" in raw):
            raise ctx.error("exactly one of Seconds or Timestamp is required")
        self.seconds = number_field(raw, "Seconds", ctx)
        self.timestamp = template(raw, "Timestamp", ctx)
        if self.timestamp is not None and self.timestamp.is_constant:
            _parse_timestamp(raw["Timestamp"], f"{ctx.path}, field 'Timestamp'", errors_as=ctx.error)

    async def run(self, frame: Frame, state_input: Any, bindings: dict[str, Any]) -> Transition:
        if self.seconds is not None:
            # An integer from 0 (state-wait); anything else is States.QueryEvaluationError, not a crash.
            delay = float(evaluate_number(self.seconds, bindings, 0, minimum=0) or 0)
        else:
            assert self.timestamp is not None
            value = self.timestamp.evaluate(bindings)
            try:
                when = _parse_timestamp(value, self.timestamp.where)
            except StatesError:
                # Recorded AWS executions: "... cannot be parsed as an ISO-8601 extended offset date-time format
                # string: 2016-12-05 21:29:29Z".
                if not isinstance(value, str):
                    raise self.timestamp.unexpected_type("string", value) from None
                body = self.timestamp.expression.body if self.timestamp.expression else ""
                raise StatesError(errors.QUERY_EVALUATION_ERROR,
                                  f"The JSONata expression '{body}' specified for the field 'Timestamp' returned a "
                                  f"value that cannot be parsed as an ISO-8601 extended offset date-time format "
                                  f"string: {value}") from None
            delay = max(0.0, when.timestamp() - frame.runtime.clock.now())
        await asyncio.sleep(delay)
        return self.finish(frame, bindings, state_input, self.next)


def _parse_timestamp(value: Any, where: str, errors_as: Any = None) -> dt.datetime:
    """An RFC 3339 timestamp with an upper-case T and a time zone, as the Wait state requires."""
    try:
        if not isinstance(value, str) or "T" not in value:
            raise ValueError
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            raise ValueError
        return parsed
    except ValueError:
        message = f"Timestamp must be an RFC 3339 string like 2026-01-31T12:00:00Z, got {value!r}"
        if errors_as is not None:
            raise errors_as(message, "Timestamp") from None
        raise StatesError(errors.QUERY_EVALUATION_ERROR, f"{where}: {message}") from None


class SucceedState(State):
    """Ends the execution (or the branch, or the iteration) successfully."""

    type_name = "Succeed"
    terminal = True
    has_assign = False

    async def run(self, frame: Frame, state_input: Any, bindings: dict[str, Any]) -> Transition:
        return self.finish(frame, bindings, state_input, None)


class FailState(State):
    """Ends the execution (or the branch) with an Error and a Cause."""

    type_name = "Fail"
    fields = frozenset({"Error", "Cause"})
    terminal = True
    has_output = False
    has_assign = False

    def __init__(self, name: str, raw: dict[str, Any], ctx: ParseContext) -> None:
        super().__init__(name, raw, ctx)
        self.error = template(raw, "Error", ctx)
        self.cause = template(raw, "Cause", ctx)

    async def run(self, frame: Frame, state_input: Any, bindings: dict[str, Any]) -> Transition:
        # Recorded AWS executions: a Fail state with only Error (or only Cause) leaves the other out of the
        # failure; it is absent, not "".
        error = self.error.evaluate(bindings) if self.error else None
        cause = self.cause.evaluate(bindings) if self.cause else None
        for tpl, value in ((self.error, error), (self.cause, cause)):
            if tpl is not None and not isinstance(value, str):
                raise tpl.unexpected_type("string", value)
        raise StatesError(error, cause, located=True)
