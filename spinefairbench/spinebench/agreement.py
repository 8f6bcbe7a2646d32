"""Agreement between two kinds of judge (``llm`` vs ``human``) on the report rubric.

The paper validates its LLM judge by correlating it with blind human review,
dimension by dimension (Pearson r from 0.382 to 0.949).  This module does the
same for any two judge kinds (``spinebench.md`` §5): it pairs the judgements
of one item and model by the two kinds, then reports per dimension, and for
the item score, the number of pairs, Pearson r with its Fisher-z 95% CI and
Spearman's rho.  Sums use :func:`math.fsum`; an undefined statistic is
``None`` with a reason, never NaN.

>>> correlation([1, 2, 3, 4], [2, 4, 6, 8.5], ("llm", "human")).pearson_r
0.99838143945703
>>> correlation([1, 2, 3], [1, 2, 3], ("llm", "human")).reason
'fewer than 4 pairs'
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from spinefairbench.spinebench.io import ItemBank, Judgement
from spinefairbench.spinebench.scoring import Interval, interval_document, item_score, judgement_score

AGREEMENT_SCHEMA = "spinebench-agreement-v1"
DEFAULT_KINDS = ("llm", "human")
MIN_PAIRS = 4
Z_975 = 1.959963984540054
ITEM_SCORE = "item_score"


@dataclass(frozen=True)
class Correlation:
    """Statistics of one row; ``reason`` says why they are ``None``."""

    n: int
    pearson_r: float | None
    pearson_ci95: Interval | None
    spearman_rho: float | None
    reason: str | None


@dataclass(frozen=True)
class AgreementRow:
    section: str | None  # None for the item_score row
    dimension: str
    stats: Correlation


@dataclass(frozen=True)
class AgreementResult:
    kinds: tuple[str, str]
    model: str | None
    n_pairs: int
    rows: tuple[AgreementRow, ...]


def _centred_sums(x: Sequence[float], y: Sequence[float]) -> tuple[float, float, float]:
    n = len(x)
    mean_x, mean_y = math.fsum(x) / n, math.fsum(y) / n
    dx = [value - mean_x for value in x]
    dy = [value - mean_y for value in y]
    return (math.fsum(d * d for d in dx), math.fsum(d * d for d in dy),
            math.fsum(a * b for a, b in zip(dx, dy)))


def _pearson(x: Sequence[float], y: Sequence[float]) -> float:
    sxx, syy, sxy = _centred_sums(x, y)
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def mean_ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, tied values sharing the mean of their positions.

    >>> mean_ranks([3, 1, 3, 2])
    [3.5, 1.0, 3.5, 2.0]
    >>> mean_ranks([])
    []
    """
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        shared = (start + 1 + end + 1) / 2
        for position in range(start, end + 1):
            ranks[order[position]] = shared
        start = end + 1
    return ranks


def correlation(x: Sequence[float], y: Sequence[float], kinds: Sequence[str]) -> Correlation:
    """Pearson r, its Fisher-z CI and Spearman rho of paired columns, with the null rules of §5.

    >>> correlation([1, 2, 3, 4], [1, 1, 1, 1], ("llm", "human")).reason
    'constant scores (human)'
    >>> correlation([1, 2, 3, 4], [4, 3, 2, 1], ("llm", "human"))
    Correlation(n=4, pearson_r=-1.0, pearson_ci95=Interval(lower=-1.0, upper=-1.0), spearman_rho=-1.0, reason=None)
    """
    n = len(x)
    if n < MIN_PAIRS:
        return Correlation(n, None, None, None, f"fewer than {MIN_PAIRS} pairs")
    sxx, syy, _ = _centred_sums(x, y)
    constant = [kind for kind, spread in zip(kinds, (sxx, syy)) if spread == 0]
    if constant:
        return Correlation(n, None, None, None, f"constant scores ({', '.join(constant)})")
    r = _pearson(x, y)
    if abs(r) == 1:
        interval = Interval(r, r)
    else:
        z, half_width = math.atanh(r), Z_975 / math.sqrt(n - 3)
        interval = Interval(math.tanh(z - half_width), math.tanh(z + half_width))
    return Correlation(n, r, interval, _pearson(mean_ranks(x), mean_ranks(y)), None)


def judge_agreement(bank: ItemBank, judgements: Sequence[Judgement], kinds: Sequence[str] = DEFAULT_KINDS,
                    model: str | None = None) -> AgreementResult:
    """Pair the two kinds' judgements per (item, model) and correlate them per rubric dimension."""
    first, second = kinds
    groups: dict[tuple[str, str], dict[str, list[Judgement]]] = defaultdict(lambda: {first: [], second: []})
    for judgement in judgements:
        if judgement.kind in (first, second) and (model is None or judgement.model == model):
            groups[judgement.item_id, judgement.model][judgement.kind].append(judgement)
    position = {item.item_id: index for index, item in enumerate(bank.items)}
    paired = sorted((key for key, group in groups.items() if group[first] and group[second]),
                    key=lambda key: (position[key[0]], key[1]))

    def dimension_mean(group: list[Judgement], section: int, dimension: int) -> float:
        return sum(judgement.scores[section][dimension] for judgement in group) / len(group)

    def group_item_score(group: list[Judgement]) -> float:
        return item_score([judgement_score(judgement.scores) for judgement in group])

    rows = []
    for section_index, (section, dimensions) in enumerate(bank.rubric):
        for dimension_index, dimension in enumerate(dimensions):
            x = [dimension_mean(groups[key][first], section_index, dimension_index) for key in paired]
            y = [dimension_mean(groups[key][second], section_index, dimension_index) for key in paired]
            rows.append(AgreementRow(section, dimension, correlation(x, y, kinds)))
    x = [group_item_score(groups[key][first]) for key in paired]
    y = [group_item_score(groups[key][second]) for key in paired]
    rows.append(AgreementRow(None, ITEM_SCORE, correlation(x, y, kinds)))
    return AgreementResult((first, second), model, len(paired), tuple(rows))


def agreement_document(result: AgreementResult) -> dict:
    """The ``spinebench-agreement-v1`` document (§7.2)."""
    return {
        "schema_version": AGREEMENT_SCHEMA,
        "kinds": list(result.kinds),
        "model": result.model,
        "n_pairs": result.n_pairs,
        "rows": [{"section": row.section, "dimension": row.dimension, "n": row.stats.n,
                  "pearson_r": row.stats.pearson_r, "pearson_ci95": interval_document(row.stats.pearson_ci95),
                  "spearman_rho": row.stats.spearman_rho, "reason": row.stats.reason}
                 for row in result.rows],
    }


def agreement_summary(result: AgreementResult) -> list[str]:
    """One line per row (§5)."""
    lines = []
    for row in result.rows:
        label = row.dimension if row.section is None else f"{row.section}/{row.dimension}"
        stats = row.stats
        if stats.pearson_r is None:
            lines.append(f"{label}: n={stats.n} r=null ({stats.reason})")
        else:
            lines.append(f"{label}: n={stats.n} r={stats.pearson_r:.3f} [{stats.pearson_ci95.lower:.3f}, "
                         f"{stats.pearson_ci95.upper:.3f}] rho={stats.spearman_rho:.3f}")
    return lines
