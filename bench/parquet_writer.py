"""The Parquet writer Lambda against a plain pandas join, on N rows in S3; prints one JSON line.

Run as ``python -m bench.parquet_writer ROWS`` (``make bench`` uses 1,000,000); ``ROWS --slices`` measures one
writer per job slice (the row index), ``ROWS --csv-rows`` the CSV reader alone. The data: a SimpleCoT-like input
CSV (about 600 bytes a row) and the job output as ``.jsonl.out`` files of 50,000 Converse-shaped lines each
(``recordId``, the echoed ``modelInput``, ``modelOutput`` with the answer and token usage; 1% of the lines are
record errors), the record ids shuffled across files, as Bedrock does not keep input order.

``ROWS --answer-tokens N`` (``make bench`` does not run it) makes every answer about N tokens long (4 bytes a
token: N x 4 bytes of text, the length of an answer that used all of ``MaxTokens`` N) and measures the writer alone
(pandas would hold the answers three times over); ``python -m bench.parquet_writer 50000 --answer-tokens 8192`` is one
job of 50,000 answers of 32 KiB, 1.6 GB of answers.

The data is generated once on disk and uploaded to a moto server started in its own process, so neither
measured process holds the S3 objects: each contender runs in a fresh subprocess that talks to moto over HTTP,
as a Lambda talks to S3, and its peak resident memory (``ru_maxrss``, imports included; the figure after imports
is reported too) is its own. ``ru_maxrss`` counts the pages of a memory-mapped file the process touched; the peak of
its anonymous memory alone (``RssAnon``, sampled every 5 ms) is reported beside it: a Lambda's limit is met by
anonymous memory, clean file pages are reclaimed before it is reached. Only the contender's call is timed (reading
S3, joining, writing the Parquet file and uploading it), not the imports.

* **writer**: ``functions/parquet_writer/app.py`` loaded as Lambda loads it (its folder on ``sys.path``), called
  with the event the output workflow sends, over every output file at once (``RecordIdOffset`` 0).
* **pandas**: the orchestration blog's way: ``pandas.read_csv`` the input, ``pandas.read_json(lines=True)`` each
  output file, the answer and token counts picked with pandas ``.str.get`` chains, ``concat``, ``merge`` on the
  record number, ``to_parquet`` (pyarrow engine), upload. Each output file is reduced to its answer columns
  before the next is read, which is kinder to memory than keeping whole frames.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FUNCTION_DIR = REPO / "functions" / "parquet_writer"
BUCKET = "bench-data"
INPUT_KEY = "inputs/simplecot_qa/simplecot.csv"
OUTPUT_PREFIX = "batch-output/bench-job/abcdef123456/"
# What the output workflow sends the writer, less the result key and the slice.
WRITER_EVENT = {"Bucket": BUCKET, "RunId": "bench", "InputKey": INPUT_KEY, "InputFormat": "CSV", "CSVDelimiter": ",",
                "OutputPrefix": OUTPUT_PREFIX}
LINES_PER_FILE = 50_000
ERROR_EVERY = 100  # one record in 100 failed
SOURCE = "Solve the following problem and explain each step of the reasoning in detail, then give the result. "
RATIONALE = "First consider the quantities given, then combine them step by step until the result is clear. "
ANSWER = ("Let us reason step by step. The problem gives two quantities; combining them in order and checking "
          "each intermediate value leads to the result. ")
PROMPT_TAIL = " Think through the problem step by step, showing your reasoning."
BYTES_PER_TOKEN = 4  # English text, roughly


# -- data ------------------------------------------------------------------------------------------------------
def generate(rows: int, folder: Path, answer_tokens: int | None = None) -> dict[str, Any]:
    """Write the input CSV and the shuffled ``.jsonl.out`` files under ``folder``; return their sizes. With
    ``answer_tokens``, each answer is about that many tokens long (``BYTES_PER_TOKEN`` bytes a token)."""
    csv_path = folder / "simplecot.csv"
    with csv_path.open("w", encoding="utf-8") as f:
        f.write("source,target,rationale,task,type\n")
        for i in range(rows):
            f.write(f'"{_source(i)}",answer {i},"{RATIONALE * 2}Then check it against the question. {i}",'
                    f'task{i % 50},cot\n')
    ids = list(range(rows))
    random.Random(7).shuffle(ids)
    outputs = []
    for n, start in enumerate(range(0, rows, LINES_PER_FILE)):
        path = folder / f"part-{n:05d}.jsonl.out"
        with path.open("w", encoding="utf-8") as f:
            f.writelines(_output_line(i, answer_tokens) for i in ids[start:start + LINES_PER_FILE])
        outputs.append(path)
    return {"csv": csv_path, "outputs": outputs,
            "csv_bytes": csv_path.stat().st_size, "output_bytes": sum(p.stat().st_size for p in outputs)}


def _source(i: int) -> str:
    return f"{SOURCE * 3}Problem {i}."


def _output_line(i: int, answer_tokens: int | None = None) -> str:
    record_id = str(i).zfill(11)
    model_input = (f'{{"messages":[{{"role":"user","content":[{{"text":"{_source(i)}{PROMPT_TAIL}"}}]}}],'
                   f'"inferenceConfig":{{"maxTokens":512,"temperature":0.2}}}}')
    if i % ERROR_EVERY == ERROR_EVERY - 1:
        return (f'{{"recordId":"{record_id}","modelInput":{model_input},"error":{{"errorCode":500,'
                f'"errorMessage":"The system encountered an unexpected error during processing. Try again."}}}}\n')
    answer = f"{ANSWER * 3}Answer: {i * 7 % 1000}"
    if answer_tokens is not None:  # the reasoning repeated, each repeat numbered, to the length asked for
        size = answer_tokens * BYTES_PER_TOKEN
        steps = "".join(f"Step {n}. {ANSWER}" for n in range(size // len(ANSWER) + 1))
        answer = steps[: size - len(answer)] + answer
    output = (f'{{"output":{{"message":{{"role":"assistant","content":[{{"text":"{answer}"}}]}}}},'
              f'"stopReason":"end_turn","usage":{{"inputTokens":{90 + i % 7},"outputTokens":{100 + i % 11},'
              f'"totalTokens":{190 + i % 7 + i % 11}}},"metrics":{{"latencyMs":{300 + i % 500}}}}}')
    return f'{{"recordId":"{record_id}","modelInput":{model_input},"modelOutput":{output}}}\n'


# -- moto server -----------------------------------------------------------------------------------------------
@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """A moto server in its own process; yields its endpoint and stops it afterwards."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the moto server did not start (pip install -e '.[bench]')") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def upload(endpoint: str, data: dict[str, Any]) -> None:
    import boto3

    from bedrock_batch.offline.local import offline_aws

    with offline_aws(endpoint):
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        s3.upload_file(str(data["csv"]), BUCKET, INPUT_KEY)
        for path in data["outputs"]:
            s3.upload_file(str(path), BUCKET, OUTPUT_PREFIX + path.name)


