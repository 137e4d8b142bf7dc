"""Task tokens: ``.waitForTaskToken`` and SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat.

Developer Guide, connect-to-resource (wait for a callback with a task token): the task pauses until a token
comes back; ``HeartbeatSeconds`` fails it with ``States.HeartbeatTimeout`` when no heartbeat arrives in time;
an unknown or finished token is ``TaskDoesNotExist`` / ``InvalidToken`` for the sender.
"""

from __future__ import annotations

import asyncio
import base64
import os
from typing import Any

from .. import errors
from ..errors import StatesError


class TaskTokens:
    def __init__(self) -> None:
        self._waiting: dict[str, asyncio.Queue[tuple[str, Any]]] = {}  # open tokens
        self._queues: dict[str, asyncio.Queue[tuple[str, Any]]] = {}  # every token a task may still wait on
        self._closed: set[str] = set()  # tokens whose task has finished (SendTask* answers TaskTimedOut)

    def issue(self) -> str:
        token = base64.urlsafe_b64encode(os.urandom(48)).decode()
        self._waiting[token] = self._queues[token] = asyncio.Queue()
        return token

    async def wait(self, token: str, heartbeat_seconds: float | None) -> Any:
        # The queue outlives the token's open state: a success or failure closes the token at once (the API
        # answers TaskTimedOut to any later call), and this task still reads that last message.
        queue = self._queues[token]
        try:
            while True:
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation (the task's
                # TimeoutSeconds) that arrives in the same loop step as a heartbeat, and the task never times out.
                try:
                    async with asyncio.timeout(heartbeat_seconds):
                        kind, value = await queue.get()
                except TimeoutError:
                    raise StatesError(errors.HEARTBEAT_TIMEOUT,
                                      f"no heartbeat within {heartbeat_seconds:g} seconds") from None
                if kind == "success":
                    return value
                if kind == "failure":
                    raise StatesError(*value)
                # a heartbeat: keep waiting, with the heartbeat timer started afresh
        finally:
            self._waiting.pop(token, None)
            self._queues.pop(token, None)
            self._closed.add(token)

    def _send(self, token: str, message: tuple[str, Any], closes: bool = False) -> None:
        queue = self._waiting.get(token)
        if queue is None:
            raise KeyError("TaskDoesNotExist: the task token is unknown or the task has already finished")
        queue.put_nowait(message)
        if closes:
            # SendTaskSuccess/Failure close the task when they are accepted, not when the task next runs.
            self._waiting.pop(token, None)
            self._closed.add(token)

    def send_success(self, token: str, output: Any) -> None:
        self._send(token, ("success", output), closes=True)

    def send_failure(self, token: str, error: str = "", cause: str = "") -> None:
        self._send(token, ("failure", (error, cause)), closes=True)

    def send_heartbeat(self, token: str) -> None:
        self._send(token, ("heartbeat", None))

    def pending(self) -> list[str]:
        return list(self._waiting)

    def close(self, token: str) -> None:
        """The task gave up before waiting (its integration call failed): the token is closed, not open."""
        self._queues.pop(token, None)
        if self._waiting.pop(token, None) is not None:
            self._closed.add(token)

    def status(self, token: str) -> str:
        """``"open"`` (its task waits), ``"closed"`` (issued, its task has finished) or ``"unknown"``."""
        if token in self._waiting:
            return "open"
        return "closed" if token in self._closed else "unknown"
