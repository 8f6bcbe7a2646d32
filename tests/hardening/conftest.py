"""Shared by the hardening tests: one small demo bundle per session, and running a command line in-process.

:func:`invoke` runs an argv the way its program would -- ``reviewer_verify.py
...``, ``spinefairbench ...`` or ``python -m spinefairbench.release.scoring
...`` -- and returns its exit status and what it wrote.  An exception that
escapes is written to stderr as the interpreter would print it (status 1), so
"no traceback" can be asserted the same way in-process and in a subprocess.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCORER = ("python", "-m", "spinefairbench.release.scoring")


@dataclass(frozen=True)
class Outcome:
    """Exit status and output of one command line."""

    status: int
    out: str
    err: str


def _entry(argv: list[str]):
    """The in-process entry point of a command line and the arguments it takes."""
    from spinefairbench import cli
    from spinefairbench.release import scoring

    if tuple(argv[:3]) == SCORER:
        return scoring.main, argv[3:]
    if argv[0] in ("reviewer_verify.py", "spinefairbench"):
        return (lambda rest: cli.main(rest, prog=argv[0])), argv[1:]
    raise ValueError(f"unknown program in {argv!r}")


def invoke(argv: list[str]) -> Outcome:
    """Run one command line in this process."""
    main, rest = _entry(argv)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(rest)
        except SystemExit as exit_:  # argparse, or a bare sys.exit
            code = exit_.code
            if isinstance(code, str):
                err.write(code + "\n")
            status = code if isinstance(code, int) else (1 if code else 0)
        except BaseException:  # noqa: BLE001 -- report it as the interpreter would
            traceback.print_exc(file=err)
            status = 1
    return Outcome(status, out.getvalue(), err.getvalue())


def invoke_process(argv: list[str], **kwargs) -> Outcome:
    """Run one command line in a fresh interpreter (for behaviour that depends on a real process)."""
    if tuple(argv[:3]) == SCORER:
        command = [sys.executable, "-m", "spinefairbench.release.scoring", *argv[3:]]
    elif argv[0] == "reviewer_verify.py":
        command = [sys.executable, str(REPO / "reviewer_verify.py"), *argv[1:]]
    elif argv[0] == "spinefairbench":
        command = [sys.executable, "-m", "spinefairbench", *argv[1:]]
    else:
        raise ValueError(f"unknown program in {argv!r}")
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run(command, capture_output=True, text=True, encoding="utf-8", cwd=REPO, env=env,
                            timeout=300, **kwargs)
    return Outcome(result.returncode, result.stdout, result.stderr)


@pytest.fixture(scope="session")
def demo_bundle(tmp_path_factory) -> Path:
    """The small demo bundle (seed 7), built once per session; tests must not change it."""
    from spinefairbench.demo.builder import build_demo_bundle

    root = build_demo_bundle(tmp_path_factory.mktemp("hardening-demo") / "artifacts", preset="small", seed=7).root
    return Path(os.path.realpath(root))


@pytest.fixture(scope="session")
def spinebench_demo(tmp_path_factory) -> dict[str, Path]:
    """The SpineBench synthetic demo set (items, predictions, judgements, table)."""
    from spinefairbench.spinebench.demo_data import write_demo_set

    folder = tmp_path_factory.mktemp("hardening-spinebench")
    return {key: Path(os.path.realpath(path)) for key, path in write_demo_set(folder).items()}


@pytest.fixture(scope="session")
def cli():
    """``cli.run(argv)`` in-process, ``cli.process(argv)`` in a fresh interpreter."""
    return CommandLine()


class CommandLine:
    """The two ways of running a command line, for tests (fixtures cannot be imported by name)."""

    run = staticmethod(invoke)
    process = staticmethod(invoke_process)
