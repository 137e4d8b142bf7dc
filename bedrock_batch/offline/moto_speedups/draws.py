"""moto's random identifiers drawn from its seeded generator in one call each, not a call per character; same draws.

moto makes its identifiers one character at a time with ``random.choice`` (``MotoRandom.get_random_string``: every
JSON response's 52-character request id; ``get_random_hex``; SQS's 185-letter receipt handles): three Python calls
a character, a tenth of an SQS ReceiveMessage and a few per cent of every other call. ``choice`` of a pool of n
characters draws ``getrandbits(k)``, k the bit length of n, until it is below n (``Random._randbelow``); a draw of
k <= 32 bits is the top k bits of one 32-bit output of the Mersenne Twister. Here the outputs are drawn in one
``getrandbits(32 * m)`` call, output i in bits 32i to 32i + 31 (m outputs, as many as characters still wanted: each
gives at most one, so none is drawn that moto would not draw), and the top k bits of each are turned into the
character or dropped, as ``choice`` keeps or draws again: the same outputs, the same characters, the generator left
where moto leaves it. A method is replaced only if, from a few seeds, it gives moto's own strings and leaves the
generator in moto's own state (checked when patching): another Python's ``choice`` keeps moto's code.
"""

from __future__ import annotations

import functools
import inspect
import string
from typing import Any

from .patching import set_attribute as _set

_SEEDS = (0, 1, 7, 2**40 + 3)


@functools.lru_cache(maxsize=16)
def _table(pool: str) -> tuple[bytes, bytes]:
    """For the top byte of an output: the character ``choice`` keeps (its top k bits index ``pool``) and the bytes
    whose index is past the pool (drawn again)."""
    shift = 8 - len(pool).bit_length()
    keep = bytes(ord(pool[b >> shift]) if b >> shift < len(pool) else 0 for b in range(256))
    again = bytes(b for b in range(256) if b >> shift >= len(pool))
    return keep, again


def choices(rng: Any, pool: str, length: int) -> str:
    """``"".join(rng.choice(pool) for _ in range(length))`` from the same outputs of ``rng`` (a ``random.Random``);
    ``pool``: 1 to 255 ASCII characters."""
    keep, again = _table(pool)
    drawn = b""
    while (wanted := length - len(drawn)) > 0:
        outputs = rng.getrandbits(32 * wanted).to_bytes(4 * wanted, "little")  # output i: bytes 4i to 4i + 3
        drawn += outputs[3::4].translate(keep, again)
    return drawn.decode("ascii")


def same_draws(make_rng: Any, own: Any, ours: Any, calls: list[tuple[Any, ...]]) -> bool:
    """Whether ``ours(rng, *args)`` answers ``own(rng, *args)`` for each of ``calls`` in turn, from a few seeds, and
    leaves the generator in the same state."""
    for seed in _SEEDS:
        theirs, mine = make_rng(seed), make_rng(seed)
        for args in calls:
            if own(theirs, *args) != ours(mine, *args):
                return False
        if theirs.getstate() != mine.getstate():
            return False
    return True


def patch(motorandom_cls: Any) -> None:
    """``MotoRandom.get_random_string`` and ``get_random_hex`` drawing in one call (module docstring)."""
    own_string, own_hex = (motorandom_cls.__dict__.get(n) for n in ("get_random_string", "get_random_hex"))
    if own_string is None or own_hex is None:
        return
    letters, digits = string.ascii_letters, string.ascii_letters + string.digits
    if list(inspect.signature(own_string).parameters) == ["self", "length", "include_digits", "lower_case"]:
        def get_random_string(self: Any, length: int = 20, include_digits: bool = True,
                              lower_case: bool = False) -> str:
            drawn = choices(self, digits if include_digits else letters, length)
            return drawn.lower() if lower_case else drawn

        calls = [(), (52,), (5, False), (12, True, True), (0,), (300, False, True), (1,)]
        if same_draws(motorandom_cls, own_string, get_random_string, calls):
            _set(motorandom_cls, "get_random_string", get_random_string)
    if list(inspect.signature(own_hex).parameters) == ["self", "length"]:
        def get_random_hex(self: Any, length: int = 8) -> str:
            return choices(self, "0123456789abcdef", length)

        if same_draws(motorandom_cls, own_hex, get_random_hex, [(), (32,), (0,), (1,), (200,)]):
            _set(motorandom_cls, "get_random_hex", get_random_hex)
