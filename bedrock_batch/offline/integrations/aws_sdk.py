"""``arn:aws:states:::aws-sdk:<service>:<action>``: any API of any service the runtime's endpoint serves."""

from __future__ import annotations

from typing import Any

from .base import TaskCall
from .sdk import BOTO3_SERVICE, call, operation_name, sdk_error_prefix


async def invoke(task: TaskCall) -> Any:
    service = BOTO3_SERVICE.get(task.service, task.service)
    runtime = task.runtime
    runtime.counters.api_calls[f"{service}:{operation_name(task.action)}"] += 1
    result = call(runtime.service(service), runtime.client(service), task.action, task.arguments,
                  sdk_error_prefix(task.service))
    return result
