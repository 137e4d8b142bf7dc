"""Executions and the loop that moves through states.

Developer Guide: concepts-state-machine-executions (statuses, the 1-year and 5-minute limits of Standard and
Express workflows), concepts-error-handling (Retry before Catch, each retrier counting its own attempts,
the first matching retrier or catcher wins), input-output-contextobject (``$states.context``).
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import errors
from .definition import Program, StateMachineDefinition
from .distributed.map_run import run_map_run
from .errors import StatesError
from .history import History
from .payloads import PayloadText, check_payload, measured_text
from .states.base import State, Transition, set_states
from .variables import VariableScope

if TYPE_CHECKING:
    from .protocols import Runtime

# Maximum execution duration (Developer Guide, service quotas): one year for Standard, five minutes for Express.
MAX_DURATION = {"STANDARD": 365 * 24 * 3600.0, "EXPRESS": 300.0}


@dataclass
class StateMachine:
    arn: str
    name: str
    definition: StateMachineDefinition
    type: str = "STANDARD"
    role_arn: str = ""


@dataclass(eq=False)
class Execution:
    runtime: Runtime
    machine: StateMachine
    arn: str
    name: str
    input: Any
    type: str
    history: History
    parent: Execution | None = None
    status: str = "RUNNING"
    output: Any = None
    error: str | None = None
    cause: str | None = None
    start: float = 0.0
    stop: float | None = None
    transitions: int = 0
    task: asyncio.Task[Any] | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)
    rng: random.Random = field(default_factory=random.Random)
    input_size: int | None = None  # the input's payload size, when whoever started the execution measured it
    # A map run that writes this child's output with its ResultWriter asks for the output's text as it is measured
    # ("COMPACT": the whole output's, "FLATTEN": each item's): ``output_text``, None where it was not written.
    output_form: str | None = None
    output_text: PayloadText | None = None

    def describe(self) -> dict[str, Any]:
        """Like DescribeExecution: Input and Output as JSON strings."""
        clock = self.runtime.clock
        out: dict[str, Any] = {
            "executionArn": self.arn,
            "stateMachineArn": self.machine.arn,
            "name": self.name,
            "status": self.status,
            "startDate": clock.iso_at(self.start),
            "input": json.dumps(self.input),
        }
        if self.stop is not None:
            out["stopDate"] = clock.iso_at(self.stop)
        if self.status == "SUCCEEDED":
            out["output"] = json.dumps(self.output)
        if self.error is not None:
            out["error"] = self.error
        if self.cause is not None:
            out["cause"] = self.cause
        return out

    def result(self) -> dict[str, Any]:
        """The ``run-asl`` answer: status, output, error and cause."""
        return {"status": self.status, "output": self.output, "error": self.error, "cause": self.cause}

    # -- the context object ------------------------------------------------------------------------------------
    def context(self, state_name: str, entered: str, retry_count: int) -> dict[str, Any]:
        clock = self.runtime.clock
        return {
            "Execution": {
                "Id": self.arn,
                "Input": self.input,
                "Name": self.name,
                "RoleArn": self.machine.role_arn,
                "StartTime": clock.iso_at(self.start),
                "RedriveCount": 0,
            },
            "StateMachine": {"Id": self.machine.arn, "Name": self.machine.name},
            "State": {"Name": state_name, "EnteredTime": entered, "RetryCount": retry_count},
        }


@dataclass
class Frame:
    """Where a program runs: its execution and the variable scope it reads and assigns."""

    runtime: Runtime
    execution: Execution
    scope: VariableScope
    top: bool = False  # the execution's own program (not a Parallel branch or an inline Map iteration)

    def bindings(self, state: State, state_input: Any, entered: str, retry_count: int) -> dict[str, Any]:
        """What every expression of a state sees: ``$states`` and the variables, as on state entry."""
        variables = self.scope.visible()
        states = {"input": state_input, "context": self.execution.context(state.name, entered, retry_count)}
        return {**variables, "states": states}

    def child(self) -> Frame:
        """A Parallel branch or an inline Map iteration: a new scope that reads this one."""
        return Frame(self.runtime, self.execution, VariableScope(self.scope))

    # What states run through their frame (protocols.Frame), so that states need not import this module.
    async def run_program(self, program: Program, program_input: Any) -> Any:
        return await run_program(self, program, program_input)

    @staticmethod
    async def gather_or_stop_all(coroutines: list[Any]) -> list[Any]:
        return await gather_or_stop_all(coroutines)

    async def run_map_run(self, state: Any, state_input: Any, bindings: dict[str, Any]) -> Any:
        return await run_map_run(state, self, state_input, bindings)


async def run_program(frame: Frame, program: Program, program_input: Any, input_size: int | None = None) -> Any:
    """Run from StartAt until a state ends the program; returns its output or raises its StatesError.

    ``input_size``: the input's payload size when already measured; each state's output size is passed on the
    same way, so that a state whose output is its input (a Choice, a Pass with Assign only) is not measured again.
    """
    name: str | None = program.start_at
    data, size = program_input, input_size
    while name is not None:
        state = program.states[name]
        transition = await run_state(frame, state, data, size)
        name, data, size = transition.next, transition.output, transition.size
    return data


async def run_state(frame: Frame, state: State, state_input: Any, input_size: int | None = None) -> Transition:
    execution = frame.execution
    history = execution.history
    entered_id = history.add(f"{state.type_name}StateEntered", name=state.name, input=state_input)
    execution.transitions += 1
    entered = frame.runtime.clock.iso()
    attempts = [0] * len(state.retriers)
    retry_count = 0
    while True:
        bindings = frame.bindings(state, state_input, entered, retry_count)
        try:
            transition = await state.run(frame, state_input, bindings)
            if transition.size is None and transition.output is state_input:
                # The very input object (states never change a value in place: they copy before they change
                # one), so the size measured for it before is its size now.
                transition.size = input_size
            text = None
            if transition.next is None and transition.size is None and frame.top and execution.output_form:
                # The execution's output: measured from the text its map run's ResultWriter will write.
                transition.size, text = measured_text(transition.output, execution.output_form == "FLATTEN")
            transition.size = check_payload(transition.output, f"the output of state '{state.name}'",
                                            transition.size)
            history.add(f"{state.type_name}StateExited", name=state.name, output=transition.output)
            if text is not None:
                execution.output_text = text
            return transition
        except StatesError as err:
            err.locate(state.name, entered_id)
            retrier = next((i for i, r in enumerate(state.retriers) if errors.matches(r.error_equals, err.error)), None)
            if retrier is not None and attempts[retrier] < state.retriers[retrier].max_attempts:
                delay = state.retriers[retrier].delay(attempts[retrier], execution.rng)
                attempts[retrier] += 1
                retry_count += 1
                execution.transitions += 1  # a retry is billed as a state transition
                history.add("StateRetryScheduled", name=state.name, error=err.error, delaySeconds=delay)
                await asyncio.sleep(delay)
                continue
            catcher = state.find_catcher(err)
            if catcher is None:
                raise
            set_states(bindings, errorOutput=err.as_output())
            try:
                output = catcher.output.evaluate(bindings) if catcher.output else err.as_output()
                size = check_payload(output, f"the output of state '{state.name}'")  # the next state's input
                if catcher.assign:
                    frame.scope.assign({n: t.evaluate(bindings) for n, t in catcher.assign.items()})
            except StatesError as catch_err:
                catch_err.locate(state.name, entered_id)
                raise
            history.add(f"{state.type_name}StateExited", name=state.name, output=output, caught=err.error)
            return Transition(output, catcher.next, size)


async def gather_or_stop_all(coroutines: list[Any]) -> list[Any]:
    """Run together; the first failure stops the others (Parallel branches, inline Map iterations) and is raised."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def run_execution(execution: Execution, scope: VariableScope | None = None) -> None:
    """Run a whole execution to a final status; never raises for a failure of the workflow itself."""
    runtime = execution.runtime
    history = execution.history
    history.add("ExecutionStarted", input=execution.input, roleArn=execution.machine.role_arn)
    frame = Frame(runtime, execution, scope or VariableScope(), top=True)
    limit = MAX_DURATION[execution.type]
    if execution.machine.definition.timeout_seconds:
        limit = min(limit, execution.machine.definition.timeout_seconds)
    try:
        size = check_payload(execution.input, "the execution input", execution.input_size)
        output = await asyncio.wait_for(run_program(frame, execution.machine.definition.program, execution.input,
                                                    size), limit)
        history.add("ExecutionSucceeded", output=output)
        execution.status, execution.output = "SUCCEEDED", output
    except StatesError as err:
        execution.status, execution.error, execution.cause = "FAILED", err.error, err.cause
        history.add("ExecutionFailed", error=err.error, cause=err.cause)
    except TimeoutError:
        execution.status, execution.error = "TIMED_OUT", errors.TIMEOUT
        execution.cause = f"The execution ran longer than {limit:g} seconds"
        history.add("ExecutionTimedOut", error=errors.TIMEOUT, cause=execution.cause)
    except asyncio.CancelledError:
        execution.status = "ABORTED"
        history.add("ExecutionAborted")
    except Exception as err:  # a fault of the offline runtime itself: the execution fails, it never stays RUNNING
        execution.status, execution.error = "FAILED", errors.RUNTIME
        execution.cause = f"The offline runtime failed: {type(err).__name__}: {err}"
        history.add("ExecutionFailed", error=execution.error, cause=execution.cause)
    finally:
        execution.stop = runtime.clock.now()
        runtime.counters.state_transitions[execution.type] += execution.transitions
        if execution.type == "EXPRESS":
            # Virtual time only (Waits, retries, task waits): compute time here says nothing of AWS latency,
            # so the cost model estimates that part from the counted transitions and API calls.
            runtime.counters.express_duration_ms += (execution.stop - execution.start) * 1000
        execution.done.set()
        runtime.execution_finished(execution)


def new_execution_name() -> str:
    return str(uuid.uuid4())
