"""Source-clustered percentile bootstrap, bit-identical to the NumPy reference.

The published confidence intervals resample *sources* (clusters of scored
pairs), not pairs: each replicate draws ``n`` cluster indices with
``numpy.random.default_rng(seed).integers(0, n)``, and its mean is the sum of
the drawn clusters' value sums over the sum of their pair counts.  The
interval is the linear 2.5th and 97.5th percentile of the replicate means.
This module reproduces that computation exactly with the standard library
(see ``bootstrap.md``):

* clusters are grouped in input order, summed left to right
  (:func:`~spinefairbench.stats.summation.plain_sum`), and sorted by source
  id with Python's default ordering;
* the index stream comes from :mod:`spinefairbench.stats.rng`;
* each replicate's numerator is NumPy's pairwise float64 sum of the drawn
  cluster sums, in draw order; the denominator is an exact integer sum;
* the percentiles come from :func:`~spinefairbench.stats.percentile.percentile_linear`.

The public functions are :func:`source_clustered_bootstrap_ci` (one
endpoint), :func:`source_clustered_bootstrap_cis` (several endpoints sharing
the source ids, seed and iteration count, drawn from one stream),
:func:`bootstrap_replicate_means` (the replicate means themselves, for
derived statistics) and :func:`percentile_ci`.

A full-size run is millions of draws and additions, so the inner loops avoid
Python bytecode: the indices come from packed big-integer arithmetic
(:meth:`PCG64.lemire_words <spinefairbench.stats.rng.PCG64.lemire_words>`),
the cluster sums are looked up by unpickling memo references, and NumPy's
pairwise order is applied to all rows at once as C-level ``sum`` calls over
fixed slices.  Endpoints whose cluster sums are whole numbers are summed as
exact integers.  ``workers=N`` splits the replicates across processes,
each jumping the generator ahead to its share (``bootstrap.md`` section 9).

>>> values = [0, 1, 0.2, 0.4, 0.8, 0.3, 0.7]
>>> sources = ["a", "a", "b", "b", "b", "c", "d"]
>>> source_clustered_bootstrap_ci(values, sources, iterations=1031, seed=42)
(0.3833333333333333, 0.605)
"""

from __future__ import annotations

import math
import multiprocessing
import operator
import pickle
import struct
import sys
from collections.abc import Hashable, Sequence
from functools import lru_cache
from itertools import repeat

from spinefairbench.stats.percentile import percentile_linear
from spinefairbench.stats.rng import default_rng
from spinefairbench.stats.summation import plain_sum

__all__ = [
    "source_clustered_bootstrap_ci",
    "source_clustered_bootstrap_cis",
    "bootstrap_replicate_means",
    "percentile_ci",
]

# Python 3.11's built-in sum() adds floats left to right in C, exactly like
# plain_sum; from 3.12 on it compensates rounding errors, which would change
# the last bit of the pairwise sums.
_sum_left_to_right = sum if sys.version_info < (3, 12) else plain_sum

# Rows handled together; large enough to amortise per-chunk work, small
# enough to keep the temporary lists cache- and memory-friendly.
_CHUNK_VALUES = 1 << 18
# Indices drawn at a time by a single process (16 MiB), so that memory stays
# bounded however many iterations are asked for.
_SEGMENT_VALUES = 1 << 22


def source_clustered_bootstrap_ci(values: Sequence[float], source_ids: Sequence[Hashable], *,
                                  iterations: int = 10000, seed: int = 42) -> tuple[float, float]:
    """The source-clustered percentile bootstrap 95% interval of the mean.

    ``values`` holds one finite number per scored pair and ``source_ids``
    the pair's source (cluster).  Returns ``(lower, upper)``: the linear 2.5th
    and 97.5th percentiles of ``iterations`` replicate means, exactly as the
    NumPy reference with ``default_rng(seed)`` computes them.

    >>> source_clustered_bootstrap_ci([1.0, 0.0, 1.0, 1.0], ["x", "y", "y", "z"],
    ...                               iterations=200, seed=1)
    (0.5, 1.0)

    With a single source every replicate is the overall mean:

    >>> source_clustered_bootstrap_ci([0.5, 1.0], ["s", "s"], iterations=5)
    (0.75, 0.75)
    """
    return source_clustered_bootstrap_cis([values], source_ids, iterations=iterations,
                                          seed=seed)[0]


