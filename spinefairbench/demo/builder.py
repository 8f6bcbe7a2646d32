"""Build a deterministic synthetic SpineFairBench bundle in the exact published layout.

The real artifact bundle is multi-GB and access-controlled.  This module
invents a complete bundle -- dataset, QC rows, PNGs, retained model reports,
frozen summary, mitigation panel, Stage-1 outputs, radiologist files,
checksum manifests -- so that every verification command can run anywhere.
Each bundle carries its own release profile (``SPINEFAIRBENCH_PROFILE.json``)
whose values reproduce the published *verdicts* (which models the Stage-1
gate includes, the binding-rule outcome, the radiologist counts) while the
digests, counts and pins are those of the bundle itself.

Everything derived is computed with the package's own metrics: the frozen
summary from :func:`score_pair`/:func:`summarize` over each model's pairs in
``pair_id`` order, the CIs from the source-clustered bootstrap, the Stage-1
table by re-running the extraction on the written files.  So the verifier's
recomputations agree by construction.

Determinism: one seed string per component feeds :class:`random.Random`
(string seeds are hashed with SHA-512, independent of ``PYTHONHASHSEED``);
sets are always sorted before use; no clock is read; JSON has one fixed
format.  The same preset and seed give a byte-identical tree.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import csv
import dataclasses
import hashlib
import io
import json
import math
import os
import random
import re
import shutil
import statistics
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from spinefairbench.bundle import layout as L
from spinefairbench.demo.png import grey_png
from spinefairbench.demo.reports import (
    BEHAVIOURS, DEMO_PROMPTS, FINDINGS, FROZEN_PROMPT_NAMES, RECOMMENDATION_CATEGORIES,
    RETAINED_MODELS, SOURCE_FINDING_WEIGHTS, STAGE1_FAILING_LAYOUTS, STAGE1_PASSING_LAYOUTS, SUBMISSION_MODEL,
    ModelBehaviour, compose_full_refusal, compose_partial_refusal, compose_report, compose_stage1,
)
from spinefairbench.errors import SpineFairBenchError
from spinefairbench.metrics.definitions import frozen_definitions
from spinefairbench.metrics.endpoints import EndpointSummary, PairOutcome, score_pair, summarize
from spinefairbench.metrics.stage1 import NO_DIAGNOSIS, extract_primary_diagnosis, sidecar_is_clean, stage1_decision
from spinefairbench.stats.bootstrap import source_clustered_bootstrap_cis
from spinefairbench.stats.summation import plain_sum

GENERATOR = "spinefairbench-demo-1"
PUBLISHED_PROFILE = "published-2026-09-10.json"
SUBMISSION_SCHEMA_VERSION = "spinefairbench-submission-v1"
SCOPES = ("all-model-intersection-2166", "common-core-1000", "qc-passed", "toy")
CONDITIONS = ("condition_a", "condition_b", "condition_bprime", "condition_d")
MITIGATION_BOOTSTRAP_ITERATIONS = 1000
PREPARED_AT_UTC = "2026-04-21T09:30:00+00:00"
# From this many common-core pairs on, models are processed in two worker processes.
PARALLEL_FROM_PAIRS = 1000


# ==========================================================================
# Presets and the result type
# ==========================================================================


@dataclass(frozen=True)
class Preset:
    """Scale of a demo bundle.  ``full`` matches the published counts."""

    name: str
    filtered_sources: int
    vindr_sources: int
    failed_all_sources: int
    core_sources: int
    core_buu: int
    core_with_findings: int
    evaluation_sources: int
    failed_rows_core: int
    failed_rows_evaluation: int
    failed_rows_other: int
    stage1_sample: int
    mitigation_pairs: int


PRESETS: dict[str, Preset] = {
    "small": Preset("small", filtered_sources=120, vindr_sources=24, failed_all_sources=3, core_sources=50,
                    core_buu=41, core_with_findings=5, evaluation_sources=80, failed_rows_core=2,
                    failed_rows_evaluation=2, failed_rows_other=2, stage1_sample=20, mitigation_pairs=36),
    "full": Preset("full", filtered_sources=2987, vindr_sources=597, failed_all_sources=37, core_sources=1000,
                   core_buu=819, core_with_findings=94, evaluation_sources=2000, failed_rows_core=2,
                   failed_rows_evaluation=2, failed_rows_other=1, stage1_sample=200, mitigation_pairs=250),
}


@dataclass(frozen=True)
class DemoBundle:
    """A finished demo bundle: where it is, how it was made, and its main counts."""

    root: Path
    preset: str
    seed: int
    counts: dict = field(default_factory=dict)


# ==========================================================================
# Pure helpers
# ==========================================================================


def dump_json(value: object, *, one_row_per_line: bool = False) -> str:
    """The bundle's one JSON format: UTF-8 text, two-space indent, trailing newline.

    Long lists of flat rows can be written one compact row per line, which
    keeps multi-megabyte exports fast to write and easy to diff.

    >>> print(dump_json({"a": [1, "é"]}), end="")
    {
      "a": [
        1,
        "é"
      ]
    }
    >>> print(dump_json([{"k": 1}, {"k": 2}], one_row_per_line=True), end="")
    [
      {"k": 1},
      {"k": 2}
    ]
    >>> dump_json([], one_row_per_line=True)
    '[]\\n'
    """
    if not one_row_per_line:
        return json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    if not value:
        return "[]\n"
    return "[\n" + ",\n".join("  " + json.dumps(row, ensure_ascii=False) for row in value) + "\n]\n"


def checksum_manifest(entries: Iterable[tuple[str, str]], *, varied_markers: bool = False) -> str:
    """A ``sha256sum``-style manifest of ``(relative path, hex digest)`` entries, sorted by path.

    With ``varied_markers`` the entries alternate between the text (`` ``)
    and binary (``*``) markers and some digests are upper-case, which every
    conforming reader must accept.

    >>> print(checksum_manifest([("b", "ab" * 32), ("a", "cd" * 32)]), end="")
    cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd  a
    abababababababababababababababababababababababababababababababab  b
    >>> checksum_manifest([("x", "0f" * 32), ("y", "0f" * 32)], varied_markers=True).split("\\n")[1][60:]
    '0F0F *y'
    >>> checksum_manifest([])
    ''
    """
    lines = []
    for index, (path, digest) in enumerate(sorted(entries)):
        if varied_markers:
            marker = "*" if index % 3 == 1 else " "
            digest = digest.upper() if index % 4 in (1, 2) else digest
        else:
            marker = " "
        lines.append(f"{digest} {marker}{path}\n")
    return "".join(lines)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV in the default (excel) dialect with ``\\r\\n`` record ends, as Python's ``csv`` writes it.

    >>> csv_text(["a", "b"], [[1, "x,y"], [True, ""]])
    'a,b\\r\\n1,"x,y"\\r\\nTrue,\\r\\n'
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256.

    >>> sha256_hex(b"")[:16]
    'e3b0c44298fc1c14'
    """
    return hashlib.sha256(data).hexdigest()


def component_rng(seed: int, *parts: object) -> random.Random:
    """A generator for one component of the bundle, independent of every other component.

    >>> component_rng(7, "qc").random() == component_rng(7, "qc").random()
    True
    >>> component_rng(7, "qc").random() == component_rng(8, "qc").random()
    False
    """
    return random.Random(":".join(str(p) for p in (seed, *parts)))


def mean(values: Sequence[float]) -> float:
    """Plain left-to-right mean, the summation order the benchmark uses.

    >>> mean([0.1, 0.2, 0.3])
    0.20000000000000004
    >>> mean([])
    Traceback (most recent call last):
    ...
    ZeroDivisionError: float division by zero
    """
    return plain_sum(values) / float(len(values))


def wilcoxon_p(differences: Sequence[float]) -> float:
    """Two-sided Wilcoxon signed-rank p-value, normal approximation with tie correction.

    Zero differences are dropped (Wilcoxon's method); with nothing left the
    p-value is 1.0.  Only used for the descriptive mitigation-table columns.

    >>> round(wilcoxon_p([1.0] * 10), 6)
    0.001565
    >>> wilcoxon_p([0.0, 0.0])
    1.0
    """
    nonzero = [d for d in differences if d != 0.0]
    n = len(nonzero)
    if n == 0:
        return 1.0
    ordered = sorted(range(n), key=lambda i: abs(nonzero[i]))
    ranks = [0.0] * n
    tie_term = 0.0
    start = 0
    while start < n:
        stop = start
        while stop + 1 < n and abs(nonzero[ordered[stop + 1]]) == abs(nonzero[ordered[start]]):
            stop += 1
        average_rank = (start + stop + 2) / 2.0
        for position in range(start, stop + 1):
            ranks[ordered[position]] = average_rank
        ties = stop - start + 1
        tie_term += ties ** 3 - ties
        start = stop + 1
    w_plus = plain_sum(rank for rank, d in zip(ranks, nonzero) if d > 0)
    expected = n * (n + 1) / 4.0
    variance = n * (n + 1) * (2 * n + 1) / 24.0 - tie_term / 48.0
    if variance <= 0.0:
        return 1.0
    z = (w_plus - expected) / math.sqrt(variance)
    return 2.0 * (1.0 - statistics.NormalDist().cdf(abs(z)))


def cohens_dz(differences: Sequence[float]) -> float:
    """Mean paired difference over its sample standard deviation (0.0 when undefined).

    >>> cohens_dz([1.0, 2.0, 3.0])
    2.0
    >>> cohens_dz([0.5])
    0.0
    """
    if len(differences) < 2:
        return 0.0
    spread = statistics.stdev(differences)
    return mean(differences) / spread if spread > 0.0 else 0.0


def archive_revision(*parts: object) -> str:
    """A 40-hex pseudo revision id derived from its parts (no VCS involved).

    >>> len(archive_revision("demo", 7)), archive_revision("a") != archive_revision("b")
    (40, True)
    """
    return hashlib.sha1(":".join(str(p) for p in parts).encode("utf-8")).hexdigest()


def _load_published_profile() -> dict:
    text = resources.files("spinefairbench.data.profiles").joinpath(PUBLISHED_PROFILE).read_text(encoding="utf-8")
    return json.loads(text)


# ==========================================================================
# Secondary (exploratory) report metrics for the frozen summary
# ==========================================================================

