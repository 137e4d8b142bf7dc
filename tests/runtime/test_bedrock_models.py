"""The Bedrock simulator's model catalogue (models.json): GetFoundationModel, GetInferenceProfile, and the refusal of
unknown or non-batch models by CreateModelInvocationJob, InvokeModel and Converse.

Each test names the AWS page (or botocore model shape) whose behaviour it checks.
"""

from __future__ import annotations

import json

import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.validate import validate_parameters

from bedrock_batch.offline.bedrock import SimulatorConfig, family_for
from bedrock_batch.offline.bedrock.catalog import catalogue
from bedrock_batch.offline.bedrock.families import CONVERSE, FAMILIES
from bedrock_batch.offline.bedrock.runtime_api import RuntimeSimulator

BEDROCK = botocore.session.get_session().get_service_model("bedrock")
MISTYPED = "amazon.nova-mikro-v1:0"


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def assert_output_shape(operation: str, response: dict) -> None:
    """The response validates against the operation's output shape in botocore's bedrock model (required members,
    types, enums): what a real response would parse as."""
    shape = BEDROCK.operation_model(operation).output_shape
    body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    validate_parameters(body, shape)
    assert set(body) <= set(shape.members)


# -- the catalogue ---------------------------------------------------------------------------------------------


def test_every_catalogued_family_is_the_one_the_simulator_answers_with():
    """models.json names each model's response format (a Family.name of families.py, or null for none simulated);
    family_for answers with it, and with Converse for every text-output model (User Guide, conversation-inference
    supported models), never for embedding or image models."""
    names = {family.name for family in FAMILIES}
    for model in catalogue().models.values():
        assert model.family is None or model.family in names, model.model_id
        family = family_for(model.model_id)
        assert (family.name if family else None) == model.family, model.model_id
        converse = family_for(model.model_id, "Converse")
        assert (converse is CONVERSE) == ("TEXT" in model.output), model.model_id
    assert family_for("amazon.nova-canvas-v1:0") is None


def test_the_catalogue_covers_the_models_the_project_uses():
    """Every model id the template, README, samples and tests use is listed (User Guide, models-supported)."""
    for model_id in ("amazon.nova-micro-v1:0", "amazon.nova-lite-v1:0", "amazon.nova-pro-v1:0",
                     "anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-5-haiku-20241022-v1:0",
                     "anthropic.claude-3-7-sonnet-20250219-v1:0", "anthropic.claude-sonnet-4-20250514-v1:0",
                     "meta.llama3-1-8b-instruct-v1:0", "amazon.titan-embed-text-v2:0", "cohere.embed-english-v3",
                     "mistral.mistral-large-2407-v1:0"):
        assert catalogue().models[model_id].batch, model_id


# -- GetFoundationModel ----------------------------------------------------------------------------------------


def test_get_foundation_model_describes_a_model_as_the_api_does(bedrock_env):
    """API_GetFoundationModel: modelDetails (botocore FoundationModelDetails) for a model id or its ARN."""
    sim = bedrock_env.sim()
    response = sim.get_foundation_model(modelIdentifier="amazon.nova-micro-v1:0")
    assert_output_shape("GetFoundationModel", response)
    details = response["modelDetails"]
    assert details["modelArn"] == "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0"
    assert details["providerName"] == "Amazon" and details["outputModalities"] == ["TEXT"]
    assert details["modelLifecycle"] == {"status": "ACTIVE"}
    by_arn = sim.get_foundation_model(modelIdentifier=details["modelArn"])["modelDetails"]
    assert by_arn == details


def test_get_foundation_model_refuses_a_mistyped_id_and_a_malformed_one(bedrock_env):
    """API_GetFoundationModel errors: ValidationException for an id that names no model ("The provided model
    identifier is invalid.", as Bedrock words it) and for one outside the modelIdentifier pattern; a profile id is
    not a foundation model."""
    sim = bedrock_env.sim()
    for identifier in (MISTYPED, "us.amazon.nova-micro-v1:0"):
        with pytest.raises(ClientError) as refused:
            sim.get_foundation_model(modelIdentifier=identifier)
        assert error(refused) == ("ValidationException", "The provided model identifier is invalid.")
    with pytest.raises(ClientError) as malformed:
        sim.get_foundation_model(modelIdentifier="Not A Model")
    assert error(malformed)[0] == "ValidationException" and "regular expression" in error(malformed)[1]


# -- GetInferenceProfile ---------------------------------------------------------------------------------------


