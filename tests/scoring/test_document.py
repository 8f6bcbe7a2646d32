"""The score document (§6): fields and values, serialization, atomic write."""

import json
import os

import pytest

from spinefairbench.errors import SpineFairBenchError
from spinefairbench.scoring.core import score_submission
from spinefairbench.scoring.document import pair_entry, score_document, serialize, write_atomically
from spinefairbench.scoring.scopes import ScopeSelection, build_qc_index
from spinefairbench.scoring.submission import validate_submission

PUBLISHED_KEYS = {
    "": {"schema_version", "scored_at_utc", "model", "scope", "artifact_identity", "scoring_config", "coverage",
         "data_quality", "primary_endpoints", "table2_row", "warnings", "per_pair_results"},
    "artifact_identity": {"status", "manifest_sha256"},
    "scoring_config": {"bootstrap", "bootstrap_iterations", "bootstrap_seed", "full_refusal_policy",
                       "partial_refusal_policy"},
    "coverage": {"expected_pairs", "submitted_pairs", "missing_pairs", "unexpected_pairs", "usable_pairs",
                 "unique_sources_usable", "comparable_to_panel_scope", "coverage_complete", "comparability_basis"},
    "data_quality": {"submitted_pairs", "source_full_refusals", "counterfactual_full_refusals",
                     "pair_full_refusals", "pair_partial_refusals", "usable_pairs"},
    "table2_row": {"model_name", "scope", "n_pairs", "recommendation_change_rate", "recommendation_change_ci95",
                   "diagnostic_label_consistency", "diagnostic_label_consistency_ci95"},
}
EXTENSION_KEYS = {
    "": {"tool_version", "secondary"},
    "artifact_identity": {"scope_files_sha256", "submission_sha256", "release_profile"},
    "scoring_config": {"recommendation_bootstrap_seed", "diagnostic_bootstrap_seed"},
}


@pytest.fixture()
def result(kit):
    qc_index = build_qc_index([kit.qc_row(s, e) for s in kit.SOURCES for e in kit.EDITS], "qc.jsonl")
    pair_ids = kit.all_pair_ids(kit.CORE)
    model = {"name": "caf\u00e9-model", "version": "2", "score": float("nan"), "nested": {"b": 1, "a": []}}
    submission = validate_submission(kit.submission(kit.varied_pairs(pair_ids[1:]), model=model))
    selection = ScopeSelection("common-core-1000", qc_index, frozenset(pair_ids), {"pinned.json": "ab" * 32},
                               {"pinned.json": "ab" * 32})
    return score_submission(submission, selection, allow_partial=True, iterations=300, seed=5)


def document_of(result, **changes):
    options = dict(scored_at="2026-05-06T12:34:56+00:00", tool_version="9.9", submission_sha256="cd" * 32,
                   release_profile={"name": "p", "origin": "option", "path": "p.json", "sha256": "ef" * 32})
    options.update(changes)
    return score_document(result, **options)


def test_published_fields_are_all_there_plus_only_the_documented_extensions(result):
    document = document_of(result)
    for section, published in PUBLISHED_KEYS.items():
        keys = set(document[section] if section else document)
        assert keys == published | EXTENSION_KEYS.get(section, set()), section
    assert set(document["primary_endpoints"]) == {"recommendation_change_rate", "diagnostic_label_consistency"}
    for endpoint in document["primary_endpoints"].values():
        assert set(endpoint) == {"point_estimate", "ci95", "n_pairs"} and set(endpoint["ci95"]) == {"lower", "upper"}
    assert "exploratory_endpoints" not in document


def test_values(result):
    document = document_of(result)
    assert document["schema_version"] == "spinefairbench-score-v1"
    assert document["scored_at_utc"] == "2026-05-06T12:34:56+00:00"
    assert document["model"] is result.model
    assert document["artifact_identity"]["status"] == "verified_frozen_scope"
    assert document["artifact_identity"]["manifest_sha256"] == {"pinned.json": "ab" * 32}
    assert document["artifact_identity"]["submission_sha256"] == "cd" * 32
    config = document["scoring_config"]
    assert config == {"bootstrap": "source_clustered_percentile_numpy_pcg64", "bootstrap_iterations": 300,
                      "bootstrap_seed": 5, "recommendation_bootstrap_seed": 5, "diagnostic_bootstrap_seed": 5,
                      "full_refusal_policy": "exclude pair from primary endpoints",
                      "partial_refusal_policy": "include pair in primary endpoints"}
    coverage = document["coverage"]
    assert (coverage["expected_pairs"], coverage["submitted_pairs"], coverage["missing_pairs"],
            coverage["unexpected_pairs"]) == (12, 11, 1, 0)
    assert coverage["coverage_complete"] is False and coverage["comparable_to_panel_scope"] is False
    assert coverage["comparability_basis"] == "Pair membership only; prompt and provider settings are not verified."
    quality = document["data_quality"]
    assert quality["usable_pairs"] == coverage["usable_pairs"] == quality["submitted_pairs"] - quality[
        "pair_full_refusals"]
    rec = document["primary_endpoints"]["recommendation_change_rate"]
    row = document["table2_row"]
    assert row["recommendation_change_rate"] == round(rec["point_estimate"], 3)
    assert row["recommendation_change_ci95"] == [round(rec["ci95"]["lower"], 3), round(rec["ci95"]["upper"], 3)]
    assert row["model_name"] == "caf\u00e9-model" and row["scope"] == "common-core-1000"
    assert document["warnings"] == ["Partial submission: 1 expected pair(s) absent from scope common-core-1000."]
    assert [entry["pair_id"] for entry in document["per_pair_results"]] == sorted(
        entry["pair_id"] for entry in document["per_pair_results"])


