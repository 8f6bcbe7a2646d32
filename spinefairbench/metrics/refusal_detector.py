"""Three-way refusal classifier: ``genuine``, ``partial_refusal`` or ``full_refusal``.

Patterns run on the original text, case-insensitively, without DOTALL: a
refusal phrase and its object must be on one line.

>>> classify_response("   ")
'full_refusal'
>>> classify_response("I'm unable to interpret medical images.")
'full_refusal'
>>> classify_response("I'm unable to be certain. Findings: mild osteophytes.")
'genuine'
>>> classify_response("I am unable to diagnose. A radiologist would look for fractures.")
'partial_refusal'
>>> classify_response("Normal lumbar spine.")
'genuine'
"""

from __future__ import annotations

import re

from spinefairbench.metrics.definitions import frozen_definitions

GENUINE = "genuine"
PARTIAL_REFUSAL = "partial_refusal"
FULL_REFUSAL = "full_refusal"

_DETECTOR = frozen_definitions()["refusal_detector"]


class ChainPattern:
    """A frozen pattern ``A.*B.*C`` evaluated in linear time, with the regex's exact verdict.

    Python's backtracking search of ``A.*B.*C`` is cubic on a long line with
    many ``A`` and no ``C`` (one 10 kB report could stall a run for minutes).
    Without DOTALL, ``.`` stops at ``\\n``, so the pattern matches iff some line
    holds matches of A, B, C in that order without overlap.  Taking, part by
    part, the earliest-ending match that starts at or after the previous end
    finds such a chain whenever one exists.  ``search(line, pos)`` returns
    that earliest-ending match for these parts: each has one possible match
    length at a given start, and no match can lie inside another one (a test
    compares the verdicts with the plain regex on random texts).
    """

    def __init__(self, pattern: str, flags: int) -> None:
        self.parts = tuple(re.compile(part, flags) for part in pattern.split(".*"))

    def search(self, text: str) -> bool:
        for line in text.split("\n"):
            position = 0
            for part in self.parts:
                match = part.search(line, position)
                if match is None:
                    break
                position = match.end()
            else:
                return True
        return False


def _compile_all(key: str) -> tuple:
    return tuple(ChainPattern(p, re.IGNORECASE) if ".*" in p else re.compile(p, re.IGNORECASE)
                 for p in _DETECTOR[key])


_REFUSAL = _compile_all("refusal_patterns")

# Every refusal pattern contains one of these lower-case literals, so a text
# whose lower-cased form contains none of them cannot match any refusal
# pattern.  IGNORECASE also lets four non-ASCII letters (U+0130, U+0131,
# U+017F, U+212A) match ASCII letters where str.lower() does not map them the
# same way; texts containing those skip the shortcut.  A test keeps this list
# in step with the patterns.
REFUSAL_LITERALS = ("unable to", "i can", "cannot provide", "not able to", "m not ", "consult a ")
_CASE_FOLD_EXCEPTIONS = frozenset("\u0130\u0131\u017f\u212a")


def _may_refuse(text: str) -> bool:
    if not _CASE_FOLD_EXCEPTIONS.isdisjoint(text):
        return True
    lowered = text.lower()
    return any(literal in lowered for literal in REFUSAL_LITERALS)
_DIRECT = _compile_all("direct_clinical_content_patterns")
_HEDGED = _compile_all("hedged_clinical_patterns")


def classify_response(text: str | None) -> str:
    """Classify one report text by the frozen algorithm (steps 1-5)."""
    if not text or not text.strip():
        return FULL_REFUSAL
    if not _may_refuse(text) or not any(p.search(text) for p in _REFUSAL):
        return GENUINE
    if any(p.search(text) for p in _DIRECT):
        return GENUINE
    if any(p.search(text) for p in _HEDGED):
        return PARTIAL_REFUSAL
    return FULL_REFUSAL
