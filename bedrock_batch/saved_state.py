"""What ``bedrock-batch demo --state DIR`` keeps of its offline stack, so that ``bedrock-batch status --state DIR``
and a user's own boto3 code can look at it afterwards, with no AWS account (``restored(DIR)``).

The folder holds:

* ``manifest.json``: the stack's names (data bucket, results table, dead-letter queue URL and name, Region), the
  queue's settable attributes and the counts saved. Written last, so a folder without it is an interrupted save.
* ``results-table.json``: every item of the results table, as DynamoDB returns them (typed attribute values).
* ``bucket/<key>``: every object of the data bucket, its bytes copied as they are (inputs, Bedrock job files,
  Parquet results, the prompt templates).
* ``dead-letters.jsonl``: the dead-letter queue's messages, one a line (``MessageId``, ``Body``, ``Attributes``,
  ``MessageAttributes``), as the demo received them: the demo drains the queue into ``<out>/dead-letters.jsonl``,
  and these are the same messages, with their attributes.

The times in the table (startedAt, finishedAt) are the demo's virtual times, as its workflows wrote them."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from .errors import UserError

MANIFEST_FILE = "manifest.json"
STATE_FILE = "results-table.json"
BUCKET_FOLDER = "bucket"
DEAD_LETTERS_FILE = "dead-letters.jsonl"
#: The dead-letter queue's attributes that CreateQueue takes (the rest are counts, times and the ARN).
QUEUE_SETTINGS = ("DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds",
                  "VisibilityTimeout", "SqsManagedSseEnabled")
_COPY_CHUNK = 1 << 20


@dataclass(frozen=True)
class SavedStack:
    """The names a saved demo's resources have again inside ``restored()``."""

    bucket: str
    table: str
    queue_url: str
    region: str


def message_line(message: dict[str, Any]) -> str:
    """One received SQS message as a line of ``dead-letters.jsonl``: body, system and message attributes."""
    attributes = {name: {k: _text(v) for k, v in value.items() if v or v == ""}
                  for name, value in message.get("MessageAttributes", {}).items()}
    return json.dumps({"MessageId": message.get("MessageId"), "Body": message["Body"],
                       "Attributes": message.get("Attributes", {}), "MessageAttributes": attributes},
                      ensure_ascii=False) + "\n"


def _text(value: Any) -> Any:
    """A message attribute's value as JSON holds it: binary values in base64."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return [_text(v) for v in value] if isinstance(value, list) else value


def keep_dead_letters(folder: Path) -> IO[str]:
    """The state's dead-letters.jsonl, open for the demo to write as it drains the queue (``message_line``).

    The first step of a save: a previous manifest goes, so that a save cut short is never read as complete."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST_FILE).unlink(missing_ok=True)
    return (folder / DEAD_LETTERS_FILE).open("w", encoding="utf-8")


