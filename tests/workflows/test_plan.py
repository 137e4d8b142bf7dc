"""``bedrock-batch plan`` against a real run of the same file: the plan's rows, refused rows (with their reasons),
jobs and tokens are what the pipeline then does, on CSV, JSON Lines and Parquet inputs."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from offline_stack import REPO, make_pipeline

from bedrock_batch.demo import sample_reviews
from bedrock_batch.offline.bedrock import SimulatorConfig
from bedrock_batch.plan import stop_before
from bedrock_batch.stack.template import load

ROWS = 330
# Slices of 150 rows: 150, 150, 30; the last is below MinRecordsPerJob and joins the one before it: two jobs.
SLICING = {"MaxRecordsPerJob": "200", "MinRecordsPerJob": "50"}


def _records(rows: int) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(sample_reviews(rows, blank_every=40))))


def _write(folder: Path, suffix: str, rows: int = ROWS) -> Path:
    path = folder / f"reviews{suffix}"
    if suffix == ".csv":
        path.write_text(sample_reviews(rows, blank_every=40))
    elif suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in _records(rows)))
    else:
        pq.write_table(pa.Table.from_pylist(_records(rows)), path)
    return path


def plan_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=str(tmp_path / "no-config"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-creds"),
               AWS_EC2_METADATA_DISABLED="true", PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "bedrock_batch.cli", "plan", *args], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=300)


def _parameters(parameters: dict[str, str]) -> list[str]:
    return [f"--parameter={name}={value}" for name, value in parameters.items()]


def real_run(path: Path, **parameters: str) -> dict[str, Any]:
    """The same file through the whole offline pipeline (no record errors: every valid row gets an answer)."""
    for pipeline in make_pipeline(SimulatorConfig(record_error_rate=0.0), **parameters):
        pipeline.drop(path.name, path.read_bytes())
        pipeline.settle()
        (summary,) = pipeline.summaries()
        dynamodb, table = pipeline.runtime.client("dynamodb"), pipeline.stack.output("ResultsTableName")
        runs = [e for e in pipeline.executions("-job") if e.input.get("job")]
        names = sorted({e.input["job"]["jobName"] for e in runs})
        records = {n: int(dynamodb.get_item(TableName=table, Key={"pk": {"S": f"JOB#{n}"}, "sk": {"S": "JOB"}})
                          ["Item"]["records"]["N"]) for n in names}
        return {"summary": {k: next(iter(v.values())) for k, v in summary.items()}, "records": records,
                "modes": {e.input["job"]["jobName"]: e.input["job"]["mode"] for e in runs},
                "submitted": sorted(j["jobName"] for j in pipeline.jobs()),
                "dead_letters": pipeline.dead_letters(), "results": len(pipeline.parquet_rows())}
    raise AssertionError("no pipeline")


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_plan_figures_are_what_the_real_run_does(tmp_path: Path, suffix: str) -> None:
    path = _write(tmp_path, suffix)
    completed = plan_cli(tmp_path, str(path), "--json", *_parameters(SLICING))
    assert completed.returncode == 0, completed.stderr
    plan = json.loads(completed.stdout)
    run = real_run(path, **SLICING)

    summary = run["summary"]
    assert plan["rows"] == int(summary["rowsRead"]) == ROWS
    refused = sorted((int(d["recordId"].rsplit("-", 1)[-1]) + 1, d["errorMessage"]) for d in run["dead_letters"]
                     if d["errorCode"] == "InvalidRow")
    assert [r["row"] for r in plan["refused"]] == [row for row, _ in refused] == list(range(40, ROWS + 1, 40))
    assert all(r["reason"] in message for r, (_, message) in zip(plan["refused"], refused, strict=True))
    assert plan["refused"][0]["reason"] == "missing or empty column review_text needed by the prompt"
    assert plan["accepted"] == ROWS - len(refused) == run["results"]
    assert {j["name"]: j["records"] for j in plan["jobs"]} == run["records"]
    assert [j["name"] for j in plan["jobs"]] == run["submitted"]
    assert [j["rows"] for j in plan["jobs"]] == [150, 180]
    assert {j["name"]: j["mode"] for j in plan["jobs"]} == run["modes"]
    # The same counting rule as the simulator's usage fields: the plan read the exact requests the jobs sent.
    assert plan["input_tokens"] == int(summary["inputTokens"])
    assert plan["output_tokens_max"] == plan["accepted"] * 512
    assert plan["cost_batch_usd"] == pytest.approx(plan["cost_on_demand_usd"] / 2)
    assert plan["cost_on_demand_usd"] == pytest.approx(
        (plan["input_tokens"] * 0.035 + plan["output_tokens_max"] * 0.25 * 0.14) / 1e6, abs=1e-6)
    assert all(q["met"] for q in plan["quotas"])
    # The Parquet writer keeps a job's answers in its /tmp: the largest job, every answer at MaxTokens, 4 B a token.
    writer_tmp = next(q for q in plan["quotas"] if q["quota"] == "Parquet writer answers size (/tmp)")
    assert writer_tmp["planned"] == max(j["records"] for j in plan["jobs"] if j["mode"] == "batch") * 512 * 4
    writer = load(REPO / "template.yaml")["Resources"]["ParquetWriterFunction"]["Properties"]
    assert writer_tmp["limit"] == writer["EphemeralStorage"]["Size"] * 2**20 == 10240 * 2**20


def test_a_file_below_min_records_is_planned_on_demand_at_the_on_demand_price(tmp_path: Path) -> None:
    path = _write(tmp_path, ".csv", rows=60)
    completed = plan_cli(tmp_path, str(path), "--json")
    plan = json.loads(completed.stdout)
    run = real_run(path)

    assert completed.returncode == 0, completed.stderr
    assert [j["mode"] for j in plan["jobs"]] == list(run["modes"].values()) == ["on-demand"]
    assert run["submitted"] == []  # answered on demand: no batch job
    assert plan["cost_batch_usd"] == plan["cost_on_demand_usd"] > 0
    assert plan["input_tokens"] == int(run["summary"]["inputTokens"])


def test_a_file_the_stack_refuses_is_refused_with_the_stacks_reason(tmp_path: Path) -> None:
    path = tmp_path / "reviews.csv"
    path.write_text("review_id,title\nR1,hello\n")
    completed = plan_cli(tmp_path, str(path), "--json")
    plan = json.loads(completed.stdout)
    run = real_run(path)

    assert completed.returncode == 2
    assert plan["rejected"] == run["summary"]["reason"]
    assert plan["rejected"].startswith("MissingColumns: ") and "review_text" in plan["rejected"]
    assert plan["jobs"] == []


def test_the_summary_shows_refused_rows_jobs_cost_sources_and_quotas(tmp_path: Path) -> None:
    path = _write(tmp_path, ".csv")
    completed = plan_cli(tmp_path, str(path), *_parameters(SLICING))

    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    assert "Rows refused:" in out and "row 40:" in out and "missing or empty column review_text" in out
    assert "Jobs:" in out and "2 (batch)" in out
    assert "±15%" in out and "--output-share" in out
    assert "Cost in batch:" in out and "Cost on demand:" in out and "aws.amazon.com/bedrock/pricing" in out
    assert re.search(r"records per batch job \(MaxRecordsPerJob\): +ok: 17\d / 200 \(largest job\)", out)
    assert "no model was called" in out


def test_a_model_without_prices_still_gets_its_plan(tmp_path: Path) -> None:
    path = _write(tmp_path, ".csv", rows=120)
    completed = plan_cli(tmp_path, str(path), "--json", "--model-id", "anthropic.claude-3-5-sonnet-20240620-v1:0")
    plan = json.loads(completed.stdout)

    assert completed.returncode == 0, completed.stderr
    assert plan["cost_batch_usd"] is None and plan["cost_on_demand_usd"] is None
    assert plan["price_note"].startswith("prices unknown") and plan["accepted"] == 117 and plan["input_tokens"] > 0


@pytest.mark.parametrize(("args", "expected"), [
    (["{dir}/missing.csv"], "FILE"),
    (["{dir}/reviews.csv", "--output-share", "2"], "--output-share"),
    (["{dir}/reviews.csv", "--parameter", "MaxRecordsPerJb=3"], "did you mean MaxRecordsPerJob?"),
])
def test_bad_input_is_one_line(tmp_path: Path, args: list[str], expected: str) -> None:
    (tmp_path / "reviews.csv").write_text(sample_reviews(5))
    completed = plan_cli(tmp_path, *[a.format(dir=tmp_path) for a in args])

    assert completed.returncode == 2 and "Traceback" not in completed.stderr
    (line,) = completed.stderr.strip().splitlines()
    assert line.startswith("bedrock-batch plan: ") and expected in line


def test_the_cut_job_workflow_ends_before_bedrock_and_keeps_every_check() -> None:
    definition = json.loads((REPO / "statemachines" / "job.asl.json").read_text())
    cut = stop_before(definition, "Stage the files for Bedrock", "plan")

    assert cut["States"]["Stage the files for Bedrock"]["Type"] == "Succeed"
    for kept in ("Read the job", "Record the job", "Build the requests", "Read the request manifest",
                 "Read the record count", "Anything to send?"):
        assert cut["States"][kept] == definition["States"][kept]
    for dropped in ("Batch or on demand?", "Size the on-demand batches", "Answer on demand"):
        assert dropped not in cut["States"]


def test_a_plan_submits_no_job_and_calls_no_model(tmp_path: Path) -> None:
    for rows, expected in ((150, "batch"), (60, "on-demand")):
        path = _write(tmp_path, ".csv", rows=rows)
        plan = json.loads(plan_cli(tmp_path, str(path), "--json").stdout)
        assert [j["mode"] for j in plan["jobs"]] == [expected]
        # The input workflow looks the model up (in the offline model catalogue); nothing else reaches Bedrock.
        assert plan["bedrock_calls"] == {"bedrock:GetFoundationModel": 1}


def test_a_sampled_plan_counts_every_row_and_scales_the_sample_to_the_real_runs_jobs(tmp_path: Path) -> None:
    path = _write(tmp_path, ".csv")
    completed = plan_cli(tmp_path, str(path), "--json", "--sample", "120", *_parameters(SLICING))
    plan = json.loads(completed.stdout)
    run = real_run(path, **SLICING)

    assert completed.returncode == 0, completed.stderr
    assert plan["sample"] == 120 and plan["rows"] == int(run["summary"]["rowsRead"]) == ROWS
    assert [j["rows"] for j in plan["jobs"]] == [150, 180]  # planned by the input workflow's own state
    assert [r["row"] for r in plan["refused"]] == [40, 80, 120]  # the sample's, exactly
    assert plan["refused_estimate"] == pytest.approx(ROWS - run["results"], abs=1)
    real_records = sorted(run["records"].values())
    assert sorted(j["records"] for j in plan["jobs"]) == pytest.approx(real_records, abs=2)
    assert plan["input_tokens"] == pytest.approx(int(run["summary"]["inputTokens"]), rel=0.02)
