"""The Parquet writer with long answers, against moto S3: answers of a large ``MaxTokens`` are kept in a
memory-mapped file under /tmp and gathered a step at a time (``answer_spool``, ``Answers.step_rows``), and what is
written is what short answers give: every row with its answer intact, in input order, the same counts and the same
failed records. Memory itself is the benchmark's (``python -m bench.parquet_writer 50000 --answer-tokens 8192``)."""

from __future__ import annotations

import io
import json
import random
import tempfile
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from writer_harness import BUCKET, load_like_lambda

RUN_ID = "0123456789abcdef"
OUTPUT_PREFIX = "batch-output/long-job/abc123def456/"
RESULT_KEY = "results/long/long-job.parquet"
FAILED_KEY = "batch-output/long-job/abc123def456/failed.jsonl"
ROWS = 300
ANSWER_BYTES = 64 << 10  # 16,384 tokens of 4 bytes: the join gathers 256 answers at a time

app, batch_outputs = load_like_lambda("parquet_writer_app_long", "batch_outputs")


@pytest.fixture
def s3(moto_s3: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    monkeypatch.setattr(app, "_s3_client", None)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the function's /tmp
    monkeypatch.setattr(batch_outputs, "_BLOCK_SIZE", 2 << 20)  # each output file is parsed in several blocks
    return moto_s3


def long_answer(i: int) -> str:
    """About ANSWER_BYTES of text, different for every record and along its length, with multi-byte characters."""
    words = "".join(f"step {n} of record {i}, café ✓; " for n in range(ANSWER_BYTES // 28))
    return f"record {i}: {words[: ANSWER_BYTES - 32]} end {i}"


def output_line(i: int, **fields: Any) -> str:
    line = {"recordId": str(i).zfill(11), "modelInput": {"messages": [{"role": "user", "content": [{"text": "q"}]}]}}
    return json.dumps({**line, **fields}) + "\n"


def converse(text: str, input_tokens: Any = 90) -> dict:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "max_tokens",
        "usage": {"inputTokens": input_tokens, "outputTokens": len(text) // 4},
    }


def put_job(s3: Any, untyped_line: bool = False) -> None:
    """ROWS input rows; their answers shuffled over two output files of about 12 MB (several parse blocks each),
    every 25th record an error, record 7 answered twice (the first answer read wins). ``untyped_line``: a line near
    the end of the first file that no explicit schema fits, so the file is parsed again line by line after its first
    blocks' answers were kept."""
    rows = "".join(f"r{i},row {i}\n" for i in range(ROWS))
    s3.put_object(Bucket=BUCKET, Key="inputs/long/rows.csv", Body=f"row_id,text\n{rows}".encode())
    lines = [
        output_line(i, error={"errorCode": 500, "errorMessage": "boom"})
        if i % 25 == 24
        else output_line(i, modelOutput=converse(long_answer(i)))
        for i in range(ROWS)
    ]
    random.Random(3).shuffle(lines)
    first, second = lines[: ROWS // 2], lines[ROWS // 2 :]
    second.append(output_line(7, modelOutput=converse("a second answer for record 7")))
    if untyped_line:
        at = next(n for n, line in enumerate(first[-20:], len(first) - 20) if '"recordId": "00000000024"' not in line)
        record = json.loads(first[at])
        if "modelOutput" in record:
            record["modelOutput"]["usage"]["inputTokens"] = "ninety"  # a string where a number is expected
            first[at] = json.dumps(record) + "\n"
    for name, part in (("part-0.jsonl.out", first), ("part-1.jsonl.out", second)):
        s3.put_object(Bucket=BUCKET, Key=OUTPUT_PREFIX + name, Body="".join(part).encode())


def run(s3: Any) -> dict:
    return app.handler(
        {
            "Bucket": BUCKET,
            "RunId": RUN_ID,
            "InputKey": "inputs/long/rows.csv",
            "InputFormat": "CSV",
            "OutputPrefix": OUTPUT_PREFIX,
            "ResultKey": RESULT_KEY,
            "FailedKey": FAILED_KEY,
            "RecordIdOffset": 0,
            "RecordCount": ROWS,
        }
    )


@pytest.mark.parametrize("untyped_line", [False, True], ids=["typed", "read-again-line-by-line"])
def test_long_answers_are_written_whole_in_input_order_with_the_same_counts(
    s3: Any, tmp_path: Path, untyped_line: bool
) -> None:
    """Every answered row is written once, in input order, its answer byte for byte; errors are counted and listed
    as with short answers; nothing is left in /tmp."""
    put_job(s3, untyped_line)

    result = run(s3)

    table = pq.read_table(io.BytesIO(s3.get_object(Bucket=BUCKET, Key=RESULT_KEY)["Body"].read()))
    answered = [i for i in range(ROWS) if i % 25 != 24]
    assert table["row_id"].to_pylist() == [f"r{i}" for i in answered]
    assert table["record_id"].to_pylist() == [f"{RUN_ID}-{str(i).zfill(11)}" for i in answered]
    responses = table["response"].to_pylist()
    assert responses == [long_answer(i) for i in answered]  # record 7: its first answer, not the second
    assert all(len(response.encode()) > ANSWER_BYTES - 64 for response in responses)
    assert result["Rows"] == len(answered)
    assert result["ErrorReasons"] == {
        batch_outputs.MODEL_ERROR: ROWS // 25,
        batch_outputs.UNRECOGNISED: 0,
        batch_outputs.NO_OUTPUT: 0,
        batch_outputs.UNMATCHED: 0,
    }
    failed = s3.get_object(Bucket=BUCKET, Key=FAILED_KEY)["Body"].read().decode().splitlines()
    assert [json.loads(line) for line in failed] == [
        {"recordId": str(i).zfill(11), "error": {"errorCode": "500", "errorMessage": "boom"}}
        for i in range(24, ROWS, 25)
    ]
    assert result["OutputTokens"] == sum(len(long_answer(i)) // 4 for i in answered)
    if untyped_line:  # the line whose inputTokens is text: its tokens are not a number
        assert result["InputTokens"] < 90 * len(answered)
    else:
        assert result["InputTokens"] == 90 * len(answered)
    assert list(tmp_path.iterdir()) == []
