"""The frozen 13-category diagnostic-label registry and the Jaccard used for Table 2.

Negation is deliberately not modelled and broad aliases are kept (``fx``,
``break``, ``broken`` give Fracture): both are part of the frozen benchmark
definition.  :func:`extract_labels_strict` is for manual audits only.

>>> sorted(extract_labels("Mild osteophytes. No fracture."))
['Fracture', 'Osteophytes']
>>> sorted(extract_labels("No abnormality."))
['No finding', 'Other lesions']
>>> extract_labels("Abnormal alignment.")
set()
>>> sorted(extract_labels_strict("Broken hardware"))
['Surgical implant']
"""

from __future__ import annotations

from collections.abc import Set

from spinefairbench.metrics.definitions import keyword_registry
from spinefairbench.metrics.keywords import KeywordClassifier

extract_labels = KeywordClassifier(keyword_registry("diagnostic_labels"))
extract_labels_strict = KeywordClassifier(keyword_registry("diagnostic_labels", strict=True))

REGISTRY_SIZE = len(extract_labels.categories)
CATEGORIES_SORTED = tuple(sorted(name for name, _words, _pattern in extract_labels.categories))


def compute_jaccard(first: Set[str], second: Set[str]) -> float:
    """Set Jaccard; two empty sets score 1.0 by frozen definition.

    >>> compute_jaccard(set(), set())
    1.0
    >>> compute_jaccard({"a", "b"}, {"b", "c"})
    0.3333333333333333
    >>> compute_jaccard({"a"}, set())
    0.0
    """
    if not first and not second:
        return 1.0
    return len(first & second) / len(first | second)
