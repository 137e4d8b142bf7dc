"""The cost model's arithmetic (bench/cost_model.py) on counters given here: each line item and the shares."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
_spec = importlib.util.spec_from_file_location("bench_cost_model", BENCH / "cost_model.py")
cost_model = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = cost_model  # dataclasses look their module up while the class is built
_spec.loader.exec_module(cost_model)

# Round prices, so that each expected figure below can be checked by hand.
PRICES = {
    "stepfunctions_standard_transition": 0.001,
    "stepfunctions_express_request": 0.01,
    "stepfunctions_express_gb_second": 1.0,
    "lambda_request": 0.1,
    "lambda_gb_second_arm64": 1.0,
    "lambda_gb_second_x86": 2.0,
    "s3_put_copy_post_list": 0.01,
    "s3_get_select": 0.001,
    "dynamodb_write_request_unit": 0.001,
    "dynamodb_read_request_unit": 0.0001,
    "sqs_request": 0.01,
    "cloudwatch_api_request": 0.01,
    "eventbridge_aws_service_event": 0.0,
    "bedrock_nova_micro_input_on_demand": 0.001,
    "bedrock_nova_micro_output_on_demand": 0.004,
    "bedrock_claude3_haiku_input_on_demand": 0.01,
    "bedrock_claude3_haiku_output_on_demand": 0.05,
    "bedrock_batch_discount": 0.5,
}
ASSUMPTIONS = cost_model.Assumptions(express_state_ms=20, express_api_call_ms=40, express_memory_mb=64,
                                     lambda_memory_mb=1024, lambda_cpu_factor=2.0, lambda_init_ms=500)
# One run of 10,000 rows in one job: 30 transitions in the two parent executions, 100 EXPRESS children of 8 states
# and 2 API calls each, one Lambda invocation of 1 s.
COUNTERS = {
    "state_transitions": {"STANDARD": 30, "EXPRESS": 800},
    "executions": {"STANDARD": 2, "EXPRESS": 100},
    "child_executions": {"EXPRESS": 100},
    "express_duration_ms": 0.0,
    "lambda_invocations": 1,
    "lambda_duration_ms": 1000.0,
    "api_calls": {"dynamodb:UpdateItem": 103, "dynamodb:BatchWriteItem": 86, "sqs:SendMessageBatch": 14,
                  "dynamodb:GetItem": 2, "dynamodb:PutItem": 2, "s3:GetObject": 3, "s3:PutObject": 4,
                  "s3:ListObjectsV2": 1, "s3:CopyObject": 1, "bedrock:CreateModelInvocationJob": 1},
    "map_runs": 2,
}
CALLS = {
    "EXPRESS": {"dynamodb:UpdateItem": 100, "dynamodb:BatchWriteItem": 86, "sqs:SendMessageBatch": 14},
    "STANDARD": {"dynamodb:UpdateItem": 3, "dynamodb:GetItem": 2, "dynamodb:PutItem": 2, "s3:GetObject": 3,
                 "s3:PutObject": 4, "s3:ListObjectsV2": 1, "s3:CopyObject": 1, "s3:DeleteObject": 7},
    "bedrock": {"s3:HeadBucket": 1, "s3:ListObjectsV2": 1, "s3:GetObject": 1, "s3:PutObject": 2,
                "events:PutEvents": 5},
    "lambda": {"s3:ListObjectsV2": 1, "s3:GetObject": 2, "s3:PutObject": 1, "s3:AbortMultipartUpload": 1},
}


def breakdown(**overrides):
    arguments = {"rows": 10_000, "result_items": 9_800, "result_item_bytes": 1_278, "jobs": 1, "calls": CALLS,
                 "target_rows": 1_000_000, "target_jobs": 20, "assumptions": ASSUMPTIONS, "prices": PRICES}
    counters = overrides.pop("counters", COUNTERS)
    return cost_model.pipeline_cost(counters, **{**arguments, **overrides})


def test_standard_transitions_are_the_parents_states_per_job_plus_one_per_child_per_row() -> None:
    line = breakdown().line("Standard state transitions")
    assert line.quantity == 30 * 20 + 100 * 100
    assert line.cost == pytest.approx(10_600 * 0.001)


def test_express_requests_are_one_per_child() -> None:
    line = breakdown().line("Express requests")
    assert line.quantity == 100 * 100
    assert line.cost == pytest.approx(10_000 * 0.01)


def test_express_executions_that_are_not_map_children_scale_with_jobs() -> None:
    counters = {**COUNTERS, "executions": {"STANDARD": 2, "EXPRESS": 101}, "state_transitions":
                {"STANDARD": 30, "EXPRESS": 808}}
    out = breakdown(counters=counters)
    assert out.line("Express requests").quantity == 100 * 100 + 1 * 20


def test_express_duration_follows_the_model_rounded_up_to_100_ms_at_64_mb() -> None:
    # per child: 8 states x 20 ms + 2 API calls x 40 ms = 240 ms, billed 300 ms
    line = breakdown().line("Express duration")
    assert line.quantity == pytest.approx(10_000 * 0.3 * 64 / 1024)
    assert line.cost == pytest.approx(line.quantity * 1.0)


def test_express_duration_has_a_100_ms_minimum_and_adds_virtual_time() -> None:
    assert cost_model.express_seconds_per_child(1, 0, 0, ASSUMPTIONS) == pytest.approx(0.1)
    assert cost_model.express_seconds_per_child(0, 0, 100, ASSUMPTIONS) == pytest.approx(0.1)
    assert cost_model.express_seconds_per_child(0, 0, 100.5, ASSUMPTIONS) == pytest.approx(0.2)
    assert cost_model.express_seconds_per_child(5, 0, 2_000, ASSUMPTIONS) == pytest.approx(2.1)


def test_lambda_requests_per_job_and_compute_per_row_plus_init_per_invocation() -> None:
    out = breakdown()
    assert out.line("Lambda requests").quantity == 20
    # 1 s measured x CPU factor 2 x 100 (rows) + 20 invocations x 0.5 s INIT, at 1 GB
    assert out.line("Lambda duration").quantity == pytest.approx(200 + 10)
    assert out.service("Lambda") == pytest.approx(20 * 0.1 + 210 * 1.0)


def test_s3_requests_by_price_class_from_every_source_and_deletes_are_free() -> None:
    out = breakdown()
    put = out.line("S3 PUT/COPY/POST/LIST requests")
    get = out.line("S3 GET/HEAD requests")
    # PUT-class: Step Functions 4 PUT + 1 LIST + 1 COPY, Bedrock 1 LIST + 2 PUT, Lambda 1 LIST + 1 PUT = 11 per job
    assert put.quantity == 11 * 20
    # GET-class: Step Functions 3, Bedrock 1 HEAD + 1 GET, Lambda 2 = 7 per job
    assert get.quantity == 7 * 20
    assert out.service("S3") == pytest.approx(220 * 0.01 + 140 * 0.001)


def test_item_reader_ranges_are_billed_gets_that_scale_with_rows() -> None:
    """Rule: S3 bills per request and a ranged read is a GET Object request (S3 pricing: per 1,000 GET, SELECT and
    all other requests). The offline ItemReader reads an object in 8 MiB ranged GETs; whether AWS's does is not
    documented (Developer Guide, input-output-itemreader), so each range is priced as a billed GET: the stricter
    reading. The runtime counts one GetObject per object read, boto3 counts every range: the ranges past each
    object's first are the difference, and they are bytes / 8 MiB, so they grow with rows, not with jobs."""
    # one of the parents' three objects read in 72 ranges (a 600 MB CSV): the runtime counts 3 GETs, boto3 3 + 71
    calls = {**CALLS, "STANDARD": {**CALLS["STANDARD"], "s3:GetObject": 3 + 71}}
    out = breakdown(calls=calls)
    ranges = out.line(cost_model.READER_RANGES)
    assert ranges.quantity == 71 * 100
    assert ranges.cost == pytest.approx(7_100 * 0.001)
    assert out.line("S3 GET/HEAD requests").quantity == 7 * 20  # the first GET of each object: per job, as before
    assert out.service("S3") == pytest.approx(breakdown().service("S3") + 7_100 * 0.001)
    assert any("8 MiB ranges" in note and "not documented" in note for note in out.notes)
    # a run that read no object past its first range has none; nothing is said
    assert breakdown().line(cost_model.READER_RANGES).quantity == 0
    assert not any(note.startswith("S3:") for note in breakdown().notes)


