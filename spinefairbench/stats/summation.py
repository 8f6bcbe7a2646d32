"""Float summation orders that the published numbers depend on.

* :func:`plain_sum` is left-to-right double addition from 0, which is what
  Python 3.11's built-in ``sum`` does (3.12+ compensates, which can change the
  last bit; the published values were produced on 3.11).
* :func:`pairwise_sum` is NumPy's pairwise add-reduction of a float64 row.

>>> plain_sum([0.1, 0.2, 0.3])
0.6000000000000001
>>> plain_sum([])
0.0
>>> pairwise_sum([0.1] * 10), plain_sum([0.1] * 10)
(1.0, 0.9999999999999999)
"""

from __future__ import annotations

from collections.abc import Sequence


def plain_sum(values) -> float:
    """Left-to-right double addition starting from 0.0."""
    total = 0.0
    for value in values:
        total += value
    return total


def _pairwise(a: Sequence[float], start: int, length: int) -> float:
    if length < 8:
        total = -0.0
        for i in range(start, start + length):
            total += a[i]
        return total
    if length <= 128:
        s0, s1, s2, s3, s4, s5, s6, s7 = a[start:start + 8]
        limit = start + length - (length % 8)
        i = start + 8
        while i < limit:
            s0 += a[i]; s1 += a[i + 1]; s2 += a[i + 2]; s3 += a[i + 3]  # noqa: E702
            s4 += a[i + 4]; s5 += a[i + 5]; s6 += a[i + 6]; s7 += a[i + 7]  # noqa: E702
            i += 8
        total = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
        for j in range(limit, start + length):
            total += a[j]
        return total
    half = length // 2
    half -= half % 8
    return _pairwise(a, start, half) + _pairwise(a, start + half, length - half)


def pairwise_sum(values: Sequence[float]) -> float:
    """NumPy's float64 ``sum`` of a 1-D row: ``0.0 + PW(row)``.

    >>> pairwise_sum([])
    0.0
    >>> pairwise_sum([1.0, 2.0, 3.0])
    6.0
    """
    return 0.0 + _pairwise(values, 0, len(values))
