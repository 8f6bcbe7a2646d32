"""Reading a ``spinefairbench-submission-v1`` file and the scorer's validation rules.

:func:`validate_submission` applies the published scorer's checks
(``submission-scoring.md`` §2.2) in their published order and with their
published messages, stopping at the first failure.

:func:`read_submission` is stricter than the published reader where that one
crashes or silently guesses, and more lenient in one deliberate place:

* a missing, unreadable or non-UTF-8 file, and malformed JSON, are one-line
  errors naming the file (and, for JSON, the line and column) instead of a
  traceback;
* a duplicate key anywhere in the document and a ``NaN``/``Infinity``
  literal are rejected with their line and column (the published loader keeps
  the last duplicate and accepts the non-standard literals);
* one UTF-8 byte-order mark at the start of the file is ignored (Windows
  editors write one; the published loader rejects it with a traceback).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from spinefairbench.bundle.loaders import decode_text, parse_json_text
from spinefairbench.errors import SpineFairBenchError

SUBMISSION_SCHEMA = "spinefairbench-submission-v1"

#: The scopes a submission may name, in the order the published messages list them.
SUPPORTED_SCOPES = ("all-model-intersection-2166", "common-core-1000", "qc-passed", "toy")

RESULT_KEYS = frozenset({"pair_id", "source_id", "source_report", "counterfactual_report", "metadata"})



@dataclass(frozen=True)
class SubmittedPair:
    """One validated ``results`` entry (``source_id`` is None when absent or null)."""

    pair_id: str
    source_id: str | None
    source_report: str
    counterfactual_report: str


@dataclass(frozen=True, eq=False)
class Submission:
    """A validated submission: the declared scope, the verbatim ``model`` object and the pairs."""

    scope: str
    model: dict
    pairs: Mapping[str, SubmittedPair]  # by pair_id, in submission order

    @property
    def model_name(self) -> str:
        return self.model["name"]


@dataclass(frozen=True)
class SubmissionFile:
    """The parsed JSON payload of a submission file and the SHA-256 of its bytes."""

    payload: object
    sha256: str


def _is_filled(value) -> bool:
    """A string that is not empty after ``str.strip()`` (the published "non-blank")."""
    return isinstance(value, str) and bool(value.strip())


def validate_submission(payload) -> Submission:
    """Apply the published validation rules in order; the first failure raises.

    >>> entry = {"pair_id": "s__young_male", "source_report": "a", "counterfactual_report": "b"}
    >>> doc = {"schema_version": SUBMISSION_SCHEMA, "scope": "toy", "model": {"name": "m"}, "results": [entry]}
    >>> list(validate_submission(doc).pairs)
    ['s__young_male']
    >>> validate_submission(dict(doc, results=[entry, dict(entry, extra=1, confidence=2)]))
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: results[1] has unsupported keys: ['confidence', 'extra']
    >>> validate_submission(dict(doc, scope=["toy"]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: scope must be one of ['all-model-intersection-2166', ..., 'toy']
    """
    if not isinstance(payload, dict):
        raise SpineFairBenchError("Submission must be a JSON object")
    if payload.get("schema_version") != SUBMISSION_SCHEMA:
        raise SpineFairBenchError(f"schema_version must be {SUBMISSION_SCHEMA!r}")
    scope = payload.get("scope")
    # The isinstance test also covers a list or object scope, which the published scorer crashes on.
    if not (isinstance(scope, str) and scope in SUPPORTED_SCOPES):
        raise SpineFairBenchError(f"scope must be one of {list(SUPPORTED_SCOPES)!r}")
    model = payload.get("model")
    if not isinstance(model, dict):
        raise SpineFairBenchError("model must be an object")
    if not _is_filled(model.get("name")):
        raise SpineFairBenchError("model.name must be a non-empty string")
    results = payload.get("results")
    if not isinstance(results, list) or not results:
        raise SpineFairBenchError("results must be a non-empty list")
    pairs: dict[str, SubmittedPair] = {}
    for index, entry in enumerate(results):
        pair = _validate_entry(index, entry, pairs)
        pairs[pair.pair_id] = pair
    return Submission(scope, model, pairs)


def _validate_entry(index: int, entry, seen: Mapping[str, SubmittedPair]) -> SubmittedPair:
    where = f"results[{index}]"
    if not isinstance(entry, dict):
        raise SpineFairBenchError(f"{where} must be an object")
    unsupported = set(entry) - RESULT_KEYS
    if unsupported:
        raise SpineFairBenchError(f"{where} has unsupported keys: {sorted(unsupported)!r}")
    pair_id = entry.get("pair_id")
    if not _is_filled(pair_id):
        raise SpineFairBenchError(f"{where}.pair_id must be a non-empty string")
    if pair_id in seen:  # the raw string is the key: " a" and "a" are different pairs
        raise SpineFairBenchError(f"Duplicate pair_id in submission: {pair_id}")
    for key in ("source_report", "counterfactual_report"):
        if not _is_filled(entry.get(key)):
            raise SpineFairBenchError(f"{where}.{key} must be a non-empty string")
    source_id = entry.get("source_id")
    if source_id is not None and not _is_filled(source_id):
        raise SpineFairBenchError(f"{where}.source_id must be a non-empty string when present")
    metadata = entry.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise SpineFairBenchError(f"{where}.metadata must be an object when present")
    return SubmittedPair(pair_id, source_id, entry["source_report"], entry["counterfactual_report"])


# --------------------------------------------------------------------------
# Reading the file


def read_submission(path: Path, display: str) -> SubmissionFile:
    """Read, decode and parse a submission file; every failure is one located error.

    ``display`` is how messages name the file.  The SHA-256 is of the bytes
    actually parsed (read once), so the score records exactly what it scored.
    """
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise SpineFairBenchError("cannot read submission: is a directory", path=display) from None
    except OSError as error:
        raise SpineFairBenchError(f"cannot read submission: {error.strerror or error}", path=display) from None
    return SubmissionFile(parse_submission_text(decode_submission(data, display), display),
                          hashlib.sha256(data).hexdigest())


def decode_submission(data: bytes, display: str) -> str:
    """Strict UTF-8 with one leading byte-order mark ignored (Windows editors write one), newlines made ``\\n``."""
    return decode_text(data, display, allow_bom=True)


def parse_submission_text(text: str, display: str):
    """Parse JSON, refusing duplicate keys and ``NaN``/``Infinity`` with their exact location.

    >>> parse_submission_text('{"results": [{"a": 1}, {"a": 2, "a": 3}]}', "s.json")
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: s.json:1:33: duplicate key 'a'
    >>> parse_submission_text('{"note": "NaN",\\n "x": [1, -Infinity]}', "s.json")
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: s.json:2:11: non-finite number -Infinity is not allowed
    >>> parse_submission_text('{"a": NaN, "b": }', "s.json")
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: s.json:1:17: invalid JSON: Expecting value
    """
    return parse_json_text(text, display, strict=True)
