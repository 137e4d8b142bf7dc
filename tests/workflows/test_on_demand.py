"""Inputs below MinRecordsPerJob, answered on demand (InvokeModel / Converse) instead of by a batch job.

Issue "The stack works on its first real AWS run", points 5, 12 and 9 (Express part):

- 5: a Distributed Map child returns its records' answers, and a payload is at most 256 KiB (Developer Guide,
  service quotas): 25 Titan embeddings of 1,024 floats did not fit, and a 40-row file ended INCOMPLETE. Children
  are now sized by what an answer weighs;
- 12: the run summary counts the tokens answered on demand and prices them at the on-demand price;
- 9: an Express child must end within 5 minutes (Developer Guide, service quotas), throttling retries included.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from offline_stack import Pipeline, reviews_csv

from bedrock_batch.offline.bedrock.runtime_api import BedrockRuntimeConfig
from bedrock_batch.offline.definition import substitute
from bedrock_batch.offline.execution import MAX_DURATION, Execution
from bedrock_batch.offline.expressions import Expression
from bedrock_batch.offline.local import offline_aws
from bedrock_batch.offline.payloads import payload_size
from bedrock_batch.offline.runtime import Runtime, RuntimeConfig
from bedrock_batch.stack.deploy import OfflineStack
from bedrock_batch.stack.template import Stack

REPO = Path(__file__).resolve().parents[2]
PAYLOAD_LIMIT = 262_144  # 256 KiB (Developer Guide, service quotas)
EXPRESS_LIMIT = MAX_DURATION["EXPRESS"]  # 5 minutes (Developer Guide, service quotas)
ROWS = 40  # below MinRecordsPerJob (100): answered on demand


class OnDemandPipeline(Pipeline):
    """A Pipeline that also keeps the on-demand map's Express children, which the runtime does not retain (AWS keeps
    no history for Express executions), so a test can weigh their outputs and time them."""

    children: list[Execution]


def _pipeline(bedrock_runtime: BedrockRuntimeConfig | None = None, **parameters: str) -> Iterator[OnDemandPipeline]:
    with offline_aws():
        runtime = Runtime(RuntimeConfig(seed=7, bedrock_runtime=bedrock_runtime))
        stack = OfflineStack(Stack.from_file(REPO / "template.yaml", overrides=parameters), runtime).deploy()
        stack.upload_prompts(REPO / "prompts" / "templates.json")
        pipeline = OnDemandPipeline(runtime, stack)
        pipeline.children = []
        start_child = runtime.start_child_execution

        def keep_child(*args: Any, **kwargs: Any) -> Execution:
            execution = start_child(*args, **kwargs)
            if execution.machine.name.endswith("/Answerondemand"):  # the map run label: the state name without spaces
                pipeline.children.append(execution)
            return execution

        runtime.start_child_execution = keep_child  # type: ignore[method-assign]
        try:
            yield pipeline
        finally:
            runtime.close()


def _documents(count: int) -> str:
    return "doc_id,input_text\n" + "".join(f"d{i},Document number {i} about batch inference\n" for i in range(count))


def _summary(p: Pipeline) -> dict[str, Any]:
    (summary,) = p.summaries()
    return summary


def _number(summary: dict[str, Any], name: str) -> float:
    return float(summary[name]["N"]) if name in summary else 0.0


def _assert_children_within_limits(p: OnDemandPipeline) -> None:
    """Every child of "Answer on demand" succeeded, returned at most 256 KiB and ran less than 5 minutes."""
    assert p.children
    for child in p.children:
        assert child.status == "SUCCEEDED", (child.error, child.cause)
        assert payload_size(child.output) <= PAYLOAD_LIMIT
        assert child.stop is not None and child.stop - child.start < EXPRESS_LIMIT


EMBEDDING_MODELS = [
    # model id, EmbeddingDimensions, vector length, records per child (the definition's arithmetic)
    ("amazon.titan-embed-text-v2:0", "1024", 1024, 9),
    ("amazon.titan-embed-text-v2:0", "256", 256, 10),
    ("cohere.embed-english-v3", "1024", 1024, 6),
]


@pytest.mark.parametrize(("model_id", "dimensions", "length", "per_child"), EMBEDDING_MODELS)
def test_embeddings_answered_on_demand_fit_the_payload_limit(
    model_id: str, dimensions: str, length: int, per_child: int,
) -> None:
    """Point 5: 40 rows of 1,024-float embeddings end COMPLETE, each child's answers under 256 KiB."""
    for p in _pipeline(ModelId=model_id, ModelInvocationType="InvokeModel", EmbeddingDimensions=dimensions):
        p.drop("docs.csv", _documents(ROWS), prompt_id="embeddings")
        p.settle()

        assert p.jobs() == []
        assert p.runtime.counters.api_calls["bedrock-runtime:InvokeModel"] == ROWS
        summary = _summary(p)
        assert summary["status"]["S"] == "COMPLETE"
        rows = p.parquet_rows()
        assert len(rows) == ROWS and all(len(r["embedding"]) == length for r in rows)
        assert len({r["doc_id"] for r in rows}) == ROWS
        _assert_children_within_limits(p)
        assert len(p.children) == math.ceil(ROWS / per_child)
        # What Cohere echoes (texts) is not carried in the answers.
        assert all("texts" not in answer["modelOutput"] for child in p.children for answer in child.output)


