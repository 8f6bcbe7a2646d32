"""Judge agreement (spinebench.md §5): pairing, Pearson/Fisher-z, Spearman with ties, null rules."""

import math

import pytest

from spinefairbench.spinebench.agreement import (agreement_document, agreement_summary, correlation,
                                                 judge_agreement, mean_ranks)
from spinefairbench.spinebench.io import Item, ItemBank, Judgement
from spinefairbench.spinebench.scoring import Interval

KINDS = ("llm", "human")
RUBRIC = (("findings", ("imaging",)), ("plan", ("treatment", "risk")))


def test_fewer_than_four_pairs():
    stats = correlation([1, 2, 3], [3, 1, 2], KINDS)
    assert (stats.n, stats.pearson_r, stats.pearson_ci95, stats.spearman_rho, stats.reason) == (
        3, None, None, None, "fewer than 4 pairs")
    assert correlation([], [], KINDS).reason == "fewer than 4 pairs"


@pytest.mark.parametrize("x, y, reason", [
    ([3, 3, 3, 3], [1, 2, 3, 4], "constant scores (llm)"),
    ([1, 2, 3, 4], [2, 2, 2, 2], "constant scores (human)"),
    ([5, 5, 5, 5], [2, 2, 2, 2], "constant scores (llm, human)"),
])
def test_constant_columns(x, y, reason):
    stats = correlation(x, y, KINDS)
    assert stats.reason == reason
    assert stats.pearson_r is None and stats.pearson_ci95 is None and stats.spearman_rho is None


@pytest.mark.parametrize("y, r", [([2, 4, 6, 8], 1.0), ([8, 6, 4, 2], -1.0)])
def test_perfect_correlation_has_degenerate_interval(y, r):
    stats = correlation([1, 2, 3, 4], y, KINDS)
    assert stats.pearson_r == r
    assert stats.pearson_ci95 == Interval(r, r)
    assert stats.spearman_rho == r
    assert stats.reason is None


def test_pearson_and_fisher_interval_by_hand():
    x, y = [1, 2, 3, 4, 5], [2, 1, 4, 3, 5]
    # mx = my = 3; sxx = syy = 10; sxy = 2*2 + (-1)(-2)... computed exactly: 8
    stats = correlation(x, y, KINDS)
    assert stats.pearson_r == 8 / math.sqrt(10 * 10)
    h = 1.959963984540054 / math.sqrt(5 - 3)
    assert stats.pearson_ci95 == Interval(math.tanh(math.atanh(0.8) - h), math.tanh(math.atanh(0.8) + h))
    assert stats.spearman_rho == 0.8  # no ties: ranks equal values


def test_spearman_with_ties_uses_mean_ranks():
    assert mean_ranks([1, 2, 2, 3]) == [1.0, 2.5, 2.5, 4.0]
    assert mean_ranks([4.0, 4.0, 4.0]) == [2.0, 2.0, 2.0]
    stats = correlation([1, 2, 2, 3], [1, 3, 2, 4], KINDS)
    # ranks x = [1, 2.5, 2.5, 4], y = [1, 3, 2, 4]: sxy = 4.5, sxx = 4.5, syy = 5
    assert stats.spearman_rho == 4.5 / math.sqrt(4.5 * 5)


def test_against_numpy_when_available():
    np = pytest.importorskip("numpy")
    x = [3.5, 2.0, 4.0, 4.5, 1.0, 3.0, 2.5]
    y = [3.0, 2.5, 5.0, 4.0, 1.5, 3.0, 1.0]
    stats = correlation(x, y, KINDS)
    assert stats.pearson_r == pytest.approx(np.corrcoef(x, y)[0, 1], abs=1e-12)
    assert stats.spearman_rho == pytest.approx(np.corrcoef(mean_ranks(x), mean_ranks(y))[0, 1], abs=1e-12)


def _judgement(item, model, judge, imaging, treatment, risk):
    return Judgement(item, model, judge, ((imaging,), (treatment, risk)))


def _bank(n_reports):
    items = [Item("mcq-1", "mcq", modality="text", question="q", options={"A": "a", "B": "b"}, answer="A")]
    items += [Item(f"r{index}", "report", prompt="p") for index in range(1, n_reports + 1)]
    return ItemBank("bank.json", "bank", True, RUBRIC, tuple(items))


