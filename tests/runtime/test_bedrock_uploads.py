"""``uploads.upload_stretch`` writes the same S3 object as ``upload_fileobj`` (what ``aws s3 cp`` does) would.

The simulator uploads its output files with it: below 8 MB one PutObject, past it 8 MB parts, with CRC32
checksums computed up front instead of by botocore in an aws-chunked trailer. An object must not tell how it was
uploaded: same bytes, ETag, parts, checksum and checksum type, with botocore's default checksum setting and with
``when_required``; and a failed multipart upload is aborted, leaving no upload behind, as upload_fileobj's is.
"""

from __future__ import annotations

import io
import os
from typing import Any

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from bedrock_batch.offline.bedrock.uploads import upload_stretch

MB = 2**20


def _described(s3: Any, key: str) -> tuple[Any, ...]:
    """Everything S3 tells about an object but its modification time."""
    head = s3.head_object(Bucket="out", Key=key, ChecksumMode="ENABLED")
    attributes = s3.get_object_attributes(
        Bucket="out", Key=key, ObjectAttributes=["ETag", "Checksum", "ObjectParts", "ObjectSize", "StorageClass"]
    )
    got = s3.get_object(Bucket="out", Key=key, ChecksumMode="ENABLED")
    body = got.pop("Body").read()
    for response in (head, attributes, got):
        response.pop("ResponseMetadata")
        response.pop("LastModified", None)
    return head, attributes, got, body


@pytest.fixture(params=["when_supported", "when_required"])
def s3(request: pytest.FixtureRequest) -> Any:
    with mock_aws():
        client = boto3.client(
            "s3", region_name="us-east-1", config=Config(request_checksum_calculation=request.param)
        )
        client.create_bucket(Bucket="out")
        yield client


@pytest.mark.parametrize("size", [0, 1000, 8 * MB - 1, 8 * MB, 8 * MB + 1, 17 * MB])
def test_a_stretch_is_uploaded_as_upload_fileobj_uploads_it(s3, size):
    """Below, at and past the 8 MB multipart threshold, the object is the one upload_fileobj writes."""
    data = os.urandom(size)
    file = io.BytesIO(b"before" + data + b"after")
    upload_stretch(s3, file, 6, 6 + size, "out", "stretch")
    s3.upload_fileobj(io.BytesIO(data), "out", "reference", Config=TransferConfig(use_threads=False))
    assert _described(s3, "stretch") == _described(s3, "reference")
    assert _described(s3, "stretch")[-1] == data


def test_a_failed_part_aborts_the_multipart_upload_and_raises_as_upload_fileobj_does(s3):
    """A part S3 refuses (here: every UploadPart) aborts the upload: no object and no pending upload is left,
    and the error is the service's, as with upload_fileobj."""

    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."}}, "UploadPart")

    s3.meta.events.register("before-call.s3.UploadPart", refuse)
    data = os.urandom(9 * MB)
    errors = []
    for upload in (
        lambda: upload_stretch(s3, io.BytesIO(data), 0, len(data), "out", "stretch"),
        lambda: s3.upload_fileobj(io.BytesIO(data), "out", "reference", Config=TransferConfig(use_threads=False)),
    ):
        with pytest.raises(ClientError) as raised:
            upload()
        errors.append(raised.value.response["Error"])
        assert "Contents" not in s3.list_objects_v2(Bucket="out")
        assert "Uploads" not in s3.list_multipart_uploads(Bucket="out")
    assert errors[0] == errors[1]
