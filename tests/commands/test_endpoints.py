"""``parse-sample``, ``table2``, ``gap-sensitivity``, ``both-empty-diagnostic`` end to end, and each failure."""

import json

import pytest

FULL = "artifacts/Results/final_inputs/panels/full_pipeline_retained"
SUMMARY = "artifacts/Results/analysis/common_core_1000_summary.json"
MODELS = ["gpt-5.4", "claude-sonnet-4-6", "claude-opus-4-6", "glm-4.6v", "kimi-k2.5", "gemma-4",
          "llama-4-scout", "qwen2.5-vl", "radfm"]


def rows_of(bundle, model="gpt-5.4"):
    rows = json.loads((bundle / FULL / "evaluation_results.json").read_text(encoding="utf-8"))
    return rows, [i for i, row in enumerate(rows) if row.get("model") == model]


def test_table2_all_models_pass_with_recomputed_cis(run, demo_bundle):
    result = run("table2", "--artifacts", demo_bundle, "--recompute-ci")
    assert result.status == 0, result.err
    blocks = [line for line in result.lines if line.startswith("Model: ")]
    assert blocks == [f"Model: {m}" for m in MODELS]
    assert result.lines.count("Frozen summary verification: OK") == 9
    assert result.lines.count("CI recomputation settings: NumPy_PCG64 iterations=10000 seed=42") == 9


def test_table3_alias_and_json(run, demo_bundle):
    text = run("table3", "--artifacts", demo_bundle, "--model", "radfm")
    doc = run("table2", "--artifacts", demo_bundle, "--model", "radfm", "--json")
    assert text.status == doc.status == 0
    payload = json.loads(doc.out)
    assert payload["schema_version"] == "spinefairbench-verify-v1"
    assert payload["lines"] == text.lines
    assert payload["profile"]["origin"] == "bundle"
    assert payload["facts"]["models"]["radfm"]["usable_pairs"] == int(text.lines[1].split(": ")[1])


def test_table2_wrong_seed_prints_block_then_fails(run, demo_bundle, edit):
    result = run("table2", "--artifacts", demo_bundle, "--model", "gpt-5.4", "--recompute-ci", "--seed", "7")
    edit.fails(result, "Frozen CI verification requires 10000 resamples and seed 42")
    assert len(result.lines) == 11


def test_table2_ignores_iterations_without_recompute(run, demo_bundle):
    assert run("table2", "--artifacts", demo_bundle, "--model", "radfm", "--bootstrap-iterations", "5").status == 0


def test_table2_unknown_model_is_usage_error(run, demo_bundle):
    with pytest.raises(SystemExit) as info:
        run("table2", "--artifacts", demo_bundle, "--model", "gemini-2.5-pro")
    assert info.value.code == 2


def frozen_entry(data, model="gpt-5.4"):
    return data["panels"]["full"]["models"][model]


@pytest.mark.parametrize("change, message", [
    (lambda e: e["data_quality"].update(pair_usable=e["data_quality"]["pair_usable"] + 1),
     "Recomputed usable-pair count does not match frozen summary"),
    (lambda e: e["data_quality"].update(pair_full_refusals=7), "Recomputed full_refusals does not match frozen summary"),
    (lambda e: e["data_quality"].update(pair_partial_refusals=7),
     "Recomputed partial_refusals does not match frozen summary"),
    (lambda e: e["primary_secondary_stats"]["recommendation"].update(agreement_rate=0.5),
     "Recomputed recommendation change does not match frozen summary"),
    (lambda e: e["primary_secondary_stats"]["diagnostic_label"].update(mean=0.5),
     "Recomputed diagnostic consistency does not match frozen summary"),
    (lambda e: e["primary_secondary_stats"]["diagnostic_label"].update(mean=float("nan")),
     "Recomputed diagnostic consistency does not match frozen summary"),
])
def test_table2_frozen_checks(run, bundle, edit, change, message):
    edit.json(bundle / SUMMARY, lambda d: change(frozen_entry(d)))
    edit.fails(run("table2", "--artifacts", bundle, "--model", "gpt-5.4"), message)


@pytest.mark.parametrize("endpoint, message", [
    ("recommendation", "Recomputed recommendation CI does not match frozen summary"),
    ("diagnostic_label", "Recomputed diagnosis CI does not match frozen summary"),
])
def test_table2_ci_checks(run, bundle, edit, endpoint, message):
    edit.json(bundle / SUMMARY, lambda d: frozen_entry(d)["primary_secondary_stats"][endpoint]["bootstrap_ci"]
              .update(lower=0.01))
    result = run("table2", "--artifacts", bundle, "--model", "gpt-5.4", "--recompute-ci")
    edit.fails(result, message)
    assert result.lines[-1].startswith("CI recomputation settings:")


def test_table2_missing_frozen_model_is_one_line(run, bundle, edit):
    edit.json(bundle / SUMMARY, lambda d: d["panels"]["full"]["models"].pop("gpt-5.4"))
    edit.fails(run("table2", "--artifacts", bundle, "--model", "gpt-5.4"),
               f"{SUMMARY}: panels.full.models.gpt-5.4: missing field")


