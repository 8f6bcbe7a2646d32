"""NumPy's default random stream, reproduced bit for bit in pure Python.

``numpy.random.default_rng(seed)`` seeds a PCG64 generator (XSL-RR 128/64)
through ``SeedSequence``; ``Generator.integers(0, n)`` maps its output to
``[0, n)`` with Lemire's multiply-and-reject method.  The published bootstrap
intervals were computed that way, so a verifier that wants to match them to
the last bit has to draw exactly the same indices.  This module does, without
NumPy:

* :class:`SeedSequence` turns an integer seed into state words;
* :class:`PCG64` is the generator: raw 64-bit and buffered 32-bit outputs,
  jump-ahead, and ``Generator.integers``-compatible bounded integers;
* :func:`default_rng` is the ``numpy.random.default_rng`` entry point.

>>> rng = default_rng(42)
>>> rng.integers(1000, 8)
[89, 773, 654, 438, 433, 858, 85, 697]
>>> rng.integers(1, 3)          # one choice only: no randomness is used
[0, 0, 0]

Bulk draws (:meth:`PCG64.lemire_words`) step thousands of generator states at
once, packed side by side in one big integer, so that a bootstrap with
millions of draws stays fast in pure Python.
"""

from __future__ import annotations

import sys
from array import array
from functools import lru_cache
from typing import NamedTuple

__all__ = ["SeedSequence", "PCG64", "default_rng"]

_MASK32 = (1 << 32) - 1
_MASK64 = (1 << 64) - 1
_MASK128 = (1 << 128) - 1

# SeedSequence constants (numpy/random/bit_generator.pyx).
_INIT_A = 0x43B0D7E5
_MULT_A = 0x931E8875
_INIT_B = 0x8B51F9DD
_MULT_B = 0x58F38DED
_MIX_MULT_L = 0xCA01F9DD
_MIX_MULT_R = 0x4973F715
_XSHIFT = 16
_POOL_SIZE = 4

# The 128-bit LCG multiplier of PCG64.
_PCG_MULT = 0x2360ED051FC65DA44385DF649FCCF645

# Bulk draws below this many words are done one at a time: setting up the
# packed lanes costs more than it saves.
_BULK_MIN_WORDS = 64
# Outputs computed together in one packed big integer.  Around 4000 lanes the
# operands (about 34 KiB) still sit in the CPU cache; larger is slower.  Of
# the counts near there, 4338 makes both 64-bit halves of the jump multiplier
# MULT**4338 smaller than 2**60: Python then multiplies by each of them with
# two 30-bit digits instead of three, which makes the LCG step a third cheaper.
_MAX_LANES = 4338


class SeedSequence:
    """NumPy's ``SeedSequence(seed)`` for a non-negative integer seed.

    The seed is split into 32-bit words (least significant first), hashed
    into a pool of four words, and :meth:`generate_state_uint64` derives the
    generator's state from the pool.

    >>> [hex(w) for w in SeedSequence(42).generate_state_uint64()]
    ['0x9f1e2e6dcd540ab7', '0xd57873dc79fb94b6', '0x7d282a1b64d420b7', '0x336579714692d5ff']
    >>> SeedSequence(-1)
    Traceback (most recent call last):
      ...
    ValueError: seed must be a non-negative integer, got -1
    """

    def __init__(self, seed: int) -> None:
        seed = _as_seed(seed)
        words = []
        while True:
            words.append(seed & _MASK32)
            seed >>= 32
            if not seed:
                break
        self.entropy_words = tuple(words)
        self.pool = tuple(_mix_entropy(words))

    def generate_state_uint32(self, n_words: int) -> list[int]:
        """Return ``n_words`` 32-bit state words (``generate_state(n, uint32)``)."""
        out = []
        hash_const = _INIT_B
        for i in range(n_words):
            value = self.pool[i % _POOL_SIZE] ^ hash_const
            hash_const = (hash_const * _MULT_B) & _MASK32
            value = (value * hash_const) & _MASK32
            out.append(value ^ (value >> _XSHIFT))
        return out

    def generate_state_uint64(self, n_words: int = 4) -> list[int]:
        """Return ``n_words`` 64-bit state words (``generate_state(n, uint64)``).

        Each is two consecutive 32-bit words, the first one low.
        """
        halves = self.generate_state_uint32(2 * n_words)
        return [halves[2 * i] | (halves[2 * i + 1] << 32) for i in range(n_words)]


