"""Endpoint commands: ``diagnostic-scoring``, ``parse-sample``, ``table2``, ``gap-sensitivity``, ``both-empty-diagnostic``.

Each recomputes per-pair endpoint values from the retained exports (contract
§5.6-§5.12).  ``table2`` compares them with the frozen summary; with
``--recompute-ci`` it regenerates the source-clustered bootstrap CIs with the
NumPy-identical stream and checks them to 1e-12.
"""

from __future__ import annotations

import multiprocessing
import statistics
from dataclasses import dataclass

from spinefairbench.bundle import layout as L
from spinefairbench.bundle.fields import dig, number_at, within
from spinefairbench.bundle.loaders import load_json
from spinefairbench.bundle.paths import required
from spinefairbench.bundle.retained import load_retained_reports
from spinefairbench.commands.framework import Context, Transcript
from spinefairbench.errors import SpineFairBenchError
from spinefairbench.metrics.diagnostic_label import CATEGORIES_SORTED, REGISTRY_SIZE, compute_jaccard
from spinefairbench.metrics.endpoints import EndpointSummary, score_pair, summarize

SUMMARY_REL = L.SUMMARY


# ----------------------------------------------------------------------------- shared loading
def retained_reports(context: Context, model: str):
    return load_retained_reports(context.root, model, context.profile.data["retained_panel_dirs"], context.cache)


def model_summary(context: Context, model: str) -> EndpointSummary:
    """Endpoint summary of one model over its pairs sorted by pair_id (cached per run)."""
    key = ("summary", model)
    if key not in context.cache:
        reports = retained_reports(context, model)
        outcomes = [score_pair(p.pair_id, p.cluster_id, p.source_text, p.generated_text) for p in reports.sorted_pairs]
        summary = summarize(outcomes)
        if not summary.usable:
            raise SpineFairBenchError(f"No usable pairs found for model {model}")
        context.cache[key] = summary
    return context.cache[key]


def selected_models(context: Context, model: str | None) -> list[str]:
    return context.profile.retained_models if model in (None, "all") else [model]


# ----------------------------------------------------------------------------- diagnostic-scoring
def diagnostic_scoring(out: Transcript) -> None:
    out.emit("Frozen Table 2 diagnostic scoring path:")
    out.emit("  spinefairbench.metrics.diagnostic_label.extract_labels()")
    out.emit("  spinefairbench.metrics.diagnostic_label.compute_jaccard()")
    out.emit(f"Released diagnostic-label registry size: {REGISTRY_SIZE}")
    out.emit(f"Released diagnostic-label categories: {', '.join(CATEGORIES_SORTED)}")
    out.emit(f"Both-empty diagnostic-label Jaccard: {compute_jaccard(set(), set()):.1f}")
    out.facts.update(registry_size=REGISTRY_SIZE, categories=list(CATEGORIES_SORTED))


# ----------------------------------------------------------------------------- parse-sample
def parse_sample(context: Context, out: Transcript, model: str) -> None:
    reports = retained_reports(context, model)
    for pair in reports.in_file_order:
        outcome = score_pair(pair.pair_id, pair.cluster_id, pair.source_text, pair.generated_text)
        if not outcome.usable:
            continue
        out.emit(f"Model: {model}")
        out.emit(f"Pair ID: {pair.pair_id}")
        out.emit(f"Source recommendation categories: {sorted(outcome.source_recommendations)}")
        out.emit(f"Generated recommendation categories: {sorted(outcome.counterfactual_recommendations)}")
        out.emit(f"Source diagnostic labels: {sorted(outcome.source_labels)}")
        out.emit(f"Generated diagnostic labels: {sorted(outcome.counterfactual_labels)}")
        out.emit(f"Diagnostic-label Jaccard: {outcome.diagnostic_jaccard:.3f}")
        out.facts.update(model=model, pair_id=pair.pair_id, diagnostic_jaccard=outcome.diagnostic_jaccard,
                         source_recommendations=sorted(outcome.source_recommendations),
                         generated_recommendations=sorted(outcome.counterfactual_recommendations),
                         source_labels=sorted(outcome.source_labels),
                         generated_labels=sorted(outcome.counterfactual_labels))
        return
    raise SpineFairBenchError(f"No paired records found for model {model}")


# ----------------------------------------------------------------------------- table2
@dataclass(frozen=True)
class FrozenRow:
    """The frozen summary's values for one model."""

    rec_change: float
    rec_change_ci: tuple[float, float]
    diag: float
    diag_ci: tuple[float, float]
    pair_usable: object
    pair_full_refusals: object
    pair_partial_refusals: object


