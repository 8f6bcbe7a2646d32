"""Vertebral levels: canonical forms, extraction from free text, and level metrics.

SpineBench's point is *segment-level* reasoning, so a report that names the
wrong disc is a clinical error even when its prose is fluent.  This module
reads the levels a text names (``spinebench.md`` §4): it masks MRI-sequence
mentions (``T2-weighted`` is not the T2 vertebra), scans for junctions,
spelled-out vertebrae, ranges and hyphen/slash chains, and returns the set in
anatomical order.

Canonical forms are a vertebra (``C1``..``C7``, ``T1``..``T12``, ``L1``..``L5``,
``S1``) or the disc between two adjacent vertebrae, upper one first
(``L4/L5``, ``T12/L1``, ``L5/S1``).

>>> extract_levels("Disc bulge at L4-5 and L5-S1; T2-weighted hyperintensity.")
('L4/L5', 'L5/S1')
>>> extract_levels("Fusion from L2 to L4, fourth lumbar vertebra intact.")
('L2', 'L3', 'L4')
>>> extract_levels("No level mentioned; T2W and T1 images only.")
()
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

_REGION_SIZES = (("C", 7), ("T", 12), ("L", 5), ("S", 1))

#: The 25 vertebrae in anatomical order.
VERTEBRAE: tuple[str, ...] = tuple(f"{region}{number}" for region, size in _REGION_SIZES
                                   for number in range(1, size + 1))
_REGION_OF = tuple(name[0] for name in VERTEBRAE)
_FIRST_INDEX = {region: VERTEBRAE.index(f"{region}1") for region, _ in _REGION_SIZES}
_REGION_SIZE = dict(_REGION_SIZES)


def _vertebra_name(index: int) -> str:
    return VERTEBRAE[index]


def _disc_name(upper_index: int) -> str:
    return f"{VERTEBRAE[upper_index]}/{VERTEBRAE[upper_index + 1]}"


#: All 49 canonical levels in anatomical order: each vertebra, then the disc below it.
CANONICAL_LEVELS: tuple[str, ...] = tuple(
    name for index in range(len(VERTEBRAE))
    for name in ((_vertebra_name(index),) if index == len(VERTEBRAE) - 1
                 else (_vertebra_name(index), _disc_name(index))))
_ORDER = {level: position for position, level in enumerate(CANONICAL_LEVELS)}


def is_canonical_level(text: str) -> bool:
    """Whether ``text`` is written exactly in canonical form.

    >>> is_canonical_level("L4/L5"), is_canonical_level("L4-L5"), is_canonical_level("L4/L6")
    (True, False, False)
    >>> is_canonical_level("T12/L1"), is_canonical_level("l4"), is_canonical_level("S2")
    (True, False, False)
    """
    return text in _ORDER


def sort_levels(levels: Iterable[str]) -> tuple[str, ...]:
    """Distinct canonical levels in anatomical order (a vertebra before the disc below it).

    >>> sort_levels(["S1", "L5/S1", "L4", "L5", "L4/L5", "L4"])
    ('L4', 'L4/L5', 'L5', 'L5/S1', 'S1')
    >>> sort_levels([])
    ()
    """
    return tuple(sorted(set(levels), key=_ORDER.__getitem__))


# --------------------------------------------------------------------------
# §4.2 step 1: MRI-sequence contexts are blanked out before scanning.

_TT = r"T ?[12](?![0-9A-Za-z])(?:\s*(?:[-/,]|\band\b|\bor\b)\s*T ?[12](?![0-9A-Za-z]))*"
_MRI_CONTEXT = re.compile(
    rf"(?<![0-9A-Za-z]){_TT}(?=\s*-?\s*(?:weighted|w|wi|signal|hyperintense|hypointense|hyperintensity"
    rf"|hypointensity|images?|sequences?|flair|stir)(?![A-Za-z]))|\bon\s+{_TT}",
    re.IGNORECASE)

# --------------------------------------------------------------------------
# §4.2 step 2: the scan.

_V = r"(?:C|Th|T|L|S) ?(?:1[0-2]|[1-9])(?![0-9])"
_NUM = r"(?:1[0-2]|[1-9])(?![0-9])"
_SEP = r"\s*[-/\u2010-\u2015\u2212]\s*"
_ORDINALS = ("first|1st", "second|2nd", "third|3rd", "fourth|4th", "fifth|5th", "sixth|6th",
             "seventh|7th", "eighth|8th", "ninth|9th", "tenth|10th", "eleventh|11th", "twelfth|12th")
_JUNCTION = r"(?P<junction>cervicothoracic|thoracolumbar|lumbosacral)\s+junction"
_SPELLED = (rf"(?P<ordinal>{'|'.join(_ORDINALS)})\s+(?P<region>cervical|thoracic|dorsal|lumbar|sacral)"
            r"\s+(?:vertebrae|vertebra|vertebral\s+bod(?:y|ies)|level|segment)")
_RANGE = rf"(?P<start>{_V})\s+(?:to|through|thru)\s+(?P<end>{_V}|{_NUM})"
_CHAIN = rf"(?P<chain>{_V}(?:{_SEP}(?:{_V}|{_NUM}))+)"
_SINGLE = rf"(?P<single>{_V})"
_LEVEL_MENTION = re.compile(
    rf"(?<![0-9A-Za-z])(?:{_JUNCTION}|{_SPELLED}|{_RANGE}|{_CHAIN}|{_SINGLE})(?![0-9A-Za-z])",
    re.IGNORECASE)
_SEPARATOR = re.compile(_SEP)
_TOKEN = re.compile(r"(?:(C|Th|T|L|S) ?)?(1[0-2]|[1-9])", re.IGNORECASE)

_JUNCTION_LEVEL = {"cervicothoracic": "C7/T1", "thoracolumbar": "T12/L1", "lumbosacral": "L5/S1"}
_ORDINAL_NUMBER = {word: number for number, words in enumerate(_ORDINALS, start=1)
                   for word in words.split("|")}
_SPELLED_REGION = {"cervical": "C", "thoracic": "T", "dorsal": "T", "lumbar": "L", "sacral": "S"}


def _vertebra_index(region: str, number: int) -> int | None:
    if 1 <= number <= _REGION_SIZE[region]:
        return _FIRST_INDEX[region] + number - 1
    return None


def _resolve_tokens(pieces: Iterable[str]) -> list[int | None]:
    """Vertebra index per token, ``None`` for an invalid one (§4.2 step 3).

    A bare number continues the region of the token before it and must be
    larger than that token's number, valid or not.
    """
    indices: list[int | None] = []
    region, previous = "", 0
    for piece in pieces:
        letters, digits = _TOKEN.fullmatch(piece).groups()
        number = int(digits)
        if letters:
            region = letters[0].upper()
            indices.append(_vertebra_index(region, number))
        else:
            indices.append(_vertebra_index(region, number) if number > previous else None)
        previous = number
    return indices


def _pair_levels(first: int, second: int, *, range_reading: bool) -> list[str]:
    """The pair rule of §4.2 step 4 on two valid vertebrae."""
    upper, lower = sorted((first, second))
    if upper == lower:
        return [_vertebra_name(upper)]
    adjacent = lower - upper == 1
    if adjacent and not range_reading:
        return [_disc_name(upper)]
    if adjacent or _REGION_OF[upper] == _REGION_OF[lower]:
        return [_vertebra_name(index) for index in range(upper, lower + 1)]
    return [_vertebra_name(upper), _vertebra_name(lower)]


def _mention_levels(match: re.Match) -> list[str]:
    """Levels named by one scan match (§4.2 step 5)."""
    groups = match.groupdict()
    if groups["junction"]:
        return [_JUNCTION_LEVEL[groups["junction"].lower()]]
    if groups["ordinal"]:
        index = _vertebra_index(_SPELLED_REGION[groups["region"].lower()],
                                _ORDINAL_NUMBER[groups["ordinal"].lower()])
        return [] if index is None else [_vertebra_name(index)]
    if groups["start"]:
        start, end = _resolve_tokens([groups["start"], groups["end"]])
        if start is not None and end is not None:
            return _pair_levels(start, end, range_reading=True)
        # An invalid end leaves the start; an invalid start leaves the end
        # (the same "keep every valid token" reading as for chains).
        return [_vertebra_name(index) for index in (start, end) if index is not None]
    if groups["chain"]:
        tokens = _resolve_tokens(_SEPARATOR.split(groups["chain"]))
        levels: list[str] = []
        paired: set[int] = set()
        for position in range(len(tokens) - 1):
            first, second = tokens[position], tokens[position + 1]
            if first is not None and second is not None:
                levels.extend(_pair_levels(first, second, range_reading=False))
                paired.update((position, position + 1))
        levels.extend(_vertebra_name(index) for position, index in enumerate(tokens)
                      if index is not None and position not in paired)
        return levels
    (index,) = _resolve_tokens([groups["single"]])
    return [] if index is None else [_vertebra_name(index)]


def mask_mri_contexts(text: str) -> str:
    """Blank out MRI-sequence mentions, keeping every other character in place.

    >>> mask_mri_contexts("T2-weighted image at T2")
    '  -weighted image at T2'
    >>> mask_mri_contexts("on T1 and T2, L4")
    '            , L4'
    """
    return _MRI_CONTEXT.sub(lambda match: " " * len(match.group()), text)


def extract_levels(text: str) -> tuple[str, ...]:
    """The set of vertebral levels ``text`` names, in anatomical order.

    >>> extract_levels("L4/L5/S1 and C7-T1")
    ('C7/T1', 'L4/L5', 'L5/S1')
    >>> extract_levels("T11-L2, L5-6, second sacral vertebra")
    ('T11', 'L2', 'L5')
    >>> extract_levels("")
    ()
    """
    levels: list[str] = []
    for match in _LEVEL_MENTION.finditer(mask_mri_contexts(text)):
        levels.extend(_mention_levels(match))
    return sort_levels(levels)


# --------------------------------------------------------------------------
# §4.3 metrics


@dataclass(frozen=True)
class LevelMetrics:
    """Micro-averaged agreement of found levels with reference levels.

    Precision, recall and F1 are fractions in [0, 1], ``None`` when their
    denominator is 0; ``exact_match_rate`` is ``None`` without items.
    """

    n_items: int
    tp: int
    fp: int
    fn: int
    precision: float | None
    recall: float | None
    f1: float | None
    exact_match_rate: float | None


def level_metrics(pairs: Iterable[tuple[Collection[str], Collection[str]]]) -> LevelMetrics:
    """Micro counts over ``(found, reference)`` level sets, one pair per item.

    >>> level_metrics([({"L4/L5", "L5"}, {"L4/L5"}), (set(), {"C5"})])
    LevelMetrics(n_items=2, tp=1, fp=1, fn=1, precision=0.5, recall=0.5, f1=0.5, exact_match_rate=0.0)
    >>> level_metrics([(set(), set())])
    LevelMetrics(n_items=1, tp=0, fp=0, fn=0, precision=None, recall=None, f1=None, exact_match_rate=1.0)
    """
    n_items = tp = fp = fn = exact = 0
    for found, reference in pairs:
        found, reference = set(found), set(reference)
        n_items += 1
        tp += len(found & reference)
        fp += len(found - reference)
        fn += len(reference - found)
        exact += found == reference
    return LevelMetrics(
        n_items, tp, fp, fn,
        precision=tp / (tp + fp) if tp + fp else None,
        recall=tp / (tp + fn) if tp + fn else None,
        f1=2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else None,
        exact_match_rate=exact / n_items if n_items else None,
    )