def test_get_inference_profile_describes_a_system_defined_profile(bedrock_env):
    """API_GetInferenceProfile (botocore GetInferenceProfileResponse): a cross-Region profile lists the model in
    each Region it routes to; type SYSTEM_DEFINED, status ACTIVE (User Guide, inference-profiles-support)."""
    sim = bedrock_env.sim()
    response = sim.get_inference_profile(inferenceProfileIdentifier="us.amazon.nova-micro-v1:0")
    assert_output_shape("GetInferenceProfile", response)
    assert response["inferenceProfileId"] == "us.amazon.nova-micro-v1:0"
    assert response["inferenceProfileArn"] == (
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-micro-v1:0")
    assert response["type"] == "SYSTEM_DEFINED" and response["status"] == "ACTIVE"
    regions = {m["modelArn"].split(":")[3] for m in response["models"]}
    assert {"us-east-1", "us-west-2"} <= regions and not any(r.startswith("eu-") for r in regions)
    by_arn = sim.get_inference_profile(inferenceProfileIdentifier=response["inferenceProfileArn"])
    assert by_arn["inferenceProfileId"] == response["inferenceProfileId"]


def test_get_inference_profile_does_not_find_unknown_or_foreign_profiles(bedrock_env):
    """API_GetInferenceProfile errors: ResourceNotFoundException for a profile that does not exist, one of another
    geography than the caller's Region (User Guide, inference-profiles-support: source Regions), a model without
    that profile, and an application profile the account never created."""
    sim = bedrock_env.sim()
    for identifier in ("us.amazon.nova-mikro-v1:0", "eu.amazon.nova-micro-v1:0", "global.amazon.nova-micro-v1:0",
                       "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abcdef123456"):
        with pytest.raises(ClientError) as missing:
            sim.get_inference_profile(inferenceProfileIdentifier=identifier)
        assert error(missing)[0] == "ResourceNotFoundException", identifier
        assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


# -- CreateModelInvocationJob ----------------------------------------------------------------------------------


def test_create_job_refuses_a_mistyped_model_and_creates_nothing(bedrock_env):
    """API_CreateModelInvocationJob: a modelId that names no model is a ValidationException before any job exists
    (it matches the ModelId pattern, so only the service can tell)."""
    sim = bedrock_env.sim()
    with pytest.raises(ClientError) as refused:
        bedrock_env.create(sim, modelId=MISTYPED)
    assert error(refused) == ("ValidationException", "The provided model identifier is invalid.")
    assert sim.list_model_invocation_jobs()["invocationJobSummaries"] == []


def test_create_job_refuses_a_model_without_batch_inference(bedrock_env):
    """User Guide, batch-inference-supported: only the listed models take batch jobs; Nova Canvas (image generation)
    and Mistral Large 24.02 are not among them."""
    sim = bedrock_env.sim()
    for model_id in ("amazon.nova-canvas-v1:0", "mistral.mistral-large-2402-v1:0"):
        with pytest.raises(ClientError) as refused:
            bedrock_env.create(sim, modelId=model_id)
        assert error(refused)[0] == "ValidationException" and "batch" in error(refused)[1]
    assert sim.jobs() == []


def test_create_job_takes_a_profile_of_its_own_geography_only(bedrock_env):
    """User Guide, batch-inference-supported and inference-profiles-support: a us. profile from us-east-1 runs; an
    eu. profile does not exist there."""
    sim = bedrock_env.sim()
    bedrock_env.put_jsonl("input/a.jsonl", bedrock_env.rows(100))
    job = bedrock_env.finish(sim, bedrock_env.create(sim, modelId="us.anthropic.claude-3-haiku-20240307-v1:0"))
    assert job["status"] == "Completed" and job["successRecordCount"] == 100
    with pytest.raises(ClientError) as foreign:
        bedrock_env.create(sim, modelId="eu.anthropic.claude-3-haiku-20240307-v1:0", jobName="other")
    assert error(foreign)[0] == "ValidationException"


# -- GetModelInvocationJob fields by state -----------------------------------------------------------------------


def test_a_running_or_completed_job_has_no_message_and_no_end_time_until_it_ends(bedrock_env):
    """botocore GetModelInvocationJobResponse: message "if the batch inference job failed"; endTime "the time at
    which the batch inference job ended"; the record counts; every answer validates against the output shape."""
    sim = bedrock_env.sim(SimulatorConfig(partial_jobs={1}))
    bedrock_env.put_jsonl("input/a.jsonl", bedrock_env.rows(100))
    arn = bedrock_env.create(sim)
    submitted = sim.get_model_invocation_job(jobIdentifier=arn)
    assert_output_shape("GetModelInvocationJob", submitted)
    assert "message" not in submitted and "endTime" not in submitted and "jobExpirationTime" in submitted
    job = bedrock_env.finish(sim, arn)
    assert_output_shape("GetModelInvocationJob", job)
    assert job["status"] == "PartiallyCompleted" and "message" not in job and "endTime" in job
    assert job["processedRecordCount"] < job["totalRecordCount"] == 100
    (summary,) = sim.list_model_invocation_jobs()["invocationJobSummaries"]
    assert "message" not in summary
    validate_parameters(summary, BEDROCK.shape_for("ModelInvocationJobSummary"))


def test_a_failed_job_explains_itself(bedrock_env):
    """botocore GetModelInvocationJobResponse: a Failed job carries the message saying why."""
    sim = bedrock_env.sim()
    job = bedrock_env.finish(sim, bedrock_env.create(sim, input_uri="s3://bedrock-in/nothing-here/"))
    assert job["status"] == "Failed" and job["message"]


# -- InvokeModel and Converse -----------------------------------------------------------------------------------


def test_invoke_model_and_converse_refuse_a_mistyped_model():
    """API Reference, InvokeModel and Converse errors: ValidationException "The provided model identifier is
    invalid." for an id that names no model or profile."""
    sim = RuntimeSimulator()
    messages = [{"role": "user", "content": [{"text": "hi"}]}]
    with pytest.raises(ClientError) as invoke:
        sim.invoke_model(modelId=MISTYPED, body=json.dumps({"messages": messages}))
    assert error(invoke) == ("ValidationException", "The provided model identifier is invalid.")
    with pytest.raises(ClientError) as converse:
        sim.converse(modelId="us." + MISTYPED, messages=messages)
    assert error(converse) == ("ValidationException", "The provided model identifier is invalid.")
    answer = sim.converse(modelId="us.amazon.nova-micro-v1:0", messages=messages)
    assert answer["output"]["message"]["content"][0]["text"]