def test_a_converse_model_answers_on_demand_with_its_tokens_counted() -> None:
    """Point 12: the summary counts the tokens of Converse answers, all of them on demand."""
    for p in _pipeline(ModelId="amazon.nova-micro-v1:0", ModelInvocationType="Converse"):
        p.drop("reviews.csv", reviews_csv(ROWS))
        p.settle()

        summary = _summary(p)
        assert summary["status"]["S"] == "COMPLETE"
        rows = p.parquet_rows()
        assert len(rows) == ROWS and all(r["response"] for r in rows)
        _assert_children_within_limits(p)
        simulator = p.runtime.bedrock_runtime
        assert _number(summary, "inputTokens") == simulator.input_tokens > 0
        assert _number(summary, "outputTokens") == simulator.output_tokens > 0
        assert _number(summary, "onDemandInputTokens") == simulator.input_tokens
        assert _number(summary, "onDemandOutputTokens") == simulator.output_tokens


@pytest.mark.parametrize(("model_id", "invocation", "prompt_id"), [
    ("amazon.titan-embed-text-v2:0", "InvokeModel", "embeddings"),
    ("cohere.embed-english-v3", "InvokeModel", "embeddings"),
    ("amazon.nova-micro-v1:0", "Converse", "review_sentiment"),
    ("us.anthropic.claude-3-5-haiku-20241022-v1:0", "InvokeModel", "review_sentiment"),
    ("meta.llama3-1-8b-instruct-v1:0", "InvokeModel", "review_sentiment"),
])
def test_the_on_demand_manifest_counts_the_tokens_each_call_used(model_id: str, invocation: str,
                                                                 prompt_id: str) -> None:
    """Point 12: manifest.json.out of an on-demand job holds Bedrock's counts, from each answer's usage (Cohere
    Embed returns none in its body: estimated at 4 characters a token, as the simulator counts them)."""
    for p in _pipeline(ModelId=model_id, ModelInvocationType=invocation):
        body = _documents(ROWS) if prompt_id == "embeddings" else reviews_csv(ROWS)
        p.drop("input.csv", body, prompt_id=prompt_id)
        p.settle()

        s3 = p.runtime.client("s3")
        (key,) = [o["Key"] for o in s3.list_objects_v2(Bucket=p.bucket, Prefix="batch-output/")["Contents"]
                  if o["Key"].endswith("/on-demand/manifest.json.out")]
        manifest = json.loads(s3.get_object(Bucket=p.bucket, Key=key)["Body"].read())
        simulator = p.runtime.bedrock_runtime
        assert manifest["onDemand"] is True
        assert manifest["totalRecordCount"] == manifest["processedRecordCount"] == ROWS
        assert manifest["successRecordCount"] == ROWS and manifest["errorRecordCount"] == 0
        assert manifest["inputTokenCount"] == simulator.input_tokens > 0
        assert manifest["outputTokenCount"] == simulator.output_tokens
        assert _summary(p)["status"]["S"] == "COMPLETE"


