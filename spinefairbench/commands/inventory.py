"""``inspect`` (presence of every required file) and ``dataset`` (release-dataset integrity), contract §5.4-§5.5."""

from __future__ import annotations

from pathlib import Path

from spinefairbench.bundle import png
from spinefairbench.bundle.fields import dig
from spinefairbench.bundle.loaders import count_lines, load_json, load_json_object, parse_jsonl
from spinefairbench.bundle.paths import contained, required
from spinefairbench.bundle.retained import panel_rel
from spinefairbench.bundle.validation import EDIT_LABELS, glob_entries, unique_rows
from spinefairbench.commands.framework import Context, Transcript
from spinefairbench.errors import SpineFairBenchError

FREEZE = "artifacts/freeze_runs/2026-04-09"
ANALYSIS = "artifacts/Results/analysis"
FINAL_INPUTS = "artifacts/Results/final_inputs"
FROZEN_PROMPTS = f"{FREEZE}/canonical_definitions.json"
INSPECT_REQUIRED = (
    "README.md", "DATA_LICENSE.md", "SHA256SUMS.txt", "benchmark_card.md", "croissant.json",
    "dataset/README.md", "dataset/release_manifest.json", "dataset/qc_metadata.jsonl",
    "dataset/qc_passed_pair_manifest.jsonl", "dataset/pairs.json", "dataset/source_metadata.json",
    FROZEN_PROMPTS, f"{FREEZE}/evaluation_source_subset.json", f"{FREEZE}/evaluation_source_subset_core1000.json",
    f"{FREEZE}/exclusion_evidence/gemini_baseline_backfill_canonical_2026-04-16.json",
    f"{FREEZE}/exclusion_evidence/medgemma_baseline_canary_canonical.json",
    f"{ANALYSIS}/common_core_1000_summary.json", f"{ANALYSIS}/generator_evaluation_overlap.json",
    f"{ANALYSIS}/mitigation_conditions_manifest.json", f"{ANALYSIS}/mitigation_parsing_confidence.json",
    f"{ANALYSIS}/mitigation_stage1_trace_manifest.json", f"{ANALYSIS}/mitigation_summary.json",
    f"{FINAL_INPUTS}/all_model_intersection_2166_manifest.json", f"{FINAL_INPUTS}/final_panel_freeze_manifest.json",
    "protocol/binding_rule_2026-04-08.md", "protocol/generator_artifact_controls_c1_c4_registration.json",
    "validation_report_public_final_2026-04-28.json", "radiologist_validated_subset.json",
    "radiologist_exclusion_list.json",
)
DATASET_MANIFEST = "dataset/release_manifest.json"
PASSED_MANIFEST = "dataset/qc_passed_pair_manifest.jsonl"
QC_METADATA = "dataset/qc_metadata.jsonl"
IMAGE_ROOT = "dataset/counterfactual_images"


def load_object(root: Path, rel: str) -> dict:
    return load_json_object(root / rel, rel)


def inspect(context: Context, out: Transcript) -> None:
    root = context.root
    for rel in INSPECT_REQUIRED:
        required(root, rel)
    panels = [*context.profile.data["retained_panel_dirs"], context.profile.data["mitigation_panel_dir"]]
    for panel in panels:
        required(root, panel_rel(panel, "panel_manifest.json"))
        required(root, panel_rel(panel, "evaluation_results.json"))
    frozen = load_object(root, FROZEN_PROMPTS)
    registry = frozen.get("prompt_registry") or {}
    prompts = {name: registry.get(name) if isinstance(registry, dict) else None for name in ("system", "primary")}
    if not all(isinstance(text, str) for text in prompts.values()):
        raise SpineFairBenchError("Locked canonical prompt registry is missing system/primary prompts")
    summary = load_object(root, f"{ANALYSIS}/common_core_1000_summary.json")
    intersection = load_object(root, f"{FINAL_INPUTS}/all_model_intersection_2166_manifest.json")
    freeze = load_object(root, f"{FINAL_INPUTS}/final_panel_freeze_manifest.json")
    common = summary.get("common_pairs") if isinstance(summary.get("common_pairs"), dict) else {}
    all9 = common.get("intersection_9_all_models")
    if not all9:
        all9_entry = common.get("all9")
        all9 = all9_entry.get("count") if isinstance(all9_entry, dict) else None
    pair_count = dig(intersection, "pair_count", source=f"{FINAL_INPUTS}/all_model_intersection_2166_manifest.json")
    out.emit("Package inventory: required files present (use identity, checksum, and result checks for content "
             "verification)")
    out.emit(f"Artifact root: {root}")
    out.emit("Frozen manifests: present")
    out.emit("Common-core source manifest: present")
    out.emit(f"All-model intersection count: {all9}")
    out.emit(f"All-model intersection manifest rows: {pair_count}")
    out.emit(f"Panel freeze timestamp: {freeze.get('prepared_at_utc')}")
    manifest = load_object(root, DATASET_MANIFEST)
    pngs = dig(manifest, "counterfactual_images.included_png_count", source=DATASET_MANIFEST)
    rows = dig(manifest, "pair_manifests.qc_passed_pair_rows", source=DATASET_MANIFEST)
    raw = dig(manifest, "source_radiographs.source_png_files_in_public_bundle", source=DATASET_MANIFEST)
    out.emit(f"Released counterfactual PNGs: {pngs}")
    out.emit(f"QC-passed pair manifest rows: {rows}")
    out.emit(f"Raw source PNGs in public bundle: {raw}")
    out.emit("Panel manifests and retained output files: present")
    out.emit("Dropped-model exclusion evidence: present")
    out.emit("Public radiologist-validation artifacts: present")
    out.emit("Benchmark card and Croissant metadata: present")
    out.emit("Locked prompt file: prompts/canonical_definitions.json")
    out.emit("Prompt excerpt:")
    out.emit(f"System: {prompts['system']}")
    out.emit(f"Primary: {prompts['primary']}")
    out.facts.update(all_model_intersection_count=all9, intersection_manifest_rows=pair_count,
                     panel_freeze_timestamp=freeze.get("prepared_at_utc"), released_pngs=pngs,
                     qc_passed_rows=rows, raw_source_pngs=raw)


