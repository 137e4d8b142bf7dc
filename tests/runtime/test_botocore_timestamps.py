"""The runtime's clients parse response timestamps once per text (``botocore_timestamps``); the rule: a faster path
gives botocore's own answers, values, types and time zones alike, and its errors."""

from __future__ import annotations

import datetime
from typing import Any

import boto3
import pytest
from botocore.utils import parse_timestamp as botocore_parse
from helpers import BUCKET, offline_runtime

from bedrock_batch.offline import botocore_timestamps

# Complete texts (kept), and texts botocore reads otherwise: missing fields, epochs, other zones, other spellings.
TEXTS = [
    "Sat, 05 Dec 2026 15:39:55 GMT", "Thu, 01 Jan 1970 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT",
    "Mon, 05 Dec 2026 15:39:55 GMT",  # a weekday that is not the date's
    "2026-12-05T15:39:55.000Z", "2026-12-05T15:39:55Z", "2026-12-05T15:39:55.123456Z", "2024-02-29T00:00:00.5Z",
    "2026-12-05T15:39:55", "2026-12-05T15:39:55+02:00", "2026-12-05", "15:39:55 GMT", "Sat, 05 Dec 2026 15:39:55 UTC",
    "Sat, 05 Dec 2026 15:39:55 +0000", "sat, 05 dec 2026 15:39:55 GMT", "1764949195", "1764949195.25", 1764949195,
    1764949195.5,
]
# Texts in the complete formats that name no real time: botocore refuses them, every time.
REFUSED = ["Sat, 31 Feb 2026 10:00:00 GMT", "2026-13-05T00:00:00.000Z", "2026-12-05T25:00:00.000Z",
           "Sat, 05 Dec 2026 15:61:55 GMT"]


def _same(a: Any, b: Any) -> None:
    assert type(a) is type(b) and a == b
    if isinstance(a, datetime.datetime):
        assert type(a.tzinfo) is type(b.tzinfo) and a.tzinfo == b.tzinfo and a.utcoffset() == b.utcoffset()
        assert a.isoformat() == b.isoformat()


@pytest.mark.parametrize("text", TEXTS)
def test_a_timestamp_parses_as_botocore_parses_it_the_first_time_and_after(text: Any) -> None:
    for _ in range(3):  # the first answer, then the kept one (complete texts)
        _same(botocore_timestamps.parse_timestamp(text), botocore_parse(text))


@pytest.mark.parametrize("text", REFUSED)
def test_a_timestamp_botocore_refuses_raises_its_error_every_time(text: str) -> None:
    with pytest.raises(ValueError) as own:
        botocore_parse(text)
    for _ in range(2):
        with pytest.raises(type(own.value)) as ours:
            botocore_timestamps.parse_timestamp(text)
        assert str(ours.value) == str(own.value)


def test_the_runtime_s3_client_reads_last_modified_as_a_default_client_does() -> None:
    """GetObject and HeadObject (a Last-Modified header), ListObjectsV2 (ISO texts in XML)."""
    with offline_runtime() as runtime:
        plain = boto3.client("s3", region_name=runtime.config.region, aws_access_key_id="testing",
                             aws_secret_access_key="testing")
        ours = runtime.client("s3")
        for i in range(3):
            ours.put_object(Bucket=BUCKET, Key=f"k{i}", Body=b"x" * i)
        for client_a, client_b in ((ours, plain), (plain, ours)):
            for i in range(3):
                _same(client_a.get_object(Bucket=BUCKET, Key=f"k{i}")["LastModified"],
                      client_b.get_object(Bucket=BUCKET, Key=f"k{i}")["LastModified"])
                _same(client_a.head_object(Bucket=BUCKET, Key=f"k{i}")["LastModified"],
                      client_b.head_object(Bucket=BUCKET, Key=f"k{i}")["LastModified"])
            listed = [o["LastModified"] for o in client_a.list_objects_v2(Bucket=BUCKET)["Contents"]]
            for a, b in zip(listed, [o["LastModified"] for o in client_b.list_objects_v2(Bucket=BUCKET)["Contents"]],
                            strict=True):
                _same(a, b)


def test_the_default_session_keeps_its_own_parser_factory() -> None:
    """Only the runtime's clients are made with ``parse_timestamp``: boto3's default session is left as it was."""
    with offline_runtime() as runtime:
        default = boto3._get_default_session()._session
        own = default.get_component("response_parser_factory")
        runtime.client("s3")
        runtime.client("dynamodb")
        assert default.get_component("response_parser_factory") is own
