"""Secondary analyses: the per-edit breakdown, paired comparison of two scores, the leaderboard.

None of these changes a primary endpoint.  The per-edit breakdown is written
under ``secondary`` in every score document; ``compare`` and ``leaderboard``
read finished score documents.

**Per-edit estimator.**  For edit ``e`` the point estimate is the mean of the
endpoint over the usable pairs of that edit.  Its CI reuses the resamples of
the primary bootstrap: replicate ``b`` draws source clusters, and within the
drawn clusters only edit ``e``'s pairs count, so the replicate value is
``sum over drawn clusters of S(c, e) / sum over drawn clusters of N(c, e)``,
the per-edit sum and count of each drawn cluster.  It is obtained from two
series run through the same bootstrap call -- the endpoint masked to edit
``e`` (0 elsewhere) and the indicator of edit ``e`` -- whose replicate means
share the denominator of all drawn pairs, which cancels in their quotient.
The masked endpoint is first scaled to exact integers (the diagnostic
Jaccard values are fractions with small denominators), so the bootstrap sums
every breakdown series exactly and in one pass; the quotient is then exact up
to three roundings (about 1e-16), far below the CI's resolution.  A replicate
that drew no pair of edit ``e`` has no value for it and is left out of that
edit's percentiles (``replicates_used`` says how many remained).

**Worst-minus-best gap.**  The worst and best edits are fixed by the point
estimates (highest and lowest recommendation change; lowest and highest
diagnostic consistency; ties go to the earlier edit in the order
``young_female, young_male, elderly_female, elderly_male`` for worst and the
later one for best).  The gap is ``value(worst) - value(best)`` in the
endpoint's own units -- positive for recommendation change, negative for
consistency -- and its CI is taken from the same replicates.  The CI does not
account for having selected the two edits by their estimates.

**Paired comparison** (``compare``): on the pairs usable in both score files,
the per-pair difference B - A of each endpoint, its mean, and a
source-clustered percentile bootstrap CI of that mean (the paired bootstrap:
each replicate draws sources and keeps both models' values of the drawn pairs).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from spinefairbench.bundle.fields import dig
from spinefairbench.bundle.loaders import is_finite_number, json_type, load_json
from spinefairbench.bundle.layout import EDIT_LABELS
from spinefairbench.errors import SpineFairBenchError
from spinefairbench.scoring import SCORE_SCHEMA
from spinefairbench.stats.bootstrap import percentile_ci, source_clustered_bootstrap_cis
from spinefairbench.stats.summation import plain_sum

#: The endpoints broken down by edit, and whether a higher value is worse.
PER_EDIT_ENDPOINTS = (("recommendation_change_rate", True), ("diagnostic_label_consistency", False))

COMPARE_SCHEMA = "spinefairbench-compare-v1"
LEADERBOARD_SCHEMA = "spinefairbench-leaderboard-v1"


# --------------------------------------------------------------------------
# Per-edit breakdown


@dataclass(frozen=True)
class EditEstimate:
    """One endpoint on the usable pairs of one edit (``None`` values when the edit has none)."""

    edit_label: str
    n_pairs: int
    unique_sources: int
    point_estimate: float | None
    ci95: tuple[float, float] | None
    replicates_used: int


@dataclass(frozen=True)
class EditGap:
    """``value(worst edit) - value(best edit)`` with its CI from the same replicates."""

    worst_edit: str
    best_edit: str
    gap: float
    ci95: tuple[float, float] | None
    replicates_used: int


@dataclass(frozen=True)
class EndpointBreakdown:
    """One endpoint across the four edits."""

    endpoint: str
    higher_is_worse: bool
    edits: tuple[EditEstimate, ...]  # in EDIT_LABELS order
    gap: EditGap | None  # None with fewer than two edits present


@dataclass(frozen=True)
class PerEditBreakdown:
    endpoints: tuple[EndpointBreakdown, ...]  # in PER_EDIT_ENDPOINTS order


def present_edits(edits: Sequence[str]) -> list[str]:
    """The edit labels that occur, in the canonical order.

    >>> present_edits(["elderly_male", "young_female", "elderly_male"])
    ['young_female', 'elderly_male']
    """
    seen = set(edits)
    return [label for label in EDIT_LABELS if label in seen]


def exact_jaccard(first: Set[str], second: Set[str]) -> Fraction:
    """The frozen Jaccard as an exact fraction (two empty sets give 1), for exact per-edit sums.

    >>> exact_jaccard({"a", "b"}, {"b", "c"}), exact_jaccard(set(), set()), exact_jaccard({"a"}, set())
    (Fraction(1, 3), Fraction(1, 1), Fraction(0, 1))
    """
    union = len(first | second)
    return Fraction(len(first & second), union) if union else Fraction(1)


def edit_series(edits: Sequence[str], endpoints: Sequence[Sequence[Fraction]]
                ) -> tuple[list[list[float]], tuple[int, ...]]:
    """The bootstrap series of the breakdown and each endpoint's scale.

    Per present edit: its indicator, then each endpoint masked to it.  Each
    endpoint is multiplied by the least common denominator of its values
    (its *scale*), so every series holds exact integers: the bootstrap sums
    integer series exactly and all together, in one pass with the pair counts.

    >>> edit_series(["young_male", "young_female"], [[Fraction(1), Fraction(0)], [Fraction(1, 2), Fraction(1, 3)]])
    ([[0.0, 1.0], [0.0, 0.0], [0.0, 2.0], [1.0, 0.0], [1.0, 0.0], [3.0, 0.0]], (1, 6))
    >>> edit_series([], [[]])
    ([], (1,))
    """
    scales = tuple(math.lcm(*(value.denominator for value in values)) for values in endpoints)
    scaled = [[float(value * scale) for value in values] for values, scale in zip(endpoints, scales)]
    series = []
    for label in present_edits(edits):
        series.append([1.0 if edit == label else 0.0 for edit in edits])
        for values in scaled:
            series.append([value if edit == label else 0.0 for value, edit in zip(values, edits)])
    return series, scales


def per_edit_breakdown(edits: Sequence[str], clusters: Sequence[str], endpoints: Sequence[Sequence[float]],
                       replicates: Sequence[Sequence[float]], scales: Sequence[int]) -> PerEditBreakdown:
    """Assemble the breakdown from the replicate means of :func:`edit_series` (same order and scales).

    ``endpoints`` holds the float values of the usable pairs (for the point estimates).

    Two replicates: the first draws cluster ``a`` twice, the second ``b`` twice.

    >>> edits, clusters = ["young_male", "young_female", "young_male"], ["a", "a", "b"]
    >>> rec, diag = [1.0, 0.0, 0.0], [0.0, 1.0, 1.0]
    >>> reps = [[0.5, 0.0], [0.0, 0.0], [0.5, 0.0],  # young_female: indicator, rec, diag
    ...         [0.5, 1.0], [0.5, 0.0], [0.0, 1.0]]  # young_male
    >>> breakdown = per_edit_breakdown(edits, clusters, [rec, diag], reps, (1, 1)).endpoints[0]
    >>> for e in breakdown.edits[:3]:
    ...     print(e.edit_label, e.n_pairs, e.point_estimate, e.ci95, e.replicates_used)
    young_female 1 0.0 (0.0, 0.0) 1
    young_male 2 0.5 (0.025, 0.975) 2
    elderly_female 0 None None 0
    >>> breakdown.gap
    EditGap(worst_edit='young_male', best_edit='young_female', gap=0.5, ci95=(1.0, 1.0), replicates_used=1)
    """
    block = 1 + len(endpoints)
    series_of = {label: replicates[k * block:(k + 1) * block] for k, label in enumerate(present_edits(edits))}
    breakdowns = []
    for j, ((name, higher_is_worse), values, scale) in enumerate(zip(PER_EDIT_ENDPOINTS, endpoints, scales)):
        estimates, replicate_values = [], {}
        for label in EDIT_LABELS:
            members = [i for i, edit in enumerate(edits) if edit == label]
            if not members:
                estimates.append(EditEstimate(label, 0, 0, None, None, 0))
                continue
            share, masked = series_of[label][0], series_of[label][1 + j]
            ratios = [num / den / scale if den > 0.0 else None for num, den in zip(masked, share)]
            replicate_values[label] = ratios
            defined = [ratio for ratio in ratios if ratio is not None]
            estimates.append(EditEstimate(
                label, len(members), len({clusters[i] for i in members}),
                plain_sum(values[i] for i in members) / len(members),
                percentile_ci(defined) if defined else None, len(defined)))
        breakdowns.append(EndpointBreakdown(name, higher_is_worse, tuple(estimates),
                                            _edit_gap(estimates, replicate_values, higher_is_worse)))
    return PerEditBreakdown(tuple(breakdowns))


def _edit_gap(estimates: Sequence[EditEstimate], replicate_values: Mapping[str, list],
              higher_is_worse: bool) -> EditGap | None:
    ranked = sorted((e for e in estimates if e.point_estimate is not None),
                    key=lambda e: -e.point_estimate if higher_is_worse else e.point_estimate)  # stable: ties keep order
    if len(ranked) < 2:
        return None
    worst, best = ranked[0], ranked[-1]
    gaps = [w - b for w, b in zip(replicate_values[worst.edit_label], replicate_values[best.edit_label])
            if w is not None and b is not None]
    return EditGap(worst.edit_label, best.edit_label, worst.point_estimate - best.point_estimate,
                   percentile_ci(gaps) if gaps else None, len(gaps))


# --------------------------------------------------------------------------
# Reading score files


@dataclass(frozen=True)
class PairValues:
    """A usable pair's endpoint values as a score file records them."""

    source_id: str
    recommendation_changed: float
    diagnostic_label_consistency: float


