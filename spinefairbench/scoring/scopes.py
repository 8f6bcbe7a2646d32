"""Scopes: the QC index, the expected pair set of each scope, and the frozen-scope pins.

Implements ``submission-scoring.md`` §3 with the published scorer's messages.
Paths in messages are the resolved bundle root joined with the file's
relative path, printed with the operating system's separators.

Which files are pinned, and to which SHA-256, comes from the selected release
profile (:mod:`spinefairbench.bundle.profile`).  The published profile pins
the two named panel scopes to the published bytes, so a bundle without its own
profile is judged exactly as the published scorer judges it.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from spinefairbench.bundle.checksums import sha256_file
from spinefairbench.bundle.loaders import json_value_error, load_json, read_text
from spinefairbench.bundle import layout as L
from spinefairbench.bundle.layout import EDIT_LABELS
from spinefairbench.errors import SpineFairBenchError

QC_MANIFEST = L.QC_PASSED
CORE_SOURCES = L.CORE_SUBSET
INTERSECTION = L.INTERSECTION

COMMON_CORE = "common-core-1000"
INTERSECTION_SCOPE = "all-model-intersection-2166"
QC_PASSED = "qc-passed"
TOY = "toy"
#: Scopes that correspond to a published nine-model panel.
PANEL_SCOPES = (INTERSECTION_SCOPE, COMMON_CORE)


@dataclass(frozen=True)
class QCPair:
    """One QC-passed pair as the scorer indexes it."""

    pair_id: str
    source_id: str
    edit_label: str
    counterfactual_image_path: str | None


@dataclass(frozen=True, eq=False)
class ScopeSelection:
    """What a scope resolved to on a bundle.

    ``pinned_sha256`` holds the verified pins (the published
    ``artifact_identity.manifest_sha256``); ``files_sha256`` every scope file
    that was read, pinned or not.
    """

    scope: str
    qc_index: Mapping[str, QCPair]
    expected: frozenset[str]
    pinned_sha256: Mapping[str, str]
    files_sha256: Mapping[str, str]


def first_ids(ids: Iterable[str], count: int = 5) -> str:
    """The first ``count`` IDs in code-point order, ``", "``-joined, as messages list them.

    >>> first_ids(["b", "a", "C"], 2)
    'C, a'
    >>> first_ids([])
    ''
    """
    return ", ".join(sorted(ids)[:count])


def has_pair_identity(row: Mapping) -> bool:
    """The strict identity rule: stripped non-blank ``source_id``, known label, composed ``pair_id``.

    >>> has_pair_identity({"pair_id": "s__young_male", "source_id": "s", "edit_label": "young_male"})
    True
    >>> has_pair_identity({"pair_id": " s__young_male", "source_id": " s", "edit_label": "young_male"})
    False
    >>> has_pair_identity({"pair_id": "s__x", "source_id": "s", "edit_label": ["x"]})
    False
    """
    source_id, edit_label = row.get("source_id"), row.get("edit_label")
    return (isinstance(source_id, str) and bool(source_id) and source_id == source_id.strip()
            and isinstance(edit_label, str) and edit_label in EDIT_LABELS
            and row.get("pair_id") == f"{source_id}__{edit_label}")


# --------------------------------------------------------------------------
# §3.3 pins


def verify_scope_pins(root: Path, pins: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Hash each pinned file in order; return ``{relative path: hex}`` of the verified pins."""
    verified = {}
    for rel, expected in pins:
        try:
            digest = sha256_file(root / rel)
        except OSError:
            raise SpineFairBenchError(f"Cannot read frozen scope manifest: {rel}") from None
        if digest != expected.lower():
            raise SpineFairBenchError(f"Frozen scope manifest SHA-256 mismatch: {rel}")
        verified[rel] = digest
    return verified


# --------------------------------------------------------------------------
# §3.1 QC index


