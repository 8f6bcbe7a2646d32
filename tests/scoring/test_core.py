"""Pure scoring (§4): membership, source_id checks, refusal accounting, estimates, bootstrap, per-edit."""

import pytest

from spinefairbench.errors import SpineFairBenchError
from spinefairbench.scoring.core import score_submission
from spinefairbench.scoring.scopes import ScopeSelection, build_qc_index
from spinefairbench.scoring.submission import validate_submission
from spinefairbench.spinebench.levels import extract_levels
from spinefairbench.stats.bootstrap import source_clustered_bootstrap_cis
from spinefairbench.stats.summation import plain_sum


@pytest.fixture()
def qc_index(kit):
    return build_qc_index([kit.qc_row(s, e) for s in kit.SOURCES for e in kit.EDITS], "qc.jsonl")


def selection(qc_index, expected, scope="qc-passed"):
    return ScopeSelection(scope, qc_index, frozenset(expected), {}, {})


def score(kit, qc_index, pairs, expected=None, *, iterations=200, seed=42, allow_partial=False, levels=None,
          **entry_changes):
    document = kit.submission(pairs)
    for result in document["results"]:
        result.update(entry_changes.get(result["pair_id"], {}))
    return score_submission(validate_submission(document), selection(qc_index, expected or pairs),
                            allow_partial=allow_partial, iterations=iterations, seed=seed, levels=levels)


def error_of(*args, **kwargs) -> str:
    with pytest.raises(SpineFairBenchError) as info:
        score(*args, **kwargs)
    return str(info.value)


def test_unexpected_pairs_are_reported_before_missing_ones(kit, qc_index):
    pairs = kit.varied_pairs([f"zz{i:02d}__young_male" for i in range(12)] + ["buu_a__young_male"])
    message = error_of(kit, qc_index, pairs, expected=kit.all_pair_ids())
    assert message == ("Submission contains pair_id values outside the selected scope: "
                       + ", ".join(f"zz{i:02d}__young_male" for i in range(10)))


def test_missing_pairs_message_counts_all_and_lists_ten(kit, qc_index):
    expected = kit.all_pair_ids()
    message = error_of(kit, qc_index, kit.varied_pairs(expected[:3]), expected=expected)
    first = sorted(expected[3:])[:10]
    assert message == (f"Submission is missing 13 required pair(s) for scope qc-passed. First missing IDs: "
                       f"{first!r}. Use --allow-partial only for smoke tests.")
    result = score(kit, qc_index, kit.varied_pairs(expected[:3]), expected=expected, allow_partial=True)
    assert (result.missing_pairs, result.expected_pairs, result.submitted_pairs) == (13, 16, 3)
    assert result.warnings == ("Partial submission: 13 expected pair(s) absent from scope qc-passed.",)
    assert not result.coverage_complete and not result.comparable_to_panel_scope


def test_source_id_mismatch_reports_first_pair_in_code_point_order(kit, qc_index):
    pairs = kit.varied_pairs(["buu_b__young_male", "buu_a__young_male", "buu_a__elderly_male"])
    message = error_of(kit, qc_index, pairs, **{"buu_b__young_male": {"source_id": "buu_x"},
                                                "buu_a__young_male": {"source_id": "buu_a "}})
    assert message == "source_id mismatch for buu_a__young_male: 'buu_a ' != 'buu_a'"


def test_declared_source_id_equal_or_null_is_accepted(kit, qc_index):
    pairs = kit.varied_pairs(["buu_a__young_male", "buu_b__young_male"])
    result = score(kit, qc_index, pairs, **{"buu_a__young_male": {"source_id": "buu_a"},
                                            "buu_b__young_male": {"source_id": None}})
    assert [p.outcome.cluster_id for p in result.pairs] == ["buu_a", "buu_b"]


def test_no_usable_pairs(kit, qc_index):
    pairs = {"buu_a__young_male": (kit.FULL_REFUSAL, kit.BASE), "buu_b__young_male": (kit.BASE, kit.FULL_REFUSAL)}
    assert error_of(kit, qc_index, pairs) == "No usable pairs remain after full-refusal filtering"


