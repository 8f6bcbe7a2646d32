"""QC index (§3.1), scope derivation (§3.2) and frozen-scope pins (§3.3): every message."""

import hashlib
import json
import os

import pytest

from spinefairbench.errors import SpineFairBenchError
from spinefairbench.scoring.scopes import (CORE_SOURCES, INTERSECTION, QC_MANIFEST, load_qc_index, select_scope,
                                           verify_scope_pins)


def error_of(call, *args, **kwargs) -> str:
    with pytest.raises(SpineFairBenchError) as info:
        call(*args, **kwargs)
    return str(info.value)


def qc_path(root) -> str:
    return str(root / QC_MANIFEST)


def write_qc(kit, root, lines: list) -> None:
    kit.write_text(root / QC_MANIFEST, "".join((line if isinstance(line, str) else json.dumps(line)) + "\n"
                                               for line in lines))


# --------------------------------------------------------------------------
# QC index


def test_qc_index_in_file_order(kit, bundle):
    index = load_qc_index(bundle)
    assert list(index)[:2] == ["buu_a__young_female", "buu_a__young_male"]
    pair = index["vindr_d__elderly_male"]
    assert (pair.source_id, pair.edit_label, pair.counterfactual_image_path) == (
        "vindr_d", "elderly_male", "dataset/counterfactual_images/vindr_d/elderly_male.png")


def test_missing_qc_manifest_names_the_absolute_path(tmp_path):
    assert error_of(load_qc_index, tmp_path) == f"Missing QC-passed pair manifest: {tmp_path / QC_MANIFEST}"


@pytest.mark.parametrize("lines, message", [
    (["", "{\"a\": 1, x}"],
     "Invalid JSONL at {path}:2: Expecting property name enclosed in double quotes: line 1 column 10 (char 9)"),
    (["  [1] "], "JSONL row must be an object at {path}:1"),
    (["{}", "{"], "Invalid JSONL at {path}:2: Expecting property name enclosed in double quotes: "
                  "line 1 column 2 (char 1)"),
    (["\ufeff{}"],
     "Invalid JSONL at {path}:1: Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)"),
    (["", " ", "\t"], "No usable pair rows found in {path}"),
])
def test_qc_parse_errors(kit, tmp_path, lines, message):
    write_qc(kit, tmp_path, lines)
    assert error_of(load_qc_index, tmp_path) == message.format(path=qc_path(tmp_path))


def test_whole_file_is_parsed_before_rows_are_checked(kit, tmp_path):
    write_qc(kit, tmp_path, [{"pair_id": "bad"}, "not json"])
    assert error_of(load_qc_index, tmp_path).startswith(f"Invalid JSONL at {qc_path(tmp_path)}:2: Expecting value")


def test_row_number_counts_parsed_rows_not_physical_lines(kit, tmp_path):
    write_qc(kit, tmp_path, [kit.qc_row("buu_a", "young_male"), "", kit.qc_row(" buu_b", "young_male")])
    assert error_of(load_qc_index, tmp_path) == "Invalid source/edit/pair identity in QC manifest row 2"


@pytest.mark.parametrize("row", [
    {"pair_id": "buu_a__young_male", "edit_label": "young_male", "passed_qc": True},
    {"pair_id": "buu_a__young_male", "source_id": 5, "edit_label": "young_male", "passed_qc": True},
    {"pair_id": " __young_male", "source_id": " ", "edit_label": "young_male", "passed_qc": True},
    {"pair_id": "buu_a __young_male", "source_id": "buu_a ", "edit_label": "young_male", "passed_qc": True},
    {"pair_id": "buu_a__child", "source_id": "buu_a", "edit_label": "child", "passed_qc": True},
    {"pair_id": "buu_a__young_male", "source_id": "buu_a", "edit_label": ["young_male"], "passed_qc": True},
    {"pair_id": "buu_a_young_male", "source_id": "buu_a", "edit_label": "young_male", "passed_qc": True},
])
def test_identity_rule(kit, tmp_path, row):
    write_qc(kit, tmp_path, [row])
    assert error_of(load_qc_index, tmp_path) == "Invalid source/edit/pair identity in QC manifest row 1"


def test_duplicate_then_pass_flag(kit, tmp_path):
    row = kit.qc_row("buu_a", "young_male")
    write_qc(kit, tmp_path, [row, dict(row, passed_qc=False)])
    assert error_of(load_qc_index, tmp_path) == "Duplicate pair_id in QC manifest: buu_a__young_male"
    for flag in (False, 1, "true", None):
        write_qc(kit, tmp_path, [row, kit.qc_row("buu_b", "young_male", passed_qc=flag)])
        assert error_of(load_qc_index, tmp_path) == "Non-passing row in QC-passed manifest: buu_b__young_male"


