"""The source-clustered bootstrap: golden intervals, exactness, workers, errors."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from spinefairbench.stats import bootstrap
from spinefairbench.stats.bootstrap import (
    bootstrap_replicate_means,
    percentile_ci,
    source_clustered_bootstrap_ci,
    source_clustered_bootstrap_cis,
)
from spinefairbench.stats.percentile import percentile_linear
from spinefairbench.stats.rng import default_rng
from spinefairbench.stats.summation import pairwise_sum, plain_sum

GOLDEN_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "bootstrap-golden.json"


@pytest.fixture(scope="module")
def golden_cases():
    if not GOLDEN_PATH.exists():
        pytest.skip(f"golden vectors not available at {GOLDEN_PATH}")
    return json.loads(GOLDEN_PATH.read_text(encoding="utf-8"))["bootstrap_cases"]


def reference_means(values, source_ids, iterations, seed):
    """Replicate means computed draw by draw, straight from the specification."""
    members = {}
    for value, source in zip(values, source_ids):
        members.setdefault(source, []).append(value)
    ordered = [members[source] for source in sorted(members)]
    sums = [plain_sum(cluster) for cluster in ordered]
    counts = [float(len(cluster)) for cluster in ordered]
    n = len(ordered)
    indices = default_rng(seed).integers(n, iterations * n)
    means = []
    for row in range(iterations):
        drawn = indices[row * n:(row + 1) * n]
        means.append(pairwise_sum([sums[i] for i in drawn]) / pairwise_sum([counts[i] for i in drawn]))
    return means


def synthetic_case(clusters, seed=0, max_size=4):
    rnd = random.Random(seed)
    source_ids = [f"src-{c}" for c in range(clusters) for _ in range(rnd.randint(1, max_size))]
    rnd.shuffle(source_ids)
    changed = [float(rnd.random() < 0.3) for _ in source_ids]
    jaccard = []
    for _ in source_ids:
        union = rnd.randint(1, 9)
        jaccard.append(rnd.randint(0, union) / union)
    return source_ids, changed, jaccard


# -- embedded vector (submission-scoring.md section 5.7) ---------------------------

def test_embedded_vector():
    values = [0, 1, 0.2, 0.4, 0.8, 0.3, 0.7]
    sources = ["a", "a", "b", "b", "b", "c", "d"]
    assert source_clustered_bootstrap_ci(values, sources, iterations=1031, seed=42) == \
        (0.3833333333333333, 0.605)


def test_percentile_embedded_vector():
    values = [i / 7 for i in range(10000)]
    assert percentile_ci(values) == (35.71071428571429, 1392.7178571428572)
    assert percentile_linear([2.0], 2.5) == percentile_linear([2.0], 97.5) == 2.0
    with pytest.raises(ValueError):
        percentile_linear([1.0, 2.0], 101)


# -- golden file --------------------------------------------------------------------

def test_golden_cases(golden_cases):
    assert len(golden_cases) == 6
    for case in golden_cases:
        endpoints = list(case["endpoints"].values())
        shared = source_clustered_bootstrap_cis([e["values"] for e in endpoints], case["source_ids"],
                                                iterations=case["iterations"], seed=case["seed"])
        for endpoint, ci in zip(endpoints, shared):
            expected = (float(endpoint["ci"][0]), float(endpoint["ci"][1]))
            assert ci == expected, case["name"]
            alone = source_clustered_bootstrap_ci(endpoint["values"], case["source_ids"],
                                                  iterations=case["iterations"], seed=case["seed"])
            assert alone == expected, case["name"]


def test_golden_cases_with_workers(golden_cases):
    for case in golden_cases[2:4]:            # two endpoints over 120 clusters; 257 clusters
        endpoints = [e["values"] for e in case["endpoints"].values()]
        arguments = dict(iterations=case["iterations"], seed=case["seed"])
        assert source_clustered_bootstrap_cis(endpoints, case["source_ids"], workers=2, **arguments) == \
            source_clustered_bootstrap_cis(endpoints, case["source_ids"], **arguments)


# -- exactness against a draw-by-draw reference ----------------------------------------

@pytest.mark.parametrize("clusters", [1, 2, 7, 8, 9, 130, 257])
def test_replicate_means_match_reference(clusters):
    source_ids, changed, jaccard = synthetic_case(clusters, seed=clusters)
    iterations = 37
    means = bootstrap_replicate_means([changed, jaccard], source_ids, iterations=iterations, seed=clusters)
    assert means[0] == reference_means(changed, source_ids, iterations, clusters)
    assert means[1] == reference_means(jaccard, source_ids, iterations, clusters)


def test_segments_and_chunks_join_exactly(monkeypatch):
    # Small segments and chunks: the stream is drawn and processed in pieces
    # that start at odd words and in the middle of 64-bit outputs.
    monkeypatch.setattr(bootstrap, "_SEGMENT_VALUES", 3 * 257)
    monkeypatch.setattr(bootstrap, "_CHUNK_VALUES", 2 * 257)
    source_ids, changed, jaccard = synthetic_case(257, seed=12)
    means = bootstrap_replicate_means([changed, jaccard], source_ids, iterations=23, seed=12)
    assert means == [reference_means(changed, source_ids, 23, 12),
                     reference_means(jaccard, source_ids, 23, 12)]


def test_more_than_65536_clusters():
    # Indices no longer fit in 16 bits; every byte of the operand is copied.
    source_ids = [f"s{i}" for i in range(65539)]
    values = [(i % 7) / 7 for i in range(65539)]
    means = bootstrap_replicate_means([values], source_ids, iterations=1, seed=9)
    assert means[0] == reference_means(values, source_ids, 1, 9)


def test_negative_and_non_integer_values():
    source_ids, _, jaccard = synthetic_case(40, seed=5)
    values = [v - 0.5 for v in jaccard]
    integers = [float(round(4 * v)) - 2.0 for v in jaccard]       # negative integers: float path
    means = bootstrap_replicate_means([values, integers], source_ids, iterations=50, seed=1)
    assert means == [reference_means(values, source_ids, 50, 1),
                     reference_means(integers, source_ids, 50, 1)]


def test_sum_fallback_for_python_312(monkeypatch):
    # From Python 3.12 the built-in sum() compensates; the fallback must agree.
    source_ids, changed, jaccard = synthetic_case(300, seed=3)
    expected = bootstrap_replicate_means([changed, jaccard], source_ids, iterations=20, seed=3)
    monkeypatch.setattr(bootstrap, "_sum_left_to_right", plain_sum)
    assert bootstrap_replicate_means([changed, jaccard], source_ids, iterations=20, seed=3) == expected


def test_multi_endpoint_equals_single_calls():
    source_ids, changed, jaccard = synthetic_case(60, seed=11)
    cis = source_clustered_bootstrap_cis([changed, jaccard, changed], source_ids, iterations=500, seed=4)
    assert cis[0] == cis[2] == source_clustered_bootstrap_ci(changed, source_ids, iterations=500, seed=4)
    assert cis[1] == source_clustered_bootstrap_ci(jaccard, source_ids, iterations=500, seed=4)


def test_ci_is_percentile_of_replicate_means():
    source_ids, changed, jaccard = synthetic_case(25, seed=2)
    means = bootstrap_replicate_means([changed, jaccard], source_ids, iterations=300, seed=8)
    assert [percentile_ci(m) for m in means] == \
        source_clustered_bootstrap_cis([changed, jaccard], source_ids, iterations=300, seed=8)


def test_cluster_order_is_python_string_order():
    # "s10" < "s2": the clusters are numbered in sorted order, not first appearance.
    values = [1.0, 0.0, 0.5]
    sources = ["s2", "s10", "s1"]
    assert bootstrap_replicate_means([values], sources, iterations=4, seed=42)[0] == \
        reference_means(values, sources, 4, 42)


# -- workers --------------------------------------------------------------------------

def test_workers_are_bit_identical():
    source_ids, changed, jaccard = synthetic_case(300, seed=1)
    one = bootstrap_replicate_means([changed, jaccard], source_ids, iterations=2000, seed=42)
    assert bootstrap_replicate_means([changed, jaccard], source_ids, iterations=2000, seed=42,
                                     workers=2) == one


@pytest.mark.parametrize("seed, iterations, workers, rejected_word", [
    (255, 600, 2, 89101),     # in the first share: the second starts one word late
    (345, 1500, 3, 266767),   # in the middle share: it draws one more, the last shifts
])
def test_workers_realign_after_a_rejection(seed, iterations, workers, rejected_word):
    # With 300 clusters these seeds reject exactly one word early in the stream.
    source_ids = [f"c{i:03d}" for i in range(300)]
    jaccard = [(i % 11) / 11 for i in range(300)]
    share_size = iterations * 300 // workers
    assert share_size * (workers - 2) < rejected_word < share_size * (workers - 1)
    before = bootstrap._StreamShare(seed, 300, 0, rejected_word)
    through = bootstrap._StreamShare(seed, 300, 0, rejected_word + 1)
    assert (before.rejected, through.rejected) == (0, 1)
    one = bootstrap_replicate_means([jaccard], source_ids, iterations=iterations, seed=seed)
    assert bootstrap_replicate_means([jaccard], source_ids, iterations=iterations, seed=seed,
                                     workers=workers) == one


def test_share_realignment_with_heavy_rejection():
    # With n = 2**31 + 11 about half the words are rejected: shares drawn
    # independently and shifted by the rejections before them rebuild the stream.
    n = 2**31 + 11
    stream = default_rng(6).integers(n, 300)
    pieces = []
    rejected_before = 0
    for first_word in range(0, 300, 75):
        share = bootstrap._StreamShare(6, n, first_word, 75)
        kept = share.kept(rejected_before)
        pieces += [int.from_bytes(kept[i:i + 4], "little") for i in range(0, len(kept), 4)]
        rejected_before += share.rejected
    assert rejected_before > 100
    assert pieces == stream


def test_more_workers_than_iterations():
    source_ids, changed, _ = synthetic_case(10, seed=4)
    assert bootstrap_replicate_means([changed], source_ids, iterations=3, seed=2, workers=8) == \
        bootstrap_replicate_means([changed], source_ids, iterations=3, seed=2)


# -- NumPy, when installed ---------------------------------------------------------------

def test_replicate_means_against_numpy():
    np = pytest.importorskip("numpy")
    for clusters, iterations, seed in ((1000, 40, 42), (129, 1031, 7), (3, 5, 0)):
        source_ids, changed, jaccard = synthetic_case(clusters, seed=seed)
        ours = bootstrap_replicate_means([changed, jaccard], source_ids, iterations=iterations, seed=seed)
        for values, means in zip((changed, jaccard), ours):
            members = {}
            for value, source in zip(values, source_ids):
                members.setdefault(source, []).append(value)
            ordered = [members[s] for s in sorted(members)]
            sums = np.array([plain_sum(c) for c in ordered])
            counts = np.array([float(len(c)) for c in ordered])
            index = np.random.default_rng(seed).integers(0, len(ordered), size=(iterations, len(ordered)))
            expected = sums[index].sum(axis=1) / counts[index].sum(axis=1)
            assert means == expected.tolist()
            lower, upper = np.percentile(expected, [2.5, 97.5])
            assert percentile_ci(means) == (float(lower), float(upper))


# -- errors -------------------------------------------------------------------------------

def test_iterations_must_be_positive():
    with pytest.raises(ValueError, match="bootstrap iterations must be >= 1"):
        source_clustered_bootstrap_ci([1.0], ["a"], iterations=0)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_values_must_be_finite(bad):
    with pytest.raises(ValueError, match="finite"):
        source_clustered_bootstrap_ci([1.0, bad], ["a", "b"], iterations=10)


def test_bad_inputs():
    with pytest.raises(ValueError):
        source_clustered_bootstrap_ci([1.0, 2.0], ["a"], iterations=10)
    with pytest.raises(ValueError):
        source_clustered_bootstrap_ci([], [], iterations=10)
    with pytest.raises(ValueError):
        source_clustered_bootstrap_ci([1.0], ["a"], iterations=10, seed=-1)
    with pytest.raises(ValueError):
        source_clustered_bootstrap_cis([], ["a"], iterations=10)
    with pytest.raises(ValueError):
        source_clustered_bootstrap_cis([[1.0]], ["a"], iterations=10, workers=0)
    with pytest.raises(ValueError):
        percentile_ci([])


def test_package_does_not_import_numpy():
    package = Path(bootstrap.__file__).parent
    for name in ("rng.py", "bootstrap.py", "percentile.py"):
        source = (package / name).read_text(encoding="utf-8")
        assert "import numpy" not in source and "from numpy" not in source, name
