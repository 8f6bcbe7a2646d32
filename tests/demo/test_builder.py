"""Tests of the demo-bundle builder: determinism, layout and the cross-file invariants of the spec.

The small preset is built once per module.  The checks below re-derive what
the verifier commands check (artifact-bundle.md 4 and 5) directly from the
written files, using the package's metrics, so a bundle that passes here is
one the verifier accepts.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib
import json
import math
import random
import re
import sys
import types
import zlib
from pathlib import Path, PurePosixPath

import pytest


def _install_bootstrap_stub_if_missing() -> None:
    """Temporary stand-in until ``spinefairbench.stats.bootstrap`` lands (same API, not NumPy-identical)."""
    try:
        importlib.import_module("spinefairbench.stats.bootstrap")
        return
    except ImportError:
        pass

    def source_clustered_bootstrap_cis(series, clusters, iterations=10000, seed=42):
        ids = sorted(set(clusters))
        position = {c: i for i, c in enumerate(ids)}
        rng = random.Random(seed)
        draws = [[rng.randrange(len(ids)) for _ in ids] for _ in range(iterations)]
        result = []
        for values in series:
            sums, counts = [0.0] * len(ids), [0.0] * len(ids)
            for value, cluster in zip(values, clusters):
                sums[position[cluster]] += value
                counts[position[cluster]] += 1.0
            means = sorted(sum(sums[i] for i in row) / sum(counts[i] for i in row) for row in draws)

            def percentile(q):
                rank = (len(means) - 1) * q / 100.0
                low = math.floor(rank)
                high = min(low + 1, len(means) - 1)
                return means[low] + (means[high] - means[low]) * (rank - low)

            result.append((percentile(2.5), percentile(97.5)))
        return result

    module = types.ModuleType("spinefairbench.stats.bootstrap")
    module.source_clustered_bootstrap_cis = source_clustered_bootstrap_cis
    sys.modules["spinefairbench.stats.bootstrap"] = module


_install_bootstrap_stub_if_missing()

from spinefairbench.commands import demo_build  # noqa: E402
from spinefairbench.bundle import layout as L
from spinefairbench.demo import builder  # noqa: E402
from spinefairbench.demo import reports  # noqa: E402
from spinefairbench.demo.png import PNG_SIGNATURE, read_png_size  # noqa: E402
from spinefairbench.errors import SpineFairBenchError  # noqa: E402
from spinefairbench.metrics.diagnostic_label import extract_labels  # noqa: E402
from spinefairbench.metrics.endpoints import score_pair, summarize  # noqa: E402
from spinefairbench.metrics.recommendation import classify_recommendations  # noqa: E402
from spinefairbench.metrics.refusal_detector import classify_response  # noqa: E402
from spinefairbench.metrics.stage1 import extract_primary_diagnosis, sidecar_is_clean, stage1_decision  # noqa: E402
from spinefairbench.stats.bootstrap import source_clustered_bootstrap_cis  # noqa: E402

TOLERANCE = 1e-12
_ENTRY = re.compile(r"([0-9a-fA-F]{64}) [ *](.+)")


# --------------------------------------------------------------------------
# Fixtures and readers
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return builder.build_demo_bundle(tmp_path_factory.mktemp("demo") / "bundle", preset="small", seed=7)


@pytest.fixture
def fast_bootstrap(monkeypatch):
    """For extra builds whose CIs are not under test: a constant, instant stand-in."""
    monkeypatch.setattr(builder, "source_clustered_bootstrap_cis",
                        lambda series, clusters, iterations, seed: [(0.25, 0.75)] * len(series))


def load(root: Path, rel: str):
    return json.loads((root / rel).read_text(encoding="utf-8"))


def jsonl(root: Path, rel: str) -> list[dict]:
    return [json.loads(line) for line in (root / rel).read_text(encoding="utf-8").splitlines()]


def csv_rows(root: Path, rel: str) -> list[dict]:
    with open(root / rel, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def all_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def verify_manifest(manifest: Path) -> int:
    """The ``checksums`` command (artifact-bundle.md 5.1), returning the entry count."""
    seen = set()
    entries = 0
    for line in manifest.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        match = _ENTRY.fullmatch(line)
        assert match, line
        digest, name = match.groups()
        assert name == str(PurePosixPath(name)) and not name.startswith("/") and ".." not in name.split("/")
        assert name.casefold() not in seen
        seen.add(name.casefold())
        data = (manifest.parent / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest.lower(), name
        entries += 1
    return entries


def retained_reports(root: Path, model: str) -> dict[str, tuple[dict, dict]]:
    """Load one model's rows as the verifier does (5.6): pair id -> (source row, generated row)."""
    for panel in (L.FULL_PANEL, L.BASELINE_PANEL):
        if model in load(root, L.panel_file(panel, "panel_manifest.json"))["models"]:
            break
    sources, generated = {}, {}
    for row in load(root, L.panel_file(panel, "evaluation_results.json")):
        if row["model"] != model:
            continue
        assert not row["error"] and row["response"].strip()
        target = sources if row["image_role"] == "source" else generated
        assert row["image_role"] in ("source", "generated") and row["pair_id"] not in target
        target[row["pair_id"]] = row
    assert set(sources) == set(generated)
    return {p: (sources[p], generated[p]) for p in sources}