def test_pairing_averages_several_judgements_and_orders_pairs():
    bank = _bank(4)
    judgements = [
        _judgement("r2", "m-b", "llm:x", 4, 4, 4),
        _judgement("r2", "m-a", "llm:x", 2, 2, 2),
        _judgement("r2", "m-a", "llm:y", 3, 5, 4),  # second llm judgement: averaged
        _judgement("r2", "m-a", "human", 3, 3, 3),
        _judgement("r2", "m-b", "human:1", 5, 4, 4),
        _judgement("r1", "m-a", "llm", 1, 1, 2),
        _judgement("r1", "m-a", "human", 1, 2, 2),
        _judgement("r3", "m-a", "llm", 5, 5, 5),   # no human: no pair
        _judgement("r4", "m-a", "human", 5, 5, 5),  # no llm: no pair
        _judgement("r4", "m-a", "expert", 5, 5, 5),  # other kinds are ignored
    ]
    result = judge_agreement(bank, judgements)
    assert result.n_pairs == 3
    assert [(row.section, row.dimension) for row in result.rows] == [
        ("findings", "imaging"), ("plan", "treatment"), ("plan", "risk"), (None, "item_score")]
    assert all(row.stats.reason == "fewer than 4 pairs" for row in result.rows)

    only_a = judge_agreement(bank, judgements, model="m-a")
    assert only_a.n_pairs == 2 and only_a.model == "m-a"
    reversed_kinds = judge_agreement(bank, judgements, kinds=("human", "llm"))
    assert reversed_kinds.kinds == ("human", "llm")


def test_pair_values_and_item_score_row():
    bank = _bank(4)
    judgements = []
    for index, (llm, human) in enumerate([(1, 2), (2, 2), (3, 4), (5, 4)], start=1):
        judgements.append(_judgement(f"r{index}", "m", "llm", llm, llm, 3))
        judgements.append(_judgement(f"r{index}", "m", "human", human, 3, 3))
    judgements.append(_judgement("r1", "m", "llm", 3, 3, 3))  # r1 llm imaging -> mean (1+3)/2 = 2
    result = judge_agreement(bank, judgements)
    imaging, treatment, risk, item = result.rows
    assert imaging.stats == correlation([2.0, 2.0, 3.0, 5.0], [2.0, 2.0, 4.0, 4.0], KINDS)
    assert treatment.stats.reason == "constant scores (human)"
    assert risk.stats.reason == "constant scores (llm, human)"
    assert item.stats.n == 4 and item.stats.pearson_r is not None

    doc = agreement_document(result)
    assert doc["schema_version"] == "spinebench-agreement-v1"
    assert doc["kinds"] == ["llm", "human"] and doc["model"] is None and doc["n_pairs"] == 4
    assert doc["rows"][1] == {"section": "plan", "dimension": "treatment", "n": 4, "pearson_r": None,
                              "pearson_ci95": None, "spearman_rho": None, "reason": "constant scores (human)"}
    assert doc["rows"][3]["section"] is None and doc["rows"][3]["dimension"] == "item_score"

    lines = agreement_summary(result)
    assert lines[1] == "plan/treatment: n=4 r=null (constant scores (human))"
    stats = imaging.stats
    assert lines[0] == (f"findings/imaging: n=4 r={stats.pearson_r:.3f} [{stats.pearson_ci95.lower:.3f}, "
                        f"{stats.pearson_ci95.upper:.3f}] rho={stats.spearman_rho:.3f}")
    assert lines[3].startswith("item_score: n=4 r=")


def test_never_nan():
    for x, y in [([1, 1, 1, 2], [1, 1, 1, 2]), ([1, 1, 1, 1], [1, 2, 3, 4]), ([1, 5, 1, 5], [5, 1, 5, 1])]:
        stats = correlation(x, y, KINDS)
        values = [stats.pearson_r, stats.spearman_rho]
        if stats.pearson_ci95:
            values += [stats.pearson_ci95.lower, stats.pearson_ci95.upper]
        assert all(value is None or not math.isnan(value) for value in values)
