"""Task integrations, in a registry keyed by the resource ARN.

Developer Guide, integrate-services and connect-to-resource: the generic ``arn:aws:states:::aws-sdk:<service>:
<action>``, the optimized integrations (``lambda:invoke``, ``dynamodb:*Item``, ``sqs:sendMessage``,
``events:putEvents``, ``states:startExecution``, ``s3:*``) and their patterns: request-response, ``.sync``
(run a job and wait) and ``.waitForTaskToken`` (wait for SendTaskSuccess or SendTaskFailure).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import DefinitionError
from . import aws_sdk, bedrock_invoke, lambda_, services, stepfunctions  # noqa: F401  (they register themselves)
from .base import OPTIMIZED, REQUEST_RESPONSE, TOKEN, Handler

__all__ = ["Resolved", "resolve"]


@dataclass(frozen=True)
class Resolved:
    handler: Handler
    service: str
    action: str
    pattern: str


_AWS_SDK = re.compile(r"^arn:aws:states:::aws-sdk:([a-z0-9-]+):([a-zA-Z0-9]+)(?:\.(\w+(?::2)?))?$")
_OPTIMIZED_ARN = re.compile(r"^arn:aws:states:::([a-z0-9-]+):([a-zA-Z0-9]+)(?:\.(\w+(?::2)?))?$")
_LAMBDA_ARN = re.compile(r"^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[\w-]+(?::[\w$-]+)?$")


def resolve(resource: str, where: str) -> Resolved:
    """Find the integration for a Task's Resource, or refuse the definition as CreateStateMachine would."""
    if _LAMBDA_ARN.match(resource):
        return Resolved(lambda_.invoke_by_arn, "lambda", "invoke", REQUEST_RESPONSE)
    match = _AWS_SDK.match(resource)
    if match:
        service, action, pattern = match.group(1), match.group(2), match.group(3) or REQUEST_RESPONSE
        if pattern not in (REQUEST_RESPONSE, TOKEN):
            raise DefinitionError(f"{where}: AWS SDK integrations support request-response and "
                                  f".waitForTaskToken only, not .{pattern}")
        return Resolved(aws_sdk.invoke, service, action, pattern)
    match = _OPTIMIZED_ARN.match(resource)
    if match:
        service, action, pattern = match.group(1), match.group(2), match.group(3) or REQUEST_RESPONSE
        entry = OPTIMIZED.get((service, action))
        if entry is None:
            raise DefinitionError(f"{where}: the resource {resource!r} is not a supported integration")
        handler, patterns = entry
        if pattern not in patterns:
            allowed = ", ".join(sorted(p or "request-response" for p in patterns))
            raise DefinitionError(f"{where}: {service}:{action} does not support .{pattern} (supports {allowed})")
        return Resolved(handler, service, action, pattern)
    raise DefinitionError(f"{where}: the resource {resource!r} is not a supported integration")
