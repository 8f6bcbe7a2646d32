#!/usr/bin/env python3
"""Peak memory (and time) of ``table2 --model all`` on the full-scale demo bundle, and where the memory goes.

    python3 benchmarks/bench_memory.py [--bundle DIR] [--no-recompute-ci] [--trace] [--top N]

Uses the full demo bundle that ``bench_table2.py`` builds and caches under
``.cache/demo-full-seed7`` (git-ignored): 1,000 common-core sources, ~4,000
pairs per model, nine models.  Each command runs in a fresh interpreter
started by its own small wrapper process, so the peak resident set size
(``ru_maxrss`` of ``RUSAGE_CHILDREN``) belongs to that command alone -- the
value is a high-water mark over all children of one process, so measuring
several commands from one parent would report the largest of them each time.

``--trace`` also runs ``table2 --model all`` in-process under
:mod:`tracemalloc` and prints the allocation sites that hold the most memory
right after each retained panel file has been parsed (the moment of the
peak), plus tracemalloc's own peak.  Reference: the published verifier takes
224 MB on a bundle of this scale on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_table2 import cached_full_bundle  # noqa: E402  (one builder and one cache for both benchmarks)

REFERENCE_MB = 224

# Runs one command as a child and reports that child's peak RSS: in its own process, so nothing else counts.
MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
status = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
print(json.dumps({"seconds": time.perf_counter() - start, "status": status.returncode,
                  "stderr": status.stderr.strip()[-500:],
                  "peak_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""

# tracemalloc inside one table2 run: snapshots right after each panel file is parsed.
TRACE = """
import contextlib, io, json, sys, tracemalloc
tracemalloc.start(1)  # one frame per allocation: the line that allocated (deeper stacks make it far slower)
report = sys.stdout
from spinefairbench.bundle import retained
from spinefairbench.cli import main
top = int(sys.argv[2])
original = retained.load_json

def traced_load_json(path, display=None, **kwargs):
    value = original(path, display, **kwargs)
    snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
    current, peak = tracemalloc.get_traced_memory()
    print(f"after parsing {display}: traced {current / 2**20:.1f} MB (peak so far {peak / 2**20:.1f} MB)",
          file=report)
    for stat in snapshot.statistics("lineno")[:top]:
        frame = stat.traceback[0]
        print(f"  {stat.size / 2**20:8.1f} MB {stat.count:9d} blocks  {frame.filename}:{frame.lineno}", file=report)
    return value

retained.load_json = traced_load_json
with contextlib.redirect_stdout(io.StringIO()):
    status = main(["table2", "--artifacts", sys.argv[1], "--model", "all", "--quiet"], prog="reviewer_verify.py")
current, peak = tracemalloc.get_traced_memory()
print(f"exit {status}; tracemalloc peak {peak / 2**20:.1f} MB (Python objects only; RSS adds the interpreter)")
"""


def measure(argv: list[str]) -> dict:
    """Seconds, exit status and peak RSS (KB) of one command run by a fresh wrapper process."""
    result = subprocess.run([sys.executable, "-c", MEASURE, *argv], cwd=ROOT, capture_output=True, text=True,
                            check=True)
    return json.loads(result.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", default=None, help="an existing bundle (default: the cached full demo)")
    parser.add_argument("--no-recompute-ci", action="store_true", help="skip the (slow) bootstrap run")
    parser.add_argument("--trace", action="store_true", help="also show the top tracemalloc allocation sites")
    parser.add_argument("--top", type=int, default=12, help="allocation sites shown per snapshot (default 12)")
    args = parser.parse_args()
    bundle = Path(args.bundle) if args.bundle else cached_full_bundle()
    base = [sys.executable, "reviewer_verify.py", "table2", "--artifacts", str(bundle), "--model", "all", "--quiet"]
    runs = [("table2 --model all", base)]
    if not args.no_recompute_ci:
        runs.append(("table2 --model all --recompute-ci", base + ["--recompute-ci"]))
    print(f"bundle: {bundle}")
    for label, argv in runs:
        result = measure(argv)
        peak = result["peak_kb"] / 1024
        verdict = "within" if peak <= REFERENCE_MB else "ABOVE"
        print(f"{label}: peak RSS {peak:.0f} MB ({verdict} the published verifier's {REFERENCE_MB} MB), "
              f"{result['seconds']:.1f} s, exit {result['status']}")
        if result["status"]:
            print(f"  stderr: {result['stderr']}")
    if args.trace:
        print("tracemalloc, table2 --model all (slower than the plain run):")
        subprocess.run([sys.executable, "-c", TRACE, str(bundle), str(args.top)], cwd=ROOT, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
