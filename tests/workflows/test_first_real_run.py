"""The first real run on AWS, offline: the template's defaults on the strict runtime.

Issue "The stack works on its first real AWS run": GetModelInvocationJob returns ``message`` only for a failed or
stopped job (botocore's bedrock model), so a poll of a running job must not read it unguarded; Bedrock's
state-change events are best effort (Bedrock User Guide, monitoring-eventbridge), so polling alone must finish a run;
a job whose requests fill several files gets one output file per request file (batch-inference-results).
Every test ends with the product's invariant: rows in = Parquet rows + dead letters, each row once.
"""

from __future__ import annotations

import pytest
from offline_stack import make_pipeline
from test_scale import accounted

from bedrock_batch.demo import sample_reviews
from bedrock_batch.offline.bedrock import SimulatorConfig


def test_default_parameters_with_every_state_change_event_lost_finish_by_polling() -> None:
    for p in make_pipeline(SimulatorConfig(lose_events=frozenset({"*"}))):
        p.drop("reviews.csv", sample_reviews(1_250))
        p.settle()

        (job,) = p.jobs()
        assert job["status"] == "Completed"
        assert p.runtime.bedrock.lost_events and not p.runtime.bedrock.emitted_events
        polls = p.runtime.counters.api_calls["bedrock:GetModelInvocationJob"]
        assert polls >= 2, "a running job was polled at least once before it ended"
        assert accounted(p, 1_250) == (1_250, 0)


@pytest.mark.parametrize("sink", ["false", "true"], ids=["dynamodb-sink-off", "dynamodb-sink-on"])
def test_a_job_with_several_request_files_processes_every_output_file(sink: str) -> None:
    """The request writer splits a job's records over several files (RuntimeConfig.result_file_max_bytes stands
    for AWS's 5 GB split); Bedrock answers each in its own .jsonl.out. Every output file but the last is
    written without the job's request listing (RequestPrefix null), the last one lists what the job left out."""
    simulator = SimulatorConfig(record_error_rate=0.05, seed=5)
    for p in make_pipeline(simulator, runtime_options={"result_file_max_bytes": 60_000}, ResultsToDynamoDB=sink):
        p.drop("reviews.csv", sample_reviews(600))
        p.settle()

        (job,) = p.jobs()
        s3 = p.runtime.client("s3")
        outputs = [o["Key"] for o in s3.list_objects_v2(Bucket=p.bucket, Prefix="batch-output/")["Contents"]
                   if o["Key"].endswith(".jsonl.out")]
        assert len(outputs) >= 3, outputs
        results, dead = accounted(p, 600)
        assert dead > 0 and results == 600 - dead
        if sink == "true":
            assert len(p.result_items()) == results


@pytest.mark.parametrize("quoted", [False, True], ids=["plain-rows", "rows-full-of-quotes"])
def test_reader_batches_at_their_byte_cap_fit_the_payload_limit_once_written_as_json_lines(quoted: bool) -> None:
    """Developer Guide, service-quotas: 256 KiB per state input. A reader child writes its batch's rows as one
    JSON Lines string per slice; written into a JSON payload that string is escaped once more (each quote and
    backslash doubles), so a batch filled to its byte cap must leave room for that, for any content."""
    text = 'say "yes" or \\"no\\" ' if quoted else "plain words only "
    lines = ["source,target,rationale,task,type"]
    for i in range(1_500):
        source = f'"Problem {i}: ' + (text * 40).replace('"', '""')[:640] + '"'
        lines.append(f"{source},answer {i},because {i},task{i % 50},cot")
    for p in make_pipeline(MaxRecordsPerJob="50000", MinRecordsPerJob="100"):
        p.drop("long-rows.csv", "\n".join(lines) + "\n", prompt_id="simplecot_qa")
        p.settle()

        (run,) = p.executions("-input")
        assert run.status == "SUCCEEDED", (run.error, run.cause)
        results, dead = accounted(p, 1_500)
        assert results == 1_500 - dead