@dataclass(frozen=True)
class EndpointValue:
    point_estimate: float
    ci95: tuple[float, float]
    n_pairs: int


@dataclass(frozen=True, eq=False)
class ScoreFile:
    """The facts of a ``spinefairbench-score-v1`` document that compare and leaderboard use."""

    display: str
    model: dict
    scope: str
    expected_pairs: int
    submitted_pairs: int
    coverage_complete: bool
    recommendation: EndpointValue
    diagnostic: EndpointValue
    scored_pair_ids: frozenset[str]
    usable: Mapping[str, PairValues]

    @property
    def model_name(self) -> str:
        return self.model["name"]


_KINDS = {
    "a string": lambda v: isinstance(v, str),
    "an integer": lambda v: type(v) is int,
    "a boolean": lambda v: isinstance(v, bool),
    "a finite number": is_finite_number,
    "an object": lambda v: isinstance(v, dict),
    "a list": lambda v: isinstance(v, list),
}


def _typed(document, path: str, kind: str, display: str):
    value = dig(document, path, source=display)
    if not _KINDS[kind](value):
        raise SpineFairBenchError(f"expected {kind}, found {json_type(value)}", path=display, field=path)
    return value


def _endpoint(document, name: str, display: str) -> EndpointValue:
    base = f"primary_endpoints.{name}"
    return EndpointValue(_typed(document, f"{base}.point_estimate", "a finite number", display),
                         (_typed(document, f"{base}.ci95.lower", "a finite number", display),
                          _typed(document, f"{base}.ci95.upper", "a finite number", display)),
                         _typed(document, f"{base}.n_pairs", "an integer", display))


