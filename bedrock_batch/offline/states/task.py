"""The Task state: call an integration with Arguments, with TimeoutSeconds and HeartbeatSeconds.

Developer Guide, state-task: TimeoutSeconds (default 99999999) fails the task with ``States.Timeout``;
HeartbeatSeconds must be smaller than TimeoutSeconds; ``$states.context.Task.Token`` exists for
``.waitForTaskToken``; ``$states.result`` is the integration's result in Output and Assign.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import StatesError
from ..integrations import resolve
from ..integrations.base import SYNC, SYNC2, TOKEN, TaskCall
from ..payloads import check_payload, check_result
from .base import ParseContext, State, Transition, evaluate_number, number_field, set_context, set_states, template

if TYPE_CHECKING:
    from ..protocols import Frame

DEFAULT_TIMEOUT_SECONDS = 99999999


class TaskState(State):
    type_name = "Task"
    fields = frozenset({"Resource", "Arguments", "Retry", "Catch", "TimeoutSeconds", "HeartbeatSeconds",
                        "Credentials"})

    def __init__(self, name: str, raw: dict[str, Any], ctx: ParseContext) -> None:
        super().__init__(name, raw, ctx)
        resource = raw.get("Resource")
        if not isinstance(resource, str):
            raise ctx.error("a Task needs a Resource ARN", "Resource")
        self.resource = resource
        self.integration = resolve(resource, f"{ctx.path}, field 'Resource'")
        if ctx.execution_type == "EXPRESS" and self.integration.pattern in (SYNC, SYNC2, TOKEN):
            raise ctx.error(f"Express workflows do not support .{self.integration.pattern}", "Resource")
        self.arguments = template(raw, "Arguments", ctx)
        self.timeout = number_field(raw, "TimeoutSeconds", ctx, minimum=1)
        self.heartbeat = number_field(raw, "HeartbeatSeconds", ctx, minimum=1)
        timeout, heartbeat = raw.get("TimeoutSeconds"), raw.get("HeartbeatSeconds")
        if isinstance(timeout, int) and isinstance(heartbeat, int) and heartbeat >= timeout:
            raise ctx.error("HeartbeatSeconds must be smaller than TimeoutSeconds", "HeartbeatSeconds")

    async def run(self, frame: Frame, state_input: Any, bindings: dict[str, Any]) -> Transition:
        history = frame.execution.history
        token = None
        if self.integration.pattern == TOKEN:
            token = frame.runtime.tokens.issue()
            set_context(bindings, "Task", {"Token": token})
        # Without Arguments, the task receives the state input (the JSONPath default for Parameters; AWS does
        # not document the JSONata default).
        arguments = self.arguments.evaluate(bindings) if self.arguments is not None else state_input
        if self.arguments is not None:  # without Arguments, the state input, which is within the limit already
            check_payload(arguments, f"the arguments of state '{self.name}'")
        timeout = evaluate_number(self.timeout, bindings, DEFAULT_TIMEOUT_SECONDS, minimum=1)
        heartbeat = evaluate_number(self.heartbeat, bindings, None, minimum=1)
        call = TaskCall(frame, self.name, self.resource, self.integration.service, self.integration.action,
                        self.integration.pattern, arguments, token)
        history.add("TaskScheduled", resource=self.resource, parameters=arguments)
        history.add("TaskStarted", resource=self.resource)
        try:
            result = await asyncio.wait_for(self._call(call, heartbeat), timeout)
        except TimeoutError:
            history.add("TaskTimedOut", resource=self.resource)
            raise StatesError(errors.TIMEOUT, f"the task ran longer than {timeout} seconds") from None
        except StatesError as err:
            history.add("TaskFailed", resource=self.resource, error=err.error, cause=err.cause)
            raise
        size = check_result(self.name, result)
        history.add("TaskSucceeded", resource=self.resource, output=result)
        set_states(bindings, result=result)
        return self.finish(frame, bindings, result, self.next, default_size=size)

    async def _call(self, call: TaskCall, heartbeat: float | None) -> Any:
        try:
            result = await self.integration.handler(call)
        except BaseException:
            if call.token is not None:  # the callback never started: a later SendTask* is TaskTimedOut
                call.frame.runtime.tokens.close(call.token)
            raise
        if call.token is None:
            return result
        history = call.frame.execution.history
        history.add("TaskSubmitted", resource=self.resource)
        return await call.frame.runtime.tokens.wait(call.token, heartbeat)
