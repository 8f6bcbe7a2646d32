"""``stage1-confidence`` (recompute the Stage-1 parse gate) and ``mitigation`` (Table 3 accounting), §5.14-§5.15."""

from __future__ import annotations

import math
from pathlib import Path

from spinefairbench.bundle import layout as L
from spinefairbench.bundle.fields import within
from spinefairbench.bundle.loaders import load_json, load_json_object, read_csv_rows
from spinefairbench.bundle.paths import contained, required
from spinefairbench.bundle.retained import panel_rel
from spinefairbench.commands.framework import Context, Transcript
from spinefairbench.errors import SpineFairBenchError
from spinefairbench.metrics.stage1 import NO_DIAGNOSIS, extract_primary_diagnosis, sidecar_is_clean, stage1_decision

PARSING = L.PARSING_CONFIDENCE
SAMPLE_MANIFEST = L.STAGE1_SAMPLES
TRACE_MANIFEST = L.STAGE1_TRACE
TABLE = L.MITIGATION_TABLE


# ----------------------------------------------------------------------------- stage1-confidence
def sample_lists(root: Path) -> object:
    """Model -> sample file names, from the standalone manifest or the trace manifest."""
    if (root / SAMPLE_MANIFEST).exists():
        manifest = load_json(root / SAMPLE_MANIFEST, SAMPLE_MANIFEST)
        return manifest.get("models", {}) if isinstance(manifest, dict) else {}
    required(root, TRACE_MANIFEST)
    trace = load_json_object(root / TRACE_MANIFEST, TRACE_MANIFEST)
    models = trace.get("models")
    if not isinstance(models, dict):
        raise SpineFairBenchError("expected an object", path=TRACE_MANIFEST, field="models")
    lists = {}
    for model, entry in models.items():
        files = entry.get("sample_files_first_200", []) if isinstance(entry, dict) else None
        if not isinstance(files, list):
            raise SpineFairBenchError("expected a list", path=TRACE_MANIFEST,
                                      field=f"models.{model}.sample_files_first_200")
        lists[model] = [Path(str(name)).name for name in files]
    return lists


def _sidecar_clean(sidecar: Path) -> bool:
    try:
        payload = load_json(sidecar)
    except (SpineFairBenchError, RecursionError):
        return False
    return sidecar_is_clean(payload)


def stage1_passes(text_path: Path) -> bool:
    """A sample passes when its sidecar exists and is clean and a primary diagnosis extracts."""
    sidecar = text_path.with_suffix(".validation.json")
    if not sidecar.exists() or not _sidecar_clean(sidecar):
        return False
    try:
        text = text_path.read_bytes().decode("utf-8", errors="replace")
    except OSError as error:
        raise SpineFairBenchError(f"cannot read file: {error.strerror or error}", path=str(text_path)) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return extract_primary_diagnosis(text) != NO_DIAGNOSIS


def stage1_confidence(context: Context, out: Transcript) -> None:
    root = context.root
    required(root, PARSING)
    summary = load_json_object(root / PARSING, PARSING)
    lists = sample_lists(root)
    outputs_rel = panel_rel(context.profile.data["mitigation_panel_dir"], "stage1_outputs")
    outputs = required(root, outputs_rel)
    if not isinstance(lists, dict):
        raise SpineFairBenchError("Stage-1 sample manifest must contain a models object")
    gate = context.profile.data["stage1_gate"]
    tolerance = context.profile.data["mitigation"]["accounting_tolerance"]
    out.emit("Stage-1 parse-confidence recomputation:")
    for model in sorted(summary):
        names = lists.get(model)
        if not isinstance(names, list) or not names:
            raise SpineFairBenchError(f"Stage-1 sample manifest is missing file list for {model}")
        # Names come from the bundle: each must stay inside the model's output folder.
        folder = contained(outputs, str(model))
        paths = [contained(folder, str(name)) for name in names]
        missing = [path.name for path in paths if not path.exists()]
        if missing:
            raise SpineFairBenchError(f"Stage-1 sample manifest references missing files for {model}: {missing[:5]!r}")
        passed = sum(stage1_passes(path) for path in paths)
        rate = passed / len(paths)
        decision = stage1_decision(rate, gate)
        out.emit(f"{model} {passed}/{len(paths)} ({rate:.3f}) decision: {decision}")
        out.facts.setdefault("models", {})[model] = {"pass_count": passed, "sample_size": len(paths),
                                                     "rate": rate, "decision": decision}
        frozen = summary[model]
        if not isinstance(frozen, dict) or not _frozen_gate_matches(frozen, len(paths), passed, rate, decision,
                                                                    tolerance):
            raise SpineFairBenchError(f"Stage-1 parse-confidence mismatch for {model}")


