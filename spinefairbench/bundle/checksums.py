"""``sha256sum``-format manifests: verification with the release path rule, and writing.

Entry names are resolved against the manifest's own directory and must be
canonical release-relative paths that stay inside it.  Case-folded duplicates
are refused (a manifest that lists ``data/a.json`` and ``DATA/A.json`` would
verify one file twice on a case-insensitive file system).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from pathlib import Path

from spinefairbench.bundle.loaders import read_text
from spinefairbench.bundle.paths import contained
from spinefairbench.errors import SpineFairBenchError

ENTRY = re.compile(r"([0-9a-fA-F]{64}) [ *](.+)")
CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Lower-case hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def iter_manifest(text: str):
    """Yield ``(line number, expected hex lower-cased, name)`` per entry; blank lines skipped.

    A malformed line raises when it is reached, so that earlier entries are
    verified (and can fail) first, as in the published verifier.

    >>> list(iter_manifest("\\n" + "A" * 64 + " *x y\\n"))
    [(2, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'x y')]
    >>> list(iter_manifest("0" * 64 + " x"))
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: Malformed SHA-256 manifest entry at line 1
    """
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = ENTRY.fullmatch(line)
        if match is None:
            raise SpineFairBenchError(f"Malformed SHA-256 manifest entry at line {number}")
        yield number, match.group(1).lower(), match.group(2)


def verify_manifest(manifest: Path, *, progress=None) -> int:
    """Verify every entry of a manifest; return the number of files checked."""
    manifest = Path(os.path.realpath(manifest))
    base = manifest.parent
    seen: set[str] = set()
    text = read_text(manifest)
    total = sum(1 for line in text.splitlines() if line.strip())
    count = 0
    for _line, expected, name in iter_manifest(text):
        path = contained(base, name)
        folded = name.casefold()
        if folded in seen:
            raise SpineFairBenchError(f"Duplicate checksum path: {name}")
        seen.add(folded)
        if not path.is_file():
            raise SpineFairBenchError(f"Checksum file missing: {name}")
        if sha256_file(path) != expected:
            raise SpineFairBenchError(f"Checksum mismatch: {name}")
        count += 1
        if progress is not None:
            progress(count, total)
    if not count:
        raise SpineFairBenchError("Checksum manifest is empty")
    return count


def manifest_text(entries: Iterable[tuple[str, str]]) -> str:
    """Render ``(name, hex)`` pairs as a manifest, sorted by name, two-space form.

    >>> manifest_text([("b", "1" * 64), ("a", "2" * 64)]).splitlines()[0] == "2" * 64 + "  a"
    True
    """
    return "".join(f"{digest}  {name}\n" for name, digest in sorted(entries))
