"""``arn:aws:states:::bedrock:invokeModel``: the optimized Amazon Bedrock integration (request-response).

Developer Guide, connect-bedrock: the arguments are InvokeModel's (``ModelId``, ``ContentType``, ``Accept``, ...)
plus ``Body`` (the model's request, a JSON object; Step Functions does not validate it; up to 256 KiB), or
``Input.S3Uri`` / ``Output.S3Uri`` to read the request from S3 or write the response there. The result is
``{"Body": <the model's JSON response>, "ContentType": ...}`` (the page's example reads ``$.Body...``). Errors are
``Bedrock.<ErrorName>`` (``Bedrock.ThrottlingException``, ``Bedrock.ValidationException`` ...).

Offline only ``Body`` is supported: ``Input`` and ``Output`` fail the task with ``States.Runtime`` saying so. The
call reaches ``Runtime.service("bedrock-runtime")`` (the ``RuntimeSimulator``), counted as
``bedrock-runtime:InvokeModel`` in ``runtime.counters.api_calls``.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from ..errors import StatesError
from .base import REQUEST_RESPONSE, TaskCall, optimized
from .sdk import call

_UNSUPPORTED = ("Input", "Output")


@optimized("bedrock", ["invokeModel"], [REQUEST_RESPONSE])
async def invoke_model(task: TaskCall) -> Any:
    arguments = task.arguments
    if not isinstance(arguments, dict):
        raise StatesError("States.Runtime", "bedrock:invokeModel needs Arguments with ModelId and Body")
    for name in _UNSUPPORTED:
        if name in arguments:
            raise StatesError("States.Runtime", f"bedrock:invokeModel: {name}.S3Uri is not supported offline; "
                          "pass the request in Body")
    if "Body" not in arguments:
        raise StatesError("States.Runtime", "bedrock:invokeModel needs a Body (the model's request)")
    runtime = task.runtime
    runtime.counters.api_calls["bedrock-runtime:InvokeModel"] += 1
    result = call(runtime.service("bedrock-runtime"), runtime.client("bedrock-runtime"), "invokeModel",
                  arguments, "Bedrock")
    body = result.get("Body")
    if isinstance(body, str):
        with contextlib.suppress(json.JSONDecodeError):  # a non-JSON answer stays text
            body = json.loads(body)
    return {"Body": body, "ContentType": result.get("ContentType", "application/json")}
