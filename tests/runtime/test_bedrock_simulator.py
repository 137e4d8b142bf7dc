"""The Bedrock batch simulator's API, lifecycle, quotas and faults.

Each test names the AWS page (or botocore model shape) whose behaviour it checks.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from botocore.exceptions import ClientError

from bedrock_batch.offline.bedrock import SimulatorConfig


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return exc.value.response["Error"]["Code"]


def statuses(sim, arn: str) -> list[str]:
    return [c.new for c in sim.state_log if c.job_arn == arn]


# -- lifecycle ---------------------------------------------------------------------------------------


def test_lifecycle_goes_through_every_status_in_order(bedrock_env):
    """botocore ModelInvocationJobStatus docs: Submitted -> Validating -> Scheduled -> InProgress -> Completed."""
    sim = bedrock_env.sim()
    bedrock_env.put_jsonl("input/a.jsonl", bedrock_env.rows(100))
    arn = bedrock_env.create(sim)
    assert sim.get_model_invocation_job(jobIdentifier=arn)["status"] == "Submitted"
    bedrock_env.advance(61)
    assert sim.get_model_invocation_job(jobIdentifier=arn)["status"] == "Validating"
    job = bedrock_env.finish(sim, arn)
    assert job["status"] == "Completed"
    assert statuses(sim, arn) == ["Submitted", "Validating", "Scheduled", "InProgress", "Completed"]
    assert job["totalRecordCount"] == job["processedRecordCount"] == job["successRecordCount"] == 100
    assert job["endTime"] > job["submitTime"] and isinstance(job["submitTime"], dt.datetime)
    # 60 s submitted + 300 s validating + 600 s scheduled + the one-hour minimum in progress
    assert (job["endTime"] - job["submitTime"]).total_seconds() == pytest.approx(60 + 300 + 600 + 3600)


def test_get_accepts_the_job_id_or_the_arn(bedrock_env):
    """API_GetModelInvocationJob: jobIdentifier is the ARN or the 12-character job id; the ARN ends in the id."""
    sim = bedrock_env.sim()
    arn = bedrock_env.create(sim)
    job_id = arn.rsplit("/", 1)[-1]
    assert len(job_id) == 12 and job_id.isalnum() and job_id == job_id.lower()
    assert arn == f"arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/{job_id}"
    by_id = sim.get_model_invocation_job(jobIdentifier=job_id)
    assert by_id["jobArn"] == sim.get_model_invocation_job(jobIdentifier=arn)["jobArn"] == arn
    assert by_id["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_unknown_job_is_not_found_and_a_malformed_identifier_is_invalid(bedrock_env):
    """API_GetModelInvocationJob errors: ResourceNotFoundException (404); the identifier pattern -> Validation."""
    sim = bedrock_env.sim()
    with pytest.raises(ClientError) as missing:
        sim.get_model_invocation_job(jobIdentifier="abcdefghijkl")
    assert error_code(missing) == "ResourceNotFoundException"
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as bad:
        sim.stop_model_invocation_job(jobIdentifier="not-a-job")
    assert error_code(bad) == "ValidationException"


def test_job_ids_are_deterministic_for_a_seed(bedrock_env):
    """Reproducible runs: the same seed yields the same job ids (the ARN format comes from the botocore model)."""
    first = bedrock_env.create(bedrock_env.sim(SimulatorConfig(seed=7)))
    second = bedrock_env.create(bedrock_env.sim(SimulatorConfig(seed=7)))
    other = bedrock_env.create(bedrock_env.sim(SimulatorConfig(seed=8)))
    assert first == second != other


# -- CreateModelInvocationJob validation -------------------------------------------------------------


def test_same_client_request_token_returns_the_same_job(bedrock_env):
    """API_CreateModelInvocationJob clientRequestToken: a repeat with the same token is ignored, same jobArn."""
    sim = bedrock_env.sim()
    first = bedrock_env.create(sim, clientRequestToken="token-1")
    again = bedrock_env.create(sim, clientRequestToken="token-1")
    assert first == again
    assert len(sim.list_model_invocation_jobs()["invocationJobSummaries"]) == 1
    assert sim.get_model_invocation_job(jobIdentifier=first)["clientRequestToken"] == "token-1"


@pytest.mark.parametrize("name", ["", "-starts-with-dash", "has space", "a" * 64, "under_score"])
def test_job_name_outside_the_pattern_is_rejected(bedrock_env, name):
    """botocore ModelInvocationJobName: length 1-63, pattern [a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9\\+\\-\\.]){0,63}."""
    with pytest.raises(ClientError) as exc:
        bedrock_env.create(bedrock_env.sim(), jobName=name)
    assert error_code(exc) == "ValidationException"
    assert "jobName" in exc.value.response["Error"]["Message"]


def test_job_names_allowed_by_the_pattern_are_accepted(bedrock_env):
    """botocore ModelInvocationJobName: dashes, dots and plus signs may follow the first alphanumeric run."""
    sim = bedrock_env.sim()
    for name in ("a", "run-2026.01+retry", "x" * 63):
        bedrock_env.create(sim, jobName=name)


@pytest.mark.parametrize(
    "role", ["arn:aws:iam::123456789012:user/someone", "BedrockBatchRole", "arn:aws:s3:::bucket/role/x"]
)
def test_role_arn_must_be_an_iam_role(bedrock_env, role):
    """botocore RoleArn: arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+"""
    with pytest.raises(ClientError) as exc:
        bedrock_env.create(bedrock_env.sim(), roleArn=role)
    assert error_code(exc) == "ValidationException"


def test_timeout_must_be_between_24_and_168_hours(bedrock_env):
    """botocore ModelInvocationJobTimeoutDurationInHours: min 24, max 168."""
    sim = bedrock_env.sim()
    for hours in (23, 169):
        with pytest.raises(ClientError) as exc:
            bedrock_env.create(sim, timeoutDurationInHours=hours, jobName=f"t{hours}")
        assert error_code(exc) == "ValidationException"
    for hours in (24, 168):
        arn = bedrock_env.create(sim, timeoutDurationInHours=hours, jobName=f"t{hours}")
        job = sim.get_model_invocation_job(jobIdentifier=arn)
        assert job["jobExpirationTime"] - job["submitTime"] == dt.timedelta(hours=hours)


def test_s3_uris_input_format_and_invocation_type_are_checked(bedrock_env):
    """botocore S3Uri pattern (s3://bucket/...), S3InputFormat enum [JSONL], ModelInvocationType enum."""
    sim = bedrock_env.sim()
    bad = [
        {"inputDataConfig": {"s3InputDataConfig": {"s3Uri": "https://bedrock-in/input/"}}},
        {"inputDataConfig": {"s3InputDataConfig": {"s3Uri": "s3://bedrock-in/in/", "s3InputFormat": "CSV"}}},
        {"outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "bedrock-out"}}},
        {"modelInvocationType": "Chat"},
        {"modelId": ""},
        {"unexpected": 1},
    ]
    for overrides in bad:
        with pytest.raises(ClientError) as exc:
            bedrock_env.create(sim, **overrides)
        assert error_code(exc) == "ValidationException", overrides
    assert sim.list_model_invocation_jobs()["invocationJobSummaries"] == []


def test_reused_job_name_is_rejected_unless_configured(bedrock_env):
    """Job names identify jobs (Bedrock's create-job APIs answer "The provided job name is currently in use.");
    unconfirmed for batch jobs, so the error code is a SimulatorConfig field and None allows duplicates."""
    sim = bedrock_env.sim()
    bedrock_env.create(sim, clientRequestToken="a")
    with pytest.raises(ClientError) as exc:
        bedrock_env.create(sim, clientRequestToken="b")
    assert error_code(exc) == "ValidationException"
    lenient = bedrock_env.sim(SimulatorConfig(duplicate_job_name_error=None))
    assert bedrock_env.create(lenient) != bedrock_env.create(lenient)


def test_role_without_pass_role_is_access_denied(bedrock_env):
    """API_CreateModelInvocationJob errors: AccessDeniedException (403) when the caller may not use the role."""
    sim = bedrock_env.sim(SimulatorConfig(access_denied_role_arns=frozenset({bedrock_env.ROLE})))
    with pytest.raises(ClientError) as exc:
        bedrock_env.create(sim)
    assert error_code(exc) == "AccessDeniedException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


# -- quotas and throttling ---------------------------------------------------------------------------


def test_jobs_in_flight_per_model_are_capped(bedrock_env):
    """Bedrock quotas: submitted + in-progress batch jobs per model are limited -> ServiceQuotaExceededException;
    other models have their own allowance and a finished job frees a slot."""
    sim = bedrock_env.sim(SimulatorConfig(max_jobs_in_flight_per_model=2))
    bedrock_env.put_jsonl("input/a.jsonl", bedrock_env.rows(100))
    first = bedrock_env.create(sim, jobName="a")
    bedrock_env.create(sim, jobName="b")
    with pytest.raises(ClientError) as exc:
        bedrock_env.create(sim, jobName="c")
    assert error_code(exc) == "ServiceQuotaExceededException"
    bedrock_env.create(sim, jobName="other", modelId="meta.llama3-1-8b-instruct-v1:0")
    bedrock_env.finish(sim, first)
    bedrock_env.create(sim, jobName="c")
    assert sim.max_in_flight_seen(bedrock_env.CLAUDE) == 2
    assert sim.max_in_flight_seen() == 3


def test_throttle_and_quota_faults_hit_the_first_calls(bedrock_env):
    """API_CreateModelInvocationJob errors: ThrottlingException (429) and ServiceQuotaExceededException; a caller
    must retry. The faults hit the first N calls only."""
    sim = bedrock_env.sim(SimulatorConfig(throttle_creates=2, quota_errors=1))
    codes = []
    for _ in range(3):
        with pytest.raises(ClientError) as exc:
            bedrock_env.create(sim)
        codes.append((error_code(exc), exc.value.response["ResponseMetadata"]["HTTPStatusCode"]))
    assert codes == [("ThrottlingException", 429), ("ThrottlingException", 429), ("ServiceQuotaExceededException", 400)]
    assert bedrock_env.create(sim).startswith("arn:aws:bedrock:")


# -- input validation while Validating ---------------------------------------------------------------


def test_fewer_records_than_the_minimum_fails_the_job(bedrock_env):
    """Bedrock quotas "Minimum number of records per batch inference job" (100 here, configurable) -> Failed."""
    sim = bedrock_env.sim()
    bedrock_env.put_jsonl("input/a.jsonl", bedrock_env.rows(99))
    job = bedrock_env.finish(sim, bedrock_env.create(sim))
    assert job["status"] == "Failed"
    assert "minimum" in job["message"] and "100" in job["message"]
    assert statuses(sim, job["jobArn"]) == ["Submitted", "Validating", "Failed"]
    assert bedrock_env.output(job["jobArn"]) == ({}, None)


def test_more_records_than_the_maximum_fails_the_job(bedrock_env):
    """Bedrock quotas "Records per batch inference job" / "per input file" (configurable) -> Failed."""
    sim = bedrock_env.sim(SimulatorConfig(max_records_per_job=150, max_records_per_file=120))
    bedrock_env.put_jsonl("input/a.jsonl", bedrock_env.rows(121))
    job = bedrock_env.finish(sim, bedrock_env.create(sim))
    assert job["status"] == "Failed" and "120" in job["message"]


def test_a_single_input_object_must_be_a_jsonl_file(bedrock_env):
    """batch-inference-data: "Your JSONL file must end in the extension .jsonl"."""
    sim = bedrock_env.sim()
    bedrock_env.put_jsonl("input/records.json", bedrock_env.rows(100))
    job = bedrock_env.finish(sim, bedrock_env.create(sim, input_uri="s3://bedrock-in/input/records.json"))
    assert job["status"] == "Failed" and ".jsonl" in job["message"]


def test_a_prefix_reads_every_jsonl_file_and_ignores_other_objects(bedrock_env):
    """batch-inference-data: the S3 location holds at least one .jsonl file, and may also hold content files
    (nested folders allowed); output has one .out file per input file (batch-inference-results)."""
    sim = bedrock_env.sim()
    bedrock_env.put_jsonl("input/a.jsonl", bedrock_env.rows(60))
    bedrock_env.put_jsonl("input/nested/b.jsonl", bedrock_env.rows(60))
    bedrock_env.s3.put_object(Bucket="bedrock-in", Key="input/video.mp4", Body=b"\x00\x01")
    job = bedrock_env.finish(sim, bedrock_env.create(sim, input_uri="s3://bedrock-in/input"))
    assert job["status"] == "Completed" and job["totalRecordCount"] == 120
    files, manifest = bedrock_env.output(job["jobArn"])
    assert sorted(files) == ["a.jsonl.out", "nested/b.jsonl.out"]
    assert manifest["totalRecordCount"] == 120


def test_a_line_that_is_not_a_json_object_fails_validation(bedrock_env):
    """ModelInvocationJobStatus Validating: "each individual record is a JSON object in the correct format"."""
    sim = bedrock_env.sim()
    body = "".join(f'{{"recordId": "r{i}", "modelInput": {{"prompt": "x"}}}}\n' for i in range(100)) + "not json\n"
    bedrock_env.s3.put_object(Bucket="bedrock-in", Key="input/a.jsonl", Body=body.encode())
    job = bedrock_env.finish(sim, bedrock_env.create(sim))
    assert job["status"] == "Failed" and "Line 101" in job["message"]


def test_an_input_file_read_in_blocks_gives_every_record_and_the_right_line_numbers(bedrock_env, monkeypatch):
    """batch-inference-data / ModelInvocationJobStatus Validating: every JSON object line is one record, blank
    lines (any line break: \\n, \\r\\n, \\r) are not records, and a bad line fails the job naming its line. The
    simulator reads a file in blocks (of 1 MiB; 64 characters here, so that lines fall across many blocks): the
    records, their answers and the line numbers are those of the whole file."""
    from bedrock_batch.offline.bedrock import simulator

    monkeypatch.setattr(simulator, "_BLOCK_BYTES", 64)
    sim = bedrock_env.sim()
    lines = [f'{{"recordId": "r{i:03}", "modelInput": {{"prompt": "{"x" * (i % 90)}"}}}}' for i in range(120)]
    body = "\n".join(lines[:40]) + "\r\n\r\n" + "\r\n".join(lines[40:80]) + "\n\n\r" + "\n".join(lines[80:])
    bedrock_env.s3.put_object(Bucket="bedrock-in", Key="input/a.jsonl", Body=body.encode())
    job = bedrock_env.finish(sim, bedrock_env.create(sim))
    assert job["status"] == "Completed" and job["totalRecordCount"] == 120
    assert [line["recordId"] for line in bedrock_env.output(job["jobArn"])[0]["a.jsonl.out"]] == \
        [f"r{i:03}" for i in range(120)]
    bad = body.replace(lines[100], "not json")
    number = bad.splitlines().index("not json") + 1  # 104: one blank line, then two
    bedrock_env.s3.put_object(Bucket="bedrock-in", Key="input/a.jsonl", Body=bad.encode())
    job = bedrock_env.finish(sim, bedrock_env.create(sim, jobName="second"))
    assert number == 104 and job["status"] == "Failed" and f"Line {number} " in job["message"]


def test_extra_keys_and_a_model_id_in_model_input_become_error_lines(bedrock_env):
    """batch-inference-data record format {recordId, modelInput}: extra top-level keys or modelId inside modelInput
    are rejected per record ("Extra inputs are not permitted"); the job still Completes (LiteLLM PR 36159)."""
    sim = bedrock_env.sim()
    rows = bedrock_env.rows(100)
    rows[3]["customerId"] = "c-3"
    rows[5]["modelInput"]["modelId"] = bedrock_env.CLAUDE
    bedrock_env.put_jsonl("input/a.jsonl", rows)
    job = bedrock_env.finish(sim, bedrock_env.create(sim))
    assert job["status"] == "Completed" and job["errorRecordCount"] == 2
    lines = {line["recordId"]: line for line in bedrock_env.output(job["jobArn"])[0]["a.jsonl.out"]}
    assert lines["R00003"]["error"]["errorCode"] == 400
    assert "Extra inputs are not permitted" in lines["R00003"]["error"]["errorMessage"]
    assert "modelId" in lines["R00005"]["error"]["errorMessage"] and "modelOutput" not in lines["R00005"]


def test_a_missing_record_id_is_added_in_the_output(bedrock_env):
    """batch-inference-data: "If you omit the recordId field, Amazon Bedrock adds it in the output"."""
    sim = bedrock_env.sim()
    rows = bedrock_env.rows(100)
    del rows[0]["recordId"]
    bedrock_env.put_jsonl("input/a.jsonl", rows)
    job = bedrock_env.finish(sim, bedrock_env.create(sim))
    first = bedrock_env.output(job["jobArn"])[0]["a.jsonl.out"][0]
    assert len(first["recordId"]) == 11 and first["recordId"].isalnum() and "modelOutput" in first


# -- faults and terminal statuses --------------------------------------------------------------------


def test_failed_job_fault_writes_no_output_and_has_a_message(bedrock_env):
    """ModelInvocationJobStatus Failed: "Check the failure message"; GetModelInvocationJob message field."""
    sim = bedrock_env.sim(SimulatorConfig(fail_jobs={2}))
    bedrock_env.put_jsonl("input/a.jsonl", bedrock_env.rows(100))
    ok = bedrock_env.create(sim, jobName="first")
    bad = bedrock_env.create(sim, jobName="second")
    assert bedrock_env.finish(sim, ok)["status"] == "Completed"
    job = bedrock_env.finish(sim, bad)
    assert job["status"] == "Failed" and job["message"]
    assert statuses(sim, bad)[-2:] == ["InProgress", "Failed"]
    assert bedrock_env.output(bad) == ({}, None)


def test_fail_fault_by_name_glob_at_validation(bedrock_env):
    """Faults pick jobs by job-name glob too; a failure at validation never reaches Scheduled (status docs)."""
    sim = bedrock_env.sim(SimulatorConfig(fail_jobs={"doomed-*"}, fail_stage="Validating"))
    bedrock_env.put_jsonl("input/a.jsonl", bedrock_env.rows(100))
    job = bedrock_env.finish(sim, bedrock_env.create(sim, jobName="doomed-7"))
    assert statuses(sim, job["jobArn"]) == ["Submitted", "Validating", "Failed"]


def test_job_that_never_starts_before_its_timeout_expires(bedrock_env):
    """ModelInvocationJobStatus Expired: "scheduled but didn't begin before the set timeout duration"."""
    sim = bedrock_env.sim(SimulatorConfig(expire_jobs={1}, extra_schedule_delay_seconds=0))
    bedrock_env.put_jsonl("input/a.jsonl", bedrock_env.rows(100))
    job = bedrock_env.finish(sim, bedrock_env.create(sim))
    assert job["status"] == "Expired"
    assert job["endTime"] == job["jobExpirationTime"]
    assert statuses(sim, job["jobArn"]) == ["Submitted", "Validating", "Scheduled", "Expired"]
    natural = bedrock_env.sim(SimulatorConfig(extra_schedule_delay_seconds=30 * 3600))
    assert bedrock_env.finish(natural, bedrock_env.create(natural, jobName="late"))["status"] == "Expired"


def test_partial_fault_processes_only_part_of_the_records(bedrock_env):
    """ModelInvocationJobStatus PartiallyCompleted: "Not all of your records could be processed in time";
    the manifest counts all records, the output holds the processed ones (batch-inference-results)."""
    sim = bedrock_env.sim(SimulatorConfig(partial_jobs={1}, partial_fraction=0.25))
    bedrock_env.put_jsonl("input/a.jsonl", bedrock_env.rows(200))
    job = bedrock_env.finish(sim, bedrock_env.create(sim))
    assert job["status"] == "PartiallyCompleted"
    files, manifest = bedrock_env.output(job["jobArn"])
    assert manifest["totalRecordCount"] == 200 and manifest["processedRecordCount"] == 50
    assert len(files["a.jsonl.out"]) == 50


def test_timeout_while_in_progress_ends_partially_completed(bedrock_env):
    """ModelInvocationJobStatus PartiallyCompleted ("could not be processed in time") with timeoutDurationInHours."""
    sim = bedrock_env.sim(SimulatorConfig(seconds_per_record=2000))  # 100 records take ~55 h, past the 24 h timeout
    bedrock_env.put_jsonl("input/a.jsonl", bedrock_env.rows(100))
    job = bedrock_env.finish(sim, bedrock_env.create(sim, timeoutDurationInHours=24))
    assert job["status"] == "PartiallyCompleted"
    assert 0 < job["processedRecordCount"] < 100


def test_stop_moves_through_stopping_to_stopped_and_keeps_processed_records(bedrock_env):
    """batch-inference-stop: a stopped job is charged for tokens already processed; statuses Stopping -> Stopped;
    stopping a finished job is a conflict (API_StopModelInvocationJob lists ConflictException)."""
    sim = bedrock_env.sim()
    bedrock_env.put_jsonl("input/a.jsonl", bedrock_env.rows(100))
    arn = bedrock_env.create(sim)
    bedrock_env.advance(60 + 300 + 600 + 1800)  # half-way through the hour in progress
    assert sim.stop_model_invocation_job(jobIdentifier=arn)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert sim.get_model_invocation_job(jobIdentifier=arn)["status"] == "Stopping"
    job = bedrock_env.finish(sim, arn)
    assert job["status"] == "Stopped"
    _, manifest = bedrock_env.output(arn)
    assert 40 <= manifest["processedRecordCount"] <= 60
    with pytest.raises(ClientError) as exc:
        sim.stop_model_invocation_job(jobIdentifier=arn)
    assert error_code(exc) == "ConflictException"


def test_stop_before_start_and_the_stop_fault(bedrock_env):
    """batch-inference-stop: a job can be stopped before it runs (no output); the stop_jobs fault stops mid-run."""
    sim = bedrock_env.sim(SimulatorConfig(stop_jobs={"auto-*"}))
    bedrock_env.put_jsonl("input/a.jsonl", bedrock_env.rows(100))
    early = bedrock_env.create(sim, jobName="early")
    sim.stop_model_invocation_job(jobIdentifier=early)
    assert bedrock_env.finish(sim, early)["status"] == "Stopped"
    assert bedrock_env.output(early) == ({}, None)
    auto = bedrock_env.finish(sim, bedrock_env.create(sim, jobName="auto-1"))
    assert statuses(sim, auto["jobArn"])[-3:] == ["InProgress", "Stopping", "Stopped"]


# -- ListModelInvocationJobs -------------------------------------------------------------------------


def test_list_filters_sorts_and_pages(bedrock_env):
    """API_ListModelInvocationJobs: statusEquals, nameContains, sortOrder, maxResults with nextToken."""
    sim = bedrock_env.sim(SimulatorConfig(fail_jobs={3}, fail_stage="Validating"))
    bedrock_env.put_jsonl("input/a.jsonl", bedrock_env.rows(100))
    for i in range(5):
        bedrock_env.create(sim, jobName=f"{'nightly' if i % 2 else 'adhoc'}-{i}")
        bedrock_env.advance(1)
    bedrock_env.advance(400)
    failed = sim.list_model_invocation_jobs(statusEquals="Failed")["invocationJobSummaries"]
    assert [j["jobName"] for j in failed] == ["adhoc-2"]
    nightly = sim.list_model_invocation_jobs(nameContains="nightly", sortOrder="Ascending")
    assert [j["jobName"] for j in nightly["invocationJobSummaries"]] == ["nightly-1", "nightly-3"]
    page1 = sim.list_model_invocation_jobs(maxResults=2)
    page2 = sim.list_model_invocation_jobs(maxResults=2, nextToken=page1["nextToken"])
    page3 = sim.list_model_invocation_jobs(maxResults=2, nextToken=page2["nextToken"])
    names = [j["jobName"] for p in (page1, page2, page3) for j in p["invocationJobSummaries"]]
    assert names == ["adhoc-4", "nightly-3", "adhoc-2", "nightly-1", "adhoc-0"] and "nextToken" not in page3


# -- progress counts -----------------------------------------------------------------------------------


COUNTS = ("totalRecordCount", "processedRecordCount", "successRecordCount", "errorRecordCount")


def counts(sim, arn: str) -> dict[str, int]:
    job = sim.get_model_invocation_job(jobIdentifier=arn)
    return {k: job[k] for k in COUNTS if k in job}


def test_record_counts_grow_while_in_progress_and_match_the_output(bedrock_env):
    """API_GetModelInvocationJob totalRecordCount, processedRecordCount, successRecordCount, errorRecordCount
    ("the number of records that have been processed in the batch inference job"), and batch-inference-monitor
    ("track a job's status by comparing the total number of records and number of records that have already been
    processed"). Stricter reading: a count is absent until it is known, the total from validation on, the others
    from InProgress; the success/error split is the output's, record for record."""
    sim = bedrock_env.sim(SimulatorConfig(record_error_rate=0.2, seed=3))
    bedrock_env.put_jsonl("input/a.jsonl", bedrock_env.rows(60))
    bedrock_env.put_jsonl("input/b.jsonl", bedrock_env.rows(60))
    arn = bedrock_env.create(sim)
    assert counts(sim, arn) == {}  # Submitted: nothing read yet
    bedrock_env.advance(60 + 300 + 1)
    assert sim.get_model_invocation_job(jobIdentifier=arn)["status"] == "Scheduled"
    assert counts(sim, arn) == {"totalRecordCount": 120}
    bedrock_env.advance(600)
    assert counts(sim, arn) == dict.fromkeys(COUNTS, 0) | {"totalRecordCount": 120}  # InProgress, just started
    seen = []
    for _ in range(5):  # the hour in progress, in steps of 12 minutes
        bedrock_env.advance(719)
        now = counts(sim, arn)
        assert now["successRecordCount"] + now["errorRecordCount"] == now["processedRecordCount"] < 120
        seen.append(now)
    processed = [c["processedRecordCount"] for c in seen]
    assert processed == sorted(processed) and processed[0] > 0 and len(set(processed)) == 5
    assert [c["errorRecordCount"] for c in seen] == sorted(c["errorRecordCount"] for c in seen)
    job = bedrock_env.finish(sim, arn)
    assert job["status"] == "Completed" and job["processedRecordCount"] == 120
    files, manifest = bedrock_env.output(arn)
    lines = files["a.jsonl.out"] + files["b.jsonl.out"]
    errors = sum(1 for line in lines if "error" in line)
    assert job["errorRecordCount"] == manifest["errorRecordCount"] == errors >= seen[-1]["errorRecordCount"] > 0
    assert job["successRecordCount"] == manifest["successRecordCount"] == 120 - errors
    # the records counted as errors mid-job are the first processed ones that the output shows as errors
    first = seen[2]["processedRecordCount"]
    assert seen[2]["errorRecordCount"] == sum(1 for line in lines[:first] if "error" in line)


def test_a_partial_job_counts_up_to_its_share_and_a_stopped_job_keeps_its_count(bedrock_env):
    """PartiallyCompleted and Stopping: processedRecordCount never goes past what the output will hold, and does
    not move once a stop is asked for (batch-inference-stop: charged for the records already processed)."""
    sim = bedrock_env.sim(SimulatorConfig(partial_jobs={"part"}, partial_fraction=0.5))
    bedrock_env.put_jsonl("input/a.jsonl", bedrock_env.rows(100))
    part = bedrock_env.create(sim, jobName="part")
    bedrock_env.advance(60 + 300 + 600 + 3599)
    assert 45 <= counts(sim, part)["processedRecordCount"] <= 50
    job = bedrock_env.finish(sim, part)
    assert job["status"] == "PartiallyCompleted" and job["processedRecordCount"] == 50
    sim = bedrock_env.sim()
    stop = bedrock_env.create(sim, jobName="stop")
    bedrock_env.advance(60 + 300 + 600 + 1800)
    sim.stop_model_invocation_job(jobIdentifier=stop)
    at_stop = counts(sim, stop)
    bedrock_env.advance(30)
    assert counts(sim, stop) == at_stop and at_stop["processedRecordCount"] == 50
    assert bedrock_env.finish(sim, stop)["processedRecordCount"] == 50


def test_a_stalled_job_stops_counting_and_expires_partially_completed(bedrock_env):
    """The stall_jobs fault: the job stays InProgress with processedRecordCount frozen at its stall point until
    timeoutDurationInHours runs out (ModelInvocationJobStatus PartiallyCompleted, "could not be processed in time")."""
    sim = bedrock_env.sim(SimulatorConfig(stall_jobs={1}, stall_fraction=0.3))
    bedrock_env.put_jsonl("input/a.jsonl", bedrock_env.rows(100))
    arn = bedrock_env.create(sim, timeoutDurationInHours=24)
    bedrock_env.advance(60 + 300 + 600 + 3600 + 60)
    frozen = counts(sim, arn)
    assert frozen["processedRecordCount"] == 30
    bedrock_env.advance(10 * 3600)
    assert sim.get_model_invocation_job(jobIdentifier=arn)["status"] == "InProgress" and counts(sim, arn) == frozen
    job = bedrock_env.finish(sim, arn)
    assert job["status"] == "PartiallyCompleted" and job["processedRecordCount"] == 30
    assert job["endTime"] == job["jobExpirationTime"]
    assert len(bedrock_env.output(arn)[0]["a.jsonl.out"]) == 30


def test_a_non_ascii_input_file_read_in_blocks_gives_every_record_as_written(bedrock_env, monkeypatch):
    """batch-inference-data: each line of a UTF-8 JSONL file is one record. The simulator decodes the file a block
    (of 1 MiB; 64 bytes here) at a time, each block ending after a newline byte: characters of two, three and four
    bytes at every position, raw U+2028/U+0085 line breaks (lines to ``str.splitlines``, so those split a record
    and fail the job, as they did when the file was decoded whole), and the line number of a bad line."""
    from bedrock_batch.offline.bedrock import simulator

    monkeypatch.setattr(simulator, "_BLOCK_BYTES", 64)
    sim = bedrock_env.sim()
    texts = [("é" * (i % 7)) + "漢字" * (i % 5) + "😀" * (i % 3) + "x" * (i % 11) for i in range(120)]
    lines = [json.dumps({"recordId": f"r{i:03}", "modelInput": {"prompt": text}}, ensure_ascii=False)
             for i, text in enumerate(texts)]
    body = "\n".join(lines) + "\n"
    bedrock_env.s3.put_object(Bucket="bedrock-in", Key="input/a.jsonl", Body=body.encode())
    job = bedrock_env.finish(sim, bedrock_env.create(sim, modelId="meta.llama3-1-8b-instruct-v1:0"))
    assert job["status"] == "Completed" and job["totalRecordCount"] == 120
    output = bedrock_env.output(job["jobArn"])[0]["a.jsonl.out"]
    assert [(line["recordId"], line["modelInput"]["prompt"]) for line in output] == \
        [(f"r{i:03}", text) for i, text in enumerate(texts)]
    for breaker in ("\u2028", "\x85"):
        bad = body.replace(lines[70], lines[70].replace('"prompt"', f'"prompt{breaker}"', 1))
        bedrock_env.s3.put_object(Bucket="bedrock-in", Key="input/a.jsonl", Body=bad.encode())
        job = bedrock_env.finish(sim, bedrock_env.create(sim, jobName=f"split{ord(breaker)}"))
        assert job["status"] == "Failed" and "Line 71 " in job["message"], job.get("message")


def test_a_file_that_is_not_utf8_fails_the_job_before_any_of_its_lines_is_read(bedrock_env, monkeypatch):
    """batch-inference-data: the input is UTF-8 JSON Lines. A file with a byte sequence that is not UTF-8 fails
    the job as not UTF-8 encoded, even where a line before it is not JSON (the simulator, which decodes a block
    at a time, checks the whole file first); a UTF-8 byte order mark is read as a character of the first line,
    which is then not JSON."""
    from bedrock_batch.offline.bedrock import simulator

    monkeypatch.setattr(simulator, "_BLOCK_BYTES", 64)
    sim = bedrock_env.sim()
    lines = [f'{{"recordId": "r{i:03}", "modelInput": {{"prompt": "x"}}}}' for i in range(120)]
    body = ("\n".join(lines[:3] + ["not json"] + lines[3:]) + "\n").encode()
    for n, data in enumerate([body[:-30] + b"\xff" + body[-30:], body[:-30] + b"\xed\xa0\x80" + body[-30:]]):
        bedrock_env.s3.put_object(Bucket="bedrock-in", Key="input/a.jsonl", Body=data)
        job = bedrock_env.finish(sim, bedrock_env.create(sim, jobName=f"bytes{n}"))
        assert job["status"] == "Failed" and job["message"] == "The input file a.jsonl is not UTF-8 encoded."
    bedrock_env.s3.put_object(Bucket="bedrock-in", Key="input/a.jsonl",
                              Body=b"\xef\xbb\xbf" + "\n".join(lines).encode())
    job = bedrock_env.finish(sim, bedrock_env.create(sim, jobName="bom"))
    assert job["status"] == "Failed" and job["message"] == "Line 1 of a.jsonl is not valid JSON."
