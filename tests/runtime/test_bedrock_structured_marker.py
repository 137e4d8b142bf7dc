"""The simulator finds a prompt's JSON Schema after the words "JSON Schema" in any case, as its case-blind
marker matches them; the quick case-folded check in front of the search must never turn such a prompt away."""

from __future__ import annotations

import re
import sys

from bedrock_batch.offline.bedrock import structured

SCHEMA = '{"type": "object", "properties": {"label": {"enum": ["a", "b"]}}}'


def test_every_character_the_marker_accepts_case_folds_to_the_marker_letter() -> None:
    letters = set("json schema")
    accepts = re.compile("[" + re.escape("".join(sorted(letters))) + "]", re.IGNORECASE)
    accepted = [chr(cp) for cp in range(sys.maxunicode + 1) if accepts.fullmatch(chr(cp))]
    assert "\u017f" in accepted  # LATIN SMALL LETTER LONG S: the marker takes it for "s"
    for char in accepted:
        assert char.casefold() in letters, hex(ord(char))


def test_the_marker_in_any_case_still_finds_the_schema() -> None:
    for words in ("JSON Schema", "json schema", "JSON SCHEMA", "J\u017fON \u017fchema", "Json\u0020Schema"):
        assert structured.requested_schema(f"Answer with JSON that fits this {words}: {SCHEMA}") is not None, words


def test_a_prompt_without_the_marker_asks_for_no_schema() -> None:
    assert structured.requested_schema(f"Answer in JSON like {SCHEMA}") is None
    assert structured.requested_schema("JSON  Schema (two spaces) " + SCHEMA) is None
