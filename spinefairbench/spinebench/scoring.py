"""SpineBench scores: P1, P2, P3, Closed-QA, the weighted total and their bootstrap CIs.

The pure core of ``spinebench score`` (``spinebench.md`` §3).  Given a
validated item bank, one model's predictions and the judges' rubric scores,
:func:`score_predictions` returns a frozen :class:`SpineBenchScore`;
:func:`score_document` turns it into the ``spinebench-score-v1`` JSON
document and :func:`score_summary` into the short text summary.

* **P1 / P2** -- 100 x accuracy on text / image MCQs, the chosen letter read
  from free text by :mod:`spinefairbench.spinebench.mcq`.
* **P3** -- the mean report item score.  One judgement scores
  ``20 x mean over sections of (mean of the section's dimension scores)``,
  so it spans 20..100; several judgements of the same item and judge kind
  are averaged first.
* **Closed-QA** -- the size-weighted mean of P1 and P2.
* **Total** -- ``sum_k w_k P_k`` with ``w_k = N_k / (N1 + N2 + N3)``.

A note on P3.  The seed (the paper summary) writes
``P3 = 20 x sum_{i=1..5} (1/n_i) sum_j s_ij``: a *sum* over the five
sections of 1..5 means, which spans 100..500 and overshoots the 0-100 range
the same paper states for P3 (and the scale of the totals it reports).  We
follow the stated range and divide by the number of sections, i.e. take the
mean of the section means.

Every float operation follows the order written in §3.3, and the 95% CIs are
a stratified percentile bootstrap on one NumPy-compatible PCG64 stream
(§3.4), so ``numpy`` reproduces every number bit for bit.

>>> judgement_score([[4], [3], [5, 4, 3], [4], [2, 3, 4, 3]])
72.0
>>> closed_qa_score(3, 100.0, 0, None)
100.0
>>> total_score((1, 0, 1), (50.0, None, 80.0))
65.0
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from spinefairbench.errors import SpineFairBenchError
from spinefairbench.spinebench.io import COMPONENTS, Item, ItemBank, Judgement, Predictions
from spinefairbench.spinebench.levels import LevelMetrics, extract_levels, level_metrics
from spinefairbench.spinebench.mcq import EXPLICIT, OPTION_TEXT, STATUSES, extract_answer
from spinefairbench.stats.percentile import percentile_linear
from spinefairbench.stats.rng import default_rng
from spinefairbench.stats.summation import pairwise_sum, plain_sum

SCORE_SCHEMA = "spinebench-score-v1"
BOOTSTRAP_METHOD = "stratified_percentile_numpy_pcg64"
DEFAULT_ITERATIONS = 10_000
DEFAULT_SEED = 42
DEFAULT_JUDGE_KIND = "llm"
MISSING = "missing"
UNJUDGED = "unjudged"
SCORED = "scored"
UNSPECIFIED = "unspecified"

# Draws are generated in blocks of rows so that memory stays bounded; the
# generator carries its state across calls, so blocks do not change the stream.
_BLOCK_ROWS = 1024
_ID_LIST_LIMIT = 10


# --------------------------------------------------------------------------
# Formulas of §3.3


def judgement_score(section_scores: Sequence[Sequence[int]]) -> float:
    """``20 * (mean of the section means)`` for one judgement, sections in rubric order.

    >>> judgement_score([[5], [5, 5]])
    100.0
    >>> judgement_score([[1, 2], [3]])
    45.0
    """
    section_means = [sum(dimensions) / len(dimensions) for dimensions in section_scores]
    return 20.0 * (plain_sum(section_means) / len(section_means))


def item_score(judgement_scores: Sequence[float]) -> float:
    """The judgement scores of one item, added left to right in file order, over their count.

    >>> item_score([60.0, 70.0, 90.0])
    73.33333333333333
    """
    return plain_sum(judgement_scores) / len(judgement_scores)


def accuracy_score(correct: int, n: int) -> float:
    """``100.0 * (correct / n)``, division first.

    >>> accuracy_score(1, 3)
    33.33333333333333
    """
    return 100.0 * (correct / n)


def mean_report_score(item_scores: Sequence[float]) -> float:
    """P3: NumPy's pairwise sum of the item scores over their count (``numpy.mean``)."""
    return pairwise_sum(item_scores) / len(item_scores)


def closed_qa_score(n_text: int, text: float | None, n_image: int, image: float | None) -> float | None:
    """Size-weighted mean of P1 and P2; the present one alone; ``None`` when neither is.

    >>> closed_qa_score(3, 100.0, 1, 0.0)
    75.0
    >>> closed_qa_score(0, None, 0, None) is None
    True
    """
    if n_text and n_image:
        return (n_text * text + n_image * image) / (n_text + n_image)
    if n_text:
        return text
    if n_image:
        return image
    return None