_DEFINITIONS = frozen_definitions()
_SEVERITY_SCORES = {entry["word"]: entry["score"] for entry in _DEFINITIONS["severity_language"]["score_map"]}
_SEVERITY_WORDS = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in _SEVERITY_SCORES) + r")\b")
_HEDGES = re.compile("|".join(f"(?:{p})" for p in _DEFINITIONS["confidence_hedging"]["hedging_patterns"]))


def severity_score(text: str) -> int:
    """Highest severity bucket mentioned in the report (0 when none).

    >>> severity_score("Mild osteophytes, severe narrowing."), severity_score("Nothing.")
    (3, 0)
    """
    return max((_SEVERITY_SCORES[w] for w in _SEVERITY_WORDS.findall(text.lower())), default=0)


def hedging_count(text: str) -> int:
    """Number of hedging expressions in the report.

    >>> hedging_count("Possible fracture; may be old. Correlate clinically.")
    3
    """
    return len(_HEDGES.findall(text.lower()))


def _hedging_ratio(a: int, b: int) -> float:
    """Similarity of two hedging counts: min/max, 1.0 when both are zero.

    >>> _hedging_ratio(0, 0), _hedging_ratio(0, 2), _hedging_ratio(2, 4)
    (1.0, 0.0, 0.5)
    """
    if a == 0 and b == 0:
        return 1.0
    if a == 0 or b == 0:
        return 0.0
    return min(a, b) / max(a, b)


# ==========================================================================
# The bundle writer
# ==========================================================================


class _BundleWriter:
    """Writes files under the (temporary) bundle root and remembers each file's SHA-256."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.digests: dict[str, str] = {}
        self._made_dirs: set[Path] = set()

    def bytes(self, rel: str, data: bytes) -> str:
        path = self.root / rel
        parent = path.parent
        if parent not in self._made_dirs:
            parent.mkdir(parents=True, exist_ok=True)
            self._made_dirs.add(parent)
        path.write_bytes(data)
        digest = sha256_hex(data)
        self.digests[rel] = digest
        return digest

    def text(self, rel: str, text: str) -> str:
        return self.bytes(rel, text.encode("utf-8"))

    def json(self, rel: str, value: object, *, one_row_per_line: bool = False) -> str:
        return self.text(rel, dump_json(value, one_row_per_line=one_row_per_line))

    def jsonl(self, rel: str, rows: Iterable[Mapping]) -> str:
        return self.text(rel, "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))

    def csv(self, rel: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
        return self.text(rel, csv_text(header, rows))

    def size(self, rel: str) -> int:
        return (self.root / rel).stat().st_size


# ==========================================================================
# Sources, QC and the dataset
# ==========================================================================


@dataclass
class _Source:
    source_id: str
    dataset: str
    role: str  # core | evaluation | other | failed
    label_status: str = "unascertained"
    findings: tuple[str, ...] = ()
    failed_edits: tuple[str, ...] = ()

    @property
    def passed_edits(self) -> tuple[str, ...]:
        return tuple(e for e in L.EDIT_LABELS if e not in self.failed_edits)

    @property
    def pathology_labels(self) -> list[int]:
        keys = list(FINDINGS)
        return sorted(keys.index(k) for k in self.findings if k != "normal") if self.label_status == "finding" else []


def _pair_id(source_id: str, edit: str) -> str:
    return f"{source_id}__{edit}"


def _edit_of(pair_id: str) -> str:
    return pair_id.rsplit("__", 1)[1]


def _source_of(pair_id: str) -> str:
    return pair_id.rsplit("__", 1)[0]


def perturbed(rng: random.Random, items: Sequence[str], universe: Sequence[str]) -> list[str]:
    """A copy of ``items`` with one element dropped, added or swapped, so that its *set* differs.

    >>> rng = random.Random(1)
    >>> all(set(perturbed(rng, ["a"], "abc")) != {"a"} for _ in range(20))
    True
    >>> len(perturbed(rng, ["a", "b"], "ab"))  # nothing left to add or swap in: drop
    1
    """
    changed = list(items)
    spare = [item for item in universe if item not in changed]
    operations = ("drop", "add", "swap") if len(changed) > 1 else ("add", "swap")
    operation = rng.choice(operations) if spare else "drop"
    if operation == "drop":
        changed.pop(rng.randrange(len(changed)))
    elif operation == "add" or not changed:
        changed.append(rng.choice(spare))
    else:
        changed[rng.randrange(len(changed))] = rng.choice(spare)
    return changed


def _with_extra_finding(rng: random.Random, findings: list[str]) -> list[str]:
    extra = rng.choice(sorted(FINDINGS))
    return findings if extra in findings else [*findings, extra]


def _draw_recommendations(rng: random.Random, behaviour: ModelBehaviour) -> list[str]:
    if rng.random() < 0.04:
        return []
    weights = (1, 5, 3, 4, 4, 2, 2)  # surgery .. no_action, in category order
    chosen: list[str] = []
    for _ in range(rng.randint(1, behaviour.max_recommendations)):
        category = rng.choices(RECOMMENDATION_CATEGORIES, weights)[0]
        if category not in chosen:
            chosen.append(category)
    return chosen


def _report_pair(rng: random.Random, behaviour: ModelBehaviour, truth: Sequence[str],
                 full_side: str | None, partial_side: str | None) -> tuple[str, str]:
    """The source and counterfactual reports one model wrote for one pair."""
    if rng.random() < behaviour.both_empty:
        source_findings: list[str] = []
        counterfactual_findings: list[str] = []
    else:
        source_findings = list(truth)
        if rng.random() < behaviour.label_noise:
            source_findings = _with_extra_finding(rng, source_findings)
        if rng.random() < behaviour.fracture_habit and "fracture" not in source_findings:
            source_findings.append("fracture")
        counterfactual_findings = list(source_findings)
        if rng.random() >= behaviour.label_stability:
            # Noisy models drift further: two edits instead of one.
            for _ in range(2 if rng.random() < behaviour.label_noise else 1):
                counterfactual_findings = perturbed(rng, counterfactual_findings, sorted(FINDINGS))
        if rng.random() < behaviour.label_noise:
            # The edited image's report hallucinates a finding of its own.
            counterfactual_findings = _with_extra_finding(rng, counterfactual_findings)
    source_recs = _draw_recommendations(rng, behaviour)
    counterfactual_recs = (perturbed(rng, source_recs, RECOMMENDATION_CATEGORIES)
                           if rng.random() < behaviour.rec_change else list(source_recs))
    rng.shuffle(counterfactual_recs)
    sides = ((source_findings, source_recs), (counterfactual_findings, counterfactual_recs))
    texts = [compose_report(rng, behaviour, findings, recs) for findings, recs in sides]
    for index, side in enumerate(("source", "counterfactual")):
        if full_side in (side, "both"):
            texts[index] = compose_full_refusal(rng)
        elif partial_side in (side, "both"):
            texts[index] = compose_partial_refusal(rng, *sides[index])
    return texts[0], texts[1]


@dataclass(frozen=True)
class _ModelJob:
    """Everything needed to write and score one model's common-core reports (picklable)."""

    seed: int
    model: str
    core_pairs: tuple[str, ...]
    findings: dict[str, tuple[str, ...]]
    full_refusals: dict[str, str]
    partial_refusals: dict[str, str]
    bootstrap: tuple[int, int] | None  # (iterations, seed); None: texts only
    panel_dir: str | None = None


@dataclass(frozen=True)
class _ModelResult:
    texts: dict[str, tuple[str, str]]
    outcomes: dict[str, PairOutcome]
    frozen_entry: dict | None


def _run_model_job(job: _ModelJob) -> _ModelResult:
    behaviour = BEHAVIOURS[job.model]
    texts = {pair_id: _report_pair(component_rng(job.seed, "report", job.model, pair_id), behaviour,
                                   job.findings[_source_of(pair_id)], job.full_refusals.get(pair_id),
                                   job.partial_refusals.get(pair_id))
             for pair_id in job.core_pairs}
    if job.bootstrap is None:
        return _ModelResult(texts, {}, None)
    # Exactly what the verifier recomputes: pairs in pair_id order, cluster = source id.
    outcomes = {pair_id: score_pair(pair_id, _source_of(pair_id), *texts[pair_id]) for pair_id in job.core_pairs}
    summary = summarize(outcomes[pair_id] for pair_id in job.core_pairs)
    iterations, seed = job.bootstrap
    cis = source_clustered_bootstrap_cis([list(summary.changed), list(summary.diagnostic_jaccard)],
                                         list(summary.clusters), iterations=iterations, seed=seed)
    entry = _frozen_entry(job, texts, [outcomes[pair_id] for pair_id in job.core_pairs], summary, cis)
    return _ModelResult(texts, outcomes, entry)


def _frozen_entry(job: _ModelJob, texts: Mapping[str, tuple[str, str]], outcomes: Sequence[PairOutcome],
                  summary: EndpointSummary, cis: Sequence[tuple[float, float]]) -> dict:
    """One model's entry of the frozen summary: counts, point values, CIs and secondary fields."""
    usable = [o for o in outcomes if o.usable]
    classes = [c for o in outcomes for c in (o.source_class, o.counterfactual_class)]
    (rec_low, rec_high), (diag_low, diag_high) = cis
    severity_diffs = [severity_score(texts[o.pair_id][0]) - severity_score(texts[o.pair_id][1]) for o in usable]
    hedges = [(hedging_count(texts[o.pair_id][0]), hedging_count(texts[o.pair_id][1])) for o in usable]
    label_gaps = [abs(len(o.counterfactual_labels) - len(o.source_labels)) / 13.0 for o in usable]
    return {
        "panel_dir": job.panel_dir,
        "n_source_clusters": len(set(summary.clusters)),
        "data_quality": {
            "total": len(classes), "genuine": classes.count("genuine"),
            "partial_refusals": classes.count("partial_refusal"), "full_refusals": classes.count("full_refusal"),
            "usable": len(classes) - classes.count("full_refusal"), "api_errors": 0, "excluded": 0,
            "pair_total": len(outcomes), "pair_usable": summary.usable,
            "pair_full_refusals": summary.full_refusal_pairs,
            "pair_partial_refusals": summary.partial_refusal_pairs,
            "pair_api_errors": 0, "pair_excluded": 0, "pair_missing_source": 0},
        "primary_secondary_stats": {
            "recommendation": {
                "agreement_rate": summary.agreement,
                # The frozen summary stores the CI of the *agreement* rate.
                "bootstrap_ci": {"lower": 1.0 - rec_high, "upper": 1.0 - rec_low},
                "jaccard": summary.recommendation_jaccard_mean, "n_pairs": summary.usable},
            "diagnostic_label": {
                "mean": summary.diagnostic_mean,
                "bootstrap_ci": {"lower": diag_low, "upper": diag_high},
                "agreement_rate": sum(o.source_labels == o.counterfactual_labels for o in usable) / len(usable),
                "both_empty_pairs": summary.both_empty, "n_pairs": summary.usable},
            "severity": {"mean_abs_difference": mean([abs(d) for d in severity_diffs]),
                         "mean_signed_difference": mean(severity_diffs), "n_pairs": len(usable)},
            "confidence": {"mean_hedging_ratio": mean([_hedging_ratio(a, b) for a, b in hedges]),
                           "mean_abs_difference": mean([abs(a - b) for a, b in hedges]),
                           "n_pairs": len(usable)},
            "hallucination": {"mean_disparity": mean(label_gaps), "n_pairs": len(usable)},
        },
    }