def read_jsonl_objects(path: Path, display: str) -> list[tuple[int, dict]]:
    """The scorer's JSONL reader: ``(physical line, object)`` per non-blank line.

    Lines end only at ``\\n``, ``\\r\\n`` or a lone ``\\r``; each is stripped and
    blank lines are skipped but counted.
    """
    rows = []
    for number, line in enumerate(read_text(path, display).split("\n"), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            raise SpineFairBenchError(f"Invalid JSONL at {display}:{number}: {error}") from None
        except RecursionError:
            raise SpineFairBenchError(f"Invalid JSONL at {display}:{number}: nesting is too deep") from None
        except ValueError as error:
            raise SpineFairBenchError(f"Invalid JSONL at {display}:{number}: {json_value_error(error)}") from None
        if not isinstance(value, dict):
            raise SpineFairBenchError(f"JSONL row must be an object at {display}:{number}")
        rows.append((number, value))
    return rows


def build_qc_index(rows: Iterable[Mapping], display: str) -> dict[str, QCPair]:
    """Check parsed QC rows in order (identity, uniqueness, pass flag) and index them by ``pair_id``.

    >>> row = {"pair_id": "s__young_male", "source_id": "s", "edit_label": "young_male", "passed_qc": True}
    >>> build_qc_index([row], "qc.jsonl")["s__young_male"].source_id
    's'
    >>> build_qc_index([row, dict(row, passed_qc=1)], "qc.jsonl")
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: Duplicate pair_id in QC manifest: s__young_male
    >>> build_qc_index([], "qc.jsonl")
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: No usable pair rows found in qc.jsonl
    """
    index: dict[str, QCPair] = {}
    for number, row in enumerate(rows, start=1):  # the row's rank among non-blank lines
        if not has_pair_identity(row):
            raise SpineFairBenchError(f"Invalid source/edit/pair identity in QC manifest row {number}")
        pair_id = row["pair_id"]
        if pair_id in index:
            raise SpineFairBenchError(f"Duplicate pair_id in QC manifest: {pair_id}")
        if row.get("passed_qc") is not True:
            raise SpineFairBenchError(f"Non-passing row in QC-passed manifest: {pair_id}")
        index[pair_id] = QCPair(pair_id, row["source_id"], row["edit_label"], row.get("counterfactual_image_path"))
    if not index:
        raise SpineFairBenchError(f"No usable pair rows found in {display}")
    return index


def load_qc_index(root: Path) -> dict[str, QCPair]:
    """Read and check ``dataset/qc_passed_pair_manifest.jsonl`` (the whole file is parsed first)."""
    path = root / QC_MANIFEST
    display = str(path)
    if not path.exists():
        raise SpineFairBenchError(f"Missing QC-passed pair manifest: {display}")
    return build_qc_index((row for _line, row in read_jsonl_objects(path, display)), display)


# --------------------------------------------------------------------------
# §3.2 scope derivation


def core_source_ids(payload, display: str) -> list[str]:
    """The checked ``source_ids`` of the core file (a non-object counts as lacking the list).

    >>> core_source_ids({"source_ids": ["a", "b"], "actual_n": 2}, "core.json")
    ['a', 'b']
    >>> core_source_ids({"source_ids": ["a", "b"], "actual_n": 2.0}, "core.json")
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: actual_n does not match 2 unique records in core.json
    >>> core_source_ids({"source_ids": ["a", "a", " b"], "actual_n": 3}, "core.json")
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: Invalid source_id in core.json
    """
    ids = payload.get("source_ids") if isinstance(payload, dict) else None
    if not isinstance(ids, list) or not ids:
        raise SpineFairBenchError(f"Missing source_ids list in {display}")
    # Every entry is checked before duplicates are looked for.
    if not all(isinstance(s, str) and s and s == s.strip() for s in ids):
        raise SpineFairBenchError(f"Invalid source_id in {display}")
    if len(set(ids)) != len(ids):
        raise SpineFairBenchError(f"Duplicate source_id in {display}")
    actual_n = payload.get("actual_n")
    if type(actual_n) is not int or actual_n != len(ids):  # not a boolean, not 1000.0
        raise SpineFairBenchError(f"actual_n does not match {len(ids)} unique records in {display}")
    return ids


def intersection_pair_ids(payload, display: str) -> list[str]:
    """The checked record ``pair_id`` values of the intersection manifest, in file order.

    >>> record = {"pair_id": "s__young_male", "source_id": "s", "edit_label": "young_male"}
    >>> intersection_pair_ids({"records": [record], "pair_count": 1}, "i.json")
    ['s__young_male']
    >>> intersection_pair_ids({"records": [record, record], "pair_count": 2}, "i.json")
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: Duplicate pair_id in intersection manifest: s__young_male
    >>> intersection_pair_ids({"records": [record], "pair_count": True}, "i.json")
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: pair_count does not match 1 unique records in i.json
    """
    records = payload.get("records") if isinstance(payload, dict) else None
    if not isinstance(records, list) or not records:
        raise SpineFairBenchError(f"Missing records list in {display}")
    ids: dict[str, None] = {}
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise SpineFairBenchError(f"intersection record {number} must be an object")
        if not has_pair_identity(record):
            raise SpineFairBenchError(f"Invalid source/edit/pair identity in intersection record {number}")
        if record["pair_id"] in ids:
            raise SpineFairBenchError(f"Duplicate pair_id in intersection manifest: {record['pair_id']}")
        ids[record["pair_id"]] = None
    pair_count = payload.get("pair_count")
    if type(pair_count) is not int or pair_count != len(ids):
        raise SpineFairBenchError(f"pair_count does not match {len(ids)} unique records in {display}")
    return list(ids)


def common_core_pairs(qc_index: Mapping[str, QCPair], core_ids: Collection[str]) -> frozenset[str]:
    """QC pairs whose source is in the core; every core source must be in the QC index.

    >>> qc = {"a__young_male": QCPair("a__young_male", "a", "young_male", None)}
    >>> sorted(common_core_pairs(qc, ["a"]))
    ['a__young_male']
    >>> common_core_pairs(qc, ["a", "z", "b"])
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: Common core contains source IDs absent from QC manifest: b, z
    """
    qc_sources = {pair.source_id for pair in qc_index.values()}
    absent = set(core_ids) - qc_sources
    if absent:
        raise SpineFairBenchError(f"Common core contains source IDs absent from QC manifest: {first_ids(absent)}")
    core = set(core_ids)
    return frozenset(pair_id for pair_id, pair in qc_index.items() if pair.source_id in core)


def intersection_pairs(qc_index: Mapping[str, QCPair], pair_ids: Collection[str],
                       load_core_ids) -> frozenset[str]:
    """The intersection IDs, all in the QC index and all from core sources.

    ``load_core_ids`` is called only after the QC membership check, because
    the published scorer reads the core file only then.

    >>> qc = {"a__young_male": QCPair("a__young_male", "a", "young_male", None)}
    >>> sorted(intersection_pairs(qc, ["a__young_male"], lambda: ["a"]))
    ['a__young_male']
    >>> intersection_pairs(qc, ["a__young_male"], lambda: ["b"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: All-model intersection contains pair IDs outside the ...: a__young_male
    """
    absent = [pair_id for pair_id in pair_ids if pair_id not in qc_index]
    if absent:
        raise SpineFairBenchError(f"All-model intersection contains pair IDs absent from QC manifest: "
                                  f"{first_ids(absent)}")
    core = set(load_core_ids())
    outside = [pair_id for pair_id in pair_ids if qc_index[pair_id].source_id not in core]
    if outside:
        raise SpineFairBenchError(f"All-model intersection contains pair IDs outside the common core: "
                                  f"{first_ids(outside)}")
    return frozenset(pair_ids)


def toy_pairs(qc_index: Mapping[str, QCPair], submitted_ids: Collection[str]) -> frozenset[str]:
    """Exactly the submitted IDs, each of which must be a QC-passed pair.

    >>> toy_pairs({}, [" x", "y"])
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: Toy submission contains unknown pair IDs:  x, y
    """
    if not submitted_ids:
        raise SpineFairBenchError("Toy scope requires at least one submitted result")
    unknown = [pair_id for pair_id in submitted_ids if pair_id not in qc_index]
    if unknown:
        raise SpineFairBenchError(f"Toy submission contains unknown pair IDs: {first_ids(unknown)}")
    return frozenset(submitted_ids)


def select_scope(root: Path, scope: str, pins: Iterable[tuple[str, str]],
                 submitted_ids: Collection[str]) -> ScopeSelection:
    """Verify the scope's pins, load the QC index and derive the expected pair set."""
    pinned = verify_scope_pins(root, pins)
    qc_index = load_qc_index(root)
    read = [QC_MANIFEST]

    def load_core_ids() -> list[str]:
        read.append(CORE_SOURCES)
        path = root / CORE_SOURCES
        return core_source_ids(load_json(path, str(path)), str(path))

    if scope == COMMON_CORE:
        expected = common_core_pairs(qc_index, load_core_ids())
    elif scope == INTERSECTION_SCOPE:
        path = root / INTERSECTION
        read.append(INTERSECTION)
        ids = intersection_pair_ids(load_json(path, str(path)), str(path))
        expected = intersection_pairs(qc_index, ids, load_core_ids)
    elif scope == TOY:
        expected = toy_pairs(qc_index, submitted_ids)
    else:
        expected = frozenset(qc_index)
    files = {rel: pinned[rel] if rel in pinned else sha256_file(root / rel) for rel in read}
    return ScopeSelection(scope, qc_index, expected, pinned, files)
