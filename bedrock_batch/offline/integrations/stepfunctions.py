"""``states:startExecution`` with request-response, ``.sync``, ``.sync:2`` and ``.waitForTaskToken``.

Developer Guide, connect-stepfunctions: request-response returns ``{ExecutionArn, StartDate}``; ``.sync``
waits and returns the DescribeExecution result with ``Output`` as a JSON string, ``.sync:2`` with ``Output``
as JSON; a child that fails, times out or is aborted fails the task with ``States.TaskFailed`` and the
DescribeExecution result as the cause.
"""

from __future__ import annotations

import json
from typing import Any

from .. import errors, json_text
from ..errors import ExecutionAlreadyExists, StatesError
from .base import REQUEST_RESPONSE, SYNC, SYNC2, TOKEN, TaskCall, optimized


@optimized("states", ["startExecution"], [REQUEST_RESPONSE, SYNC, SYNC2, TOKEN])
async def start_execution(task: TaskCall) -> Any:
    arguments = task.arguments or {}
    runtime = task.runtime
    machine_arn = arguments.get("StateMachineArn")
    child_input = arguments.get("Input", {})
    if isinstance(child_input, str):  # the API's own type: a JSON text, refused as StartExecution refuses it
        try:
            child_input = json_text.loads(child_input)
        except json.JSONDecodeError as err:
            raise StatesError("StepFunctions.InvalidExecutionInputException",
                              f"Invalid State Machine Execution Input: '{err}'") from None
    try:
        execution = runtime.start_execution(machine_arn, child_input, name=arguments.get("Name"))
    except KeyError:
        raise StatesError("StepFunctions.StateMachineDoesNotExistException",
                          f"State Machine Does Not Exist: '{machine_arn}'") from None
    except ExecutionAlreadyExists as err:
        raise StatesError("StepFunctions.ExecutionAlreadyExistsException", str(err)) from None
    runtime.counters.api_calls["stepfunctions:StartExecution"] += 1
    if task.pattern in (REQUEST_RESPONSE, TOKEN):
        return {"ExecutionArn": execution.arn, "StartDate": runtime.clock.iso_at(execution.start)}
    await execution.done.wait()
    described = {k[:1].upper() + k[1:]: v for k, v in execution.describe().items()}
    if execution.status != "SUCCEEDED":
        raise StatesError(errors.TASK_FAILED, json.dumps(described))
    if task.pattern == SYNC2:
        described["Output"] = execution.output
        described["Input"] = execution.input
    assert task.pattern in (SYNC, SYNC2)
    return described
