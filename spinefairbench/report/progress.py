"""Progress on stderr for long runs: one updating line on a terminal, nothing otherwise.

Progress never touches stdout or JSON output.  It appears only when stderr is
a terminal, the run has lasted longer than ``delay`` seconds (short commands
stay silent) and ``--quiet`` was not given; it is redrawn at most ten times a
second and erased when the task ends.

>>> import io
>>> stream = io.StringIO()
>>> progress = Progress("checksums", stream=stream)  # StringIO is not a terminal: silent
>>> progress.update(5, 10); progress.done()
>>> stream.getvalue()
''
"""

from __future__ import annotations

import sys
import time


class Progress:
    """A single self-overwriting status line for one task."""

    def __init__(self, label: str, *, stream=None, quiet: bool = False, delay: float = 2.0) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", lambda: False)
        self.enabled = not quiet and isatty()
        self.start = time.monotonic()
        self.delay = delay
        self.last_draw = 0.0
        self.width = 0

    def update(self, done: int, total: int | None = None, detail: str = "") -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.start < self.delay or now - self.last_draw < 0.1:
            return
        self.last_draw = now
        amount = f"{done}/{total}" if total else str(done)
        text = f"{self.label}: {amount} {detail}".rstrip() + f" ({now - self.start:.0f} s)"
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = len(text)

    def done(self) -> None:
        if self.enabled and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.done()
