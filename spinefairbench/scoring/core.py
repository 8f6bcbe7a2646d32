"""Pure scoring of a validated submission on a resolved scope (``submission-scoring.md`` §4).

No file is read or written here and nothing is printed: the inputs are a
:class:`~spinefairbench.scoring.submission.Submission` and a
:class:`~spinefairbench.scoring.scopes.ScopeSelection`, the output is a frozen
:class:`ScoreResult`.  Every failure of the published procedure is raised as
a :class:`~spinefairbench.errors.SpineFairBenchError` with its published
message, in the published order: unexpected pairs, missing pairs, a
``source_id`` mismatch (first in code-point order), no usable pair, then the
bootstrap's own checks.

Pairs are classified with :func:`spinefairbench.metrics.endpoints.score_pair`,
the classification the reviewer verifier uses.  The bootstrap draws one index
stream for every endpoint (the published scorer seeds each endpoint's
generator with the same seed, so its streams are identical): the two primary
endpoints, the optional exploratory segment-consistency endpoint and the
series of the secondary per-edit breakdown all see the same resamples.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from spinefairbench.errors import SpineFairBenchError
from spinefairbench.metrics.diagnostic_label import compute_jaccard
from spinefairbench.metrics.endpoints import PairOutcome, score_pair
from spinefairbench.metrics.refusal_detector import FULL_REFUSAL
from spinefairbench.scoring.scopes import PANEL_SCOPES, QCPair, ScopeSelection, first_ids
from spinefairbench.scoring.secondary import PerEditBreakdown, edit_series, exact_jaccard, per_edit_breakdown
from spinefairbench.scoring.submission import Submission
from spinefairbench.stats.bootstrap import bootstrap_replicate_means, percentile_ci
from spinefairbench.stats.summation import plain_sum

BOOTSTRAP_METHOD = "source_clustered_percentile_numpy_pcg64"
FULL_REFUSAL_POLICY = "exclude pair from primary endpoints"
PARTIAL_REFUSAL_POLICY = "include pair in primary endpoints"
COMPARABILITY_BASIS = "Pair membership only; prompt and provider settings are not verified."


@dataclass(frozen=True)
class Estimate:
    """A pair-weighted mean with its source-clustered percentile 95% CI."""

    point_estimate: float
    ci95: tuple[float, float]
    n_pairs: int


@dataclass(frozen=True)
class SegmentEstimate(Estimate):
    """The exploratory segment-consistency endpoint (``spinebench.md`` §4.3)."""

    both_empty_pairs: int


@dataclass(frozen=True)
class ScoredPair:
    """A scored pair: its outcome, its edit and (only when asked) the vertebral levels of both reports."""

    outcome: PairOutcome
    edit_label: str
    source_levels: tuple[str, ...] | None = None
    counterfactual_levels: tuple[str, ...] | None = None

    @property
    def segment_consistency(self) -> float:
        """Jaccard of the two level sets; 1.0 when neither report names a level."""
        return compute_jaccard(set(self.source_levels), set(self.counterfactual_levels))


@dataclass(frozen=True, eq=False)
class ScoreResult:
    """Everything the score document reports, before serialization."""

    model: dict
    scope: str
    pinned_sha256: Mapping[str, str]
    files_sha256: Mapping[str, str]
    iterations: int
    seed: int
    expected_pairs: int
    submitted_pairs: int
    missing_pairs: int
    pairs: tuple[ScoredPair, ...]  # every scored pair, ascending pair_id
    recommendation: Estimate
    diagnostic: Estimate
    per_edit: PerEditBreakdown
    segment: SegmentEstimate | None = None

    @property
    def usable(self) -> tuple[ScoredPair, ...]:
        return tuple(pair for pair in self.pairs if pair.outcome.usable)

    @property
    def unique_sources_usable(self) -> int:
        return len({pair.outcome.cluster_id for pair in self.usable})

    @property
    def source_full_refusals(self) -> int:
        return sum(pair.outcome.source_class == FULL_REFUSAL for pair in self.pairs)

    @property
    def counterfactual_full_refusals(self) -> int:
        return sum(pair.outcome.counterfactual_class == FULL_REFUSAL for pair in self.pairs)

    @property
    def pair_full_refusals(self) -> int:
        return sum(not pair.outcome.usable for pair in self.pairs)

    @property
    def pair_partial_refusals(self) -> int:
        return sum(pair.outcome.partial_refusal for pair in self.pairs)

    @property
    def coverage_complete(self) -> bool:
        return self.missing_pairs == 0

    @property
    def comparable_to_panel_scope(self) -> bool:
        """The legacy flag: complete membership of a named panel scope, nothing more."""
        return self.coverage_complete and self.scope in PANEL_SCOPES

    @property
    def warnings(self) -> tuple[str, ...]:
        if not self.missing_pairs:
            return ()
        return (f"Partial submission: {self.missing_pairs} expected pair(s) absent from scope {self.scope}.",)


def check_membership(submitted: Collection[str], expected: Collection[str], scope: str, *,
                     allow_partial: bool) -> int:
    """Refuse unexpected pairs, then missing ones (unless ``allow_partial``); return the number missing.

    >>> check_membership({"a"}, {"a", "b"}, "toy", allow_partial=True)
    1
    >>> check_membership({"a", "c"}, {"a"}, "toy", allow_partial=True)
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: Submission contains pair_id values outside the selected scope: c
    >>> check_membership({"a"}, {"a", "b"}, "qc-passed", allow_partial=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: Submission is missing 1 required pair(s) for scope qc-passed. ...
    """
    unexpected = [pair_id for pair_id in submitted if pair_id not in expected]
    if unexpected:
        raise SpineFairBenchError(f"Submission contains pair_id values outside the selected scope: "
                                  f"{first_ids(unexpected, 10)}")
    missing = sorted(pair_id for pair_id in expected if pair_id not in submitted)
    if missing and not allow_partial:
        raise SpineFairBenchError(f"Submission is missing {len(missing)} required pair(s) for scope {scope}. "
                                  f"First missing IDs: {missing[:10]!r}. Use --allow-partial only for smoke tests.")
    return len(missing)


def score_pairs(submission: Submission, qc_index: Mapping[str, QCPair], expected: Collection[str], *,
                levels=None, workers: int = 1) -> tuple[ScoredPair, ...]:
    """Score every submitted, expected pair in ascending ``pair_id`` order.

    ``levels`` is a level extractor (text -> level tuple); when given, the
    levels of both reports of each usable pair are recorded.  ``workers > 1``
    classifies in that many forked processes (where the platform can fork);
    the result does not depend on it.
    """
    jobs = []
    for pair_id in sorted(pair_id for pair_id in submission.pairs if pair_id in expected):
        entry, qc = submission.pairs[pair_id], qc_index[pair_id]
        # Checked for every pair before any is classified: classification cannot fail,
        # so the first mismatch in code-point order is still the one reported.
        if entry.source_id is not None and entry.source_id != qc.source_id:
            raise SpineFairBenchError(f"source_id mismatch for {pair_id}: {entry.source_id!r} != {qc.source_id!r}")
        jobs.append((pair_id, qc.source_id, qc.edit_label, entry.source_report, entry.counterfactual_report, levels))
    return tuple(_map_jobs(_score_job, jobs, workers))


def _score_job(job) -> ScoredPair:
    pair_id, source_id, edit_label, source_text, counterfactual_text, levels = job
    outcome = score_pair(pair_id, source_id, source_text, counterfactual_text)
    if levels is None or not outcome.usable:
        return ScoredPair(outcome, edit_label)
    return ScoredPair(outcome, edit_label, levels(source_text), levels(counterfactual_text))


# With fewer pairs per worker, starting a process costs more than it saves.
_MIN_JOBS_PER_WORKER = 250


def _map_jobs(function, jobs: list, workers: int) -> list:
    """``list(map(function, jobs))``, in forked worker processes when worthwhile."""
    workers = min(workers, len(jobs) // _MIN_JOBS_PER_WORKER)
    if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return pool.map(function, jobs, chunksize=-(-len(jobs) // (4 * workers)))
    return list(map(function, jobs))


def mean(values: Sequence[float]) -> float:
    """Plain left-to-right sum from 0 divided by the count (the published point estimate).

    >>> mean([0.1, 0.2, 0.3])
    0.20000000000000004
    """
    return plain_sum(values) / len(values)


def check_bootstrap_settings(iterations: int, seed: int) -> None:
    """The bootstrap's own checks, in the published order (iterations first).

    >>> check_bootstrap_settings(1, 0)
    >>> check_bootstrap_settings(0, -1)
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: bootstrap iterations must be >= 1
    >>> check_bootstrap_settings(10, -1)
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: bootstrap seed must be a non-negative integer, got -1
    """
    if iterations < 1:
        raise SpineFairBenchError("bootstrap iterations must be >= 1")
    if seed < 0:
        raise SpineFairBenchError(f"bootstrap seed must be a non-negative integer, got {seed}")


def score_submission(submission: Submission, selection: ScopeSelection, *, allow_partial: bool,
                     iterations: int, seed: int, workers: int = 1, levels=None) -> ScoreResult:
    """Steps 5-10 of the published procedure, plus the secondary per-edit breakdown.

    ``levels`` (a level extractor) switches on the exploratory segment-consistency endpoint.
    ``workers`` is used for classification and for the bootstrap; no result depends on it.
    """
    missing = check_membership(submission.pairs, selection.expected, selection.scope, allow_partial=allow_partial)
    pairs = score_pairs(submission, selection.qc_index, selection.expected, levels=levels, workers=workers)
    usable = [pair for pair in pairs if pair.outcome.usable]
    if not usable:
        raise SpineFairBenchError("No usable pairs remain after full-refusal filtering")
    clusters = [pair.outcome.cluster_id for pair in usable]
    primary = [[pair.outcome.changed for pair in usable], [pair.outcome.diagnostic_jaccard for pair in usable]]
    if levels is not None:
        primary.append([pair.segment_consistency for pair in usable])
    edits = [pair.edit_label for pair in usable]
    secondary, scales = edit_series(edits, [
        [Fraction(int(pair.outcome.changed)) for pair in usable],
        [exact_jaccard(pair.outcome.source_labels, pair.outcome.counterfactual_labels) for pair in usable]])

    check_bootstrap_settings(iterations, seed)
    replicates = bootstrap_replicate_means(primary + secondary, clusters, iterations=iterations, seed=seed,
                                           workers=workers)
    estimates = [Estimate(mean(values), percentile_ci(means), len(values))
                 for values, means in zip(primary, replicates)]
    segment = None
    if levels is not None:
        both_empty = sum(not pair.source_levels and not pair.counterfactual_levels for pair in usable)
        segment = SegmentEstimate(estimates[2].point_estimate, estimates[2].ci95, estimates[2].n_pairs, both_empty)
    return ScoreResult(
        model=submission.model, scope=selection.scope, pinned_sha256=selection.pinned_sha256,
        files_sha256=selection.files_sha256, iterations=iterations, seed=seed,
        expected_pairs=len(selection.expected), submitted_pairs=len(submission.pairs), missing_pairs=missing,
        pairs=pairs, recommendation=estimates[0], diagnostic=estimates[1],
        per_edit=per_edit_breakdown(edits, clusters, primary[:2], replicates[len(primary):], scales),
        segment=segment,
    )
