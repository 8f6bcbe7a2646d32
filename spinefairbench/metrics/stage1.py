"""Stage-1 (mitigation condition B) primary-diagnosis extraction and sidecar cleanliness.

Inline pattern first; if it matches, its cleaned capture decides, even when
empty (then there is no diagnosis and the block pattern is not tried).

>>> extract_primary_diagnosis("1. Findings: x\\n2. **Primary diagnosis:** Mild spondylosis\\n")
'Mild spondylosis'
>>> extract_primary_diagnosis("Primary diagnosis: **\\nDegenerative change")
'none'
>>> extract_primary_diagnosis("Primary diagnosis\\n- Degenerative disc disease\\nConfidence: high")
'Degenerative disc disease'
>>> extract_primary_diagnosis("2) Primary diagnosis - none given")
'none'
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from spinefairbench.metrics.definitions import frozen_definitions

NO_DIAGNOSIS = "none"

_SPEC = frozen_definitions()["stage1_primary_diagnosis"]
_INLINE = re.compile(_SPEC["inline_pattern"]["pattern"])
_BLOCK = re.compile(_SPEC["block_pattern"]["pattern"])
_CLEANING = tuple((re.compile(step["regex"]), step["replacement"]) for step in _SPEC["markdown_cleaning"]["steps"])


def clean_markdown(value: str) -> str:
    """Apply the three frozen cleaning steps.

    >>> clean_markdown("  - **Lumbar  spondylosis** ")
    'Lumbar spondylosis'
    >>> clean_markdown("**")
    ''
    """
    (markup, markup_repl), (lead, lead_repl), (spaces, spaces_repl) = _CLEANING
    value = markup.sub(markup_repl, value)
    value = lead.sub(lead_repl, value.strip())
    return spaces.sub(spaces_repl, value).strip()


# Both patterns need the words "Primary diagnosis" (case-insensitive).  Checking
# for them first is exact and spares the inline pattern's quadratic scan of
# long runs of blank lines.  Four non-ASCII letters match ASCII ones under
# IGNORECASE but not after str.lower(); texts with them skip the shortcut.
_KEY_PHRASE = "primary diagnosis"
_CASE_FOLD_EXCEPTIONS = frozenset("\u0130\u0131\u017f\u212a")


def extract_primary_diagnosis(text: str) -> str:
    """Return the cleaned primary diagnosis, or ``'none'``."""
    if _KEY_PHRASE not in text.lower() and _CASE_FOLD_EXCEPTIONS.isdisjoint(text):
        return NO_DIAGNOSIS
    match = _INLINE.search(text) or _BLOCK.search(text)
    if match is None:
        return NO_DIAGNOSIS
    return clean_markdown(match.group(1)) or NO_DIAGNOSIS


def sidecar_is_clean(payload: object) -> bool:
    """Cleanliness of a parsed validation sidecar.

    A top-level value that is not an object is treated as not clean (the
    published verifier crashes there; this is our documented choice).

    >>> sidecar_is_clean({"status": "valid", "html_garbage_detected": None, "html_garbage": True})
    True
    >>> sidecar_is_clean({"status": "valid", "html_garbage": 1})
    False
    >>> sidecar_is_clean(["valid"])
    False
    """
    if not isinstance(payload, Mapping):
        return False
    if payload.get("status") != "valid" or payload.get("prompt_echo_detected"):
        return False
    if "html_garbage_detected" in payload:
        return not payload["html_garbage_detected"]
    return not payload.get("html_garbage", False)


def stage1_decision(rate: float, gate: Mapping[str, float]) -> str:
    """Gate decision from a pass rate and thresholds ``{excluded_full_below, excluded_diag_only_below}``.

    >>> gate = {"excluded_full_below": 0.85, "excluded_diag_only_below": 0.95}
    >>> stage1_decision(0.84, gate), stage1_decision(0.85, gate), stage1_decision(0.95, gate)
    ('excluded_full', 'excluded_diag_only', 'included')
    """
    if rate < gate["excluded_full_below"]:
        return "excluded_full"
    if rate < gate["excluded_diag_only_below"]:
        return "excluded_diag_only"
    return "included"
