"""Bundle-relative paths of the published SpineFairBench layout.

One place for the layout: the verification commands and the scorer read
these paths and the demo builder writes them.  Panel paths in messages are
joined with OS separators by :func:`spinefairbench.bundle.retained.panel_rel`,
as the published verifier prints them; here they are POSIX strings.

>>> image_path("buu_0004", "young_male")
'dataset/counterfactual_images/buu_0004/young_male.png'
>>> panel_file("baseline_only_retained", "pairs.json")
'artifacts/Results/final_inputs/panels/baseline_only_retained/pairs.json'
"""

from __future__ import annotations

EDIT_LABELS: tuple[str, ...] = ("young_female", "young_male", "elderly_female", "elderly_male")

PROFILE = "SPINEFAIRBENCH_PROFILE.json"
ROOT_CHECKSUMS = "SHA256SUMS.txt"
READER_CHECKSUMS = "radiologist_validation_SHA256SUMS.txt"
SUPPLEMENT = "supplement/retained_followup_audit_summary.json"
SUBMISSION = "submissions/demo_common_core_submission.json"

README = "README.md"
DATA_LICENSE = "DATA_LICENSE.md"
BENCHMARK_CARD = "benchmark_card.md"
CROISSANT = "croissant.json"

DATASET_README = "dataset/README.md"
DATASET_MANIFEST = "dataset/release_manifest.json"
QC_METADATA = "dataset/qc_metadata.jsonl"
QC_PASSED = "dataset/qc_passed_pair_manifest.jsonl"
DATASET_PAIRS = "dataset/pairs.json"
SOURCE_METADATA = "dataset/source_metadata.json"
DATASET_CHECKSUMS = "dataset/SHA256SUMS.txt"
IMAGE_ROOT = "dataset/counterfactual_images"

FREEZE = "artifacts/freeze_runs/2026-04-09"
FROZEN_PROMPTS = f"{FREEZE}/canonical_definitions.json"
EVALUATION_SUBSET = f"{FREEZE}/evaluation_source_subset.json"
CORE_SUBSET = f"{FREEZE}/evaluation_source_subset_core1000.json"
GEMINI_EVIDENCE = f"{FREEZE}/exclusion_evidence/gemini_baseline_backfill_canonical_2026-04-16.json"
MEDGEMMA_EVIDENCE = f"{FREEZE}/exclusion_evidence/medgemma_baseline_canary_canonical.json"

ANALYSIS = "artifacts/Results/analysis"
SUMMARY = f"{ANALYSIS}/common_core_1000_summary.json"
GENERATOR_OVERLAP = f"{ANALYSIS}/generator_evaluation_overlap.json"
MITIGATION_CONDITIONS = f"{ANALYSIS}/mitigation_conditions_manifest.json"
PARSING_CONFIDENCE = f"{ANALYSIS}/mitigation_parsing_confidence.json"
STAGE1_TRACE = f"{ANALYSIS}/mitigation_stage1_trace_manifest.json"
STAGE1_SAMPLES = f"{ANALYSIS}/mitigation_stage1_confidence_sample_manifest.json"
MITIGATION_SUMMARY = f"{ANALYSIS}/mitigation_summary.json"
MITIGATION_TABLE = f"{ANALYSIS}/mitigation_table.csv"

FINAL_INPUTS = "artifacts/Results/final_inputs"
INTERSECTION = f"{FINAL_INPUTS}/all_model_intersection_2166_manifest.json"
PANEL_FREEZE = f"{FINAL_INPUTS}/final_panel_freeze_manifest.json"
PANELS = f"{FINAL_INPUTS}/panels"
FULL_PANEL = "full_pipeline_retained"
BASELINE_PANEL = "baseline_only_retained"
MITIGATION_PANEL = "full_pipeline_mitigation_retained"
STAGE1_OUTPUTS = f"{PANELS}/{MITIGATION_PANEL}/stage1_outputs"

BINDING_RULE = "protocol/binding_rule_2026-04-08.md"
GENERATOR_CONTROLS = "protocol/generator_artifact_controls_c1_c4_registration.json"

