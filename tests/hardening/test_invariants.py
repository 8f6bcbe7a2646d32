"""Randomized invariants (standard ``random`` with fixed seeds, so every run checks the same cases).

* the Jaccard index lies in [0, 1], is symmetric, and is 1.0 exactly for equal label sets;
* every parser is total on arbitrary text -- it returns a value of the right
  type or raises the package's one error type, never anything else;
* a score does not depend on the order of the submission's rows;
* a source-clustered bootstrap interval contains its point estimate;
* parsers of untrusted text finish in time roughly linear in its length
  (the refusal chains and the Stage-1 key phrase are evaluated so that they are).
"""

from __future__ import annotations

import json
import math
import random
import time

import pytest

from spinefairbench.bundle.archive import member_path, resolve_link_target
from spinefairbench.bundle.checksums import iter_manifest
from spinefairbench.bundle.loaders import parse_json_text
from spinefairbench.bundle.paths import check_release_relative
from spinefairbench.bundle.png import png_header_problem
from spinefairbench.errors import SpineFairBenchError
from spinefairbench.metrics.diagnostic_label import CATEGORIES_SORTED, compute_jaccard, extract_labels
from spinefairbench.metrics.endpoints import score_pair
from spinefairbench.metrics.recommendation import classify_recommendations
from spinefairbench.metrics.refusal_detector import classify_response
from spinefairbench.metrics.stage1 import NO_DIAGNOSIS, clean_markdown, extract_primary_diagnosis
from spinefairbench.scoring.submission import parse_submission_text, validate_submission
from spinefairbench.spinebench.levels import extract_levels, is_canonical_level
from spinefairbench.spinebench.mcq import STATUSES, extract_answer
from spinefairbench.stats.bootstrap import source_clustered_bootstrap_ci

SEEDS = range(20)

# Pieces that reach deep into the parsers: keywords, level names, markers, and characters
# that break lines, combine, change direction or sit outside the Basic Multilingual Plane.
FRAGMENTS = [
    "fracture", "Fx", "no abnormality", "osteophytes", "Schmorl's node", "spondylolisthesis", "normal", "MRI",
    "X-ray", "surgical hardware", "physical therapy", "refer", "monitor", "I cannot", "unable to", "diagnose",
    "image", "radiograph", "consult a radiologist", "Findings:", "Impression:", "Primary diagnosis:",
    "**Primary diagnosis:**", "2.", "Confidence", "L4-5", "L4/L5/S1", "T2-weighted", "C7-T1", "T12L1", "answer is",
    "Answer: b", "(C)", "option A", "**B**", "[d]", "the ", " ", "  ", "\t", "\n", "\r\n", "\r", "\u2028", "\x0b",
    "\x1c", "\x85", "\x00", "\u0301", "\u202e", "\ufeff", "é", "ß", "İ", "ﬁ", "日本語", "🦴", "\U0010ffff",
    "\ud800",
    "\\", "/", "..", ":", "C:", "*", "#", "_", "`", "-", "\"", "'", "{", "}", "[", "]", "NaN", "1e999", "-0",
]


def random_text(rng: random.Random, pieces: int = 40) -> str:
    parts = []
    for _ in range(rng.randint(0, pieces)):
        if rng.random() < 0.7:
            parts.append(rng.choice(FRAGMENTS))
        else:
            parts.append("".join(chr(rng.randint(0, 0x2FFF)) for _ in range(rng.randint(1, 6))))
    return "".join(parts)


# --------------------------------------------------------------------------
# Jaccard


@pytest.mark.parametrize("seed", SEEDS)
def test_jaccard_bounds_symmetry_and_identity(seed):
    rng = random.Random(seed)
    universe = list(CATEGORIES_SORTED)
    for _ in range(200):
        first = set(rng.sample(universe, rng.randint(0, 5)))
        second = set(rng.sample(universe, rng.randint(0, 5))) if rng.random() < 0.7 else set(first)
        value = compute_jaccard(first, second)
        assert 0.0 <= value <= 1.0
        assert value == compute_jaccard(second, first)
        assert (value == 1.0) == (first == second)