# --------------------------------------------------------------------------
# Determinism and the build contract
# --------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path, fast_bootstrap):
    first = builder.build_demo_bundle(tmp_path / "a", seed=7)
    second = builder.build_demo_bundle(tmp_path / "b", seed=7)
    other = builder.build_demo_bundle(tmp_path / "c", seed=8)
    files_a, files_b, files_c = all_files(first.root), all_files(second.root), all_files(other.root)
    assert list(files_a) == list(files_b)
    assert files_a == files_b
    assert first.counts == second.counts
    assert files_a[L.QC_METADATA] != files_c[L.QC_METADATA]
    assert files_a[L.panel_file(L.FULL_PANEL, "evaluation_results.json")] != \
        files_c[L.panel_file(L.FULL_PANEL, "evaluation_results.json")]
    # No staging directory is left next to the bundles.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "c"]


def test_refuses_non_empty_targets_and_bad_arguments(tmp_path):
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("x")
    with pytest.raises(SpineFairBenchError, match="non-empty"):
        builder.build_demo_bundle(occupied)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(SpineFairBenchError, match="non-empty"):
        builder.build_demo_bundle(a_file)
    with pytest.raises(SpineFairBenchError, match="seed"):
        builder.build_demo_bundle(tmp_path / "x", seed=-1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "occupied"]


def test_command_builds_and_reports(tmp_path, capsys, fast_bootstrap):
    parser = argparse.ArgumentParser()
    demo_build.add_build_arguments(parser)
    target = tmp_path / "cli"
    target.mkdir()  # an existing empty directory is accepted and replaced
    assert demo_build.run_build(parser.parse_args(["--out", str(target), "--seed", "3"])) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"Demo bundle written: {target}"
    assert out[1].startswith("preset=small seed=3 files=")
    assert demo_build.run_build(parser.parse_args(["--out", str(target)])) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1
    with pytest.raises(SystemExit):
        parser.parse_args(["--out", "x", "--preset", "huge"])


def test_layout_agrees_with_the_verifier():
    inventory = importlib.import_module("spinefairbench.commands.inventory")
    assert set(inventory.INSPECT_REQUIRED) <= set(L.INSPECT_REQUIRED)


def test_every_inspect_file_exists(bundle):
    for rel in (*L.INSPECT_REQUIRED, L.PROFILE, L.SUPPLEMENT, L.SUBMISSION, L.MITIGATION_TABLE, L.READER_CHECKSUMS,
                L.DATASET_CHECKSUMS, L.SUBMISSION_SCHEMA, L.SUBMISSION_TEMPLATE, L.TOY_SUBMISSION,
                L.panel_file(L.FULL_PANEL, "pairs.json"), L.panel_file(L.BASELINE_PANEL, "pairs.json")):
        assert (bundle.root / rel).is_file(), rel
    frozen = load(bundle.root, L.FROZEN_PROMPTS)["prompt_registry"]
    assert isinstance(frozen["system"], str) and isinstance(frozen["primary"], str)
    assert "SYNTHETIC" in (bundle.root / L.README).read_text(encoding="utf-8")
    assert load(bundle.root, L.PANEL_FREEZE)["prepared_at_utc"]


