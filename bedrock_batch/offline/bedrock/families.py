"""Model families: from a model id to the native response body Bedrock writes as ``modelOutput``.

Bedrock batch output carries, per record, exactly the body the model would return to ``InvokeModel`` (or, for
``modelInvocationType: Converse``, the Converse response). Each family here checks the request shape the way the
model would (a bad body is a per-record 400 error, not a job failure: Bedrock's validation "doesn't check if the
modelInput value matches the request body for the model") and builds the response from a ``ModelBackend``.

A model id the simulator does not know gives ``None`` from ``family_for``; the simulator turns every record of such a
job into an error line rather than failing the job, so a pipeline still sees a Completed job with errors to report.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from . import structured
from .backends import ModelBackend, count_tokens, truncate_to_tokens
from .catalog import catalogue

DEFAULT_MAX_TOKENS = 512
_GEO_PREFIXES = ("us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au.", "ca.")


class RecordError(Exception):
    """A record that the model (or the batch service) answers with an ``error`` line instead of ``modelOutput``."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Invocation(NamedTuple):
    """A model's answer: the response body, and the tokens it counted in and out. (A named tuple: made in half the
    time of a frozen dataclass, whose fields are set one ``object.__setattr__`` at a time, once per record.)"""

    output: dict[str, Any]
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True)
class Family:
    """A response format. ``invoke(model_id, model_input, backend, key)``; ``key`` makes ids deterministic."""

    name: str
    invoke: Callable[[str, dict[str, Any], ModelBackend, str], Invocation]


def base_model_id(model_id: str) -> str:
    """``arn:...:inference-profile/us.anthropic.claude-x`` -> ``anthropic.claude-x``: no ARN, no geo prefix."""
    model = model_id.rsplit("/", 1)[-1] if model_id.startswith("arn:") else model_id
    for prefix in _GEO_PREFIXES:
        if model.startswith(prefix):
            return model[len(prefix) :]
    return model


def _short_hash(key: str, length: int, alphabet: str = "abcdefghijklmnopqrstuvwxyz0123456789") -> str:
    """``length`` characters of ``alphabet`` (ASCII), the ``i``-th picked by byte ``i`` of the key's SHA-256 (modulo
    the alphabet's length)."""
    return hashlib.sha256(key.encode("utf-8")).digest()[:length].translate(_byte_table(alphabet)).decode("ascii")


@functools.cache
def _byte_table(alphabet: str) -> bytes:
    """The table ``bytes.translate`` maps each byte value ``b`` with to ``alphabet[b % len(alphabet)]``: one C call
    for every byte of a digest, where picking the characters one by one in Python took five times as long (a
    message id of 24 characters a record)."""
    return bytes(alphabet.encode("ascii")[b % len(alphabet)] for b in range(256))


def _need(condition: bool, message: str) -> None:
    """A 400 with ``message`` unless ``condition``. A message that names its field is formatted only when the
    check fails (``if not ...: raise RecordError(400, f"...")``): formatted for every record, those messages took
    a fifth of the time to check a Claude request."""
    if not condition:
        raise RecordError(400, message)


def _max_tokens(value: Any, field: str, default: int | None = DEFAULT_MAX_TOKENS) -> int:
    if value is None and default is not None:
        return default
    if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
        raise RecordError(400, f"{field}: must be an integer >= 1")
    return int(value)


def _blocks_text(content: Any, index: int, typed: bool) -> str:
    """Text of a message's content: a list of blocks (``{"text"}``, or ``{"type": "text", "text"}`` if ``typed``).

    Non-text blocks (images, documents, video) are accepted and contribute no text. ``index``: the message's, named
    in an error as ``messages.<index>``, formatted only then (as ``_need``'s messages are).
    """
    if typed and isinstance(content, str):
        return content
    if not (isinstance(content, list) and len(content) > 0):
        raise RecordError(400, f"messages.{index}: content must be a non-empty list of blocks")
    parts = []
    for block in content:
        if not isinstance(block, dict):
            raise RecordError(400, f"messages.{index}: each content block must be an object")
        if typed:
            if "type" not in block:
                raise RecordError(400, f"messages.{index}: content block is missing 'type'")
            if block["type"] == "text":
                if not isinstance(block.get("text"), str):
                    raise RecordError(400, f"messages.{index}: text block is missing 'text'")
                parts.append(block["text"])
        elif "text" in block:
            if not isinstance(block["text"], str):
                raise RecordError(400, f"messages.{index}: 'text' must be a string")
            parts.append(block["text"])
    return "\n".join(parts)