def test_jaccard_of_two_empty_sets_is_one():
    assert compute_jaccard(set(), set()) == 1.0 and compute_jaccard(set(), {"Fracture"}) == 0.0


# --------------------------------------------------------------------------
# Total parsers


@pytest.mark.parametrize("seed", SEEDS)
def test_report_parsers_are_total(seed):
    rng = random.Random(seed)
    categories = set(CATEGORIES_SORTED)
    for _ in range(60):
        text = random_text(rng)
        labels = extract_labels(text)
        assert isinstance(labels, set) and labels <= categories
        assert all(isinstance(name, str) for name in classify_recommendations(text))
        assert classify_response(text) in ("genuine", "partial_refusal", "full_refusal")
        diagnosis = extract_primary_diagnosis(text)
        assert isinstance(diagnosis, str) and diagnosis and diagnosis == diagnosis.strip()
        assert isinstance(clean_markdown(text), str)
        outcome = score_pair("s__young_male", "s", text, random_text(rng))
        assert 0.0 <= outcome.diagnostic_jaccard <= 1.0 and outcome.changed in (0.0, 1.0)


@pytest.mark.parametrize("seed", SEEDS)
def test_spinebench_parsers_are_total(seed):
    rng = random.Random(seed)
    for _ in range(60):
        text = random_text(rng)
        levels = extract_levels(text)
        assert isinstance(levels, tuple) and all(is_canonical_level(level) for level in levels)
        assert len(set(levels)) == len(levels)
        options = {letter: random_text(rng, 3) or letter for letter in rng.sample("ABCDE", rng.randint(2, 5))}
        extraction = extract_answer(text, options)
        assert extraction.status in STATUSES
        assert (extraction.extracted is None) == (extraction.status in ("ambiguous", "unparsed"))
        assert extraction.extracted is None or extraction.extracted in options


@pytest.mark.parametrize("seed", SEEDS)
def test_path_and_manifest_parsers_are_total(seed):
    rng = random.Random(seed)
    for _ in range(100):
        name = random_text(rng, 6)
        for check in (check_release_relative, member_path):
            try:
                check(name)
            except SpineFairBenchError as error:
                assert "\n" not in str(error)  # the name is shown as its repr: one line
        resolved = resolve_link_target("a/b", name, {"a/c": name})
        assert resolved is None or isinstance(resolved, str)
        try:
            entries = list(iter_manifest(random_text(rng, 8)))
        except SpineFairBenchError as error:
            assert str(error).startswith("Malformed SHA-256 manifest entry at line ")
        else:
            assert all(len(digest) == 64 for _, digest, _ in entries)
        header = bytes(rng.randrange(256) for _ in range(rng.randint(0, 40)))
        assert png_header_problem(header) is None or isinstance(png_header_problem(header), str)


def _json_like(rng: random.Random, depth: int = 0):
    """A random JSON-ish text: mostly valid, sometimes broken."""
    choice = rng.random()
    if depth > 3 or choice < 0.3:
        return rng.choice(["0", "-1.5e3", "true", "null", '"x"', '"\\ud800"', "NaN", "1e999", "-Infinity", '"é"',
                           "", "[", "}", '"unterminated', "01", "1" * 30])
    if choice < 0.6:
        return "[" + ", ".join(_json_like(rng, depth + 1) for _ in range(rng.randint(0, 3))) + "]"
    keys = [rng.choice(['"a"', '"b"', '"pair_id"', '"results"', '"scope"', "a"]) for _ in range(rng.randint(0, 3))]
    return "{" + ", ".join(f"{key}: {_json_like(rng, depth + 1)}" for key in keys) + "}"