@dataclass(frozen=True)
class Table2Row:
    """Recomputed and frozen values of one Table 2 row, and the CIs if recomputed."""

    model: str
    summary: EndpointSummary
    frozen: FrozenRow
    recomputed_ci: tuple[tuple[float, float], tuple[float, float]] | None = None

    @property
    def rec_change(self) -> float:
        return self.summary.rec_change_from_agreement

    @property
    def diag(self) -> float:
        return self.summary.diagnostic_mean


def load_frozen_summary(context: Context) -> dict:
    key = "frozen-summary"
    if key not in context.cache:
        required(context.root, SUMMARY_REL)
        summary = load_json(context.root / SUMMARY_REL, SUMMARY_REL)
        if not isinstance(summary, dict):
            raise SpineFairBenchError("expected a JSON object at the top level", path=SUMMARY_REL)
        context.cache[key] = summary
    return context.cache[key]


def frozen_row(summary: dict, model: str, panel: str) -> FrozenRow:
    """Read one model's frozen values (contract §5.9 step 2)."""
    base = f"panels.{panel}.models"
    models = dig(summary, base, source=SUMMARY_REL)
    if not isinstance(models, dict) or model not in models:
        raise SpineFairBenchError("missing field", path=SUMMARY_REL, field=f"{base}.{model}")
    entry = models[model]

    def num(path: str) -> float:
        return number_at(entry, path, source=f"{SUMMARY_REL}: {base}.{model}")

    rec = "primary_secondary_stats.recommendation"
    diag = "primary_secondary_stats.diagnostic_label"
    quality = dig(entry, "data_quality", source=f"{SUMMARY_REL}: {base}.{model}")
    if not isinstance(quality, dict):
        raise SpineFairBenchError("expected an object", path=SUMMARY_REL, field=f"{base}.{model}.data_quality")
    for name in ("pair_usable", "pair_full_refusals", "pair_partial_refusals"):
        dig(quality, name, source=f"{SUMMARY_REL}: {base}.{model}.data_quality")
    return FrozenRow(
        rec_change=1.0 - num(f"{rec}.agreement_rate"),
        rec_change_ci=(1.0 - num(f"{rec}.bootstrap_ci.upper"), 1.0 - num(f"{rec}.bootstrap_ci.lower")),
        diag=num(f"{diag}.mean"),
        diag_ci=(num(f"{diag}.bootstrap_ci.lower"), num(f"{diag}.bootstrap_ci.upper")),
        pair_usable=quality["pair_usable"], pair_full_refusals=quality["pair_full_refusals"],
        pair_partial_refusals=quality["pair_partial_refusals"])


def table2_lines(row: Table2Row) -> list[str]:
    """The block printed before the CI mode line (contract §5.9 step 3)."""
    s, f = row.summary, row.frozen
    return [
        f"Model: {row.model}",
        f"Usable pairs: {s.usable}",
        f"Full-refusal pairs excluded: {s.full_refusal_pairs}",
        f"Partial-refusal pairs included: {s.partial_refusal_pairs}",
        f"Frozen summary usable pairs: {f.pair_usable}",
        f"Recomputed recommendation change: {row.rec_change:.6f} (rounded: {row.rec_change:.3f})",
        f"Frozen summary recommendation change: {f.rec_change:.6f} (rounded: {f.rec_change:.3f})",
        f"Frozen summary recommendation change 95% CI (read, not recomputed): "
        f"[{f.rec_change_ci[0]:.3f}, {f.rec_change_ci[1]:.3f}]",
        f"Recomputed diagnostic consistency: {row.diag:.6f} (rounded: {row.diag:.3f})",
        f"Frozen summary diagnostic consistency: {f.diag:.6f} (rounded: {f.diag:.3f})",
        f"Frozen summary diagnostic consistency 95% CI (read, not recomputed): "
        f"[{f.diag_ci[0]:.3f}, {f.diag_ci[1]:.3f}]",
    ]


def table2_failure(row: Table2Row, tolerance: float) -> str | None:
    """The first failing frozen-summary check, in the published order (CIs, counts, points)."""
    s, f = row.summary, row.frozen
    if row.recomputed_ci is not None:
        ci_rec, ci_diag = row.recomputed_ci
        if not all(within(a, b, tolerance) for a, b in zip(ci_rec, f.rec_change_ci)):
            return "Recomputed recommendation CI does not match frozen summary"
        if not all(within(a, b, tolerance) for a, b in zip(ci_diag, f.diag_ci)):
            return "Recomputed diagnosis CI does not match frozen summary"
    if s.usable != f.pair_usable:
        return "Recomputed usable-pair count does not match frozen summary"
    if s.full_refusal_pairs != f.pair_full_refusals:
        return "Recomputed full_refusals does not match frozen summary"
    if s.partial_refusal_pairs != f.pair_partial_refusals:
        return "Recomputed partial_refusals does not match frozen summary"
    if not within(row.rec_change, f.rec_change, tolerance):
        return "Recomputed recommendation change does not match frozen summary"
    if not within(row.diag, f.diag, tolerance):
        return "Recomputed diagnostic consistency does not match frozen summary"
    return None


