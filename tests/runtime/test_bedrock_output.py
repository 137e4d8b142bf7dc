"""What the Bedrock batch simulator writes: output files, manifests, per-family bodies, and EventBridge events."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from bedrock_batch.offline.bedrock import DeterministicBackend, SimulatorConfig, family_for
from bedrock_batch.offline.bedrock.families import (
    AMAZON_NOVA,
    ANTHROPIC_CLAUDE,
    COHERE_EMBED,
    CONVERSE,
    META_LLAMA,
    TITAN_EMBED_TEXT_V2,
    RecordError,
)


def converse_input(i: int) -> dict[str, Any]:
    return {
        "messages": [{"role": "user", "content": [{"text": f"Summarize the water cycle ({i})"}]}],
        "system": [{"text": "Be brief."}],
        "inferenceConfig": {"maxTokens": 100, "temperature": 0.2},
    }


def nova_input(i: int) -> dict[str, Any]:
    return {
        "schemaVersion": "messages-v1",
        "messages": [{"role": "user", "content": [{"text": f"Describe volcanic eruptions ({i})"}]}],
        "inferenceConfig": {"maxTokens": 100},
    }


def llama_input(i: int) -> dict[str, Any]:
    return {"prompt": f"Why is the ocean salty? ({i})", "max_gen_len": 128, "temperature": 0.5, "top_p": 0.9}


def titan_input(i: int) -> dict[str, Any]:
    return {"inputText": f"Document number {i} about glaciers", "dimensions": 256, "normalize": True}


def cohere_input(i: int) -> dict[str, Any]:
    return {"texts": [f"first text {i}", f"second text {i}"], "input_type": "search_document", "truncate": "END"}


def check_converse(out: dict[str, Any]) -> None:
    assert out["output"]["message"]["role"] == "assistant"
    assert out["output"]["message"]["content"][0]["text"]
    assert out["stopReason"] in ("end_turn", "max_tokens")
    usage = out["usage"]
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"] > 0


def check_claude(out: dict[str, Any]) -> None:
    assert out["type"] == "message" and out["role"] == "assistant" and out["id"].startswith("msg_bdrk_")
    assert out["content"][0]["type"] == "text" and out["content"][0]["text"]
    assert out["stop_reason"] == "end_turn" and out["usage"]["input_tokens"] > 0 and out["usage"]["output_tokens"] > 0


def check_nova(out: dict[str, Any]) -> None:
    assert out["output"]["message"]["content"][0]["text"] and out["stopReason"] == "end_turn"
    assert out["usage"]["inputTokens"] > 0 and out["usage"]["outputTokens"] > 0


def check_llama(out: dict[str, Any]) -> None:
    assert out["generation"] and out["stop_reason"] in ("stop", "length")
    assert out["prompt_token_count"] > 0 and out["generation_token_count"] > 0


def check_titan(out: dict[str, Any]) -> None:
    assert len(out["embedding"]) == 256 and out["inputTextTokenCount"] > 0
    assert math.isclose(math.sqrt(sum(v * v for v in out["embedding"])), 1.0, rel_tol=1e-9)


def check_cohere(out: dict[str, Any]) -> None:
    assert out["response_type"] == "embeddings_floats" and len(out["texts"]) == 2 and out["id"]
    assert [len(v) for v in out["embeddings"]] == [1024, 1024]


FAMILY_CASES = [
    ("anthropic.claude-3-haiku-20240307-v1:0", "Converse", converse_input, check_converse),
    ("us.anthropic.claude-3-5-sonnet-20240620-v1:0", "InvokeModel", None, check_claude),
    ("amazon.nova-lite-v1:0", "InvokeModel", nova_input, check_nova),
    ("meta.llama3-1-70b-instruct-v1:0", "InvokeModel", llama_input, check_llama),
    ("amazon.titan-embed-text-v2:0", "InvokeModel", titan_input, check_titan),
    ("cohere.embed-english-v3", "InvokeModel", cohere_input, check_cohere),
]


@pytest.mark.parametrize(("model_id", "invocation_type", "make", "check"), FAMILY_CASES)
def test_output_file_and_manifest_per_family(bedrock_env, model_id, invocation_type, make, check):
    """batch-inference-results: one <input>.jsonl.out per input file under <output>/<jobId>/ with lines
    {recordId, modelInput, modelOutput}; modelOutput is the model's InvokeModel body (or the Converse response);
    manifest.json.out is one JSON object with the six counts."""
    sim = bedrock_env.sim()
    rows = bedrock_env.rows(100, make or bedrock_env.claude_input)
    bedrock_env.put_jsonl("input/batch.jsonl", rows)
    job = bedrock_env.finish(sim, bedrock_env.create(sim, modelId=model_id, modelInvocationType=invocation_type))
    assert job["status"] == "Completed"
    files, manifest = bedrock_env.output(job["jobArn"])
    lines = files["batch.jsonl.out"]
    assert [line["recordId"] for line in lines] == [row["recordId"] for row in rows]  # input order by default
    for line, row in zip(lines, rows, strict=True):
        assert set(line) == {"recordId", "modelInput", "modelOutput"} and line["modelInput"] == row["modelInput"]
        check(line["modelOutput"])
    assert list(manifest) == [
        "totalRecordCount",
        "processedRecordCount",
        "successRecordCount",
        "errorRecordCount",
        "inputTokenCount",
        "outputTokenCount",
    ]
    assert manifest["totalRecordCount"] == manifest["processedRecordCount"] == manifest["successRecordCount"] == 100
    assert manifest["errorRecordCount"] == 0 and manifest["inputTokenCount"] > 0
    embedding = "embed" in model_id
    assert (manifest["outputTokenCount"] == 0) == embedding


def test_same_input_gives_the_same_output(bedrock_env):
    """Reproducibility of the default DeterministicBackend: the same record in two jobs gets the same answer."""
    sim = bedrock_env.sim()
    bedrock_env.put_jsonl("input/a.jsonl", bedrock_env.rows(100))
    a = bedrock_env.finish(sim, bedrock_env.create(sim, jobName="a"))
    b = bedrock_env.finish(sim, bedrock_env.create(sim, jobName="b"))
    text = [bedrock_env.output(j["jobArn"])[0]["a.jsonl.out"][7]["modelOutput"]["content"][0]["text"] for j in (a, b)]
    assert text[0] == text[1] and "photosynthesis" in text[0]


def test_request_shape_errors_are_400_error_lines(bedrock_env):
    """Status docs: "validation doesn't check if the modelInput value matches the request body for the model", so a
    wrong body is answered per record with an error object {errorCode, errorMessage} (batch-inference-results)."""
    sim = bedrock_env.sim()
    rows = bedrock_env.rows(100, titan_input)
    rows[0]["modelInput"] = {"text": "no inputText here"}
    rows[1]["modelInput"]["dimensions"] = 300
    bedrock_env.put_jsonl("input/a.jsonl", rows)
    job = bedrock_env.finish(sim, bedrock_env.create(sim, modelId="amazon.titan-embed-text-v2:0"))
    assert job["status"] == "Completed" and job["errorRecordCount"] == 2 and job["successRecordCount"] == 98
    lines = bedrock_env.output(job["jobArn"])[0]["a.jsonl.out"]
    assert lines[0]["error"]["errorCode"] == 400 and "inputText" in lines[0]["error"]["errorMessage"]
    assert "dimensions" in lines[1]["error"]["errorMessage"] and "modelOutput" not in lines[1]


def test_an_unknown_model_family_errors_every_record(bedrock_env):
    """A batch-capable model the simulator has no response format for (Mistral Large 24.07, listed in the User
    Guide's batch-inference-supported): the job Completes with every record an error line (a Completed job is not a
    successful one; check errorRecordCount)."""
    sim = bedrock_env.sim()
    bedrock_env.put_jsonl("input/a.jsonl", bedrock_env.rows(100))
    job = bedrock_env.finish(sim, bedrock_env.create(sim, modelId="mistral.mistral-large-2407-v1:0"))
    assert job["status"] == "Completed" and job["errorRecordCount"] == 100


def test_family_for_reads_plain_ids_inference_profiles_and_arns():
    """Bedrock modelId may be a model id, an inference profile id (us./eu./apac./global.) or an ARN (botocore
    ModelId pattern); Converse covers every text model but not embedding models."""
    assert family_for("anthropic.claude-3-haiku-20240307-v1:0") is ANTHROPIC_CLAUDE
    assert family_for("global.anthropic.claude-sonnet-4-5-20250929-v1:0") is ANTHROPIC_CLAUDE
    profile = "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.amazon.nova-pro-v1:0"
    assert family_for(profile) is AMAZON_NOVA
    assert family_for("arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-2-1b-instruct-v1:0") is META_LLAMA
    assert family_for("apac.amazon.titan-embed-text-v2:0") is TITAN_EMBED_TEXT_V2
    assert family_for("cohere.embed-multilingual-v3") is COHERE_EMBED
    assert family_for("meta.llama3-1-8b-instruct-v1:0", "Converse") is CONVERSE
    assert family_for("amazon.titan-embed-text-v2:0", "Converse") is None
    assert family_for("ai21.jamba-1-5-mini-v1:0") is None


def test_shuffled_output_still_carries_every_record_id(bedrock_env):
    """batch-inference-data (current version): output order "is not guaranteed to match" the input: consumers
    must join on recordId. shuffle_output proves they do."""
    sim = bedrock_env.sim(SimulatorConfig(shuffle_output=True))
    rows = bedrock_env.rows(150)
    bedrock_env.put_jsonl("input/a.jsonl", rows)
    job = bedrock_env.finish(sim, bedrock_env.create(sim))
    ids = [line["recordId"] for line in bedrock_env.output(job["jobArn"])[0]["a.jsonl.out"]]
    expected = [row["recordId"] for row in rows]
    assert ids != expected and sorted(ids) == sorted(expected)


def test_record_error_rate_is_deterministic_per_record(bedrock_env):
    """Bedrock does not retry single records (ml-commons PR 3421): errored records stay errors in the output.
    The injected draw depends on seed and recordId only, so two runs agree."""
    config = SimulatorConfig(record_error_rate=0.3, seed=3)
    bedrock_env.put_jsonl("input/a.jsonl", bedrock_env.rows(300))
    errored = []
    for name in ("one", "two"):
        sim = bedrock_env.sim(config)
        job = bedrock_env.finish(sim, bedrock_env.create(sim, jobName=name))
        lines = bedrock_env.output(job["jobArn"])[0]["a.jsonl.out"]
        errored.append({line["recordId"] for line in lines if "error" in line})
        assert job["errorRecordCount"] == len(errored[-1])
    assert errored[0] == errored[1] and 50 < len(errored[0]) < 130
    sample = next(line for line in lines if "error" in line)
    assert sample["error"]["errorCode"] == 500 and sample["error"]["errorMessage"]


def test_every_state_change_is_an_eventbridge_event(bedrock_env):
    """monitoring-eventbridge-how-it-works: source aws.bedrock, detail-type "Batch Inference Job State Change", detail
    {version, accountId, batchJobName, batchJobArn, batchModelId, status, failureMessage, creationTime}."""
    queue = bedrock_env.capture({"source": ["aws.bedrock"], "detail-type": ["Batch Inference Job State Change"]})
    sim = bedrock_env.sim()
    bedrock_env.put_jsonl("input/a.jsonl", bedrock_env.rows(100))
    arn = bedrock_env.create(sim)
    bedrock_env.finish(sim, arn)
    events = bedrock_env.drain(queue)
    assert [e["detail"]["status"] for e in events] == [
        "Submitted",
        "Validating",
        "Scheduled",
        "InProgress",
        "Completed",
    ]
    last = events[-1]
    assert last["resources"] == [arn]
    assert set(last["detail"]) == {
        "version",
        "accountId",
        "batchJobName",
        "batchJobArn",
        "batchModelId",
        "status",
        "failureMessage",
        "creationTime",
    }
    assert last["detail"]["batchJobArn"] == arn and last["detail"]["batchJobName"] == "job-1"
    assert last["detail"]["batchModelId"].endswith(":foundation-model/" + bedrock_env.CLAUDE)
    assert last["detail"]["creationTime"] == "Jan 1, 2026, 12:00:00 AM"
    assert last["time"] > events[0]["time"]  # virtual time, not the wall clock


def test_failure_message_is_in_the_event_and_lost_events_are_not_sent(bedrock_env):
    """monitoring-eventbridge: events are best effort; a Failed job's event carries failureMessage."""
    queue = bedrock_env.capture({"source": ["aws.bedrock"]})
    sim = bedrock_env.sim(SimulatorConfig(lose_events={2}))
    bedrock_env.put_jsonl("input/a.jsonl", bedrock_env.rows(10))  # below the minimum: Failed
    failed = bedrock_env.create(sim, jobName="few")
    silent = bedrock_env.create(sim, jobName="silent")
    bedrock_env.finish(sim, failed)
    bedrock_env.finish(sim, silent)
    events = bedrock_env.drain(queue)
    assert {e["detail"]["batchJobName"] for e in events} == {"few"}
    assert "minimum" in events[-1]["detail"]["failureMessage"] and events[-1]["detail"]["status"] == "Failed"
    assert [d["status"] for d in sim.lost_events] == ["Submitted", "Validating", "Failed"]