def save(folder: Path, dynamodb: Any, s3: Any, sqs: Any, bucket: str, table: str, queue_url: str,
         region: str) -> Path:
    """The table's items, the bucket's objects and the manifest into ``folder``; returns the manifest's path.

    The dead-letter messages are written by the demo as it drains the queue (``keep_dead_letters``), before this."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST_FILE).unlink(missing_ok=True)
    items = _save_table(folder, dynamodb, table)
    objects = _save_bucket(folder / BUCKET_FOLDER, s3, bucket)
    letters = folder / DEAD_LETTERS_FILE
    if not letters.is_file():
        letters.write_text("")
    with letters.open(encoding="utf-8") as f:
        dead_letters = sum(1 for line in f if line.strip())
    settings = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    manifest = {"bucket": bucket, "table": table, "queue_url": queue_url, "queue_name": queue_url.rsplit("/", 1)[-1],
                "region": region, "queue_attributes": {k: v for k, v in settings.items() if k in QUEUE_SETTINGS},
                "objects": objects, "items": items, "dead_letters": dead_letters}
    path = folder / MANIFEST_FILE
    path.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return path


def _save_table(folder: Path, dynamodb: Any, table: str) -> int:
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        items += page["Items"]
    (folder / STATE_FILE).write_text(json.dumps({"table": table, "items": items}))
    return len(items)


def _save_bucket(target: Path, s3: Any, bucket: str) -> int:
    """Every object of ``bucket`` to ``target/<key>``, one object at a time, copied in chunks."""
    if target.exists():
        shutil.rmtree(target)  # a previous demo's objects would come back as this one's
    target.mkdir(parents=True)
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for entry in page.get("Contents", []):
            path = target / _key_path(entry["Key"])
            path.parent.mkdir(parents=True, exist_ok=True)
            body = s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"]
            with path.open("wb") as out:
                _copy(body, out)
            count += 1
    return count


def _key_path(key: str) -> PurePosixPath:
    parts = key.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise UserError(f"--state: the bucket key {key!r} cannot be kept as a file (an empty, '.' or '..' part)")
    return PurePosixPath(*parts)


def _copy(source: Any, out: IO[bytes]) -> None:
    while chunk := source.read(_COPY_CHUNK):
        out.write(chunk)


@contextmanager
def restored(folder: str | Path) -> Iterator[SavedStack]:
    """Moto in process (``moto.mock_aws``) holding a saved demo's table, bucket and dead-letter queue again, under
    their saved names; yields those names. Inside the block, any boto3 client reaches them::

        with restored("state") as stack:
            boto3.client("s3").list_objects_v2(Bucket=stack.bucket)
    """
    from .offline.local import offline_aws

    folder = Path(folder)
    manifest, items = _read(folder)
    with offline_aws():
        import boto3

        session = boto3.session.Session(region_name=manifest["region"])
        _restore_table(session.client("dynamodb"), manifest["table"], items)
        _restore_bucket(session.client("s3"), manifest["bucket"], manifest["region"], folder / BUCKET_FOLDER)
        queue_url = _restore_queue(session.client("sqs"), manifest, folder / DEAD_LETTERS_FILE)
        yield SavedStack(bucket=manifest["bucket"], table=manifest["table"], queue_url=queue_url,
                         region=manifest["region"])


def _read(folder: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The manifest and the table's items, or one line saying what is wrong with the folder."""
    if folder.is_file():
        raise UserError(f"--state {folder}: is a file; give the folder bedrock-batch demo --state saved")
    if not (folder / MANIFEST_FILE).is_file():
        raise UserError(f"--state {folder}: no {MANIFEST_FILE} there; run bedrock-batch demo --state {folder} first")
    try:
        manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
        for name in ("bucket", "table", "queue_name", "region"):
            if not isinstance(manifest[name], str):
                raise TypeError(name)
        if not isinstance(manifest.get("queue_attributes", {}), dict):
            raise TypeError("queue_attributes")
        saved = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
        items = saved["items"]
        if saved["table"] != manifest["table"] or not isinstance(items, list):
            raise TypeError("items")
    except (OSError, json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError):
        raise UserError(f"--state {folder}: not a saved demo state (a file is missing or damaged); "
                        f"run bedrock-batch demo --state {folder} again") from None
    return manifest, items


def _restore_table(dynamodb: Any, table: str, items: list[dict[str, Any]]) -> None:
    dynamodb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                     {"AttributeName": "sk", "KeyType": "RANGE"}],
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                {"AttributeName": "sk", "AttributeType": "S"}])
    for item in items:
        dynamodb.put_item(TableName=table, Item=item)


def _restore_bucket(s3: Any, bucket: str, region: str, source: Path) -> None:
    """Each saved file back under its key, read from disk as the upload goes (one object at a time)."""
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    if not source.is_dir():
        return
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        with path.open("rb") as body:
            s3.put_object(Bucket=bucket, Key=path.relative_to(source).as_posix(), Body=body)


def _restore_queue(sqs: Any, manifest: dict[str, Any], letters: Path) -> str:
    """The queue under its saved name and settings, holding the saved messages (bodies and message attributes;
    the system attributes, such as SentTimestamp, are new: they stay readable in ``dead-letters.jsonl``)."""
    queue_url: str = sqs.create_queue(QueueName=manifest["queue_name"],
                                      Attributes=manifest.get("queue_attributes", {}))["QueueUrl"]
    if not letters.is_file():
        return queue_url
    with letters.open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                message = json.loads(line)
                extra = {"MessageAttributes": _message_attributes(message["MessageAttributes"])} \
                    if message.get("MessageAttributes") else {}
                sqs.send_message(QueueUrl=queue_url, MessageBody=message["Body"], **extra)
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError):
                raise UserError(f"--state: {letters} line {number} is not a saved message; run the demo again") \
                    from None
    return queue_url


def _message_attributes(saved: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Message attributes as SendMessage takes them: binary values back from base64."""
    out: dict[str, dict[str, Any]] = {}
    for name, value in saved.items():
        value = dict(value)
        if "BinaryValue" in value:
            value["BinaryValue"] = base64.b64decode(value["BinaryValue"])
        if "BinaryListValues" in value:
            value["BinaryListValues"] = [base64.b64decode(v) for v in value["BinaryListValues"]]
        out[name] = value
    return out
