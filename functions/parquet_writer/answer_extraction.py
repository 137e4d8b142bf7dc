"""Where the answer sits in each model family's ``modelOutput``.

The family is recognised from the shape of the output, never from the model id, so a new model of a known family
needs no change here. Two implementations of the same rules live side by side:

* ``extract_columns`` works on a whole Arrow column of ``modelOutput`` structs parsed by ``pyarrow.json`` with
  ``MODEL_OUTPUT_TYPES`` as its explicit schema: the fast path, no Python per record;
* ``extract_one`` works on one ``json.loads`` result: the fallback for files the fast path cannot type (a field
  with an unexpected type, a line longer than a block, a malformed line).

The rules, in order of precedence:

* text: the text blocks of ``output.message.content`` (Converse, Nova), else those of ``content`` (Anthropic),
  else ``generation`` (Meta Llama). A block counts when it has a ``text`` and its ``type`` is absent or "text";
  the blocks are concatenated, so a reasoning or tool-use block before the answer does not hide it;
* embedding: ``embedding`` (Titan Text Embeddings V2), else the first vector of ``embeddings`` (Cohere Embed),
  which is either a list of vectors or ``{"float": [vectors]}`` when ``embedding_types`` was requested;
* input tokens: ``usage.inputTokens``, ``usage.input_tokens``, ``prompt_token_count``, ``inputTextTokenCount``;
* output tokens: ``usage.outputTokens``, ``usage.output_tokens``, ``generation_token_count``;
* stop reason: ``stopReason``, ``stop_reason``.

An output with neither a text nor an embedding is "unrecognised model output".
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc

EMBEDDING_TYPE = pa.list_(pa.float32())

_TEXT_BLOCKS = pa.list_(pa.struct([("text", pa.string()), ("type", pa.string())]))
_TOKEN_USAGE = pa.struct(
    [
        ("inputTokens", pa.int64()),
        ("outputTokens", pa.int64()),
        ("input_tokens", pa.int64()),
        ("output_tokens", pa.int64()),
    ]
)
_COMMON_FIELDS = [
    ("output", pa.struct([("message", pa.struct([("content", _TEXT_BLOCKS)]))])),
    ("content", _TEXT_BLOCKS),
    ("generation", pa.string()),
    ("usage", _TOKEN_USAGE),
    ("prompt_token_count", pa.int64()),
    ("generation_token_count", pa.int64()),
    ("stopReason", pa.string()),
    ("stop_reason", pa.string()),
    ("embedding", EMBEDDING_TYPE),
    ("inputTextTokenCount", pa.int64()),
]
_COHERE_VECTORS = pa.list_(EMBEDDING_TYPE)

# Explicit pyarrow.json schemas for modelOutput, tried in order. Cohere's ``embeddings`` has two shapes that one
# Arrow type cannot hold, hence two variants; every other family shares the same fields.
MODEL_OUTPUT_TYPES: tuple[pa.StructType, ...] = (
    pa.struct([*_COMMON_FIELDS, ("embeddings", _COHERE_VECTORS)]),
    pa.struct([*_COMMON_FIELDS, ("embeddings", pa.struct([("float", _COHERE_VECTORS)]))]),
)


class Answer(NamedTuple):
    response: str | None
    embedding: list[float] | None
    input_tokens: int | None
    output_tokens: int | None
    stop_reason: str | None


# ---------------------------------------------------------------------------------------------- one record (fallback)


def extract_one(model_output: Any) -> Answer | None:
    """The answer of one parsed ``modelOutput``, or None when its shape is not one we know."""
    if not isinstance(model_output, dict):
        return None
    response = _first_text(model_output)
    embedding = None if response is not None else _first_embedding(model_output)
    if response is None and embedding is None:
        return None
    usage = model_output.get("usage")
    usage = usage if isinstance(usage, dict) else {}
    return Answer(
        response=response,
        embedding=embedding,
        input_tokens=_first_int(
            usage.get("inputTokens"),
            usage.get("input_tokens"),
            model_output.get("prompt_token_count"),
            model_output.get("inputTextTokenCount"),
        ),
        output_tokens=_first_int(
            usage.get("outputTokens"), usage.get("output_tokens"), model_output.get("generation_token_count")
        ),
        stop_reason=_first_str(model_output.get("stopReason"), model_output.get("stop_reason")),
    )


def _first_text(model_output: dict) -> str | None:
    output = model_output.get("output")
    message = output.get("message") if isinstance(output, dict) else None
    converse_blocks = message.get("content") if isinstance(message, dict) else None
    for blocks in (converse_blocks, model_output.get("content")):
        if isinstance(blocks, list):
            return "".join(
                block["text"]
                for block in blocks
                if isinstance(block, dict)
                and isinstance(block.get("text"), str)
                and block.get("type") in (None, "text")
            )
    generation = model_output.get("generation")
    return generation if isinstance(generation, str) else None


def _first_embedding(model_output: dict) -> list[float] | None:
    if _is_vector(vector := model_output.get("embedding")):
        return vector
    vectors = model_output.get("embeddings")
    if isinstance(vectors, dict):
        vectors = vectors.get("float")
    if isinstance(vectors, list) and vectors and _is_vector(vectors[0]):
        return vectors[0]
    return None


def _is_vector(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(x, int | float) and not isinstance(x, bool) for x in value)


def _first_int(*values: Any) -> int | None:
    return next((v for v in values if isinstance(v, int) and not isinstance(v, bool)), None)


def _first_str(*values: Any) -> str | None:
    return next((v for v in values if isinstance(v, str)), None)


# ------------------------------------------------------------------------------------------ a whole column (fast path)


def extract_columns(model_outputs: pa.StructArray) -> dict[str, pa.Array]:
    """The answers of a column of ``modelOutput`` structs typed by one of ``MODEL_OUTPUT_TYPES``.

    Returns equal-length arrays ``response``, ``embedding``, ``input_tokens``, ``output_tokens``, ``stop_reason``;
    a row whose output is unrecognised (or absent) has a null ``response`` and a null ``embedding``.
    """

    def field(*path: str) -> pa.Array:
        return pc.struct_field(model_outputs, list(path))

    response = _coalesce(
        _join_text_blocks(field("output", "message", "content")),
        _join_text_blocks(field("content")),
        field("generation"),
    )
    cohere = field("embeddings")
    if pa.types.is_struct(cohere.type):
        cohere = pc.struct_field(cohere, ["float"])
    embedding = pc.if_else(pc.is_null(response), _coalesce(field("embedding"), _first_item(cohere)), None)
    return {
        "response": response,
        "embedding": embedding,
        "input_tokens": _coalesce(
            field("usage", "inputTokens"),
            field("usage", "input_tokens"),
            field("prompt_token_count"),
            field("inputTextTokenCount"),
        ),
        "output_tokens": _coalesce(
            field("usage", "outputTokens"), field("usage", "output_tokens"), field("generation_token_count")
        ),
        "stop_reason": _coalesce(field("stopReason"), field("stop_reason")),
    }


def _coalesce(*columns: pa.Array) -> pa.Array:
    """``pc.coalesce`` of ``columns`` (of one type), leaving out those that are null in every row: a file's outputs
    share one family, so all but one candidate usually are, and the one left is then the result as it is (no copy)."""
    present = [column for column in columns if column.null_count < len(column)]
    if len(present) == 1:
        return present[0]
    return pc.coalesce(*(present or columns))


def _join_text_blocks(blocks: pa.ListArray) -> pa.Array:
    """Per row, the concatenated text of its text blocks; null where the row has no block list."""
    offsets = blocks.offsets
    start = offsets[0].as_py()
    items = blocks.values.slice(start, offsets[-1].as_py() - start)
    text = pc.struct_field(items, ["text"])
    kind = pc.struct_field(items, ["type"])
    keep = pc.fill_null(pc.and_(pc.is_valid(text), pc.or_kleene(pc.is_null(kind), pc.equal(kind, "text"))), False)
    kept_before = pa.concat_arrays([pa.array([0], pa.int64()), pc.cumulative_sum(pc.cast(keep, pa.int64()))])
    new_offsets = pc.cast(pc.take(kept_before, pc.subtract(offsets, start)), pa.int32())
    kept_text = pa.ListArray.from_arrays(new_offsets, text.filter(keep), mask=pc.is_null(blocks))
    return pc.binary_join(kept_text, "")


def _first_item(lists: pa.ListArray) -> pa.Array:
    """Per row, the first element of its list; null where the list is null or empty."""
    has_item = pc.fill_null(pc.greater(pc.list_value_length(lists), 0), False)
    starts = pc.if_else(has_item, lists.offsets.slice(0, len(lists)), None)
    return pc.take(lists.values, starts)
