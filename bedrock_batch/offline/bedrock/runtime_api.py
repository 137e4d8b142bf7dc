"""Offline Amazon Bedrock on-demand inference: ``InvokeModel`` and ``Converse`` as the boto3 ``bedrock-runtime``
client answers them.

The response bodies come from the same model families as batch output (``families.py``): a record's ``modelOutput``
in a batch job is exactly what ``InvokeModel`` returns for its ``modelInput``. Requests are checked against botocore's
``bedrock-runtime`` service model as the client would (``ParamValidationError``); failures are
``botocore.exceptions.ClientError`` with the API's error codes (API Reference, InvokeModel and Converse, "Errors"):

- ``ValidationException`` (400): a model id the catalogue (``models.json``) does not know, a body that is not JSON,
  a body the model rejects (a family's ``RecordError``), an unsupported content type, a model id with no simulated
  format (or an embedding model called with Converse);
- ``ThrottlingException`` (429), ``ModelErrorException`` (424) ...: injected by ``BedrockRuntimeConfig``.

Faults are deterministic: ``runtime_throttle_rate = 0.25`` throttles exactly every 4th call, so a test can count on
a Retry recovering; ``runtime_throttle_first`` throttles the first N calls.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from dataclasses import dataclass
from functools import cache
from typing import Any, NoReturn

import botocore.session
from botocore.model import ServiceModel
from botocore.response import StreamingBody
from botocore.validate import validate_parameters

from .. import json_text
from ..clock import VirtualClock
from .backends import DeterministicBackend, ModelBackend
from .catalog import catalogue
from .families import CONVERSE, RecordError, family_for
from .simulator import INVALID_MODEL_MESSAGE, client_error

# API Reference (botocore bedrock-runtime model): the HTTP status of each InvokeModel / Converse error.
HTTP_STATUS = {
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ThrottlingException": 429,
    "ModelTimeoutException": 408,
    "InternalServerException": 500,
    "ServiceUnavailableException": 503,
    "ValidationException": 400,
    "ServiceQuotaExceededException": 400,
    "ModelNotReadyException": 429,
    "ModelErrorException": 424,
}
# A family's RecordError status -> the on-demand error code (what a batch error line's errorCode means on demand).
_CODE_FOR_STATUS = {
    400: "ValidationException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    408: "ModelTimeoutException",
    424: "ModelErrorException",
    429: "ThrottlingException",
    500: "InternalServerException",
    503: "ServiceUnavailableException",
}
_JSON_TYPES = ("application/json", "*/*")


@dataclass
class BedrockRuntimeConfig:
    """Faults of the on-demand simulator. Rates are shares of calls, spread evenly and deterministically."""

    seed: int = 0
    """Seeds the default backend and the ids/latencies in responses."""
    runtime_throttle_rate: float = 0.0
    """Share of calls answered with ThrottlingException: call n is throttled when floor(n*rate) steps up."""
    runtime_error_rate: float = 0.0
    """Share of the calls that were not throttled answered with ``runtime_error_code``."""
    runtime_error_code: str = "ModelErrorException"
    runtime_error_message: str = "The system encountered an unexpected error during processing. Try your request again."
    runtime_throttle_first: int = 0
    """The first N calls are throttled (then the rates apply)."""


@cache
def _service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("bedrock-runtime")


def _steps(n: int, rate: float) -> bool:
    """True for the calls that make up an exact share ``rate`` of calls 1..n, evenly spaced."""
    if rate <= 0:
        return False
    return math.floor(n * rate + 1e-9) > math.floor((n - 1) * rate + 1e-9)


class RuntimeSimulator:
    """The boto3 ``bedrock-runtime`` client's ``invoke_model`` and ``converse``, answered by the model families."""

    def __init__(
        self,
        clock: VirtualClock | None = None,
        config: BedrockRuntimeConfig | None = None,
        backend: ModelBackend | None = None,
        region: str = "us-east-1",
        account_id: str = "123456789012",
    ) -> None:
        self.clock = clock
        self.region = region
        self.account_id = account_id
        self.config = config or BedrockRuntimeConfig()
        self.backend: ModelBackend = backend or DeterministicBackend(self.config.seed)
        self.calls = 0  # every call that passed parameter validation
        self.throttled = 0
        self.failed = 0  # injected errors and model/validation errors
        self.input_tokens = 0
        self.output_tokens = 0
        self.log: list[dict[str, Any]] = []  # one entry per call: operation, model, outcome, virtual time
        self._admitted = 0  # calls not throttled, for the error-rate draw

    # -- InvokeModel -----------------------------------------------------------------------------------------
    def invoke_model(self, **params: Any) -> dict[str, Any]:
        op = "InvokeModel"
        _validate(op, params)
        model_id = params["modelId"]
        self._admit(op, model_id)
        self._check_model(op, model_id)
        for field in ("contentType", "accept"):
            value = params.get(field)
            if value is not None and value.split(";")[0].strip().lower() not in _JSON_TYPES:
                self._fail(
                    op,
                    model_id,
                    "ValidationException",
                    f"{field} {value!r} is not supported by this model; use application/json",
                )
        raw = params["body"]
        raw = raw.read() if hasattr(raw, "read") else raw
        try:
            body = json_text.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            self._fail(op, model_id, "ValidationException", "Malformed input request: the body is not valid JSON")
        if not isinstance(body, dict):
            self._fail(op, model_id, "ValidationException", "Malformed input request: the body must be a JSON object")
        family = family_for(model_id, "InvokeModel")
        if family is None:
            self._fail(op, model_id, "ValidationException", "The provided model identifier is invalid.")
        invocation = self._run(op, model_id, family, body)
        data = json.dumps(invocation.output).encode("utf-8")
        headers = {
            "content-type": "application/json",
            "x-amzn-bedrock-input-token-count": str(invocation.input_tokens),
            "x-amzn-bedrock-output-token-count": str(invocation.output_tokens),
            "x-amzn-bedrock-invocation-latency": str(self._latency_ms()),
        }
        return {
            "body": StreamingBody(io.BytesIO(data), len(data)),
            "contentType": "application/json",
            "ResponseMetadata": {"HTTPStatusCode": 200, "HTTPHeaders": headers},
        }

    # -- Converse --------------------------------------------------------------------------------------------
    def converse(self, **params: Any) -> dict[str, Any]:
        op = "Converse"
        _validate(op, params)
        model_id = params["modelId"]
        self._admit(op, model_id)
        self._check_model(op, model_id)
        if family_for(model_id, "Converse") is None:
            self._fail(
                op,
                model_id,
                "ValidationException",
                "This action doesn't support the model that you provided. Try again with a supported text or "
                "chat model.",
            )
        body: dict[str, Any] = {"messages": params.get("messages") or []}
        if params.get("system") is not None:
            body["system"] = params["system"]
        if params.get("inferenceConfig") is not None:
            body["inferenceConfig"] = params["inferenceConfig"]
        invocation = self._run(op, model_id, CONVERSE, body)
        return {**invocation.output, "ResponseMetadata": {"HTTPStatusCode": 200}}

    # -- internals -------------------------------------------------------------------------------------------
    def _admit(self, op: str, model_id: str) -> None:
        """Count the call and draw the injected faults."""
        cfg = self.config
        self.calls += 1
        if self.calls <= cfg.runtime_throttle_first or _steps(self.calls, cfg.runtime_throttle_rate):
            self.throttled += 1
            self._fail(
                op,
                model_id,
                "ThrottlingException",
                "Too many requests, please wait before trying again.",
                counted=False,
            )
        self._admitted += 1
        if _steps(self._admitted, cfg.runtime_error_rate):
            self._fail(op, model_id, cfg.runtime_error_code, cfg.runtime_error_message)

    def _check_model(self, op: str, model_id: str) -> None:
        """A model or inference profile id the catalogue (models.json) does not know is a ValidationException, as
        on AWS (API Reference, InvokeModel/Converse errors)."""
        if catalogue().resolve(model_id, self.region, self.account_id) is None:
            self._fail(op, model_id, "ValidationException", INVALID_MODEL_MESSAGE)

    def _run(self, op: str, model_id: str, family: Any, body: dict[str, Any]) -> Any:
        key = f"{self.config.seed}:{op}:{self.calls}:{model_id}"
        try:
            invocation = family.invoke(model_id, body, self.backend, key)
        except RecordError as err:
            self._fail(op, model_id, _CODE_FOR_STATUS.get(err.code, "ModelErrorException"), err.message)
        self.input_tokens += invocation.input_tokens
        self.output_tokens += invocation.output_tokens
        self._record(op, model_id, "OK")
        return invocation

    def _fail(self, op: str, model_id: str, code: str, message: str, counted: bool = True) -> NoReturn:
        if counted:
            self.failed += 1
        self._record(op, model_id, code)
        raise client_error(code, message, op, HTTP_STATUS)

    def _record(self, op: str, model_id: str, outcome: str) -> None:
        when = self.clock.now() if self.clock is not None else None
        self.log.append({"operation": op, "modelId": model_id, "outcome": outcome, "time": when})

    def _latency_ms(self) -> int:
        digest = hashlib.sha256(f"{self.config.seed}:{self.calls}".encode()).digest()
        return 200 + int.from_bytes(digest[:2], "big") % 800


def _validate(op: str, params: dict[str, Any]) -> None:
    """As the boto3 client does before sending: ``ParamValidationError`` for missing or mistyped members."""
    validate_parameters(params, _service_model().operation_model(op).input_shape)
