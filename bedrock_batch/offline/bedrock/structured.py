"""Simulated structured answers: a request that asks for JSON fitting a JSON Schema gets JSON that fits it.

A prompt template's ``output_schema`` reaches the model as an instruction in the system prompt (the input workflow
renders it once per run): "... fits this JSON Schema ...: {schema}". A model reads it from the prompt, and so does
the simulator (``requested_schema``): the schema is the first JSON object after the words "JSON Schema". The answer
(``answer``) is built from the schema (an enum picks one of its values, a number lies within its bounds, a string
is a short sentence) and, like a real model's, is sometimes wrapped in a ```json code fence or a sentence of prose.

``invalid_answer`` gives what a model sometimes gives instead: prose with no JSON, JSON without a required property,
a value outside its enum or of the wrong type, or JSON cut short. The simulator answers with it at
``SimulatorConfig.invalid_structured_rate``.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

_MARKER = re.compile(r"JSON Schema", re.IGNORECASE)
_WORDS = ("clear", "solid", "mixed", "reliable", "quick", "useful", "simple", "modest")


def request_text(body: Any) -> str:
    """Every string of a request body, joined: where a model would read an instruction."""
    if isinstance(body, str):
        return body
    if isinstance(body, dict):
        return "\n".join(request_text(value) for value in body.values())
    if isinstance(body, list):
        return "\n".join(request_text(value) for value in body)
    return ""


def requested_schema(text: str) -> dict[str, Any] | None:
    """The JSON Schema a prompt asks the answer to fit, or None when it asks for none.

    A text whose case-folded form lacks "json schema" has no marker (every character the case-blind marker
    accepts case-folds to the marker's own letter), and saying so takes a twentieth of the time the search would.
    """
    if "json schema" not in text.casefold():
        return None
    for marker in _MARKER.finditer(text):
        start = text.find("{", marker.end())
        if start == -1:
            return None
        try:
            schema, _ = json.JSONDecoder().raw_decode(text, start)
        except ValueError:
            continue
        if isinstance(schema, dict) and isinstance(schema.get("properties"), dict):
            return schema
    return None


class _Draws:
    """Deterministic choices from a key: same prompt, same answer."""

    def __init__(self, key: str) -> None:
        self._key, self._n = key, 0

    def next(self, modulo: int) -> int:
        self._n += 1
        digest = hashlib.sha256(f"{self._key}\x1f{self._n}".encode()).digest()
        return int.from_bytes(digest[:8], "big") % max(1, modulo)


def fake_value(schema: Any, draws: _Draws, sentence: str) -> Any:
    """A value that fits ``schema`` (the common keywords: type, enum, const, bounds, items, properties, required)."""
    if not isinstance(schema, dict):
        return sentence
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][draws.next(len(schema["enum"]))]
    for combinator in ("anyOf", "oneOf"):
        if isinstance(schema.get(combinator), list) and schema[combinator]:
            return fake_value(schema[combinator][0], draws, sentence)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "integer":
        low, high = int(schema.get("minimum", 1)), int(schema.get("maximum", 100))
        return low + draws.next(high - low + 1)
    if kind == "number":
        low, high = float(schema.get("minimum", 0)), float(schema.get("maximum", 1))
        return round(low + (high - low) * draws.next(101) / 100, 2)
    if kind == "boolean":
        return draws.next(2) == 1
    if kind == "null":
        return None
    if kind == "array":
        low = int(schema.get("minItems", 0))
        high = max(low, min(int(schema.get("maxItems", 3)), low + 3))
        return [fake_value(schema.get("items", {}), draws, sentence) for _ in range(low + draws.next(high - low + 1))]
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        return {
            name: fake_value(sub, draws, sentence)
            for name, sub in properties.items()
            if name in required or draws.next(4) != 0  # an optional property is left out a quarter of the time
        }
    text = sentence if draws.next(2) else _WORDS[draws.next(len(_WORDS))]
    text = text[: int(schema.get("maxLength", len(text)))]
    return text + "x" * max(0, int(schema.get("minLength", 0)) - len(text))


def answer(schema: dict[str, Any], key: str, sentence: str) -> str:
    """A model's answer that fits ``schema``: bare JSON, or JSON in a code fence and a sentence of prose."""
    draws = _Draws(key)
    body = json.dumps(fake_value(schema, draws, sentence))
    style = draws.next(6)
    if style == 1:
        return f"```json\n{body}\n```"
    if style == 2:
        return f"Here is the JSON you asked for:\n\n```json\n{json.dumps(json.loads(body), indent=2)}\n```"
    if style == 3:
        return f"{body}\n\nThe classification follows the requested schema."
    return body


def invalid_answer(schema: dict[str, Any], key: str, sentence: str) -> str:
    """A model's answer that does not fit ``schema``: what a prompt-only instruction sometimes gets."""
    draws = _Draws(f"invalid\x1f{key}")
    value = fake_value(schema, draws, sentence)
    properties = schema.get("properties", {})
    required = [name for name in schema.get("required", []) if name in value]
    enums = [name for name, sub in properties.items() if isinstance(sub, dict) and sub.get("enum") and name in value]
    style = draws.next(4)
    if style == 1 and required:
        del value[required[draws.next(len(required))]]
        return json.dumps(value)
    if style == 2 and enums:
        value[enums[0]] = "unsure"
        return json.dumps(value)
    if style == 3:
        body = json.dumps(value)
        return body[: max(1, len(body) // 2)]
    return f"I would say: {sentence}"


def replace_text(model_output: dict[str, Any], text: str) -> None:
    """Put ``text`` where the family's answer is (Converse and Nova, Anthropic, Llama)."""
    message = model_output.get("output", {}).get("message")
    if isinstance(message, dict) and message.get("content"):
        message["content"][0]["text"] = text
    elif isinstance(model_output.get("content"), list) and model_output["content"]:
        model_output["content"][0]["text"] = text
    elif "generation" in model_output:
        model_output["generation"] = text