def _as_seed(seed) -> int:
    try:
        value = seed.__index__()
    except AttributeError:
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}") from None
    if value < 0:
        raise ValueError(f"seed must be a non-negative integer, got {value}")
    return value


def _mix_entropy(entropy: list[int]) -> list[int]:
    # One running hash constant is shared by every hashmix call, in order.
    hash_const = _INIT_A

    def hashmix(value: int) -> int:
        nonlocal hash_const
        value ^= hash_const
        hash_const = (hash_const * _MULT_A) & _MASK32
        value = (value * hash_const) & _MASK32
        return value ^ (value >> _XSHIFT)

    def mix(x: int, y: int) -> int:
        result = (_MIX_MULT_L * x - _MIX_MULT_R * y) & _MASK32
        return result ^ (result >> _XSHIFT)

    pool = [hashmix(entropy[i] if i < len(entropy) else 0) for i in range(_POOL_SIZE)]
    for src in range(_POOL_SIZE):
        for dst in range(_POOL_SIZE):
            if src != dst:
                pool[dst] = mix(pool[dst], hashmix(pool[src]))
    for word in entropy[_POOL_SIZE:]:
        for dst in range(_POOL_SIZE):
            pool[dst] = mix(pool[dst], hashmix(word))
    return pool


def _lcg_jump(steps: int, inc: int) -> tuple[int, int]:
    """``(A, C)`` such that ``steps`` LCG steps map ``state`` to ``A*state + C``.

    Brown's arbitrary-stride method: ``MULT - 1`` is even, so the geometric
    series cannot be summed by division modulo 2**128.
    """
    acc_mult, acc_plus = 1, 0
    cur_mult, cur_plus = _PCG_MULT, inc
    while steps > 0:
        if steps & 1:
            acc_mult = (acc_mult * cur_mult) & _MASK128
            acc_plus = (acc_plus * cur_mult + cur_plus) & _MASK128
        cur_plus = ((cur_mult + 1) * cur_plus) & _MASK128
        cur_mult = (cur_mult * cur_mult) & _MASK128
        steps >>= 1
    return acc_mult, acc_plus


def _output(state: int) -> int:
    """XSL-RR: fold the 128-bit state to 64 bits, rotate by its top 6 bits."""
    high = state >> 64
    folded = high ^ (state & _MASK64)
    rot = high >> 58
    return ((folded >> rot) | (folded << (64 - rot))) & _MASK64