@pytest.mark.parametrize("seed", SEEDS)
def test_json_readers_are_total(seed):
    rng = random.Random(seed)
    for _ in range(100):
        text = _json_like(rng)
        for strict in (False, True):
            try:
                parse_json_text(text, "x.json", strict=strict)
            except SpineFairBenchError as error:
                assert str(error).startswith("x.json")
        try:
            payload = parse_submission_text(text, "s.json")
        except SpineFairBenchError as error:
            assert str(error).startswith("s.json:") or str(error).startswith("s.json ")
        else:
            try:
                validate_submission(payload)
            except SpineFairBenchError:
                pass


# --------------------------------------------------------------------------
# The score does not depend on row order


def test_score_is_invariant_to_submission_row_order(cli, demo_bundle, tmp_path):
    submission = json.loads((demo_bundle / "submissions" / "demo_common_core_submission.json").read_text())
    documents = []
    for seed in (None, 1, 2):
        if seed is not None:
            random.Random(seed).shuffle(submission["results"])
        path = tmp_path / f"submission-{seed}.json"
        path.write_text(json.dumps(submission), encoding="utf-8")
        out = tmp_path / f"score-{seed}.json"
        outcome = cli.run(["python", "-m", "spinefairbench.release.scoring", "score", "--artifacts",
                           str(demo_bundle), "--submission", str(path), "--output", str(out),
                           "--bootstrap-iterations", "300"])
        assert outcome.status == 0, outcome.err
        document = json.loads(out.read_text(encoding="utf-8"))
        # The two fields that record *when* and *which bytes*, not *what* was scored.
        del document["scored_at_utc"], document["artifact_identity"]["submission_sha256"]
        documents.append(document)
    assert documents[0] == documents[1] == documents[2]
    assert [row["pair_id"] for row in documents[0]["per_pair_results"]] == sorted(
        row["pair_id"] for row in submission["results"])


# --------------------------------------------------------------------------
# Bootstrap intervals


@pytest.mark.parametrize("seed", SEEDS)
def test_bootstrap_interval_contains_the_point_estimate(seed):
    rng = random.Random(seed)
    clusters, values = [], []
    for cluster in range(rng.randint(4, 30)):
        binary = rng.random() < 0.5
        for _ in range(rng.randint(1, 6)):
            clusters.append(f"src-{cluster:02d}")
            values.append(float(rng.random() < 0.4) if binary else rng.choice([0.0, 1 / 3, 0.5, 2 / 3, 1.0]))
    if len({v for v in values}) < 2:  # degenerate: all values equal
        values[0] = 1.0 - values[0]
    lower, upper = source_clustered_bootstrap_ci(values, clusters, iterations=400, seed=seed)
    point = math.fsum(values) / len(values)
    assert min(values) <= lower <= point <= upper <= max(values)


def test_bootstrap_interval_of_constant_values_is_a_point():
    assert source_clustered_bootstrap_ci([0.25] * 6, list("aabbcc"), iterations=50, seed=3) == (0.25, 0.25)


# --------------------------------------------------------------------------
# Time on adversarial text: the parsers read reports written by strangers


def _elapsed(function, *args) -> float:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def test_long_realistic_reports_parse_in_linear_time():
    line = "Findings: mild disc space narrowing at L4-L5, osteophytes. Recommendation: physical therapy.\n"
    text = line * (1_000_000 // len(line))
    assert _elapsed(lambda: score_pair("s__young_male", "s", text, text)) < 5.0
    assert _elapsed(extract_levels, text) < 5.0


def test_refusal_detector_is_fast_on_repeated_refusal_phrases():
    text = "I cannot diagnose this. " * 120  # 2,880 characters on one line
    assert classify_response(text) == "genuine"
    assert _elapsed(classify_response, text) < 0.2


def test_stage1_extraction_is_fast_on_many_blank_lines():
    text = "\n" * 2000
    assert extract_primary_diagnosis(text) == NO_DIAGNOSIS
    assert _elapsed(extract_primary_diagnosis, text) < 0.2
