"""Where the offline AWS lives: moto in process, or a moto server at an endpoint."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: moto's S3 keeps objects past this size on disk, not in memory (unless MOTO_S3_DEFAULT_KEY_BUFFER_SIZE is set).
KEY_BUFFER_BYTES = 64 * 1024


@contextlib.contextmanager
def offline_aws(endpoint: str | None = None) -> Iterator[None]:
    """Inside this block boto3 talks to moto: in process by default, or to the moto server at ``endpoint``."""
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION",
                                            "AWS_ENDPOINT_URL", "MOTO_S3_DEFAULT_KEY_BUFFER_SIZE")}
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    try:
        if endpoint:
            os.environ["AWS_ENDPOINT_URL"] = endpoint  # functions run in process create their own clients
            yield
        else:
            from moto import mock_aws

            from .moto_speedups import install

            install()
            # moto keeps an object below its key buffer size in memory (5 MiB by default, read per key): a run's
            # thousands of staged row slices (about 100 KB each) would hold the whole input in memory until the end.
            # Past this size an object lives in a file (closed between uses: moto_speedups.s3.SpillingBuffer).
            os.environ.setdefault("MOTO_S3_DEFAULT_KEY_BUFFER_SIZE", str(KEY_BUFFER_BYTES))
            with mock_aws():
                yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def preload_s3(s3: Any, folder: Path) -> int:
    """Upload ``folder/<bucket>/<key>`` files, creating the buckets; returns the number of objects."""
    count = 0
    for bucket_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
            s3.create_bucket(Bucket=bucket_dir.name)
        for path in sorted(p for p in bucket_dir.rglob("*") if p.is_file()):
            s3.put_object(Bucket=bucket_dir.name, Key=path.relative_to(bucket_dir).as_posix(), Body=path.read_bytes())
            count += 1
    return count