# -- the contenders (each in its own process) ------------------------------------------------------------------
def load_writer() -> Any:
    """``functions/parquet_writer/app.py`` as Lambda loads it: its folder is the import root, and the process is
    the function's own (``AWS_LAMBDA_FUNCTION_NAME`` set, as Lambda sets it: the writer then tunes malloc)."""
    os.environ.setdefault("AWS_LAMBDA_FUNCTION_NAME", "bench-parquet-writer")
    sys.path.insert(0, str(FUNCTION_DIR))
    try:
        spec = importlib.util.spec_from_file_location("bench_parquet_writer_app", FUNCTION_DIR / "app.py")
        app = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(app)  # type: ignore[union-attr]
    finally:
        sys.path.remove(str(FUNCTION_DIR))
    return app


def run_writer(s3: Any, result_key: str) -> int:
    app = load_writer()
    app._s3_client = s3
    return int(app.handler({**WRITER_EVENT, "ResultKey": result_key, "RecordIdOffset": 0})["Rows"])


def run_pandas(s3: Any, result_key: str) -> int:
    import pandas as pd

    inputs = pd.read_csv(s3.get_object(Bucket=BUCKET, Key=INPUT_KEY)["Body"], dtype=str, keep_default_na=False)
    parts = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=OUTPUT_PREFIX):
        for item in page.get("Contents", []):
            if not item["Key"].endswith(".jsonl.out"):
                continue
            lines = pd.read_json(s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"], lines=True, dtype=False,
                                 convert_dates=False)
            good = lines[lines["modelOutput"].notna()]
            output = good["modelOutput"]
            usage = output.str.get("usage")
            parts.append(pd.DataFrame({
                "record_idx": good["recordId"].astype("int64"),
                "response": output.str.get("output").str.get("message").str.get("content").str.get(0).str.get("text"),
                "input_tokens": usage.str.get("inputTokens").astype("int32"),
                "output_tokens": usage.str.get("outputTokens").astype("int32"),
                "stop_reason": output.str.get("stopReason"),
            }))
            del lines, good, output, usage
    answers = pd.concat(parts, ignore_index=True).drop_duplicates("record_idx")
    del parts
    joined = inputs.merge(answers, left_index=True, right_on="record_idx", how="inner")
    joined["record_id"] = joined.pop("record_idx").astype(str).str.zfill(11)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "result.parquet"
        joined.to_parquet(path, index=False, engine="pyarrow")
        s3.upload_file(str(path), BUCKET, result_key)
    return len(joined)