def component_weights(counts: Sequence[int]) -> tuple[float, ...]:
    """``w_k = N_k / (N1 + N2 + N3)``; all zero when nothing was scored.

    >>> component_weights((3, 0, 1))
    (0.75, 0.0, 0.25)
    """
    total = sum(counts)
    return tuple(count / total if total else 0.0 for count in counts)


def total_score(counts: Sequence[int], scores: Sequence[float | None]) -> float | None:
    """``w_1 P_1 + w_2 P_2 + w_3 P_3`` left to right, leaving out components with ``N_k = 0``.

    >>> total_score((0, 0, 4), (None, None, 61.25))
    61.25
    >>> total_score((0, 0, 0), (None, None, None)) is None
    True
    """
    terms = [weight * score for weight, score, count in zip(component_weights(counts), scores, counts)
             if count]
    if not terms:
        return None
    result = terms[0]
    for term in terms[1:]:
        result += term
    return result


# --------------------------------------------------------------------------
# §3.4 stratified bootstrap


@dataclass(frozen=True)
class Interval:
    """A 95% percentile interval."""

    lower: float
    upper: float


@dataclass(frozen=True)
class BootstrapIntervals:
    """CIs of the five statistics; ``None`` for a statistic that is undefined."""

    text_mcq: Interval | None
    image_mcq: Interval | None
    report: Interval | None
    closed_qa: Interval | None
    total: Interval | None


def _percentile_interval(values: list[float]) -> Interval:
    ordered = sorted(values)
    return Interval(percentile_linear(ordered, 2.5), percentile_linear(ordered, 97.5))


def _index_rows(rng, n: int, iterations: int):
    """The rows of one component's ``iterations x n`` index matrix, in order."""
    produced = 0
    while produced < iterations:
        rows = min(_BLOCK_ROWS, iterations - produced)
        draws = rng.integers(n, rows * n)
        for start in range(0, rows * n, n):
            yield draws[start:start + n]
        produced += rows


def _mcq_replicates(rng, correct: Sequence[bool], iterations: int) -> list[float]:
    flags = [1 if value else 0 for value in correct]
    n = len(flags)
    return [accuracy_score(sum(map(flags.__getitem__, row)), n) for row in _index_rows(rng, n, iterations)]


def _report_replicates(rng, scores: Sequence[float], iterations: int) -> list[float]:
    return [mean_report_score([scores[index] for index in row])
            for row in _index_rows(rng, len(scores), iterations)]


def stratified_bootstrap(text_correct: Sequence[bool], image_correct: Sequence[bool],
                         report_scores: Sequence[float], *, iterations: int = DEFAULT_ITERATIONS,
                         seed: int = DEFAULT_SEED) -> BootstrapIntervals:
    """Percentile CIs with each component resampled within itself from one PCG64 stream.

    Components are drawn in the order text, image, report, each as an
    ``iterations x N_k`` row-major index matrix; replicate ``b`` combines row
    ``b`` of each.  An empty component draws nothing and has no CI.

    >>> stratified_bootstrap([True], [], [], iterations=3)
    BootstrapIntervals(text_mcq=Interval(lower=100.0, upper=100.0), image_mcq=None, report=None, \
closed_qa=Interval(lower=100.0, upper=100.0), total=Interval(lower=100.0, upper=100.0))
    """
    rng = default_rng(seed)
    counts = (len(text_correct), len(image_correct), len(report_scores))
    # Each list is complete before the next component draws: one stream, in component order.
    text = _mcq_replicates(rng, text_correct, iterations) if counts[0] else None
    image = _mcq_replicates(rng, image_correct, iterations) if counts[1] else None
    report = _report_replicates(rng, list(report_scores), iterations) if counts[2] else None

    def replicate(series: list[float] | None, b: int) -> float | None:
        return None if series is None else series[b]

    closed = None
    if text or image:
        closed = [closed_qa_score(counts[0], replicate(text, b), counts[1], replicate(image, b))
                  for b in range(iterations)]
    total = [total_score(counts, [replicate(series, b) for series in (text, image, report)])
             for b in range(iterations)]
    return BootstrapIntervals(*(None if series is None else _percentile_interval(series)
                                for series in (text, image, report, closed, total)))


# --------------------------------------------------------------------------
# The result