def test_without_calls_by_source_the_reader_is_priced_per_object_and_a_note_says_so() -> None:
    """The runtime's counter alone holds one GetObject per object read: no range is seen, and the notes say that
    the reader was priced per object rather than per 8 MiB range (never a silent difference from the counters)."""
    out = cost_model.pipeline_cost(COUNTERS, rows=10_000, result_items=9_800, result_item_bytes=1_278,
                                   target_jobs=20, assumptions=ASSUMPTIONS, prices=PRICES)
    assert out.line(cost_model.READER_RANGES).quantity == 0
    assert out.line("S3 GET/HEAD requests").quantity == 3 * 20
    assert any("one GET per object" in note for note in out.notes)


def test_dynamodb_result_items_cost_one_wru_per_started_kb() -> None:
    out = breakdown()
    assert out.line("DynamoDB result items (BatchWriteItem)").quantity == 9_800 * 100 * 2
    assert breakdown(result_item_bytes=1_024).line("DynamoDB result items (BatchWriteItem)").quantity == 980_000
    # UpdateItem: 100 by children (per row) and 3 by the parents (per job); PutItem: 2 per job
    assert out.line("DynamoDB run and job items (UpdateItem/PutItem)").quantity == 100 * 100 + 3 * 20 + 2 * 20
    assert out.line("DynamoDB reads (GetItem/Query)").quantity == 2 * 20


