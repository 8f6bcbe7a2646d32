"""The shared keyword-matching rule: word-bounded literal keywords in lower-cased text.

A category is present when at least one of its keywords matches
``\\b<re.escape(keyword)>\\b`` anywhere in ``text.lower()``.  Each category is
compiled once as a single alternation ``\\b(?:k1|k2|...)\\b``.  That is the same
predicate as trying the keywords one by one: a regex search tries every
alternative at every start position, so it succeeds exactly when some keyword
matches with both boundaries at some position (a randomized test checks the
equivalence against the per-keyword definition).

Before the regex runs, a category is skipped when none of its keywords occurs
as a plain substring of the lower-cased text.  That is a necessary condition
for a match (the regex matches the escaped keyword literally in the same
text), so the result is unchanged; it only avoids most regex scans, since a
report mentions few of the categories.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def keyword_pattern(keywords: Iterable[str]) -> re.Pattern[str]:
    r"""Compile one word-bounded alternation of literal keywords.

    >>> bool(keyword_pattern(["normal"]).search("abnormal alignment"))
    False
    >>> bool(keyword_pattern(["monitor", "follow-up"]).search("arrange follow-up"))
    True
    """
    return re.compile(r"\b(?:" + "|".join(re.escape(k) for k in keywords) + r")\b")


class KeywordClassifier:
    """Maps a report to the set of categories whose keywords occur in it."""

    def __init__(self, registry: Iterable[tuple[str, Iterable[str]]]) -> None:
        self.categories = tuple((name, tuple(words), keyword_pattern(words)) for name, words in registry)

    def __call__(self, text: str) -> set[str]:
        lowered = text.lower()
        return {name for name, words, pattern in self.categories
                if any(word in lowered for word in words) and pattern.search(lowered)}
