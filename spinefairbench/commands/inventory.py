"""``inspect`` (presence of every required file) and ``dataset`` (release-dataset integrity), contract §5.4-§5.5."""

from __future__ import annotations

from pathlib import Path

from spinefairbench.bundle import png
from spinefairbench.bundle.fields import dig
from spinefairbench.bundle.loaders import count_lines, load_json, load_json_object, parse_jsonl
from spinefairbench.bundle.paths import contained, required
from spinefairbench.bundle.retained import panel_rel
from spinefairbench.bundle import layout as L
from spinefairbench.bundle.layout import EDIT_LABELS
from spinefairbench.bundle.validation import glob_entries, unique_rows
from spinefairbench.commands.framework import Context, Transcript
from spinefairbench.errors import SpineFairBenchError

# The files ``inspect`` requires before the panel files (whose folders come from the profile).
INSPECT_REQUIRED = L.INSPECT_FILES


def load_object(root: Path, rel: str) -> dict:
    return load_json_object(root / rel, rel)


def inspect(context: Context, out: Transcript) -> None:
    root = context.root
    for rel in INSPECT_REQUIRED:
        required(root, rel)
    panels = [*context.profile.data["retained_panel_dirs"], context.profile.data["mitigation_panel_dir"]]
    for panel in panels:
        for name in L.INSPECT_PANEL_FILES:
            required(root, panel_rel(panel, name))
    frozen = load_object(root, L.FROZEN_PROMPTS)
    registry = frozen.get("prompt_registry") or {}
    prompts = {name: registry.get(name) if isinstance(registry, dict) else None for name in ("system", "primary")}
    if not all(isinstance(text, str) for text in prompts.values()):
        raise SpineFairBenchError("Locked canonical prompt registry is missing system/primary prompts")
    summary = load_object(root, L.SUMMARY)
    intersection = load_object(root, L.INTERSECTION)
    freeze = load_object(root, L.PANEL_FREEZE)
    common = summary.get("common_pairs") if isinstance(summary.get("common_pairs"), dict) else {}
    all9 = common.get("intersection_9_all_models")
    if not all9:
        all9_entry = common.get("all9")
        all9 = all9_entry.get("count") if isinstance(all9_entry, dict) else None
    pair_count = dig(intersection, "pair_count", source=L.INTERSECTION)
    out.emit("Package inventory: required files present (use identity, checksum, and result checks for content "
             "verification)")
    out.emit(f"Artifact root: {root}")
    out.emit("Frozen manifests: present")
    out.emit("Common-core source manifest: present")
    out.emit(f"All-model intersection count: {all9}")
    out.emit(f"All-model intersection manifest rows: {pair_count}")
    out.emit(f"Panel freeze timestamp: {freeze.get('prepared_at_utc')}")
    manifest = load_object(root, L.DATASET_MANIFEST)
    pngs = dig(manifest, "counterfactual_images.included_png_count", source=L.DATASET_MANIFEST)
    rows = dig(manifest, "pair_manifests.qc_passed_pair_rows", source=L.DATASET_MANIFEST)
    raw = dig(manifest, "source_radiographs.source_png_files_in_public_bundle", source=L.DATASET_MANIFEST)
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
    required(root, L.DATASET_MANIFEST)
    manifest = load_object(root, L.DATASET_MANIFEST)
    for rel in (L.QC_PASSED, L.QC_METADATA, L.IMAGE_ROOT):
        required(root, rel)
    image_root = root / L.IMAGE_ROOT
    png_count = len(glob_entries(image_root, "*.png"))
    source_png_count = len(glob_entries(image_root, "source.png"))
    passed_lines = count_lines(root / L.QC_PASSED, L.QC_PASSED)
    attempted_lines = count_lines(root / L.QC_METADATA, L.QC_METADATA)
    expected_pngs = dig(manifest, "counterfactual_images.included_png_count", source=L.DATASET_MANIFEST)
    expected_passed = dig(manifest, "pair_manifests.qc_passed_pair_rows", source=L.DATASET_MANIFEST)
    expected_attempted = dig(manifest, "pair_manifests.attempted_qc_rows", source=L.DATASET_MANIFEST)

    passed = unique_rows(parse_jsonl(root / L.QC_PASSED, Path(L.QC_PASSED).name),
                         "pair_id", "QC-passed manifest")
    attempted = unique_rows(parse_jsonl(root / L.QC_METADATA, Path(L.QC_METADATA).name), "pair_id", "QC metadata")
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
        if path != L.image_path(row["source_id"], row["edit_label"]):
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

    for rel in (L.DATASET_PAIRS, L.SOURCE_METADATA):
        required(root, rel)
        sources = unique_rows(load_json(root / rel, rel), "source_id", rel)
        if sources.keys() != source_images.keys():
            raise SpineFairBenchError(f"Source membership differs from QC-passed manifest: {rel}")
        for source_id, entry in sources.items():
            if not _source_mapping_matches(entry, source_images[source_id]):
                raise SpineFairBenchError(f"Source image mapping mismatch: {rel}: {source_id}")
    if len(source_images) != dig(manifest, "pair_manifests.source_level_rows", source=L.DATASET_MANIFEST):
        raise SpineFairBenchError("Source count differs from release manifest")

    out.emit(f"Counterfactual image root: {L.IMAGE_ROOT}")
    out.emit(f"Released QC-passed PNGs: {png_count}")
    out.emit(f"QC-passed pair manifest rows: {passed_lines}")
    out.emit(f"Attempted QC metadata rows: {attempted_lines}")
    out.emit(f"Raw source PNGs in public bundle: {source_png_count}")
    out.emit(f"Source radiograph policy: {dig(manifest, 'source_radiographs.release_status', source=L.DATASET_MANIFEST)}")
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