class PCG64:
    """NumPy's PCG64 bit generator, seeded like ``numpy.random.default_rng``.

    ``state`` and ``inc`` are the 128-bit LCG state and increment
    (``bit_generator.state['state']`` in NumPy).  32-bit draws take the low
    half of a 64-bit output first and keep the high half for the next call,
    as NumPy does; that spare half survives between calls.

    >>> rng = PCG64(42)
    >>> hex(rng.next_uint64())
    '0xc621fbcd16d92688'
    >>> rng.next_uint32(), rng.next_uint32()
    (2811363265, 1884968545)
    """

    def __init__(self, seed: int) -> None:
        words = SeedSequence(seed).generate_state_uint64(4)
        initstate = (words[0] << 64) | words[1]
        initseq = (words[2] << 64) | words[3]
        self._inc = ((initseq << 1) | 1) & _MASK128
        self._state = 0
        self._step()
        self._state = (self._state + initstate) & _MASK128
        self._step()
        self._spare_half: int | None = None

    @property
    def state(self) -> int:
        """The 128-bit LCG state (NumPy's ``bit_generator.state['state']['state']``)."""
        return self._state

    @property
    def inc(self) -> int:
        """The odd 128-bit LCG increment."""
        return self._inc

    def _step(self) -> None:
        self._state = (self._state * _PCG_MULT + self._inc) & _MASK128

    def next_uint64(self) -> int:
        """Return the next 64-bit output.  The spare 32-bit half is untouched."""
        self._step()
        return _output(self._state)

    def next_uint32(self) -> int:
        """Return the next 32-bit value: a buffered high half, else a new low half."""
        if self._spare_half is not None:
            value, self._spare_half = self._spare_half, None
            return value
        value = self.next_uint64()
        self._spare_half = value >> 32
        return value & _MASK32

    def advance(self, delta: int) -> None:
        """Jump ahead ``delta`` 64-bit outputs (mod 2**128) and drop the spare half.

        Same as NumPy's ``PCG64.advance``:

        >>> a, b = PCG64(42), PCG64(42)
        >>> _ = a.next_uint64(); b.advance(1)
        >>> a.next_uint64() == b.next_uint64()
        True
        """
        mult, plus = _lcg_jump(delta % (1 << 128), self._inc)
        self._state = (mult * self._state + plus) & _MASK128
        self._spare_half = None

    def bounded(self, n: int) -> int:
        """One draw of ``Generator.integers(0, n)``: uniform on ``[0, n)``.

        >>> rng = PCG64(42)
        >>> [rng.bounded(4) for _ in range(8)]
        [0, 3, 2, 1, 1, 3, 0, 2]
        >>> rng.bounded(1)
        0
        """
        return self.integers(n, 1)[0]

    def integers(self, n: int, size: int) -> list[int]:
        """``Generator.integers(0, n, size=size)`` (int64 output) as a list.

        ``n == 1`` returns zeros and uses no randomness.  Up to ``n == 2**32``
        each value comes from one 32-bit word (Lemire's method; a rejected
        word is skipped, and ``n == 2**32`` returns the words themselves);
        larger ``n`` uses whole 64-bit outputs the same way.

        >>> PCG64(42).integers(3, 5)
        [0, 2, 1, 1, 1]
        >>> PCG64(42).integers(2**31 + 11, 3)    # half the words are rejected
        [191664964, 1405681639, 929893142]
        >>> PCG64(42).integers(5, 0)
        []
        """
        n = _as_bound(n)
        if size < 0:
            raise ValueError(f"size must be >= 0, got {size}")
        if n == 1 or size == 0:
            return [0] * size
        if n <= 1 << 32:
            pieces = []
            needed = size
            while needed:
                kept, needed = self.lemire_words(n, needed)
                pieces.append(kept)
            return _uint32_values(b"".join(pieces))
        return [self._bounded64(n) for _ in range(size)]

    def _bounded64(self, n: int) -> int:
        if n == 1 << 64:
            return self.next_uint64()
        threshold = ((1 << 64) - n) % n
        while True:
            product = self.next_uint64() * n
            if (product & _MASK64) >= threshold:
                return product >> 64

    def lemire_words(self, n: int, count: int) -> tuple[bytes, int]:
        """Consume the next ``count`` 32-bit words; return the indices they give.

        For ``2 <= n <= 2**32``.  Each word ``u`` gives ``(u * n) >> 32``
        unless Lemire's method rejects it (``(u * n) mod 2**32 < 2**32 mod
        n``).  Returns ``(kept, rejected)``: the accepted indices as
        little-endian uint32 bytes, in order, and how many words were
        rejected.  Whether a word is rejected depends on that word alone, so
        NumPy's index stream is the word stream with the rejected words left
        out, and any stretch of it can be mapped on its own (even in another
        process, after :meth:`advance`).

        >>> kept, rejected = PCG64(42).lemire_words(1000, 4)
        >>> [int.from_bytes(kept[i:i + 4], "little") for i in range(0, len(kept), 4)], rejected
        ([89, 773, 654, 438], 0)
        """
        n = _as_bound(n)
        if not 2 <= n <= 1 << 32:
            raise ValueError(f"lemire_words needs 2 <= n <= 2**32, got {n}")
        if count < 0:
            raise ValueError(f"count must be >= 0, got {count}")
        threshold = (1 << 32) % n
        pieces = []
        rejected = 0
        if count >= _BULK_MIN_WORDS:
            if self._spare_half is not None:
                rejected += self._map_words(n, threshold, 1, pieces)
                count -= 1
            outputs = count // 2
            candidates, positions = _bulk_lemire(self._state, self._inc, n, outputs)
            pieces.append(_without_words(candidates, positions))
            rejected += len(positions)
            self.advance(outputs)
            count -= 2 * outputs
        rejected += self._map_words(n, threshold, count, pieces)
        return b"".join(pieces), rejected

    def _map_words(self, n: int, threshold: int, count: int, pieces: list) -> int:
        """One word at a time: append the kept indices to ``pieces``, return rejections."""
        kept = array("I")
        for _ in range(count):
            product = self.next_uint32() * n
            if (product & _MASK32) >= threshold:
                kept.append(product >> 32)
        if kept:
            if sys.byteorder == "big":          # pragma: no cover
                kept.byteswap()
            pieces.append(kept.tobytes())
        return count - len(kept)