class _AnonymousPeak:
    """The largest ``RssAnon`` of this process (its anonymous resident memory) while running, sampled every 5 ms."""

    def __init__(self) -> None:
        import threading

        self.peak_kib, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> _AnonymousPeak:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while True:
            with open("/proc/self/status") as status:
                for line in status:
                    if line.startswith("RssAnon:"):
                        self.peak_kib = max(self.peak_kib, int(line.split()[1]))
            if self._stop.wait(0.005):
                return


def measure(contender: str, endpoint: str) -> dict[str, Any]:
    """Run one contender in this (fresh) process; only its call is timed, its imports are done before."""
    import boto3
    import pyarrow.parquet as pq

    from bedrock_batch.offline.local import offline_aws

    if contender == "pandas":
        import pandas  # noqa: F401
    else:
        load_writer()
    run = {"writer": run_writer, "pandas": run_pandas}[contender]
    result_key = f"results/bench/{contender}.parquet"
    with offline_aws(endpoint):
        s3 = boto3.client("s3")
        s3.list_buckets()  # the client's own set-up, before the clock starts
        start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        with _AnonymousPeak() as anonymous:
            started = time.perf_counter()
            rows_out = run(s3, result_key)
            seconds = time.perf_counter() - started
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        body = s3.get_object(Bucket=BUCKET, Key=result_key)["Body"].read()
    metadata = pq.ParquetFile(pa_buffer(body)).metadata
    return {"rows_out": rows_out, "parquet_rows": metadata.num_rows, "parquet_columns": metadata.num_columns,
            "seconds": round(seconds, 2), "start_rss_mib": round(start_rss), "peak_rss_mib": round(peak_rss),
            "peak_anon_mib": round(anonymous.peak_kib / 1024)}


def pa_buffer(body: bytes) -> Any:
    import pyarrow as pa

    return pa.BufferReader(body)


