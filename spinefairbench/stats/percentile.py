"""NumPy's default percentile ("linear" method), reproduced exactly.

The published bootstrap intervals are ``numpy.percentile(means, [2.5, 97.5])``;
:func:`percentile_linear` performs the same float operations in the same
order, so it returns the same double.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["percentile_linear"]


def percentile_linear(sorted_values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0 <= p <= 100) of already **sorted** values.

    Same result as ``numpy.percentile(values, p)``: with ``N`` values, the
    position ``v = (N - 1) * (p / 100)`` is split into ``i = floor(v)`` and
    ``t = v - i``, and the result interpolates between ``a = x[i]`` and
    ``b = x[i + 1]`` as ``a + (b - a)*t`` when ``t < 0.5``, else
    ``b - (b - a)*(1 - t)``.  The caller sorts; the input is not checked.

    >>> percentile_linear([1.0, 2.0, 3.0, 4.0], 50)
    2.5
    >>> values = [i / 7 for i in range(10000)]
    >>> percentile_linear(values, 2.5), percentile_linear(values, 97.5)
    (35.71071428571429, 1392.7178571428572)

    A single value is every percentile:

    >>> percentile_linear([0.25], 2.5), percentile_linear([0.25], 100)
    (0.25, 0.25)
    >>> percentile_linear([], 50)
    Traceback (most recent call last):
      ...
    ValueError: percentile of an empty sequence
    """
    count = len(sorted_values)
    if not count:
        raise ValueError("percentile of an empty sequence")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be between 0 and 100, got {p!r}")
    position = (count - 1) * (p / 100)
    if position >= count - 1:
        return sorted_values[-1]
    below = math.floor(position)
    fraction = position - below
    lower = sorted_values[below]
    upper = sorted_values[below + 1]
    span = upper - lower
    if fraction >= 0.5:
        return upper - span * (1 - fraction)
    return lower + span * fraction