def score_file_from_document(document, display: str) -> ScoreFile:
    """Check the fields compare and leaderboard need and collect them.

    >>> score_file_from_document({"schema_version": "x"}, "s.json")
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: s.json: schema_version: expected 'spinefairbench-score-v1'
    """
    if not isinstance(document, dict) or document.get("schema_version") != SCORE_SCHEMA:
        raise SpineFairBenchError(f"expected {SCORE_SCHEMA!r}", path=display, field="schema_version")
    _typed(document, "model.name", "a string", display)
    scored, usable = set(), {}
    for index, entry in enumerate(_typed(document, "per_pair_results", "a list", display)):
        where = f"per_pair_results[{index}]"
        if not isinstance(entry, dict):
            raise SpineFairBenchError("expected an object", path=display, field=where)
        pair_id = _typed(entry, "pair_id", "a string", f"{display}: {where}")
        if pair_id in scored:
            raise SpineFairBenchError(f"duplicate pair_id {pair_id!r}", path=display, field=where)
        scored.add(pair_id)
        if _typed(entry, "usable", "a boolean", f"{display}: {where}"):
            usable[pair_id] = PairValues(
                _typed(entry, "source_id", "a string", f"{display}: {where}"),
                _typed(entry, "recommendation_changed", "a finite number", f"{display}: {where}"),
                _typed(entry, "diagnostic_label_consistency", "a finite number", f"{display}: {where}"))
    return ScoreFile(
        display=display, model=document["model"], scope=_typed(document, "scope", "a string", display),
        expected_pairs=_typed(document, "coverage.expected_pairs", "an integer", display),
        submitted_pairs=_typed(document, "coverage.submitted_pairs", "an integer", display),
        coverage_complete=_typed(document, "coverage.coverage_complete", "a boolean", display),
        recommendation=_endpoint(document, "recommendation_change_rate", display),
        diagnostic=_endpoint(document, "diagnostic_label_consistency", display),
        scored_pair_ids=frozenset(scored), usable=usable)