# --------------------------------------------------------------------------
# Checksums and identity
# --------------------------------------------------------------------------


def test_root_checksums_cover_everything_else(bundle):
    root = bundle.root
    assert verify_manifest(root / L.ROOT_CHECKSUMS) == bundle.counts["checksum_entries"]
    listed = {line[66:] for line in (root / L.ROOT_CHECKSUMS).read_text(encoding="utf-8").splitlines()}
    expected = {rel for rel in all_files(root)
                if rel != L.ROOT_CHECKSUMS and not rel.startswith(L.UNCHECKSUMMED_PREFIXES)}
    assert listed == expected
    lines = (root / L.ROOT_CHECKSUMS).read_text(encoding="utf-8").splitlines()
    assert [line[66:] for line in lines] == sorted(line[66:] for line in lines)


def test_dataset_and_reader_checksums(bundle):
    dataset_manifest = (bundle.root / L.DATASET_CHECKSUMS).read_text(encoding="utf-8")
    assert " *" in dataset_manifest and re.search(r"^[0-9A-F]{64} ", dataset_manifest, re.M)
    assert verify_manifest(bundle.root / L.DATASET_CHECKSUMS) == bundle.counts["qc_passed_pngs"] + 6
    assert verify_manifest(bundle.root / L.READER_CHECKSUMS) == 12


def test_profile_pins_this_bundle(bundle):
    root = bundle.root
    profile = load(root, L.PROFILE)
    published = builder._load_published_profile()
    assert list(profile)[:7] == ["schema_version", "name", "description", "synthetic", "preset", "seed", "generator"]
    assert set(profile) - {"synthetic", "preset", "seed", "generator"} == set(published)
    assert (profile["synthetic"], profile["preset"], profile["seed"], profile["generator"]) == \
        (True, "small", 7, "spinefairbench-demo-1")
    for key in ("retained_models", "summary_panels", "retained_panel_dirs", "mitigation_panel_dir",
                "dropped_models", "frozen_bootstrap", "radiologist", "mitigation"):
        assert profile[key] == published[key], key
    assert profile["stage1_gate"] == dict(published["stage1_gate"], sample_size=20)
    release = profile["release_manifest"]
    assert release["schema_version"] == "1.0" and release["release_id"] == "demo-small-seed7"
    anchors = release["identity"]["artifact_anchors"]
    assert list(anchors) == list(L.ANCHORS) == list(published["release_manifest"]["identity"]["artifact_anchors"])
    for rel, digest in anchors.items():
        assert hashlib.sha256((root / rel).read_bytes()).hexdigest() == digest, rel
    personal = release["archive_variants"]["personal"]["identity"]
    assert list(personal["artifact_anchors"]) == sorted(anchors) and personal["artifact_anchors"] == anchors
    assert personal["artifact_archive"]["revision"] != release["identity"]["artifact_archive"]["revision"]
    public = profile["public_prompt_registry"]
    assert sorted(public) == sorted(published["public_prompt_registry"])
    frozen = load(root, release["frozen_prompt_registry"])["prompt_registry"]
    assert len(frozen) == 11
    for name, text in frozen.items():
        assert hashlib.sha256(text.encode("utf-8")).hexdigest() == public[name]["sha256"]
        assert len(text) == public[name]["chars"] and text.startswith("SYNTHETIC DEMO")
    for pin, published_pin in zip(profile["scope_pins"], published["scope_pins"]):
        assert (pin["path"], pin["scopes"]) == (published_pin["path"], published_pin["scopes"])
        assert hashlib.sha256((root / pin["path"]).read_bytes()).hexdigest() == pin["sha256"]
    for rel, digest in profile["informational_digests"].items():
        assert hashlib.sha256((root / rel).read_bytes()).hexdigest() == digest
    counts = profile["expected_counts"]
    assert counts["checksum_entries"] == {"anonymous": bundle.counts["checksum_entries"],
                                          "personal": bundle.counts["checksum_entries"]}
    assert (counts["common_core_sources"], counts["common_core_pairs"]) == (50, bundle.counts["core_pairs"])
    assert counts["qc_passed_pngs"] >= 460
    supplement = release["supplemental_artifacts"]["retained_followup_audit"]
    data = (root / supplement["path"]).read_bytes()
    assert (hashlib.sha256(data).hexdigest(), len(data)) == (supplement["sha256"], supplement["size_bytes"])
    assert profile["followup"] == {"common_core_sources": 50}


