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


def _compile_all(key: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in _DETECTOR[key])


_REFUSAL = _compile_all("refusal_patterns")
_DIRECT = _compile_all("direct_clinical_content_patterns")
_HEDGED = _compile_all("hedged_clinical_patterns")


def classify_response(text: str | None) -> str:
    """Classify one report text by the frozen algorithm (steps 1-5)."""
    if not text or not text.strip():
        return FULL_REFUSAL
    if not any(p.search(text) for p in _REFUSAL):
        return GENUINE
    if any(p.search(text) for p in _DIRECT):
        return GENUINE
    if any(p.search(text) for p in _HEDGED):
        return PARTIAL_REFUSAL
    return FULL_REFUSAL
