"""Calling an AWS API the way a Task does: PascalCase arguments in, PascalCase results out, named errors.

Developer Guide, supported-services-awssdk: arguments are the API's members in PascalCase even where the API
is camelCase; an error becomes ``ServiceName.ErrorName`` in PascalCase, with an ``Exception`` suffix added
when the service's own name lacks it (``S3.NoSuchKeyException``). The botocore service models give us each
operation's shapes, so no per-API table is written by hand.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from botocore.exceptions import ClientError, ParamValidationError
from botocore.model import Shape

from ..errors import StatesError

# Service names as they appear in aws-sdk resource ARNs, where boto3 names them differently.
BOTO3_SERVICE = {"sfn": "stepfunctions", "eventbridge": "events", "bedrockruntime": "bedrock-runtime"}
# The PascalCase service prefix of error names, where capitalising the first letter is not enough.
ERROR_PREFIX = {"dynamodb": "DynamoDb", "eventbridge": "EventBridge", "bedrockruntime": "BedrockRuntime",
                "stepfunctions": "Sfn", "sfn": "Sfn", "events": "EventBridge", "s3": "S3", "sqs": "Sqs"}


def error_name(prefix: str, code: str) -> str:
    return f"{prefix}.{code if code.endswith('Exception') else code + 'Exception'}"


def sdk_error_prefix(service: str) -> str:
    return ERROR_PREFIX.get(service, service[:1].upper() + service[1:])


def operation_name(action: str) -> str:
    """``createModelInvocationJob`` -> ``CreateModelInvocationJob``."""
    return action[:1].upper() + action[1:]


def _member(shape: Shape, key: str) -> str | None:
    members = shape.members  # type: ignore[attr-defined]
    if key in members:
        return key
    lowered = key[:1].lower() + key[1:]
    if lowered in members:
        return lowered
    folded = {name.lower(): name for name in members}
    return folded.get(key.lower())


def to_api(value: Any, shape: Shape | None, where: str = "") -> Any:
    """Step Functions arguments -> botocore parameters, guided by the input shape."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            raise StatesError("States.Runtime", f"{where or 'Arguments'} must be an object")
        out = {}
        for key, item in value.items():
            name = _member(shape, key)
            if name is None:
                raise StatesError("States.Runtime", f"{where}{key} is not a parameter of {shape.name}")
            out[name] = to_api(item, shape.members[name], f"{where}{key}.")  # type: ignore[attr-defined]
        return out
    if kind == "list" and isinstance(value, list):
        return [to_api(v, shape.member, where) for v in value]  # type: ignore[attr-defined]
    if kind == "map" and isinstance(value, dict):
        return {k: to_api(v, shape.value, where) for k, v in value.items()}  # type: ignore[attr-defined]
    if kind == "blob" and isinstance(value, str):
        return value.encode()
    if kind == "blob" and isinstance(value, dict | list):
        return json.dumps(value).encode()
    return value


def from_api(value: Any, shape: Shape | None) -> Any:
    """botocore results -> what a Task returns: structure members in PascalCase, JSON-friendly values."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if hasattr(value, "read"):  # a streaming body, e.g. S3 GetObject's Body: returned as text
        data = value.read()
        try:
            return data.decode()
        except UnicodeDecodeError:
            return base64.b64encode(data).decode()
    if isinstance(value, bytes):
        try:
            return value.decode()
        except UnicodeDecodeError:
            return base64.b64encode(value).decode()
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "ResponseMetadata":
                continue
            member = shape.members.get(key)  # type: ignore[attr-defined]
            out[key[:1].upper() + key[1:]] = from_api(item, member)
        return out
    if kind == "list" and isinstance(value, list):
        return [from_api(v, shape.member) for v in value]  # type: ignore[attr-defined]
    if kind == "map" and isinstance(value, dict):
        return {k: from_api(v, shape.value) for k, v in value.items()}  # type: ignore[attr-defined]
    return value


def call(client: Any, service_model_client: Any, action: str, arguments: Any, prefix: str) -> Any:
    """Call ``action`` on ``client``; shapes come from ``service_model_client`` (a boto3 client of the service).

    The two differ only for the Bedrock simulator, which stands in for the boto3 client but has no model.
    """
    model = service_model_client.meta.service_model
    op_name = operation_name(action)
    try:
        operation = model.operation_model(op_name)
    except Exception:
        raise StatesError("States.Runtime", f"{model.service_name} has no API action {action!r}") from None
    params = to_api(arguments or {}, operation.input_shape)
    method = getattr(client, _python_name(service_model_client, op_name))
    try:
        result = method(**params)
    except ClientError as err:
        info = err.response.get("Error", {})
        raise StatesError(error_name(prefix, info.get("Code", "Unknown")), info.get("Message", str(err))) from None
    except ParamValidationError as err:
        raise StatesError(error_name(prefix, "Validation"), str(err)) from None
    except StatesError:  # an offline service's own refusal, already named
        raise
    except Exception as err:  # noqa: BLE001 - the emulated service itself broke (a moto bug on odd input)
        # AWS would answer such a request with a service error whose exact name is unknown here (often a
        # ValidationException); the task fails as States.TaskFailed so that the execution fails visibly
        # instead of its task dying with the exception.
        raise StatesError("States.TaskFailed", f"{prefix}.{action}: the offline service raised "
                                               f"{type(err).__name__}: {err}") from None
    if model.service_name == "dynamodb":
        _drop_unrequested(params, result)
    return from_api(result, operation.output_shape)


# DynamoDB answers with each of these only when its request asked for it (API Reference, e.g. UpdateItem's
# response: "ConsumedCapacity is only returned if the ReturnConsumedCapacity parameter was specified", and the same
# for ItemCollectionMetrics and ReturnItemCollectionMetrics). moto 5.2.5 adds ConsumedCapacity to every UpdateItem
# and BatchWriteItem answer regardless, so a workflow could read offline a field AWS does not give it.
_ASKED_FOR = {"ConsumedCapacity": "ReturnConsumedCapacity", "ItemCollectionMetrics": "ReturnItemCollectionMetrics"}


def _drop_unrequested(params: dict[str, Any], result: dict[str, Any]) -> None:
    for member, parameter in _ASKED_FOR.items():
        if params.get(parameter, "NONE") == "NONE":
            result.pop(member, None)


def _python_name(client: Any, op_name: str) -> str:
    from botocore import xform_name

    return xform_name(op_name)