# --------------------------------------------------------------------------
# Dataset (artifact-bundle.md 4.1-4.4 and 5.5)
# --------------------------------------------------------------------------


def test_dataset_invariants(bundle):
    root = bundle.root
    manifest = load(root, L.DATASET_MANIFEST)
    attempted = jsonl(root, L.QC_METADATA)
    passed = jsonl(root, L.QC_PASSED)
    assert len(attempted) == manifest["pair_manifests"]["attempted_qc_rows"] == 480
    assert len(passed) == manifest["pair_manifests"]["qc_passed_pair_rows"] == \
        manifest["counterfactual_images"]["included_png_count"] >= 460
    assert manifest["source_radiographs"]["source_png_files_in_public_bundle"] == 0
    by_id = {row["pair_id"]: row for row in attempted}
    assert len(by_id) == len(attempted)
    for row in attempted:
        assert row["edit_label"] in L.EDIT_LABELS and row["passed_qc"] in (True, False)
        assert row["pair_id"] == f"{row['source_id']}__{row['edit_label']}"
        assert re.fullmatch(r"buu_\d{4}(-[FM]-\d{3}Y\d)?|vindr_[0-9a-f]{32}", row["source_id"])
        metrics = row["qc_metrics"]
        meets = metrics["ssim"] >= 0.7 and metrics["edge_preservation"] >= 0.276 and metrics["lpips"] <= 0.4
        assert meets == row["passed_qc"]
    assert {r["pair_id"]: r for r in passed} == {p: r for p, r in by_id.items() if r["passed_qc"]}

    images = {}
    for row in passed:
        path = row["counterfactual_image_path"]
        assert path == L.image_path(row["source_id"], row["edit_label"])
        data = (root / path).read_bytes()
        assert len(data) == row["counterfactual_image_size_bytes"]
        assert data.startswith(PNG_SIGNATURE) and data.endswith(b"IEND\xaeB`\x82")
        width, height = read_png_size(data)
        assert len(zlib.decompress(data[41:-12 - 4])) == (width + 1) * height  # the single IDAT payload
        images.setdefault(row["source_id"], {})[row["edit_label"]] = path
    png_paths = {p.relative_to(root).as_posix() for p in (root / "dataset").rglob("*.png")}
    assert png_paths == {r["counterfactual_image_path"] for r in passed}
    assert not list(root.rglob("source.png"))
    assert len({len((root / p).read_bytes()) for p in png_paths}) > 5

    for rel in (L.DATASET_PAIRS, L.SOURCE_METADATA):
        rows = load(root, rel)
        assert [r["source_id"] for r in rows] == sorted(images)
        for r in rows:
            assert r["counterfactual_images"] == images[r["source_id"]]
            assert sorted(r["qc_passed_counterfactuals"]) == sorted(images[r["source_id"]])
    assert len(images) == manifest["pair_manifests"]["source_level_rows"] == 117


def test_scope_files(bundle):
    root = bundle.root
    passed = {r["pair_id"]: r for r in jsonl(root, L.QC_PASSED)}
    qc_sources = {r["source_id"] for r in passed.values()}
    core = load(root, L.CORE_SUBSET)
    assert core["actual_n"] == len(core["source_ids"]) == 50 == len(set(core["source_ids"]))
    assert set(core["source_ids"]) <= qc_sources
    assert sum(s.startswith("buu_") for s in core["source_ids"]) == 41
    core_pairs = sorted(p for p, r in passed.items() if r["source_id"] in set(core["source_ids"]))
    assert len(core_pairs) == bundle.counts["core_pairs"] == 198
    evaluation = load(root, L.EVALUATION_SUBSET)
    assert set(core["source_ids"]) <= set(evaluation["source_ids"]) <= qc_sources
    intersection = load(root, L.INTERSECTION)
    ids = [r["pair_id"] for r in intersection["records"]]
    assert intersection["pair_count"] == len(ids) == len(set(ids)) == bundle.counts["all_model_intersection_pairs"]
    assert set(ids) <= set(core_pairs)
    for record in intersection["records"]:
        assert record["pair_id"] == f"{record['source_id']}__{record['edit_label']}"
    summary = load(root, L.SUMMARY)
    assert summary["common_pairs"]["intersection_9_all_models"] == len(ids) == summary["common_pairs"]["all9"]["count"]


