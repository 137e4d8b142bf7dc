"""``bedrock-batch demo --state DIR`` keeps the offline stack (results table, data bucket, dead letters), and
``bedrock_batch.saved_state.restored(DIR)`` gives it back to a user's own boto3 code under the same names, with no
AWS account; ``bedrock-batch status --state DIR`` reads the same folder."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from test_newcomer import WORKTREE, cli, offline_env, one_line

from bedrock_batch.errors import UserError
from bedrock_batch.saved_state import restored

ROWS = 200


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object], Path]:
    """A demo on the first 200 rows of samples/reviews.csv, run as a user runs it, with --state."""
    folder = tmp_path_factory.mktemp("saved")
    lines = (WORKTREE / "samples" / "reviews.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (folder / "reviews.csv").write_text("".join(lines[:ROWS + 1]), encoding="utf-8")
    demo = cli(folder, "demo", "--input", str(folder / "reviews.csv"), "--out", str(folder / "out"),
               "--state", str(folder / "state"), "--json")
    assert demo.returncode == 0, demo.stderr
    result = json.loads(demo.stdout)
    assert result["dead_letters"] > 0  # the simulator's 2% record errors: something to find in the queue
    return folder / "state", result, folder / "out"


def test_restored_state_answers_boto3_with_the_demos_bucket_table_and_dead_letters(
        saved: tuple[Path, dict[str, object], Path]) -> None:
    state, result, out = saved
    with restored(str(state)) as stack:
        import boto3

        s3 = boto3.client("s3")
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=stack.bucket, Prefix="results/").get("Contents", [])]
        assert keys and all(k.endswith(".parquet") for k in keys)
        rows = sum(pq.ParquetFile(io.BytesIO(s3.get_object(Bucket=stack.bucket, Key=k)["Body"].read()))
                   .metadata.num_rows for k in keys)
        assert rows == result["parquet_rows"]
        original = (WORKTREE / "samples" / "reviews.csv").read_bytes()
        uploaded = s3.get_object(Bucket=stack.bucket, Key="inputs/review_sentiment/reviews.csv")["Body"].read()
        assert original.startswith(uploaded)

        items = boto3.client("dynamodb").scan(TableName=stack.table)["Items"]
        summaries = [i for i in items if i["sk"]["S"] == "SUMMARY"]
        assert [s["pk"]["S"] for s in summaries] == [f"RUN#{r}" for r in result["run_ids"]]
        assert int(summaries[0]["rowsRead"]["N"]) == ROWS and summaries[0]["status"]["S"] == "COMPLETE"

        sqs = boto3.client("sqs")
        assert sqs.get_queue_url(QueueName=stack.queue_url.rsplit("/", 1)[-1])["QueueUrl"] == stack.queue_url
        bodies = []
        while messages := sqs.receive_message(QueueUrl=stack.queue_url, MaxNumberOfMessages=10).get("Messages"):
            for message in messages:
                bodies.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=stack.queue_url, ReceiptHandle=message["ReceiptHandle"])
    assert len(bodies) == result["dead_letters"]
    drained = [json.loads(line) for line in (out / "dead-letters.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(b["recordId"] for b in bodies) == sorted(d["recordId"] for d in drained)
    kept = [json.loads(line) for line in (state / "dead-letters.jsonl").read_text(encoding="utf-8").splitlines()]
    assert all("SentTimestamp" in k["Attributes"] for k in kept)  # the attributes as the demo received them
    assert stack.region == "us-east-1"


def test_status_still_lists_the_saved_run(saved: tuple[Path, dict[str, object], Path], tmp_path: Path) -> None:
    state, result, _ = saved
    listed = cli(tmp_path, "status", "--state", str(state), "--json")
    assert listed.returncode == 0, listed.stderr
    assert [r["runId"] for r in json.loads(listed.stdout)["runs"]] == result["run_ids"]


def test_the_readme_snippet_runs_as_written(saved: tuple[Path, dict[str, object], Path], tmp_path: Path) -> None:
    state, _, _ = saved
    snippet = ("from bedrock_batch.saved_state import restored\n"
               f"with restored({str(state)!r}) as stack:\n"
               "    import boto3\n"
               "    print(boto3.client('s3').list_objects_v2(Bucket=stack.bucket, Prefix='results/')['KeyCount'])\n")
    ran = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, cwd=WORKTREE,
                         env=offline_env(tmp_path), timeout=120)
    assert ran.returncode == 0 and int(ran.stdout) >= 1, ran.stderr


@pytest.mark.parametrize("damage", ["no manifest", "manifest not JSON", "table missing", "dead letter not JSON"])
def test_a_damaged_state_folder_is_one_line_exit_2(saved: tuple[Path, dict[str, object], Path], tmp_path: Path,
                                                   damage: str) -> None:
    state = tmp_path / "state"
    for path in saved[0].iterdir():  # a copy of the saved files, the bucket left out (not needed to fail)
        if path.is_file():
            (state / path.name).parent.mkdir(parents=True, exist_ok=True)
            (state / path.name).write_bytes(path.read_bytes())
    broken = {"no manifest": ("manifest.json", None), "manifest not JSON": ("manifest.json", "{"),
              "table missing": ("results-table.json", None), "dead letter not JSON": ("dead-letters.jsonl", "x\n")}
    name, text = broken[damage]
    if text is None:
        (state / name).unlink()
    else:
        (state / name).write_text(text)
    completed = cli(tmp_path, "status", "--state", str(state))
    assert completed.returncode == 2
    assert f"--state {state}" in one_line(completed) or str(state) in one_line(completed)
    with pytest.raises(UserError), restored(state):
        pass
