"""``radiologist``, ``stage1-confidence`` and ``mitigation``: success on the demo bundle and every failure."""

import csv
import json
import os

import pytest

ANALYSIS = "artifacts/Results/analysis"
PARSING = f"{ANALYSIS}/mitigation_parsing_confidence.json"
TABLE = f"{ANALYSIS}/mitigation_table.csv"
TRACE = f"{ANALYSIS}/mitigation_stage1_trace_manifest.json"
SAMPLES = f"{ANALYSIS}/mitigation_stage1_confidence_sample_manifest.json"
OUTPUTS = "artifacts/Results/final_inputs/panels/full_pipeline_mitigation_retained/stage1_outputs"
PAIRS_CSV = "validation_public/validation_pair_results_public_2026-04-28.csv"
DETECT_CSV = "validation_public/detectability_responses_public_2026-04-28.csv"


def test_radiologist_passes_with_published_counts(run, demo_bundle):
    result = run("radiologist", "--artifacts", demo_bundle)
    assert result.status == 0, result.err
    assert result.lines == [
        "Public validation report schema: " + result.lines[0].split(": ", 1)[1],
        "Validated subset count: 443", "Exclusion count: 7", "Recomputed 2-of-3 majority pass: 443/450",
        "Detectability response rows: 1350", "Recomputed detectability 'Cannot tell': 1307/1350",
        "Per-reviewer display-event rows: 1380", "Hidden-repeat rows: 30",
        "Expected validation result: 443 passing, 7 excluded"]


def rewrite_csv(path, change):
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
        fields = list(rows[0])
    change(rows)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.parametrize("damage, message", [
    (lambda b, e: e.json(b / "radiologist_exclusion_list.json", lambda d: d["excluded_pairs"].pop()),
     "Unexpected public radiologist-validation counts"),
    (lambda b, e: rewrite_csv(b / DETECT_CSV, lambda rows: rows.pop()), "Unexpected detectability response count"),
    (lambda b, e: rewrite_csv(b / "validation_public/per_reviewer/reviews_R1_public_2026-04-28.csv",
                              lambda rows: rows.pop()), "Unexpected per-reviewer display-event count"),
    (lambda b, e: rewrite_csv(b / "validation_public/hidden_repeat_records_public_2026-04-28.csv",
                              lambda rows: rows.pop()), "Unexpected hidden-repeat record count"),
    (lambda b, e: rewrite_csv(b / PAIRS_CSV, lambda rows: [r.update(q1_clinical_plausibility="yes")
                                                           for r in rows if r["pair_id"] == rows[0]["pair_id"]]),
     "Unexpected 2-of-3 radiologist majority result"),
    (lambda b, e: rewrite_csv(b / DETECT_CSV, lambda rows: [r.update(q4_detectability="Image A edited")
                                                            for r in rows if r["q4_detectability"] == "Cannot tell"][:1]),
     "__cannot_tell__"),
])
def test_radiologist_failures(run, bundle, edit, damage, message):
    damage(bundle, edit)
    if message == "__cannot_tell__":
        rows = list(csv.DictReader(open(bundle / DETECT_CSV, encoding="utf-8", newline="")))
        message = "Unexpected 'Cannot tell' detectability count" if sum(
            r["q4_detectability"] == "Cannot tell" for r in rows) != 1307 else "unreachable"
    result = run("radiologist", "--artifacts", bundle)
    edit.fails(result, message)
    assert len(result.lines) == 9  # every line is printed before the checks


def test_radiologist_majority_ids(run, bundle, edit):
    def swap(d):
        excluded = json.loads((bundle / "radiologist_exclusion_list.json").read_text())["excluded_pairs"][0]
        d["pair_ids"][0] = excluded["pair_id"] if isinstance(excluded, dict) else excluded
    edit.json(bundle / "radiologist_validated_subset.json", swap)
    edit.fails(run("radiologist", "--artifacts", bundle),
               "Recomputed majority-pass IDs do not match radiologist_validated_subset.json")


def test_radiologist_missing_pair_id_column_is_one_line(run, bundle):
    path = bundle / PAIRS_CSV
    text = path.read_text(encoding="utf-8").replace("pair_id,", "pair,", 1)
    path.write_text(text, encoding="utf-8")
    result = run("radiologist", "--artifacts", bundle)
    assert result.status == 1 and result.err == f"{PAIRS_CSV}:2: missing column pair_id\n"


def test_radiologist_missing_reviewer_file(run, bundle, edit):
    os.remove(bundle / "validation_public/per_reviewer/reviews_R2_public_2026-04-28.csv")
    edit.fails(run("radiologist", "--artifacts", bundle),
               "Missing required artifact: validation_public/per_reviewer/reviews_R2_public_2026-04-28.csv")


def test_stage1_confidence_recomputes_every_model(run, demo_bundle):
    result = run("stage1-confidence", "--artifacts", demo_bundle)
    assert result.status == 0, result.err
    assert result.lines[0] == "Stage-1 parse-confidence recomputation:"
    decisions = {line.split()[0]: line.rsplit(" ", 1)[1] for line in result.lines[1:]}
    assert decisions["gpt-5.4"] == decisions["glm-4.6v"] == "included"
    assert {m for m, d in decisions.items() if d == "excluded_full"} == {"claude-opus-4-6", "claude-sonnet-4-6",
                                                                         "kimi-k2.5"}


