"""The published submission scorer's command line, and the ``compare`` and ``leaderboard`` commands.

::

    python -m spinefairbench.release.scoring score --artifacts DIR --submission FILE --output FILE
        [--scope {all-model-intersection-2166,common-core-1000,qc-passed,toy}] [--allow-partial]
        [--bootstrap-iterations N] [--seed N]
        [--profile FILE] [--segment-consistency] [--workers N]

``score`` follows ``submission-scoring.md``: the same validation order and
messages, scopes, refusal accounting, score JSON and printed summary.  Exit
status 0 on success; 2 for every scoring error (one line
``Scoring error: <message>`` on stderr, no output file written, an existing
one left untouched) and for usage errors.  ``spinefairbench score`` is the
same command; ``spinefairbench compare`` and ``spinefairbench leaderboard``
are the secondary analyses of :mod:`spinefairbench.scoring.secondary`.

**Scope pins come from the release profile.**  The two named panel scopes are
checked against SHA-256 pins of the selected profile: ``--profile FILE``,
else the bundle's own ``SPINEFAIRBENCH_PROFILE.json``, else the published
profile, whose pins are the published release's.  A bundle that is not the
published release and carries no profile is therefore refused for the named
scopes with the published message, ``Frozen scope manifest SHA-256 mismatch:
<file>``, unchanged (it stays byte-identical to the published scorer's); pass
``--profile`` to score such a bundle.  ``toy`` and ``qc-passed`` are never pinned.

**Deliberate divergences from the published scorer:**

* where it crashes with a traceback and status 1 -- a missing, unreadable,
  non-UTF-8 or malformed submission, a list or object ``scope``, a negative
  seed, an unwritable ``--output`` -- this scorer prints one located
  ``Scoring error:`` line and exits 2;
* duplicate keys and ``NaN``/``Infinity`` in the submission are refused with
  their line and column (the published loader keeps the last duplicate and
  accepts the literals);
* one UTF-8 byte-order mark at the start of the submission is accepted;
* the score JSON has the extra fields listed in
  :mod:`spinefairbench.scoring.document` (endpoint seeds, identity hashes,
  release profile, tool version, ``secondary`` per-edit breakdown);
* the output is written atomically;
* ``--profile``, ``--segment-consistency`` and ``--workers`` are additions
  (``--se`` still means ``--seed``, as in the published scorer).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from spinefairbench import __version__
from spinefairbench.bundle.profile import select_profile
from spinefairbench.errors import SpineFairBenchError
from spinefairbench.scoring.core import ScoreResult, score_submission
from spinefairbench.scoring.document import score_document, scored_at_utc, serialize, table2_row, write_atomically
from spinefairbench.scoring.scopes import select_scope
from spinefairbench.scoring.secondary import (build_leaderboard, compare_scores, comparison_document,
                                              comparison_lines, leaderboard_csv, leaderboard_document,
                                              leaderboard_markdown, read_score_file)
from spinefairbench.scoring.submission import SUPPORTED_SCOPES, read_submission, validate_submission

SCORING_ERROR_STATUS = 2
PROG = "python -m spinefairbench.release.scoring"


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def add_score_arguments(parser: argparse.ArgumentParser) -> None:
    """The published options, then the project's additions."""
    parser.add_argument("--artifacts", required=True, help="bundle root")
    parser.add_argument("--submission", required=True, help="submission JSON (spinefairbench-submission-v1)")
    parser.add_argument("--output", required=True, help="score JSON to write (parent folders are created)")
    parser.add_argument("--scope", choices=SUPPORTED_SCOPES, default=None,
                        help="override the submission's scope; the two named panel scopes are checked against "
                             "the SHA-256 pins of the release profile (see --profile)")
    parser.add_argument("--allow-partial", action="store_true",
                        help="allow expected pairs to be missing (smoke tests only)")
    parser.add_argument("--bootstrap-iterations", type=int, default=10000,
                        help="bootstrap resamples (default 10000, at least 1)")
    parser.add_argument("--seed", type=int, default=42,
                        help="bootstrap seed, a non-negative integer (default 42); both endpoints use this same "
                             "seed, so they see identical resamples")
    # argparse would find the published abbreviation --se ambiguous next to --segment-consistency.
    parser.add_argument("--se", dest="seed", type=int, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    parser.add_argument("--profile", default=None,
                        help="release profile JSON supplying the scope pins (default: the bundle's "
                             "SPINEFAIRBENCH_PROFILE.json, else the published release's pins); needed to score "
                             "the named scopes of any bundle other than the published release")
    parser.add_argument("--segment-consistency", action="store_true",
                        help="add the exploratory segment-consistency endpoint (vertebral levels named by both "
                             "reports)")
    parser.add_argument("--workers", type=_positive_int, default=1,
                        help="worker processes for classification and the bootstrap (results are bit-identical "
                             "for any value; default 1)")


@dataclass(frozen=True, eq=False)
class ScoreRun:
    """A finished scoring: the result, its document and where it is to be written."""

    result: ScoreResult
    document: dict
    output: Path


def prepare_score(args) -> ScoreRun:
    """Read, validate and score; everything but writing the file and printing."""
    root = Path(os.path.realpath(args.artifacts))
    submission_path = Path(os.path.realpath(args.submission))
    output = Path(os.path.realpath(args.output))
    submission_file = read_submission(submission_path, str(submission_path))
    submission = validate_submission(submission_file.payload)
    scope = args.scope or submission.scope
    profile = select_profile(root, getattr(args, "profile", None))
    selection = select_scope(root, scope, profile.pins_for_scope(scope), submission.pairs)
    levels = None
    if getattr(args, "segment_consistency", False):
        from spinefairbench.spinebench.levels import extract_levels as levels
    result = score_submission(submission, selection, allow_partial=args.allow_partial,
                              iterations=args.bootstrap_iterations, seed=args.seed,
                              workers=getattr(args, "workers", 1), levels=levels)
    document = score_document(result, scored_at=scored_at_utc(), tool_version=__version__,
                              submission_sha256=submission_file.sha256, release_profile=profile.describe())
    return ScoreRun(result, document, output)


def summary_lines(result: ScoreResult, output: Path) -> list[str]:
    """The printed summary: the rounded ``table2_row`` values with ``.3f``, then the warnings."""
    row = table2_row(result)
    rec_lo, rec_hi = row["recommendation_change_ci95"]
    diag_lo, diag_hi = row["diagnostic_label_consistency_ci95"]
    lines = ["SpineFairBench scoring: OK",
             f"Model: {row['model_name']}",
             f"Scope: {result.scope}",
             f"Submitted pairs: {result.submitted_pairs}",
             f"Usable pairs: {row['n_pairs']}",
             f"Recommendation change: {row['recommendation_change_rate']:.3f} [{rec_lo:.3f}, {rec_hi:.3f}]",
             f"Diagnostic-label consistency: {row['diagnostic_label_consistency']:.3f} "
             f"[{diag_lo:.3f}, {diag_hi:.3f}]"]
    if result.segment is not None:
        point, (lower, upper) = result.segment.point_estimate, result.segment.ci95
        lines.append(f"Segment consistency (exploratory): {round(point, 3):.3f} "
                     f"[{round(lower, 3):.3f}, {round(upper, 3):.3f}]")
    lines.append(f"Score JSON: {output}")
    lines += [f"Warning: {warning}" for warning in result.warnings]
    return lines


def _fail(error: SpineFairBenchError) -> int:
    sys.stderr.write(f"Scoring error: {error}\n")
    return SCORING_ERROR_STATUS


def _print(lines) -> None:
    sys.stdout.write("".join(f"{line}\n" for line in lines))


def run_score(args) -> int:
    """``score``: write the score JSON, then print the summary."""
    try:
        run = prepare_score(args)
        write_atomically(run.output, serialize(run.document))
    except SpineFairBenchError as error:
        return _fail(error)
    _print(summary_lines(run.result, run.output))
    return 0


def add_compare_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("score_a", metavar="A.json", help="baseline score JSON")
    parser.add_argument("score_b", metavar="B.json", help="score JSON compared with it (differences are B - A)")
    parser.add_argument("--iterations", type=int, default=10000, help="bootstrap resamples (default 10000)")
    parser.add_argument("--seed", type=int, default=42, help="bootstrap seed (default 42)")
    parser.add_argument("--allow-scope-mismatch", action="store_true",
                        help="compare the common pairs of score files of different scopes")
    parser.add_argument("--workers", type=_positive_int, default=1, help="bootstrap worker processes")
    parser.add_argument("--json", action="store_true", help="print one spinefairbench-compare-v1 JSON document")


def run_compare(args) -> int:
    """``compare``: did B change recommendations less often than A on the same pairs?"""
    try:
        comparison = compare_scores(read_score_file(Path(args.score_a), args.score_a),
                                    read_score_file(Path(args.score_b), args.score_b),
                                    iterations=args.iterations, seed=args.seed, workers=args.workers,
                                    allow_scope_mismatch=args.allow_scope_mismatch)
    except SpineFairBenchError as error:
        return _fail(error)
    if args.json:
        _print([json.dumps(comparison_document(comparison), indent=2, sort_keys=True)])
    else:
        _print(comparison_lines(comparison))
    return 0


LEADERBOARD_RENDERERS = {"csv": leaderboard_csv, "markdown": leaderboard_markdown,
                         "json": lambda board: json.dumps(leaderboard_document(board), indent=2, sort_keys=True)
                         + "\n"}


def add_leaderboard_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scores", nargs="+", metavar="SCORE.json", help="score JSON files of one scope")
    parser.add_argument("--format", choices=tuple(LEADERBOARD_RENDERERS), default="markdown",
                        help="output format (default markdown)")
    parser.add_argument("--include-partial", action="store_true",
                        help="also rank score files with incomplete coverage")


def run_leaderboard(args) -> int:
    """``leaderboard``: rank comparable score files by recommendation change."""
    try:
        board = build_leaderboard([read_score_file(Path(name), name) for name in args.scores],
                                  include_partial=args.include_partial)
    except SpineFairBenchError as error:
        return _fail(error)
    sys.stdout.write(LEADERBOARD_RENDERERS[args.format](board))
    return 0


def register(subparsers) -> None:
    """Add ``score``, ``compare`` and ``leaderboard`` to a subparsers object (``spinefairbench ...``)."""
    parser = subparsers.add_parser("score", help="score a model's submission against a released pair scope")
    add_score_arguments(parser)
    parser.set_defaults(func=run_score)
    parser = subparsers.add_parser("compare", help="paired difference of two score files (B - A) with CIs")
    add_compare_arguments(parser)
    parser.set_defaults(func=run_compare)
    parser = subparsers.add_parser("leaderboard", help="rank comparable score files by recommendation change")
    add_leaderboard_arguments(parser)
    parser.set_defaults(func=run_leaderboard)


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The published entry's parser: one subcommand, ``score``."""
    parser = argparse.ArgumentParser(prog=prog, description="SpineFairBench submission scorer "
                                                            "(standard library only).")
    subparsers = parser.add_subparsers(dest="command", metavar="command")
    subparsers.required = True
    score = subparsers.add_parser("score", help="score a model's submission against a released pair scope")
    add_score_arguments(score)
    score.set_defaults(func=run_score)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())