def read_score_file(path: Path, display: str | None = None) -> ScoreFile:
    """Load and check one score document."""
    shown = display or str(path)
    return score_file_from_document(load_json(path, shown), shown)


# --------------------------------------------------------------------------
# compare


@dataclass(frozen=True)
class PairedDifference:
    """One endpoint on the common pairs: both means and the mean paired difference B - A."""

    endpoint: str
    higher_is_worse: bool
    mean_a: float
    mean_b: float
    difference: float
    ci95: tuple[float, float]

    @property
    def verdict(self) -> str:
        lower, upper = self.ci95
        if self.endpoint == "recommendation_change_rate":
            if upper < 0.0:
                return "B changes its recommendation less often than A (less sensitive; the CI excludes 0)"
            if lower > 0.0:
                return "B changes its recommendation more often than A (more sensitive; the CI excludes 0)"
            return "no clear difference in recommendation change (the CI includes 0)"
        if lower > 0.0:
            return "B keeps its diagnostic labels more consistent than A (the CI excludes 0)"
        if upper < 0.0:
            return "B keeps its diagnostic labels less consistent than A (the CI excludes 0)"
        return "no clear difference in diagnostic-label consistency (the CI includes 0)"


@dataclass(frozen=True, eq=False)
class Comparison:
    a: ScoreFile
    b: ScoreFile
    common_pairs: int
    common_sources: int
    usable_only_in_a: int
    usable_only_in_b: int
    endpoints: tuple[PairedDifference, PairedDifference]
    iterations: int
    seed: int


def compare_scores(a: ScoreFile, b: ScoreFile, *, iterations: int, seed: int, workers: int = 1,
                   allow_scope_mismatch: bool = False) -> Comparison:
    """Paired difference B - A on the pairs usable in both files, with source-clustered bootstrap CIs."""
    if a.scope != b.scope and not allow_scope_mismatch:
        raise SpineFairBenchError(f"score files have different scopes ({a.scope} in {a.display}, {b.scope} in "
                                  f"{b.display}); pass --allow-scope-mismatch to compare their common pairs anyway")
    if iterations < 1:
        raise SpineFairBenchError("bootstrap iterations must be >= 1")
    if seed < 0:
        raise SpineFairBenchError(f"bootstrap seed must be a non-negative integer, got {seed}")
    common = sorted(set(a.usable) & set(b.usable))
    if not common:
        raise SpineFairBenchError("the two score files have no usable pair in common")
    for pair_id in common:
        if a.usable[pair_id].source_id != b.usable[pair_id].source_id:
            raise SpineFairBenchError(f"source_id of {pair_id} differs between the score files "
                                      f"({a.usable[pair_id].source_id!r} != {b.usable[pair_id].source_id!r})")
    clusters = [a.usable[pair_id].source_id for pair_id in common]
    fields = ("recommendation_changed", "diagnostic_label_consistency")
    values_a = [[getattr(a.usable[p], name) for p in common] for name in fields]
    values_b = [[getattr(b.usable[p], name) for p in common] for name in fields]
    differences = [[vb - va for va, vb in zip(sa, sb)] for sa, sb in zip(values_a, values_b)]
    intervals = source_clustered_bootstrap_cis(differences, clusters, iterations=iterations, seed=seed,
                                               workers=workers)
    n = len(common)
    endpoints = tuple(
        PairedDifference(name, higher_is_worse, plain_sum(sa) / n, plain_sum(sb) / n, plain_sum(d) / n,
                         tuple(ci))
        for (name, higher_is_worse), sa, sb, d, ci in zip(PER_EDIT_ENDPOINTS, values_a, values_b,
                                                          differences, intervals))
    return Comparison(a, b, n, len(set(clusters)), len(set(a.usable) - set(b.usable)),
                      len(set(b.usable) - set(a.usable)), endpoints, iterations, seed)


