"""bench.pipeline's arguments, rows, item sizes and phase arithmetic, and make bench's run plan; nothing is timed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import __main__ as bench_main  # noqa: E402
from bench import pipeline  # noqa: E402


def test_rows_and_parameters_are_parsed() -> None:
    args = pipeline.parse_args(["10000", "--param", "ResultsToDynamoDB=false", "--param=ItemsPerBatch=250",
                                "--row-bytes", "800"])
    assert args.rows == 10_000
    assert args.parameters == {"ResultsToDynamoDB": "false", "ItemsPerBatch": "250"}
    assert args.row_bytes == 800


def test_defaults_and_readable_numbers() -> None:
    args = pipeline.parse_args(["100_000"])
    assert args.rows == 100_000 and args.parameters == {} and args.row_bytes == pipeline.ROW_BYTES == 600
    assert pipeline.parse_args(["1,000"]).rows == 1_000
    assert pipeline.parse_args(["5", "--param", "Temperature=0.5=x"]).parameters == {"Temperature": "0.5=x"}


@pytest.mark.parametrize("argv", [[], ["0"], ["ten"], ["10", "--param", "ItemsPerBatch"], ["10", "--param", "=1"],
                                  ["10", "--row-bytes", "-5"]])
def test_bad_arguments_exit_with_usage(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        pipeline.parse_args(argv)
    assert exit_.value.code == 2


def test_an_unknown_template_parameter_is_refused_before_any_work(capsys: pytest.CaptureFixture[str]) -> None:
    assert pipeline.cli(["10", "--param", "NoSuchParameter=1"]) == 2
    assert "NoSuchParameter" in capsys.readouterr().err


@pytest.mark.parametrize("row_bytes", [200, 600, 2_000])
def test_rows_have_simplecot_columns_and_the_requested_length(row_bytes: int, tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    pipeline.simplecot_rows(30, path, row_bytes)
    header, *lines = path.read_bytes().split(b"\n")[:-1]
    assert header == b"source,target,rationale,task,type"
    assert len(lines) == 30
    assert all(len(line) + 1 == row_bytes for line in lines)
    assert all(len(line.split(b",")) == 5 for line in lines)
    assert len(set(lines)) == 30


def test_a_row_too_short_for_its_columns_keeps_a_source() -> None:
    line = pipeline.simplecot_line(7, 10)
    assert len(line.split(",")[0]) == 16


def test_result_item_size_as_dynamodb_counts_it() -> None:
    item = {"pk": {"S": "RESULT#abc"}, "sk": {"S": "é"}, "n": {"N": "12345"}, "ok": {"BOOL": True}}
    assert pipeline.item_bytes(item) == (2 + 10) + (2 + 2) + (1 + 5 // 2 + 2) + (2 + 1)


def test_result_items_are_counted_from_batch_writes() -> None:
    probe = pipeline.Probe("output")
    probe.count_result_items({"RequestItems": {"t": [
        {"PutRequest": {"Item": {"pk": {"S": "RESULT#r"}, "sk": {"S": "1"}}}},
        {"PutRequest": {"Item": {"pk": {"S": "RUN#r"}, "sk": {"S": "SUMMARY"}}}},
        {"DeleteRequest": {"Key": {"pk": {"S": "RESULT#r"}}}},
    ]}})
    assert probe.result_items == 1
    assert probe.result_item_bytes == pipeline.item_bytes({"pk": {"S": "RESULT#r"}, "sk": {"S": "1"}})


def test_phases_from_first_and_last_timestamps() -> None:
    probe = pipeline.Probe("output")
    probe.upload, probe.first_submit, probe.last_answer = 10.0, 14.0, 15.5
    probe.output_start, probe.output_end = 15.0, 21.0
    assert probe.phases(lambda_seconds=2.0) == {"building_requests": 4.0, "submitting": 1.5,
                                                "processing_results": 4.0, "writing_parquet": 2.0}
    assert pipeline.Probe("output").phases(0.0)["submitting"] is None


def test_the_probe_puts_back_what_it_patched() -> None:
    import botocore.client

    from bedrock_batch.offline import runtime as runtime_module
    from bedrock_batch.offline.bedrock.simulator import BatchSimulator

    before = (botocore.client.BaseClient._make_api_call, runtime_module.run_execution,
              BatchSimulator.create_model_invocation_job, BatchSimulator._finish_as)
    with pipeline.Probe("output"):
        assert BatchSimulator._finish_as is not before[3]
    after = (botocore.client.BaseClient._make_api_call, runtime_module.run_execution,
             BatchSimulator.create_model_invocation_job, BatchSimulator._finish_as)
    assert after == before


def test_the_parameter_table_shares_one_run_for_the_defaults() -> None:
    defaults = {"ItemsPerBatch": "500", "MaxRecordsPerJob": "50000", "ResultsToDynamoDB": "true",
                "MinRecordsPerJob": "100"}
    runs = bench_main.parameter_runs(defaults)
    assert ("ItemsPerBatch", "500", {}) in runs and ("ResultsToDynamoDB", "true", {}) in runs
    assert ("ResultsToDynamoDB", "false", {"ResultsToDynamoDB": "false"}) in runs
    assert all(len(overrides) <= 1 for _, _, overrides in runs)
    distinct = {tuple(overrides.items()) for _, _, overrides in runs}
    values = bench_main.PARAMETER_VALUES
    assert len(distinct) == sum(len(v) for v in values.values()) - len(values) + 1


def test_commands_and_money_as_printed() -> None:
    assert bench_main.pipeline_command(10_000, {"ResultsToDynamoDB": "false"}) == (
        "python -m bench.pipeline 10000 --param ResultsToDynamoDB=false")
    assert bench_main._money(29.75) == "$29.75"
    assert bench_main._money(0.046) == "$0.046"
    assert bench_main._money(0.0034) == "$0.0034"
    assert bench_main._money(-0.5) == "-$0.500"
