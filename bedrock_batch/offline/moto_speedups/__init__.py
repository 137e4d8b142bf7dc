"""moto in process, without the costs that grow with the square of a queue's or a table's size; same answers.

In process, moto redoes on every call work whose cost grows with everything already stored (a queue's messages, a
table's items) or that never changes, and copies or keeps whole S3 bodies in memory.

The patches, by service (each module says what it changes and why):

* ``sqs``: the message counts, the retention check, SendMessage's attributes, DeleteMessage's search.
* ``dynamodb``: Scan pages from a kept sort, UpdateExpressions parsed once and their trees walked without
  rebuilding the walk's class tests at every node, checks that passed on a tree and walks that would process no
  node not walked, and reserved words looked up in a set.
* ``dynamodb_items``: items copied and sized without ``copy.deepcopy``'s dispatch or a ``DynamoType`` per set member.
* ``dispatch``: the request routing tables, ``camelcase_to_underscores`` and handler method lists built once,
  and a request body handed to moto without werkzeug's copies.
* ``s3``: object values on disk past the key buffer size (a file each, open only while used), ranged GetObjects
  that read only their range, multipart uploads completed and objects copied file to file, not through memory.
* ``instances``: no list of every model instance ever made (S3 objects, DynamoDB items, SQS messages ...).
* ``responses``: the serializer's alias lookups for a plain dict result answered once per member and shape.
* ``draws``: moto's random identifiers (request ids, receipt handles) drawn from its seeded generator in one call
  each, not one per character: the same draws, the same identifiers.

moto has no setting for any of this (``moto.settings`` and its ``MOTO_*`` variables: none touches SQS counting
or DynamoDB Scan), and the runtime needs moto in process, so this is the one place that patches a dependency's
internals. ``install()`` is its only entry; it patches only a moto version in ``CHECKED_MOTO_VERSIONS`` (the pin in
pyproject.toml), and only when the patched classes still look as expected: any other moto runs unpatched, with a
warning, and gives the same answers, more slowly. tests/runtime/test_moto_speedups.py runs each scenario with
and without the patches (``uninstall()``) and compares the answers.
"""

from __future__ import annotations

import importlib.metadata
import warnings

from . import dispatch, draws, dynamodb, dynamodb_items, instances, patching, responses, s3, sqs

CHECKED_MOTO_VERSIONS = ("5.2.5",)

_installed = False


def install() -> bool:
    """Patch moto's SQS, DynamoDB, S3 and request handling once per process; True if the patches are in place.

    Checked against moto 5.2.5 only (``CHECKED_MOTO_VERSIONS``); on another version, or without moto, nothing is
    patched, and a patch whose moto class does not look as expected is skipped.
    """
    global _installed
    if _installed:
        return bool(patching.originals)
    _installed = True
    try:
        version = importlib.metadata.version("moto")
        from moto.core.common_models import BaseModel
        from moto.core.request import Request
        from moto.dynamodb.models.table import Table
        from moto.moto_api._internal.moto_random import MotoRandom
        from moto.s3 import models as s3_models
        from moto.s3.responses import S3Response
        from moto.sqs import models as sqs_models
    except (ImportError, importlib.metadata.PackageNotFoundError):  # moto not installed: nothing to speed up
        return False
    if version not in CHECKED_MOTO_VERSIONS:
        warnings.warn(f"moto_speedups: moto {version} is not one of {', '.join(CHECKED_MOTO_VERSIONS)}; moto runs "
                      "unpatched (same answers, slower on large queues and tables)", RuntimeWarning, stacklevel=2)
        return False
    sqs.patch(sqs_models)
    dynamodb.patch(Table)
    dynamodb_items.patch()
    dispatch.patch(Request)
    s3.patch(s3_models, S3Response)
    instances.patch(BaseModel, s3_models.FakeKey)
    draws.patch(MotoRandom)
    responses.patch()
    return bool(patching.originals)


def uninstall() -> None:
    """Put moto's own code back (for tests that compare the answers with and without the patches)."""
    global _installed
    patching.restore_all()
    _installed = False
