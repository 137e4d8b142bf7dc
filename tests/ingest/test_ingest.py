"""``bedrock-batch ingest``: Hugging Face datasets built on disk here and local files, into a moto bucket.

Nothing reaches the network: the datasets are folders of JSON Lines that ``load_dataset(path)`` reads with the
Hub switched off, and S3 is moto in process.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from bedrock_batch.cli import main
from bedrock_batch.ingest import HfSource, IngestError, resolve_bucket

BUCKET = "ingest-test-data"
REPO = Path(__file__).resolve().parents[2]
SIMPLECOT_COLUMNS = ["source", "target", "rationale", "task", "type"]


def simplecot_rows(n: int) -> list[dict[str, str]]:
    """Rows shaped like w601sxs/simpleCoT, the orchestration blog's dataset."""
    return [{"source": f"What is {i} + {i}?", "target": str(2 * i), "rationale": f"{i} plus {i} makes {2 * i}.",
             "task": "arithmetic", "type": "cot"} for i in range(n)]


def hf_repo(root: Path, splits: dict[str, list[dict[str, str]]], name: str = "simpleCoT") -> Path:
    """A dataset repository on disk, as on the Hub: ``data/<split>.jsonl``, the split named by the file."""
    data = root / name / "data"
    data.mkdir(parents=True)
    for split, rows in splits.items():
        (data / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return root / name


@pytest.fixture
def hf_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Hub switched off. Both libraries read these variables once, on import, so their flags are set too."""
    import datasets
    import huggingface_hub.constants

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        client.upload_file(str(REPO / "prompts" / "templates.json"), BUCKET, "config/prompt-templates.json")
        yield client


def ingest(*args: str, bucket: str = BUCKET) -> int:
    return main(["ingest", *args, "--bucket", bucket])


def objects(s3: Any) -> dict[str, bytes]:
    listing = s3.list_objects_v2(Bucket=BUCKET, Prefix="inputs/").get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listing}


def table(body: bytes) -> pa.Table:
    return pq.read_table(io.BytesIO(body))


# -- Hugging Face --------------------------------------------------------------------------------------------------
def test_a_dataset_split_lands_as_parquet_under_the_prompt_with_every_row_and_column(
        tmp_path: Path, hf_offline: None, s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    repo = hf_repo(tmp_path, {"train": simplecot_rows(7), "test": simplecot_rows(3)})

    assert ingest(f"hf://{repo}/train", "--prompt-id", "simplecot_qa") == 0

    landed = objects(s3)
    assert list(landed) == ["inputs/simplecot_qa/simplecot-train-00000.parquet"]
    result = table(landed["inputs/simplecot_qa/simplecot-train-00000.parquet"])
    assert result.column_names == SIMPLECOT_COLUMNS
    assert result.to_pylist() == simplecot_rows(7)
    out = capsys.readouterr().out.splitlines()
    assert out == [f"s3://{BUCKET}/inputs/simplecot_qa/simplecot-train-00000.parquet (7 rows)",
                   f"1 objects, 7 rows, under s3://{BUCKET}/inputs/simplecot_qa/"]


def test_limit_stops_the_stream_after_that_many_rows(tmp_path: Path, hf_offline: None, s3: Any) -> None:
    repo = hf_repo(tmp_path, {"train": simplecot_rows(50)})

    assert ingest(f"hf://{repo}/train", "--prompt-id", "simplecot_qa", "--limit", "12") == 0

    (body,) = objects(s3).values()
    assert table(body).to_pylist() == simplecot_rows(12)


def test_shards_hold_at_most_shard_rows_each_numbered_in_order_and_together_every_row(
        tmp_path: Path, hf_offline: None, s3: Any) -> None:
    rows = simplecot_rows(2500)  # crosses the 1,000-row stream batches inside a shard
    repo = hf_repo(tmp_path, {"train": rows})

    assert ingest(f"hf://{repo}/train", "--prompt-id", "simplecot_qa", "--shard-rows", "700") == 0

    landed = objects(s3)
    assert list(landed) == [f"inputs/simplecot_qa/simplecot-train-{i:05d}.parquet" for i in range(4)]
    shards = [table(body) for body in landed.values()]
    assert [s.num_rows for s in shards] == [700, 700, 700, 400]
    assert [r for s in shards for r in s.to_pylist()] == rows


def test_the_uri_names_dataset_config_and_split_and_the_shard_names_follow() -> None:
    assert HfSource.parse("hf://w601sxs/simpleCoT/train") == HfSource("w601sxs/simpleCoT", None, "train")
    assert HfSource.parse("hf://w601sxs/simpleCoT/train").slug == "w601sxs-simplecot-train"
    assert HfSource.parse("hf://glue:sst2/validation") == HfSource("glue", "sst2", "validation")
    assert HfSource.parse("hf://glue:sst2/validation").slug == "glue-sst2-validation"
    for uri in ("hf://squad", "hf://w601sxs/simpleCoT/"):
        with pytest.raises(IngestError, match="missing split"):
            HfSource.parse(uri)


def test_an_unknown_split_is_refused_naming_the_dataset_and_the_splits_it_has(
        tmp_path: Path, hf_offline: None, s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    repo = hf_repo(tmp_path, {"train": simplecot_rows(3)})

    assert ingest(f"hf://{repo}/validation", "--prompt-id", "simplecot_qa") == 2

    err = capsys.readouterr().err
    assert "split not found" in err and str(repo) in err and "'validation'" in err and "train" in err
    assert objects(s3) == {}


@pytest.mark.parametrize("dataset", ["local", "hub"])
def test_a_dataset_that_does_not_exist_is_refused_with_exit_2(
        dataset: str, tmp_path: Path, hf_offline: None, s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    name = str(tmp_path / "absent") if dataset == "local" else "someone/absent-dataset"

    assert ingest(f"hf://{name}/train", "--prompt-id", "simplecot_qa") == 2

    err = capsys.readouterr().err
    assert f"dataset not found: {name}" in err
    assert objects(s3) == {}


@pytest.mark.parametrize("case", ["empty split", "limit 0"])
def test_a_split_with_no_rows_is_refused_and_nothing_is_uploaded(
        case: str, tmp_path: Path, hf_offline: None, s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    if case == "empty split":
        repo, extra = hf_repo(tmp_path, {"train": [], "test": simplecot_rows(2)}), []
    else:
        repo, extra = hf_repo(tmp_path, {"train": simplecot_rows(2)}), ["--limit", "0"]

    assert ingest(f"hf://{repo}/train", "--prompt-id", "simplecot_qa", *extra) == 2

    assert "no rows" in capsys.readouterr().err
    assert objects(s3) == {}


def test_an_unknown_scheme_is_refused(s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert ingest("s3://elsewhere/data.csv", "--prompt-id", "simplecot_qa") == 2
    assert "s3://elsewhere/data.csv: unknown scheme s3://" in capsys.readouterr().err


# -- local files ---------------------------------------------------------------------------------------------------
def _parquet_bytes() -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table({"id": [1, 2], "topic": ["cats", "tea"]}), sink)
    return sink.getvalue()


@pytest.mark.parametrize(("name", "body"), [
    ("topics.csv", b"id,topic\n1,cats\n2,\"tea, green\"\n"),
    ("topics.tsv", b"id\ttopic\n1\tcats\n2\tcaf\xc3\xa9\n"),
    ("topics.jsonl", b'{"id": 1, "topic": "cats"}\n\n{"id": 2, "topic": "tea"}\n'),
    ("topics.parquet", _parquet_bytes()),
])
def test_a_local_file_is_uploaded_unchanged_under_the_prompt(
        name: str, body: bytes, tmp_path: Path, s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / name
    path.write_bytes(body)

    assert ingest(str(path), "--prompt-id", "joke") == 0

    assert objects(s3) == {f"inputs/joke/{name}": body}
    assert capsys.readouterr().out.splitlines() == [f"s3://{BUCKET}/inputs/joke/{name}",
                                                    f"1 object under s3://{BUCKET}/inputs/joke/"]


def test_a_csv_that_is_not_utf8_is_refused_naming_the_line(
        tmp_path: Path, s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("id,topic\n1,tea\n2,café\n".encode("latin-1"))

    assert ingest(str(path), "--prompt-id", "joke") == 2

    err = capsys.readouterr().err
    assert f"{path}: line 3 is not UTF-8 (byte 0xe9" in err
    assert objects(s3) == {}


def test_an_unknown_file_type_is_refused(tmp_path: Path, s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "topics.xlsx"
    path.write_bytes(b"PK\x03\x04")

    assert ingest(str(path), "--prompt-id", "joke") == 2

    assert f"{path}: unsupported file type '.xlsx'" in capsys.readouterr().err
    assert objects(s3) == {}


@pytest.mark.parametrize(("name", "body", "message"), [
    ("headless.csv", b"\n1,cats\n", "no header row"),
    ("header-only.csv", b"id,topic\n", "no data rows"),
    ("broken.jsonl", b'{"id": 1}\n{"id": 2\n', "line 2 is not JSON"),
    ("list.jsonl", b"[1, 2]\n", "line 1 is not a JSON object"),
    ("broken.parquet", b"not parquet at all", "not a readable Parquet file"),
])
def test_a_local_file_the_pipeline_could_not_read_is_refused(
        name: str, body: bytes, message: str, tmp_path: Path, s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / name
    path.write_bytes(body)

    assert ingest(str(path), "--prompt-id", "joke") == 2

    assert f"{path}: {message}" in capsys.readouterr().err
    assert objects(s3) == {}


# -- the bucket ----------------------------------------------------------------------------------------------------
def test_stack_name_finds_the_bucket_in_the_data_bucket_name_output() -> None:
    cloudformation = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="x",
                                  aws_secret_access_key="x")
    stack = {"StackName": "bedrock-batch", "StackStatus": "CREATE_COMPLETE",
             "CreationTime": datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC),
             "Outputs": [{"OutputKey": "ResultsTableName", "OutputValue": "table"},
                         {"OutputKey": "DataBucketName", "OutputValue": "bedrock-batch-data"}]}
    with Stubber(cloudformation) as stub:
        stub.add_response("describe_stacks", {"Stacks": [stack]}, {"StackName": "bedrock-batch"})
        stub.add_client_error("describe_stacks", "ValidationError", "Stack with id gone does not exist")
        assert resolve_bucket("bedrock-batch", cloudformation) == "bedrock-batch-data"
        with pytest.raises(IngestError, match="stack gone: .*does not exist"):
            resolve_bucket("gone", cloudformation)


# -- the whole pipeline ----------------------------------------------------------------------------------------------
def test_an_ingested_dataset_runs_through_the_offline_stack_into_parquet_results(
        tmp_path: Path, hf_offline: None) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflows"))
    try:
        from offline_stack import make_pipeline
    finally:
        sys.path.pop(0)
    repo = hf_repo(tmp_path, {"train": simplecot_rows(240)})

    with contextlib.contextmanager(make_pipeline)() as pipeline:
        assert ingest(f"hf://{repo}/train", "--prompt-id", "simplecot_qa", "--shard-rows", "120",
                      bucket=pipeline.bucket) == 0
        pipeline.settle()

        rows = pipeline.parquet_rows()
        assert len(rows) == 240
        assert sorted(r["source"] for r in rows) == sorted(r["source"] for r in simplecot_rows(240))
        assert set(SIMPLECOT_COLUMNS) <= set(rows[0])
        assert all(isinstance(r["response"], str) and r["response"] for r in rows)
        assert pipeline.dead_letters() == []
        assert len(pipeline.executions("-input")) == 2  # one run per shard


# -- what the input workflow would refuse -------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "body", "prompt", "message"), [
    ("topics.csv", b"id,topic\n1,cats\n", "jokes", "no prompt template 'jokes'; known ids: joke, review_aspects"),
    ("topics.csv", b"id,topc\n1,cats\n", "joke", "lacks the column 'topic' (did you mean 'topc'?) the prompt needs"),
    ("topics.csv", b"id\ttopic\n1\tcats\n", "joke", "it looks like a tab-separated file saved as .csv: rename it"),
    ("topics.jsonl", b'{"id": 1, "Topic": "cats"}\n', "joke", "(did you mean 'Topic'?) the prompt needs; its columns:"),
    ("topics.csv", b"id,topic\n1,cats\n2,dogs,extra\n", "joke", "line 3 has 3 fields, the header 2; the pipeline would"
                                                               " read it cut"),
    ("topics.csv", b'id,topic\n1,"two\nlines"\n2\n', "joke", "line 4 has 1 fields, the header 2; the pipeline would"
                                                             " read it padded"),
    ("topics.csv", b"id,topic,topic\n1,cats,dogs\n", "joke", "repeated column names"),
], ids=["unknown prompt", "misspelled column", "tsv as csv", "jsonl column", "long row", "short row", "same names"])
def test_a_file_the_input_workflow_would_refuse_is_refused_with_the_cause(
        tmp_path: Path, s3: Any, capsys: pytest.CaptureFixture[str], name: str, body: bytes, prompt: str,
        message: str) -> None:
    path = tmp_path / name
    path.write_bytes(body)
    assert ingest(str(path), "--prompt-id", prompt) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert objects(s3) == {}


def test_without_published_prompts_nothing_is_uploaded(tmp_path: Path, s3: Any,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    s3.delete_object(Bucket=BUCKET, Key="config/prompt-templates.json")
    path = tmp_path / "topics.csv"
    path.write_bytes(b"id,topic\n1,cats\n")
    assert ingest(str(path), "--prompt-id", "joke") == 2
    assert "run bedrock-batch publish-prompts first" in capsys.readouterr().err


def test_a_dataset_without_the_prompt_columns_is_refused_before_any_upload(
        tmp_path: Path, hf_offline: None, s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    repo = hf_repo(tmp_path, {"train": simplecot_rows(5)})
    assert ingest(f"hf://{repo}/train", "--prompt-id", "joke") == 2
    assert "lacks the column 'topic'" in capsys.readouterr().err
    assert objects(s3) == {}
