"""The Step Functions API answered by the runtime itself: what ``aws-sdk:sfn:*`` Tasks call offline.

Offline, the runtime *is* Step Functions, so a Task calling ``arn:aws:states:::aws-sdk:sfn:sendTaskSuccess`` (or
``startExecution``, ``describeExecution`` ...) must reach the runtime's own executions and task tokens, never
moto's Step Functions. ``StepFunctionsApi`` has the boto3 ``stepfunctions`` client's method names and keyword
arguments, checks them against botocore's service model as the client would (``ParamValidationError``), and
raises ``botocore.exceptions.ClientError`` with the API's error codes (API Reference, "Errors" of each action):

- SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat: ``InvalidOutput`` (output is not JSON), ``TaskTimedOut``
  ("the task token has either expired or the task associated with the token has already been closed": a token
  this runtime issued whose task finished, timed out, failed or was stopped), ``InvalidToken`` (not a token this
  runtime could have issued), ``TaskDoesNotExist`` (well-formed, but this runtime never issued it, e.g. a token
  from an earlier run).
- StartExecution: ``InvalidArn``, ``StateMachineDoesNotExist``, ``InvalidName``, ``InvalidExecutionInput``,
  ``ExecutionAlreadyExists``.
- SendTaskSuccess ``output`` and StartExecution ``input`` over 262,144 (the service model's length constraint, the
  payload limit of service-quotas): ``ValidationException``, as AWS answers any constraint a member fails
  ("1 validation error detected: Value at 'output' failed to satisfy constraint: ..."; the value of a sensitive
  member is not echoed). Measured in UTF-8 bytes, the stricter reading of the limit (the model counts characters).
- DescribeExecution / StopExecution: ``InvalidArn``, ``ExecutionDoesNotExist``.

In a workflow, ``sdk.call`` turns these into ``Sfn.TaskTimedOutException``, ``Sfn.InvalidTokenException``,
``Sfn.TaskDoesNotExistException``, ``Sfn.InvalidOutputException``, ``Sfn.ExecutionDoesNotExistException`` ...
(supported-services-awssdk: ``ServiceName.ErrorName`` with an ``Exception`` suffix).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

import botocore.session
from botocore import xform_name
from botocore.exceptions import ClientError
from botocore.model import ServiceModel
from botocore.validate import validate_parameters

from .. import errors, json_text
from ..errors import ExecutionAlreadyExists, StatesError

if TYPE_CHECKING:
    from ..protocols import Runtime

_TOKEN_BYTES = 48  # TaskTokens.issue: 48 random bytes, URL-safe base64
_EXECUTION_ARN = re.compile(r"^arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}:(execution|express):[^:]+:.+$")
_MACHINE_ARN = re.compile(r"^arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+(:[^:]+)?$")
# API Reference, StartExecution: 1-80 characters, none of white space, < > { } [ ], ? *, " # % \ ^ | ~ ` $ & , ; : /
# and no control characters.
_BAD_NAME = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")


@cache
def _service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("stepfunctions")


def _error(code: str, message: str, operation: str, status: int = 400) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": message},
                     "ResponseMetadata": {"HTTPStatusCode": status}, "message": message}
    return ClientError(response, operation)


def _check_length(text: str, member: str, op: str) -> None:
    """A payload member (SendTaskSuccess output, StartExecution input) is refused over the 256 KiB limit."""
    limit = errors.MAX_PAYLOAD_BYTES
    if len(text) > limit or (not text.isascii() and len(text.encode()) > limit):
        raise _error("ValidationException", f"1 validation error detected: Value at '{member}' failed to satisfy "
                     f"constraint: Member must have length less than or equal to {limit}", op)


def _ok() -> dict[str, Any]:
    return {"ResponseMetadata": {"HTTPStatusCode": 200}}


def _when(epoch_seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch_seconds, tz=dt.UTC)


class StepFunctionsApi:
    """boto3 ``stepfunctions``-style methods over a ``Runtime``'s executions and task tokens."""

    OPERATIONS = ("SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat", "StartExecution",
                  "DescribeExecution", "StopExecution")

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    # -- callbacks -------------------------------------------------------------------------------------------
    def send_task_success(self, **params: Any) -> dict[str, Any]:
        op = "SendTaskSuccess"
        self._validate(op, params)
        _check_length(params["output"], "output", op)
        try:
            output = json_text.loads(params["output"])
        except json.JSONDecodeError as err:
            raise _error("InvalidOutput", f"Invalid JSON output: {err}", op) from None
        token = self._open_token(params["taskToken"], op)
        self.runtime.send_task_success(token, output)
        return _ok()

    def send_task_failure(self, **params: Any) -> dict[str, Any]:
        op = "SendTaskFailure"
        self._validate(op, params)
        token = self._open_token(params["taskToken"], op)
        self.runtime.send_task_failure(token, params.get("error") or "", params.get("cause") or "")
        return _ok()

    def send_task_heartbeat(self, **params: Any) -> dict[str, Any]:
        op = "SendTaskHeartbeat"
        self._validate(op, params)
        self.runtime.send_task_heartbeat(self._open_token(params["taskToken"], op))
        return _ok()

    def _open_token(self, token: str, op: str) -> str:
        status = self.runtime.tokens.status(token)
        if status == "open":
            return token
        if status == "closed":
            raise _error("TaskTimedOut", "Task Timed Out: the task token has either expired or the task associated "
                         "with the token has already been closed", op)
        try:
            well_formed = len(base64.urlsafe_b64decode(token.encode("ascii"))) == _TOKEN_BYTES
        except (binascii.Error, UnicodeEncodeError, ValueError):
            well_formed = False
        if well_formed:
            raise _error("TaskDoesNotExist", "Task Does Not Exist: no task of this runtime issued the token", op)
        raise _error("InvalidToken", "Invalid token", op)

    # -- executions ------------------------------------------------------------------------------------------
    def start_execution(self, **params: Any) -> dict[str, Any]:
        op = "StartExecution"
        self._validate(op, params)
        arn = params["stateMachineArn"]
        if not _MACHINE_ARN.match(arn):
            raise _error("InvalidArn", f"Invalid Arn: '{arn}'", op)
        if arn not in self.runtime.machines:
            raise _error("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'", op)
        name = params.get("name")
        if name is not None and (not 1 <= len(name) <= 80 or _BAD_NAME.search(name)):
            raise _error("InvalidName", f"Invalid Name: '{name}'", op)
        raw_input = params.get("input")
        if raw_input is not None:
            _check_length(raw_input, "input", op)
        try:
            execution_input = {} if raw_input is None else json_text.loads(raw_input)
        except json.JSONDecodeError as err:
            raise _error("InvalidExecutionInput", f"Invalid State Machine Execution Input: '{err}'", op) from None
        try:
            execution = self.runtime.start_execution(arn, execution_input, name=name)
        except ExecutionAlreadyExists as err:
            raise _error("ExecutionAlreadyExists", f"Execution Already Exists: '{err}'", op) from None
        except StatesError as err:  # e.g. an input over the payload limit
            raise _error("InvalidExecutionInput", err.cause or err.error, op) from None
        return {"executionArn": execution.arn, "startDate": _when(execution.start), **_ok()}

    def describe_execution(self, **params: Any) -> dict[str, Any]:
        op = "DescribeExecution"
        self._validate(op, params)
        execution = self._execution(params["executionArn"], op)
        described: dict[str, Any] = dict(execution.describe())
        described["startDate"] = _when(execution.start)
        if execution.stop is not None:
            described["stopDate"] = _when(execution.stop)
        described["redriveCount"] = 0
        return {**described, **_ok()}

    def stop_execution(self, **params: Any) -> dict[str, Any]:
        op = "StopExecution"
        self._validate(op, params)
        execution = self._execution(params["executionArn"], op)
        if execution.status == "RUNNING":
            # API Reference, StopExecution: the execution is ABORTED with the given error and cause.
            if params.get("error") is not None:
                execution.error = params["error"]
            if params.get("cause") is not None:
                execution.cause = params["cause"]
            self.runtime.stop_execution(execution.arn)
            return {"stopDate": _when(self.runtime.clock.now()), **_ok()}
        return {"stopDate": _when(execution.stop if execution.stop is not None else self.runtime.clock.now()),
                **_ok()}

    def _execution(self, arn: str, op: str) -> Any:
        if not _EXECUTION_ARN.match(arn):
            raise _error("InvalidArn", f"Invalid Arn: '{arn}'", op)
        execution = self.runtime.executions.get(arn)
        if execution is None:
            raise _error("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'", op)
        return execution

    # -- plumbing --------------------------------------------------------------------------------------------
    @staticmethod
    def _validate(op: str, params: dict[str, Any]) -> None:
        """As the boto3 client does before sending: ``ParamValidationError`` for missing or mistyped members."""
        validate_parameters(params, _service_model().operation_model(op).input_shape)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        """Any other Step Functions action: refused clearly rather than sent to moto's Step Functions."""
        operations = {xform_name(op): op for op in _service_model().operation_names}
        if name not in operations:
            raise AttributeError(name)

        def unsupported(**_params: Any) -> Any:
            raise StatesError("States.Runtime", f"sfn:{operations[name][:1].lower()}{operations[name][1:]} is not "
                              f"supported offline; supported: {', '.join(self.OPERATIONS)}")

        return unsupported
