"""Access to the frozen lexical definitions (keyword registries and regexes).

The data file is the transcription of the benchmark definition; a test checks
it against the specification whenever that is present.  Orders are kept
exactly as frozen, even where outputs are sets.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=None)
def frozen_definitions() -> dict:
    """Return the parsed frozen-definitions document (cached, do not mutate)."""
    text = resources.files("spinefairbench.data").joinpath("frozen_definitions.json").read_text(encoding="utf-8")
    return json.loads(text)


def keyword_registry(section: str, *, strict: bool = False) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Return ``((category, (keyword, ...)), ...)`` of a keyword section in frozen order.

    >>> registry = keyword_registry("diagnostic_labels")
    >>> len(registry), registry[-1]
    (13, ('Fracture', ('fracture', 'fx', 'break', 'broken')))
    >>> keyword_registry("diagnostic_labels", strict=True)[-1]
    ('Fracture', ('fracture',))
    """
    data = frozen_definitions()[section]
    overrides = data.get("strict_variant", {}).get("differences", {}) if strict else {}
    return tuple((entry["category"], tuple(overrides.get(entry["category"], entry["keywords"])))
                 for entry in data["categories"])
