"""Model backends of the Bedrock batch simulator."""

from __future__ import annotations

import math

import pytest

from bedrock_batch.offline.bedrock import DeterministicBackend, MiniLMBackend, ModelBackend, count_tokens


def test_deterministic_backend_answers_in_a_sentence_about_the_prompt():
    """Same prompt, same answer; the answer mentions prompt words and respects max_tokens (like maxTokens in the
    Bedrock inference parameters, which truncates with stopReason max_tokens)."""
    backend = DeterministicBackend(seed=1)
    assert isinstance(backend, ModelBackend)
    text, tokens = backend.generate("Explain how glaciers carve valleys over millennia", 200)
    assert (text, tokens) == backend.generate("Explain how glaciers carve valleys over millennia", 200)
    assert text.endswith(".") and any(w in text for w in ("glaciers", "carve", "valleys", "millennia"))
    assert tokens == count_tokens(text)
    short, short_tokens = backend.generate("Explain how glaciers carve valleys over millennia", 3)
    assert short_tokens <= 3 and text.startswith(short)


def test_deterministic_embeddings_are_seeded_unit_vectors():
    """Titan Text Embeddings V2 parameters: dimensions and normalize; equal texts give equal vectors."""
    backend = DeterministicBackend()
    a, b, a2 = backend.embed(["alpha", "beta", "alpha"], 512, True)
    assert a == a2 and a != b and len(a) == 512
    assert math.isclose(sum(x * x for x in a), 1.0, rel_tol=1e-9)
    assert abs(sum(x * y for x, y in zip(a, b, strict=True))) < 0.2  # unrelated texts are nearly orthogonal
    [raw] = backend.embed(["alpha"], 512, False)
    assert not math.isclose(sum(x * x for x in raw), 1.0, rel_tol=1e-3)


@pytest.mark.model
def test_minilm_backend_pads_384_dimensions_to_the_request():
    """all-MiniLM-L6-v2 yields 384-dim vectors; Titan V2 asks for 256/512/1024: padded or truncated, unit length."""
    backend = MiniLMBackend()
    close, far = (
        backend.embed(["a cat sits on the mat", "a kitten on a rug"], 1024, True),
        backend.embed(["quarterly tax filing deadline"], 1024, True),
    )
    assert len(close[0]) == 1024 and all(v == 0.0 for v in close[0][384:])
    similar = sum(x * y for x, y in zip(close[0], close[1], strict=True))
    unrelated = sum(x * y for x, y in zip(close[0], far[0], strict=True))
    assert similar > unrelated
    [short] = backend.embed(["a cat"], 256, True)
    assert len(short) == 256 and math.isclose(sum(x * x for x in short), 1.0, rel_tol=1e-6)