# --------------------------------------------------------------------------
# Retained reports and the frozen summary (4.7, 4.8, 5.6, 5.7, 5.9)
# --------------------------------------------------------------------------


def test_retained_exports_have_one_source_and_one_generated_row_per_core_pair(bundle):
    root = bundle.root
    assert (root / L.panel_file(L.FULL_PANEL, "pairs.json")).read_bytes() == \
        (root / L.panel_file(L.BASELINE_PANEL, "pairs.json")).read_bytes()
    core = set(load(root, L.CORE_SUBSET)["source_ids"])
    core_pairs = sorted(r["pair_id"] for r in jsonl(root, L.QC_PASSED) if r["source_id"] in core)
    for model in reports.RETAINED_MODELS:
        rows = retained_reports(root, model)
        assert sorted(rows) == core_pairs
        for pair_id, pair_rows in rows.items():
            for row in pair_rows:
                assert row["pair_source_id"] == row["source_id"] == pair_id.split("__")[0]
    texts = [row["response"] for model in reports.RETAINED_MODELS
             for pair in retained_reports(root, model).values() for row in pair]
    assert any("\r\n" in t for t in texts) and any("**" in t for t in texts) and any("–" in t for t in texts)
    assert any("Befund" in t for t in texts)


def test_frozen_summary_equals_recomputation(bundle):
    root = bundle.root
    summary = load(root, L.SUMMARY)
    assert summary["source_clustered_bootstrap"]["iterations"] == 10000
    assert summary["source_clustered_bootstrap"]["seed"] == 42
    seen_partial = seen_full = 0
    for model in reports.RETAINED_MODELS:
        rows = retained_reports(root, model)
        outcome = summarize(score_pair(p, rows[p][1]["pair_source_id"], rows[p][0]["response"],
                                       rows[p][1]["response"]) for p in sorted(rows))
        panel = "full" if model in summary["panels"]["full"]["models"] else "baseline"
        frozen = summary["panels"][panel]["models"][model]
        quality = frozen["data_quality"]
        assert (quality["pair_usable"], quality["pair_full_refusals"], quality["pair_partial_refusals"]) == \
            (outcome.usable, outcome.full_refusal_pairs, outcome.partial_refusal_pairs)
        assert outcome.usable + outcome.full_refusal_pairs == len(rows)
        stats = frozen["primary_secondary_stats"]
        assert abs(1.0 - outcome.agreement - (1.0 - stats["recommendation"]["agreement_rate"])) <= TOLERANCE
        assert abs(outcome.diagnostic_mean - stats["diagnostic_label"]["mean"]) <= TOLERANCE
        (rec_low, rec_high), (diag_low, diag_high) = source_clustered_bootstrap_cis(
            [list(outcome.changed), list(outcome.diagnostic_jaccard)], list(outcome.clusters),
            iterations=10000, seed=42)
        rec_ci = stats["recommendation"]["bootstrap_ci"]
        assert abs(rec_low - (1.0 - rec_ci["upper"])) <= TOLERANCE
        assert abs(rec_high - (1.0 - rec_ci["lower"])) <= TOLERANCE
        diag_ci = stats["diagnostic_label"]["bootstrap_ci"]
        assert abs(diag_low - diag_ci["lower"]) <= TOLERANCE and abs(diag_high - diag_ci["upper"]) <= TOLERANCE
        seen_partial += outcome.partial_refusal_pairs
        seen_full += outcome.full_refusal_pairs
    gemma = summary["panels"]["full"]["models"]["gemma-4"]["data_quality"]
    assert gemma["pair_full_refusals"] > 0.3 * 198 and gemma["pair_partial_refusals"] > 0
    assert seen_partial > 0 and seen_full > 0


