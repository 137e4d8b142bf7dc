"""A newcomer's first hour: every command, run as a user runs it (a subprocess), answers bad input with one line
on stderr (what, where, what to do) and an exit code, never a traceback; the demo gives one verdict and one exit
code (0 done, 1 rows unaccounted or every record failed, 2 refused) on CSV, TSV, JSON Lines and Parquet inputs."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bedrock_batch.demo import sample_reviews

WORKTREE = Path(__file__).resolve().parents[2]
ROWS = 200


def offline_env(tmp_path: Path) -> dict[str, str]:
    """No AWS credentials, Region or profile reach the command: what a laptop without an account has."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=str(tmp_path / "no-config"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-creds"),
               AWS_EC2_METADATA_DISABLED="true", PYTHONPATH=str(WORKTREE))
    return env


def cli(tmp_path: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bedrock_batch.cli", *args], capture_output=True, text=True,
                          cwd=WORKTREE, env=offline_env(tmp_path), timeout=timeout)


def one_line(completed: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in completed.stderr + completed.stdout
    lines = [line for line in completed.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, completed.stderr
    return lines[0]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("inputs")
    text = sample_reviews(ROWS)
    (folder / "reviews.csv").write_text(text)
    rows = list(csv.reader(text.splitlines()))
    with (folder / "reviews.tsv").open("w", newline="") as f:
        csv.writer(f, delimiter="\t", lineterminator="\n").writerows(rows)
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    (folder / "reviews.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    pq.write_table(pa.Table.from_pylist(records), folder / "reviews.parquet")
    (folder / "empty.csv").write_text("")
    (folder / "templates.json").write_text('{"a": ')
    (folder / "machine.asl.json").write_text('{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}')
    return folder


BAD_INVOCATIONS = [
    (["demo", "--input", "{dir}/missing.csv"], "--input", 2),
    (["demo", "--input", "{dir}"], "is a folder", 2),
    (["demo", "--input", "{dir}/reviews.csv", "--out", "{dir}/reviews.tsv"], "--out", 2),
    (["demo", "--parameter", "ItemsPerBtch=3"], "did you mean ItemsPerBatch?", 2),
    (["demo", "--parameter", "MaxConcurrentJobs=500"], "from 1 to 100", 2),
    (["demo", "--parameter", "ResultsToDynamoDB=yes"], "use one of true, false", 2),
    (["demo", "--parameter", "ItemsPerBatch"], "NAME=VALUE", 2),
    (["demo", "--model-id", "not a model"], "ModelId", 2),
    (["demo", "--min-records-per-job", "500", "--max-records-per-job", "100"], "MinRecordsPerJob", 2),
    (["demo", "--record-error-rate", "1.5"], "from 0 to 1", 2),
    (["demo", "--max-concurrent-jobs", "many"], "--max-concurrent-jobs", 2),
    (["run-asl", "{dir}/missing.asl.json"], "no such file", 2),
    (["run-asl", "{dir}/machine.asl.json", "--input-file", "{dir}/missing.json"], "--input-file", 2),
    (["status", "--table", "results"], "AWS_REGION", 2),
    (["status"], "--table", 2),
    (["ingest", "{dir}/reviews.csv", "--prompt-id", "review_sentiment", "--bucket", "b"], "no AWS credentials", 2),
    (["ingest", "{dir}/missing.csv", "--prompt-id", "review_sentiment", "--bucket", "b"], "no such file", 2),
    (["publish-prompts", "--templates", "{dir}/missing.json"], "--templates", 2),
    (["publish-prompts", "--templates", "{dir}/templates.json"], "line 1 column", 2),
    (["publish-prompts", "--stack-name", "nope", "--region", "us-east-1"], "no AWS credentials", 2),
    (["frobnicate"], "invalid choice", 2),
]


@pytest.mark.parametrize(("args", "says", "code"), BAD_INVOCATIONS, ids=[" ".join(a[:2]) + f" {s}" for a, s, _ in
                                                                       BAD_INVOCATIONS])
def test_bad_input_is_one_line_and_an_exit_code(tmp_path: Path, inputs: Path, args: list[str], says: str,
                                                code: int) -> None:
    completed = cli(tmp_path, *(a.replace("{dir}", str(inputs)) for a in args))
    line = one_line(completed)
    assert line.startswith(f"bedrock-batch {args[0]}"), line
    assert says in line, line
    assert completed.returncode == code


def test_ctrl_c_is_one_line_and_exit_130(tmp_path: Path) -> None:
    big = tmp_path / "reviews.csv"
    big.write_text(sample_reviews(20_000))  # a run of several seconds, so that Ctrl-C lands while it runs
    # The command starts with Ctrl-C's default action, as from a terminal: a test run started in the background
    # by a non-interactive shell ignores SIGINT, and its children would inherit that (Python then sets no handler).
    process = subprocess.Popen([sys.executable, "-m", "bedrock_batch.cli", "demo", "--input", str(big),
                                "--out", str(tmp_path / "out")],
                               cwd=WORKTREE, env=offline_env(tmp_path), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # noqa: PLW1509
    # Ctrl-C once the run is under way (its first progress line), not after a fixed delay: on a busy machine the
    # interpreter may still be starting after a second, and a Ctrl-C there is Python's, before the command runs.
    assert process.stderr is not None
    first = process.stderr.readline()
    assert first.startswith("virtual time"), first
    process.send_signal(signal.SIGINT)
    stdout, rest = process.communicate(timeout=120)
    stderr = first + rest
    assert "Traceback" not in stderr
    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1].startswith("bedrock-batch demo: interrupted")


@pytest.mark.parametrize("name", ["reviews.csv", "reviews.tsv", "reviews.jsonl", "reviews.parquet"])
def test_demo_counts_every_format_with_the_pipelines_reader(tmp_path: Path, inputs: Path, name: str) -> None:
    out = tmp_path / "out"
    completed = cli(tmp_path, "demo", "--input", str(inputs / name), "--out", str(out))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Traceback" not in completed.stderr
    summary = completed.stdout
    assert "\x1b[" not in summary + completed.stderr  # not a terminal: no colour
    assert summary.splitlines()[-1].startswith(f"{ROWS} rows in = ")
    assert summary.splitlines()[-1].endswith("every row accounted for")
    assert "Run id:" in summary and "Estimated cost:" in summary and "on demand it would be" in summary
    assert "stored in DynamoDB" not in summary  # ResultsToDynamoDB is off by default
    assert completed.stderr.endswith("\n")
    dead = [json.loads(line) for line in (out / "dead-letters.jsonl").read_text().splitlines()]
    parquet_rows = sum(pq.ParquetFile(p).metadata.num_rows for p in out.glob("*.parquet"))
    assert parquet_rows + len(dead) == ROWS
    for code in {d["errorCode"] for d in dead}:
        assert f"  {code}:" in summary  # dead letters by error code, each with a sample message


@pytest.mark.parametrize(("name", "args", "reason"), [
    ("empty.csv", [], "EmptyInput"),
    ("reviews.csv", ["--prompt-id", "no_such_prompt"], "UnknownPromptId"),
])
def test_a_refused_run_exits_2_and_says_refused(tmp_path: Path, inputs: Path, name: str, args: list[str],
                                                reason: str) -> None:
    completed = cli(tmp_path, "demo", "--input", str(inputs / name), "--out", str(tmp_path / "out"), *args)
    assert completed.returncode == 2
    last = completed.stdout.splitlines()[-1]
    assert last.startswith(f"refused: {reason}")
    assert "accounted" not in completed.stdout


def test_a_run_whose_records_all_failed_exits_1(tmp_path: Path, inputs: Path) -> None:
    completed = cli(tmp_path, "demo", "--input", str(inputs / "reviews.csv"), "--out", str(tmp_path / "out"),
                    "--record-error-rate", "1", "--json")
    assert completed.returncode == 1
    result = json.loads(completed.stdout)
    assert result["all_failed"] and result["exit_code"] == 1 and "every record failed" in result["verdict"]
    assert result["dead_letters"] == ROWS


def test_status_lists_the_run_a_demo_just_made_offline(tmp_path: Path, inputs: Path) -> None:
    state = tmp_path / "state"
    demo = cli(tmp_path, "demo", "--input", str(inputs / "reviews.csv"), "--out", str(tmp_path / "out"),
               "--state", str(state), "--json")
    assert demo.returncode == 0, demo.stderr
    run_id = json.loads(demo.stdout)["run_ids"][0]
    listed = cli(tmp_path, "status", "--state", str(state), "--json")
    assert listed.returncode == 0, listed.stderr
    runs = json.loads(listed.stdout)["runs"]
    assert [r["runId"] for r in runs] == [run_id]
    assert runs[0]["rowsRead"] == ROWS and runs[0]["status"] == "COMPLETE"
    one = cli(tmp_path, "status", run_id, "--state", str(state))
    assert one.returncode == 0 and run_id in one.stdout


def test_status_without_a_saved_state_is_one_line(tmp_path: Path) -> None:
    completed = cli(tmp_path, "status", "--state", str(tmp_path / "nothing"))
    assert completed.returncode == 2
    assert "run bedrock-batch demo --state" in one_line(completed)