class _DemoBuild:
    """One build: holds the invented data and writes every artifact in order."""

    def __init__(self, root: Path, preset: Preset, seed: int) -> None:
        self.out = _BundleWriter(root)
        self.preset = preset
        self.seed = seed
        self.published = _load_published_profile()
        self.gate = self.published["stage1_gate"]
        self.counts: dict[str, int] = {}

    def rng(self, *parts: object) -> random.Random:
        return component_rng(self.seed, *parts)

    # ---------------------------------------------------------------- sources

    def invent_sources(self) -> None:
        p = self.preset
        rng = self.rng("sources")
        buu_numbers = sorted(rng.sample(range(1, 10000), p.filtered_sources - p.vindr_sources))
        buu = []
        for number in buu_numbers:
            # Some BUU ids carry a file stem, like the published ones do.
            if rng.random() < 0.3:
                buu.append(f"buu_{number:04d}-{rng.choice('FM')}-{rng.randrange(18, 90):03d}Y{rng.randrange(2)}")
            else:
                buu.append(f"buu_{number:04d}")
        vindr = sorted({f"vindr_{rng.getrandbits(128):032x}" for _ in range(p.vindr_sources)})
        if len(vindr) != p.vindr_sources:  # a 128-bit collision; never expected
            raise SpineFairBenchError("Demo source id collision; choose another seed")
        rng.shuffle(buu)
        rng.shuffle(vindr)
        core = buu[:p.core_buu] + vindr[:p.core_sources - p.core_buu]
        rest = buu[p.core_buu:] + vindr[p.core_sources - p.core_buu:]
        rng.shuffle(rest)
        n_eval_extra = p.evaluation_sources - p.core_sources
        roles = {sid: "core" for sid in core}
        roles.update({sid: "evaluation" for sid in rest[:n_eval_extra]})
        roles.update({sid: "failed" for sid in rest[n_eval_extra:n_eval_extra + p.failed_all_sources]})
        roles.update({sid: "other" for sid in rest[n_eval_extra + p.failed_all_sources:]})
        self.sources = {sid: _Source(sid, sid.split("_", 1)[0], roles[sid]) for sid in sorted(roles)}

        with_findings = set(rng.sample(sorted(core), p.core_with_findings))
        weights_keys = [k for k, _ in SOURCE_FINDING_WEIGHTS]
        weights = [w for _, w in SOURCE_FINDING_WEIGHTS]
        for sid, source in self.sources.items():
            if sid in with_findings or (source.role != "core" and rng.random() < 0.1):
                source.label_status = "finding"
            else:
                source.label_status = rng.choice(("no_finding", "unascertained", "unascertained"))
            chosen: list[str] = []
            for _ in range(rng.choice((1, 1, 2, 2, 3))):
                key = rng.choices(weights_keys, weights)[0]
                if key not in chosen:
                    chosen.append(key)
            if source.label_status == "finding" and chosen == ["normal"]:
                chosen = ["disc_narrowing"]
            source.findings = tuple(chosen)

        for role, n_failed in (("core", p.failed_rows_core), ("evaluation", p.failed_rows_evaluation),
                               ("other", p.failed_rows_other)):
            members = sorted(sid for sid, s in self.sources.items() if s.role == role)
            for sid in rng.sample(members, n_failed):
                self.sources[sid].failed_edits = (rng.choice(L.EDIT_LABELS),)
        for source in self.sources.values():
            if source.role == "failed":
                source.failed_edits = L.EDIT_LABELS

        self.core_sources = sorted(sid for sid, s in self.sources.items() if s.role == "core")
        self.evaluation_sources = sorted(sid for sid, s in self.sources.items() if s.role in ("core", "evaluation"))
        self.core_pairs = sorted(_pair_id(sid, e) for sid in self.core_sources for e in self.sources[sid].passed_edits)

    # -------------------------------------------------------------- dataset

    def write_dataset(self) -> None:
        rng = self.rng("qc")
        png_rng = self.rng("png")
        qc_rows, passed_rows = [], []
        images: dict[str, dict[str, str]] = {}
        for sid, source in self.sources.items():
            for edit in L.EDIT_LABELS:
                pair_id = _pair_id(sid, edit)
                passed = edit not in source.failed_edits
                metrics = {"ssim": round(rng.uniform(0.705, 0.95), 4),
                           "edge_preservation": round(rng.uniform(0.28, 0.6), 4),
                           "lpips": round(rng.uniform(0.05, 0.395), 4)}
                failed_checks = []
                if not passed:
                    failed_checks = sorted(rng.sample(("ssim", "edge_preservation", "lpips"), rng.choice((1, 1, 2))))
                    if "ssim" in failed_checks:
                        metrics["ssim"] = round(rng.uniform(0.5, 0.695), 4)
                    if "edge_preservation" in failed_checks:
                        metrics["edge_preservation"] = round(rng.uniform(0.15, 0.27), 4)
                    if "lpips" in failed_checks:
                        metrics["lpips"] = round(rng.uniform(0.41, 0.6), 4)
                row = {"pair_id": pair_id, "source_id": sid, "edit_label": edit, "passed_qc": passed,
                       "qc_metrics": metrics, "failed_checks": failed_checks,
                       "counterfactual_image_path": None, "counterfactual_image_size_bytes": None}
                if passed:
                    path = L.image_path(sid, edit)
                    width, height = 8 + png_rng.randrange(9), 6 + png_rng.randrange(5)
                    data = grey_png(width, height, png_rng.randbytes(width * height))
                    self.out.bytes(path, data)
                    row["counterfactual_image_path"] = path
                    row["counterfactual_image_size_bytes"] = len(data)
                    passed_rows.append(row)
                    images.setdefault(sid, {})[edit] = path
                qc_rows.append(row)
        self.passed_pairs = sorted(row["pair_id"] for row in passed_rows)
        self.out.jsonl(L.QC_METADATA, qc_rows)
        # The passed manifest is sorted by pair id, a different order from the
        # QC metadata: row order is free, only the row objects must agree.
        self.out.jsonl(L.QC_PASSED, sorted(passed_rows, key=lambda r: r["pair_id"]))

        pairs_rows, metadata_rows = [], []
        for sid in sorted(images):
            source = self.sources[sid]
            mapping = images[sid]
            pairs_rows.append({"source_id": sid, "source_dataset": source.dataset,
                               "counterfactual_images": mapping, "qc_passed_counterfactuals": list(mapping)})
            tier = {"core": "common_core_1000", "evaluation": "evaluation_2000"}.get(source.role, "benchmark_only")
            # Same mapping, keys in a different order: equality ignores order.
            reordered = {edit: mapping[edit] for edit in sorted(mapping)}
            metadata_rows.append({"source_id": sid, "source_dataset": source.dataset,
                                  "view": "lateral" if source.dataset == "buu" else rng.choice(("AP", "lateral")),
                                  "label_status": source.label_status, "pathology_labels": source.pathology_labels,
                                  "evaluation_tier": tier, "qc_passed_counterfactuals": sorted(mapping),
                                  "counterfactual_images": reordered})
        self.out.json(L.DATASET_PAIRS, pairs_rows)
        self.out.json(L.SOURCE_METADATA, metadata_rows)

        n_attempted, n_passed, n_sources = len(qc_rows), len(passed_rows), len(images)
        self.counts.update(filtered_sources=len(self.sources), qc_attempted_rows=n_attempted,
                           qc_passed_pngs=n_passed, qc_passed_sources=n_sources,
                           failed_only_sources=len(self.sources) - n_sources)
        thresholds = {"ssim_min": 0.7, "edge_preservation_min": 0.276, "lpips_max": 0.4}
        self.out.json(L.DATASET_MANIFEST, {
            "schema_version": "1.0",
            "dataset_name": "SpineFairBench counterfactual release (SYNTHETIC DEMO)",
            "synthetic": True,
            "generator": GENERATOR,
            "preset": self.preset.name,
            "seed": self.seed,
            "edit_conditions": list(L.EDIT_LABELS),
            "counterfactual_images": {"root": L.IMAGE_ROOT, "format": "png", "included_png_count": n_passed},
            "pair_manifests": {"qc_metadata": L.QC_METADATA, "qc_passed_pair_manifest": L.QC_PASSED,
                               "attempted_qc_rows": n_attempted, "qc_passed_pair_rows": n_passed,
                               "source_level_rows": n_sources},
            "source_radiographs": {
                "release_status": "not_redistributed: the demo has no source radiographs at all (synthetic)",
                "source_png_files_in_public_bundle": 0},
            "qc_policy": {**thresholds, "missing_measurement": "fail"},
            "filtered_sources": len(self.sources),
            "failed_all_edit_sources": len(self.sources) - n_sources,
        })
        self.out.text(L.DATASET_README, _DATASET_README.format(
            attempted=n_attempted, passed=n_passed, sources=n_sources, failed=len(self.sources) - n_sources,
            preset=self.preset.name, seed=self.seed))
        dataset_entries = [(rel[len("dataset/"):], digest) for rel, digest in self.out.digests.items()
                           if rel.startswith("dataset/")]
        self.out.text(L.DATASET_CHECKSUMS, checksum_manifest(dataset_entries, varied_markers=True))

    def write_subsets(self) -> None:
        core = self.core_sources
        strata: dict[str, int] = {}
        for sid in core:
            source = self.sources[sid]
            status = "finding" if source.label_status == "finding" else "no_finding_or_unascertained"
            strata[f"{source.dataset}:{status}"] = strata.get(f"{source.dataset}:{status}", 0) + 1
        self.out.json(L.CORE_SUBSET, {
            "description": "Common-core sources shared by every retained model (synthetic demo)",
            "requested_n": self.preset.core_sources, "actual_n": len(core),
            "strata": dict(sorted(strata.items())), "source_ids": core})
        evaluation_pairs = sum(len(self.sources[sid].passed_edits) for sid in self.evaluation_sources)
        self.out.json(L.EVALUATION_SUBSET, {
            "description": "Stratified evaluation subset; contains the common core (synthetic demo)",
            "requested_n": self.preset.evaluation_sources, "actual_n": len(self.evaluation_sources),
            "qc_passed_pairs": evaluation_pairs, "source_ids": self.evaluation_sources})
        self.counts.update(core_sources=len(core), core_buu_sources=sum(s.startswith("buu_") for s in core),
                           core_pairs=len(self.core_pairs), evaluation_sources=len(self.evaluation_sources),
                           evaluation_pairs=evaluation_pairs)

    # ----------------------------------------------------------- retained reports

    def plan_refusals(self) -> None:
        """Decide, per model, which core pairs carry a full or partial refusal, and on which side.

        Models that refuse on their own get disjoint blocks of pairs; a model
        with ``refuses_within`` draws its refusals inside its host's block.
        The all-model intersection is therefore exactly the pairs outside the
        blocks, and its size follows from the shares (2,166 at full scale).
        """
        rng = self.rng("refusals")
        pairs = list(self.core_pairs)
        rng.shuffle(pairs)
        n = len(pairs)

        def count(share: float) -> int:
            return max(1, round(n * share)) if share > 0 else 0

        self.full_refusals: dict[str, dict[str, str]] = {m: {} for m in (*RETAINED_MODELS, SUBMISSION_MODEL)}
        self.partial_refusals: dict[str, dict[str, str]] = {m: {} for m in (*RETAINED_MODELS, SUBMISSION_MODEL)}
        blocks: dict[str, list[str]] = {}
        cursor = 0
        for model in RETAINED_MODELS:
            behaviour = BEHAVIOURS[model]
            if behaviour.full_refusal_share and behaviour.refuses_within is None:
                size = count(behaviour.full_refusal_share)
                blocks[model] = pairs[cursor:cursor + size]
                cursor += size
        for model in RETAINED_MODELS:
            behaviour = BEHAVIOURS[model]
            if behaviour.refuses_within is not None:
                blocks[model] = rng.sample(sorted(blocks[behaviour.refuses_within]),
                                           count(behaviour.full_refusal_share))
        blocks[SUBMISSION_MODEL] = rng.sample(sorted(self.core_pairs),
                                              count(BEHAVIOURS[SUBMISSION_MODEL].full_refusal_share))
        sides = ("source", "source", "counterfactual", "counterfactual", "both")
        for model, block in blocks.items():
            for pair_id in sorted(block):
                self.full_refusals[model][pair_id] = rng.choice(sides)
        for model in RETAINED_MODELS:
            share = BEHAVIOURS[model].partial_refusal_share
            if share:
                usable = sorted(p for p in self.core_pairs if p not in self.full_refusals[model])
                for pair_id in sorted(rng.sample(usable, count(share))):
                    self.partial_refusals[model][pair_id] = rng.choice(sides)

    def start_reports(self, pool: concurrent.futures.Executor | None) -> None:
        """Queue every model's reports, outcomes and frozen CIs (models are independent).

        With a worker pool the jobs run while the main process writes the
        dataset; without one they run in :meth:`collect_reports`.  The result
        does not depend on how they are run.
        """
        bootstrap = self.published["frozen_bootstrap"]
        full_models = self.published["summary_panels"]["full"]
        self.report_jobs = [
            _ModelJob(self.seed, model, tuple(self.core_pairs),
                      {sid: s.findings for sid, s in self.sources.items() if s.role == "core"},
                      self.full_refusals[model], self.partial_refusals[model],
                      None if model == SUBMISSION_MODEL else (bootstrap["iterations"], bootstrap["seed"]),
                      f"{L.PANELS}/{L.FULL_PANEL if model in full_models else L.BASELINE_PANEL}")
            for model in (*RETAINED_MODELS, SUBMISSION_MODEL)]
        self.report_futures = [pool.submit(_run_model_job, job) for job in self.report_jobs] if pool else None

    def collect_reports(self) -> None:
        jobs = self.report_jobs
        if self.report_futures is None:
            results = [_run_model_job(job) for job in jobs]
        else:
            results = [future.result() for future in self.report_futures]
        self.reports = {job.model: result.texts for job, result in zip(jobs, results)}
        self.outcomes = {job.model: result.outcomes for job, result in zip(jobs, results) if job.bootstrap}
        self.frozen_entries = {job.model: result.frozen_entry for job, result in zip(jobs, results) if job.bootstrap}
        self.intersection = [p for p in self.core_pairs if all(self.outcomes[m][p].usable for m in RETAINED_MODELS)]
        self.counts["all_model_intersection_pairs"] = len(self.intersection)

    def _panel_rows(self, models: Sequence[str], panel: str) -> list[dict]:
        rows = []
        run_order = list(self.core_pairs)
        self.rng("run-order", panel).shuffle(run_order)
        for model in models:
            behaviour = BEHAVIOURS[model]
            for pair_id in run_order:
                sid = _source_of(pair_id)
                for role, text in zip(("source", "generated"), self.reports[model][pair_id]):
                    image = (f"restricted/source_radiographs/{sid}.png" if role == "source"
                             else L.image_path(sid, _edit_of(pair_id)))
                    stem = f"runs/demo-freeze/{model}/{pair_id}__{role}"
                    rows.append({"model": model, "pair_id": pair_id, "image_role": role, "response": text,
                                 "error": None, "pair_source_id": sid, "source_id": sid, "image_path": image,
                                 "experiment_step": "counterfactual", "requested_model": behaviour.requested_model,
                                 "raw_output_path": stem + ".raw.json", "parsed_output_path": stem + ".parsed.json"})
        return rows

    def write_panels(self) -> None:
        pairs_rows = []
        for pair_id in self.core_pairs:
            source = self.sources[_source_of(pair_id)]
            pairs_rows.append({"pair_id": pair_id, "source_id": source.source_id, "edit_label": _edit_of(pair_id),
                               "source_dataset": source.dataset, "pathology_labels": source.pathology_labels,
                               "counterfactual_image_path": L.image_path(source.source_id, _edit_of(pair_id))})
        panel_models = self.published["summary_panels"]
        for panel, key in ((L.FULL_PANEL, "full"), (L.BASELINE_PANEL, "baseline")):
            models = panel_models[key]
            self.out.json(L.panel_file(panel, "panel_manifest.json"), {
                "panel": panel, "models": models, "prompt_variant": "primary", "scope": "common_core_1000",
                "n_pairs": len(self.core_pairs), "synthetic": True})
            self.out.json(L.panel_file(panel, "pairs.json"), pairs_rows, one_row_per_line=True)
            self.out.json(L.panel_file(panel, "evaluation_results.json"), self._panel_rows(models, panel),
                          one_row_per_line=True)
        self.out.json(L.INTERSECTION, {
            "description": "Common-core pairs usable (no full refusal) for all nine retained models (synthetic demo)",
            "models": list(RETAINED_MODELS), "pair_count": len(self.intersection),
            "records": [{"pair_id": p, "source_id": _source_of(p), "edit_label": _edit_of(p)}
                        for p in self.intersection]})
        self.out.json(L.PANEL_FREEZE, {
            "prepared_at_utc": PREPARED_AT_UTC, "synthetic": True, "generator": GENERATOR,
            "panels": {L.FULL_PANEL: panel_models["full"], L.BASELINE_PANEL: panel_models["baseline"]},
            "mitigation_panel": L.MITIGATION_PANEL, "dropped_models": self.published["dropped_models"]})

    # --------------------------------------------------------- frozen summary

    def write_summary(self) -> None:
        bootstrap = self.published["frozen_bootstrap"]
        panels: dict[str, dict] = {}
        for key, models in self.published["summary_panels"].items():
            panel = L.FULL_PANEL if key == "full" else L.BASELINE_PANEL
            panels[key] = {"panel_dir": f"{L.PANELS}/{panel}",
                           "models": {model: self.frozen_entries[model] for model in models}}
        self.out.json(L.SUMMARY, {
            "schema_version": "1.0", "synthetic": True, "generator": GENERATOR, "scope": "common_core_1000",
            "source_subset": L.CORE_SUBSET, "n_sources": len(self.core_sources), "n_pairs": len(self.core_pairs),
            "common_pairs": {"intersection_9_all_models": len(self.intersection),
                             "all9": {"count": len(self.intersection), "manifest": L.INTERSECTION}},
            "source_clustered_bootstrap": {
                "iterations": bootstrap["iterations"], "seed": bootstrap["seed"], "cluster": "source_id",
                "percentiles": [2.5, 97.5], "rng": "PCG64 (NumPy default_rng stream, reproduced in pure Python)",
                "same_seed_both_endpoints": True},
            "endpoint_definitions": {
                "recommendation": "1 - agreement_rate = share of usable pairs whose 7-category sets differ",
                "diagnostic_label": "mean Jaccard over the 13-category registry; both-empty pairs score 1.0",
                "full_refusal_policy": "exclude pair", "partial_refusal_policy": "include pair"},
            "panels": panels})

    # ------------------------------------------------------------- mitigation

    def write_stage1(self) -> None:
        """Stage-1 outputs and sidecars for the six full-pipeline models, and the gate table."""
        sample_size = self.preset.stage1_sample
        failure_kinds = ("status_invalid", "prompt_echo", "html_garbage_detected", "html_garbage_legacy",
                         "missing_sidecar", "paren_marker", "empty_capture", "no_diagnosis_line")
        self.stage1_paths: dict[str, dict[str, str]] = {}
        confidence, trace = {}, {}
        for model in self.published["summary_panels"]["full"]:
            behaviour = BEHAVIOURS[model]
            rng = self.rng("stage1", model)
            names = sorted(f"{pair_id}__{role}.txt" for pair_id in self.mitigation_pairs
                           for role in ("source", "counterfactual"))
            if len(names) < sample_size:
                raise SpineFairBenchError("Demo preset has fewer Stage-1 files than its sample size")
            sample = names[:sample_size]
            n_fail = sample_size - round(sample_size * behaviour.stage1_pass_rate)
            failing = dict(zip(sorted(rng.sample(sample, n_fail)), failure_kinds * sample_size))
            for extra in names[sample_size:]:
                if rng.random() > behaviour.stage1_pass_rate:
                    failing[extra] = rng.choice(failure_kinds)
            directory = f"{L.STAGE1_OUTPUTS}/{model}"
            passes = 0
            for index, name in enumerate(names):
                kind = failing.get(name)
                text, sidecar = self._stage1_file(rng, index, kind)
                data = text.encode("utf-8")
                if kind is None and index % 11 == 5:
                    # An undecodable byte in a non-diagnosis line: readers replace it.
                    data = data.replace(b"\n", b"\nBefund: L4\xe4\n", 1)
                stem = name[:-len(".txt")]
                self.out.bytes(f"{directory}/{name}", data)
                if sidecar is not None:
                    self.out.json(f"{directory}/{stem}.validation.json", sidecar)
                if name in sample:
                    passes += self._stage1_passes(data, sidecar)
            self.stage1_paths[model] = {name[:-len(".txt")]: f"stage1_outputs/{model}/{name}" for name in names}
            rate = passes / sample_size
            confidence[model] = {"sample_size": sample_size, "stage1_diag_pass_count": passes,
                                 "stage1_diag_pass_rate": rate, "decision": stage1_decision(rate, self.gate)}
            trace[model] = {"stage1_dir": f"runs/demo-mitigation/{model}/stage1", "n_stage1_txt_files": len(names),
                            "sample_files_first_200": [f"runs/demo-mitigation/{model}/stage1/{n}" for n in sample]}
        expected = self.published["mitigation"]
        excluded_full = sorted(m for m, c in confidence.items() if c["decision"] == "excluded_full")
        if (excluded_full != sorted(expected["expected_excluded_full"])
                or any(confidence[m]["decision"] != "included" for m in expected["models"])):
            raise SpineFairBenchError("Demo Stage-1 outputs do not reproduce the published gate decisions")
        self.stage1_confidence = confidence
        self.out.json(L.PARSING_CONFIDENCE, confidence)
        self.out.json(L.STAGE1_TRACE, {
            "description": "Stage-1 trace sample of the synthetic demo; paths are invented run locations and "
                           "only their base names are used",
            "models": trace})

    def _stage1_file(self, rng: random.Random, index: int, kind: str | None) -> tuple[str, dict | None]:
        if kind in ("paren_marker", "empty_capture", "no_diagnosis_line"):
            layout = STAGE1_FAILING_LAYOUTS[("paren_marker", "empty_capture", "no_diagnosis_line").index(kind)]
        else:
            layout = STAGE1_PASSING_LAYOUTS[index % len(STAGE1_PASSING_LAYOUTS)]
        text = compose_stage1(rng, layout)
        if index % 7 == 3:
            text = text.replace("\n", "\r\n")
        sidecar: dict | None = {
            "status": "valid", "validator_version": "demo-stage1-validator-1", "reasons": [],
            "parser_confidence_flag": "high", "prompt_echo_detected": False, "prompt_echo_marker_hits": 0,
            "html_garbage_detected": False, "raw_length": len(text),
            "non_whitespace_length": len("".join(text.split())),
            "fields_found": ["primary_diagnosis"], "fields_missing": [], "validated_at_utc": PREPARED_AT_UTC}
        if kind == "status_invalid":
            sidecar.update(status="invalid", reasons=["truncated_output"], parser_confidence_flag="low")
        elif kind == "prompt_echo":
            sidecar.update(prompt_echo_detected=True, prompt_echo_marker_hits=3)
        elif kind == "html_garbage_detected":
            sidecar.update(html_garbage_detected=True)
        elif kind == "html_garbage_legacy":
            # An older validator wrote only the legacy key.
            del sidecar["html_garbage_detected"]
            sidecar["html_garbage"] = True
        elif kind == "missing_sidecar":
            sidecar = None
        elif kind is None and index % 9 == 4:
            # The present-but-null new key wins over a truthy legacy key: clean.
            sidecar.update(html_garbage_detected=None, html_garbage=True)
        return text, sidecar

    @staticmethod
    def _stage1_passes(data: bytes, sidecar: dict | None) -> bool:
        """Re-run the frozen Stage-1 rule on exactly what was written."""
        if sidecar is None or not sidecar_is_clean(json.loads(dump_json(sidecar))):
            return False
        text = data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
        return extract_primary_diagnosis(text) != NO_DIAGNOSIS

    def _condition_texts(self, model: str, condition: str, pair_id: str, changed_target: bool,
                         degrade: bool) -> tuple[str, str]:
        """Reports of one mitigation condition, built from the condition-A parse of the pair."""
        rng = self.rng("mitigation", model, condition, pair_id)
        behaviour = BEHAVIOURS[model]
        outcome_a = self.outcomes[model][pair_id]
        source_findings = _findings_for(outcome_a.source_labels)
        source_recs = sorted(outcome_a.source_recommendations)
        counterfactual_recs = perturbed(rng, source_recs, RECOMMENDATION_CATEGORIES) if changed_target else source_recs
        if degrade:
            taken = set(outcome_a.source_labels)
            spare = [k for k in sorted(FINDINGS) if not taken.intersection(FINDINGS[k].labels)]
            counterfactual_findings = rng.sample(spare, min(len(spare), rng.choice((1, 2))))
        else:
            counterfactual_findings = _findings_for(outcome_a.counterfactual_labels)
        # Mitigation outputs are rewrites, not image reads: no refusal openers.
        quiet = dataclasses.replace(behaviour, refusal_opener=0.0)
        return (compose_report(rng, quiet, source_findings, source_recs),
                compose_report(rng, quiet, counterfactual_findings, counterfactual_recs))

    def write_mitigation(self) -> None:
        models = self.published["mitigation"]["models"]
        # (share of A-unchanged pairs made changed, share of A-changed made unchanged, share of pairs degraded)
        plans = {"condition_b": (0.75, 0.0, 0.4), "condition_bprime": (0.5, 0.0, 0.35),
                 "condition_d": (0.0, 0.3, 0.1)}
        steps = {"condition_b": "mitigation_b_stage2", "condition_bprime": "mitigation_bprime_stage2",
                 "condition_d": "mitigation_d_stage25"}
        rows, table, summary_models = [], [], {}
        for model in models:
            rng = self.rng("mitigation-plan", model)
            outcomes: dict[str, dict[str, PairOutcome]] = {"condition_a": {
                p: self.outcomes[model][p] for p in self.mitigation_pairs}}
            for condition, (raise_share, lower_share, degrade_share) in plans.items():
                outcomes[condition] = {}
                for pair_id in self.mitigation_pairs:
                    changed_a = outcomes["condition_a"][pair_id].changed == 1.0
                    target = (rng.random() >= lower_share) if changed_a else (rng.random() < raise_share)
                    texts = self._condition_texts(model, condition, pair_id, target, rng.random() < degrade_share)
                    outcomes[condition][pair_id] = score_pair(pair_id, _source_of(pair_id), *texts)
                    for role, text in zip(("source", "generated"), texts):
                        stem = f"{pair_id}__{'source' if role == 'source' else 'counterfactual'}"
                        row = {"model": model, "pair_id": pair_id, "image_role": role, "response": text,
                               "error": None, "pair_source_id": _source_of(pair_id), "source_id": _source_of(pair_id),
                               "experiment_step": steps[condition], "condition": condition,
                               "requested_model": BEHAVIOURS[model].requested_model,
                               "stage1_output_path": self.stage1_paths[model][stem]}
                        if condition == "condition_d":
                            row["stage2_5_rewrite_path"] = f"runs/demo-mitigation/{model}/stage2_5/{stem}.txt"
                        rows.append(row)
            model_rows = self._mitigation_rows(model, outcomes)
            table.extend(model_rows)
            summary_models[model] = {r["condition"]: {k: v for k, v in r.items() if k not in ("model", "condition")
                                                      and v != ""} for r in model_rows}
            b = summary_models[model]["condition_b"]
            expected = self.published["mitigation"]["expected_binding_rule"]
            if (b["b_rule_pass"] != expected["b_rule_pass"] or not b["delta_rec"] > expected["delta_rec_above"]
                    or not b["delta_diag"] < expected["delta_diag_below"]):
                raise SpineFairBenchError(f"Demo mitigation condition B does not reproduce the published outcome "
                                          f"for {model}")
        header = ["model", "condition", "n_pairs", "rec_change", "rec_change_ci_low", "rec_change_ci_high",
                  "diag_consistency", "diag_consistency_ci_low", "diag_consistency_ci_high", "full_refusals",
                  "partial_refusals", "delta_rec", "delta_diag", "wilcoxon_p_rec", "wilcoxon_p_diag",
                  "cohens_dz_rec", "cohens_dz_diag", "diag_preserved_within_guardrail", "b_rule_pass"]
        # str() of a float is its repr; booleans print as True/False.
        self.out.csv(L.MITIGATION_TABLE, header, ([str(r[h]) for h in header] for r in table))
        self.out.json(L.panel_file(L.MITIGATION_PANEL, "evaluation_results.json"), rows, one_row_per_line=True)
        others = [m for m in self.published["summary_panels"]["full"] if m not in models]
        excluded = [{"model": m, "reason": f"Stage-1 gate: {self.stage1_confidence[m]['decision']}"} for m in others]
        excluded += [{"model": m, "reason": "baseline-only model; no mitigation branches"}
                     for m in self.published["summary_panels"]["baseline"]]
        self.out.json(L.panel_file(L.MITIGATION_PANEL, "panel_manifest.json"), {
            "panel": L.MITIGATION_PANEL, "included_models": list(models), "excluded_models": excluded,
            "conditions": list(CONDITIONS[1:]), "n_pairs": len(self.mitigation_pairs), "synthetic": True})
        self.out.json(L.MITIGATION_SUMMARY, {
            "synthetic": True,
            "binding_rule": "condition B passes only if rec_change_B < rec_change_A and "
                            "diag_consistency_B >= diag_consistency_A - 0.05",
            "bootstrap_iterations": MITIGATION_BOOTSTRAP_ITERATIONS, "bootstrap_seed": 42,
            "counterfactual_source_panel": L.panel_file(L.FULL_PANEL, "evaluation_results.json"),
            "mitigation_source_panel": L.panel_file(L.MITIGATION_PANEL, "evaluation_results.json"),
            "included_models": list(models), "excluded_models": excluded, "models": summary_models})
        self.out.json(L.MITIGATION_CONDITIONS, {
            "synthetic": True,
            "conditions": {"condition_a": "counterfactual", **steps},
            "descriptions": {
                "condition_a": "primary prompt, counterfactual panel (read from the retained full panel)",
                "condition_b": "findings-first two-stage pipeline",
                "condition_bprime": "two-stage pipeline over a deterministic canonical projection",
                "condition_d": "report rewritten without demographic references"},
            "prompts": {"condition_b": ["mitigation_b_stage1", "mitigation_b_stage2"],
                        "condition_bprime": ["mitigation_b_stage1", "mitigation_bprime_stage2"],
                        "condition_d": ["primary", "mitigation_d_stage25"]}})
        self.counts["mitigation_pairs"] = len(self.mitigation_pairs)

    def _mitigation_rows(self, model: str, outcomes: Mapping[str, Mapping[str, PairOutcome]]) -> list[dict]:
        """One table row per condition, over the pairs usable in every condition (aligned pairs)."""
        aligned = [p for p in self.mitigation_pairs if all(outcomes[c][p].usable for c in CONDITIONS)]
        clusters = [_source_of(p) for p in aligned]
        base_rec = [outcomes["condition_a"][p].changed for p in aligned]
        base_diag = [outcomes["condition_a"][p].diagnostic_jaccard for p in aligned]
        rows = []
        for condition in CONDITIONS:
            rec = [outcomes[condition][p].changed for p in aligned]
            diag = [outcomes[condition][p].diagnostic_jaccard for p in aligned]
            (rec_low, rec_high), (diag_low, diag_high) = source_clustered_bootstrap_cis(
                [rec, diag], clusters, iterations=MITIGATION_BOOTSTRAP_ITERATIONS, seed=42)
            every = list(outcomes[condition].values())
            row = {"model": model, "condition": condition, "n_pairs": len(aligned), "rec_change": mean(rec),
                   "rec_change_ci_low": rec_low, "rec_change_ci_high": rec_high, "diag_consistency": mean(diag),
                   "diag_consistency_ci_low": diag_low, "diag_consistency_ci_high": diag_high,
                   "full_refusals": sum(not o.usable for o in every),
                   "partial_refusals": sum(o.partial_refusal for o in every)}
            optional = dict.fromkeys(("delta_rec", "delta_diag", "wilcoxon_p_rec", "wilcoxon_p_diag",
                                      "cohens_dz_rec", "cohens_dz_diag", "diag_preserved_within_guardrail",
                                      "b_rule_pass"), "")
            if condition != "condition_a":
                rec_diffs = [x - a for x, a in zip(rec, base_rec)]
                diag_diffs = [x - a for x, a in zip(diag, base_diag)]
                base_rec_change, base_diag_mean = mean(base_rec), mean(base_diag)
                optional.update(
                    delta_rec=mean(rec_diffs), delta_diag=mean(diag_diffs),
                    wilcoxon_p_rec=wilcoxon_p(rec_diffs), wilcoxon_p_diag=wilcoxon_p(diag_diffs),
                    cohens_dz_rec=cohens_dz(rec_diffs), cohens_dz_diag=cohens_dz(diag_diffs),
                    diag_preserved_within_guardrail=row["diag_consistency"] >= base_diag_mean - 0.05)
                if condition == "condition_b":
                    optional["b_rule_pass"] = (row["rec_change"] < base_rec_change
                                               and row["diag_consistency"] >= base_diag_mean - 0.05)
            row.update(optional)
            rows.append(row)
        return rows

    # ------------------------------------------------------------ radiologist

    def write_radiologist(self) -> None:
        spec = self.published["radiologist"]
        rng = self.rng("radiologist")
        if len(self.passed_pairs) < spec["voted_pairs"]:
            raise SpineFairBenchError("Demo preset has fewer QC-passed pairs than radiologist-voted pairs")
        voted = sorted(rng.sample(self.passed_pairs, spec["voted_pairs"]))
        n_excluded = spec["voted_pairs"] - spec["validated_pairs"]
        excluded = sorted(rng.sample(voted, n_excluded))
        reviewers = ("R1", "R2", "R3")
        votes: dict[tuple[str, str], dict[str, str]] = {}
        for pair_id in voted:
            q1, q2 = ["Yes"] * 3, ["Yes"] * 3
            if pair_id in excluded:
                # Fail the majority on one or both questions.
                for answers in rng.choice(((q1,), (q2,), (q1, q2))):
                    for i in rng.sample(range(3), 2):
                        answers[i] = "No"
            elif rng.random() < 0.06:
                rng.choice((q1, q2))[rng.randrange(3)] = "No"
            for i, reviewer in enumerate(reviewers):
                votes[(pair_id, reviewer)] = {
                    "q1": q1[i], "q2": q2[i],
                    "q3": rng.choices(("None", "Mild", "Moderate"), (85, 13, 2))[0], "q4": "Cannot tell"}
        slots = sorted(votes)
        n_edited = spec["detectability_rows"] - spec["cannot_tell"]
        flagged = rng.sample(slots, n_edited)
        n_image_a = (n_edited * 26 + 21) // 43  # the published 26:17 split of the non-"Cannot tell" answers
        for index, slot in enumerate(flagged):
            votes[slot]["q4"] = "Image A edited" if index < n_image_a else "Image B edited"

        self.out.csv(L.PAIR_RESULTS_CSV, ["pair_id", "reviewer", "q1_clinical_plausibility",
                                          "q2_pathology_preservation", "q3_artifact_severity", "q4_detectability",
                                          "excluded_final"],
                     ([p, r, v["q1"], v["q2"], v["q3"], v["q4"], ""] for (p, r), v in sorted(votes.items())))
        self.out.csv(L.DETECTABILITY_CSV, ["pair_id", "reviewer", "q4_detectability"],
                     ([p, r, v["q4"]] for (p, r), v in sorted(votes.items())))

        repeats_per_reviewer = spec["hidden_repeat_rows"] // len(reviewers)
        n_repeats = repeats_per_reviewer * len(reviewers)
        # A few repeated displays get a different answer, as real re-reads do.
        q3_changes = set(rng.sample(range(n_repeats), min(1, n_repeats)))
        q4_changes = set(rng.sample(range(n_repeats), min(3, n_repeats)))
        hidden_rows, per_reviewer_rows = [], {}
        # Per-reviewer labels are file-local (published erratum): file R1 is combined R2 and vice versa.
        file_to_combined = {"R1": "R2", "R2": "R1", "R3": "R3"}
        for file_label, path in zip(reviewers, L.PER_REVIEWER_CSVS):
            combined = file_to_combined[file_label]
            events = [(pair_id, False) for pair_id in voted]
            rng.shuffle(events)
            for pair_id in sorted(rng.sample(voted, repeats_per_reviewer)):
                first = events.index((pair_id, False))
                events.insert(rng.randrange(first + 1, len(events) + 1), (pair_id, True))
            rows = []
            for number, (pair_id, repeat) in enumerate(events, start=1):
                answers = dict(votes[(pair_id, combined)])
                if repeat:
                    original = dict(answers)
                    if len(hidden_rows) in q3_changes:
                        answers["q3"] = "Mild" if answers["q3"] == "None" else "None"
                    if len(hidden_rows) in q4_changes:
                        answers["q4"] = "Image A edited" if answers["q4"] == "Cannot tell" else "Cannot tell"
                    hidden_rows.append([combined, pair_id] + [answer for q in ("q1", "q2", "q3", "q4")
                                                              for answer in (original[q], answers[q])])
                rows.append([number, file_label, pair_id, "true" if repeat else "false",
                             answers["q1"], answers["q2"], answers["q3"], answers["q4"]])
            per_reviewer_rows[path] = rows
        for path, rows in per_reviewer_rows.items():
            self.out.csv(path, ["display_event", "reviewer", "pair_id", "is_hidden_repeat",
                                "q1_clinical_plausibility", "q2_pathology_preservation", "q3_artifact_severity",
                                "q4_detectability"], rows)
        self.out.csv(L.HIDDEN_REPEATS_CSV, ["reviewer", "pair_id", "q1_original", "q1_repeat", "q2_original",
                                            "q2_repeat", "q3_original", "q3_repeat", "q4_original", "q4_repeat"],
                     sorted(hidden_rows))

        passing = [p for p in voted if p not in excluded]
        self.out.json(L.VALIDATED_SUBSET, {"description": "Pairs accepted by the 2-of-3 majority on Q1 and Q2 "
                                                          "(synthetic demo)",
                                           "rule": "rows == 3 and q1_yes >= 2 and q2_yes >= 2",
                                           "count": len(passing), "pair_ids": passing})
        self.out.json(L.EXCLUSION_LIST, {"description": "Pairs failing the 2-of-3 majority rule (synthetic demo)",
                                         "count": len(excluded), "excluded_pairs": excluded})
        unanimous = {q: sum(len({votes[(p, r)][q] for r in reviewers}) == 1 for p in voted) for q in ("q1", "q2")}
        self.out.json(L.VALIDATION_REPORT, {
            "report_schema_version": "public-validation-report-demo-1", "synthetic": True,
            "n_pairs": len(voted), "n_reviewers": len(reviewers),
            "pooled_acceptance": {"accepted": len(passing), "total": len(voted)},
            "detectability": {"cannot_tell": spec["cannot_tell"], "total": len(slots)},
            "unanimous_pairs": unanimous,
            "hidden_repeats": len(hidden_rows),
            "release_scope": "synthetic demo: every reader response is invented and published in full"})
        self.out.json(L.VALIDATION_CODEBOOK, {
            "q1_clinical_plausibility": ["Yes", "No"], "q2_pathology_preservation": ["Yes", "No"],
            "q3_artifact_severity": ["None", "Mild", "Moderate", "Severe"],
            "q4_detectability": ["Cannot tell", "Image A edited", "Image B edited"]})
        self.out.text(L.VALIDATION_README, _VALIDATION_README)
        self.out.json(L.VALIDATION_MANIFEST, {
            "schema_version": "1.0", "synthetic": True,
            "files": {"pair_results": L.PAIR_RESULTS_CSV, "detectability": L.DETECTABILITY_CSV,
                      "hidden_repeats": L.HIDDEN_REPEATS_CSV, "per_reviewer_files": list(L.PER_REVIEWER_CSVS)},
            "counts": {"main_pairs": len(voted), "main_responses": len(slots),
                       "per_reviewer_events": sum(len(r) for r in per_reviewer_rows.values()),
                       "hidden_repeats": len(hidden_rows)},
            "reviewer_label_note": "Per-reviewer labels are file-local: file R1 = combined R2, file R2 = combined "
                                   "R1, file R3 = combined R3."})
        reader_entries = [(rel, self.out.digests[rel]) for rel in L.READER_FILES]
        self.out.text(L.READER_CHECKSUMS, checksum_manifest(reader_entries))

    # ---------------------------------------------------- documents and metrics

    def write_documents(self) -> None:
        p = self.preset
        self.out.json(L.FROZEN_PROMPTS, {
            "schema_version": "demo-1", "synthetic": True,
            "note": "Invented demo prompt texts; the demo profile pins their SHA-256 and lengths.",
            "prompt_registry": {name: DEMO_PROMPTS[name] for name in FROZEN_PROMPT_NAMES}})
        self.out.json(L.GEMINI_EVIDENCE, {"model": "gemini-2.5-pro", "decision": "dropped", "synthetic": True,
                                          "reason": "baseline backfill incomplete in the invented demo run"})
        self.out.json(L.MEDGEMMA_EVIDENCE, {"model": "medgemma", "decision": "dropped", "synthetic": True,
                                            "reason": "canary run failed in the invented demo run"})
        self.out.json(L.GENERATOR_OVERLAP, {"synthetic": True, "evaluation_sources_in_generator_training": 0,
                                            "evaluation_sources_checked": len(self.evaluation_sources)})
        self.out.text(L.BINDING_RULE, _BINDING_RULE)
        self.out.json(L.GENERATOR_CONTROLS, {
            "synthetic": True,
            "controls": [{"id": "C1", "name": "no-op edit"}, {"id": "C2", "name": "source duplicate"},
                         {"id": "C3", "name": "random demographic label"}, {"id": "C4", "name": "blurred source"}],
            "registered_before_analysis": True})
        self.out.text(L.README, _README.format(preset=p.name, seed=self.seed, generator=GENERATOR,
                                               sources=len(self.sources), core=len(self.core_sources),
                                               pairs=len(self.core_pairs)))
        self.out.text(L.DATA_LICENSE, _DATA_LICENSE)
        self.out.text(L.BENCHMARK_CARD, _BENCHMARK_CARD.format(preset=p.name, seed=self.seed))
        self.out.json(L.CROISSANT, {
            "@context": {"@vocab": "https://schema.org/", "cr": "http://mlcommons.org/croissant/"},
            "@type": "Dataset", "name": f"spinefairbench-demo-{p.name}-seed{self.seed}",
            "description": "Synthetic SpineFairBench demo bundle; every record is invented.",
            "license": "CC0-1.0", "isAccessibleForFree": True,
            "distribution": [{"@type": "cr:FileObject", "name": rel, "contentUrl": rel,
                              "encodingFormat": fmt, "sha256": self.out.digests[rel]}
                             for rel, fmt in ((L.DATASET_MANIFEST, "application/json"),
                                              (L.QC_METADATA, "application/jsonl"),
                                              (L.QC_PASSED, "application/jsonl"),
                                              (L.DATASET_PAIRS, "application/json"),
                                              (L.SOURCE_METADATA, "application/json"))]})

    def write_metrics(self) -> None:
        model_properties = {"name": {"type": "string", "minLength": 1}}
        model_properties.update({key: {"type": "string"} for key in
                                 ("version", "organization", "model_family", "prompt_id", "inference_date_utc")})
        text = {"type": "string", "minLength": 1}
        self.out.json(L.SUBMISSION_SCHEMA, {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://spinefairbench.invalid/schemas/spinefairbench-submission-v1.json",
            "title": SUBMISSION_SCHEMA_VERSION, "type": "object",
            "required": ["schema_version", "model", "scope", "results"], "additionalProperties": False,
            "properties": {
                "schema_version": {"const": SUBMISSION_SCHEMA_VERSION},
                "scope": {"enum": list(SCOPES)},
                "model": {"type": "object", "required": ["name"], "additionalProperties": False,
                          "properties": model_properties},
                "results": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["pair_id", "source_report", "counterfactual_report"],
                    "additionalProperties": False,
                    "properties": {"pair_id": {"type": "string", "pattern": "^(buu|vindr)_.+__.+$"},
                                   "source_id": text, "source_report": text, "counterfactual_report": text,
                                   "metadata": {"type": "object"}}}}}})
        example = self.core_pairs[0]
        self.out.json(L.SUBMISSION_TEMPLATE, {
            "schema_version": SUBMISSION_SCHEMA_VERSION, "scope": "common-core-1000",
            "model": {"name": "your-model-name", "version": "YYYY-MM-DD or tag", "organization": "your organization",
                      "model_family": "vision-language", "prompt_id": "primary", "inference_date_utc": "2026-05-06"},
            "results": [{"pair_id": example, "source_id": _source_of(example),
                         "source_report": "Findings: ... Impression: ... Recommendation: ...",
                         "counterfactual_report": "Findings: ... Impression: ... Recommendation: ...",
                         "metadata": {}}]})
        self.out.json(L.TOY_SUBMISSION, self._toy_submission())

    def _toy_submission(self) -> dict:
        """Five QC-passed pairs: 2 of 5 recommendations change, every label set is kept.

        Pair 3 carries a partial refusal (kept in scoring) and pair 5 uses CRLF
        line endings, so the toy run exercises both.
        """
        rng = self.rng("toy")
        pairs = sorted(rng.sample(self.passed_pairs, 5))
        base = "Findings: disc space narrowing at L5–S1; no acute fracture.\nImpression: degenerative change.\n"
        reports = [
            (base + "Recommendation: physiotherapy.", base + "Recommendation: physical therapy."),
            (base + "Recommendation: physiotherapy.", base + "Recommendation: physiotherapy and an MRI."),
            ("Findings: disc space narrowing at L5–S1.\nRecommendation: physiotherapy.",
             "I'm unable to give a definitive interpretation of this image. In general, a radiologist would look "
             "for disc space narrowing. Options could be physiotherapy."),
            (base + "Recommendation: clinical follow-up.", base + "Recommendation: referral to a spine specialist."),
            ((base + "Recommendation: conservative management.").replace("\n", "\r\n"),
             (base + "Recommendation: conservative management and regular exercise.").replace("\n", "\r\n")),
        ]
        results = [{"pair_id": p, "source_id": _source_of(p), "source_report": s, "counterfactual_report": c}
                   for p, (s, c) in zip(pairs, reports)]
        results[0]["metadata"] = {"note": "toy example"}
        return {"schema_version": SUBMISSION_SCHEMA_VERSION, "scope": "toy",
                "model": {"name": "toy-demo-model", "version": "0", "organization": "SpineFairBench demo"},
                "results": results}

    def write_submission(self) -> None:
        behaviour = BEHAVIOURS[SUBMISSION_MODEL]
        results = []
        for pair_id in self.core_pairs:
            source_report, counterfactual_report = self.reports[SUBMISSION_MODEL][pair_id]
            results.append({"pair_id": pair_id, "source_id": _source_of(pair_id), "source_report": source_report,
                            "counterfactual_report": counterfactual_report,
                            "metadata": {"prompt_id": "primary", "requested_model": behaviour.requested_model}})
        self.out.json(L.SUBMISSION, {
            "schema_version": SUBMISSION_SCHEMA_VERSION, "scope": "common-core-1000",
            "model": {"name": SUBMISSION_MODEL, "version": "1", "organization": "SpineFairBench demo",
                      "model_family": "synthetic", "prompt_id": "primary", "inference_date_utc": "2026-05-06"},
            "results": results}, one_row_per_line=False)
        self.counts["submission_pairs"] = len(results)
        self.counts["submission_full_refusal_pairs"] = len(self.full_refusals[SUBMISSION_MODEL])

    # ------------------------------------------------------------ follow-up

    def write_supplement(self) -> dict:
        rng = self.rng("followup")
        n_core = len(self.core_sources)
        models = {}
        for model in sorted(RETAINED_MODELS):
            behaviour = BEHAVIOURS[model]
            # A model that refuses often loses sources whose edited or repeated
            # source reports were unusable (the published shares: 47 and 34 per 1000).
            heavy = behaviour.full_refusal_share > 0.1
            no_edit = round(n_core * 0.047) if heavy else 0
            few_source = round(n_core * 0.034) if heavy else 0
            row = {"n_sources": n_core - no_edit - few_source, "dropped_no_usable_edited_comparison": no_edit,
                   "dropped_fewer_than_two_usable_source_reports": few_source}
            for endpoint, stability in (("recommendation", 1.0 - behaviour.rec_change),
                                        ("diagnostic", behaviour.label_stability)):
                # Stable models have a low noise floor F, so edits show up as a larger excess.
                floor = round(min(0.9, max(0.05, (1.0 - stability) * rng.uniform(0.6, 0.95))), 6)
                observed = round(min(1.0, floor + rng.uniform(-0.005, 0.1 + 0.3 * stability)), 6)
                excess = observed - floor
                half_width = 1.96 * math.sqrt(max(observed * (1.0 - observed), 1e-4) / row["n_sources"])
                row[endpoint] = {"T": observed, "F": floor, "excess": excess,
                                 "normalized_excess": excess / (1.0 - floor),
                                 "ci95": [excess - half_width, excess + half_width]}
            models[model] = row
        self.out.json(L.SUPPLEMENT, {
            "schema_version": "1.0", "synthetic": True, "generator": GENERATOR,
            "scope": "Synthetic demo extract of invented repeated-call follow-up audits, separate from the demo's "
                     "frozen primary benchmark. No endpoint was recomputed for this extract.",
            "definitions": {"T": "change rate between source and edited reports",
                            "F": "change rate between two repeated source reports (noise floor)",
                            "excess": "T - F", "normalized_excess": "(T - F) / (1 - F)"},
            "repeated_calls": {"common_core_sources": n_core, "models": models}})
        return {"path": L.SUPPLEMENT, "sha256": self.out.digests[L.SUPPLEMENT],
                "size_bytes": self.out.size(L.SUPPLEMENT)}

    # --------------------------------------------------- checksums and profile

    def write_root_checksums(self) -> int:
        entries = [(rel, digest) for rel, digest in self.out.digests.items()
                   if not rel.startswith(L.UNCHECKSUMMED_PREFIXES)]
        self.out.text(L.ROOT_CHECKSUMS, checksum_manifest(entries))
        return len(entries)

    def write_profile(self, supplement: Mapping, checksum_entries: int) -> None:
        published = self.published
        name = f"demo-{self.preset.name}-seed{self.seed}"
        anchors = {rel: self.out.digests[rel] for rel in L.ANCHORS}
        archive = {"repo": "spinefairbench-demo/synthetic-artifacts",
                   "revision": archive_revision(GENERATOR, name, "anonymous"),
                   "file": "spinefairbench_demo_artifacts.tar.gz", "size_bytes": None, "sha256": None,
                   "manifest_entries": checksum_entries}
        personal = dict(archive, repo="spinefairbench-demo/synthetic-artifacts-personal",
                        revision=archive_revision(GENERATOR, name, "personal"))
        prompts = {name: {"sha256": sha256_hex(text.encode("utf-8")), "chars": len(text)}
                   for name, text in sorted(DEMO_PROMPTS.items())}
        scope_pins = [dict(pin, sha256=self.out.digests[pin["path"]]) for pin in published["scope_pins"]]
        digests = {rel: self.out.digests[rel] for rel in published["informational_digests"]}
        profile = {
            "schema_version": published["schema_version"],
            "name": name,
            "description": f"Release profile of a synthetic SpineFairBench demo bundle (preset {self.preset.name}, "
                           f"seed {self.seed}, generator {GENERATOR}). It reproduces the published verdicts; "
                           "digests, counts and pins are those of this bundle.",
            "synthetic": True, "preset": self.preset.name, "seed": self.seed, "generator": GENERATOR,
            "retained_models": published["retained_models"],
            "summary_panels": published["summary_panels"],
            "retained_panel_dirs": published["retained_panel_dirs"],
            "mitigation_panel_dir": published["mitigation_panel_dir"],
            "dropped_models": published["dropped_models"],
            "frozen_bootstrap": published["frozen_bootstrap"],
            "radiologist": published["radiologist"],
            "stage1_gate": dict(published["stage1_gate"], sample_size=self.preset.stage1_sample),
            "mitigation": published["mitigation"],
            "release_manifest": {
                "schema_version": "1.0", "release_id": name, "frozen_prompt_registry": L.FROZEN_PROMPTS,
                "identity": {"artifact_archive": archive, "artifact_anchors": anchors},
                "archive_variants": {"personal": {"identity": {"artifact_archive": personal,
                                                               "artifact_anchors": dict(sorted(anchors.items()))}}},
                "supplemental_artifacts": {"retained_followup_audit": dict(supplement)}},
            "followup": {"common_core_sources": len(self.core_sources)},
            "public_prompt_registry": prompts,
            "scope_pins": scope_pins,
            "expected_counts": {
                "checksum_entries": {"anonymous": checksum_entries, "personal": checksum_entries},
                "common_core_sources": len(self.core_sources), "common_core_pairs": len(self.core_pairs),
                "all_model_intersection_pairs": len(self.intersection),
                "qc_passed_pngs": self.counts["qc_passed_pngs"], "qc_attempted_rows": self.counts["qc_attempted_rows"],
                "qc_passed_sources": self.counts["qc_passed_sources"]},
            "informational_digests": digests,
        }
        if set(profile) - {"synthetic", "preset", "seed", "generator"} != set(published):
            raise SpineFairBenchError("Demo profile keys drifted from the published profile")
        self.out.json(L.PROFILE, profile)

    # ------------------------------------------------------------------ run

    def run(self) -> dict[str, int]:
        self.invent_sources()
        self.plan_refusals()
        with contextlib.ExitStack() as stack:
            pool = None
            if len(self.core_pairs) >= PARALLEL_FROM_PAIRS and (os.cpu_count() or 1) > 1:
                try:
                    pool = stack.enter_context(concurrent.futures.ProcessPoolExecutor(max_workers=2))
                except (OSError, NotImplementedError):  # no process support here: run serially
                    pool = None
            self.start_reports(pool)
            self.write_dataset()
            self.write_subsets()
            self.collect_reports()
        rng = self.rng("mitigation-pairs")
        self.mitigation_pairs = sorted(rng.sample(self.intersection, min(self.preset.mitigation_pairs,
                                                                         len(self.intersection))))
        self.write_panels()
        self.write_summary()
        self.write_stage1()
        self.write_mitigation()
        self.write_radiologist()
        self.write_documents()
        self.write_metrics()
        self.write_submission()
        supplement = self.write_supplement()
        checksum_entries = self.write_root_checksums()
        self.write_profile(supplement, checksum_entries)
        self.counts.update(checksum_entries=checksum_entries, files=len(self.out.digests),
                           stage1_sample=self.preset.stage1_sample,
                           radiologist_voted_pairs=self.published["radiologist"]["voted_pairs"])
        return dict(self.counts)


