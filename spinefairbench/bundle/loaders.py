"""Guarded readers for the file formats of a bundle.

Every reader turns a decoding or parsing failure into one
:class:`~spinefairbench.errors.SpineFairBenchError` that names the file and,
where there is one, the line and column -- never a traceback.  The readers
keep the published verifier's semantics where they are observable: JSON is
strict UTF-8 without BOM stripping (a BOM is a parse error), JSONL is split
with ``str.splitlines`` after universal-newline translation and blank lines
are errors, CSV uses the ``excel`` dialect without stripping.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from spinefairbench.errors import SpineFairBenchError


def read_text(path: Path, display: str | None = None) -> str:
    """Read strict UTF-8 text with universal newlines (``\\r\\n`` and lone ``\\r`` become ``\\n``)."""
    shown = display or str(path)
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise SpineFairBenchError("cannot read file: is a directory", path=shown) from None
    except OSError as error:
        raise SpineFairBenchError(f"cannot read file: {error.strerror or error}", path=shown) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise SpineFairBenchError(f"invalid UTF-8 (byte offset {error.start})", path=shown, line=line) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def parse_json_text(text: str, display: str, *, strict: bool = False):
    """Parse JSON text; ``strict`` also rejects NaN/Infinity and duplicate keys.

    >>> parse_json_text('{"a": 1}', "x.json")
    {'a': 1}
    >>> parse_json_text('{"a": 1, "a": 2}', "x.json", strict=True)
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: x.json:1:10: duplicate key 'a'
    >>> parse_json_text('[1, NaN]', "x.json", strict=True)
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: x.json: non-finite number NaN is not allowed
    """
    hooks = {}
    if strict:
        def reject_constant(name: str):
            raise SpineFairBenchError(f"non-finite number {name} is not allowed", path=display)

        def reject_duplicates(pairs):
            seen = {}
            for key, value in pairs:
                if key in seen:
                    raise _DuplicateKey(key)
                seen[key] = value
            return seen

        hooks = {"parse_constant": reject_constant, "object_pairs_hook": reject_duplicates}
    try:
        return json.loads(text, **hooks)
    except json.JSONDecodeError as error:
        line, col = _line_col(text, error.pos)
        raise SpineFairBenchError(f"invalid JSON: {error.msg}", path=display, line=line, column=col) from None
    except _DuplicateKey as error:
        line, col = _locate_key(text, error.key)
        raise SpineFairBenchError(f"duplicate key {error.key!r}", path=display, line=line, column=col) from None
    except RecursionError:
        raise SpineFairBenchError("invalid JSON: nesting is too deep", path=display) from None


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _locate_key(text: str, key: str) -> tuple[int | None, int | None]:
    """Position of the second occurrence of a key token (best effort, for the message)."""
    token = json.dumps(key)
    first = text.find(token)
    second = text.find(token, first + 1) if first >= 0 else -1
    if second < 0:
        return None, None
    return _line_col(text, second)


def load_json(path: Path, display: str | None = None, *, strict: bool = False):
    """Read and parse one JSON file (UTF-8, BOM not stripped, as the published loader)."""
    shown = display or str(path)
    return parse_json_text(read_text(path, shown), shown, strict=strict)


def load_json_object(path: Path, display: str | None = None):
    """Load a JSON file whose top level must be an object."""
    shown = display or str(path)
    value = load_json(path, shown)
    if not isinstance(value, dict):
        raise SpineFairBenchError(f"expected a JSON object at the top level, found {json_type(value)}", path=shown)
    return value


def json_type(value) -> str:
    """Name of a parsed JSON value's type, for messages.

    >>> json_type([]), json_type(True), json_type(1.5), json_type(None)
    ('a list', 'a boolean', 'a number', 'null')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def count_lines(path: Path, display: str | None = None) -> int:
    """Physical lines under universal newlines; a last unterminated line counts.

    This is the verifier's line count, which differs from the JSONL split
    (``str.splitlines`` also breaks on U+2028 and friends).
    """
    text = read_text(path, display)
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


def parse_jsonl(path: Path, display_name: str) -> list:
    """The verifier's JSONL reader: every ``splitlines`` line must be one JSON value.

    Errors read ``Invalid JSON in <file name> line <n>: <decoder message>``.
    """
    text = read_text(path, display_name)
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as error:
            raise SpineFairBenchError(f"Invalid JSON in {display_name} line {number}: {error.msg}") from None
        except RecursionError:
            raise SpineFairBenchError(f"Invalid JSON in {display_name} line {number}: nesting is too deep") from None
    return rows


def read_csv_rows(path: Path, display: str | None = None) -> list[dict]:
    """CSV rows as dictionaries (``excel`` dialect, no BOM stripping, no value stripping)."""
    shown = display or str(path)
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            try:
                return list(reader)
            except csv.Error as error:
                raise SpineFairBenchError(f"invalid CSV: {error}", path=shown, line=reader.line_num) from None
    except UnicodeDecodeError as error:
        raise SpineFairBenchError(f"invalid UTF-8 (byte offset {error.start})", path=shown) from None
    except OSError as error:
        raise SpineFairBenchError(f"cannot read file: {error.strerror or error}", path=shown) from None


def is_finite_number(value) -> bool:
    """A JSON number (not a boolean) with a finite value.

    >>> is_finite_number(1), is_finite_number(float("nan")), is_finite_number(True)
    (True, False, False)
    """
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