@dataclass(frozen=True)
class McqComponent:
    n: int
    correct: int
    score: float | None
    ci95: Interval | None
    status_counts: Mapping[str, int]

    @property
    def parse_rate(self) -> float | None:
        """``(explicit + option_text) / n``, a fraction; ``None`` without items."""
        if not self.n:
            return None
        return (self.status_counts[EXPLICIT] + self.status_counts[OPTION_TEXT]) / self.n


@dataclass(frozen=True)
class ReportComponent:
    n: int
    score: float | None
    ci95: Interval | None
    n_judgements: int


@dataclass(frozen=True)
class Combined:
    """Closed-QA or Total: a derived score over ``n`` items; ``weights`` only for the total."""

    n: int
    score: float | None
    ci95: Interval | None
    weights: Mapping[str, float] | None = None


@dataclass(frozen=True)
class Bucket:
    n: int
    correct: int

    @property
    def accuracy(self) -> float | None:
        return accuracy_score(self.correct, self.n) if self.n else None


@dataclass(frozen=True)
class Coverage:
    expected_items: int
    responded_items: int
    missing_items: int
    unjudged_report_items: int

    @property
    def complete(self) -> bool:
        return not self.missing_items and not self.unjudged_report_items


@dataclass(frozen=True)
class McqRecord:
    item_id: str
    modality: str
    answer: str
    extracted: str | None
    status: str
    correct: bool | None
    subfield: str | None
    language: str | None
    levels: tuple[str, ...] | None


@dataclass(frozen=True)
class ReportRecord:
    item_id: str
    status: str
    item_score: float | None
    judgement_scores: tuple[float, ...] | None
    levels_found: tuple[str, ...] | None
    reference_levels: tuple[str, ...] | None
    level_exact_match: bool | None


@dataclass(frozen=True)
class SpineBenchScore:
    """Everything ``spinebench score`` reports for one model."""

    model: Mapping
    bank_name: str
    synthetic: bool
    bank_counts: Mapping[str, int]
    judge_kind: str
    iterations: int
    seed: int
    coverage: Coverage
    text_mcq: McqComponent
    image_mcq: McqComponent
    report: ReportComponent
    closed_qa: Combined
    total: Combined
    breakdowns: Mapping[str, Mapping[str, Bucket]]
    level_metrics: LevelMetrics
    warnings: tuple[str, ...]
    items: tuple[McqRecord | ReportRecord, ...]


def _id_list(items: Sequence[Item]) -> str:
    return ", ".join(item.item_id for item in items[:_ID_LIST_LIMIT])


def _mcq_record(item: Item, response: str | None) -> McqRecord:
    if response is None:
        return McqRecord(item.item_id, item.modality, item.answer, None, MISSING, None,
                         item.subfield, item.language, item.levels)
    extraction = extract_answer(response, item.options)
    return McqRecord(item.item_id, item.modality, item.answer, extraction.extracted, extraction.status,
                     extraction.extracted == item.answer, item.subfield, item.language, item.levels)


def _report_record(item: Item, response: str | None, judgement_scores: list[float]) -> ReportRecord:
    if response is None:
        return ReportRecord(item.item_id, MISSING, None, None, None, item.reference_levels, None)
    found = extract_levels(response)
    exact = None if item.reference_levels is None else set(found) == set(item.reference_levels)
    if not judgement_scores:
        return ReportRecord(item.item_id, UNJUDGED, None, (), found, item.reference_levels, exact)
    return ReportRecord(item.item_id, SCORED, item_score(judgement_scores), tuple(judgement_scores),
                        found, item.reference_levels, exact)


def _mcq_component(records: list[McqRecord], ci95: Interval | None) -> McqComponent:
    counts = {status: 0 for status in STATUSES}
    for record in records:
        counts[record.status] += 1
    correct = sum(1 for record in records if record.correct)
    score = accuracy_score(correct, len(records)) if records else None
    return McqComponent(len(records), correct, score, ci95, counts)


def _buckets(records: list[McqRecord], key) -> dict[str, Bucket]:
    tallies: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for record in records:
        tally = tallies[key(record)]
        tally[0] += 1
        tally[1] += bool(record.correct)
    return {name: Bucket(*tallies[name]) for name in sorted(tallies)}


def _breakdowns(records: list[McqRecord]) -> dict[str, dict[str, Bucket]]:
    levels = {"tagged": Bucket(0, 0), "untagged": Bucket(0, 0)}
    levels.update(_buckets(records, lambda record: "tagged" if record.levels else "untagged"))
    return {
        "subfield": _buckets(records, lambda record: record.subfield or UNSPECIFIED),
        "language": _buckets(records, lambda record: record.language or UNSPECIFIED),
        "levels": {name: levels[name] for name in ("tagged", "untagged")},
    }