def test_stage1_mismatch(run, bundle, edit):
    edit.json(bundle / PARSING, lambda d: d["gpt-5.4"].update(stage1_diag_pass_count=0))
    result = run("stage1-confidence", "--artifacts", bundle)
    edit.fails(result, "Stage-1 parse-confidence mismatch for gpt-5.4")
    assert result.lines[-1].startswith("gpt-5.4 ")


def test_stage1_nan_rate_fails(run, bundle, edit):
    edit.json(bundle / PARSING, lambda d: d["gpt-5.4"].update(stage1_diag_pass_rate=float("nan")))
    edit.fails(run("stage1-confidence", "--artifacts", bundle), "Stage-1 parse-confidence mismatch for gpt-5.4")


def test_stage1_missing_list_and_files(run, bundle, edit):
    edit.json(bundle / TRACE, lambda d: d["models"].pop("gemma-4"))
    edit.fails(run("stage1-confidence", "--artifacts", bundle),
               "Stage-1 sample manifest is missing file list for gemma-4")


def test_stage1_missing_sample_files(run, bundle, edit):
    trace = json.loads((bundle / TRACE).read_text())
    names = [os.path.basename(p) for p in trace["models"]["gpt-5.4"]["sample_files_first_200"]]
    for name in names[:6]:
        os.remove(bundle / OUTPUTS / "gpt-5.4" / name)
    edit.fails(run("stage1-confidence", "--artifacts", bundle),
               f"Stage-1 sample manifest references missing files for gpt-5.4: {names[:5]!r}")


def test_stage1_standalone_manifest_is_preferred(run, bundle, edit):
    (bundle / SAMPLES).write_text(json.dumps({"models": []}), encoding="utf-8")
    edit.fails(run("stage1-confidence", "--artifacts", bundle), "Stage-1 sample manifest must contain a models object")


def test_stage1_non_object_sidecar_is_unclean(run, bundle, edit):
    trace = json.loads((bundle / TRACE).read_text())
    name = os.path.basename(trace["models"]["gpt-5.4"]["sample_files_first_200"][0])
    sidecar = bundle / OUTPUTS / "gpt-5.4" / name.replace(".txt", ".validation.json")
    sidecar.write_text("[1, 2]", encoding="utf-8")
    result = run("stage1-confidence", "--artifacts", bundle)
    assert result.status in (0, 1) and result.err.count("\n") <= 1  # never a traceback


def test_mitigation_passes(run, demo_bundle):
    result = run("mitigation", "--artifacts", demo_bundle)
    assert result.status == 0, result.err
    assert result.lines[0] == "Mitigation Table 3 verification:"
    assert result.lines[1].startswith("gpt-5.4 stage1: ") and result.lines[1].endswith("b_rule_pass: False")
    assert result.lines[-2] == "Stage-1 full exclusions: claude-opus-4-6, claude-sonnet-4-6, kimi-k2.5"
    assert result.lines[-1] == "Mitigation verification: OK"


def table_edit(bundle, change):
    rewrite_csv(bundle / TABLE, lambda rows: change({(r["model"], r["condition"]): r for r in rows}, rows))


@pytest.mark.parametrize("damage, message", [
    (lambda b, e: e.json(b / PARSING, lambda d: d["glm-4.6v"].update(decision="excluded_diag_only")),
     "Mitigation model glm-4.6v was not included by the Stage-1 gate"),
    (lambda b, e: table_edit(b, lambda idx, rows: rows.remove(idx[("gpt-5.4", "condition_b")])),
     "Missing mitigation-table row for gpt-5.4 condition_b"),
    (lambda b, e: table_edit(b, lambda idx, rows: idx[("gpt-5.4", "condition_b")].update(delta_rec="n/a")),
     "Invalid mitigation-table value for delta_rec: 'n/a'"),
    (lambda b, e: table_edit(b, lambda idx, rows: idx[("gpt-5.4", "condition_b")].update(delta_diag="inf")),
     "Invalid mitigation-table value for delta_diag: 'inf'"),
    (lambda b, e: table_edit(b, lambda idx, rows: idx[("gpt-5.4", "condition_b")].update(n_pairs="1")),
     "Mitigation table accounting mismatch for gpt-5.4"),
    (lambda b, e: table_edit(b, lambda idx, rows: idx[("gpt-5.4", "condition_a")].update(rec_change="0.0")),
     "Mitigation table accounting mismatch for gpt-5.4"),
    (lambda b, e: table_edit(b, lambda idx, rows: idx[("gpt-5.4", "condition_b")].update(b_rule_pass="")),
     "Missing or invalid mitigation binding-rule flag for gpt-5.4"),
    (lambda b, e: table_edit(b, lambda idx, rows: idx[("gpt-5.4", "condition_b")].update(b_rule_pass=" TRUE ")),
     "Unexpected mitigation binding-rule result for gpt-5.4"),
    (lambda b, e: e.json(b / PARSING, lambda d: d["kimi-k2.5"].update(decision="excluded_diag_only")),
     "Unexpected mitigation Stage-1 exclusions: ['claude-opus-4-6', 'claude-sonnet-4-6']"),
])
def test_mitigation_failures(run, bundle, edit, damage, message):
    damage(bundle, edit)
    edit.fails(run("mitigation", "--artifacts", bundle), message)