VALIDATION_REPORT = "validation_report_public_final_2026-04-28.json"
VALIDATED_SUBSET = "radiologist_validated_subset.json"
EXCLUSION_LIST = "radiologist_exclusion_list.json"
VALIDATION_DIR = "validation_public"
VALIDATION_MANIFEST = f"{VALIDATION_DIR}/validation_public_manifest.json"
VALIDATION_README = f"{VALIDATION_DIR}/README.md"
VALIDATION_CODEBOOK = f"{VALIDATION_DIR}/codebook.json"
DETECTABILITY_CSV = f"{VALIDATION_DIR}/detectability_responses_public_2026-04-28.csv"
HIDDEN_REPEATS_CSV = f"{VALIDATION_DIR}/hidden_repeat_records_public_2026-04-28.csv"
PAIR_RESULTS_CSV = f"{VALIDATION_DIR}/validation_pair_results_public_2026-04-28.csv"
PER_REVIEWER_CSVS = tuple(f"{VALIDATION_DIR}/per_reviewer/reviews_{r}_public_2026-04-28.csv"
                          for r in ("R1", "R2", "R3"))

SUBMISSION_SCHEMA = "metrics/submission_schema.json"
SUBMISSION_TEMPLATE = "metrics/submission_template.json"
TOY_SUBMISSION = "metrics/toy_submission.json"


def image_path(source_id: str, edit_label: str) -> str:
    """Bundle-relative path of one released counterfactual PNG."""
    return f"{IMAGE_ROOT}/{source_id}/{edit_label}.png"


def panel_file(panel: str, name: str) -> str:
    """Bundle-relative path of a file inside one panel directory."""
    return f"{PANELS}/{panel}/{name}"


# Release-identity anchors, in the published (anonymous) order.
ANCHORS: tuple[str, ...] = (
    ROOT_CHECKSUMS, READER_CHECKSUMS, DATASET_MANIFEST, SUMMARY, FROZEN_PROMPTS,
    panel_file(FULL_PANEL, "panel_manifest.json"), panel_file(BASELINE_PANEL, "panel_manifest.json"),
)

# Files the radiologist checksum manifest covers (12 entries).
READER_FILES: tuple[str, ...] = tuple(sorted((
    EXCLUSION_LIST, VALIDATED_SUBSET, VALIDATION_README, VALIDATION_CODEBOOK, DETECTABILITY_CSV,
    HIDDEN_REPEATS_CSV, *PER_REVIEWER_CSVS, PAIR_RESULTS_CSV, VALIDATION_MANIFEST, VALIDATION_REPORT,
)))

# The files ``inspect`` requires first, in its order (artifact-bundle.md 5.4);
# then, per panel, its manifest and its evaluation results.
INSPECT_FILES: tuple[str, ...] = (
    README, DATA_LICENSE, ROOT_CHECKSUMS, BENCHMARK_CARD, CROISSANT, DATASET_README, DATASET_MANIFEST,
    QC_METADATA, QC_PASSED, DATASET_PAIRS, SOURCE_METADATA, FROZEN_PROMPTS, EVALUATION_SUBSET, CORE_SUBSET,
    GEMINI_EVIDENCE, MEDGEMMA_EVIDENCE, SUMMARY, GENERATOR_OVERLAP, MITIGATION_CONDITIONS, PARSING_CONFIDENCE,
    STAGE1_TRACE, MITIGATION_SUMMARY, INTERSECTION, PANEL_FREEZE, BINDING_RULE, GENERATOR_CONTROLS,
    VALIDATION_REPORT, VALIDATED_SUBSET, EXCLUSION_LIST,
)
INSPECT_PANEL_FILES: tuple[str, ...] = ("panel_manifest.json", "evaluation_results.json")
INSPECT_REQUIRED: tuple[str, ...] = INSPECT_FILES + tuple(
    panel_file(panel, name) for panel in (FULL_PANEL, BASELINE_PANEL, MITIGATION_PANEL)
    for name in INSPECT_PANEL_FILES)

# Files left out of the root checksum manifest (besides the manifest itself):
# the profile pins SHA256SUMS.txt, and the supplement and submissions are
# code-side or user-side material in the real release.
UNCHECKSUMMED_PREFIXES: tuple[str, ...] = (PROFILE, "supplement/", "submissions/")
