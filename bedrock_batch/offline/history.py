"""Execution history and counters.

The events mirror GetExecutionHistory (API Reference, HistoryEvent): an ``id``, the ``previousEventId``, a
``timestamp`` and a ``type`` such as ``TaskStateEntered`` or ``MapRunStarted``, with details. The counters feed
the benchmarks and the cost model: state transitions are what Standard workflows are billed for (Developer
Guide, concepts-transitions), and retries count as transitions.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from . import errors
from .clock import VirtualClock
from .errors import StatesError

# Developer Guide, bp-history-limit and service quotas: a Standard execution's history holds at most 25,000 events.
# Once it has 24,999, event 25,000 may be ExecutionSucceeded; any other event fails the execution instead, with
# ExecutionFailed as event 25,000 (States.Runtime, the cause below, recorded from AWS executions).
MAX_HISTORY_EVENTS = 25_000
HISTORY_LIMIT_CAUSE = f"The execution reached the maximum number of history events ({MAX_HISTORY_EVENTS})."
# The events that close an execution, the only ones that may be event 25,000.
_CLOSING = frozenset({"ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"})


@dataclass
class HistoryEvent:
    id: int
    previous_event_id: int
    timestamp: dt.datetime
    type: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "previousEventId": self.previous_event_id,
            "timestamp": self.timestamp.isoformat(),
            "type": self.type,
            **self.details,
        }


class History:
    """One execution's events; Express executions keep counters only, as AWS keeps no history for them.

    ``max_events``: the history limit (Standard executions); adding an event past it raises ``States.Runtime``,
    which no Retry or Catch can recover from: every later event would be past the limit as well.
    """

    def __init__(self, clock: VirtualClock, keep_events: bool = True, max_events: int | None = None) -> None:
        self._clock = clock
        self.keep_events = keep_events
        self.max_events = max_events
        self.events: list[HistoryEvent] = []
        self.counts: Counter[str] = Counter()
        self._last_id = 0

    def add(self, type_: str, **details: Any) -> int:
        """Record one event; returns its id (a state's error cause names the id of its entered event)."""
        if self.max_events is not None and self._last_id + 1 >= self.max_events and type_ not in _CLOSING:
            raise StatesError(errors.RUNTIME, HISTORY_LIMIT_CAUSE)
        self.counts[type_] += 1
        self._last_id += 1
        if self.keep_events:
            self.events.append(HistoryEvent(self._last_id, self._last_id - 1, self._clock.datetime(), type_, details))
        return self._last_id

    def types(self) -> list[str]:
        return [e.type for e in self.events]


@dataclass
class Counters:
    """What one runtime counted across every execution it ran, for benchmarks and the cost model."""

    state_transitions: Counter[str] = field(default_factory=Counter)  # by execution type
    executions: Counter[str] = field(default_factory=Counter)  # started, by execution type
    express_duration_ms: float = 0.0  # real time spent running Express executions
    lambda_invocations: int = 0
    lambda_duration_ms: float = 0.0
    api_calls: Counter[str] = field(default_factory=Counter)  # "service:Operation"
    map_runs: int = 0
    child_executions: Counter[str] = field(default_factory=Counter)  # by execution type
    children_by_map: Counter[str] = field(default_factory=Counter)  # by Distributed Map state name

    def as_dict(self) -> dict[str, Any]:
        return {
            "state_transitions": dict(self.state_transitions),
            "executions": dict(self.executions),
            "express_duration_ms": round(self.express_duration_ms, 3),
            "lambda_invocations": self.lambda_invocations,
            "lambda_duration_ms": round(self.lambda_duration_ms, 3),
            "api_calls": dict(self.api_calls),
            "map_runs": self.map_runs,
            "child_executions": dict(self.child_executions),
            "children_by_map": dict(self.children_by_map),
        }