def default_rng(seed: int) -> PCG64:
    """The generator ``numpy.random.default_rng(seed)`` would use.

    >>> default_rng(42).next_uint64()
    14276969152011380360
    """
    return PCG64(seed)


def _as_bound(n) -> int:
    n = n.__index__()
    if n < 1:
        raise ValueError(f"upper bound must be >= 1, got {n}")
    if n > 1 << 64:
        raise ValueError(f"upper bound must be <= 2**64, got {n}")
    return n


def _without_words(data: bytes, rejected: list[int]) -> bytes:
    """``data`` (uint32 words) with the words at the ``rejected`` positions removed."""
    if not rejected:
        return data
    pieces = []
    start = 0
    for position in rejected:
        pieces.append(data[4 * start:4 * position])
        start = position + 1
    pieces.append(data[4 * start:])
    return b"".join(pieces)


def _uint32_values(data: bytes) -> list[int]:
    """Little-endian uint32 words as a list of ints."""
    values = array("I")                         # 4 bytes on every supported platform
    values.frombytes(data)
    if sys.byteorder == "big":                  # pragma: no cover
        values.byteswap()
    return values.tolist()


# ---------------------------------------------------------------------------
# Bulk draws.
#
# A big Python int is used as a vector of fixed-width lanes: one shift, mask,
# add or multiply by a constant then acts on every lane at C speed, provided
# no lane overflows into its neighbour.  Two layouts are used:
#
# * LCG state: the even- and odd-numbered outputs of a chunk live in two
#   groups; within a group each 128-bit lane holds the low or the high 64
#   bits of one state (separate ints LO and HI), leaving room for 64x64-bit
#   products.  One step advances every lane by `lanes` outputs.
# * Output words: 64-bit lanes, one per output, in output order.
#
# The variable rotation of XSL-RR is a six-stage barrel shifter: stage j
# rotates the lanes whose rotation count has bit j set by 2**j, selected with
# a mask built from that bit.

class _Lanes(NamedTuple):
    """Per-lane constants for packed ints of ``count`` 64-bit lanes."""
    count: int
    low64_of_128: int       # low half of every 128-bit lane (LCG layout)
    low32: int              # low half of every 64-bit lane
    bit32: int              # bit 32 of every 64-bit lane
    rotation_stages: tuple  # (bit, shift, selector bit, keep-low mask, keep-high mask)


