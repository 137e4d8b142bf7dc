"""The runtime's S3 client is configured for speed (the body's CRC32 computed up front and sent as a header, the
payload not hashed for the signature); S3 must answer it exactly as it answers a boto3 client with botocore's
defaults: the same object, ETag, size, checksum and metadata (the rule: a faster path keeps the API's answers)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from helpers import BUCKET, offline_runtime

# Bodies as bytes and as text (boto3 accepts both), empty to a few hundred kilobytes.
BODIES = [b"", b"one line\n", "Brûlée 🙂\n".encode() * 3000, bytes(range(256)) * 1000, "Brûlée 🙂\n" * 3000, ""]
MODELED = ("ContentLength", "ETag", "ChecksumCRC32", "ContentType", "Metadata", "ServerSideEncryption")


def _answers(s3: Any, key: str) -> dict[str, Any]:
    head = s3.head_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
    got = s3.get_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
    wanted = ["ETag", "Checksum", "ObjectSize"]
    attributes = s3.get_object_attributes(Bucket=BUCKET, Key=key, ObjectAttributes=wanted)
    return {"head": {k: head.get(k) for k in MODELED}, "get": {k: got.get(k) for k in MODELED},
            "body": got["Body"].read(), "attributes": {k: attributes.get(k) for k in wanted}}


@pytest.mark.parametrize("body", BODIES, ids=["empty", "short", "utf8", "binary", "text", "empty-text"])
def test_an_object_put_by_the_runtime_reads_back_as_one_put_with_botocore_defaults(body: bytes | str) -> None:
    with offline_runtime() as runtime:
        plain = boto3.client("s3", region_name=runtime.config.region, aws_access_key_id="testing",
                             aws_secret_access_key="testing")
        put_runtime = runtime.client("s3").put_object(Bucket=BUCKET, Key="runtime", Body=body, Metadata={"m": "1"})
        put_plain = plain.put_object(Bucket=BUCKET, Key="plain", Body=body, Metadata={"m": "1"})
        assert put_runtime["ChecksumCRC32"]  # a checksum to compare, not two missing ones
        for field in ("ETag", "ChecksumCRC32"):
            assert put_runtime.get(field) == put_plain.get(field)
        assert _answers(runtime.client("s3"), "runtime") == _answers(plain, "plain")
