"""Time the pure-Python source-clustered bootstrap on a full-size synthetic case.

Usage: python3 benchmarks/bench_bootstrap.py [--workers N] [--iterations N] [--repeat N]

Builds a deterministic case -- 1,000 source clusters, 4,000 scored pairs, a
0/1 endpoint and a Jaccard-like endpoint -- and times the two-endpoint
interval computation with one worker and with ``--workers`` processes,
checking that both give identical results.  When NumPy is installed it also
times the NumPy reference algorithm and compares the intervals.  Prints one
plain line per measurement: the best wall-clock time of ``--repeat`` runs, in
seconds, and for the single-process run also its CPU time, which is less
sensitive to other load on the machine.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from spinefairbench.stats.bootstrap import clear_stream_cache, source_clustered_bootstrap_cis  # noqa: E402
from spinefairbench.stats.summation import plain_sum  # noqa: E402

CLUSTERS = 1000
PAIRS = 4000
SEED = 42


def synthetic_case(clusters: int = CLUSTERS, pairs: int = PAIRS, seed: int = 2024):
    """Source ids and two endpoints (0/1 and Jaccard-like) for ``pairs`` pairs.

    Every cluster gets between 1 and 7 pairs (4 on average, so that the
    totals come out exact); the Jaccard values are intersection/union ratios
    of small label sets.
    """
    rnd = random.Random(seed)
    sizes = [pairs // clusters] * clusters
    for _ in range(2 * clusters):
        giver, taker = rnd.randrange(clusters), rnd.randrange(clusters)
        if sizes[giver] > 1 and sizes[taker] < 7:
            sizes[giver] -= 1
            sizes[taker] += 1
    source_ids = [f"source-{c:04d}" for c, size in enumerate(sizes) for _ in range(size)]
    rnd.shuffle(source_ids)
    changed = [float(rnd.random() < 0.3) for _ in source_ids]
    jaccard = []
    for _ in source_ids:
        union = rnd.randint(1, 9)
        jaccard.append(rnd.randint(0, union) / union)
    return source_ids, changed, jaccard


def numpy_cis(np, endpoints, source_ids, iterations, seed):
    """The reference: a fresh generator per endpoint, 1024-row blocks, np.percentile."""
    results = []
    for values in endpoints:
        members = {}
        for value, source in zip(values, source_ids):
            members.setdefault(source, []).append(value)
        ordered = [members[source] for source in sorted(members)]
        sums = np.array([plain_sum(cluster) for cluster in ordered])
        counts = np.array([float(len(cluster)) for cluster in ordered])
        rng = np.random.default_rng(seed)
        means = []
        for first in range(0, iterations, 1024):
            rows = min(1024, iterations - first)
            index = rng.integers(0, len(ordered), size=(rows, len(ordered)))
            means.append(sums[index].sum(axis=1) / counts[index].sum(axis=1))
        lower, upper = np.percentile(np.concatenate(means), [2.5, 97.5])
        results.append((float(lower), float(upper)))
    return results


def timed(function, repeat: int):
    """Best wall-clock and CPU seconds of ``repeat`` runs, and the result."""
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        clear_stream_cache()  # each timed run draws its own index stream
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best_wall, best_cpu, result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    source_ids, changed, jaccard = synthetic_case()
    endpoints = [changed, jaccard]
    print(f"case: {CLUSTERS} clusters, {len(source_ids)} pairs, 2 endpoints, "
          f"{args.iterations} iterations, seed {SEED}")
    if hasattr(os, "getloadavg"):
        print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cpus")

    def pure(workers):
        return source_clustered_bootstrap_cis(endpoints, source_ids, iterations=args.iterations,
                                              seed=SEED, workers=workers)

    single_time, single_cpu, single = timed(lambda: pure(1), args.repeat)
    print(f"pure-python 1 worker: {single_time:.2f} s")
    print(f"pure-python 1 worker cpu: {single_cpu:.2f} s")
    parallel_time, _, parallel = timed(lambda: pure(args.workers), args.repeat)
    print(f"pure-python {args.workers} workers: {parallel_time:.2f} s")
    print(f"workers identical: {parallel == single}")
    for name, (lower, upper) in zip(("0/1", "jaccard"), single):
        print(f"ci {name}: {lower!r} {upper!r}")

    try:
        import numpy as np
    except ImportError:
        print("numpy: not installed, reference not timed")
        return 0 if parallel == single else 1
    numpy_time, _, reference = timed(lambda: numpy_cis(np, endpoints, source_ids,
                                                       args.iterations, SEED), args.repeat)
    print(f"numpy reference: {numpy_time:.2f} s")
    print(f"ratio pure-python/numpy: {single_time / numpy_time:.1f}")
    close = all(abs(a - b) <= 1e-12 for ours, theirs in zip(single, reference)
                for a, b in zip(ours, theirs))
    print(f"equal within 1e-12: {close}")
    print(f"bit-identical: {single == reference}")
    return 0 if parallel == single and close else 1


if __name__ == "__main__":
    sys.exit(main())