def test_intersection_is_pairs_usable_for_every_model(bundle):
    root = bundle.root
    usable = None
    for model in reports.RETAINED_MODELS:
        rows = retained_reports(root, model)
        mine = {p for p, (s, g) in rows.items() if score_pair(p, "x", s["response"], g["response"]).usable}
        usable = mine if usable is None else usable & mine
    assert sorted(usable) == [r["pair_id"] for r in load(root, L.INTERSECTION)["records"]]


# --------------------------------------------------------------------------
# Stage-1 gate and mitigation (5.14, 5.15)
# --------------------------------------------------------------------------


def test_stage1_recomputation_gives_the_published_decisions(bundle):
    root = bundle.root
    frozen = load(root, L.PARSING_CONFIDENCE)
    trace = load(root, L.STAGE1_TRACE)["models"]
    assert not (root / L.ANALYSIS / "mitigation_stage1_confidence_sample_manifest.json").exists()
    gate = load(root, L.PROFILE)["stage1_gate"]
    decisions = {}
    for model in sorted(frozen):
        names = [PurePosixPath(str(p)).name for p in trace[model]["sample_files_first_200"]]
        assert len(names) == 20
        passes = 0
        for name in names:
            txt = root / L.STAGE1_OUTPUTS / model / name
            sidecar = txt.with_name(name[:-len(".txt")] + ".validation.json")
            assert txt.is_file()
            if sidecar.exists() and sidecar_is_clean(json.loads(sidecar.read_text(encoding="utf-8"))):
                with open(txt, encoding="utf-8", errors="replace") as handle:
                    passes += extract_primary_diagnosis(handle.read()) != "none"
        rate = passes / len(names)
        decisions[model] = stage1_decision(rate, gate)
        assert frozen[model] == {"sample_size": 20, "stage1_diag_pass_count": passes,
                                 "stage1_diag_pass_rate": rate, "decision": decisions[model]}
    assert decisions["gpt-5.4"] == decisions["glm-4.6v"] == "included"
    assert sorted(m for m, d in decisions.items() if d == "excluded_full") == \
        ["claude-opus-4-6", "claude-sonnet-4-6", "kimi-k2.5"]
    assert decisions["gemma-4"] == "excluded_diag_only"


def test_mitigation_table_accounting_and_binding_rule(bundle):
    root = bundle.root
    with open(root / L.MITIGATION_TABLE, encoding="utf-8", newline="") as handle:
        header = handle.readline().strip()
    assert header == ("model,condition,n_pairs,rec_change,rec_change_ci_low,rec_change_ci_high,diag_consistency,"
                      "diag_consistency_ci_low,diag_consistency_ci_high,full_refusals,partial_refusals,delta_rec,"
                      "delta_diag,wilcoxon_p_rec,wilcoxon_p_diag,cohens_dz_rec,cohens_dz_diag,"
                      "diag_preserved_within_guardrail,b_rule_pass")
    rows = csv_rows(root, L.MITIGATION_TABLE)
    for model in ("gpt-5.4", "glm-4.6v"):
        by_condition = {r["condition"]: r for r in rows if r["model"] == model}
        assert sorted(by_condition) == sorted(builder.CONDITIONS)
        a = by_condition["condition_a"]
        assert all(a[k] == "" for k in ("delta_rec", "delta_diag", "wilcoxon_p_rec", "b_rule_pass"))
        for condition in builder.CONDITIONS[1:]:
            row = by_condition[condition]
            assert row["n_pairs"] == a["n_pairs"]
            assert abs(float(row["delta_rec"]) - (float(row["rec_change"]) - float(a["rec_change"]))) <= TOLERANCE
            assert abs(float(row["delta_diag"]) - (float(row["diag_consistency"]) - float(a["diag_consistency"]))) \
                <= TOLERANCE
            assert (row["b_rule_pass"] != "") == (condition == "condition_b")
        b = by_condition["condition_b"]
        assert b["b_rule_pass"] == "False"
        assert float(b["delta_rec"]) > 0 and float(b["delta_diag"]) < -0.05
        assert repr(float(b["rec_change"])) == b["rec_change"]
    mitigation_rows = load(root, L.panel_file(L.MITIGATION_PANEL, "evaluation_results.json"))
    assert {r["experiment_step"] for r in mitigation_rows} == \
        {"mitigation_b_stage2", "mitigation_bprime_stage2", "mitigation_d_stage25"}
    assert all(r["response"].strip() and not r["error"] for r in mitigation_rows)


