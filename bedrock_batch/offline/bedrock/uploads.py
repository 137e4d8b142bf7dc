"""Uploading a stretch of an open file to S3 exactly as ``upload_fileobj`` (and ``aws s3 cp``) would.

The same requests with the same parameters: one PutObject below the multipart threshold (8 MB), else
CreateMultipartUpload, an UploadPart per 8 MB part and CompleteMultipartUpload (AbortMultipartUpload if a request
fails), each with a CRC32 checksum when the client computes checksums it is not required to (botocore's default,
``request_checksum_calculation="when_supported"``), so the object gets the same ETag, parts and checksum. The one
difference is how a checksum travels: given the CRC32 of each body up front, botocore sends the body as it is with
the checksum in a header; left to compute it, it streams the body aws-chunked with the checksum in a trailer,
which botocore encodes and moto decodes in Python (a second for a 100 MB output). And the stretch is read where it
is: no copy of it into a file of its own first.
"""

from __future__ import annotations

import base64
import logging
import zlib
from typing import Any

from boto3.s3.transfer import TransferConfig
from s3transfer.utils import ChunksizeAdjuster

logger = logging.getLogger(__name__)

DEFAULTS = TransferConfig()  # the multipart threshold and part size


def crc32(data: bytes) -> str:
    """The base64 CRC32 that S3 checksums use (``ChecksumCRC32``)."""
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def upload_stretch(s3: Any, file: Any, start: int, end: int, bucket: str, key: str) -> None:
    """Upload bytes ``start`` to ``end`` of ``file`` (open, binary, seekable) as the object ``bucket``/``key``."""
    checksum = s3.meta.config.request_checksum_calculation == "when_supported"
    algorithm = {"ChecksumAlgorithm": "CRC32"} if checksum else {}

    def body(data: bytes) -> dict[str, Any]:
        return {"Body": data, **algorithm, **({"ChecksumCRC32": crc32(data)} if checksum else {})}

    size = end - start
    file.seek(start)
    if size < DEFAULTS.multipart_threshold:
        s3.put_object(Bucket=bucket, Key=key, **body(file.read(size)))
        return
    part_size = ChunksizeAdjuster().adjust_chunksize(DEFAULTS.multipart_chunksize, size)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, **algorithm)["UploadId"]
    try:
        parts = []
        for number, offset in enumerate(range(0, size, part_size), start=1):
            data = file.read(min(part_size, size - offset))
            response = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, **body(data))
            part = {"ETag": response["ETag"], "PartNumber": number}
            if checksum and "ChecksumCRC32" in response:
                part["ChecksumCRC32"] = response["ChecksumCRC32"]
            parts.append(part)
        s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})
    except BaseException:
        try:  # as upload_fileobj's failure cleanup: a failed abort is logged, the upload's own error raised
            s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        except Exception:
            logger.exception("could not abort the multipart upload of s3://%s/%s", bucket, key)
        raise