def score_predictions(bank: ItemBank, predictions: Predictions, judgements: Sequence[Judgement] = (), *,
                      judge_kind: str = DEFAULT_JUDGE_KIND, allow_partial: bool = False,
                      iterations: int = DEFAULT_ITERATIONS, seed: int = DEFAULT_SEED) -> SpineBenchScore:
    """Score one model's predictions (§3); coverage problems raise :class:`SpineFairBenchError`."""
    responses = predictions.responses
    missing = [item for item in bank.items if item.item_id not in responses]
    if missing and not allow_partial:
        raise SpineFairBenchError(f"missing responses for {len(missing)} item(s): {_id_list(missing)}")

    judged: dict[str, list[float]] = defaultdict(list)
    for judgement in judgements:
        if judgement.model == predictions.model_name and judgement.kind == judge_kind:
            judged[judgement.item_id].append(judgement_score(judgement.scores))
    unjudged = [item for item in bank.items
                if item.kind == "report" and item.item_id in responses and not judged.get(item.item_id)]
    if unjudged and not allow_partial:
        raise SpineFairBenchError(f"no {judge_kind} judgement for report item(s): {_id_list(unjudged)}")

    records: list[McqRecord | ReportRecord] = []
    for item in bank.items:
        response = responses.get(item.item_id)
        if item.kind == "mcq":
            records.append(_mcq_record(item, response))
        else:
            records.append(_report_record(item, response, judged.get(item.item_id, [])))
    scored_mcq = {modality: [record for record in records
                             if isinstance(record, McqRecord) and record.modality == modality
                             and record.status != MISSING]
                  for modality in ("text", "image")}
    scored_reports = [record for record in records
                      if isinstance(record, ReportRecord) and record.status == SCORED]
    counts = (len(scored_mcq["text"]), len(scored_mcq["image"]), len(scored_reports))
    if not any(counts):
        raise SpineFairBenchError("no items scored")

    intervals = stratified_bootstrap([record.correct for record in scored_mcq["text"]],
                                     [record.correct for record in scored_mcq["image"]],
                                     [record.item_score for record in scored_reports],
                                     iterations=iterations, seed=seed)
    text = _mcq_component(scored_mcq["text"], intervals.text_mcq)
    image = _mcq_component(scored_mcq["image"], intervals.image_mcq)
    report = ReportComponent(
        counts[2], mean_report_score([record.item_score for record in scored_reports]) if scored_reports else None,
        intervals.report, sum(len(record.judgement_scores) for record in scored_reports))
    closed = Combined(counts[0] + counts[1], closed_qa_score(counts[0], text.score, counts[1], image.score),
                      intervals.closed_qa)
    total = Combined(sum(counts), total_score(counts, (text.score, image.score, report.score)),
                     intervals.total, dict(zip(COMPONENTS, component_weights(counts))))

    level_pairs = [(record.levels_found, record.reference_levels) for record in records
                   if isinstance(record, ReportRecord) and record.levels_found is not None
                   and record.reference_levels is not None]
    warnings = []
    if missing:
        warnings.append(f"Partial predictions: {len(missing)} item(s) without a response.")
    if unjudged:
        warnings.append(f"Unjudged report items: {len(unjudged)} item(s) without a {judge_kind} judgement.")
    return SpineBenchScore(
        model=predictions.model, bank_name=bank.name, synthetic=bank.synthetic,
        bank_counts={component: bank.count(component) for component in COMPONENTS},
        judge_kind=judge_kind, iterations=iterations, seed=seed,
        coverage=Coverage(len(bank.items), len(bank.items) - len(missing), len(missing), len(unjudged)),
        text_mcq=text, image_mcq=image, report=report, closed_qa=closed, total=total,
        breakdowns=_breakdowns(scored_mcq["text"] + scored_mcq["image"]),
        level_metrics=level_metrics(level_pairs), warnings=tuple(warnings), items=tuple(records))


# --------------------------------------------------------------------------
# Rendering


def interval_document(interval: Interval | None) -> dict | None:
    return None if interval is None else {"lower": interval.lower, "upper": interval.upper}


def _bucket_document(bucket: Bucket) -> dict:
    return {"n": bucket.n, "correct": bucket.correct, "accuracy": bucket.accuracy}