def test_sqs_one_request_per_send_batch_of_dead_letters() -> None:
    line = breakdown().line("SQS send requests")
    assert line.quantity == 14 * 100
    assert line.cost == pytest.approx(1_400 * 0.01)


def test_a_run_with_the_sink_off_is_priced_from_what_it_did() -> None:
    # A sink-off run makes no BatchWriteItem and writes no result items: nothing is subtracted, nothing is left.
    express = {k: v for k, v in CALLS["EXPRESS"].items() if k != "dynamodb:BatchWriteItem"}
    calls_only = cost_model.Assumptions(express_state_ms=0, express_api_call_ms=150, lambda_cpu_factor=2.0,
                                        lambda_init_ms=500)
    on = breakdown(assumptions=calls_only)
    off = breakdown(assumptions=calls_only, calls={**CALLS, "EXPRESS": express}, result_items=0)
    assert off.line("DynamoDB result items (BatchWriteItem)").quantity == 0
    # per child: 2 calls x 150 ms = 300 ms with the sink; without its 86 BatchWriteItem calls, 1.14 x 150 = 171 ms,
    # billed 200 ms
    assert on.line("Express duration").quantity == pytest.approx(10_000 * 0.3 * 64 / 1024)
    assert off.line("Express duration").quantity == pytest.approx(10_000 * 0.2 * 64 / 1024)
    assert on.total - off.total == pytest.approx(1_960_000 * 0.001 + 10_000 * 0.1 * 64 / 1024)
    assert not any("DynamoDB result items" in note for note in off.notes)
    with pytest.raises(TypeError):
        breakdown(dynamodb_sink=False)  # no subtracting: a sink-off cost comes from a sink-off run


def test_cloudwatch_requests_are_priced_and_unknown_operations_are_named_in_the_notes() -> None:
    calls = {**CALLS, "STANDARD": {**CALLS["STANDARD"], "cloudwatch:PutMetricData": 2, "kms:Decrypt": 3}}
    out = breakdown(calls=calls)
    assert out.line("CloudWatch PutMetricData requests").quantity == 2 * 20
    assert out.service("CloudWatch") == pytest.approx(40 * 0.01)
    assert "not priced: kms:Decrypt" in out.notes
    assert not any(note.startswith("not priced") for note in breakdown().notes)


def test_the_runtimes_own_plumbing_is_not_a_request_of_the_stack() -> None:
    plumbing = {**CALLS, "other": {"sqs:ReceiveMessage": 500, "sqs:SendMessage": 40}}
    assert breakdown(calls=plumbing).total == pytest.approx(breakdown().total)


def test_jobs_follow_the_input_workflows_slices() -> None:
    # slices of max - min rows; a last slice under min joins the one before it; under min: on demand, no job
    assert cost_model.jobs_for(1_000_000, 50_000, 100) == 21  # 20 x 49,900 + 2,000
    assert cost_model.jobs_for(100_000, 50_000, 100) == 3  # 2 x 49,900 + 200
    assert cost_model.jobs_for(99_850, 50_000, 100) == 2  # the last 50 rows join the second job
    assert cost_model.jobs_for(10_000, 50_000, 100) == 1
    assert cost_model.jobs_for(5_000, 1_000, 100) == 6  # 5 x 900 + 500
    assert cost_model.jobs_for(99, 50_000, 100) == 0


def test_children_per_map_scale_with_rows() -> None:
    counters = {"children_by_map": {"Read CSV rows": 20, "Build the requests": 56}}
    assert cost_model.children_per_map(counters, 10_000) == {"Read CSV rows": 2_000, "Build the requests": 5_600}
    assert cost_model.children_per_map({}, 10_000) == {}


