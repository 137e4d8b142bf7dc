"""What every Task integration shares: the call it receives, its patterns, and the registry it joins.

An integration module registers its handlers with ``@optimized(service, actions, patterns)``; ``resolve`` in
``integrations/__init__.py`` finds them by the resource ARN. A handler reaches the runtime through
``TaskCall.runtime`` (``protocols.Runtime``), never by importing it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..protocols import Frame, Runtime

REQUEST_RESPONSE, SYNC, SYNC2, TOKEN = "", "sync", "sync:2", "waitForTaskToken"


@dataclass
class TaskCall:
    frame: Frame
    state_name: str
    resource: str
    service: str
    action: str
    pattern: str
    arguments: Any
    token: str | None = None

    @property
    def runtime(self) -> Runtime:
        return self.frame.runtime


Handler = Callable[[TaskCall], Awaitable[Any]]

# (service, action) of an optimized integration -> its handler and the patterns it supports
OPTIMIZED: dict[tuple[str, str], tuple[Handler, frozenset[str]]] = {}


def optimized(service: str, actions: list[str], patterns: list[str]) -> Callable[[Handler], Handler]:
    """Register an optimized integration for ``arn:aws:states:::<service>:<action>[.<pattern>]``."""

    def register(handler: Handler) -> Handler:
        for action in actions:
            OPTIMIZED[(service, action)] = (handler, frozenset(patterns))
        return handler

    return register