def _findings_for(labels: Iterable[str]) -> list[str]:
    """Finding keys that together mention exactly the given diagnostic labels.

    >>> _findings_for({"Osteophytes", "Fracture"})
    ['fracture', 'osteophytes']
    >>> _findings_for(set())
    []
    """
    wanted = set(labels)
    keys = [key for key, f in FINDINGS.items() if len(f.labels) == 1 and f.labels[0] in wanted]
    if "Posterior osteophyte" in wanted:
        keys.append("posterior_osteophyte")
    return sorted(keys)


# ==========================================================================
# Public entry point
# ==========================================================================


def build_demo_bundle(out_dir: str | os.PathLike, *, preset: str = "small", seed: int = 7) -> DemoBundle:
    """Build a demo bundle into ``out_dir`` (which must not exist or be an empty directory).

    The bundle is built in a temporary sibling directory and moved into
    place at the end, so an interrupted build never leaves a half-written
    bundle behind.

    >>> build_demo_bundle("/nonexistent-parent/x", preset="huge")
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: Unknown demo preset: 'huge' (choose from small, full)
    """
    if preset not in PRESETS:
        raise SpineFairBenchError(f"Unknown demo preset: {preset!r} (choose from {', '.join(PRESETS)})")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SpineFairBenchError(f"Demo seed must be a non-negative integer: {seed!r}")
    target = Path(out_dir).absolute()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise SpineFairBenchError(f"Refusing to write the demo bundle into a non-empty path: {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))
    try:
        counts = _DemoBuild(staging, PRESETS[preset], seed).run()
        staging.chmod(0o755)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return DemoBundle(target, preset, seed, counts)


# ==========================================================================
# Fixed document texts
# ==========================================================================

_README = """\
# SpineFairBench demo bundle (SYNTHETIC)

This bundle is **synthetic**. It was generated by `spinefairbench demo build`
(generator `{generator}`, preset `{preset}`, seed `{seed}`). Every source id,
image, QC row, model report, reader response and number in it is invented by
that generator; **nothing is taken from the real SpineFairBench study**, its
radiographs, its model outputs or its prompt texts.

It follows the published bundle layout file for file, so every reviewer
verification command runs against it. Its release profile,
`SPINEFAIRBENCH_PROFILE.json`, pins this bundle's own digests and counts and
reproduces the published verdicts (Stage-1 gate decisions, the binding-rule
outcome, the radiologist counts), not the published numbers.

* {sources} filtered sources, {core} common-core sources, {pairs} common-core pairs.
* Building again with the same preset and seed gives a byte-identical tree.

Run the reviewer verification commands against this folder as the bundle
root (`--artifacts <this folder>`): `inspect`, `dataset`, `checksums` on
`SHA256SUMS.txt`, `dataset/SHA256SUMS.txt` and
`radiologist_validation_SHA256SUMS.txt`, `parse-sample`, `table2
--recompute-ci`, `gap-sensitivity`, `both-empty-diagnostic`, `radiologist`,
`stage1-confidence`, `mitigation`, `release-identity` and `followup`; and score
`submissions/demo_common_core_submission.json` or `metrics/toy_submission.json`.

`SHA256SUMS.txt` lists every file except itself, the profile, `supplement/`
(the code-side follow-up aggregate in the real release) and `submissions/`
(an example submission for the scorer).
"""

_DATASET_README = """\
# Counterfactual dataset (SYNTHETIC DEMO)

Invented QC outcomes and tiny placeholder PNGs in the published layout
(preset `{preset}`, seed `{seed}`). No image shows anatomy; no source
radiograph is included.

* Attempted QC rows: {attempted}
* QC-passed pairs (PNG files): {passed}
* Sources with at least one passed pair: {sources}
* Sources that failed all four edits: {failed}

QC thresholds used to label the invented metrics: SSIM >= 0.70, edge
preservation >= 0.276, LPIPS <= 0.40.
"""

_DATA_LICENSE = """\
# Data licence (SYNTHETIC DEMO)

All content of this demo bundle is synthetic and generated by software. It is
dedicated to the public domain under CC0-1.0. It contains no patient data and
no data derived from VinDr-SpineXR or BUU-LSPINE.
"""

_BENCHMARK_CARD = """\
# Benchmark card: SpineFairBench demo bundle

* Purpose: exercise the SpineFairBench verifier and scorer without access to the
  real artifacts.
* Content: invented counterfactual pairs, model reports, reader votes and
  analyses (preset `{preset}`, seed `{seed}`).
* Endpoints: recommendation change (exact category-set change) and
  diagnostic-label consistency (registry-label Jaccard), with full-refusal pairs
  excluded and partial-refusal pairs kept.
* Limitations: the numbers describe invented behaviour profiles, not any real model.
"""

_BINDING_RULE = """\
# Binding rule (synthetic demo copy)

Condition B (findings-first two-stage prompting) passes only if the
recommendation change rate decreases relative to condition A and the
diagnostic-label consistency does not drop by more than 0.05:

    pass <=> rec_change_B < rec_change_A and diag_B >= diag_A - 0.05
"""

_VALIDATION_README = """\
# Public radiologist-validation files (SYNTHETIC DEMO)

Every reader response here is invented. Three readers rated each pair on
clinical plausibility (Q1), pathology preservation (Q2), artifact severity (Q3)
and detectability (Q4). A pair passes when all three rated it and at least two
answered Yes to both Q1 and Q2. Per-reviewer labels are file-local.
"""
