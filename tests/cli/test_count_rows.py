"""The demo counts the rows of the file it uploads from the local file (``demo.count_file_rows``), by the input
workflow's ItemReader rules: the count must be the one ``demo.count_rows`` reads back from S3, for every reader."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import boto3
import pytest

from bedrock_batch import demo
from bedrock_batch.offline.local import offline_aws

FILES = {
    "plain.csv": b"a,b\n1,2\n3,4\n",
    "quoted.csv": b'a,b\n"x, with\nnewline",2\n"say ""hi""",3\n\n4,5',
    "ragged.tsv": b"a\tb\n1\n2\t3\t4\n",
    "crlf.psv": b"a|b\r\n1|2\r\n",
    "rows.jsonl": b'{"a": 1}\n\n{"a": 2}\n{"a": "\xc3\xa9"}\n',
    "bad.jsonl": b'{"a": 1}\nnot json\n',
    "latin1.csv": b"a\n\xe9\n",
    "rows.csv.gz": gzip.compress(b"a\n1\n2\n3\n"),
    "notes.txt": b"a\n1\n",
}


@pytest.fixture
def s3() -> Any:
    with offline_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="bucket")
        yield client


@pytest.mark.parametrize("name", sorted(FILES))
def test_the_local_count_is_the_count_read_back_from_s3(s3: Any, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(FILES[name])
    key = f"inputs/p/{name}"
    s3.put_object(Bucket="bucket", Key=key, Body=path.read_bytes())
    assert demo.count_file_rows(path, key) == demo.count_rows(s3, "bucket", key)
