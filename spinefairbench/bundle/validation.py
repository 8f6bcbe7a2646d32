"""Row-level validation helpers shared by the bundle commands."""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

from spinefairbench.errors import SpineFairBenchError



def unique_rows(rows, key: str, label: str) -> dict:
    """Index rows by a non-empty string key, refusing bad and repeated keys (first one reported).

    >>> unique_rows([{"id": "a"}, {"id": "b"}], "id", "demo")
    {'a': {'id': 'a'}, 'b': {'id': 'b'}}
    >>> unique_rows([{"id": "a"}, {"id": ""}], "id", "demo")
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: Invalid id in demo row 2
    >>> unique_rows({"id": "a"}, "id", "demo")
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: demo must contain a list
    """
    if not isinstance(rows, list):
        raise SpineFairBenchError(f"{label} must contain a list")
    index: dict = {}
    for number, row in enumerate(rows, start=1):
        value = row.get(key) if isinstance(row, dict) else None
        if not isinstance(value, str) or not value:
            raise SpineFairBenchError(f"Invalid {key} in {label} row {number}")
        if value in index:
            raise SpineFairBenchError(f"Duplicate {key} in {label}: {value}")
        index[value] = row
    return index


def glob_entries(top: Path, pattern: str) -> list[Path]:
    """Entries (files and directories) under ``top`` whose name matches, like ``Path.rglob``.

    Case-sensitive; dot-names included; symlinked directories are listed but
    not descended into.  Sorted for determinism.
    """
    found = []
    for directory, dirnames, filenames in os.walk(top, followlinks=False):
        for name in dirnames + filenames:
            if fnmatch.fnmatchcase(name, pattern):
                found.append(Path(directory) / name)
    return sorted(found)