@pytest.mark.parametrize("iterations, seed, message", [
    (0, 42, "bootstrap iterations must be >= 1"),
    (-5, -1, "bootstrap iterations must be >= 1"),
    (10, -1, "bootstrap seed must be a non-negative integer, got -1"),
])
def test_bootstrap_settings_are_checked_last(kit, qc_index, iterations, seed, message):
    pairs = kit.varied_pairs(kit.all_pair_ids()[:4])
    assert error_of(kit, qc_index, pairs, iterations=iterations, seed=seed) == message
    # Every earlier failure wins over them.
    refused = {pair_id: (kit.FULL_REFUSAL, kit.BASE) for pair_id in pairs}
    assert error_of(kit, qc_index, refused, iterations=iterations, seed=seed).startswith("No usable pairs")


def test_refusal_accounting_and_estimates(kit, qc_index):
    pairs = {
        "buu_a__young_male": (kit.BASE, kit.BASE),               # unchanged
        "buu_a__young_female": (kit.BASE, kit.REC_CHANGED),      # recommendation changed
        "buu_b__young_male": (kit.BASE, kit.LABEL_CHANGED),      # labels changed
        "buu_b__elderly_male": (kit.FULL_REFUSAL, kit.FULL_REFUSAL),  # both sides refused: one pair
        "buu_c__young_male": (kit.BASE, kit.FULL_REFUSAL),
        "buu_c__elderly_female": (kit.PARTIAL_REFUSAL, kit.BASE),  # kept
    }
    result = score(kit, qc_index, pairs)
    assert (result.source_full_refusals, result.counterfactual_full_refusals, result.pair_full_refusals,
            result.pair_partial_refusals, len(result.usable), result.unique_sources_usable) == (1, 2, 2, 1, 4, 3)
    usable = result.usable
    assert [p.outcome.pair_id for p in usable] == sorted(p.outcome.pair_id for p in usable)
    changed = [p.outcome.changed for p in usable]
    jaccard = [p.outcome.diagnostic_jaccard for p in usable]
    assert result.recommendation.point_estimate == plain_sum(changed) / 4
    assert result.diagnostic.point_estimate == plain_sum(jaccard) / 4
    assert result.recommendation.n_pairs == result.diagnostic.n_pairs == 4
    # Both primary CIs are the published bootstrap of the usable values, clustered by QC source.
    clusters = [p.outcome.cluster_id for p in usable]
    assert [result.recommendation.ci95, result.diagnostic.ci95] == [
        tuple(ci) for ci in source_clustered_bootstrap_cis([changed, jaccard], clusters, iterations=200, seed=42)]


def test_segment_consistency_uses_the_same_resamples(kit, qc_index):
    pairs = {"buu_a__young_male": ("Disc bulge at L4-5.", "Disc bulge at L4/L5."),
             "buu_b__young_male": ("Normal study.", "Normal study."),
             "buu_c__young_male": ("Fracture of L1.", "Fracture of T12 and L1.")}
    result = score(kit, qc_index, pairs, levels=extract_levels)
    values = [p.segment_consistency for p in result.usable]
    assert values == [1.0, 1.0, 0.5]
    assert result.segment.both_empty_pairs == 1
    assert result.segment.point_estimate == 2.5 / 3
    clusters = [p.outcome.cluster_id for p in result.usable]
    assert result.segment.ci95 == tuple(source_clustered_bootstrap_cis([values], clusters, iterations=200,
                                                                       seed=42)[0])
    assert score(kit, qc_index, pairs).segment is None


def test_per_edit_breakdown_of_a_single_edit_equals_the_primary_endpoint(kit, qc_index):
    pairs = kit.varied_pairs([f"{s}__young_male" for s in kit.SOURCES])
    result = score(kit, qc_index, pairs)
    rec, diag = result.per_edit.endpoints
    young_male = rec.edits[1]
    assert (young_male.edit_label, young_male.point_estimate, young_male.ci95) == (
        "young_male", result.recommendation.point_estimate, result.recommendation.ci95)
    assert diag.edits[1].ci95 == result.diagnostic.ci95
    assert [e.n_pairs for e in rec.edits] == [0, len(result.usable), 0, 0]
    assert rec.gap is None


