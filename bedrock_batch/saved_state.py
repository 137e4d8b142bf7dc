"""What ``bedrock-batch demo --state DIR`` keeps of its offline stack, so that ``bedrock-batch status --state DIR``
can read the runs afterwards, with no AWS account: the results table's items, as DynamoDB returns them.

The times in them (startedAt, finishedAt) are the demo's virtual times, as its workflows wrote them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import UserError

STATE_FILE = "results-table.json"


def save(folder: Path, dynamodb: Any, table: str) -> Path:
    """Every item of ``table`` (typed attribute values, every page) to ``folder/results-table.json``."""
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        items += page["Items"]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / STATE_FILE
    path.write_text(json.dumps({"table": table, "items": items}))
    return path


@contextmanager
def restored(folder: Path) -> Iterator[str]:
    """Moto in process holding the saved table again; yields the table's name."""
    from .offline.local import offline_aws

    path = folder / STATE_FILE
    if not path.is_file():
        raise UserError(f"--state {folder}: no {STATE_FILE} there; run bedrock-batch demo --state {folder} first")
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        table, items = saved["table"], saved["items"]
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError):
        raise UserError(f"--state {folder}: {path} is not a saved demo state; run the demo again") from None
    with offline_aws():
        import boto3

        dynamodb = boto3.client("dynamodb")
        dynamodb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                              KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                         {"AttributeName": "sk", "KeyType": "RANGE"}],
                              AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                    {"AttributeName": "sk", "AttributeType": "S"}])
        for item in items:
            dynamodb.put_item(TableName=table, Item=item)
        yield table