def _frozen_gate_matches(frozen: dict, n: int, passed: int, rate: float, decision: str, tolerance: float) -> bool:
    try:
        frozen_rate = float(frozen.get("stage1_diag_pass_rate"))
    except (TypeError, ValueError):
        return False
    return (frozen.get("sample_size") == n and frozen.get("stage1_diag_pass_count") == passed
            and within(frozen_rate, rate, tolerance) and frozen.get("decision") == decision)


# ----------------------------------------------------------------------------- mitigation
def table_cell(row: dict, field: str) -> float:
    """A finite float from a CSV cell, or the published one-line error.

    >>> table_cell({"x": " 1_000.5 "}, "x")
    1000.5
    >>> table_cell({"x": "nan"}, "x")
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: Invalid mitigation-table value for x: 'nan'
    """
    raw = row.get(field)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value):
        raise SpineFairBenchError(f"Invalid mitigation-table value for {field}: {raw!r}")
    return value


def _first_row(rows: list[dict], model: str, condition: str) -> dict:
    for row in rows:
        if row.get("model") == model and row.get("condition") == condition:
            return row
    raise SpineFairBenchError(f"Missing mitigation-table row for {model} {condition}")


def mitigation(context: Context, out: Transcript) -> None:
    root = context.root
    settings = context.profile.data["mitigation"]
    expected_rule = settings["expected_binding_rule"]
    tolerance = settings["accounting_tolerance"]
    required(root, PARSING)
    parsing = load_json_object(root / PARSING, PARSING)
    required(root, TABLE)
    rows = read_csv_rows(root / TABLE, TABLE)
    out.emit("Mitigation Table 3 verification:")
    for model in settings["models"]:
        gate = parsing.get(model, {})
        gate = gate if isinstance(gate, dict) else {}
        if gate.get("decision") != "included":
            raise SpineFairBenchError(f"Mitigation model {model} was not included by the Stage-1 gate")
        row_a = _first_row(rows, model, "condition_a")
        row_b = _first_row(rows, model, "condition_b")
        delta_rec = table_cell(row_b, "delta_rec")
        delta_diag = table_cell(row_b, "delta_diag")
        if (row_a.get("n_pairs") != row_b.get("n_pairs")
                or not within(delta_rec, table_cell(row_b, "rec_change") - table_cell(row_a, "rec_change"), tolerance)
                or not within(delta_diag, table_cell(row_b, "diag_consistency")
                              - table_cell(row_a, "diag_consistency"), tolerance)):
            raise SpineFairBenchError(f"Mitigation table accounting mismatch for {model}")
        raw_flag = row_b.get("b_rule_pass", "")
        flag = raw_flag.strip().lower() if isinstance(raw_flag, str) else None
        if flag not in ("true", "false"):
            raise SpineFairBenchError(f"Missing or invalid mitigation binding-rule flag for {model}")
        if ((flag == "true") != expected_rule["b_rule_pass"] or delta_rec <= expected_rule["delta_rec_above"]
                or delta_diag >= expected_rule["delta_diag_below"]):
            raise SpineFairBenchError(f"Unexpected mitigation binding-rule result for {model}")
        rate = gate.get("stage1_diag_pass_rate", 0)
        try:
            rate = float(rate)
        except (TypeError, ValueError):
            raise SpineFairBenchError("expected a number", path=PARSING,
                                      field=f"{model}.stage1_diag_pass_rate") from None
        a_rec, a_diag = table_cell(row_a, "rec_change"), table_cell(row_a, "diag_consistency")
        b_rec, b_diag = table_cell(row_b, "rec_change"), table_cell(row_b, "diag_consistency")
        out.emit(f"{model} stage1: {gate.get('stage1_diag_pass_count')}/{gate.get('sample_size')} ({rate:.3f}) "
                 f"condition_a rec/diag: {a_rec:.3f} {a_diag:.3f} condition_b rec/diag: {b_rec:.3f} {b_diag:.3f} "
                 f"delta: {delta_rec:.3f} {delta_diag:.3f} b_rule_pass: {raw_flag}")
        out.facts.setdefault("models", {})[model] = {
            "stage1_pass_count": gate.get("stage1_diag_pass_count"), "sample_size": gate.get("sample_size"),
            "stage1_rate": rate, "condition_a": {"rec_change": a_rec, "diag_consistency": a_diag},
            "condition_b": {"rec_change": b_rec, "diag_consistency": b_diag}, "delta_rec": delta_rec,
            "delta_diag": delta_diag, "b_rule_pass": raw_flag}
    excluded = sorted(m for m, v in parsing.items() if isinstance(v, dict) and v.get("decision") == "excluded_full")
    if set(excluded) != set(settings["expected_excluded_full"]):
        raise SpineFairBenchError(f"Unexpected mitigation Stage-1 exclusions: {excluded!r}")
    out.emit(f"Stage-1 full exclusions: {', '.join(excluded)}")
    out.emit("Mitigation verification: OK")
    out.facts["excluded_full"] = excluded
