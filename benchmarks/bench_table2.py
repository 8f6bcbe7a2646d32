#!/usr/bin/env python3
"""Time ``table2 --model all --recompute-ci`` on the full-scale demo bundle, and its peak memory.

    python3 benchmarks/bench_table2.py [--workers N] [--bundle DIR] [--no-recompute-ci]

Builds the ``full`` demo bundle once (1,000 common-core sources, ~4,000 pairs
per model, nine models) and caches it under ``.cache/demo-full-seed7`` in the
repository (git-ignored).  Each run is a fresh subprocess, so the numbers
include start-up, loading the panel files, parsing every report and the
bootstrap; peak memory is the child's maximum resident set size.

Reference points measured on the 2-core development machine: the published
verifier takes ~35 s and 224 MB on a bundle of this scale.  Targets: <= 8 s,
<= 224 MB.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def cached_full_bundle() -> Path:
    target = ROOT / ".cache" / "demo-full-seed7"
    if not (target / "SPINEFAIRBENCH_PROFILE.json").is_file():
        from spinefairbench.demo.builder import build_demo_bundle

        start = time.perf_counter()
        target.parent.mkdir(parents=True, exist_ok=True)
        build_demo_bundle(target, preset="full", seed=7)
        print(f"built full demo bundle in {time.perf_counter() - start:.1f} s: {target}")
    return target


def timed_run(argv: list[str]) -> tuple[float, int, float]:
    """(wall seconds, exit status, child peak RSS in MB) of one subprocess."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    result = subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if result.returncode:
        print(f"exit {result.returncode}: {result.stderr.strip()}")
    # ru_maxrss of RUSAGE_CHILDREN is the largest child so far; runs go from small to large.
    return wall, result.returncode, max(peak_kb, before) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", default=None, help="an existing bundle (default: the cached full demo)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-recompute-ci", action="store_true")
    args = parser.parse_args()
    bundle = Path(args.bundle) if args.bundle else cached_full_bundle()
    print(f"bundle: {bundle}  cpus: {os.cpu_count()}  load: {os.getloadavg()[0]:.2f}")
    base = [sys.executable, "reviewer_verify.py", "table2", "--artifacts", str(bundle), "--model", "all", "--quiet"]
    runs = [("frozen CIs", base)]
    if not args.no_recompute_ci:
        runs.append(("--recompute-ci, 1 worker", base + ["--recompute-ci"]))
        if args.workers > 1:
            runs.append((f"--recompute-ci, {args.workers} workers", base + ["--recompute-ci", "--workers",
                                                                           str(args.workers)]))
    for label, argv in runs:
        wall, status, peak = timed_run(argv)
        print(f"table2 --model all ({label}): {wall:.2f} s, peak RSS {peak:.0f} MB, exit {status}")
    print("reference: published verifier ~35 s, 224 MB; targets <= 8 s, <= 224 MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