def comparison_lines(comparison: Comparison) -> list[str]:
    """The printed summary of a comparison."""
    c = comparison
    scope = c.a.scope if c.a.scope == c.b.scope else f"{c.a.scope} (A) / {c.b.scope} (B)"
    lines = [f"Paired comparison B - A on {c.common_pairs} common usable pairs from {c.common_sources} sources",
             f"A: {c.a.model_name} ({c.a.display})",
             f"B: {c.b.model_name} ({c.b.display})",
             f"Scope: {scope}"]
    if c.usable_only_in_a or c.usable_only_in_b:
        lines.append(f"Excluded (usable in one file only): {c.usable_only_in_a} in A, {c.usable_only_in_b} in B")
    labels = {"recommendation_change_rate": "Recommendation change",
              "diagnostic_label_consistency": "Diagnostic-label consistency"}
    for e in c.endpoints:
        lines.append(f"{labels[e.endpoint]}: A {e.mean_a:.3f}, B {e.mean_b:.3f}, B - A {e.difference:+.3f} "
                     f"[{e.ci95[0]:+.3f}, {e.ci95[1]:+.3f}]: {e.verdict}")
    lines.append(f"Bootstrap: source-clustered paired percentile, {c.iterations} iterations, seed {c.seed}")
    return lines


def comparison_document(comparison: Comparison) -> dict:
    c = comparison

    def side(f: ScoreFile) -> dict:
        return {"score_file": f.display, "model": f.model, "scope": f.scope}

    return {
        "schema_version": COMPARE_SCHEMA,
        "a": side(c.a), "b": side(c.b),
        "common_usable_pairs": c.common_pairs, "common_sources": c.common_sources,
        "usable_only_in_a": c.usable_only_in_a, "usable_only_in_b": c.usable_only_in_b,
        "bootstrap": {"method": "source_clustered_paired_percentile", "iterations": c.iterations, "seed": c.seed},
        "endpoints": {e.endpoint: {"mean_a": e.mean_a, "mean_b": e.mean_b, "difference_b_minus_a": e.difference,
                                   "ci95": {"lower": e.ci95[0], "upper": e.ci95[1]}, "verdict": e.verdict}
                      for e in c.endpoints},
    }


# --------------------------------------------------------------------------
# leaderboard


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    score: ScoreFile


@dataclass(frozen=True, eq=False)
class Leaderboard:
    scope: str
    rows: tuple[LeaderboardRow, ...]