@pytest.mark.parametrize("mutate, message", [
    (lambda rows, mine: rows[mine[0]].update(error="HTTP 500"), "Unresolved evaluation error in retained export: "
                                                               "gpt-5.4: {pid}"),
    (lambda rows, mine: rows[mine[0]].pop("pair_id"), "Missing pair_id in retained export: gpt-5.4"),
    (lambda rows, mine: rows[mine[0]].update(response="  \n"), "Missing report text in retained export: gpt-5.4: {pid}"),
    (lambda rows, mine: rows[mine[0]].update(image_role="counterfactual"),
     "Unknown report role in retained export: gpt-5.4: {pid}: 'counterfactual'"),
    (lambda rows, mine: rows.insert(mine[0], 5), "evaluation_results.json contains a non-object row"),
    (lambda rows, mine: rows.append(dict(rows[mine[0]])), "__duplicate__"),
    (lambda rows, mine: rows.pop(mine[0]), "Unpaired retained reports: gpt-5.4"),
    (lambda rows, mine: [rows[i].update(pair_source_id="buu_9999", source_id="buu_9999") for i in mine[:1]],
     "Inconsistent source cluster identity: gpt-5.4: {pid}"),
])
def test_retained_row_checks(run, bundle, edit, mutate, message):
    rows, mine = rows_of(bundle)
    pid = rows[mine[0]]["pair_id"]
    role = rows[mine[0]]["image_role"]
    mutate(rows, mine)
    (bundle / FULL / "evaluation_results.json").write_text(json.dumps(rows), encoding="utf-8")
    if message == "__duplicate__":
        message = (f"Duplicate source report: gpt-5.4: {pid}" if role == "source"
                   else f"Duplicate pair_id in gpt-5.4 generated reports: {pid}")
    edit.fails(run("parse-sample", "--artifacts", bundle, "--model", "gpt-5.4"), message.format(pid=pid))


def test_evaluation_results_must_be_a_list(run, bundle, edit):
    (bundle / FULL / "evaluation_results.json").write_text("{}", encoding="utf-8")
    edit.fails(run("table2", "--artifacts", bundle, "--model", "gpt-5.4"),
               "evaluation_results.json must contain a list")


def test_unknown_model_lists_available(run, demo_bundle, edit):
    edit.fails(run("parse-sample", "--artifacts", demo_bundle, "--model", "medgemma"),
               "Model 'medgemma' is not in the retained full or baseline panels. Available models: "
               + ", ".join(sorted(MODELS)))


def test_all_refusals(run, bundle, edit):
    rows, mine = rows_of(bundle)
    for i in mine:
        rows[i]["response"] = "I'm unable to interpret medical images."
    (bundle / FULL / "evaluation_results.json").write_text(json.dumps(rows), encoding="utf-8")
    edit.fails(run("parse-sample", "--artifacts", bundle, "--model", "gpt-5.4"),
               "No paired records found for model gpt-5.4")
    edit.fails(run("table2", "--artifacts", bundle, "--model", "gpt-5.4"), "No usable pairs found for model gpt-5.4")


def test_parse_sample_format(run, demo_bundle):
    result = run("parse-sample", "--artifacts", demo_bundle)
    assert result.status == 0
    assert [line.split(":")[0] for line in result.lines] == [
        "Model", "Pair ID", "Source recommendation categories", "Generated recommendation categories",
        "Source diagnostic labels", "Generated diagnostic labels", "Diagnostic-label Jaccard"]
    assert result.lines[0] == "Model: gpt-5.4"


def test_gap_sensitivity_and_both_empty(run, demo_bundle):
    gap = run("gap-sensitivity", "--artifacts", demo_bundle)
    assert gap.status == 0
    assert gap.lines[0] == "model,usable_pairs,rec_change,rec_exact_stability,rec_jaccard,diag_jaccard,gap_exact,gap_graded"
    assert [line.split(",")[0] for line in gap.lines[1:10]] == MODELS
    assert gap.lines[-1].startswith("gap_graded_negative_models: ") and gap.lines[-1].endswith("/9")
    empty = run("both-empty-diagnostic", "--artifacts", demo_bundle, "--model", "qwen2.5-vl")
    assert empty.status == 0 and len(empty.lines) == 3
    assert empty.lines[2].startswith("pooled_both_empty: ")


def test_diagnostic_scoring(run):
    result = run("diagnostic-scoring")
    assert result.status == 0
    assert result.lines[3] == "Released diagnostic-label registry size: 13"
    assert result.lines[-1] == "Both-empty diagnostic-label Jaccard: 1.0"


def test_table2_parallel_models_print_exactly_the_sequential_output(run, demo_bundle):
    sequential = run("table2", "--artifacts", demo_bundle, "--recompute-ci")
    parallel = run("table2", "--artifacts", demo_bundle, "--recompute-ci", "--workers", "2")
    assert parallel.status == sequential.status == 0
    assert parallel.out == sequential.out


def test_table2_parallel_stops_at_the_first_failing_model(run, bundle, edit):
    edit.json(bundle / SUMMARY, lambda d: d["panels"]["full"]["models"]["glm-4.6v"]["data_quality"]
              .update(pair_usable=1))
    sequential = run("table2", "--artifacts", bundle)
    parallel = run("table2", "--artifacts", bundle, "--workers", "2")
    edit.fails(parallel, "Recomputed usable-pair count does not match frozen summary")
    assert parallel.out == sequential.out and parallel.lines[-1].startswith("CI mode:")