def source_clustered_bootstrap_cis(endpoints: Sequence[Sequence[float]],
                                   source_ids: Sequence[Hashable], *,
                                   iterations: int = 10000, seed: int = 42,
                                   workers: int = 1) -> list[tuple[float, float]]:
    """Bootstrap intervals for several endpoints scored on the same pairs.

    Each endpoint is a sequence of values aligned with ``source_ids``.  The
    cluster indices depend only on the clusters, ``seed`` and
    ``iterations``, so they are drawn once and serve every endpoint; each
    result equals :func:`source_clustered_bootstrap_ci` of that endpoint.
    ``workers > 1`` splits the replicates over that many processes (see
    :func:`bootstrap_replicate_means`).

    >>> source_clustered_bootstrap_cis([[1, 0, 1], [0.5, 0.25, 1.0]], ["a", "b", "b"],
    ...                                iterations=100, seed=3)
    [(0.5, 1.0), (0.5, 0.625)]

    A single replicate is both bounds:

    >>> source_clustered_bootstrap_cis([[1, 0, 1], [0.5, 0.25, 1.0]], ["a", "b", "b"],
    ...                                iterations=1, seed=3)
    [(0.6666666666666666, 0.6666666666666666), (0.5833333333333334, 0.5833333333333334)]
    """
    means = bootstrap_replicate_means(endpoints, source_ids, iterations=iterations,
                                      seed=seed, workers=workers)
    return [percentile_ci(replicates) for replicates in means]


def bootstrap_replicate_means(endpoints: Sequence[Sequence[float]],
                              source_ids: Sequence[Hashable], *,
                              iterations: int = 10000, seed: int = 42,
                              workers: int = 1) -> list[list[float]]:
    """The replicate means behind :func:`source_clustered_bootstrap_cis`.

    Returns one list per endpoint with the mean of every replicate, in
    replicate order; replicate ``r`` of every endpoint uses the same drawn
    clusters.  Statistics derived replicate by replicate (a difference of two
    subgroup means, a paired difference) therefore pair up correctly, and
    ``percentile_ci(means[k])`` is endpoint ``k``'s interval.

    ``workers > 1`` computes the replicates in that many processes (forked,
    where the platform supports it; otherwise in this one).  Each process
    jumps the generator ahead to its share of the stream, so the result is
    bit-identical to ``workers=1``.

    >>> bootstrap_replicate_means([[0.0, 1.0]], ["a", "b"], iterations=6, seed=0)
    [[1.0, 0.5, 0.0, 0.0, 0.5, 1.0]]

    One source: nothing is drawn and every replicate is the overall mean.

    >>> bootstrap_replicate_means([[0.25, 0.5], [1, 1]], ["only", "only"], iterations=3)
    [[0.375, 0.375, 0.375], [1.0, 1.0, 1.0]]
    """
    iterations = _check_count("bootstrap iterations", iterations)
    workers = _check_count("workers", workers)
    seed = _check_seed(seed)
    counts, sums = _cluster_tables(endpoints, source_ids)
    engine = _ReplicateEngine(counts, sums)
    return engine.replicate_means(seed, iterations, workers)


def percentile_ci(replicates: Sequence[float]) -> tuple[float, float]:
    """The linear 2.5th and 97.5th percentiles of ``replicates`` (not sorted in place).

    >>> percentile_ci([3.0, 1.0, 2.0])
    (1.05, 2.95)
    >>> percentile_ci([0.5])
    (0.5, 0.5)
    """
    ordered = sorted(replicates)
    return percentile_linear(ordered, 2.5), percentile_linear(ordered, 97.5)