def test_tokens_answered_on_demand_are_priced_at_the_on_demand_price() -> None:
    """Point 12: batch costs half of on-demand; the estimate uses the On-demand prices for on-demand tokens."""
    prices = {"InputTokenPrice": "1", "OutputTokenPrice": "2", "OnDemandInputTokenPrice": "10",
              "OnDemandOutputTokenPrice": "20"}
    for p in _pipeline(ModelId="amazon.nova-micro-v1:0", ModelInvocationType="Converse", **prices):
        p.drop("reviews.csv", reviews_csv(ROWS))
        p.settle()

        summary = _summary(p)
        tokens_in, tokens_out = _number(summary, "inputTokens"), _number(summary, "outputTokens")
        assert tokens_in > 0 and tokens_out > 0
        expected = (tokens_in * 10 + tokens_out * 20) / 1_000_000
        assert _number(summary, "estimatedCost") == pytest.approx(expected, abs=1e-6)


def test_a_throttled_model_still_answers_every_record_within_five_minutes_a_child() -> None:
    """Point 9: every other call throttled; the retries recover and no Express child reaches 5 minutes."""
    throttling = BedrockRuntimeConfig(runtime_throttle_rate=0.5)
    for p in _pipeline(throttling, ModelId="amazon.titan-embed-text-v2:0", ModelInvocationType="InvokeModel"):
        p.drop("docs.csv", _documents(ROWS), prompt_id="embeddings")
        p.settle()

        assert p.runtime.bedrock_runtime.throttled >= ROWS / 2
        assert _summary(p)["status"]["S"] == "COMPLETE"
        assert len(p.parquet_rows()) == ROWS
        _assert_children_within_limits(p)


def test_a_model_that_always_throttles_sends_the_records_to_the_dead_letter_queue_within_five_minutes() -> None:
    """Point 9: the retries give up before the 5-minute Express limit; the records are dead-lettered with the
    error, and every row is accounted for."""
    throttling = BedrockRuntimeConfig(runtime_throttle_first=1_000_000)
    for p in _pipeline(throttling, ModelId="amazon.nova-micro-v1:0", ModelInvocationType="Converse"):
        p.drop("reviews.csv", reviews_csv(ROWS))
        p.settle()

        _assert_children_within_limits(p)
        assert p.runtime.bedrock_runtime.calls == ROWS * 5  # 1 call + MaxAttempts 4 retries
        letters = p.dead_letters()
        assert len(letters) == ROWS
        assert {m["errorCode"] for m in letters} == {"BedrockRuntime.ThrottlingException"}
        summary = _summary(p)
        assert _number(summary, "errors") == ROWS and _number(summary, "missing") == 0


# -- the arithmetic in the definition -------------------------------------------------------------------------


def _job_definition(**parameters: str) -> dict[str, Any]:
    stack = Stack.from_file(REPO / "template.yaml", overrides=parameters)
    props = stack.properties("JobStateMachine")
    text = (REPO / props["DefinitionUri"]).read_text()
    return json.loads(substitute(text, {k: str(v) for k, v in props["DefinitionSubstitutions"].items()}))


def _evaluate(expression: str, **variables: Any) -> Any:
    ok, value = Expression(expression, "test", "field").evaluate(variables)
    assert ok
    return value


def _records_per_child(family: str, **parameters: str) -> int:
    states = _job_definition(**parameters)["States"]
    answer_bytes = _evaluate(states["Size the on-demand batches"]["Assign"]["answerBytes"], run={"family": family})
    return _evaluate(states["Answer on demand"]["ItemBatcher"]["MaxItemsPerBatch"], answerBytes=answer_bytes)


def _heaviest_answer(family: str, dimensions: int, max_tokens: int) -> dict[str, Any]:
    """The largest answer a record can have: every float at its longest JSON form, every token 8 bytes."""
    record = "00000000001"
    longest_float = -1.2345678901234567e-05  # 23 characters as JSON, 24 with its comma
    if family == "titan-embed":
        return {"recordId": record, "modelOutput": {"embedding": [longest_float] * dimensions,
                                                    "inputTextTokenCount": 8192}}
    if family == "cohere-embed":
        return {"recordId": record, "modelOutput": {"embeddings": [[longest_float] * 1536],
                                                    "id": "0" * 36, "response_type": "embeddings_floats"}}
    return {"recordId": record, "modelOutput": {
        "output": {"message": {"role": "assistant", "content": [{"text": "x" * (8 * max_tokens)}]}},
        "stopReason": "max_tokens", "usage": {"inputTokens": 100000, "outputTokens": max_tokens}}}


