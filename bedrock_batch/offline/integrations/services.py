"""Optimized integrations for S3, DynamoDB, SQS and EventBridge.

Developer Guide: connect-ddb (GetItem, PutItem, UpdateItem, DeleteItem; errors ``DynamoDB.*``), connect-sqs
(SendMessage, a JSON MessageBody is serialised), connect-eventbridge (PutEvents, a JSON Detail is serialised,
a failed entry fails the task with ``EventBridge.FailedEntry``).
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import StatesError
from .base import REQUEST_RESPONSE, TOKEN, TaskCall, optimized
from .sdk import call, operation_name


def _sdk(task: TaskCall, service: str, arguments: Any, prefix: str) -> Any:
    runtime = task.runtime
    runtime.counters.api_calls[f"{service}:{operation_name(task.action)}"] += 1
    result = call(runtime.service(service), runtime.client(service), task.action, arguments, prefix)
    return result


@optimized("s3", ["getObject", "putObject", "copyObject", "deleteObject", "headObject", "listObjectsV2"],
           [REQUEST_RESPONSE])
async def s3(task: TaskCall) -> Any:
    return _sdk(task, "s3", task.arguments, "S3")


@optimized("dynamodb", ["getItem", "putItem", "updateItem", "deleteItem"], [REQUEST_RESPONSE])
async def dynamodb(task: TaskCall) -> Any:
    return _sdk(task, "dynamodb", task.arguments, "DynamoDB")


@optimized("sqs", ["sendMessage"], [REQUEST_RESPONSE, TOKEN])
async def sqs(task: TaskCall) -> Any:
    arguments = dict(task.arguments or {})
    if not isinstance(arguments.get("MessageBody"), str):
        arguments["MessageBody"] = json.dumps(arguments.get("MessageBody"))
    return _sdk(task, "sqs", arguments, "SQS")


@optimized("events", ["putEvents"], [REQUEST_RESPONSE, TOKEN])
async def events(task: TaskCall) -> Any:
    arguments = dict(task.arguments or {})
    entries = []
    for entry in arguments.get("Entries", []):
        entry = dict(entry)
        if "Detail" in entry and not isinstance(entry["Detail"], str):
            entry["Detail"] = json.dumps(entry["Detail"])
        entries.append(entry)
    arguments["Entries"] = entries
    result = _sdk(task, "events", arguments, "EventBridge")
    if result.get("FailedEntryCount"):
        raise StatesError("EventBridge.FailedEntry", json.dumps(result.get("Entries", [])))
    return result