def test_run_cost_prices_a_pipeline_line_at_the_jobs_planned_for_the_target() -> None:
    run = {"rows": 10_000, "jobs": 1, "result_items": 9_800, "result_item_bytes": 1_278, "calls": CALLS,
           "counters": COUNTERS, "lambda_memory_mb": 2048, "lambda_architecture": "x86",
           "max_records_per_job": 50_000, "min_records_per_job": 100}
    out = cost_model.run_cost(run, assumptions=ASSUMPTIONS, prices=PRICES)
    assert out.line("Lambda requests").quantity == 21
    # at 2 GB and the x86 price: (1 s x 2 x 100 + 21 x 0.5 s) x 2 GB
    assert out.line("Lambda duration").quantity == pytest.approx((200 + 10.5) * 2)
    assert out.line("Lambda duration").cost == pytest.approx(out.line("Lambda duration").quantity * 2.0)
    same = breakdown(target_jobs=21, assumptions=dataclasses.replace(ASSUMPTIONS, lambda_memory_mb=2048,
                                                                     lambda_price="lambda_gb_second_x86"))
    assert out.total == pytest.approx(same.total)


def test_the_total_is_the_sum_of_the_lines_and_eventbridge_is_free() -> None:
    out = breakdown()
    assert out.total == pytest.approx(sum(line.cost for line in out.lines))
    assert out.total == pytest.approx(sum(out.by_service().values()))
    assert out.line("EventBridge (AWS service events)").cost == 0


def test_calls_split_from_the_counters_alone_follow_the_state_machines() -> None:
    split = cost_model.split_api_calls(COUNTERS)
    assert split["EXPRESS"] == {"dynamodb:BatchWriteItem": 86, "sqs:SendMessageBatch": 14, "dynamodb:UpdateItem": 100}
    assert split["STANDARD"]["dynamodb:UpdateItem"] == 3
    assert "dynamodb:BatchWriteItem" not in split["STANDARD"]
    without_calls = cost_model.pipeline_cost(COUNTERS, rows=10_000, result_items=9_800, result_item_bytes=1_278,
                                             target_jobs=20, assumptions=ASSUMPTIONS, prices=PRICES)
    assert without_calls.line("Express duration").quantity == breakdown().line("Express duration").quantity


def test_bedrock_batch_cost_and_overhead_share() -> None:
    # 1M rows x (500 x 0.001 + 300 x 0.004) = 1,700,000 on demand, half in batch
    assert cost_model.bedrock_cost(1_000_000, 500, 300, "nova_micro", prices=PRICES) == pytest.approx(850_000)
    assert cost_model.bedrock_cost(1_000_000, 500, 300, "nova_micro", batch=False, prices=PRICES) == pytest.approx(
        1_700_000)
    assert cost_model.bedrock_cost(10, 100, 0, "claude3_haiku", prices=PRICES) == pytest.approx(5)
    assert cost_model.overhead_share(1.5, 28.5) == pytest.approx(0.05)
    assert cost_model.overhead_share(0, 0) == 0


def test_bedrock_headline_at_list_prices() -> None:
    prices = cost_model.load_prices()
    assert cost_model.bedrock_cost(1_000_000, 500, 300, "nova_micro", prices=prices) == pytest.approx(29.75)
    assert cost_model.bedrock_cost(1_000_000, 500, 300, "claude3_haiku", prices=prices) == pytest.approx(250.0)


def test_blog_architecture_transitions_lambdas_and_requests_per_job() -> None:
    a = cost_model.BlogAssumptions(records_per_job=1_000, events_per_job=4, concurrency=20, cold_start_seconds=5,
                                   preprocess_seconds_per_row=0, preprocess_seconds_per_job=0, start_seconds=1,
                                   callback_seconds=0.5, postprocess_seconds_per_job=1,
                                   postprocess_seconds_per_row=0, big_memory_mb=1024, small_memory_mb=512)
    out = cost_model.blog_cost(100_000, a, PRICES)
    assert out.line("Standard state transitions").quantity == 3 + 2 * 100
    assert out.line("Lambda requests").quantity == 1 + 100 + 100 * 4 + 100
    # preprocess 5 s at 1 GB; start (20 x 5 + 100 x 1) and callback (20 x 5 + 400 x 0.5) at 0.5 GB;
    # postprocess 20 x 5 + 100 x 1 at 1 GB
    assert out.line("Lambda duration").quantity == pytest.approx(5 + 0.5 * 200 + 0.5 * 300 + 200)
    assert out.line("Lambda duration").cost == pytest.approx(out.line("Lambda duration").quantity * 2.0)
    assert out.line("S3 PUT/COPY/POST/LIST requests").quantity == 100 * a.s3_put_class_per_job


def test_every_price_names_its_source() -> None:
    document = json.loads((BENCH / "prices.json").read_text())
    assert document["region"] == "us-east-1" and document["as_of"]
    for name, entry in document["prices"].items():
        assert entry["price"] >= 0, name
        assert entry["source"] and entry["unit"], name
        assert isinstance(entry["confirmed"], bool), name
    assert set(PRICES) <= set(document["prices"])