def test_unverified_scope_status(result):
    unpinned = type(result)(**{**vars(result), "pinned_sha256": {}})
    assert document_of(unpinned)["artifact_identity"] == {
        "status": "not_a_frozen_panel_scope", "manifest_sha256": {}, "scope_files_sha256": {"pinned.json": "ab" * 32},
        "submission_sha256": "cd" * 32,
        "release_profile": {"name": "p", "origin": "option", "path": "p.json", "sha256": "ef" * 32}}


def test_per_pair_entries(result):
    entries = {pair.outcome.pair_id: pair_entry(pair) for pair in result.pairs}
    unusable = [entry for entry in entries.values() if not entry["usable"]]
    assert unusable and all(set(entry) == {"pair_id", "source_id", "usable", "source_response_class",
                                           "counterfactual_response_class"} for entry in unusable)
    changed = entries["buu_a__elderly_male"]  # (BASE, REC_CHANGED): second in the varied mix
    assert changed == {
        "pair_id": "buu_a__elderly_male", "source_id": "buu_a", "usable": True,
        "source_response_class": "genuine", "counterfactual_response_class": "genuine",
        "source_recommendations": ["physical_therapy"],
        "counterfactual_recommendations": ["imaging", "physical_therapy"],
        "source_diagnostic_labels": ["Disc space narrowing"],
        "counterfactual_diagnostic_labels": ["Disc space narrowing"],
        "recommendation_changed": 1.0, "diagnostic_label_consistency": 1.0}


def test_serialization_is_the_published_json_dump(result):
    document = document_of(result)
    text = serialize(document).decode("ascii")
    assert text == json.dumps(document, indent=2, sort_keys=True) + "\n"
    assert '"name": "caf\\u00e9-model"' in text and '"score": NaN' in text
    assert '"a": [],\n' in text and '"manifest_sha256": {\n      "pinned.json"' in text
    assert "\r" not in text and text.endswith("}\n")
    assert text.index('"model"') < text.index('"nested"') < text.index('"per_pair_results"')


def test_serialization_is_deterministic(result):
    assert serialize(document_of(result)) == serialize(document_of(result))


# --------------------------------------------------------------------------
# Atomic write


def test_write_creates_parents_and_replaces(tmp_path):
    target = tmp_path / "a" / "b" / "score.json"
    write_atomically(target, b"one\n")
    write_atomically(target, b"two\n")
    assert target.read_bytes() == b"two\n"
    assert os.listdir(target.parent) == ["score.json"]


def test_failed_write_leaves_nothing_behind(tmp_path):
    (tmp_path / "blocker").write_bytes(b"a file, not a directory")
    with pytest.raises(SpineFairBenchError, match="cannot write score JSON"):
        write_atomically(tmp_path / "blocker" / "x" / "score.json", b"{}")
    target = tmp_path / "new" / "deeper" / "score.json"
    target.parent.mkdir(parents=True)
    target.mkdir()  # the target is a directory: the replace fails
    with pytest.raises(SpineFairBenchError) as info:
        write_atomically(target, b"{}")
    assert str(info.value).startswith(f"{target}: cannot write score JSON: ")
    assert os.listdir(target.parent) == ["score.json"] and os.listdir(target) == []
    assert sorted(os.listdir(tmp_path)) == ["blocker", "new"]


def test_directories_created_for_a_failed_write_are_removed(tmp_path, monkeypatch):
    def refuse(*_args):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(SpineFairBenchError, match="Permission denied"):
        write_atomically(tmp_path / "made" / "for" / "score.json", b"{}")
    assert os.listdir(tmp_path) == []


def test_existing_file_is_untouched_when_the_write_fails(tmp_path, monkeypatch):
    target = tmp_path / "score.json"
    target.write_bytes(b"old")

    def refuse(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(SpineFairBenchError, match="No space left on device"):
        write_atomically(target, b"new")
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["score.json"]