@pytest.mark.parametrize(("family", "parameters"), [
    ("titan-embed", {"EmbeddingDimensions": "1024"}),
    ("titan-embed", {"EmbeddingDimensions": "512"}),
    ("titan-embed", {"EmbeddingDimensions": "256"}),
    ("cohere-embed", {}),
    ("converse", {"MaxTokens": "512"}),
    ("anthropic", {"MaxTokens": "4096"}),
    ("nova", {"MaxTokens": "8192"}),
])
def test_a_child_of_the_heaviest_answers_fits_the_payload_limit(family: str, parameters: dict[str, str]) -> None:
    """Point 5: records per child x the heaviest answer stays under 256 KiB, for every family and setting."""
    per_child = _records_per_child(family, **parameters)
    heaviest = _heaviest_answer(family, int(parameters.get("EmbeddingDimensions", "1024")),
                                int(parameters.get("MaxTokens", "512")))
    assert 1 <= per_child <= 10
    assert payload_size([heaviest] * per_child) <= PAYLOAD_LIMIT


def _worst_case_seconds(task: dict[str, Any]) -> float:
    """At most 1 + MaxAttempts calls of TimeoutSeconds each, and the longest waits between them."""
    (retrier,) = task["Retry"]
    waits = sum(min(retrier["IntervalSeconds"] * retrier.get("BackoffRate", 2.0) ** k,
                    retrier.get("MaxDelaySeconds", math.inf))
                for k in range(retrier["MaxAttempts"]))
    return (1 + retrier["MaxAttempts"]) * task["TimeoutSeconds"] + waits


def test_the_on_demand_child_cannot_outlast_the_express_limit() -> None:
    """Point 9: the child calls its records all at once (MaxConcurrency >= records per child), so it lasts as long
    as its slowest record plus the usage update; the definition's own numbers add up to under 5 minutes."""
    states = _job_definition()["States"]
    child = states["Answer on demand"]["ItemProcessor"]["States"]
    per_child_cap = _evaluate(states["Answer on demand"]["ItemBatcher"]["MaxItemsPerBatch"], answerBytes=1)
    answer_each = child["Answer each record"]
    assert answer_each["MaxConcurrency"] >= per_child_cap
    calls = answer_each["ItemProcessor"]["States"]
    slowest_record = max(_worst_case_seconds(calls["Converse"]), _worst_case_seconds(calls["Invoke the model"]))
    worst = slowest_record + _worst_case_seconds(child["Add up the usage"])
    assert slowest_record == 255 and worst == 273
    assert worst < EXPRESS_LIMIT


def test_a_child_over_the_payload_limit_sends_every_record_to_the_dead_letter_queue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """If a child still fails (here: a payload limit lowered to 50,000 bytes, under the 195 KB nine Titan answers
    weigh), nothing is published: every record of the job is dead-lettered with the map's error, none is lost."""
    from bedrock_batch.offline import errors

    for p in _pipeline(ModelId="amazon.titan-embed-text-v2:0", ModelInvocationType="InvokeModel"):
        monkeypatch.setattr(errors, "MAX_PAYLOAD_BYTES", 50_000)  # once deployed: the definitions check it too
        p.drop("docs.csv", _documents(ROWS), prompt_id="embeddings")
        p.settle()

        assert any(child.error == "States.DataLimitExceeded" for child in p.children)
        letters = p.dead_letters()
        assert len(letters) == ROWS and {m["errorCode"] for m in letters} == {"JobOnDemandFailed"}
        assert all("States.ExceedToleratedFailureThreshold" in m["errorMessage"] for m in letters)
        assert p.parquet_rows() == []
        summary = _summary(p)
        assert _number(summary, "errors") == ROWS and _number(summary, "missing") == 0
