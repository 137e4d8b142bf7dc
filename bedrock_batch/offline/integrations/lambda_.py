"""``lambda:invoke``: runs a handler from ``functions/`` in process.

Developer Guide, connect-lambda: the result is ``{ExecutedVersion, Payload, StatusCode}``; an unhandled
function error fails the task with the error type as the error name (``ValueError``) and a JSON cause holding
``errorMessage``, ``errorType`` and ``stackTrace``; ``Lambda.ResourceNotFoundException`` for an unknown function.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import time
import traceback
from typing import Any

from .. import json_text
from ..errors import StatesError
from .base import REQUEST_RESPONSE, TOKEN, TaskCall, optimized


class LambdaContext:
    """The bits of the Lambda context object handlers commonly read."""

    def __init__(self, name: str, timeout_ms: int = 900_000) -> None:
        self.function_name = name
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        self.memory_limit_in_mb = 1024
        self.aws_request_id = "offline"
        self._deadline = time.monotonic() + timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


async def run_function(task: TaskCall, name: str, payload: Any) -> Any:
    runtime = task.runtime
    handler = runtime.lambda_handler(name)
    if handler is None:
        raise StatesError("Lambda.ResourceNotFoundException", f"Function not found: {name}")
    runtime.counters.lambda_invocations += 1
    started = time.perf_counter()
    try:
        # A handler is synchronous code; it runs to completion while virtual time stands still.
        result = handler(copy.deepcopy(payload), LambdaContext(name.rsplit(":", 1)[-1]))
    except Exception as err:  # the function's own failure, reported as Lambda reports it
        cause = {"errorMessage": str(err), "errorType": type(err).__name__,
                 "stackTrace": traceback.format_exception(err)[-3:]}
        raise StatesError(type(err).__name__, json.dumps(cause)) from None
    finally:
        runtime.counters.lambda_duration_ms += (time.perf_counter() - started) * 1000
    await asyncio.sleep(0)
    text = json.dumps(result, default=str)  # what the Python runtime sends: NaN and Infinity included
    try:
        return json_text.loads(text)
    except json.JSONDecodeError as err:  # stricter reading (docs/fidelity.md): Step Functions reads JSON
        raise StatesError("States.Runtime", f"The result of function {name} is not JSON: {err}") from None


@optimized("lambda", ["invoke"], [REQUEST_RESPONSE, TOKEN])
async def invoke(task: TaskCall) -> Any:
    arguments = task.arguments or {}
    name = arguments.get("FunctionName")
    if not isinstance(name, str):
        raise StatesError("States.Runtime", "lambda:invoke needs a FunctionName")
    payload = arguments.get("Payload", {})
    if isinstance(payload, str):
        with contextlib.suppress(json.JSONDecodeError):
            payload = json_text.loads(payload)
    result = await run_function(task, name, payload)
    return {"ExecutedVersion": "$LATEST", "Payload": result, "StatusCode": 200}


async def invoke_by_arn(task: TaskCall) -> Any:
    """A Lambda function ARN as the Resource: the function's own result is the task result."""
    return await run_function(task, task.resource, task.arguments)