def test_line_ends_are_only_lf_crlf_and_cr(kit, tmp_path):
    rows = [json.dumps(kit.qc_row(s, "young_male")) for s in ("buu_a", "buu_b", "buu_c")]
    kit.write_text(tmp_path / QC_MANIFEST, rows[0] + "\r\n" + rows[1] + "\r" + rows[2])
    assert len(load_qc_index(tmp_path)) == 3
    # U+2028 does not end a line for the scorer (unlike str.splitlines), so the line has extra data.
    kit.write_text(tmp_path / QC_MANIFEST, rows[0] + "\u2028" + rows[1])
    assert error_of(load_qc_index, tmp_path).startswith(f"Invalid JSONL at {qc_path(tmp_path)}:1: Extra data")


# --------------------------------------------------------------------------
# Scope derivation


def select(root, scope, submitted=()):
    return select_scope(root, scope, [], submitted)


def test_scope_sets(kit, bundle):
    assert select(bundle, "qc-passed").expected == frozenset(kit.all_pair_ids())
    assert select(bundle, "common-core-1000").expected == frozenset(kit.all_pair_ids(kit.CORE))
    assert len(select(bundle, "all-model-intersection-2166").expected) == 6
    assert select(bundle, "toy", ["buu_a__young_male"]).expected == {"buu_a__young_male"}


def test_files_read_are_hashed_pinned_or_not(bundle):
    digest = {rel: hashlib.sha256((bundle / rel).read_bytes()).hexdigest()
              for rel in (QC_MANIFEST, CORE_SOURCES, INTERSECTION)}
    toy = select(bundle, "toy", ["buu_a__young_male"])
    assert (toy.pinned_sha256, toy.files_sha256) == ({}, {QC_MANIFEST: digest[QC_MANIFEST]})
    pinned = select_scope(bundle, "all-model-intersection-2166", list(digest.items()), ())
    assert pinned.pinned_sha256 == digest
    assert pinned.files_sha256 == digest


def core_error(kit, root, payload) -> str:
    kit.write_json(root / CORE_SOURCES, payload)
    return error_of(select, root, "common-core-1000")


@pytest.mark.parametrize("payload, message", [
    ([], "Missing source_ids list in {path}"),
    ({"actual_n": 0}, "Missing source_ids list in {path}"),
    ({"source_ids": [], "actual_n": 0}, "Missing source_ids list in {path}"),
    ({"source_ids": "buu_a", "actual_n": 1}, "Missing source_ids list in {path}"),
    ({"source_ids": ["buu_a", 3], "actual_n": 2}, "Invalid source_id in {path}"),
    ({"source_ids": ["buu_a", " "], "actual_n": 2}, "Invalid source_id in {path}"),
    ({"source_ids": ["buu_a", "buu_b\n"], "actual_n": 2}, "Invalid source_id in {path}"),
    ({"source_ids": ["buu_a", "buu_a", 3], "actual_n": 3}, "Invalid source_id in {path}"),
    ({"source_ids": ["buu_a", "buu_a"], "actual_n": 2}, "Duplicate source_id in {path}"),
    ({"source_ids": ["buu_a"], "actual_n": 2}, "actual_n does not match 1 unique records in {path}"),
    ({"source_ids": ["buu_a"], "actual_n": 1.0}, "actual_n does not match 1 unique records in {path}"),
    ({"source_ids": ["buu_a"], "actual_n": True}, "actual_n does not match 1 unique records in {path}"),
    ({"source_ids": ["buu_a"]}, "actual_n does not match 1 unique records in {path}"),
    ({"source_ids": ["zz", "buu_a", "y1", "y2", "y3", "y4", "a0"], "actual_n": 7},
     "Common core contains source IDs absent from QC manifest: a0, y1, y2, y3, y4"),
])
def test_core_file_messages(kit, bundle, payload, message):
    assert core_error(kit, bundle, payload) == message.format(path=bundle / CORE_SOURCES)


def intersection_error(kit, root, payload) -> str:
    kit.write_json(root / INTERSECTION, payload)
    return error_of(select, root, "all-model-intersection-2166")


def record(pair_id, **overrides):
    source, edit = pair_id.split("__")
    return dict({"pair_id": pair_id, "source_id": source, "edit_label": edit}, **overrides)


