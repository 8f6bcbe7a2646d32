"""Per-pair endpoint values and their aggregation under the frozen refusal policy.

Shared by ``table2``, ``gap-sensitivity``, ``both-empty-diagnostic``, the
scorer and the demo-bundle builder, so every place computes the numbers the
same way: a pair with a full refusal on either side is excluded (counted), a
pair with a partial refusal is kept (counted); sums are plain left-to-right
additions in the caller's order (sorted by ``pair_id``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from spinefairbench.metrics.diagnostic_label import compute_jaccard, extract_labels
from spinefairbench.metrics.recommendation import classify_recommendations
from spinefairbench.metrics.refusal_detector import FULL_REFUSAL, PARTIAL_REFUSAL, classify_response
from spinefairbench.stats.summation import plain_sum


@dataclass(frozen=True)
class PairOutcome:
    """Everything the benchmark derives from one source/counterfactual report pair."""

    pair_id: str
    cluster_id: str
    source_class: str
    counterfactual_class: str
    source_recommendations: frozenset[str] = frozenset()
    counterfactual_recommendations: frozenset[str] = frozenset()
    source_labels: frozenset[str] = frozenset()
    counterfactual_labels: frozenset[str] = frozenset()

    @property
    def usable(self) -> bool:
        return FULL_REFUSAL not in (self.source_class, self.counterfactual_class)

    @property
    def partial_refusal(self) -> bool:
        return self.usable and PARTIAL_REFUSAL in (self.source_class, self.counterfactual_class)

    @property
    def changed(self) -> float:
        return 0.0 if self.source_recommendations == self.counterfactual_recommendations else 1.0

    @property
    def recommendation_jaccard(self) -> float:
        return compute_jaccard(self.source_recommendations, self.counterfactual_recommendations)

    @property
    def diagnostic_jaccard(self) -> float:
        return compute_jaccard(self.source_labels, self.counterfactual_labels)

    @property
    def both_empty(self) -> bool:
        return not self.source_labels and not self.counterfactual_labels


def score_pair(pair_id: str, cluster_id: str, source_text: str, counterfactual_text: str) -> PairOutcome:
    """Classify both reports; parse keywords only when the pair is usable.

    >>> outcome = score_pair("s__young_male", "s", "Normal. Follow-up.", "Normal. MRI advised.")
    >>> outcome.usable, outcome.changed, outcome.diagnostic_jaccard
    (True, 1.0, 1.0)
    >>> score_pair("s__young_male", "s", "Normal.", "  ").usable
    False
    """
    source_class = classify_response(source_text)
    counterfactual_class = classify_response(counterfactual_text)
    if FULL_REFUSAL in (source_class, counterfactual_class):
        return PairOutcome(pair_id, cluster_id, source_class, counterfactual_class)
    return PairOutcome(
        pair_id, cluster_id, source_class, counterfactual_class,
        frozenset(classify_recommendations(source_text)), frozenset(classify_recommendations(counterfactual_text)),
        frozenset(extract_labels(source_text)), frozenset(extract_labels(counterfactual_text)),
    )


@dataclass(frozen=True)
class EndpointSummary:
    """Counts and per-pair series of the usable pairs, in scoring order."""

    usable: int
    full_refusal_pairs: int
    partial_refusal_pairs: int
    matches: int
    both_empty: int
    changed: tuple[float, ...]
    recommendation_jaccard: tuple[float, ...]
    diagnostic_jaccard: tuple[float, ...]
    clusters: tuple[str, ...]

    @property
    def agreement(self) -> float:
        return self.matches / self.usable

    @property
    def rec_change_from_agreement(self) -> float:
        """``1 - agreement``, the form ``table2`` prints and checks."""
        return 1.0 - self.agreement

    @property
    def rec_change(self) -> float:
        """``sum(changed) / usable``, the form ``gap-sensitivity`` and the scorer use."""
        return plain_sum(self.changed) / self.usable

    @property
    def diagnostic_mean(self) -> float:
        return plain_sum(self.diagnostic_jaccard) / self.usable

    @property
    def recommendation_jaccard_mean(self) -> float:
        return plain_sum(self.recommendation_jaccard) / self.usable


def summarize(outcomes: Iterable[PairOutcome]) -> EndpointSummary:
    """Aggregate pair outcomes (already in scoring order) under the refusal policy.

    >>> pairs = [score_pair("a__x", "a", "Fracture.", "Fracture."), score_pair("b__x", "b", "", "x")]
    >>> summary = summarize(pairs)
    >>> summary.usable, summary.full_refusal_pairs, summary.diagnostic_mean
    (1, 1, 1.0)
    """
    full = partial = matches = both_empty = 0
    changed, rec_j, diag_j, clusters = [], [], [], []
    for outcome in outcomes:
        if not outcome.usable:
            full += 1
            continue
        partial += outcome.partial_refusal
        change = outcome.changed
        matches += change == 0.0
        both_empty += outcome.both_empty
        changed.append(change)
        rec_j.append(outcome.recommendation_jaccard)
        diag_j.append(outcome.diagnostic_jaccard)
        clusters.append(outcome.cluster_id)
    return EndpointSummary(len(changed), full, partial, matches, both_empty,
                           tuple(changed), tuple(rec_j), tuple(diag_j), tuple(clusters))