def demo_hook(context, scratch: Path, args) -> list:
    """Suite checks for ``reviewer_verify.py demo``: score the demo bundle's toy and common-core submissions.

    The toy submission is scored like the published smoke test (1,000
    iterations); the full common-core submission with the default 10,000
    and the exploratory segment-consistency endpoint.  The score files land
    in ``scratch`` where the HTML report picks them up.
    """
    from spinefairbench.commands.suite import Check

    cases = (("score toy submission", "metrics/toy_submission.json", 1000),
             ("score common-core submission", "submissions/demo_common_core_submission.json", 10000))
    checks = []
    for name, rel, iterations in cases:
        output = Path(scratch) / f"score_{Path(rel).stem}.json"
        namespace = argparse.Namespace(
            artifacts=str(context.root), submission=str(context.root / rel), output=str(output), scope=None,
            allow_partial=False, bootstrap_iterations=iterations, seed=42, profile=None,
            segment_consistency=True, workers=getattr(args, "workers", 1))

        def body(out, namespace=namespace) -> None:
            run = prepare_score(namespace)
            write_atomically(run.output, serialize(run.document))
            for line in summary_lines(run.result, run.output):
                out.emit(line)
            out.facts.update(score_file=str(run.output), scope=run.result.scope)

        command = (f"python -m spinefairbench.release.scoring score --artifacts {context.root} --submission "
                   f"{context.root / rel} --output {output} --bootstrap-iterations {iterations} --segment-consistency")
        checks.append(Check(name, command, body,
                            lambda out: next(line for line in out.lines if line.startswith("Recommendation change"))))
    return checks
