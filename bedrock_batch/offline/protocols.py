"""What the lower layers need from the execution loop and the runtime, named here rather than imported.

The runtime is layered like an interpreter (tests/runtime/test_layering.py): states and integrations sit below
the execution loop and the runtime that drive them, so they cannot import ``execution.Frame`` or
``runtime.Runtime``. They name these protocols instead, and ``execution.Frame`` and ``runtime.Runtime`` satisfy
them (test_layering checks it). A member belongs here only when a lower layer uses it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol, runtime_checkable

from .clock import VirtualClock
from .history import Counters, History
from .variables import VariableScope


class Program(Protocol):
    """A parsed ``StartAt`` and ``States``: a whole machine, a Parallel branch or a Map's ItemProcessor."""

    start_at: str
    states: dict[str, Any]


class TaskTokens(Protocol):
    """The runtime's task tokens (``integrations.task_tokens.TaskTokens``), as a Task and the SFN API use them."""

    def issue(self) -> str: ...
    async def wait(self, token: str, heartbeat_seconds: float | None) -> Any: ...
    def close(self, token: str) -> None: ...
    def status(self, token: str) -> str: ...


class StateMachine(Protocol):
    arn: str
    name: str
    type: str
    role_arn: str


@runtime_checkable
class Execution(Protocol):
    """One execution, as a Task that started it, a map run and the Step Functions API read it."""

    machine: StateMachine
    arn: str
    name: str
    input: Any
    status: str
    output: Any
    error: str | None
    cause: str | None
    start: float
    stop: float | None
    history: History
    done: asyncio.Event

    def describe(self) -> dict[str, Any]: ...


@runtime_checkable
class Runtime(Protocol):
    """The offline Step Functions service: clients, the clock, counters, executions and task tokens."""

    clock: VirtualClock
    counters: Counters
    config: Any  # a runtime.RuntimeConfig
    tokens: TaskTokens
    machines: dict[str, StateMachine]
    executions: dict[str, Execution]

    def client(self, service: str) -> Any: ...
    def service(self, service: str) -> Any: ...
    def lambda_handler(self, name_or_arn: str) -> Callable[[Any, Any], Any] | None: ...
    def start_execution(self, machine_arn: str, input_: Any = None, name: str | None = None) -> Any: ...
    def stop_execution(self, arn: str) -> None: ...
    def child_machine(self, parent: Any, map_state: Any, label: str | None = None) -> Any: ...
    def start_child_execution(self, machine: Any, input_: Any, name: str, parent: Any,
                              input_size: int | None = None, output_form: str | None = None) -> Any: ...
    def send_task_success(self, token: str, output: Any) -> None: ...
    def send_task_failure(self, token: str, error: str = "", cause: str = "") -> None: ...
    def send_task_heartbeat(self, token: str) -> None: ...
    def execution_finished(self, execution: Any) -> None: ...


@runtime_checkable
class Frame(Protocol):
    """Where a state runs, and how it runs what it contains: the interpreter's environment, as states see it.

    Parallel and Map run their nested programs through ``run_program`` and ``gather_or_stop_all``, a Distributed
    Map its map run through ``run_map_run``: the execution loop provides them, so states do not import it.
    """

    runtime: Runtime
    execution: Execution
    scope: VariableScope

    def child(self) -> Frame: ...
    def run_program(self, program: Program, program_input: Any) -> Awaitable[Any]: ...
    def gather_or_stop_all(self, coroutines: list[Coroutine[Any, Any, Any]]) -> Awaitable[list[Any]]: ...
    def run_map_run(self, state: Any, state_input: Any, bindings: dict[str, Any]) -> Awaitable[Any]: ...
