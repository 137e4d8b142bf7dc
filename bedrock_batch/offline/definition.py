"""Parsing and static validation of a definition, once, before anything runs.

Like CreateStateMachine, a definition with a JSONPath state, an unknown field, a dangling ``Next``, an
unreachable state or a JSONata syntax error is refused with a message naming the state and the field.
Developer Guide: concepts-amazon-states-language, concepts-statemachine-structure.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import json_text
from .errors import DefinitionError
from .states import STATE_TYPES
from .states.base import ParseContext, State

JSONATA = "JSONata"


class Program:
    """A ``StartAt`` and its ``States``: a whole machine, a Parallel branch or a Map's ItemProcessor."""

    def __init__(self, raw: dict[str, Any], ctx: ParseContext) -> None:
        if not isinstance(raw.get("States"), dict) or not raw["States"]:
            raise ctx.error("States must be a non-empty object")
        self.start_at: str = raw.get("StartAt", "")
        if self.start_at not in raw["States"]:
            raise ctx.error(f"StartAt {self.start_at!r} is not a state")
        self.states: dict[str, State] = {}
        for name, body in raw["States"].items():
            if not isinstance(body, dict):
                raise ctx.at(name).error("must be an object")
            if len(name) > 80:
                raise ctx.at(name).error("state names are at most 80 characters")
            language = body.get("QueryLanguage", ctx.query_language)
            state_ctx = ctx.at(name)
            if language != JSONATA:
                raise state_ctx.error(
                    f"uses the {language} query language; this runtime runs JSONata states only "
                    "(set QueryLanguage: JSONata on the state machine or the state)"
                )
            state_ctx.query_language = language
            state_type = STATE_TYPES.get(body.get("Type", ""))
            if state_type is None:
                raise state_ctx.error(f"unknown Type {body.get('Type')!r}; one of {sorted(STATE_TYPES)}", "Type")
            self.states[name] = state_type(name, body, state_ctx)
        self._check_transitions(ctx)

    def _check_transitions(self, ctx: ParseContext) -> None:
        for name, state in self.states.items():
            for target in state.next_states():
                if target not in self.states:
                    raise ctx.at(name).error(f"moves to {target!r}, which is not a state in this scope")
        reachable, todo = set(), [self.start_at]
        while todo:
            name = todo.pop()
            if name in reachable:
                continue
            reachable.add(name)
            todo.extend(self.states[name].next_states())
        unreachable = sorted(set(self.states) - reachable)
        if unreachable:
            raise ctx.at(unreachable[0]).error("is not reachable from StartAt")


class StateMachineDefinition:
    """A parsed, validated definition."""

    def __init__(self, raw: dict[str, Any], execution_type: str = "STANDARD") -> None:
        if not isinstance(raw, dict):
            raise DefinitionError("a definition is a JSON object")
        self.raw = raw
        self.comment = raw.get("Comment")
        self.query_language = raw.get("QueryLanguage", "JSONPath")
        if self.query_language not in (JSONATA, "JSONPath"):
            raise DefinitionError(f"QueryLanguage must be JSONata or JSONPath, got {self.query_language!r}")
        timeout = raw.get("TimeoutSeconds")
        if timeout is not None and (not isinstance(timeout, int) or timeout <= 0):
            raise DefinitionError("TimeoutSeconds must be a positive integer")
        self.timeout_seconds: int | None = timeout
        self.program = Program(raw, ParseContext(self.query_language, "", execution_type, parse_program=Program))

    @classmethod
    def from_json(cls, text: str | bytes | dict[str, Any], execution_type: str = "STANDARD") -> StateMachineDefinition:
        if isinstance(text, dict):
            return cls(text, execution_type)
        try:
            raw = json_text.loads(text)
        except json.JSONDecodeError as err:
            raise DefinitionError(f"the definition is not valid JSON: {err}") from None
        return cls(raw, execution_type)

    @classmethod
    def from_file(cls, path: str | Path, substitutions: dict[str, str] | None = None,
                  execution_type: str = "STANDARD") -> StateMachineDefinition:
        text = Path(path).read_text()
        return cls.from_json(substitute(text, substitutions or {}), execution_type)


def substitute(text: str, substitutions: dict[str, str]) -> str:
    """Fill ``${Name}`` placeholders as SAM's DefinitionSubstitutions do (plain text replacement)."""
    for key, value in substitutions.items():
        text = text.replace("${" + key + "}", str(value))
    return text
