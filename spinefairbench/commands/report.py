"""``report``: the verification of one bundle as a single self-contained HTML file.

    spinefairbench report --artifacts DIR [--profile FILE] [--score S.json ...] --out report.html
                          [--no-recompute-ci] [--workers N] [--supplement FILE] [--quiet]

The command runs the reviewer checks exactly as ``all`` does, reads the score
files, renders with :func:`spinefairbench.report.html.render_report` and
writes the file atomically (a temporary file beside the target, then one
rename; missing parent directories are created).  It prints one line on
stdout.  The exit status is 0 whenever the report is written -- a failed
check is shown in the report, not turned into a status -- and 1 on an input
error: no bundle directory, an unusable profile, an unreadable or malformed
score file, an output that cannot be written.

The page records when it was generated and nothing else time-dependent;
``SOURCE_DATE_EPOCH`` (the reproducible-builds convention) fixes that line
too, so the same inputs then give a byte-identical file.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from datetime import datetime, timezone
from pathlib import Path

from spinefairbench import __version__
from spinefairbench.bundle.checksums import sha256_file
from spinefairbench.bundle.loaders import load_json
from spinefairbench.bundle.paths import bundle_root
from spinefairbench.bundle.profile import CODE_ROOT, select_profile
from spinefairbench.commands.framework import Context, Transcript, report_profile
from spinefairbench.commands.suite import Check, reviewer_checks, run_checks
from spinefairbench.errors import SpineFairBenchError
from spinefairbench.report.html import count_figures, render_report
from spinefairbench.atomic import write_atomically
from spinefairbench.scoring import SCORE_SCHEMA
from spinefairbench.scoring.secondary import score_file_from_document

INPUT_ERROR_STATUS = 1


def generated_stamp(environ=os.environ, now: datetime | None = None) -> str:
    """The "generated" line: ``SOURCE_DATE_EPOCH`` when set, else the current UTC time, to the second.

    >>> generated_stamp({"SOURCE_DATE_EPOCH": "0"})
    '1970-01-01T00:00:00+00:00'
    >>> generated_stamp({}, datetime(2026, 5, 6, 12, 0, 0, 999, tzinfo=timezone.utc))
    '2026-05-06T12:00:00+00:00'
    >>> generated_stamp({"SOURCE_DATE_EPOCH": "soon"})
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: SOURCE_DATE_EPOCH must be an integer number of seconds, got 'soon'
    """
    epoch = environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None:
        try:
            now = datetime.fromtimestamp(int(epoch), timezone.utc)
        except (ValueError, OverflowError, OSError):
            raise SpineFairBenchError(f"SOURCE_DATE_EPOCH must be an integer number of seconds, got {epoch!r}") \
                from None
    return (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0).isoformat()


def command_line(args: argparse.Namespace) -> str:
    """The command that reproduces the report (``--quiet`` left out: it changes nothing in the file).

    >>> command_line(argparse.Namespace(artifacts="b dir", profile=None, supplement=None, score=["s.json"],
    ...                                 out="r.html", no_recompute_ci=True, workers=1))
    "spinefairbench report --artifacts 'b dir' --score s.json --out r.html --no-recompute-ci"
    """
    words = ["spinefairbench", "report"]
    for option in ("artifacts", "profile", "supplement"):
        if getattr(args, option, None):
            words += [f"--{option}", str(getattr(args, option))]
    for score in getattr(args, "score", None) or []:
        words += ["--score", str(score)]
    words += ["--out", str(args.out)]
    if getattr(args, "no_recompute_ci", False):
        words.append("--no-recompute-ci")
    if getattr(args, "workers", 1) != 1:
        words += ["--workers", str(args.workers)]
    return shlex.join(words)


def load_scores(paths: list[str]) -> tuple[list[tuple[str, dict]], dict[str, str]]:
    """Each score document as given on the command line, checked as ``compare`` checks it, and its SHA-256."""
    scores, digests = [], {}
    for display in paths:
        path = Path(display)
        document = load_json(path, display)
        score_file_from_document(document, display)
        try:
            digests[display] = sha256_file(path)
        except OSError as error:
            raise SpineFairBenchError(f"cannot read score file: {error.strerror or error}", path=display) from None
        scores.append((display, document))
    return scores, digests


def build_report(context: Context, *, score_paths: list[str], recompute_ci: bool, workers: int,
                 supplement: str | None, command: str, generated: str, quiet: bool) -> tuple[str, int]:
    """Run the checks, read the scores and render; return the page and the number of checks."""
    scores, digests = load_scores(score_paths)  # before the checks: a bad score file fails fast
    checks = reviewer_checks(context, recompute_ci=recompute_ci, workers=workers, supplement=supplement)
    results = run_checks(checks, quiet=quiet, label="report")
    settings = context.profile.data["frozen_bootstrap"]
    provenance = {
        "tool_version": __version__,
        "bundle": str(context.root),
        "profile": context.profile.describe(),
        "score_files_sha256": digests,
        "bootstrap": {"iterations": settings.get("iterations"), "seed": settings.get("seed"),
                      "ci_mode": "recomputed" if recompute_ci else "frozen"},
        "stage1_gate": context.profile.data.get("stage1_gate"),
        "command": command,
    }
    return render_report(results, scores, provenance, generated), len(results)


def write_report(path: Path, page: str) -> int:
    """Write atomically; return the size in bytes."""
    data = page.encode("utf-8")
    write_atomically(path, data, what="report")
    return len(data)


def written_line(path: Path, size: int, checks: int, figures: int) -> str:
    return f"Report written: {path} ({size} bytes, {checks} checks, {figures} figures)"


def run(args: argparse.Namespace) -> int:
    try:
        root = bundle_root(args.artifacts, CODE_ROOT)
        if not root.is_dir():  # a report in which every check fails for want of a bundle says nothing
            raise SpineFairBenchError("bundle directory not found (pass --artifacts DIR)", path=str(root))
        context = Context(root, select_profile(root, args.profile))
        report_profile(context.profile, args.quiet)
        page, checks = build_report(context, score_paths=args.score or [], recompute_ci=not args.no_recompute_ci,
                                    workers=args.workers, supplement=args.supplement,
                                    command=command_line(args), generated=generated_stamp(), quiet=args.quiet)
        path = Path(args.out)
        size = write_report(path, page)
    except SpineFairBenchError as error:
        sys.stderr.write(f"{error}\n")
        return INPUT_ERROR_STATUS
    sys.stdout.write(written_line(path, size, checks, count_figures(page)) + "\n")
    return 0


def register(sub) -> None:
    p = sub.add_parser("report", help="write the verification of a bundle as one self-contained HTML file")
    p.add_argument("--artifacts", default=None, help="bundle root (default: <code root>/artifacts)")
    p.add_argument("--profile", default=None, help="release profile JSON (default: the bundle's own, else the "
                                                   "published release)")
    p.add_argument("--score", action="extend", nargs="+", default=[], metavar="S.json",
                   help="score files to include (primary endpoints and per-edit breakdown); repeatable")
    p.add_argument("--out", required=True, metavar="report.html", help="where to write the report")
    p.add_argument("--supplement", default=None, help="the follow-up supplement file, if you have it")
    p.add_argument("--no-recompute-ci", action="store_true", help="show the frozen CIs instead of recomputing")
    p.add_argument("--workers", type=int, default=1, help="bootstrap worker processes (bit-identical results)")
    p.add_argument("--quiet", action="store_true", help="no progress or profile notes on stderr")
    p.set_defaults(func=run)


# --------------------------------------------------------------------------
# The demo's check


def demo_score_files(scratch: Path, bundle: Path) -> list[str]:
    """Score documents that earlier demo checks wrote under ``scratch`` (outside the bundle), sorted."""
    found = []
    for path in sorted(scratch.rglob("*.json")):
        if bundle in path.parents:
            continue
        try:
            document = load_json(path)
        except SpineFairBenchError:
            continue
        if isinstance(document, dict) and document.get("schema_version") == SCORE_SCHEMA:
            found.append(str(path))
    return found


DEMO_REPORT_NAME = "spinefairbench-demo-report.html"


def demo_hook(context: Context, scratch: Path, args) -> list[Check]:
    """The demo's ``html report`` check: the report of the demo bundle, with any score files the demo wrote.

    It goes to ``--report FILE``, else beside the kept bundle as ``<bundle>-report.html``,
    else to ``spinefairbench-demo-report.html`` in the current directory, so the
    reviewer can open it after the temporary bundle is gone.
    The CIs are the frozen ones: the demo's ``table2`` check has already
    recomputed and matched them, and bootstrapping twice would only double the wait.
    """
    keep = getattr(args, "keep", None)
    if getattr(args, "report", None):
        target = Path(args.report).absolute()
    elif keep:
        target = Path(keep).absolute().with_name(Path(keep).name + "-report.html")
    else:
        target = Path(DEMO_REPORT_NAME).absolute()
    workers = getattr(args, "workers", 1)

    def body(out: Transcript) -> None:
        score_paths = demo_score_files(scratch, context.root)
        namespace = argparse.Namespace(artifacts=str(context.root), profile=None, supplement=None,
                                       score=score_paths, out=str(target), no_recompute_ci=True, workers=workers)
        page, checks = build_report(context, score_paths=score_paths, recompute_ci=False, workers=workers,
                                    supplement=None, command=command_line(namespace), generated=generated_stamp(),
                                    quiet=True)
        size = write_report(target, page)
        out.emit(written_line(target, size, checks, count_figures(page)))
        out.facts.update(path=str(target), bytes=size, checks=checks, figures=count_figures(page),
                         score_files=score_paths)

    return [Check("html report", f"report --artifacts {context.root} --out {target} --no-recompute-ci", body,
                  lambda out: out.lines[-1])]
