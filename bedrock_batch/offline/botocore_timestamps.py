"""botocore's timestamps parsed once per text in the two complete formats AWS answers in; the same datetimes.

botocore parses every timestamp of a response with dateutil's general parser (``botocore.utils.parse_timestamp``):
S3's Last-Modified header on each GetObject and HeadObject, each listed object's LastModified. That was 7-8% of an
in-process ranged GetObject. The texts repeat: a response's times have a resolution of a second, and a run reads
objects written within the same seconds. Here botocore's own parser answers each text once and its answer is kept,
for texts in the two complete formats AWS writes (RFC 7231's IMF-fixdate, ``Sat, 05 Dec 2026 15:39:55 GMT``, and ISO
8601 in UTC, ``2026-12-05T15:39:55.000Z``). In these every field is in the text and the zone is UTC (dateutil's
``tzutc``, one instance), so the answer depends on the text alone; a ``datetime`` is immutable, so the kept answer
can be handed out again. Any other text is parsed by botocore each time, as before: one missing a field takes it
from today's date, a number is an epoch read in the local zone, and a text botocore refuses raises its error anew.

It is given to botocore through its supported hook, the response parser factory's defaults
(``ResponseParserFactory.set_parser_defaults(timestamp_parser=...)``), by ``client()``.
"""

from __future__ import annotations

import re
from typing import Any

from botocore.utils import parse_timestamp as _botocore_parse

_COMPLETE = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
    r"\d\d:\d\d:\d\d GMT"
    r"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z)")
_MAX_KEPT = 4096
_kept: dict[str, Any] = {}


def parse_timestamp(value: Any) -> Any:
    """What ``botocore.utils.parse_timestamp(value)`` answers; for a complete UTC text, its first answer, kept."""
    if type(value) is not str or not _COMPLETE.fullmatch(value):
        return _botocore_parse(value)
    parsed = _kept.get(value)
    if parsed is None:
        parsed = _botocore_parse(value)  # raises as botocore does (an impossible date): nothing kept
        if len(_kept) >= _MAX_KEPT:
            _kept.clear()
        _kept[value] = parsed
    return parsed


def client(*args: Any, **kwargs: Any) -> Any:
    """``boto3.client(*args, **kwargs)`` (boto3's default session: its profile, settings and handlers), whose
    response parsers use ``parse_timestamp``.

    botocore takes a client's parser factory from its session when it creates the client; the default session's own
    factory is put back as soon as the client is made. (A client another thread made meanwhile would parse with
    ``parse_timestamp`` too: the same answers.)
    """
    import boto3
    from botocore.parsers import ResponseParserFactory

    default = boto3._get_default_session()._session  # what boto3.client(...) creates its clients from
    own = default.get_component("response_parser_factory")
    factory = ResponseParserFactory()
    factory.set_parser_defaults(timestamp_parser=parse_timestamp)
    default.register_component("response_parser_factory", factory)
    try:
        return boto3.client(*args, **kwargs)
    finally:
        default.register_component("response_parser_factory", own)
