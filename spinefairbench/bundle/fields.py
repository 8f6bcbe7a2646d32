"""Reading fields of parsed JSON with one-line errors instead of ``KeyError`` tracebacks."""

from __future__ import annotations

import math

from spinefairbench.errors import SpineFairBenchError


def dig(document, path: str, *, source: str):
    """Follow a dotted path through nested objects; a missing step is a one-line error.

    >>> dig({"a": {"b": 3}}, "a.b", source="s.json")
    3
    >>> dig({"a": []}, "a.b", source="s.json")
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: s.json: a.b: missing field (expected an object at a)
    """
    value = document
    walked = []
    for key in path.split("."):
        if not isinstance(value, dict):
            where = ".".join(walked) or "the top level"
            raise SpineFairBenchError(f"missing field (expected an object at {where})", path=source, field=path)
        if key not in value:
            raise SpineFairBenchError("missing field", path=source, field=path)
        value = value[key]
        walked.append(key)
    return value


def number_at(document, path: str, *, source: str) -> float:
    """A numeric field (JSON number; booleans pass as Python numbers, as in the reference).

    >>> number_at({"x": "0.5"}, "x", source="s.json")
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: s.json: x: expected a number, found a string
    """
    from spinefairbench.bundle.loaders import json_type

    value = dig(document, path, source=source)
    if not isinstance(value, (int, float)):
        raise SpineFairBenchError(f"expected a number, found {json_type(value)}", path=source, field=path)
    try:
        return float(value)
    except OverflowError:  # an integer beyond the double range: it can only fail its check
        return math.inf if value > 0 else -math.inf


def within(a: float, b: float, tolerance: float) -> bool:
    """``|a - b| <= tolerance``; false for NaN (the published check passes NaN silently; we do not).

    >>> within(0.1, 0.1 + 1e-13, 1e-12), within(float("nan"), 0.5, 1e-12)
    (True, False)
    """
    return abs(a - b) <= tolerance