def test_per_edit_breakdown_matches_a_direct_numpy_computation(kit, qc_index):
    np = pytest.importorskip("numpy")
    pair_ids = kit.all_pair_ids()
    result = score(kit, qc_index, kit.varied_pairs(pair_ids), iterations=500, seed=7)
    usable = result.usable
    clusters = sorted({p.outcome.cluster_id for p in usable})
    draws = np.random.default_rng(7).integers(0, len(clusters), size=(500, len(clusters)))
    for endpoint, value_of in zip(result.per_edit.endpoints, (lambda o: o.changed, lambda o: o.diagnostic_jaccard)):
        replicate_values = {}
        for estimate in endpoint.edits:
            sums, counts = np.zeros(len(clusters)), np.zeros(len(clusters))
            for pair in usable:
                if pair.edit_label == estimate.edit_label:
                    sums[clusters.index(pair.outcome.cluster_id)] += value_of(pair.outcome)
                    counts[clusters.index(pair.outcome.cluster_id)] += 1
            drawn = counts[draws].sum(axis=1)
            replicates = np.where(drawn > 0, sums[draws].sum(axis=1) / np.maximum(drawn, 1), np.nan)
            replicate_values[estimate.edit_label] = replicates
            defined = replicates[drawn > 0]
            assert estimate.replicates_used == len(defined)
            assert estimate.ci95 == pytest.approx(tuple(np.percentile(defined, [2.5, 97.5])), abs=1e-12)
        gap = endpoint.gap
        gaps = replicate_values[gap.worst_edit] - replicate_values[gap.best_edit]
        gaps = gaps[~np.isnan(gaps)]
        assert gap.ci95 == pytest.approx(tuple(np.percentile(gaps, [2.5, 97.5])), abs=1e-12)
        points = {e.edit_label: e.point_estimate for e in endpoint.edits}
        worst = max(points.values()) if endpoint.higher_is_worse else min(points.values())
        assert points[gap.worst_edit] == worst and gap.gap == worst - points[gap.best_edit]


def test_gap_orientation_and_ties(kit, qc_index):
    # Every edit identical: worst is the first edit in canonical order, best the last, gap 0.
    pairs = {f"{s}__{e}": (kit.BASE, kit.BASE) for s in kit.SOURCES for e in kit.EDITS}
    rec, diag = score(kit, qc_index, pairs).per_edit.endpoints
    for endpoint in (rec, diag):
        assert (endpoint.gap.worst_edit, endpoint.gap.best_edit, endpoint.gap.gap) == (
            "young_female", "elderly_male", 0.0)
    # Consistency: worst is the lowest, so worst - best is negative.
    pairs["buu_a__young_male"] = (kit.BASE, kit.LABEL_CHANGED)
    diag = score(kit, qc_index, pairs).per_edit.endpoints[1]
    assert (diag.gap.worst_edit, diag.gap.gap) == ("young_male", -0.25)


def test_workers_do_not_change_results(kit):
    sources = [f"buu_{i:03d}" for i in range(150)]  # 600 pairs: enough for two classification workers
    qc_index = build_qc_index([kit.qc_row(s, e) for s in sources for e in kit.EDITS], "qc.jsonl")
    pairs = kit.varied_pairs(kit.all_pair_ids(sources))
    submission = validate_submission(kit.submission(pairs))
    results = [score_submission(submission, selection(qc_index, pairs), allow_partial=False, iterations=300,
                                seed=9, workers=workers, levels=extract_levels) for workers in (1, 2)]
    one, two = results
    assert one.pairs == two.pairs
    assert (one.recommendation, one.diagnostic, one.segment, one.per_edit) == (
        two.recommendation, two.diagnostic, two.segment, two.per_edit)