@lru_cache(maxsize=None)
def _lanes(count: int) -> _Lanes:
    def repeat(value: int, times: int, width: int) -> int:
        return value * (((1 << (width * times)) - 1) // ((1 << width) - 1))

    all_ones = repeat(_MASK64, count, 64)
    stages = []
    for bit in range(6):
        shift = 1 << bit
        keep_low = repeat(_MASK64 >> shift, count, 64)
        stages.append((bit, shift, repeat(1 << (58 + bit), count, 64), keep_low, all_ones ^ keep_low))
    return _Lanes(count, repeat(_MASK64, count // 2, 128), repeat(_MASK32, count, 64),
                  repeat(1 << 32, count, 64), tuple(stages))


def _pack_lanes(values: list[int], width_bytes: int) -> int:
    return int.from_bytes(b"".join(v.to_bytes(width_bytes, "little") for v in values), "little")


def _xsl_rr_lanes(groups: list[list[int]], lanes: _Lanes) -> int:
    """The 64-bit outputs of the packed states, in output order."""
    (low0, high0), (low1, high1) = groups
    words = (low0 ^ high0) | ((low1 ^ high1) << 64)
    high = high0 | (high1 << 64)
    for bit, shift, selector, keep_low, keep_high in lanes.rotation_stages:
        # All-ones in lanes whose rotation count (top 6 bits) has this bit:
        # that bit moved up to the next lane's bit 0, minus it moved down to bit 0.
        selected = high & selector
        mask = (selected << (6 - bit)) - (selected >> (58 + bit))
        rotated = ((words >> shift) & keep_low) | ((words << (64 - shift)) & keep_high)
        words ^= (words ^ rotated) & mask
    return words


def _step_lanes(groups: list[list[int]], mult: int, plus: int, lanes: _Lanes) -> None:
    """Advance every packed state by ``state*mult + plus`` (mod 2**128), in place."""
    spread = lanes.low64_of_128 // _MASK64          # 1 in every 128-bit lane
    mult_low, mult_high = mult & _MASK64, mult >> 64
    plus_low, plus_high = (plus & _MASK64) * spread, (plus >> 64) * spread
    keep = lanes.low64_of_128
    for group in groups:
        low, high = group
        product = low * mult_low + plus_low             # < 2**128: fits the lane
        group[0] = product & keep
        group[1] = (((high * mult_low) & keep) + ((low * mult_high) & keep)
                    + ((product >> 64) & keep) + plus_high) & keep


def _bulk_lemire(state: int, inc: int, n: int, outputs: int) -> tuple[bytes, list[int]]:
    """Lemire candidates for the ``2*outputs`` words following ``state``.

    Returns the candidates as little-endian uint32 bytes and the positions of
    rejected words; ``state`` itself is not changed (the caller advances).
    """
    if outputs == 0:
        return b"", []
    lanes = _lanes(min(_MAX_LANES, max(2, 1 << (outputs - 1).bit_length())))
    high32 = lanes.low32 << 32
    threshold = (1 << 32) % n
    # Adding 2**32 - threshold to a 32-bit leftover carries into bit 32
    # exactly when the word is kept.
    keep_offset = ((1 << 32) - threshold) * (lanes.bit32 >> 32)

    first_states = []
    current = state
    for _ in range(lanes.count):
        current = (current * _PCG_MULT + inc) & _MASK128
        first_states.append(current)
    groups = [[_pack_lanes([s & _MASK64 for s in first_states[parity::2]], 16),
               _pack_lanes([s >> 64 for s in first_states[parity::2]], 16)]
              for parity in (0, 1)]
    step_mult, step_plus = _lcg_jump(lanes.count, inc)

    chunks = []
    rejected = []
    for first in range(0, outputs, lanes.count):
        words = _xsl_rr_lanes(groups, lanes)
        product_low = (words & lanes.low32) * n
        product_high = ((words >> 32) & lanes.low32) * n
        indices = ((product_low >> 32) & lanes.low32) | (product_high & high32)
        chunk_outputs = min(lanes.count, outputs - first)
        chunks.append(indices.to_bytes(8 * lanes.count, "little")[:8 * chunk_outputs])
        if threshold:
            kept_low = ((product_low & lanes.low32) + keep_offset) & lanes.bit32
            kept_high = ((product_high & lanes.low32) + keep_offset) & lanes.bit32
            if kept_low & kept_high != lanes.bit32:
                rejected.extend(_rejected_words(kept_low ^ lanes.bit32, kept_high ^ lanes.bit32,
                                                2 * first, 2 * chunk_outputs))
        if first + lanes.count < outputs:
            _step_lanes(groups, step_mult, step_plus, lanes)
    return b"".join(chunks), rejected


def _rejected_words(flags_low: int, flags_high: int, first_word: int, limit: int) -> list[int]:
    """Word positions flagged (bit 32 of a 64-bit lane) in either half."""
    positions = []
    for flags, half in ((flags_low, 0), (flags_high, 1)):
        while flags:
            lowest = flags & -flags
            word = 2 * ((lowest.bit_length() - 1) // 64) + half
            if word < limit:
                positions.append(first_word + word)
            flags ^= lowest
    positions.sort()
    return positions
