"""The one error type of the package.

Every anticipated failure -- a missing artifact, a malformed file, a failed
check -- is raised as :class:`SpineFairBenchError`.  The command line prints
``str(error)`` as a single line on stderr and returns the exit status of the
command family (1 for reviewer checks, 2 for the scorer and SpineBench).

The message may carry a location.  ``str()`` renders it ``path:line: field:
message``, leaving out the parts that are unknown, so that a reviewer-check
message that the published verifier prints bare (``Missing required artifact:
README.md``) stays bare:

>>> str(SpineFairBenchError("Checksum manifest is empty"))
'Checksum manifest is empty'
>>> str(SpineFairBenchError("Expecting value", path="a.jsonl", line=3))
'a.jsonl:3: Expecting value'
>>> str(SpineFairBenchError("expected a string", path="s.json", field="results[0].pair_id"))
's.json: results[0].pair_id: expected a string'
"""

from __future__ import annotations


class SpineFairBenchError(Exception):
    """An anticipated, user-facing failure with an optional location."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 column: int | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        self.field = field

    def __str__(self) -> str:
        parts = []
        if self.path is not None:
            location = str(self.path)
            if self.line is not None:
                location += f":{self.line}"
                if self.column is not None:
                    location += f":{self.column}"
            parts.append(location)
        if self.field:
            parts.append(self.field)
        parts.append(" ".join(self.message.splitlines()) or self.message)
        return ": ".join(parts)


class CheckFailed(SpineFairBenchError):
    """A verification check that ran and did not hold (as opposed to bad input)."""
