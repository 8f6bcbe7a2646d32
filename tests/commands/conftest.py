"""Fixtures for end-to-end command tests: a small demo bundle built once, and mutable copies of it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from spinefairbench.cli import main


@pytest.fixture(scope="session")
def demo_bundle(tmp_path_factory) -> Path:
    from spinefairbench.demo.builder import build_demo_bundle

    return build_demo_bundle(tmp_path_factory.mktemp("demo") / "artifacts", preset="small", seed=7).root


@pytest.fixture()
def bundle(demo_bundle, tmp_path) -> Path:
    """A private copy of the demo bundle that a test may damage."""
    copy = tmp_path / "artifacts"
    shutil.copytree(demo_bundle, copy, symlinks=True)
    return copy


class Run:
    """Result of one in-process command run."""

    def __init__(self, status: int, out: str, err: str) -> None:
        self.status, self.out, self.err = status, out, err
        self.lines = out.splitlines()


@pytest.fixture()
def run(capsys):
    def runner(*argv: str) -> Run:
        status = main([str(a) for a in argv], prog="reviewer_verify.py")
        captured = capsys.readouterr()
        return Run(status, captured.out, captured.err)
    return runner


class Edits:
    """Small editing helpers for damaging a bundle copy (exposed as the ``edit`` fixture)."""

    @staticmethod
    def json(path: Path, change) -> None:
        """Load a JSON file, let ``change`` mutate it in place (its return value is ignored), write it back."""
        data = json.loads(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(json.dumps(data), encoding="utf-8")

    @staticmethod
    def jsonl(path: Path, change) -> None:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        change(rows)
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")

    @staticmethod
    def fails(result: Run, message: str, status: int = 1) -> None:
        assert result.status == status, (result.status, result.err)
        assert result.err == message + "\n", result.err


@pytest.fixture()
def edit() -> Edits:
    return Edits()