def table2_model(context: Context, out: Transcript, model: str, *, recompute_ci: bool,
                 iterations: int, seed: int, workers: int = 1) -> Table2Row:
    summary = model_summary(context, model)
    frozen_summary = load_frozen_summary(context)
    row = Table2Row(model, summary, frozen_row(frozen_summary, model, context.profile.summary_panel_of(model)))
    for line in table2_lines(row):
        out.emit(line)
    settings = context.profile.data["frozen_bootstrap"]
    if not recompute_ci:
        out.emit("CI mode: frozen summary read; pass --recompute-ci to run source-clustered bootstrap.")
    else:
        frozen_iterations = dig(frozen_summary, "source_clustered_bootstrap.iterations", source=SUMMARY_REL)
        if iterations != frozen_iterations or seed != settings["seed"]:
            raise SpineFairBenchError(f"Frozen CI verification requires {settings['iterations']} resamples "
                                      f"and seed {settings['seed']}")
        from spinefairbench.stats.bootstrap import source_clustered_bootstrap_cis

        ci_rec, ci_diag = source_clustered_bootstrap_cis(
            [summary.changed, summary.diagnostic_jaccard], summary.clusters,
            iterations=iterations, seed=seed, workers=workers)
        row = Table2Row(model, summary, row.frozen, (ci_rec, ci_diag))
        out.emit(f"Recomputed recommendation change 95% CI: [{ci_rec[0]:.3f}, {ci_rec[1]:.3f}]")
        out.emit(f"Recomputed diagnostic consistency 95% CI: [{ci_diag[0]:.3f}, {ci_diag[1]:.3f}]")
        out.emit(f"CI recomputation settings: NumPy_PCG64 iterations={iterations} seed={seed}")
    out.facts.setdefault("models", {})[model] = table2_facts(row)
    failure = table2_failure(row, settings["tolerance"])
    if failure:
        raise SpineFairBenchError(failure)
    out.emit("Frozen summary verification: OK")
    return row


def table2_facts(row: Table2Row) -> dict:
    s, f = row.summary, row.frozen
    facts = {
        "usable_pairs": s.usable, "full_refusal_pairs": s.full_refusal_pairs,
        "partial_refusal_pairs": s.partial_refusal_pairs, "changed_pairs": s.usable - s.matches,
        "recommendation_change": row.rec_change, "diagnostic_consistency": row.diag,
        "frozen": {"recommendation_change": f.rec_change, "recommendation_change_ci95": list(f.rec_change_ci),
                   "diagnostic_consistency": f.diag, "diagnostic_consistency_ci95": list(f.diag_ci),
                   "pair_usable": f.pair_usable, "pair_full_refusals": f.pair_full_refusals,
                   "pair_partial_refusals": f.pair_partial_refusals},
    }
    if row.recomputed_ci:
        facts["recomputed_ci95"] = {"recommendation_change": list(row.recomputed_ci[0]),
                                    "diagnostic_consistency": list(row.recomputed_ci[1])}
    return facts


def table2(context: Context, out: Transcript, *, model: str, recompute_ci: bool, iterations: int, seed: int,
           workers: int = 1) -> None:
    models = selected_models(context, model)
    if workers > 1 and len(models) > 1 and "fork" in multiprocessing.get_all_start_methods():
        _table2_parallel(context, out, models, recompute_ci=recompute_ci, iterations=iterations, seed=seed,
                         workers=workers)
        return
    with out.progress("table2") as progress:
        for done, name in enumerate(models):
            progress.update(done, len(models), name)
            table2_model(context, out, name, recompute_ci=recompute_ci, iterations=iterations, seed=seed,
                         workers=workers)


# Models run in worker processes for ``table2 --model all --workers N``.  The
# parent first loads the first panel and draws the bootstrap stream for its
# cluster count; forked workers inherit both (copy-on-write) instead of each
# repeating them.  The parent replays every model's lines in roster order and
# stops at the first failure, so the output is exactly the sequential run's.
_WORKER_CONTEXT: Context | None = None


def _table2_job(job: tuple) -> tuple[list[str], dict, str | None]:
    from spinefairbench.commands.framework import run_body

    model, recompute_ci, iterations, seed = job
    out = Transcript()
    failure = run_body(lambda t: table2_model(_WORKER_CONTEXT, t, model, recompute_ci=recompute_ci,
                                              iterations=iterations, seed=seed), out)
    return out.lines, out.facts, failure