def _messages(body: dict[str, Any], typed: bool) -> tuple[str, str]:
    """Check a Messages-style conversation; return (all text, for input tokens) and (last user text, the prompt)."""
    messages = body.get("messages")
    _need(isinstance(messages, list) and len(messages) > 0, "messages: Field required (a non-empty list)")
    _need(
        isinstance(messages[0], dict) and messages[0].get("role") == "user",
        "messages: the first message must be from 'user'",
    )
    texts, prompt = [], ""
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise RecordError(400, f"messages.{i}: must be an object")
        if message.get("role") not in ("user", "assistant"):
            raise RecordError(400, f"messages.{i}.role: must be 'user' or 'assistant'")
        text = _blocks_text(message.get("content"), i, typed)
        texts.append(text)
        if message["role"] == "user":
            prompt = text
    system = body.get("system")
    if isinstance(system, str):
        texts.insert(0, system)
    elif system is not None:
        _need(isinstance(system, list), "system: must be a list of blocks")
        texts.insert(0, "\n".join([b.get("text", "") for b in system if isinstance(b, dict)]))
    return "\n".join(texts), prompt


def _generate(backend: ModelBackend, all_text: str, prompt: str, limit: int) -> tuple[str, int]:
    """The answer text: JSON fitting the schema when the prompt asks for one (see ``structured``), else free text."""
    text, out = backend.generate(prompt, limit)
    schema = structured.requested_schema(all_text)
    if schema is None:
        return text, out
    text = truncate_to_tokens(structured.answer(schema, prompt, text), limit)
    return text, count_tokens(text)


def _stop(output_tokens: int, max_tokens: int, stopped: str, truncated: str) -> str:
    return truncated if output_tokens >= max_tokens else stopped


# -- text families ---------------------------------------------------------------------------------


def _converse(model_id: str, body: dict[str, Any], backend: ModelBackend, key: str) -> Invocation:
    all_text, prompt = _messages(body, typed=False)
    config = body.get("inferenceConfig") or {}
    _need(isinstance(config, dict), "inferenceConfig: must be an object")
    limit = _max_tokens(config.get("maxTokens"), "inferenceConfig.maxTokens")
    text, out = _generate(backend, all_text, prompt, limit)
    inp = count_tokens(all_text)
    return Invocation(
        {
            "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
            "stopReason": _stop(out, limit, "end_turn", "max_tokens"),
            "usage": {"inputTokens": inp, "outputTokens": out, "totalTokens": inp + out},
            "metrics": {"latencyMs": 200 + int.from_bytes(hashlib.sha256(key.encode()).digest()[:2], "big") % 800},
        },
        inp,
        out,
    )


def _claude(model_id: str, body: dict[str, Any], backend: ModelBackend, key: str) -> Invocation:
    _need(isinstance(body.get("anthropic_version"), str), "anthropic_version: Field required")
    limit = _max_tokens(body.get("max_tokens"), "max_tokens", default=None)
    all_text, prompt = _messages(body, typed=True)
    text, out = _generate(backend, all_text, prompt, limit)
    inp = count_tokens(all_text)
    return Invocation(
        {
            "id": "msg_bdrk_" + _short_hash(key, 24, "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789"),
            "type": "message",
            "role": "assistant",
            "model": _claude_model_name(model_id),
            "content": [{"type": "text", "text": text}],
            "stop_reason": _stop(out, limit, "end_turn", "max_tokens"),
            "stop_sequence": None,
            "usage": {"input_tokens": inp, "output_tokens": out},
        },
        inp,
        out,
    )


@functools.lru_cache(maxsize=256)
def _claude_model_name(model_id: str) -> str:
    """The ``model`` a Claude body names: the model id without ARN, geo prefix, provider or version (the same for
    every record of a job, so worked out once per model id)."""
    return re.sub(r"-v\d+(:\d+)?$", "", base_model_id(model_id).removeprefix("anthropic."))


def _nova(model_id: str, body: dict[str, Any], backend: ModelBackend, key: str) -> Invocation:
    all_text, prompt = _messages(body, typed=False)
    config = body.get("inferenceConfig") or {}
    _need(isinstance(config, dict), "inferenceConfig: must be an object")
    limit = _max_tokens(config.get("maxTokens", config.get("max_new_tokens")), "inferenceConfig.maxTokens")
    text, out = _generate(backend, all_text, prompt, limit)
    inp = count_tokens(all_text)
    return Invocation(
        {
            "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
            "stopReason": _stop(out, limit, "end_turn", "max_tokens"),
            "usage": {
                "inputTokens": inp,
                "outputTokens": out,
                "totalTokens": inp + out,
                "cacheReadInputTokenCount": 0,
                "cacheWriteInputTokenCount": 0,
            },
        },
        inp,
        out,
    )


def _llama(model_id: str, body: dict[str, Any], backend: ModelBackend, key: str) -> Invocation:
    prompt = body.get("prompt")
    _need(isinstance(prompt, str) and prompt != "", "Malformed input request: required key [prompt] not found")
    limit = _max_tokens(body.get("max_gen_len"), "max_gen_len")
    text, out = _generate(backend, prompt, prompt, limit)
    inp = count_tokens(prompt)
    return Invocation(
        {
            "generation": text,
            "prompt_token_count": inp,
            "generation_token_count": out,
            "stop_reason": _stop(out, limit, "stop", "length"),
        },
        inp,
        out,
    )