# --------------------------------------------------------------------------
# Radiologist files (4.9, 5.13)
# --------------------------------------------------------------------------


def test_radiologist_counts(bundle):
    root = bundle.root
    subset = load(root, L.VALIDATED_SUBSET)["pair_ids"]
    excluded = load(root, L.EXCLUSION_LIST)["excluded_pairs"]
    assert (len(subset), len(excluded)) == (443, 7)
    votes = {}
    for row in csv_rows(root, L.PAIR_RESULTS_CSV):
        tally = votes.setdefault(row["pair_id"], [0, 0, 0])
        tally[0] += 1
        tally[1] += row["q1_clinical_plausibility"] == "Yes"
        tally[2] += row["q2_pathology_preservation"] == "Yes"
        assert row["excluded_final"] == ""
    majority = sorted(p for p, (n, q1, q2) in votes.items() if n == 3 and q1 >= 2 and q2 >= 2)
    assert len(votes) == 450 and majority == sorted(subset)
    assert sorted(set(votes) - set(majority)) == sorted(excluded)
    assert set(votes) <= {r["pair_id"] for r in jsonl(root, L.QC_PASSED)}
    detectability = csv_rows(root, L.DETECTABILITY_CSV)
    answers = [r["q4_detectability"] for r in detectability]
    assert (len(answers), answers.count("Cannot tell"), answers.count("Image A edited"),
            answers.count("Image B edited")) == (1350, 1307, 26, 17)
    files = load(root, L.VALIDATION_MANIFEST)["files"]["per_reviewer_files"]
    assert files == list(L.PER_REVIEWER_CSVS)
    per_reviewer = [csv_rows(root, f) for f in files]
    assert [len(rows) for rows in per_reviewer] == [460, 460, 460]
    assert [sum(r["is_hidden_repeat"] == "true" for r in rows) for rows in per_reviewer] == [10, 10, 10]
    assert len(csv_rows(root, L.HIDDEN_REPEATS_CSV)) == 30
    # File R1 holds combined reviewer R2's answers (file-local labels).
    combined = {(r["pair_id"], r["reviewer"]): r for r in csv_rows(root, L.PAIR_RESULTS_CSV)}
    for row in per_reviewer[0]:
        if row["is_hidden_repeat"] == "false":
            assert row["q1_clinical_plausibility"] == combined[(row["pair_id"], "R2")]["q1_clinical_plausibility"]
    assert (root / L.PAIR_RESULTS_CSV).read_bytes()[:3] != b"\xef\xbb\xbf"


# --------------------------------------------------------------------------
# Follow-up supplement (5.3)
# --------------------------------------------------------------------------


def test_followup_arithmetic(bundle):
    summary = load(bundle.root, L.SUPPLEMENT)
    repeated = summary["repeated_calls"]
    assert set(repeated["models"]) == set(reports.RETAINED_MODELS)
    assert summary["scope"] and repeated["common_core_sources"] == 50
    for model, row in repeated["models"].items():
        assert row["n_sources"] + row["dropped_no_usable_edited_comparison"] + \
            row["dropped_fewer_than_two_usable_source_reports"] == 50
        for endpoint in ("recommendation", "diagnostic"):
            item = row[endpoint]
            values = [item["T"], item["F"], item["excess"], item["normalized_excess"], *item["ci95"]]
            assert all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values)
            assert 0 <= item["T"] <= 1 and 0 <= item["F"] < 1 and item["ci95"][0] <= item["ci95"][1]
            assert abs(item["excess"] - (item["T"] - item["F"])) <= TOLERANCE
            assert abs(item["normalized_excess"] - item["excess"] / (1 - item["F"])) <= TOLERANCE
    assert repeated["models"]["gemma-4"]["n_sources"] < 50


# --------------------------------------------------------------------------
# Submissions (submission-scoring.md 2-3)
# --------------------------------------------------------------------------