def _valid_qc_identity(row: dict) -> bool:
    return (row.get("edit_label") in EDIT_LABELS and isinstance(row.get("source_id"), str)
            and row.get("pair_id") == f"{row['source_id']}__{row['edit_label']}"
            and isinstance(row.get("passed_qc"), bool))


def _source_mapping_matches(entry: dict, images: dict) -> bool:
    labels = entry.get("qc_passed_counterfactuals", [])
    if entry.get("counterfactual_images") != images or not isinstance(labels, list):
        return False
    try:
        return sorted(labels) == sorted(images)
    except TypeError:
        return False


def dataset(context: Context, out: Transcript, check_png: bool = False) -> None:
    root = context.root
    required(root, DATASET_MANIFEST)
    manifest = load_object(root, DATASET_MANIFEST)
    for rel in (PASSED_MANIFEST, QC_METADATA, IMAGE_ROOT):
        required(root, rel)
    image_root = root / IMAGE_ROOT
    png_count = len(glob_entries(image_root, "*.png"))
    source_png_count = len(glob_entries(image_root, "source.png"))
    passed_lines = count_lines(root / PASSED_MANIFEST, PASSED_MANIFEST)
    attempted_lines = count_lines(root / QC_METADATA, QC_METADATA)
    expected_pngs = dig(manifest, "counterfactual_images.included_png_count", source=DATASET_MANIFEST)
    expected_passed = dig(manifest, "pair_manifests.qc_passed_pair_rows", source=DATASET_MANIFEST)
    expected_attempted = dig(manifest, "pair_manifests.attempted_qc_rows", source=DATASET_MANIFEST)

    passed = unique_rows(parse_jsonl(root / PASSED_MANIFEST, "qc_passed_pair_manifest.jsonl"),
                         "pair_id", "QC-passed manifest")
    attempted = unique_rows(parse_jsonl(root / QC_METADATA, "qc_metadata.jsonl"), "pair_id", "QC metadata")
    for pair_id, row in attempted.items():
        if not _valid_qc_identity(row):
            raise SpineFairBenchError(f"Invalid QC pair identity or pass flag: {pair_id}")
    if passed != {pair_id: row for pair_id, row in attempted.items() if row["passed_qc"] is True}:
        raise SpineFairBenchError("QC-passed manifest does not equal the passed rows in QC metadata")

    recorded: set[Path] = set()
    source_images: dict[str, dict[str, str]] = {}
    for pair_id, row in passed.items():
        path = row.get("counterfactual_image_path")
        if not isinstance(path, str):
            raise SpineFairBenchError(f"Missing released image path: {pair_id}")
        if path != f"{IMAGE_ROOT}/{row['source_id']}/{row['edit_label']}.png":
            raise SpineFairBenchError(f"Image path does not match pair identity: {pair_id}")
        image = contained(root, path)
        if not image.is_file() or image.stat().st_size != row.get("counterfactual_image_size_bytes"):
            raise SpineFairBenchError(f"Released image missing or size mismatch: {path}")
        if check_png:
            png.check_png(image, path)
        recorded.add(root / path)
        source_images.setdefault(row["source_id"], {})[row["edit_label"]] = path
    if set(glob_entries(root / "dataset", "*.png")) != recorded:
        raise SpineFairBenchError("Released PNG membership differs from QC-passed manifest")

    for rel in ("dataset/pairs.json", "dataset/source_metadata.json"):
        required(root, rel)
        sources = unique_rows(load_json(root / rel, rel), "source_id", rel)
        if sources.keys() != source_images.keys():
            raise SpineFairBenchError(f"Source membership differs from QC-passed manifest: {rel}")
        for source_id, entry in sources.items():
            if not _source_mapping_matches(entry, source_images[source_id]):
                raise SpineFairBenchError(f"Source image mapping mismatch: {rel}: {source_id}")
    if len(source_images) != dig(manifest, "pair_manifests.source_level_rows", source=DATASET_MANIFEST):
        raise SpineFairBenchError("Source count differs from release manifest")

    out.emit(f"Counterfactual image root: {IMAGE_ROOT}")
    out.emit(f"Released QC-passed PNGs: {png_count}")
    out.emit(f"QC-passed pair manifest rows: {passed_lines}")
    out.emit(f"Attempted QC metadata rows: {attempted_lines}")
    out.emit(f"Raw source PNGs in public bundle: {source_png_count}")
    out.emit(f"Source radiograph policy: {dig(manifest, 'source_radiographs.release_status', source=DATASET_MANIFEST)}")
    out.facts.update(released_pngs=png_count, qc_passed_rows=passed_lines, qc_attempted_rows=attempted_lines,
                     raw_source_pngs=source_png_count, qc_passed_sources=len(source_images))
    for counted, expected, message in ((png_count, expected_pngs, "Unexpected released PNG count"),
                                       (passed_lines, expected_passed, "Unexpected QC-passed manifest row count"),
                                       (attempted_lines, expected_attempted, "Unexpected QC metadata row count")):
        if counted != expected:
            raise SpineFairBenchError(f"{message}: {counted} != {expected}")
    if source_png_count != 0:
        raise SpineFairBenchError("Raw source PNG files are present in the public dataset tree")
    out.emit("Dataset release inspection: OK (unique pairs, QC membership, source mappings, PNG paths and sizes)")

