"""``inspect`` and ``dataset`` on the demo bundle, and one damaged copy per failure message."""

import os
import shutil

import pytest

from spinefairbench.commands.inventory import INSPECT_REQUIRED

PANELS = "artifacts/Results/final_inputs/panels"


def test_inspect_passes(run, demo_bundle):
    result = run("inspect", "--artifacts", demo_bundle)
    assert result.status == 0, result.err
    assert result.lines[0].startswith("Package inventory: required files present")
    assert result.lines[1] == f"Artifact root: {demo_bundle}"
    assert result.lines[14] == "Locked prompt file: prompts/canonical_definitions.json"
    assert result.lines[16].startswith("System: ") and result.lines[17].startswith("Primary: ")


@pytest.mark.parametrize("rel", [INSPECT_REQUIRED[0], INSPECT_REQUIRED[11], INSPECT_REQUIRED[-1],
                                 f"{PANELS}/full_pipeline_mitigation_retained/evaluation_results.json"])
def test_inspect_missing_file(run, bundle, edit, rel):
    os.remove(bundle / rel)
    edit.fails(run("inspect", "--artifacts", bundle), f"Missing required artifact: {rel}")


def test_inspect_missing_prompts(run, bundle, edit):
    edit.json(bundle / INSPECT_REQUIRED[11], lambda d: d["prompt_registry"].pop("primary"))
    edit.fails(run("inspect", "--artifacts", bundle),
               "Locked canonical prompt registry is missing system/primary prompts")


def test_inspect_malformed_frozen_file_is_one_line(run, bundle):
    (bundle / INSPECT_REQUIRED[11]).write_text("{", encoding="utf-8")
    result = run("inspect", "--artifacts", bundle)
    assert result.status == 1 and result.err.count("\n") == 1
    assert result.err.startswith(f"{INSPECT_REQUIRED[11]}:1:2: invalid JSON")


def test_dataset_passes(run, demo_bundle):
    result = run("dataset", "--artifacts", demo_bundle)
    assert result.status == 0, result.err
    assert result.lines[0] == "Counterfactual image root: dataset/counterfactual_images"
    assert result.lines[-1] == ("Dataset release inspection: OK (unique pairs, QC membership, source mappings, "
                                "PNG paths and sizes)")


def set_in_both(bundle, edit, change):
    """Apply the same change to one passed pair's row in the QC metadata and in the passed manifest."""
    manifest = bundle / "dataset" / "qc_passed_pair_manifest.jsonl"
    pair_id = __import__("json").loads(manifest.read_text(encoding="utf-8").splitlines()[0])["pair_id"]
    for name in ("qc_metadata.jsonl", "qc_passed_pair_manifest.jsonl"):
        edit.jsonl(bundle / "dataset" / name, lambda rows: change(next(r for r in rows if r["pair_id"] == pair_id)))


def test_dataset_blank_line(run, bundle, edit):
    path = bundle / "dataset/qc_passed_pair_manifest.jsonl"
    path.write_text("\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    edit.fails(run("dataset", "--artifacts", bundle),
               "Invalid JSON in qc_passed_pair_manifest.jsonl line 1: Expecting value")


def test_dataset_duplicate_pair(run, bundle, edit):
    edit.jsonl(bundle / "dataset/qc_metadata.jsonl", lambda rows: rows.append(rows[0]))
    rows = (bundle / "dataset/qc_metadata.jsonl").read_text().splitlines()
    import json
    edit.fails(run("dataset", "--artifacts", bundle), f"Duplicate pair_id in QC metadata: {json.loads(rows[0])['pair_id']}")


def test_dataset_invalid_pair_id(run, bundle, edit):
    edit.jsonl(bundle / "dataset/qc_passed_pair_manifest.jsonl", lambda rows: rows[1].update(pair_id=""))
    edit.fails(run("dataset", "--artifacts", bundle), "Invalid pair_id in QC-passed manifest row 2")


def test_dataset_identity(run, bundle, edit):
    captured = {}

    def change(rows):
        rows[0]["passed_qc"] = 1
        captured["id"] = rows[0]["pair_id"]
    edit.jsonl(bundle / "dataset/qc_metadata.jsonl", change)
    edit.fails(run("dataset", "--artifacts", bundle), f"Invalid QC pair identity or pass flag: {captured['id']}")


def test_dataset_manifest_not_equal(run, bundle, edit):
    edit.jsonl(bundle / "dataset/qc_passed_pair_manifest.jsonl", lambda rows: rows[0].update(ssim=0.123456))
    edit.fails(run("dataset", "--artifacts", bundle), "QC-passed manifest does not equal the passed rows in QC metadata")