# -- embedding families ----------------------------------------------------------------------------


def _titan_embed_v2(model_id: str, body: dict[str, Any], backend: ModelBackend, key: str) -> Invocation:
    text = body.get("inputText")
    _need(
        isinstance(text, str) and text != "",
        "Malformed input request: #: required key [inputText] not found, please reformat your input and try again.",
    )
    dimensions = body.get("dimensions", 1024)
    _need(dimensions in (256, 512, 1024), "Malformed input request: #/dimensions: must be one of 256, 512, 1024")
    normalize = body.get("normalize", True)
    _need(isinstance(normalize, bool), "Malformed input request: #/normalize: expected type: Boolean")
    [vector] = backend.embed([text], dimensions, normalize)
    tokens = count_tokens(text)
    return Invocation({"embedding": vector, "inputTextTokenCount": tokens}, tokens, 0)


_COHERE_INPUT_TYPES = ("search_document", "search_query", "classification", "clustering")
_COHERE_INPUT_TYPE_MESSAGE = f"input_type: must be one of {', '.join(_COHERE_INPUT_TYPES)}"


def _cohere_embed(model_id: str, body: dict[str, Any], backend: ModelBackend, key: str) -> Invocation:
    texts = body.get("texts")
    _need(
        isinstance(texts, list) and 0 < len(texts) <= 96 and all(isinstance(t, str) for t in texts),
        "texts: must be a list of 1 to 96 strings",
    )
    _need(body.get("input_type") in _COHERE_INPUT_TYPES, _COHERE_INPUT_TYPE_MESSAGE)
    _need(body.get("truncate", "NONE") in ("NONE", "START", "END"), "truncate: must be NONE, START or END")
    v4 = "embed-v4" in base_model_id(model_id)
    dimensions = body.get("output_dimension", 1536) if v4 else 1024
    _need(dimensions in (256, 512, 1024, 1536), "output_dimension: must be 256, 512, 1024 or 1536")
    vectors = backend.embed(list(texts), dimensions, True)
    types = body.get("embedding_types")
    output: dict[str, Any] = {"id": _uuid_like(key), "texts": texts}
    if types is None:
        output.update(embeddings=vectors, response_type="embeddings_floats")
    else:
        _need(isinstance(types, list) and set(types) <= {"float", "int8"}, "embedding_types: supported are float, int8")
        by_type: dict[str, Any] = {}
        for kind in types:
            by_type[kind] = vectors if kind == "float" else [[round(v * 127) for v in vec] for vec in vectors]
        output.update(embeddings=by_type, response_type="embeddings_by_type")
    return Invocation(output, sum(count_tokens(t) for t in texts), 0)


def _uuid_like(key: str) -> str:
    h = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


CONVERSE = Family("converse", _converse)
ANTHROPIC_CLAUDE = Family("anthropic-claude", _claude)
AMAZON_NOVA = Family("amazon-nova", _nova)
META_LLAMA = Family("meta-llama", _llama)
TITAN_EMBED_TEXT_V2 = Family("titan-embed-text-v2", _titan_embed_v2)
COHERE_EMBED = Family("cohere-embed", _cohere_embed)
FAMILIES = (CONVERSE, ANTHROPIC_CLAUDE, AMAZON_NOVA, META_LLAMA, TITAN_EMBED_TEXT_V2, COHERE_EMBED)


def family_for(model_id: str, invocation_type: str | None = "InvokeModel") -> Family | None:
    """The response format for a model id (plain, geo inference profile ``us.``/``eu.``/``apac.``/``global.``, or ARN).

    A model in the catalogue (``models.json``) answers in the family it names there (Converse: any text model).

    With ``Converse`` every text model answers in the Converse format; embedding models have no Converse form. An
    application-inference-profile ARN hides the model, so only Converse can be simulated for it. ``None`` means the
    simulator has no response format for it: its records become error lines.
    """
    model = base_model_id(model_id)
    known = catalogue().models.get(model)
    if known is not None:  # models.json names the format; the rules below cover ids it does not list
        if invocation_type == "Converse":
            return CONVERSE if "TEXT" in known.output else None
        return next((family for family in FAMILIES if family.name == known.family), None)
    embedding = "embed" in model
    if invocation_type == "Converse":
        return None if embedding else CONVERSE
    if model.startswith("anthropic.claude"):
        return ANTHROPIC_CLAUDE
    if model.startswith("amazon.nova") and not embedding:
        return AMAZON_NOVA
    if model.startswith("meta.llama"):
        return META_LLAMA
    if model.startswith("amazon.titan-embed-text-v2"):
        return TITAN_EMBED_TEXT_V2
    if model.startswith("cohere.embed"):
        return COHERE_EMBED
    return None
