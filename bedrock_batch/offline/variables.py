"""Workflow variables (``Assign``) and their scopes.

Developer Guide, "Passing data between states with variables" (workflow-variables): the top-level states share
one scope; a Parallel branch or a Map iteration gets a scope of its own that reads the outer ones; a Distributed
Map child execution starts with no outer scope at all. New values take effect when the assigning state ends,
so every expression of a state (Output and Assign alike) reads the values as they were on entry.
"""

from __future__ import annotations

from typing import Any

from jsonata.utils import Utils

NULL = Utils.NULL_VALUE

RESERVED = frozenset({"states"})


class VariableScope:
    __slots__ = ("parent", "values")

    def __init__(self, parent: VariableScope | None = None) -> None:
        self.parent = parent
        self.values: dict[str, Any] = {}

    def visible(self) -> dict[str, Any]:
        """Every variable this scope can read; inner names shadow outer ones."""
        if self.parent is None:
            return self.values
        merged = dict(self.parent.visible())
        merged.update(self.values)
        return merged

    def assign(self, values: dict[str, Any]) -> None:
        """Assign in this scope: an inner scope's assignments never leak into its parent.

        A variable assigned null holds null, not undefined (recorded AWS executions): JSONata reads a bound
        ``None`` as undefined, so null is kept as JSONata's own null value.
        """
        self.values.update({k: NULL if v is None else v for k, v in values.items()})