@pytest.mark.parametrize("payload, message", [
    ({"pair_count": 0}, "Missing records list in {path}"),
    ({"records": [], "pair_count": 0}, "Missing records list in {path}"),
    ("records", "Missing records list in {path}"),
    ({"records": [record("buu_a__young_male"), []], "pair_count": 2}, "intersection record 2 must be an object"),
    ({"records": [record("buu_a__young_male", source_id=" buu_a")], "pair_count": 1},
     "Invalid source/edit/pair identity in intersection record 1"),
    ({"records": [record("buu_a__young_male"), record("buu_a__young_male")], "pair_count": 1},
     "Duplicate pair_id in intersection manifest: buu_a__young_male"),
    ({"records": [record("buu_a__young_male")], "pair_count": 2},
     "pair_count does not match 1 unique records in {path}"),
    ({"records": [record("buu_a__young_male")], "pair_count": True},
     "pair_count does not match 1 unique records in {path}"),
    ({"records": [record("buu_a__young_male")], "pair_count": 1.0},
     "pair_count does not match 1 unique records in {path}"),
    ({"records": [record("zz__young_male"), record("buu_x__young_male"), record("buu_a__young_male")],
      "pair_count": 3}, "All-model intersection contains pair IDs absent from QC manifest: buu_x__young_male, "
                        "zz__young_male"),
    ({"records": [record("vindr_d__young_male"), record("buu_a__young_male")], "pair_count": 2},
     "All-model intersection contains pair IDs outside the common core: vindr_d__young_male"),
])
def test_intersection_messages(kit, bundle, payload, message):
    assert intersection_error(kit, bundle, payload) == message.format(path=bundle / INTERSECTION)


def test_intersection_records_are_checked_before_the_core_file_is_read(kit, bundle):
    (bundle / CORE_SOURCES).unlink()
    message = intersection_error(kit, bundle, {"records": [record("buu_a__young_male")], "pair_count": 3})
    assert message == f"pair_count does not match 1 unique records in {bundle / INTERSECTION}"


def test_intersection_reads_core_list_checks_without_qc_absence(kit, bundle):
    kit.write_json(bundle / INTERSECTION, {"records": [record("buu_a__young_male")], "pair_count": 1})
    kit.write_json(bundle / CORE_SOURCES, {"source_ids": ["buu_a", "not_in_qc"], "actual_n": 2})
    assert select(bundle, "all-model-intersection-2166").expected == {"buu_a__young_male"}
    kit.write_json(bundle / CORE_SOURCES, {"source_ids": ["buu_a"], "actual_n": 3})
    assert error_of(select, bundle, "all-model-intersection-2166") == (
        f"actual_n does not match 1 unique records in {bundle / CORE_SOURCES}")


def test_toy_messages(bundle):
    assert error_of(select, bundle, "toy", []) == "Toy scope requires at least one submitted result"
    unknown = ["z", " buu_a__young_male", "buu_a__young_male", "a", "b", "c", "d"]
    assert error_of(select, bundle, "toy", unknown) == (
        "Toy submission contains unknown pair IDs:  buu_a__young_male, a, b, c, d")


def test_qc_index_is_checked_for_every_scope(kit, bundle):
    write_qc(kit, bundle, [kit.qc_row("buu_a", "young_male", passed_qc=False)])
    for scope in ("toy", "qc-passed", "common-core-1000", "all-model-intersection-2166"):
        assert error_of(select, bundle, scope, ["x"]) == "Non-passing row in QC-passed manifest: buu_a__young_male"


# --------------------------------------------------------------------------
# Pins


def test_pins_are_checked_in_order_before_anything_is_loaded(kit, bundle):
    good = hashlib.sha256((bundle / QC_MANIFEST).read_bytes()).hexdigest()
    pins = [(QC_MANIFEST, good.upper()), (CORE_SOURCES, "0" * 64), ("missing.json", "0" * 64)]
    assert verify_scope_pins(bundle, pins[:1]) == {QC_MANIFEST: good}
    assert error_of(verify_scope_pins, bundle, pins) == f"Frozen scope manifest SHA-256 mismatch: {CORE_SOURCES}"
    assert error_of(verify_scope_pins, bundle, pins[2:]) == "Cannot read frozen scope manifest: missing.json"
    assert error_of(verify_scope_pins, bundle, [("dataset", "0" * 64)]) == "Cannot read frozen scope manifest: dataset"
    # A broken QC manifest behind a failing pin is never read.
    write_qc(kit, bundle, ["not json"])
    assert error_of(select_scope, bundle, "common-core-1000", pins[1:], ()) == (
        f"Frozen scope manifest SHA-256 mismatch: {CORE_SOURCES}")


def test_missing_pinned_qc_manifest_reports_the_pin(bundle):
    os.remove(bundle / QC_MANIFEST)
    assert error_of(select_scope, bundle, "common-core-1000", [(QC_MANIFEST, "0" * 64)], ()) == (
        f"Cannot read frozen scope manifest: {QC_MANIFEST}")
