"""On-demand Bedrock inference offline: ``InvokeModel`` and ``Converse`` from the ``RuntimeSimulator``, reached by
the optimized ``arn:aws:states:::bedrock:invokeModel`` integration and by ``aws-sdk:bedrockruntime:*``
(Developer Guide, connect-bedrock and supported-services-awssdk; Bedrock API Reference, InvokeModel and Converse;
Bedrock user guide, model parameters of each family)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError
from helpers import machine, offline_runtime, run, succeeded, task_state

from bedrock_batch.offline import errors
from bedrock_batch.offline.bedrock.runtime_api import BedrockRuntimeConfig, RuntimeSimulator
from bedrock_batch.offline.errors import DefinitionError
from bedrock_batch.offline.runtime import Runtime

INVOKE = "arn:aws:states:::bedrock:invokeModel"
SDK = "arn:aws:states:::aws-sdk:bedrockruntime:"
CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"
NOVA = "us.amazon.nova-lite-v1:0"
PROMPT = "Explain photosynthesis in plants"


@pytest.fixture
def rt() -> Iterator[Runtime]:
    with offline_runtime() as runtime:
        yield runtime


def faulty(**faults: Any) -> Any:
    """A runtime whose on-demand Bedrock injects ``faults`` (BedrockRuntimeConfig fields)."""
    return offline_runtime(bedrock_runtime=BedrockRuntimeConfig(**faults))


def invoke(model_id: str, body: Any, **fields: Any) -> dict[str, Any]:
    return task_state(INVOKE, {"ModelId": model_id, "Body": body}, **fields)


def sdk(action: str, arguments: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return task_state(SDK + action, arguments, **fields)


CATCH_ALL = [{"ErrorEquals": ["States.ALL"], "Next": "Error"}]
ERROR = {"Error": {"Type": "Pass", "End": True}}  # the error output: {"Error", "Cause"}

# One request per family, in the model's native InvokeModel format (Bedrock user guide, model parameters), and
# where its answer is.
FAMILIES = {
    "anthropic-claude": (CLAUDE, {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 200,
                                  "messages": [{"role": "user", "content": [{"type": "text", "text": PROMPT}]}]},
                         lambda body: body["content"][0]["text"]),
    "amazon-nova": (NOVA, {"schemaVersion": "messages-v1", "system": [{"text": "Be brief."}],
                           "messages": [{"role": "user", "content": [{"text": PROMPT}]}],
                           "inferenceConfig": {"maxTokens": 200}},
                    lambda body: body["output"]["message"]["content"][0]["text"]),
    "meta-llama": ("meta.llama3-8b-instruct-v1:0", {"prompt": PROMPT, "max_gen_len": 200, "temperature": 0.5},
                   lambda body: body["generation"]),
    "titan-embed-text-v2": ("arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0",
                            {"inputText": PROMPT, "dimensions": 256, "normalize": True},
                            lambda body: body["embedding"]),
    "cohere-embed": ("cohere.embed-english-v3", {"texts": [PROMPT, "chlorophyll"], "input_type": "search_document"},
                     lambda body: body["embeddings"]),
}


@pytest.mark.parametrize("family", FAMILIES)
def test_optimized_invoke_model_returns_the_native_body(rt: Runtime, family: str) -> None:
    """Developer Guide, connect-bedrock: bedrock:invokeModel takes ModelId (an id or a foundation-model ARN) and the
    model's request as a JSON Body; the result is {"Body": <the model's response, as JSON>, "ContentType"}
    (the page's example reads $.Body...). Each family answers in its own InvokeModel format."""
    model_id, body, answer = FAMILIES[family]
    output = succeeded(run(rt, machine({"Ask": invoke(model_id, body, Arguments={
        "ModelId": model_id, "Body": body, "ContentType": "application/json", "Accept": "application/json"})})))
    assert output["ContentType"] == "application/json"
    value = answer(output["Body"])
    if "embed" in family:
        vectors = value if family == "cohere-embed" else [value]
        assert all(len(v) == (256 if family.startswith("titan") else 1024) for v in vectors)
    else:
        assert "photosynthesis" in value
    assert rt.counters.api_calls["bedrock-runtime:InvokeModel"] == 1


def test_native_usage_fields_per_family(rt: Runtime) -> None:
    """Bedrock user guide, model parameters: Claude reports usage.input_tokens/output_tokens and stop_reason,
    Llama prompt_token_count/generation_token_count, Titan Embeddings inputTextTokenCount."""
    states = {name: invoke(FAMILIES[key][0], FAMILIES[key][1], Output="{% $states.result.Body %}", Next=nxt)
              for name, key, nxt in (("Claude", "anthropic-claude", "Llama"), ("Llama", "meta-llama", "Titan"),
                                     ("Titan", "titan-embed-text-v2", "Done"))}
    states["Claude"]["Assign"] = {"claude": "{% $states.result.Body %}"}
    states["Llama"]["Assign"] = {"llama": "{% $states.result.Body %}"}
    states["Done"] = {"Type": "Pass", "Output": "{% {'claude': $claude, 'llama': $llama, "
                                                "'titan': $states.input.inputTextTokenCount} %}", "End": True}
    output = succeeded(run(rt, machine(states)))
    assert output["claude"]["usage"]["input_tokens"] > 0 and output["claude"]["usage"]["output_tokens"] > 0
    assert output["claude"]["stop_reason"] == "end_turn"
    assert output["llama"]["generation_token_count"] > 0 and output["llama"]["stop_reason"] == "stop"
    assert output["titan"] > 0
    assert rt.counters.api_calls["bedrock-runtime:InvokeModel"] == 3


def test_a_body_the_model_rejects_is_bedrock_validation_exception(rt: Runtime) -> None:
    """Bedrock API Reference, InvokeModel, ValidationException (400): a body without the model's required fields
    (Claude without anthropic_version); Developer Guide, connect-bedrock: errors are Bedrock.<Exception>."""
    body = {"max_tokens": 10, "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]}
    output = succeeded(run(rt, machine({"Ask": invoke(CLAUDE, body, Catch=CATCH_ALL), **ERROR})))
    assert output["Error"] == "Bedrock.ValidationException"
    assert "anthropic_version" in output["Cause"]


def test_an_unknown_model_is_bedrock_validation_exception(rt: Runtime) -> None:
    """Bedrock API Reference, InvokeModel, ValidationException: "The provided model identifier is invalid"."""
    output = succeeded(run(rt, machine({"Ask": invoke("acme.unknown-model-v1", {"prompt": "x"}, Catch=CATCH_ALL),
                                        **ERROR})))
    assert output["Error"] == "Bedrock.ValidationException"


@pytest.mark.parametrize("field", ["Input", "Output"])
def test_s3_input_and_output_are_refused_offline(rt: Runtime, field: str) -> None:
    """Developer Guide, connect-bedrock: Input.S3Uri / Output.S3Uri read the request from or write the response to
    S3; offline they are not supported and the task fails with States.Runtime (not catchable: concepts-error-
    handling) saying so."""
    state = invoke(CLAUDE, {}, Catch=CATCH_ALL)
    state["Arguments"] = {"ModelId": CLAUDE, field: {"S3Uri": "s3://conformance-data/request.json"}}
    execution = run(rt, machine({"Ask": state, **ERROR}))
    assert execution.status == "FAILED"
    assert execution.error == errors.RUNTIME
    assert f"{field}.S3Uri" in (execution.cause or "")


def test_invoke_model_supports_request_response_only(rt: Runtime) -> None:
    """Developer Guide, connect-bedrock: InvokeModel is a request-response integration (only the customization job
    has .sync); CreateStateMachine refuses other patterns."""
    with pytest.raises(DefinitionError, match="invokeModel"):
        rt.create_state_machine("bad", machine({"Ask": {"Type": "Task", "Resource": INVOKE + ".sync", "End": True}}))


def test_throttling_is_bedrock_throttling_exception_and_retry_recovers() -> None:
    """Bedrock API Reference, InvokeModel, ThrottlingException (429); Developer Guide, connect-bedrock (errors are
    Bedrock.<Exception>) and concepts-error-handling (Retry matches the name; each attempt is a new call)."""
    with faulty(runtime_throttle_first=2) as rt:
        body = FAMILIES["meta-llama"][1]
        retry = [{"ErrorEquals": ["Bedrock.ThrottlingException"], "IntervalSeconds": 1, "MaxAttempts": 3}]
        output = succeeded(run(rt, machine({"Ask": invoke(FAMILIES["meta-llama"][0], body, Retry=retry)})))
        assert "photosynthesis" in output["Body"]["generation"]
        assert rt.counters.api_calls["bedrock-runtime:InvokeModel"] == 3  # two throttled calls, then the answer
        assert rt.bedrock_runtime.throttled == 2
        assert [e["outcome"] for e in rt.bedrock_runtime.log] == ["ThrottlingException"] * 2 + ["OK"]


def test_throttling_through_aws_sdk_is_bedrockruntime_throttling_exception() -> None:
    """Developer Guide, supported-services-awssdk: aws-sdk:bedrockruntime errors are BedrockRuntime.<Error>, here
    BedrockRuntime.ThrottlingException; a Retry on it recovers once the throttling passes."""
    with faulty(runtime_throttle_rate=0.5) as rt:  # every 2nd call is throttled
        arguments = {"ModelId": CLAUDE, "Body": FAMILIES["anthropic-claude"][1]}
        retry = [{"ErrorEquals": ["BedrockRuntime.ThrottlingException"], "IntervalSeconds": 1, "MaxAttempts": 2}]
        definition = machine({
            "First": sdk("invokeModel", arguments, Next="Second"),
            "Second": sdk("invokeModel", arguments, Retry=retry, Next="Third"),
            "Third": sdk("invokeModel", arguments, Catch=[{"ErrorEquals": ["BedrockRuntime.ThrottlingException"],
                                                          "Next": "Error"}]),
            **ERROR,
        })
        execution = run(rt, definition)
        # calls 1 ok, 2 throttled, 3 ok (the retry), 4 throttled and caught
        assert succeeded(execution)["Error"] == "BedrockRuntime.ThrottlingException"
        assert rt.counters.api_calls["bedrock-runtime:InvokeModel"] == 4


def test_error_rate_is_bedrock_model_error_exception() -> None:
    """Bedrock API Reference, InvokeModel, ModelErrorException (424, "the request failed due to an error while
    processing the model"): injected for a share of calls by runtime_error_rate."""
    with faulty(runtime_error_rate=1.0) as rt:
        output = succeeded(run(rt, machine({"Ask": invoke(*FAMILIES["meta-llama"][:2], Catch=CATCH_ALL), **ERROR})))
        assert output["Error"] == "Bedrock.ModelErrorException"


def test_aws_sdk_invoke_model_returns_the_body_as_text(rt: Runtime) -> None:
    """Developer Guide, supported-services-awssdk: aws-sdk:bedrockruntime:invokeModel takes PascalCase arguments
    (ModelId, Body: a JSON object is serialised) and returns the API's blob Body as text holding the model's JSON."""
    model_id, body, answer = FAMILIES["amazon-nova"]
    output = succeeded(run(rt, machine({"Ask": sdk("invokeModel", {"ModelId": model_id, "Body": body})})))
    assert output["ContentType"] == "application/json"
    assert "photosynthesis" in answer(json.loads(output["Body"]))


def test_converse_returns_text_usage_and_metrics(rt: Runtime) -> None:
    """Bedrock API Reference, Converse: messages/system/inferenceConfig in; output.message.content[].text,
    stopReason, usage {inputTokens, outputTokens, totalTokens} and metrics {latencyMs} out (PascalCase through
    aws-sdk:bedrockruntime:converse, supported-services-awssdk)."""
    arguments = {"ModelId": NOVA, "Messages": [{"Role": "user", "Content": [{"Text": PROMPT}]}],
                 "System": [{"Text": "Answer in one sentence."}], "InferenceConfig": {"MaxTokens": 100}}
    output = succeeded(run(rt, machine({"Talk": sdk("converse", arguments)})))
    assert "photosynthesis" in output["Output"]["Message"]["Content"][0]["Text"]
    assert output["Output"]["Message"]["Role"] == "assistant"
    assert output["StopReason"] == "end_turn"
    usage = output["Usage"]
    assert usage["InputTokens"] > 0 and usage["OutputTokens"] > 0
    assert usage["TotalTokens"] == usage["InputTokens"] + usage["OutputTokens"]
    assert output["Metrics"]["LatencyMs"] > 0
    assert rt.counters.api_calls["bedrock-runtime:Converse"] == 1


def test_converse_with_an_embedding_model_is_validation_exception(rt: Runtime) -> None:
    """Bedrock user guide, conversation-inference (supported models): embedding models have no Converse form;
    the API answers ValidationException, BedrockRuntime.ValidationException in a workflow."""
    arguments = {"ModelId": "amazon.titan-embed-text-v2:0", "Messages": [{"Role": "user", "Content": [{"Text": "x"}]}]}
    output = succeeded(run(rt, machine({"Talk": sdk("converse", arguments, Catch=CATCH_ALL), **ERROR})))
    assert output["Error"] == "BedrockRuntime.ValidationException"


# -- the simulator as a boto3-shaped client ----------------------------------------------------------------------
def test_simulator_is_shaped_like_the_boto3_client() -> None:
    """Bedrock API Reference, InvokeModel: the response body is a stream (boto3's StreamingBody) of the model's
    JSON, with contentType; missing required members fail before any call, as botocore's ParamValidationError."""
    sim = RuntimeSimulator()
    response = sim.invoke_model(modelId=CLAUDE, body=json.dumps(FAMILIES["anthropic-claude"][1]),
                                contentType="application/json", accept="application/json")
    assert response["contentType"] == "application/json"
    assert json.loads(response["body"].read())["type"] == "message"
    assert int(response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-bedrock-input-token-count"]) > 0
    with pytest.raises(ParamValidationError):
        sim.invoke_model(body=b"{}")
    with pytest.raises(ClientError) as info:
        sim.invoke_model(modelId=CLAUDE, body=b"not json")
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    reply = sim.converse(modelId=CLAUDE, messages=[{"role": "user", "content": [{"text": PROMPT}]}],
                         inferenceConfig={"maxTokens": 5})
    assert reply["stopReason"] == "max_tokens"
    assert reply["usage"]["outputTokens"] <= 5
    assert sim.calls == 3 and sim.failed == 1


def test_throttle_rate_is_an_exact_deterministic_share() -> None:
    """Fault injection (this project's BedrockRuntimeConfig): runtime_throttle_rate throttles exactly that share of
    calls, evenly spaced, with the API's ThrottlingException and HTTP 429 (Bedrock API Reference, InvokeModel)."""
    sim = RuntimeSimulator(config=BedrockRuntimeConfig(runtime_throttle_rate=0.25))
    outcomes = []
    for _ in range(100):
        try:
            sim.invoke_model(modelId="meta.llama3-8b-instruct-v1:0", body=json.dumps({"prompt": "hello world"}))
            outcomes.append("ok")
        except ClientError as err:
            assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 429
            outcomes.append(err.response["Error"]["Code"])
    assert outcomes.count("ThrottlingException") == 25
    assert outcomes[:4] == ["ok", "ok", "ok", "ThrottlingException"]
    assert sim.throttled == 25