def test_dataset_image_path_missing(run, bundle, edit):
    captured = {}

    def change(row):
        row.pop("counterfactual_image_path")
        captured["id"] = row["pair_id"]
    set_in_both(bundle, edit, change)
    edit.fails(run("dataset", "--artifacts", bundle), f"Missing released image path: {captured['id']}")


def test_dataset_image_path_wrong(run, bundle, edit):
    captured = {}

    def change(row):
        row["counterfactual_image_path"] = row["counterfactual_image_path"].replace(".png", ".PNG")
        captured["id"] = row["pair_id"]
    set_in_both(bundle, edit, change)
    edit.fails(run("dataset", "--artifacts", bundle), f"Image path does not match pair identity: {captured['id']}")


def test_dataset_image_size(run, bundle, edit):
    captured = {}

    def change(row):
        row["counterfactual_image_size_bytes"] += 1
        captured["path"] = row["counterfactual_image_path"]
    set_in_both(bundle, edit, change)
    edit.fails(run("dataset", "--artifacts", bundle), f"Released image missing or size mismatch: {captured['path']}")


def test_dataset_extra_png(run, bundle, edit):
    (bundle / "dataset" / "stray.png").write_bytes(b"x")
    edit.fails(run("dataset", "--artifacts", bundle), "Released PNG membership differs from QC-passed manifest")


def test_dataset_png_symlink_escape(run, bundle, edit, tmp_path):
    captured = {}

    def change(row):
        captured["path"] = row["counterfactual_image_path"]
    set_in_both(bundle, edit, change)
    target = bundle / captured["path"]
    outside = tmp_path / "outside.png"
    shutil.copy(target, outside)
    target.unlink()
    target.symlink_to(outside)
    edit.fails(run("dataset", "--artifacts", bundle), f"Release path escapes its root: {captured['path']!r}")


@pytest.mark.parametrize("rel", ["dataset/pairs.json", "dataset/source_metadata.json"])
def test_dataset_source_files(run, bundle, edit, rel):
    edit.json(bundle / rel, lambda rows: rows.append(rows[0]))
    first = __import__("json").loads((bundle / rel).read_text())[0]["source_id"]
    edit.fails(run("dataset", "--artifacts", bundle), f"Duplicate source_id in {rel}: {first}")


def test_dataset_source_membership(run, bundle, edit):
    edit.json(bundle / "dataset/source_metadata.json", lambda rows: rows.pop(0))
    edit.fails(run("dataset", "--artifacts", bundle),
               "Source membership differs from QC-passed manifest: dataset/source_metadata.json")


def test_dataset_source_mapping(run, bundle, edit):
    captured = {}

    def change(rows):
        rows[0]["qc_passed_counterfactuals"] = []
        captured["id"] = rows[0]["source_id"]
    edit.json(bundle / "dataset/pairs.json", change)
    edit.fails(run("dataset", "--artifacts", bundle),
               f"Source image mapping mismatch: dataset/pairs.json: {captured['id']}")


@pytest.mark.parametrize("field, message", [
    ("pair_manifests.source_level_rows", "Source count differs from release manifest"),
    ("counterfactual_images.included_png_count", "Unexpected released PNG count: {n} != {m}"),
    ("pair_manifests.qc_passed_pair_rows", "Unexpected QC-passed manifest row count: {n} != {m}"),
    ("pair_manifests.attempted_qc_rows", "Unexpected QC metadata row count: {n} != {m}"),
])
def test_dataset_counts(run, bundle, edit, field, message):
    section, key = field.split(".")
    captured = {}

    def change(manifest):
        captured["n"] = manifest[section][key]
        manifest[section][key] += 1
        captured["m"] = manifest[section][key]
    edit.json(bundle / "dataset/release_manifest.json", change)
    result = run("dataset", "--artifacts", bundle)
    edit.fails(result, message.format(**captured))
    if "Unexpected" in message:
        assert len(result.lines) == 6  # the facts are printed before the count checks


def test_dataset_missing_manifest_field_is_one_line(run, bundle, edit):
    edit.json(bundle / "dataset/release_manifest.json", lambda m: m["pair_manifests"].pop("attempted_qc_rows"))
    edit.fails(run("dataset", "--artifacts", bundle),
               "dataset/release_manifest.json: pair_manifests.attempted_qc_rows: missing field")
