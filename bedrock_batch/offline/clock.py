"""A virtual clock: an asyncio event loop whose time jumps forward instead of sleeping.

A Wait of six hours, a Bedrock job that runs for nine, a retry backoff of a minute: all of them take no real
time. The loop runs every ready callback first; when only timers are left, the clock moves straight to the
earliest one. Everything in the runtime (executions, the Bedrock simulator, event delivery) schedules its work
on this loop, so virtual time is shared and consistent.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import selectors
import time
from collections.abc import Callable
from typing import Any


class _JumpingSelector(selectors.DefaultSelector):
    """A selector that never blocks: a wait for ``timeout`` seconds advances the clock instead."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self._clock = clock

    def select(self, timeout: float | None = None):  # type: ignore[override]
        ready = super().select(0)
        if ready:
            return ready
        if timeout != 0 and self._clock.run_idle_hooks():
            return []  # a hook made work at the current instant: run it before time moves on
        if timeout is None:
            # Nothing is ready and no timer is set: nothing can ever happen again.
            raise ClockStalled("the event loop is idle with no timer set")
        if timeout > 0:
            self._clock.advance(timeout)
        return []


class ClockStalled(RuntimeError):
    """Raised when every task waits on something that no timer or callback will ever provide."""


class VirtualClock:
    """Seconds since the epoch, in virtual time, plus the event loop that runs on it."""

    def __init__(self, start: float | None = None) -> None:
        self._epoch_start = time.time() if start is None else start
        self._elapsed = 0.0
        self._idle_hooks: list[Callable[[], bool]] = []
        self.loop = _VirtualLoop(self)

    # -- reading the time -------------------------------------------------------------------------
    def monotonic(self) -> float:
        """Virtual seconds since the clock was created (what the event loop uses)."""
        return self._elapsed

    def now(self) -> float:
        """Virtual wall time, seconds since the epoch."""
        return self._epoch_start + self._elapsed

    def datetime(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.now(), tz=dt.UTC)

    def iso(self) -> str:
        """ISO 8601 with milliseconds and a Z, as Step Functions writes timestamps."""
        return self.iso_at(self.now())

    @staticmethod
    @functools.lru_cache(maxsize=4096)
    def iso_at(epoch_seconds: float) -> str:
        """``iso`` of a moment; kept for the last few thousand moments: virtual time stands still while every state
        entered at one instant (a map run's thousands of children) asks for the same few timestamps."""
        moment = dt.datetime.fromtimestamp(epoch_seconds, tz=dt.UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

    def seconds_to_next_timer(self) -> float:
        live = [h.when() for h in self.loop._scheduled if not h.cancelled()]  # noqa: SLF001
        return max(0.0, min(live) - self.monotonic()) if live else 0.0

    def has_pending_timers(self) -> bool:
        """Whether any timer is still set (a Wait, a retry backoff, a simulated job's next step)."""
        return any(not handle.cancelled() for handle in self.loop._scheduled)  # noqa: SLF001

    # -- idle hooks -------------------------------------------------------------------------------------------
    def add_idle_hook(self, hook: Callable[[], bool]) -> None:
        """Call ``hook`` whenever nothing is ready to run, before the clock moves on.

        Asynchronous deliveries (EventBridge to a state machine, for one) happen there: once everything
        at the current instant has settled. A hook returns True when it scheduled new work.
        """
        self._idle_hooks.append(hook)

    def run_idle_hooks(self) -> bool:
        busy = False
        for hook in self._idle_hooks:
            busy = hook() or busy
        return busy

    # -- moving the time --------------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock cannot go back")
        self._elapsed += seconds

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> asyncio.TimerHandle:
        """Run ``callback(*args)`` after ``delay`` virtual seconds."""
        return self.loop.call_later(max(0.0, delay), callback, *args)

    def call_soon(self, callback: Callable[..., Any], *args: Any) -> asyncio.Handle:
        return self.loop.call_soon(callback, *args)

    def run(self, awaitable: Any) -> Any:
        """Run a coroutine to completion on the virtual loop."""
        return self.loop.run_until_complete(awaitable)

    def close(self) -> None:
        self.loop.close()


class _VirtualLoop(asyncio.SelectorEventLoop):
    def __init__(self, clock: VirtualClock) -> None:
        self._virtual_clock = clock
        super().__init__(_JumpingSelector(clock))
        # asyncio runs a timer once time() + _clock_resolution passes its due time. The monotonic clock's 1 ns is
        # below a float's precision once virtual time reaches months (2^-28 s at a year), so a timer due at the
        # very instant the clock jumps to would never run; one microsecond holds for centuries of virtual time.
        self._clock_resolution = 1e-6

    def time(self) -> float:
        return self._virtual_clock.monotonic()


def current_time() -> float:
    """Seconds since the epoch: the virtual time when a virtual clock's loop is running here, else the real time.

    What code that runs on the loop (a state's JSONata ``$now()``, for one) reads without being handed the clock.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return time.time()
    return loop._virtual_clock.now() if isinstance(loop, _VirtualLoop) else time.time()  # noqa: SLF001