def build_leaderboard(files: Sequence[ScoreFile], *, include_partial: bool = False) -> Leaderboard:
    """Rank by recommendation change (lower first), then diagnostic consistency (higher first).

    Refuses files that are not comparable: different scopes; incomplete
    coverage (unless ``include_partial``); complete files that cover
    different pair sets (toy scopes, or different bundles).
    """
    if not files:
        raise SpineFairBenchError("no score files to rank")
    scopes = sorted({f.scope for f in files})
    if len(scopes) > 1:
        listing = ", ".join(f"{f.display} ({f.scope})" for f in files)
        raise SpineFairBenchError(f"cannot rank score files of different scopes together: {listing}")
    partial = [f for f in files if not f.coverage_complete]
    if partial and not include_partial:
        raise SpineFairBenchError(f"incomplete coverage in {partial[0].display} "
                                  f"({partial[0].submitted_pairs} of {partial[0].expected_pairs} expected pairs "
                                  f"submitted); pass --include-partial to rank it anyway")
    complete = [f for f in files if f.coverage_complete]
    for other in complete[1:]:
        if other.scored_pair_ids != complete[0].scored_pair_ids:
            raise SpineFairBenchError(f"{complete[0].display} and {other.display} cover different pair sets "
                                      f"although both are complete; they cannot be ranked together")
    ordered = sorted(files, key=lambda f: (f.recommendation.point_estimate, -f.diagnostic.point_estimate,
                                           f.model_name, f.display))
    return Leaderboard(scopes[0], tuple(LeaderboardRow(rank, f) for rank, f in enumerate(ordered, start=1)))


LEADERBOARD_COLUMNS = (
    "rank", "model_name", "model_version", "scope", "n_pairs",
    "recommendation_change_rate", "recommendation_change_ci95_lower", "recommendation_change_ci95_upper",
    "diagnostic_label_consistency", "diagnostic_label_consistency_ci95_lower",
    "diagnostic_label_consistency_ci95_upper", "submitted_pairs", "expected_pairs", "coverage_complete",
    "score_file",
)


def leaderboard_records(board: Leaderboard) -> list[dict]:
    """One flat record per row, keyed by :data:`LEADERBOARD_COLUMNS`."""
    records = []
    for row in board.rows:
        f = row.score
        version = f.model.get("version")
        records.append(dict(zip(LEADERBOARD_COLUMNS, (
            row.rank, f.model_name, version if isinstance(version, str) else None, f.scope,
            f.recommendation.n_pairs, f.recommendation.point_estimate, *f.recommendation.ci95,
            f.diagnostic.point_estimate, *f.diagnostic.ci95, f.submitted_pairs, f.expected_pairs,
            f.coverage_complete, f.display))))
    return records


def leaderboard_csv(board: Leaderboard) -> str:
    """CSV with a header row; floats in shortest round-trip form, booleans ``true``/``false``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(LEADERBOARD_COLUMNS)
    for record in leaderboard_records(board):
        writer.writerow(["" if v is None else str(v).lower() if isinstance(v, bool) else v
                         for v in record.values()])
    return buffer.getvalue()


def leaderboard_markdown(board: Leaderboard) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [f"Scope: {board.scope}. Ranked by recommendation change (lower = less sensitive to the edit).",
             "",
             "| Rank | Model | Recommendation change [95% CI] | Diagnostic-label consistency [95% CI] "
             "| Usable pairs | Coverage |",
             "|---:|---|---|---|---:|---|"]
    for row in board.rows:
        f = row.score
        rec, diag = f.recommendation, f.diagnostic
        coverage = f"{f.submitted_pairs}/{f.expected_pairs}" + ("" if f.coverage_complete else " (partial)")
        lines.append(f"| {row.rank} | {cell(f.model_name)} "
                     f"| {rec.point_estimate:.3f} [{rec.ci95[0]:.3f}, {rec.ci95[1]:.3f}] "
                     f"| {diag.point_estimate:.3f} [{diag.ci95[0]:.3f}, {diag.ci95[1]:.3f}] "
                     f"| {rec.n_pairs} | {coverage} |")
    lines += ["", "Ranks follow the point estimates; where 95% CIs overlap, the order is not established."]
    return "\n".join(lines) + "\n"


def leaderboard_document(board: Leaderboard) -> dict:
    return {"schema_version": LEADERBOARD_SCHEMA, "scope": board.scope,
            "ranked_by": ["recommendation_change_rate ascending", "diagnostic_label_consistency descending"],
            "rows": leaderboard_records(board)}
