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
import re
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
    return decode_text(data, shown)


UTF8_BOM = b"\xef\xbb\xbf"


def decode_text(data: bytes, display: str, *, allow_bom: bool = False) -> str:
    """Strict UTF-8 with universal newlines; ``allow_bom`` ignores one leading byte-order mark.

    Newline translation cannot change a valid JSON document (raw CR is not
    allowed inside JSON strings) but keeps reported line numbers right.

    >>> decode_text(UTF8_BOM + b'{"a":\\r\\n1}', "s.json", allow_bom=True)
    '{"a":\\n1}'
    >>> decode_text(b'{"a": "\\xff"}', "s.json")
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: s.json:1: invalid UTF-8 (byte offset 7)
    """
    skipped = len(UTF8_BOM) if allow_bom and data.startswith(UTF8_BOM) else 0
    try:
        text = data[skipped:].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = skipped + error.start
        raise SpineFairBenchError(f"invalid UTF-8 (byte offset {offset})", path=display,
                                  line=data[:offset].count(b"\n") + 1) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def parse_json_text(text: str, display: str, *, strict: bool = False):
    """Parse JSON text into one one-line error on failure; ``strict`` also refuses non-standard input.

    Strict mode rejects duplicate keys, ``NaN``/``Infinity`` and numbers that
    overflow to infinity, naming the line and column of the first offence.
    Both modes turn integers beyond Python's digit limit and excessive
    nesting into errors instead of crashes.

    >>> parse_json_text('{"a": 1}', "x.json")
    {'a': 1}
    >>> parse_json_text('{"a": 1, "a": 2}', "x.json", strict=True)
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: x.json:1:10: duplicate key 'a'
    >>> parse_json_text('[1,\\n NaN]', "x.json", strict=True)
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: x.json:2:2: non-finite number NaN is not allowed
    >>> parse_json_text('[1e999]', "x.json", strict=True)
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: x.json:1:2: non-finite number 1e999 is not allowed
    """
    hooks = {"parse_constant": _reject, "object_pairs_hook": _reject_duplicates,
             "parse_float": _finite_float} if strict else {}
    try:
        return json.loads(text, **hooks)
    except json.JSONDecodeError as error:
        line, col = _line_col(text, error.pos)
        raise SpineFairBenchError(f"invalid JSON: {error.msg}", path=display, line=line, column=col) from None
    except _NotStrictJSON:
        parse_json_text(text, display)  # a syntax error anywhere is reported before strictness
        offence = first_strictness_offence(text)
        if offence is None:  # cannot happen for text the strict hooks refused; keep the file named anyway
            raise SpineFairBenchError("invalid JSON: non-standard content", path=display) from None
        position, message = offence
        line, col = _line_col(text, position)
        raise SpineFairBenchError(message, path=display, line=line, column=col) from None
    except RecursionError:
        raise SpineFairBenchError("invalid JSON: nesting is too deep", path=display) from None
    except ValueError as error:  # int() beyond sys.get_int_max_str_digits()
        raise SpineFairBenchError(f"invalid JSON: {json_value_error(error)}", path=display) from None


def json_value_error(error: ValueError) -> str:
    """Describe a ``ValueError`` that ``json.loads`` raises outside JSON syntax (huge integers).

    >>> json_value_error(ValueError("Exceeds the limit (4300 digits) for integer string conversion"))
    'integer with more than 4300 digits'
    """
    match = re.search(r"limit \((\d+) digits\)", str(error))
    return f"integer with more than {match.group(1)} digits" if match else str(error)


class _NotStrictJSON(Exception):
    """Raised by the strict hooks; the offence is then located by :func:`first_strictness_offence`."""


def _reject(_name):
    raise _NotStrictJSON


def _reject_duplicates(pairs):
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _NotStrictJSON
    return result


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _NotStrictJSON
    return value


_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]:,]|-?Infinity|NaN|[^\s{}\[\]:,"]+')


def first_strictness_offence(text: str) -> tuple[int, str] | None:
    """``(offset, message)`` of the first repeated key, non-finite literal or overflowing number.

    A tokenizer with a stack of open containers: for each open object, the
    keys seen so far and whether a key or a value comes next.

    >>> first_strictness_offence('[{"k": 1}, {"k": 2}]') is None
    True
    >>> first_strictness_offence('{"o": {"k": 1}, "k": {"k": NaN}}')
    (27, 'non-finite number NaN is not allowed')
    >>> first_strictness_offence('{"\\\\u0061": 1, "a": 2}')
    (14, "duplicate key 'a'")
    """
    stack: list[tuple[set, list[bool]] | None] = []  # per open object: (keys, [expecting a key])
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        top = stack[-1] if stack else None
        if token == "{":
            stack.append((set(), [True]))
        elif token == "[":
            stack.append(None)
        elif token in "}]":
            stack.pop()
        elif token == ",":
            if top is not None:
                top[1][0] = True
        elif token == ":":
            top[1][0] = False
        elif token.startswith('"'):
            if top is not None and top[1][0]:
                key = json.loads(token)
                if key in top[0]:
                    return match.start(), f"duplicate key {key!r}"
                top[0].add(key)
        elif token in ("NaN", "Infinity", "-Infinity") or _overflows(token):
            return match.start(), f"non-finite number {token} is not allowed"
    return None


def _overflows(token: str) -> bool:
    """A JSON float literal too large for a double (``1e999``); integers stay exact."""
    return token[0] in "-0123456789" and any(c in token for c in ".eE") and math.isinf(float(token))


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
        except ValueError as error:
            raise SpineFairBenchError(f"Invalid JSON in {display_name} line {number}: "
                                      f"{json_value_error(error)}") from None
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
                # The inner reader's count: DictReader's only moves on after a good row.
                raise SpineFairBenchError(f"invalid CSV: {error}", path=shown, line=reader.reader.line_num) from None
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
