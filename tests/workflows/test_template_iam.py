"""The IAM grants template.yaml resolves to, for a model id and for an inference profile id.

Bedrock User Guide, inference-profiles-prereq
(https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html): a role that runs inference
through an inference profile needs the profile's ARN (``arn:aws:bedrock:<region>:<account>:inference-profile/<id>``)
and the foundation model in every Region the profile routes to (``arn:aws:bedrock:*::foundation-model/<model>``
when those Regions are not pinned). A plain model id is the foundation-model ARN of the stack's Region; there is
no ``arn:aws:bedrock:<region>::foundation-model/us.<model>``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bedrock_batch.stack.template import Stack

REPO = Path(__file__).resolve().parents[2]
PROFILE = "us.amazon.nova-micro-v1:0"
MODEL = "amazon.nova-micro-v1:0"
REGION, ACCOUNT = "us-east-1", "123456789012"
PROFILE_ARN = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/{PROFILE}"
MODEL_ARN_HERE = f"arn:aws:bedrock:{REGION}::foundation-model/{MODEL}"
MODEL_ARN_ANY_REGION = f"arn:aws:bedrock:*::foundation-model/{MODEL}"
JOB_ARNS = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-invocation-job/*"

# Granted once and called by no state machine (grep the ASL): BatchWriteItem only in the output workflow.
UNUSED = {"bedrock:StopModelInvocationJob", "states:RedriveExecution"}


def _stack(model_id: str) -> Stack:
    return Stack.from_file(REPO / "template.yaml", overrides={"ModelId": model_id}, region=REGION, account_id=ACCOUNT)


def _statements(stack: Stack) -> dict[str, list[dict[str, Any]]]:
    """Every Allow statement of every role the stack creates, by the role's logical id."""
    found: dict[str, list[dict[str, Any]]] = {}
    for logical_id in stack.of_type("AWS::IAM::Role", "AWS::Serverless::StateMachine", "AWS::Serverless::Function"):
        props = stack.properties(logical_id)
        documents = [p["PolicyDocument"] for p in props.get("Policies", []) if "PolicyDocument" in p]
        documents += [p for p in props.get("Policies", []) if "Statement" in p]
        found[logical_id] = [s for d in documents for s in d["Statement"] if s["Effect"] == "Allow"]
    return found


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _granted(statements: list[dict[str, Any]], action: str) -> set[str]:
    return {r for s in statements if action in _listed(s["Action"]) for r in _listed(s["Resource"])}


@pytest.mark.parametrize(("model_id", "model_arns"), [
    (PROFILE, {PROFILE_ARN, MODEL_ARN_ANY_REGION}),
    (MODEL, {MODEL_ARN_HERE}),
])
def test_the_job_workflow_uses_exactly_the_model_it_is_given(model_id: str, model_arns: set[str]) -> None:
    job = _statements(_stack(model_id))["JobStateMachine"]
    assert _granted(job, "bedrock:CreateModelInvocationJob") == model_arns | {JOB_ARNS}
    assert _granted(job, "bedrock:InvokeModel") == model_arns


def test_the_bedrock_service_role_invokes_the_profile_and_its_model_in_every_region() -> None:
    role = _statements(_stack(PROFILE))["BedrockBatchRole"]
    assert _granted(role, "bedrock:InvokeModel") == {PROFILE_ARN, MODEL_ARN_ANY_REGION}


def test_the_bedrock_service_role_needs_no_model_grant_for_a_plain_model_id() -> None:
    role = _statements(_stack(MODEL))["BedrockBatchRole"]
    assert _granted(role, "bedrock:InvokeModel") == set()
    assert {a for s in role for a in _listed(s["Action"])} == {"s3:GetObject", "s3:PutObject", "s3:ListBucket"}


@pytest.mark.parametrize("model_id", [PROFILE, MODEL])
def test_no_role_is_granted_an_action_nobody_calls(model_id: str) -> None:
    for logical_id, statements in _statements(_stack(model_id)).items():
        actions = {a for s in statements for a in _listed(s["Action"])}
        assert not actions & UNUSED, logical_id
        if logical_id != "OutputStateMachine":
            assert "dynamodb:BatchWriteItem" not in actions, logical_id


def test_only_the_output_workflow_calls_batch_write_item() -> None:
    callers = {path.name for path in (REPO / "statemachines").glob("*.asl.json")
               if "dynamodb:batchWriteItem" in path.read_text()}
    assert callers == {"output.asl.json"}


def test_the_bedrock_service_role_lists_only_the_job_prefixes() -> None:
    role = _statements(_stack(MODEL))["BedrockBatchRole"]
    (listing,) = [s for s in role if s["Action"] == "s3:ListBucket"]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["batch-input/*", "batch-output/*"]}}


def test_no_grant_names_a_foundation_model_by_its_profile_id() -> None:
    text = json.dumps(_statements(_stack(PROFILE)))
    assert f"foundation-model/{PROFILE}" not in text


@pytest.mark.parametrize(("model_id", "accepted"), [
    (MODEL, True), (PROFILE, True), ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", True),
    ("us-gov.anthropic.claude-3-haiku-20240307-v1:0", True), ("cohere.embed-english-v3", True),
    # the grants could not be derived from an ARN, nor the model from a fourth dot-separated part
    (f"arn:aws:bedrock:{REGION}::foundation-model/{MODEL}", False), ("a.b.c.d", False),
])
def test_model_id_takes_a_model_or_an_inference_profile_id(model_id: str, accepted: bool) -> None:
    pattern = _stack(MODEL).template["Parameters"]["ModelId"]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, model_id)) is accepted