def test_output_objects_raise_s3_object_created_events(bedrock_env):
    """S3 userguide EventBridge: with EventBridge enabled on the bucket, each put_object emits "Object Created"
    (source aws.s3), which is how a pipeline can react to manifest.json.out appearing."""
    bedrock_env.s3.put_bucket_notification_configuration(
        Bucket="bedrock-out", NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    queue = bedrock_env.capture(
        {"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": {"object": {"key": [{"suffix": ".out"}]}}}
    )
    sim = bedrock_env.sim()
    bedrock_env.put_jsonl("input/a.jsonl", bedrock_env.rows(100))
    arn = bedrock_env.create(sim)
    bedrock_env.finish(sim, arn)
    keys = sorted(e["detail"]["object"]["key"] for e in bedrock_env.drain(queue))
    job_id = arn.rsplit("/", 1)[-1]
    assert keys == [f"results/{job_id}/a.jsonl.out", f"results/{job_id}/manifest.json.out"]
    assert (
        json.loads(bedrock_env.s3.get_object(Bucket="bedrock-out", Key=keys[1])["Body"].read())["successRecordCount"]
        == 100
    )


def test_model_input_comes_back_as_read_from_files_of_any_text(bedrock_env):
    """The simulator keeps a job's request lines on disk until the job ends and reads each record's modelInput
    back when it answers it: every output line's modelInput is the input line's, whatever characters (multi-byte
    UTF-8, escapes) and however many input files the job has."""
    sim = bedrock_env.sim()
    rows = {name: [{"recordId": f"{name}{i}", "modelInput": {
        "messages": [{"role": "user", "content": [{"text": f"Résumé {i} ✓ 漢字 \\\" \n {'é' * i}"}]}],
        "anthropic_version": "bedrock-2023-05-31", "max_tokens": 50}} for i in range(60)] for name in ("a", "b")}
    for name, file_rows in rows.items():
        bedrock_env.s3.put_object(Bucket="bedrock-in", Key=f"input/{name}.jsonl", Body="".join(
            json.dumps(r, ensure_ascii=name == "a") + "\n" for r in file_rows).encode())
    job = bedrock_env.finish(sim, bedrock_env.create(sim))
    assert job["status"] == "Completed"
    files, _ = bedrock_env.output(job["jobArn"])
    for name, file_rows in rows.items():
        assert [(line["recordId"], line["modelInput"]) for line in files[f"{name}.jsonl.out"]] == \
               [(row["recordId"], row["modelInput"]) for row in file_rows]


def test_an_output_past_8_mb_is_written_in_parts_and_reads_back_whole(bedrock_env):
    """An output file past 8 MB is uploaded in 8 MB parts from disk (a 50,000-record job writes about 110 MB, an
    embedding job about a gigabyte: never held in memory): the object holds every line once, shuffled as a smaller
    output is (the permutation depends on the seed, the job and the line count only)."""
    sim = bedrock_env.sim(SimulatorConfig(shuffle_output=True))
    rows = bedrock_env.rows(800, titan_input)  # 1,024 floats an answer: about 23 KB a line, 18 MB in all
    for row in rows:
        row["modelInput"]["dimensions"] = 1024
    bedrock_env.put_jsonl("input/a.jsonl", rows)
    job = bedrock_env.finish(sim, bedrock_env.create(sim, modelId="amazon.titan-embed-text-v2:0"))
    key = next(o["Key"] for o in bedrock_env.s3.list_objects_v2(Bucket="bedrock-out")["Contents"]
               if o["Key"].endswith("a.jsonl.out"))
    head = bedrock_env.s3.head_object(Bucket="bedrock-out", Key=key)
    assert head["ContentLength"] > 16 * 2**20 and head["ETag"].endswith('-3"')  # three parts
    ids = [line["recordId"] for line in bedrock_env.output(job["jobArn"])[0]["a.jsonl.out"]]
    expected = [row["recordId"] for row in rows]
    assert ids != expected and sorted(ids) == sorted(expected)
    assert all(len(line["modelOutput"]["embedding"]) == 1024
               for line in bedrock_env.output(job["jobArn"])[0]["a.jsonl.out"])


def _expected_line(job_id: str, model_id: str, row: dict[str, Any], backend: DeterministicBackend) -> str:
    """The output line of one input row, built the plain way: ``json.dumps`` of {recordId, modelInput, modelOutput}
    (the model's body for this job and record) or, for a row refused at validation, of the ``error`` in its place."""
    base = {"recordId": row["recordId"], "modelInput": row["modelInput"]}
    if set(row) != {"recordId", "modelInput"}:
        extra = ", ".join(sorted(set(row) - {"recordId", "modelInput"}))
        error = {"errorCode": 400, "errorMessage": f"Extra inputs are not permitted: {extra}"}
        return json.dumps({**base, "error": error})
    result = family_for(model_id).invoke(model_id, row["modelInput"], backend, f"{job_id}:{row['recordId']}")
    return json.dumps({**base, "modelOutput": result.output})


@pytest.mark.parametrize("shuffle", [False, True])
def test_output_files_hold_exactly_the_json_of_each_records_line(bedrock_env, shuffle):
    """batch-inference-results: each output line is the JSON of {recordId, modelInput, modelOutput | error}. The
    simulator answers records a stretch at a time and uploads each file from its spool of answers (in 8 MB parts
    past 8 MB); each line must be the JSON of that record's line, one a line, in UTF-8, in input order (or, with
    shuffle_output, the same lines in another order), whatever the input's formatting (spaces or none around
    separators, escaped or raw non-ASCII characters, blank lines) and values (floats to the last bit, -0.0, big
    ints, empty containers), and for a row refused at validation. Compared as the json module writes the value
    each line parses to: the same keys in the same order and every value to the last bit."""
    sim = bedrock_env.sim(SimulatorConfig(shuffle_output=shuffle))
    padding = "Wörter ✓ \\ \" \t " * 60  # about a kilobyte a record: file "b" passes 8 MB and is uploaded in parts
    rows = {name: [{"recordId": f"{name}{i:05d}", "modelInput": {
        "anthropic_version": "bedrock-2023-05-31", "max_tokens": 40 + i % 3, "temperature": 0.5 + i % 2,
        "messages": [{"role": "user", "content": [{"type": "text", "text": f"Question {i}: {padding}"}]}],
        "metadata": {"values": [-0.0, 1e100, 0.1 * i, 2**70 + i, True, False, None, {"ß": [], "": {}}]}}}
        for i in range(count)] for name, count in (("a", 300), ("b", 5200))}
    rows["a"][7]["note"] = "an extra key"
    for name, file_rows in rows.items():
        text = "".join(
            json.dumps(row, separators=(",", ":") if i % 2 else (", ", ": "), ensure_ascii=i % 3 == 0)
            + ("\n\n" if i % 5 == 0 else "\n")
            for i, row in enumerate(file_rows)
        )
        bedrock_env.s3.put_object(Bucket="bedrock-in", Key=f"input/{name}.jsonl", Body=text.encode())
    arn = bedrock_env.create(sim)
    assert bedrock_env.finish(sim, arn)["status"] == "Completed"
    folder = f"results/{arn.rsplit('/', 1)[-1]}/"
    for name, file_rows in rows.items():
        key = f"{folder}{name}.jsonl.out"
        body = bedrock_env.s3.get_object(Bucket="bedrock-out", Key=key)["Body"].read().decode("utf-8")
        job_id, backend = arn.rsplit("/", 1)[-1], DeterministicBackend(0)
        expected = [_expected_line(job_id, bedrock_env.CLAUDE, row, backend) for row in file_rows]
        lines = body.split("\n")
        assert lines.pop() == ""  # every line ends in a newline
        lines = [json.dumps(json.loads(line)) for line in lines]
        assert (sorted(lines) if shuffle else lines) == (sorted(expected) if shuffle else expected)
        assert (lines != expected) == shuffle
    parts = bedrock_env.s3.head_object(Bucket="bedrock-out", Key=f"{folder}b.jsonl.out")["ETag"]
    assert parts.endswith('-2"')


@pytest.mark.parametrize("salt_by_job", [False, True])
def test_the_injected_error_draw_is_the_hash_of_seed_salt_and_record_id(bedrock_env, salt_by_job):
    """SimulatorConfig.record_error_rate: a record is an error line where the first 8 bytes of the SHA-256 of
    ``seed:salt:recordId`` (salt: the job id with ``record_error_salt_by_job``, else empty), as a fraction of 2**64,
    fall below the rate. The simulator hashes the job's common start once and goes on from a copy for each record;
    the errored records are those the whole text's hash picks, for ids of every kind (non-ASCII, empty-looking,
    long)."""
    import hashlib

    config = SimulatorConfig(record_error_rate=0.35, seed=7, record_error_salt_by_job=salt_by_job)
    ids = [f"R{i:05d}" for i in range(150)] + ["é", "漢字-😀", " ", "x" * 300] + [f"{i}:{i}" for i in range(46)]
    rows = [{"recordId": record_id, "modelInput": bedrock_env.claude_input(i)} for i, record_id in enumerate(ids)]
    bedrock_env.put_jsonl("input/a.jsonl", rows)
    sim = bedrock_env.sim(config)
    job = bedrock_env.finish(sim, bedrock_env.create(sim))
    salt = job["jobArn"].rsplit("/", 1)[-1] if salt_by_job else ""

    def drawn(record_id: str) -> bool:
        digest = hashlib.sha256(f"{config.seed}:{salt}:{record_id}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < config.record_error_rate

    lines = bedrock_env.output(job["jobArn"])[0]["a.jsonl.out"]
    assert [line["recordId"] for line in lines] == ids
    assert [line["recordId"] for line in lines if "error" in line] == [i for i in ids if drawn(i)]
    assert 40 < job["errorRecordCount"] < 110


CLAUDE_ID = "anthropic.claude-3-haiku-20240307-v1:0"
_USER = {"role": "user", "content": [{"text": "hi"}]}


@pytest.mark.parametrize(("model_id", "invocation_type", "body", "message"), [
    ("amazon.nova-micro-v1:0", "Converse", {"messages": []}, "messages: Field required (a non-empty list)"),
    ("amazon.nova-micro-v1:0", "Converse", {"messages": [{"role": "assistant", "content": [{"text": "x"}]}]},
     "messages: the first message must be from 'user'"),
    ("amazon.nova-micro-v1:0", "Converse", {"messages": [_USER, "nope"]}, "messages.1: must be an object"),
    ("amazon.nova-micro-v1:0", "Converse", {"messages": [_USER, {"role": "system", "content": [{"text": "x"}]}]},
     "messages.1.role: must be 'user' or 'assistant'"),
    ("amazon.nova-micro-v1:0", "Converse", {"messages": [_USER, {"role": "assistant", "content": []}]},
     "messages.1: content must be a non-empty list of blocks"),
    ("amazon.nova-micro-v1:0", "Converse", {"messages": [_USER, {"role": "assistant", "content": ["x"]}]},
     "messages.1: each content block must be an object"),
    ("amazon.nova-micro-v1:0", "Converse", {"messages": [_USER, {"role": "user", "content": [{"text": 5}]}]},
     "messages.1: 'text' must be a string"),
    ("amazon.nova-micro-v1:0", "Converse", {"messages": [_USER], "system": {"text": "s"}},
     "system: must be a list of blocks"),
    ("amazon.nova-micro-v1:0", "Converse", {"messages": [_USER], "inferenceConfig": {"maxTokens": 0}},
     "inferenceConfig.maxTokens: must be an integer >= 1"),
    (CLAUDE_ID, "InvokeModel", {"anthropic_version": "v", "max_tokens": 5, "messages": [
        {"role": "user", "content": "hi"}, {"role": "assistant", "content": [{"text": "x"}]}]},
     "messages.1: content block is missing 'type'"),
    (CLAUDE_ID, "InvokeModel", {"anthropic_version": "v", "max_tokens": 5, "messages": [
        {"role": "user", "content": [{"type": "text"}]}]}, "messages.0: text block is missing 'text'"),
    (CLAUDE_ID, "InvokeModel", {"anthropic_version": "v", "max_tokens": 5, "messages": [
        {"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": 7}]},
     "messages.2: content must be a non-empty list of blocks"),
    (CLAUDE_ID, "InvokeModel", {"anthropic_version": "v", "max_tokens": True, "messages": [_USER]},
     "max_tokens: must be an integer >= 1"),
])
def test_a_bad_conversation_is_a_400_naming_the_field(model_id, invocation_type, body, message):
    """batch-inference-results: a body the model refuses is that record's error line, errorCode 400; the message
    names the field (``messages.<i>`` for the i-th message), as the model's own validation does."""
    with pytest.raises(RecordError) as refused:
        family_for(model_id, invocation_type).invoke(model_id, body, DeterministicBackend(0), "job:r1")
    assert (refused.value.code, refused.value.message) == (400, message)