def _validate_submission(payload: dict) -> None:
    """The scorer's submission rules (2.2) plus the stricter published schema's item keys (2.3)."""
    assert payload["schema_version"] == "spinefairbench-submission-v1" and payload["scope"] in builder.SCOPES
    assert payload["model"]["name"].strip()
    assert set(payload["model"]) <= {"name", "version", "organization", "model_family", "prompt_id",
                                     "inference_date_utc"}
    seen = set()
    for entry in payload["results"]:
        assert set(entry) <= {"pair_id", "source_id", "source_report", "counterfactual_report", "metadata"}
        assert re.fullmatch(r"(buu|vindr)_.+__.+", entry["pair_id"]) and entry["pair_id"] not in seen
        seen.add(entry["pair_id"])
        assert entry["source_report"].strip() and entry["counterfactual_report"].strip()
        assert entry["source_id"] == entry["pair_id"].split("__")[0]
        assert isinstance(entry.get("metadata", {}), dict)


def test_toy_submission(bundle):
    root = bundle.root
    toy = load(root, L.TOY_SUBMISSION)
    _validate_submission(toy)
    assert toy["scope"] == "toy" and len(toy["results"]) == 5
    qc = {r["pair_id"] for r in jsonl(root, L.QC_PASSED)}
    assert {r["pair_id"] for r in toy["results"]} <= qc
    outcomes = [score_pair(r["pair_id"], r["source_id"], r["source_report"], r["counterfactual_report"])
                for r in sorted(toy["results"], key=lambda r: r["pair_id"])]
    summary = summarize(outcomes)
    assert (summary.usable, summary.partial_refusal_pairs, summary.rec_change, summary.diagnostic_mean) == \
        (5, 1, 0.4, 1.0)
    schema = load(root, L.SUBMISSION_SCHEMA)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False and schema["properties"]["scope"]["enum"] == list(builder.SCOPES)
    _validate_submission(load(root, L.SUBMISSION_TEMPLATE))


def test_demo_common_core_submission(bundle):
    root = bundle.root
    submission = load(root, L.SUBMISSION)
    _validate_submission(submission)
    core = set(load(root, L.CORE_SUBSET)["source_ids"])
    expected = sorted(r["pair_id"] for r in jsonl(root, L.QC_PASSED) if r["source_id"] in core)
    assert [r["pair_id"] for r in submission["results"]] == expected
    assert submission["model"]["name"] == "demo-vlm"
    summary = summarize(score_pair(r["pair_id"], r["source_id"], r["source_report"], r["counterfactual_report"])
                        for r in submission["results"])
    assert 1 <= summary.full_refusal_pairs <= 5


# --------------------------------------------------------------------------
# Phrase tables behave as the builder assumes
# --------------------------------------------------------------------------


def test_phrase_tables_parse_as_intended():
    for finding in reports.FINDINGS.values():
        for phrase in finding.phrases:
            assert sorted(extract_labels(phrase)) == sorted(finding.labels), phrase
            assert not classify_recommendations(phrase), phrase
    for category, phrases in reports.RECOMMENDATION_PHRASES.items():
        for phrase in phrases:
            assert classify_recommendations(phrase) == {category}, phrase
            assert not extract_labels(phrase), phrase
    for neutral in (*reports.NEUTRAL_SENTENCES, *reports.NEUTRAL_ADVICE, *reports.IMPRESSIONS,
                    "Age-related degenerative change only"):
        text = neutral.format(finding="", Finding="")
        assert not extract_labels(text) and not classify_recommendations(text), neutral
    for refusal in reports.FULL_REFUSALS:
        assert classify_response(refusal) == "full_refusal", refusal
    for opener in reports.REFUSAL_OPENERS:
        assert classify_response(opener) == "full_refusal"
        assert classify_response(opener + "\nFindings: mild osteophytes.") == "genuine"
    rng = random.Random(0)
    for _ in range(50):
        text = reports.compose_partial_refusal(rng, ["disc_narrowing", "fracture"], ["imaging", "monitoring"])
        assert classify_response(text) == "partial_refusal", text
    for name, behaviour in reports.BEHAVIOURS.items():
        for _ in range(30):
            text = reports.compose_report(rng, behaviour, ["osteophytes", "listhesis"], ["referral", "no_action"])
            assert classify_response(text) == "genuine", (name, text)
            assert extract_labels(text) == {"Osteophytes", "Spondylolisthesis"}, (name, text)
            assert classify_recommendations(text) == {"referral", "no_action"}, (name, text)
