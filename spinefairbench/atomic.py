"""Writing output files atomically: a complete new file, or the old one untouched.

Every file this tool writes (score JSON, SpineBench outputs, the HTML report,
demo files) goes through :func:`write_atomically`: the bytes go to a
temporary file beside the target, are flushed to disk and moved into place
with ``os.replace``.  On any failure the temporary file and any directory
created for it are removed, so an error never leaves a partial or stale file.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from spinefairbench.errors import SpineFairBenchError


def write_atomically(path: Path, data: bytes, *, what: str = "file") -> None:
    """Create missing parents, write a temporary file beside ``path`` and move it into place.

    On any failure the temporary file and the directories created here are
    removed and an existing ``path`` is left untouched.
    """
    created = []
    temporary = None
    try:
        for parent in reversed(path.parents):
            if not parent.exists():
                parent.mkdir()
                created.append(parent)
        temporary = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        # O_EXCL: never write through someone else's file; 0o666 lets the umask decide, as open() would.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as error:
        if temporary is not None:
            try:
                temporary.unlink()
            except OSError:
                pass
        for directory in reversed(created):
            try:
                directory.rmdir()
            except OSError:
                break
        raise SpineFairBenchError(f"cannot write {what}: {error.strerror or error}", path=str(path)) from None
