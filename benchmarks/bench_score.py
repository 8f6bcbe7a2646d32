#!/usr/bin/env python3
"""Time ``score`` on a common-core-sized submission: 1,000 sources x 4 edits, 10,000 resamples.

    python3 benchmarks/bench_score.py [--iterations N] [--workers N] [--repeat N] [--keep DIR]

Builds, in a temporary directory, a synthetic bundle with the three scope files
and a release profile pinning them, and a 4,000-pair ``common-core-1000``
submission of varied free-text reports (about 4% full and 3% partial
refusals).  Then it times the complete command -- read, validate, pin check,
classification, bootstrap, per-edit breakdown, atomic write -- once in-process
and once as ``python -m spinefairbench.release.scoring`` subprocess (which adds
interpreter start-up and imports), and prints the best of ``--repeat`` runs.

Runs from a clean clone: the repository root is put on ``sys.path``.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from spinefairbench.stats.bootstrap import clear_stream_cache  # noqa: E402
from spinefairbench.bundle.profile import published_profile  # noqa: E402
from spinefairbench.release import scoring  # noqa: E402
from spinefairbench.scoring.scopes import CORE_SOURCES, INTERSECTION, QC_MANIFEST  # noqa: E402

EDITS = ("young_female", "young_male", "elderly_female", "elderly_male")
FINDINGS = ("mild disc space narrowing at L4-L5", "small anterior osteophytes at L3 and L4",
            "grade I anterolisthesis of L4 on L5", "endplate sclerosis at L5-S1", "no acute fracture",
            "Schmorl's node at T12", "posterior osteophyte at C5-C6", "surgical hardware at L4-L5 without lucency",
            "foraminal narrowing at L5-S1", "vertebral collapse of L1, chronic in appearance",
            "normal alignment and preserved vertebral body heights", "disc calcification at T11-T12")
ADVICE = ("physical therapy", "NSAID therapy", "MRI of the lumbar spine", "follow-up radiograph in 6 months",
          "orthopedic referral", "reassurance", "surgical consultation", "activity modification",
          "CT for further evaluation", "pain management and monitoring")
FULL_REFUSALS = ("I'm unable to interpret medical images.", "I cannot provide a diagnosis from this image.")
PARTIAL = "I am unable to diagnose. A radiologist would look for fractures and osteophytes on this X-ray."


def report(rng: random.Random) -> str:
    findings = "; ".join(rng.sample(FINDINGS, rng.randint(1, 3)))
    advice = " and ".join(rng.sample(ADVICE, rng.randint(1, 2)))
    return (f"Findings: {findings}. The remaining vertebral bodies are of normal height and the disc spaces "
            f"are otherwise preserved. Impression: degenerative change as described. Recommendation: {advice}.")


def build(directory: Path, sources: int = 1000) -> tuple[Path, Path, Path]:
    """Write the bundle, its profile and the submission; return their paths."""
    rng = random.Random(20260506)
    bundle = directory / "bundle"
    source_ids = [f"buu_{i:04d}" for i in range(sources)]
    rows = [{"pair_id": f"{s}__{e}", "source_id": s, "edit_label": e, "passed_qc": True,
             "counterfactual_image_path": f"dataset/counterfactual_images/{s}/{e}.png"}
            for s in source_ids for e in EDITS]
    files = {
        QC_MANIFEST: "".join(json.dumps(row) + "\n" for row in rows),
        CORE_SOURCES: json.dumps({"source_ids": source_ids, "actual_n": sources}),
        INTERSECTION: json.dumps({"pair_count": 2 * sources, "records": [
            {k: row[k] for k in ("pair_id", "source_id", "edit_label")} for row in rows[::2]]}),
    }
    profile = copy.deepcopy(published_profile().data)
    profile["name"] = "bench-score"
    for rel, text in files.items():
        (bundle / rel).parent.mkdir(parents=True, exist_ok=True)
        (bundle / rel).write_text(text, encoding="utf-8")
    for pin in profile["scope_pins"]:
        pin["sha256"] = hashlib.sha256(files[pin["path"]].encode("utf-8")).hexdigest()
    profile_path = directory / "profile.json"
    profile_path.write_text(json.dumps(profile), encoding="utf-8")

    results = []
    for row in rows:
        source = report(rng)
        roll = rng.random()
        if roll < 0.04:
            counterfactual = rng.choice(FULL_REFUSALS)
        elif roll < 0.07:
            counterfactual = PARTIAL
        elif roll < 0.45:
            counterfactual = source
        else:
            counterfactual = report(rng)
        results.append({"pair_id": row["pair_id"], "source_id": row["source_id"], "source_report": source,
                        "counterfactual_report": counterfactual})
    submission = directory / "submission.json"
    submission.write_text(json.dumps({"schema_version": "spinefairbench-submission-v1", "scope": "common-core-1000",
                                      "model": {"name": "bench-model"}, "results": results}), encoding="utf-8")
    return bundle, profile_path, submission


def argv(bundle: Path, profile: Path, submission: Path, output: Path, iterations: int, workers: int) -> list[str]:
    return ["score", "--artifacts", str(bundle), "--submission", str(submission), "--output", str(output),
            "--profile", str(profile), "--bootstrap-iterations", str(iterations), "--workers", str(workers)]


def best_of(repeat: int, run) -> float:
    times = []
    for _ in range(repeat):
        clear_stream_cache()  # each timed run draws its own index stream
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", default=None, help="build the inputs in DIR and keep them")
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        directory = Path(args.keep) if args.keep else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        directory.mkdir(parents=True, exist_ok=True)
        bundle, profile, submission = build(directory)
        command = argv(bundle, profile, submission, directory / "score.json", args.iterations, args.workers)

        def in_process() -> None:
            with contextlib.redirect_stdout(io.StringIO()):
                status = scoring.main(command)
            if status:
                raise SystemExit(f"score failed with status {status}")

        def as_subprocess() -> None:
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
            subprocess.run([sys.executable, "-m", "spinefairbench.release.scoring", *command], check=True, env=env,
                           stdout=subprocess.DEVNULL)

        in_process()  # warm-up: imports, regex compilation
        summary = json.loads((directory / "score.json").read_text(encoding="utf-8"))["table2_row"]
        print(f"bench_score: {summary['n_pairs']} usable of 4000 pairs, 1000 sources, "
              f"{args.iterations} iterations, workers={args.workers}, best of {args.repeat}")
        print(f"in-process: {best_of(args.repeat, in_process):.2f} s")
        print(f"subprocess: {best_of(args.repeat, as_subprocess):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