def main(rows: int, answer_tokens: int | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        data = generate(rows, Path(tmp), answer_tokens)
        generated = time.perf_counter() - started
        with moto_server() as endpoint:
            upload(endpoint, data)
            results = {}
            for contender in ("writer",) if answer_tokens else ("writer", "pandas"):
                out = subprocess.run([sys.executable, "-m", "bench.parquet_writer", "--measure", contender, endpoint],
                                     capture_output=True, text=True, check=True, cwd=REPO, env=os.environ.copy())
                results[contender] = json.loads(out.stdout.strip().splitlines()[-1])
    w = results["writer"]
    summary = {
        "rows": rows, "input_mib": round(data["csv_bytes"] / 2**20), "output_mib": round(data["output_bytes"] / 2**20),
        "output_files": len(data["outputs"]), "generate_seconds": round(generated, 1),
        "writer": {**w, "rows_per_second": round(rows / w["seconds"])},
    }
    if answer_tokens:
        return {**summary, "answer_tokens": answer_tokens, "answer_bytes": answer_tokens * BYTES_PER_TOKEN}
    p = results["pandas"]
    return {**summary, "pandas": {**p, "rows_per_second": round(rows / p["seconds"])},
            "speedup": round(p["seconds"] / w["seconds"], 2)}


# -- one writer per job slice, as the output workflow calls it ----------------------------------------------------
def measure_slices(s3: Any, rows: int, order: str) -> dict[str, Any]:
    """Every job's writer in turn (``order``: ``in-order`` or ``reverse``), each over its slice of LINES_PER_FILE
    rows: seconds and input bytes downloaded per invocation, in this one process (a warm Lambda)."""
    app = load_writer()
    firsts = list(range(0, rows, LINES_PER_FILE))
    if order == "reverse":
        firsts.reverse()
    invocations = []
    app._s3_client = counter = _InputCounter(s3)
    for first in firsts:
        counter.bytes_read = 0
        started = time.perf_counter()
        answer = app.handler({**WRITER_EVENT, "ResultKey": f"results/bench/{order}-{first}.parquet",
                              "RecordIdOffset": first, "RecordCount": min(LINES_PER_FILE, rows - first)})
        invocations.append({"first_row": first, "rows_out": answer["Rows"],
                            "seconds": round(time.perf_counter() - started, 2),
                            "input_mib_read": round(counter.bytes_read / 2**20, 1)})
    return {"invocations": invocations, "input_mib_read": round(sum(i["input_mib_read"] for i in invocations), 1),
            "seconds": round(sum(i["seconds"] for i in invocations), 2)}


class _InputCounter:
    """The S3 client, counting the bytes read from the input object's GET bodies."""

    def __init__(self, client: Any) -> None:
        self._client, self.bytes_read = client, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def get_object(self, **kwargs: Any) -> Any:
        response = self._client.get_object(**kwargs)
        if kwargs["Key"] == INPUT_KEY:
            body, counter = response["Body"], self

            class Counted:
                def read(self, size: int = -1) -> bytes:
                    data = body.read() if size is None or size < 0 else body.read(size)
                    counter.bytes_read += len(data)
                    return data

                def close(self) -> None:
                    body.close()

            response["Body"] = Counted()
        return response


def main_slices(rows: int) -> dict[str, Any]:
    """``python -m bench.parquet_writer ROWS --slices``: the writers of every slice, in order, then again last job
    first against a fresh upload (another ETag, so no row index left by the first order), on moto in process."""
    import boto3
    from moto import mock_aws

    with tempfile.TemporaryDirectory() as tmp, mock_aws():
        data = generate(rows, Path(tmp))
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        for path in data["outputs"]:
            s3.upload_file(str(path), BUCKET, OUTPUT_PREFIX + path.name)
        results: dict[str, Any] = {"rows": rows, "input_mib": round(data["csv_bytes"] / 2**20, 1),
                                   "slice_rows": LINES_PER_FILE}
        for order in ("in-order", "reverse"):
            with data["csv"].open("rb") as f:
                s3.put_object(Bucket=BUCKET, Key=INPUT_KEY, Body=f.read() + (b"" if order == "in-order" else b"\n"))
            results[order] = measure_slices(s3, rows, order)
    return results


# -- the CSV parser alone ----------------------------------------------------------------------------------------
def main_csv_rows(rows: int) -> dict[str, Any]:
    """``python -m bench.parquet_writer ROWS --csv-rows``: the writer's CSV reader alone on the generated CSV, in
    memory: parsing every row (the slice), delimiting every row without building values (the rows before a slice,
    when no checkpoint is near), and pyarrow's CSV reader for scale (it cannot read ragged rows as Step Functions
    does). Best of three runs each, seconds and rows/s."""
    import io

    import pyarrow.csv as pacsv

    sys.path.insert(0, str(FUNCTION_DIR))  # as Lambda imports it
    try:
        import csv_rows  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(FUNCTION_DIR))

    with tempfile.TemporaryDirectory() as tmp:
        data = generate(rows, Path(tmp))["csv"].read_bytes()

    def parse() -> int:
        _, batches = csv_rows.read_rows(io.BytesIO(data), ",")
        return sum(batch.num_rows for batch in batches)

    def delimit() -> int:
        counted = []
        _, batches = csv_rows.read_rows(io.BytesIO(data), ",", first_row=rows, passed=counted.append)
        assert not list(batches)
        return len(counted)

    def pyarrow_csv() -> int:
        options = pacsv.ParseOptions(newlines_in_values=True)
        return pacsv.read_csv(io.BytesIO(data), parse_options=options).num_rows

    results: dict[str, Any] = {"rows": rows, "csv_mib": round(len(data) / 2**20, 1)}
    for name, run in (("csv_rows_parse", parse), ("csv_rows_delimit", delimit), ("pyarrow_read_csv", pyarrow_csv)):
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            assert run() == rows
            best = min(best, time.perf_counter() - started)
        results[name] = {"seconds": round(best, 2), "rows_per_s": round(rows / best),
                         "mib_per_s": round(len(data) / 2**20 / best)}
    return results


if __name__ == "__main__":
    if sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2], sys.argv[3])))
    elif sys.argv[2:] == ["--slices"]:
        print(json.dumps(main_slices(int(sys.argv[1]))))
    elif sys.argv[2:] == ["--csv-rows"]:
        print(json.dumps(main_csv_rows(int(sys.argv[1]))))
    elif sys.argv[2:3] == ["--answer-tokens"]:
        print(json.dumps(main(int(sys.argv[1]), int(sys.argv[3]))))
    else:
        print(json.dumps(main(int(sys.argv[1]))))
