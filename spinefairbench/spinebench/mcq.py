"""Deterministic extraction of the chosen option letter from a free-text MCQ answer.

A model that answers ``The answer is (B).`` and one that answers ``B) Disc
space narrowing`` chose the same option; a scorer that misses either would
measure its own parser, not the model.  :func:`extract_answer` implements
``spinebench.md`` §2.1 exactly: three tiers of explicit-letter patterns (the
first tier that finds a valid letter decides), then whole-word option-text
matching.  The status says which route was taken, so that the reported
parse rate separates a wrong model from a parser miss.

>>> options = {"A": "Osteophytes", "B": "Disc space narrowing", "C": "Spondylolisthesis", "D": "Fracture"}
>>> extract_answer("The answer is B, not option A", options)
McqExtraction(extracted='B', status='explicit')
>>> extract_answer("The answer is a fracture of L4.", options)
McqExtraction(extracted='D', status='option_text')
>>> extract_answer("Option A and option B", options)
McqExtraction(extracted=None, status='ambiguous')
>>> extract_answer("", options)
McqExtraction(extracted=None, status='unparsed')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

EXPLICIT = "explicit"
OPTION_TEXT = "option_text"
AMBIGUOUS = "ambiguous"
UNPARSED = "unparsed"
STATUSES = (EXPLICIT, OPTION_TEXT, AMBIGUOUS, UNPARSED)

_WRAPPED = (r"\(\s*(?P<w1>[A-Za-z])\s*\)|\[\s*(?P<w2>[A-Za-z])\s*\]"
            r"|\*\*\s*(?P<w3>[A-Za-z])\s*[.):]?\s*\*\*")
# A bare lower-case letter counts only when it ends its line, so that
# "answer is a fracture" is prose while "Answer: b" is a choice.
_TOKEN = (rf"(?:{_WRAPPED}|(?P<u>[A-Z])(?![A-Za-z0-9_])"
          r"|(?P<l>[a-z])(?=[ \t]*[.!]?[ \t]*(?:\n|\Z)))")
_OPT = r"(?:(?i:option|choice)\s+)?"

#: The patterns of §2.1 grouped by tier, each tier in the order it is searched.
TIERS: tuple[tuple[re.Pattern, ...], ...] = (
    (
        re.compile(rf"(?i:\banswer\s+is)\s*:?\s*(?:\*\*\s*)?{_OPT}{_TOKEN}"),
        re.compile(rf"(?i:\banswer)(?:\*\*)?\s*:(?:\*\*)?\s*{_OPT}{_TOKEN}"),
        re.compile(rf"(?i:\bcorrect\s+(?:option|choice)\s+is)\s*:?\s*{_TOKEN}"),
    ),
    (
        re.compile(rf"\A(?:{_WRAPPED}|(?P<u>[A-Z])[.):])"),
        re.compile(r"""\A[(\[*"']*(?P<a>[A-Za-z])[)\]*"'.!:]*\Z"""),
    ),
    (
        re.compile(rf"(?i:\b(?:option|choice))\s+{_TOKEN}"),
    ),
)

_NON_ALPHANUMERIC = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class McqExtraction:
    """The chosen option (``None`` unless the status is explicit or option_text) and how it was found."""

    extracted: str | None
    status: str


def normalise(text: str) -> str:
    """Casefolded words separated by single spaces (``N`` of §2.1 step 3).

    >>> normalise("  Disc-space  NARROWING! ")
    'disc space narrowing'
    >>> normalise("--")
    ''
    """
    return _NON_ALPHANUMERIC.sub(" ", text.casefold()).strip()


def _matched_letter(match: re.Match) -> str:
    for letter in match.groupdict().values():
        if letter is not None:
            return letter.upper()
    raise AssertionError("every pattern captures exactly one letter")


def explicit_letters(text: str, options: Mapping[str, str]) -> list[str]:
    """Distinct option letters stated explicitly, from the first tier that states any.

    >>> explicit_letters("Answer: b", {"A": "x", "B": "y"})
    ['B']
    >>> explicit_letters("The answer is E.", {"A": "x", "B": "y"})
    []
    """
    for tier in TIERS:
        letters: list[str] = []
        for pattern in tier:
            for match in pattern.finditer(text):
                letter = _matched_letter(match)
                if letter in options and letter not in letters:
                    letters.append(letter)
        if letters:
            return letters
    return []


def extract_answer(response: str, options: Mapping[str, str]) -> McqExtraction:
    """Map a free-text response to one option key of ``options`` (§2.1)."""
    text = response.strip()
    letters = explicit_letters(text, options)
    if len(letters) == 1:
        return McqExtraction(letters[0], EXPLICIT)
    if letters:
        return McqExtraction(None, AMBIGUOUS)
    padded = f" {normalise(text)} "
    occurring = [key for key, option in options.items()
                 if normalise(option) and f" {normalise(option)} " in padded]
    if len(occurring) == 1:
        return McqExtraction(occurring[0], OPTION_TEXT)
    return McqExtraction(None, UNPARSED)