def _record_document(record: McqRecord | ReportRecord) -> dict:
    def listed(levels):
        return None if levels is None else list(levels)

    if isinstance(record, McqRecord):
        return {"item_id": record.item_id, "kind": "mcq", "modality": record.modality,
                "answer": record.answer, "extracted": record.extracted, "status": record.status,
                "correct": record.correct, "subfield": record.subfield, "language": record.language,
                "levels": listed(record.levels)}
    return {"item_id": record.item_id, "kind": "report", "status": record.status,
            "item_score": record.item_score,
            "n_judgements": None if record.judgement_scores is None else len(record.judgement_scores),
            "judgement_scores": listed(record.judgement_scores), "levels_found": listed(record.levels_found),
            "reference_levels": listed(record.reference_levels), "level_exact_match": record.level_exact_match}


def score_document(result: SpineBenchScore, scored_at_utc: str) -> dict:
    """The ``spinebench-score-v1`` document (§7.1); ``scored_at_utc`` comes from the caller."""
    def mcq(component: McqComponent) -> dict:
        return {"n": component.n, "correct": component.correct, "score": component.score,
                "ci95": interval_document(component.ci95), "parse_rate": component.parse_rate,
                "status_counts": dict(component.status_counts)}

    metrics = result.level_metrics
    coverage = result.coverage
    return {
        "schema_version": SCORE_SCHEMA,
        "scored_at_utc": scored_at_utc,
        "model": result.model,
        "item_bank": {"name": result.bank_name, "synthetic": result.synthetic,
                      "n_items": sum(result.bank_counts.values()),
                      "n_text_mcq": result.bank_counts["text_mcq"],
                      "n_image_mcq": result.bank_counts["image_mcq"],
                      "n_report": result.bank_counts["report"]},
        "judge_kind": result.judge_kind,
        "scoring_config": {"bootstrap": BOOTSTRAP_METHOD, "bootstrap_iterations": result.iterations,
                           "bootstrap_seed": result.seed, "component_order": list(COMPONENTS)},
        "coverage": {"expected_items": coverage.expected_items, "responded_items": coverage.responded_items,
                     "missing_items": coverage.missing_items,
                     "unjudged_report_items": coverage.unjudged_report_items,
                     "complete": coverage.complete, "comparable": coverage.complete},
        "components": {
            "text_mcq": mcq(result.text_mcq),
            "image_mcq": mcq(result.image_mcq),
            "report": {"n": result.report.n, "score": result.report.score,
                       "ci95": interval_document(result.report.ci95),
                       "n_judgements": result.report.n_judgements},
        },
        "closed_qa": {"n": result.closed_qa.n, "score": result.closed_qa.score,
                      "ci95": interval_document(result.closed_qa.ci95)},
        "total": {"n": result.total.n, "score": result.total.score, "ci95": interval_document(result.total.ci95),
                  "weights": dict(result.total.weights)},
        "breakdowns": {name: {key: _bucket_document(bucket) for key, bucket in buckets.items()}
                       for name, buckets in result.breakdowns.items()},
        "level_metrics": {"n_items": metrics.n_items, "tp": metrics.tp, "fp": metrics.fp, "fn": metrics.fn,
                          "precision": metrics.precision, "recall": metrics.recall, "f1": metrics.f1,
                          "exact_match_rate": metrics.exact_match_rate},
        "warnings": list(result.warnings),
        "items": [_record_document(record) for record in result.items],
    }


def _score_with_ci(score: float | None, ci95: Interval | None) -> str:
    if score is None:
        return "n/a"
    return f"{score:.2f} [{ci95.lower:.2f}, {ci95.upper:.2f}]"


def score_summary(result: SpineBenchScore) -> list[str]:
    """The text summary of ``spinebench score`` (§7.1), one string per line."""
    def mcq_line(label: str, component: McqComponent) -> str:
        if component.score is None:
            return f"{label}: n/a"
        return f"{label}: {_score_with_ci(component.score, component.ci95)} parse rate {component.parse_rate:.3f}"

    lines = [
        "SpineBench scoring: OK",
        f"Model: {result.model['name']}",
        f"Items scored: text {result.text_mcq.n}, image {result.image_mcq.n}, report {result.report.n}",
        mcq_line("P1 text MCQ", result.text_mcq),
        mcq_line("P2 image MCQ", result.image_mcq),
        f"P3 report ({result.judge_kind} judge): {_score_with_ci(result.report.score, result.report.ci95)}",
        f"Closed-QA average: {_score_with_ci(result.closed_qa.score, result.closed_qa.ci95)}",
        f"Total: {_score_with_ci(result.total.score, result.total.ci95)}",
    ]
    lines.extend(f"Warning: {warning}" for warning in result.warnings)
    return lines
