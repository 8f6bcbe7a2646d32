"""The ``spinefairbench-score-v1`` document: fields, byte-exact serialization, atomic write.

:func:`score_document` lays out every field of ``submission-scoring.md`` §6
with the published values, plus these deliberate extensions (readers that
follow the published schema ignore them):

* ``scoring_config.recommendation_bootstrap_seed`` and
  ``scoring_config.diagnostic_bootstrap_seed``, both equal to the seed, which
  the code-repository README promises (§7): both endpoints use the same seed;
* ``artifact_identity.submission_sha256`` (the bytes scored),
  ``artifact_identity.scope_files_sha256`` (every scope file read, pinned or
  not) and ``artifact_identity.release_profile`` (the profile that supplied
  the pins);
* ``tool_version``;
* ``secondary``: analyses that never change a primary endpoint (the per-edit
  breakdown);
* ``exploratory_endpoints.segment_consistency``, only with ``--segment-consistency``.

:func:`serialize` is Python's ``json.dump`` with ``indent=2, sort_keys=True``
and otherwise default options plus a trailing newline, which is byte-for-byte
the published serialization.  :func:`write_atomically` never leaves a partial
or stale file: the bytes go to a temporary file in the target directory that
replaces the target in one step, and directories it had to create are
removed again if the write fails.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from spinefairbench.atomic import write_atomically as atomic_write
from spinefairbench.scoring import SCORE_SCHEMA
from spinefairbench.scoring.core import (BOOTSTRAP_METHOD, COMPARABILITY_BASIS, FULL_REFUSAL_POLICY,
                                         PARTIAL_REFUSAL_POLICY, Estimate, ScoredPair, ScoreResult)
from spinefairbench.scoring.secondary import EditEstimate, EditGap, PerEditBreakdown

SECONDARY_NOTE = ("Secondary analyses: not part of the published scorer's output; the primary endpoints do not "
                  "depend on them.")
PER_EDIT_ESTIMATOR = (
    "Per edit: mean over that edit's usable pairs. CI: percentiles over the primary bootstrap's resamples of "
    "the sum of the edit's values over the drawn source clusters divided by the number of the edit's pairs drawn "
    "(replicates that drew none of the edit's pairs are left out: replicates_used). Gap: value(worst edit) - "
    "value(best edit), edits fixed by the point estimates; CI from the same replicates, not adjusted for the "
    "selection of the two edits.")


def scored_at_utc(now: datetime | None = None) -> str:
    """UTC time truncated to seconds, ISO 8601 with offset.

    >>> scored_at_utc(datetime(2026, 5, 6, 12, 34, 56, 789, tzinfo=timezone.utc))
    '2026-05-06T12:34:56+00:00'
    """
    return (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0).isoformat()


def _interval(ci: tuple[float, float] | None) -> dict | None:
    return None if ci is None else {"lower": ci[0], "upper": ci[1]}


def _endpoint(estimate: Estimate) -> dict:
    return {"point_estimate": estimate.point_estimate, "ci95": _interval(estimate.ci95),
            "n_pairs": estimate.n_pairs}


def pair_entry(pair: ScoredPair) -> dict:
    """A ``per_pair_results`` entry; an unusable (full-refusal) pair has only five keys."""
    outcome = pair.outcome
    entry = {"pair_id": outcome.pair_id, "source_id": outcome.cluster_id, "usable": outcome.usable,
             "source_response_class": outcome.source_class,
             "counterfactual_response_class": outcome.counterfactual_class}
    if outcome.usable:
        entry.update({
            "source_recommendations": sorted(outcome.source_recommendations),
            "counterfactual_recommendations": sorted(outcome.counterfactual_recommendations),
            "source_diagnostic_labels": sorted(outcome.source_labels),
            "counterfactual_diagnostic_labels": sorted(outcome.counterfactual_labels),
            "recommendation_changed": outcome.changed,
            "diagnostic_label_consistency": outcome.diagnostic_jaccard,
        })
    return entry


def _edit_estimate(estimate: EditEstimate) -> dict:
    return {"n_pairs": estimate.n_pairs, "unique_sources": estimate.unique_sources,
            "point_estimate": estimate.point_estimate, "ci95": _interval(estimate.ci95),
            "replicates_used": estimate.replicates_used}


def _gap(gap: EditGap | None) -> dict | None:
    if gap is None:
        return None
    return {"worst_edit": gap.worst_edit, "best_edit": gap.best_edit, "worst_minus_best": gap.gap,
            "ci95": _interval(gap.ci95), "replicates_used": gap.replicates_used}


def per_edit_section(breakdown: PerEditBreakdown) -> dict:
    return {
        "estimator": PER_EDIT_ESTIMATOR,
        "endpoints": {
            endpoint.endpoint: {
                "higher_is_worse": endpoint.higher_is_worse,
                "edits": {e.edit_label: _edit_estimate(e) for e in endpoint.edits},
                "worst_minus_best_gap": _gap(endpoint.gap),
            } for endpoint in breakdown.endpoints},
    }


def score_document(result: ScoreResult, *, scored_at: str, tool_version: str, submission_sha256: str,
                   release_profile: dict) -> dict:
    """The score document of a result (published fields plus the documented extensions)."""
    rec, diag = result.recommendation, result.diagnostic
    usable = len(result.usable)
    document = {
        "schema_version": SCORE_SCHEMA,
        "scored_at_utc": scored_at,
        "tool_version": tool_version,
        "model": result.model,
        "scope": result.scope,
        "artifact_identity": {
            "status": "verified_frozen_scope" if result.pinned_sha256 else "not_a_frozen_panel_scope",
            "manifest_sha256": dict(result.pinned_sha256),
            "scope_files_sha256": dict(result.files_sha256),
            "submission_sha256": submission_sha256,
            "release_profile": release_profile,
        },
        "scoring_config": {
            "bootstrap": BOOTSTRAP_METHOD,
            "bootstrap_iterations": result.iterations,
            "bootstrap_seed": result.seed,
            "recommendation_bootstrap_seed": result.seed,
            "diagnostic_bootstrap_seed": result.seed,
            "full_refusal_policy": FULL_REFUSAL_POLICY,
            "partial_refusal_policy": PARTIAL_REFUSAL_POLICY,
        },
        "coverage": {
            "expected_pairs": result.expected_pairs,
            "submitted_pairs": result.submitted_pairs,
            "missing_pairs": result.missing_pairs,
            "unexpected_pairs": 0,  # unexpected pairs are fatal
            "usable_pairs": usable,
            "unique_sources_usable": result.unique_sources_usable,
            "comparable_to_panel_scope": result.comparable_to_panel_scope,
            "coverage_complete": result.coverage_complete,
            "comparability_basis": COMPARABILITY_BASIS,
        },
        "data_quality": {
            "submitted_pairs": result.submitted_pairs,
            "source_full_refusals": result.source_full_refusals,
            "counterfactual_full_refusals": result.counterfactual_full_refusals,
            "pair_full_refusals": result.pair_full_refusals,
            "pair_partial_refusals": result.pair_partial_refusals,
            "usable_pairs": usable,
        },
        "primary_endpoints": {
            "recommendation_change_rate": _endpoint(rec),
            "diagnostic_label_consistency": _endpoint(diag),
        },
        "table2_row": table2_row(result),
        "warnings": list(result.warnings),
        "per_pair_results": [pair_entry(pair) for pair in result.pairs],
        "secondary": {"note": SECONDARY_NOTE, "per_edit": per_edit_section(result.per_edit)},
    }
    if result.segment is not None:
        document["exploratory_endpoints"] = {"segment_consistency": dict(
            _endpoint(result.segment), both_empty_pairs=result.segment.both_empty_pairs)}
    return document


def table2_row(result: ScoreResult) -> dict:
    """The rounded row (``round(x, 3)``) that the printed summary shows."""
    rec, diag = result.recommendation, result.diagnostic
    return {
        "model_name": result.model["name"],
        "scope": result.scope,
        "n_pairs": len(result.usable),
        "recommendation_change_rate": round(rec.point_estimate, 3),
        "recommendation_change_ci95": [round(rec.ci95[0], 3), round(rec.ci95[1], 3)],
        "diagnostic_label_consistency": round(diag.point_estimate, 3),
        "diagnostic_label_consistency_ci95": [round(diag.ci95[0], 3), round(diag.ci95[1], 3)],
    }


def serialize(document: dict) -> bytes:
    """``json.dump(indent=2, sort_keys=True)`` plus a newline: ASCII, shortest floats, NaN as ``NaN``.

    >>> serialize({"b": [], "a": {"x": 1e-05, "y": "\\u00e9\\U0001F600"}, "c": float("nan")})
    b'{\\n  "a": {\\n    "x": 1e-05,\\n    "y": "\\\\u00e9\\\\ud83d\\\\ude00"\\n  },\\n  "b": [],\\n  "c": NaN\\n}\\n'
    """
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8")


def write_atomically(path: Path, data: bytes) -> None:
    """Write a score JSON atomically (see :mod:`spinefairbench.atomic`)."""
    atomic_write(path, data, what="score JSON")
