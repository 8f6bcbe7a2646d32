"""Bundle paths: required artifacts and the release-relative path rule.

The published verifier accepts a name from a manifest only when it is a
canonical, relative POSIX path that stays inside its base directory once
symlinks are resolved.  :func:`check_release_relative` is that rule on the
name alone; :func:`contained` adds the resolution check.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

from spinefairbench.errors import SpineFairBenchError


def check_release_relative(name: str) -> None:
    """Reject names that are not canonical relative POSIX paths.

    >>> check_release_relative("data/a.json")
    >>> check_release_relative(".")  # the base itself: rejected later, as a non-file
    >>> for bad in ["", "a\\\\b", "C:x", "/etc/passwd", "../x", "./x", "a//b", "a/.", "a/"]:
    ...     try:
    ...         check_release_relative(bad)
    ...     except SpineFairBenchError as error:
    ...         print(error)
    Invalid release-relative path: ''
    Invalid release-relative path: 'a\\\\b'
    Invalid release-relative path: 'C:x'
    Invalid release-relative path: '/etc/passwd'
    Invalid release-relative path: '../x'
    Invalid release-relative path: './x'
    Invalid release-relative path: 'a//b'
    Invalid release-relative path: 'a/.'
    Invalid release-relative path: 'a/'
    """
    if (not name or "\\" in name or ":" in name or name.startswith("/")
            or ".." in name.split("/") or posixpath.normpath(name) != name):
        raise SpineFairBenchError(f"Invalid release-relative path: {name!r}")


def contained(base: Path, name: str) -> Path:
    """Return ``base/name`` after checking the name and that it resolves inside ``base``.

    Symlinks are followed, both for the file itself and for every directory
    on the way, so a link that points out of the bundle is refused.
    """
    check_release_relative(name)
    resolved_base = Path(os.path.realpath(base))
    target = Path(os.path.realpath(resolved_base / name))
    if target != resolved_base and resolved_base not in target.parents:
        raise SpineFairBenchError(f"Release path escapes its root: {name!r}")
    return resolved_base / name


def required(root: Path, rel: str) -> Path:
    """Return ``root/rel`` if it exists (file or directory, symlinks followed)."""
    path = root / rel
    if not path.exists():
        raise SpineFairBenchError(f"Missing required artifact: {rel}")
    return path


def bundle_root(artifacts: str | None, code_root: Path) -> Path:
    """The bundle root: ``--artifacts`` resolved, or ``<code root>/artifacts`` when absent or empty."""
    if not artifacts:
        return Path(os.path.realpath(code_root / "artifacts"))
    return Path(os.path.realpath(artifacts))
