"""How a reviewer-verification command runs: a transcript, the exit status, ``--json``.

The published verifier prints its result lines as it goes and stops at the
first failed check with a one-line message on stderr (status 1); lines
printed before the failure stay printed.  A command body therefore writes to
a :class:`Transcript` and raises :class:`SpineFairBenchError` to stop.
:func:`execute` streams the lines to stdout, or -- with ``--json`` -- collects
them into one ``spinefairbench-verify-v1`` document with the same facts.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from spinefairbench import __version__
from spinefairbench.bundle.paths import bundle_root
from spinefairbench.bundle.profile import CODE_ROOT, ReleaseProfile, select_profile
from spinefairbench.errors import SpineFairBenchError
from spinefairbench.report.progress import Progress

VERIFY_SCHEMA = "spinefairbench-verify-v1"
CHECK_FAILED_STATUS = 1


@dataclass
class Transcript:
    """Collects what a command prints (``lines``) and the facts behind them (``facts``)."""

    echo: bool = False
    quiet: bool = True
    lines: list[str] = field(default_factory=list)
    facts: dict = field(default_factory=dict)

    def progress(self, label: str) -> Progress:
        """A stderr progress line for a long step (silent unless on a terminal and not ``--quiet``)."""
        return Progress(label, quiet=self.quiet)

    def emit(self, *parts: object) -> None:
        """Print one line the way Python ``print`` joins its arguments."""
        line = " ".join(str(part) for part in parts)
        self.lines.append(line)
        if self.echo:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()


@dataclass(frozen=True)
class Context:
    """What every bundle command knows: the bundle root and the release profile judging it."""

    root: Path
    profile: ReleaseProfile
    cache: dict = field(default_factory=dict, compare=False, hash=False)


def make_context(args) -> Context:
    root = bundle_root(getattr(args, "artifacts", None), CODE_ROOT)
    return Context(root, select_profile(root, getattr(args, "profile", None)))


def report_profile(profile: ReleaseProfile, quiet: bool) -> None:
    """Say on stderr which profile judged the bundle (never on stdout)."""
    if not quiet and profile.origin != "published":
        sys.stderr.write(f"spinefairbench: release profile {profile.name} ({profile.origin}: {profile.path})\n")


def run_body(body: Callable[[Transcript], None], transcript: Transcript) -> str | None:
    """Run a command body; return the failure message, or None on success."""
    try:
        body(transcript)
    except SpineFairBenchError as error:
        return str(error)
    except RecursionError:
        return "input is nested too deeply to process"
    return None


def execute(args, command: str, body: Callable[[Context, Transcript], None], *, needs_bundle: bool = True) -> int:
    """Run one verification command with the published output and exit behaviour."""
    as_json = getattr(args, "json", False)
    transcript = Transcript(echo=not as_json, quiet=getattr(args, "quiet", False))
    context: Context | None = None

    def guarded(t: Transcript) -> None:
        nonlocal context
        if needs_bundle:
            context = make_context(args)
        body(context, t)

    failure = run_body(guarded, transcript)
    status = 0 if failure is None else CHECK_FAILED_STATUS
    if context is not None and failure is None:
        # After success only: a failure is exactly one line on stderr.
        report_profile(context.profile, getattr(args, "quiet", False) or as_json)
    if as_json:
        sys.stdout.write(json.dumps(verify_document(command, transcript, failure, status, context),
                                    indent=2, sort_keys=True, ensure_ascii=True, allow_nan=False,
                                    default=str) + "\n")
    elif failure is not None:
        sys.stderr.write(failure + "\n")
    return status


def verify_document(command: str, transcript: Transcript, failure: str | None, status: int,
                    context: Context | None) -> dict:
    """The ``--json`` document: the same facts as the text, for CI."""
    return {
        "schema_version": VERIFY_SCHEMA,
        "tool_version": __version__,
        "command": command,
        "status": "ok" if failure is None else "failed",
        "exit_code": status,
        "error": failure,
        "artifacts": str(context.root) if context else None,
        "profile": context.profile.describe() if context else None,
        "lines": transcript.lines,
        "facts": json_safe(transcript.facts),
    }


def json_safe(value):
    """Replace non-finite floats by their ``str`` so the JSON stays standard.

    >>> json_safe({"a": [float("nan"), 1.5]})
    {'a': ['nan', 1.5]}
    """
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value