def _warm_shared_state(context: Context, model: str, *, recompute_ci: bool, iterations: int, seed: int) -> None:
    """Load what the workers will share; any problem is left for the worker to report in order."""
    from spinefairbench.stats.bootstrap import warm_stream

    try:
        reports = retained_reports(context, model)
    except SpineFairBenchError:
        return
    if recompute_ci and iterations >= 1 and seed >= 0:
        warm_stream(seed, len({pair.cluster_id for pair in reports.in_file_order}), iterations)


def _table2_parallel(context: Context, out: Transcript, models: list[str], *, recompute_ci: bool,
                     iterations: int, seed: int, workers: int) -> None:
    global _WORKER_CONTEXT
    _warm_shared_state(context, models[0], recompute_ci=recompute_ci, iterations=iterations, seed=seed)
    _WORKER_CONTEXT = context  # inherited by the forked workers
    jobs = [(name, recompute_ci, iterations, seed) for name in models]
    with multiprocessing.get_context("fork").Pool(min(workers, len(models))) as pool:
        for lines, facts, failure in pool.imap(_table2_job, jobs):
            for line in lines:
                out.emit(line)
            out.facts.setdefault("models", {}).update(facts.get("models", {}))
            if failure:
                raise SpineFairBenchError(failure)


# ----------------------------------------------------------------------------- gap-sensitivity
@dataclass(frozen=True)
class GapRow:
    """One model's row of the stability-gap sensitivity table."""

    model: str
    usable: int
    rec_change: float
    rec_jaccard: float
    diag_jaccard: float

    @property
    def rec_exact_stability(self) -> float:
        return 1.0 - self.rec_change

    @property
    def gap_exact(self) -> float:
        return self.diag_jaccard - self.rec_exact_stability

    @property
    def gap_graded(self) -> float:
        return self.diag_jaccard - self.rec_jaccard


def gap_row(model: str, summary: EndpointSummary) -> GapRow:
    return GapRow(model, summary.usable, summary.rec_change, summary.recommendation_jaccard_mean,
                  summary.diagnostic_mean)


def gap_sensitivity(context: Context, out: Transcript, *, model: str | None) -> None:
    out.emit("model,usable_pairs,rec_change,rec_exact_stability,rec_jaccard,diag_jaccard,gap_exact,gap_graded")
    rows = []
    for name in selected_models(context, model):
        row = gap_row(name, model_summary(context, name))
        rows.append(row)
        values = (row.rec_change, row.rec_exact_stability, row.rec_jaccard, row.diag_jaccard,
                  row.gap_exact, row.gap_graded)
        out.emit(",".join([name, str(row.usable)] + [f"{v:.6f}" for v in values]))
        out.facts.setdefault("models", {})[name] = {
            "usable_pairs": row.usable, "rec_change": row.rec_change, "rec_exact_stability": row.rec_exact_stability,
            "rec_jaccard": row.rec_jaccard, "diag_jaccard": row.diag_jaccard, "gap_exact": row.gap_exact,
            "gap_graded": row.gap_graded}
    median_exact = statistics.median(r.gap_exact for r in rows)
    median_graded = statistics.median(r.gap_graded for r in rows)
    negative = sum(r.gap_graded < 0 for r in rows)
    out.emit(f"median_gap_exact: {median_exact:.6f}")
    out.emit(f"median_gap_graded: {median_graded:.6f}")
    out.emit(f"gap_graded_negative_models: {negative}/{len(rows)}")
    out.facts.update(median_gap_exact=median_exact, median_gap_graded=median_graded,
                     gap_graded_negative_models=negative, n_models=len(rows))


# ----------------------------------------------------------------------------- both-empty-diagnostic
def both_empty_diagnostic(context: Context, out: Transcript, *, model: str | None) -> None:
    out.emit("model,usable_pairs,both_empty_diagnostic_label_pairs,rate")
    total_empty = total_usable = 0
    for name in selected_models(context, model):
        summary = model_summary(context, name)
        total_empty += summary.both_empty
        total_usable += summary.usable
        out.emit(f"{name},{summary.usable},{summary.both_empty},{summary.both_empty / summary.usable:.4%}")
        out.facts.setdefault("models", {})[name] = {"usable_pairs": summary.usable, "both_empty": summary.both_empty}
    out.emit(f"pooled_both_empty: {total_empty}/{total_usable} ({total_empty / total_usable:.4%})")
    out.facts.update(pooled_both_empty=total_empty, pooled_usable=total_usable)