# ---------------------------------------------------------------------------
# Input checks and cluster tables.

def _check_count(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1")
    return value


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an integer, got {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    return seed


def _cluster_tables(endpoints, source_ids) -> tuple[list[int], list[list[float]]]:
    """Pair counts and per-endpoint value sums of the clusters, in sorted id order."""
    source_ids = list(source_ids)
    if not source_ids:
        raise ValueError("bootstrap needs at least one value")
    endpoints = [list(values) for values in endpoints]
    if not endpoints:
        raise ValueError("bootstrap needs at least one endpoint")
    members: dict[Hashable, list[int]] = {}
    for position, source in enumerate(source_ids):
        members.setdefault(source, []).append(position)
    for number, values in enumerate(endpoints):
        if len(values) != len(source_ids):
            raise ValueError(f"endpoint {number} has {len(values)} values for "
                             f"{len(source_ids)} source ids")
        for position, value in enumerate(values):
            if not math.isfinite(value):
                raise ValueError(f"bootstrap values must be finite; endpoint {number} "
                                 f"has {value!r} at position {position}")
    ordered = [members[source] for source in sorted(members)]
    counts = [len(positions) for positions in ordered]
    sums = [[plain_sum(values[i] for i in positions) for positions in ordered]
            for values in endpoints]
    return counts, sums


# ---------------------------------------------------------------------------
# NumPy's pairwise summation as a fixed plan for rows of length n.
#
# numpy adds a row of n float64 values by recursive halving down to blocks
# of at most 128, each summed with eight interleaved accumulators.  For a
# given n the order of additions is fixed, so it is described once as
# *groups* (positions summed left to right: the accumulators, and the loose
# elements) plus a tree saying how the group sums combine.  Applying the
# plan to many rows at once lets the inner sums run in C.

@lru_cache(maxsize=None)
def _pairwise_plan(n: int):
    """``(groups, tree)`` for NumPy's pairwise sum of ``n`` values.

    Tree nodes: a group number (its sequential sum), ``("block", eight
    accumulator groups, loose groups)`` or ``("add", left, right)``.

    >>> groups, tree = _pairwise_plan(10)
    >>> groups
    ((0,), (1,), (2,), (3,), (4,), (5,), (6,), (7,), (8,), (9,))
    >>> tree
    ('block', (0, 1, 2, 3, 4, 5, 6, 7), (8, 9))
    >>> _pairwise_plan(3)
    (((0, 1, 2),), 0)
    """
    groups: list[tuple[int, ...]] = []

    def new_group(positions) -> int:
        groups.append(tuple(positions))
        return len(groups) - 1

    def build(start: int, length: int):
        if length < 8:
            return new_group(range(start, start + length))
        if length <= 128:
            stop = start + length - length % 8
            accumulators = tuple(new_group(range(start + j, stop, 8)) for j in range(8))
            loose = tuple(new_group([position]) for position in range(stop, start + length))
            return ("block", accumulators, loose)
        half = length // 2
        half -= half % 8
        return ("add", build(start, half), build(start + half, length - half))

    tree = build(0, n)
    return tuple(groups), tree


def _add_columns(left: list[float], right: list[float]) -> list[float]:
    return list(map(operator.add, left, right))


def _evaluate_plan(tree, column) -> list[float]:
    """Combine group-sum columns (one entry per row) as NumPy's pairwise sum does."""
    if isinstance(tree, int):
        return column(tree)
    if tree[0] == "add":
        return _add_columns(_evaluate_plan(tree[1], column), _evaluate_plan(tree[2], column))
    s0, s1, s2, s3, s4, s5, s6, s7 = map(column, tree[1])
    total = _add_columns(_add_columns(_add_columns(s0, s1), _add_columns(s2, s3)),
                         _add_columns(_add_columns(s4, s5), _add_columns(s6, s7)))
    for group in tree[2]:
        total = _add_columns(total, column(group))
    return total


# ---------------------------------------------------------------------------
# Gathering table[index] for millions of indices.
#
# A pickle can refer back to objects stored in its memo ("LONG_BINGET i",
# five bytes).  So a byte string that first memoises the table and then holds
# one LONG_BINGET per index unpickles, in C, to the looked-up values -- several
# times faster than a Python-level loop.  Each replicate row becomes one
# tuple (MARK ... TUPLE).  The indices are little-endian uint32, exactly the
# operand of LONG_BINGET, so the byte string is assembled with strided
# copies.  These pickles hold only the opcodes below and numbers serialised
# here; loading them imports and calls nothing.

_MARK, _POP_MARK = b"(", b"1"
_EMPTY_LIST, _APPENDS, _TUPLE, _STOP = b"]", b"e", b"t", b"."
_LONG_BINGET, _LONG_BINPUT = b"j", b"r"
_GET_RECORD = _LONG_BINGET + bytes(4)


def _memo_prefix(table: Sequence) -> bytes:
    """Pickle opcodes storing ``table[i]`` under memo key ``i``, leaving the stack empty."""
    parts = [_MARK]
    for key, value in enumerate(table):
        parts.append(pickle.dumps(value, protocol=2)[2:-1])   # strip PROTO and STOP
        parts.append(_LONG_BINPUT + struct.pack("<I", key))
    parts.append(_POP_MARK)
    return b"".join(parts)


def _row_lookups(kept: bytes, n: int, rows: int) -> bytearray:
    """Pickle body: a list of ``rows`` tuples of ``n`` memo lookups, one per kept index."""
    row_size = 2 + len(_GET_RECORD) * n
    body = bytearray((_MARK + _GET_RECORD * n + _TUPLE) * rows + _APPENDS + _STOP)
    operand_bytes = 2 if n <= 1 << 16 else 4      # the others stay zero
    for row in range(rows):
        first = row * row_size + 2                # past MARK and the opcode
        source = 4 * n * row
        for byte in range(operand_bytes):
            body[first + byte:first + row_size - 2:5] = kept[source + byte:source + 4 * n:4]
    return body


# ---------------------------------------------------------------------------
# Replicates.

class _ReplicateEngine:
    """Replicate means of fixed cluster tables, for any stretch of the index stream.

    Endpoints whose cluster sums are all non-negative integers are summed
    exactly as integers (every float summation order then gives the same
    double), packed into one integer per cluster together with the pair
    counts.  The others follow NumPy's pairwise order exactly.
    """

    def __init__(self, counts: list[int], sums: list[list[float]]) -> None:
        n = len(counts)
        self.n = n
        self.endpoints = len(sums)
        self.integer_endpoints = [k for k, table in enumerate(sums) if _exact_integers(table, n)]
        self.float_endpoints = [k for k in range(len(sums)) if k not in self.integer_endpoints]
        packed_tables = [counts] + [[int(s) for s in sums[k]] for k in self.integer_endpoints]
        self.field_widths = [(n * max(table)).bit_length() or 1 for table in packed_tables]
        packed = [0] * n
        shift = 0
        for table, width in zip(packed_tables, self.field_widths):
            packed = [total + (value << shift) for total, value in zip(packed, table)]
            shift += width
        self.packed_head = _memo_prefix(packed) + _EMPTY_LIST + _MARK
        self.float_heads = [_memo_prefix(sums[k]) + _EMPTY_LIST + _MARK
                            for k in self.float_endpoints]
        groups, self.tree = _pairwise_plan(n)
        self.group_slices = [slice(group[0], group[-1] + 1, group[1] - group[0])
                             if len(group) > 1 else slice(group[0], group[0] + 1)
                             for group in groups]
        self.rows_per_chunk = max(1, _CHUNK_VALUES // n)

    def chunk_means(self, kept: bytes, rows: int) -> list[list[float]]:
        """Replicate means (per endpoint) for ``rows`` rows of kept indices."""
        body = _row_lookups(kept, self.n, rows)
        row_totals = list(map(sum, pickle.loads(self.packed_head + body)))
        fields = []
        shift = 0
        for width in self.field_widths:
            mask = (1 << width) - 1
            fields.append([float((total >> shift) & mask) for total in row_totals])
            shift += width
        denominators = fields[0]
        means: list = [None] * self.endpoints
        for k, numerators in zip(self.integer_endpoints, fields[1:]):
            means[k] = list(map(operator.truediv, numerators, denominators))
        group_count = len(self.group_slices)
        for k, head in zip(self.float_endpoints, self.float_heads):
            group_sums = []
            for row in pickle.loads(head + body):
                group_sums += map(_sum_left_to_right, map(row.__getitem__, self.group_slices))
            pairwise = _evaluate_plan(self.tree, lambda g: group_sums[g::group_count])
            # NumPy's reduction starts from 0.0, which turns a -0.0 total into 0.0.
            numerators = map(operator.add, repeat(0.0), pairwise)
            means[k] = list(map(operator.truediv, numerators, denominators))
        return means

    def rows_means(self, kept: bytes, rows: int) -> list[list[float]]:
        """Replicate means for ``rows`` consecutive rows of kept indices."""
        results = [[] for _ in range(self.endpoints)]
        step = self.rows_per_chunk
        row_bytes = 4 * self.n
        for first in range(0, rows, step):
            count = min(step, rows - first)
            chunk = kept[first * row_bytes:(first + count) * row_bytes]
            for result, part in zip(results, self.chunk_means(chunk, count)):
                result.extend(part)
        return results

    def replicate_means(self, seed: int, iterations: int, workers: int) -> list[list[float]]:
        """All ``iterations`` replicate means, per endpoint, from ``default_rng(seed)``."""
        if self.n == 1:
            # integers(0, 1) is all zeros and draws nothing.
            return self.rows_means(bytes(4 * iterations), iterations)
        workers = min(workers, iterations)
        if workers > 1 and _can_fork():
            return _parallel_means(self, seed, iterations, workers)
        results = [[] for _ in range(self.endpoints)]
        for rows, indices in _index_segments(seed, self.n, iterations):
            for result, part in zip(results, self.rows_means(indices, rows)):
                result.extend(part)
        return results


def _exact_integers(table: list[float], n: int) -> bool:
    """True if every row sum of ``table`` values is an exactly representable integer."""
    return (all(value >= 0 and value.is_integer() for value in table)
            and n * max(table) < 2 ** 53)


# ---------------------------------------------------------------------------
# The index stream, in one process or split across several.

# The index stream depends only on (seed, cluster count, iterations), so
# consecutive bootstraps with the same three -- every model of a Table 2 run
# whose pairs cover the same number of sources -- reuse the last one drawn
# instead of drawing it again (~40 MB for 1,000 clusters x 10,000 iterations).
_LAST_STREAM: dict = {}


def warm_stream(seed: int, n: int, iterations: int) -> None:
    """Draw (and keep) the index stream for ``n`` clusters, e.g. before forking workers that share it."""
    if n > 1:
        _index_segments(seed, n, iterations)


def clear_stream_cache() -> None:
    """Forget the last drawn index stream (benchmarks call this so each run draws its own)."""
    _LAST_STREAM.clear()


def _index_segments(seed: int, n: int, iterations: int) -> list[tuple[int, bytes]]:
    """The stream as ``(rows, uint32 index bytes)`` segments, drawn once per (seed, n, iterations)."""
    key = (seed, n, iterations)
    if key not in _LAST_STREAM:
        _LAST_STREAM.clear()
        rng = default_rng(seed)
        segment = max(1, _SEGMENT_VALUES // n)
        segments = []
        for first in range(0, iterations, segment):
            rows = min(segment, iterations - first)
            segments.append((rows, _draw_indices(rng, n, rows * n)))
        _LAST_STREAM[key] = segments
    return _LAST_STREAM[key]


def _draw_indices(rng, n: int, count: int) -> bytes:
    """The next ``count`` indices in ``[0, n)`` (uint32 bytes), skipping rejected words."""
    pieces = []
    while count > 0:
        kept, _ = rng.lemire_words(n, count)
        pieces.append(kept)
        count -= len(kept) // 4
    return b"".join(pieces)


class _StreamShare:
    """A stretch of the index stream, drawn independently of the rest.

    Covers ``size`` indices that would start at word ``first_word`` if no
    earlier word were rejected (row ``r`` of a bootstrap starts at word
    ``r*n``).  Once the number of words rejected before ``first_word`` is
    known (``shift``), :meth:`kept` drops that many leading indices and draws
    as many more at the end, which gives exactly the stretch of NumPy's
    stream.
    """

    def __init__(self, seed: int, n: int, first_word: int, size: int) -> None:
        self.n = n
        self.size = size
        self.rng = default_rng(seed)
        self.rng.advance(first_word // 2)
        if first_word % 2:
            self.rng.next_uint32()            # start at the high half
        self.indices, self.rejected = self.rng.lemire_words(n, size)

    def kept(self, shift: int) -> bytes:
        """The share's indices, given ``shift`` words rejected before it."""
        missing = shift + self.rejected
        if not missing:
            return self.indices
        stream = self.indices + _draw_indices(self.rng, self.n, missing)
        return stream[4 * shift:4 * (shift + self.size)]


def _share_rows(iterations: int, workers: int) -> list[tuple[int, int]]:
    base, extra = divmod(iterations, workers)
    shares = []
    first = 0
    for w in range(workers):
        rows = base + (w < extra)
        shares.append((first, rows))
        first += rows
    return shares


def _can_fork() -> bool:
    # Daemonic processes (pool workers, for instance) may not have children.
    return ("fork" in multiprocessing.get_all_start_methods()
            and not multiprocessing.current_process().daemon)


def _share_worker(connection, engine: _ReplicateEngine, seed: int, first_row: int,
                  rows: int) -> None:
    try:
        share = _StreamShare(seed, engine.n, first_row * engine.n, rows * engine.n)
        connection.send(("rejected", share.rejected))
        shift = connection.recv()
        connection.send(("means", engine.rows_means(share.kept(shift), rows)))
    except BaseException as error:           # report, the parent raises
        connection.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        connection.close()


def _parallel_means(engine: _ReplicateEngine, seed: int, iterations: int,
                    workers: int) -> list[list[float]]:
    """Replicate means from ``workers`` processes (this one included).

    Phase 1: every process draws its share of words and reports how many it
    rejected.  Phase 2: each learns how many were rejected before its share,
    realigns (:meth:`_StreamShare.kept`) and computes its rows.
    """
    context = multiprocessing.get_context("fork")
    (own_first, own_rows), *others = _share_rows(iterations, workers)
    children = []
    finished = False
    try:
        for first_row, rows in others:
            parent_end, child_end = context.Pipe()
            process = context.Process(target=_share_worker, daemon=True,
                                      args=(child_end, engine, seed, first_row, rows))
            process.start()
            child_end.close()
            children.append((process, parent_end))
        own = _StreamShare(seed, engine.n, own_first * engine.n, own_rows * engine.n)
        rejected_before = own.rejected
        for _, connection in children:
            rejected_here = _receive(connection)
            connection.send(rejected_before)
            rejected_before += rejected_here
        results = engine.rows_means(own.kept(0), own_rows)
        for _, connection in children:
            for result, part in zip(results, _receive(connection)):
                result.extend(part)
        finished = True
        return results
    finally:
        for process, connection in children:
            if not finished:
                process.terminate()
            connection.close()
            process.join()


def _receive(connection):
    try:
        kind, payload = connection.recv()
    except EOFError:
        raise RuntimeError("bootstrap worker exited without a result") from None
    if kind == "error":
        raise RuntimeError(f"bootstrap worker failed: {payload}")
    return payload
