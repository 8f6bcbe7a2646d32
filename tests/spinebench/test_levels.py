"""Vertebral-level extraction (spinebench.md §4): the grammar table, non-level contexts, metrics."""

import pytest

from spinefairbench.spinebench.levels import (CANONICAL_LEVELS, VERTEBRAE, LevelMetrics, extract_levels,
                                              is_canonical_level, level_metrics, mask_mri_contexts,
                                              sort_levels)


@pytest.mark.parametrize("text, levels", [
    # §4.2 table, row by row (every spelling in a row).
    ("L4", ["L4"]), ("L 4", ["L4"]), ("l4", ["L4"]), ("(L4)", ["L4"]),
    ("Th12", ["T12"]), ("T12", ["T12"]),
    ("L4/L5", ["L4/L5"]), ("L4-L5", ["L4/L5"]), ("L4\u2013L5", ["L4/L5"]), ("L4 - L5", ["L4/L5"]),
    ("L4/ L5", ["L4/L5"]), ("L5-L4", ["L4/L5"]),
    ("L4-5", ["L4/L5"]), ("L4/5", ["L4/L5"]), ("L4\u20135", ["L4/L5"]),
    ("C7-T1", ["C7/T1"]), ("T12-L1", ["T12/L1"]), ("L5-S1", ["L5/S1"]),
    ("L2-L4", ["L2", "L3", "L4"]), ("L2/L4", ["L2", "L3", "L4"]), ("L2-4", ["L2", "L3", "L4"]),
    ("L2 to L4", ["L2", "L3", "L4"]), ("L2 thru 4", ["L2", "L3", "L4"]),
    ("L4 to L5", ["L4", "L5"]),
    ("T11-L2", ["T11", "L2"]),
    ("L4/L5/S1", ["L4/L5", "L5/S1"]), ("L3-4-5", ["L3/L4", "L4/L5"]),
    ("L4 L5", ["L4", "L5"]), ("L4, L5", ["L4", "L5"]), ("L4 and L5", ["L4", "L5"]), ("L4,5", ["L4"]),
    ("L4-L4", ["L4"]),
    ("L5-6", ["L5"]), ("S1-S2", ["S1"]),
    ("fourth lumbar vertebra", ["L4"]), ("the fifth lumbar vertebral body", ["L5"]),
    ("first sacral segment", ["S1"]),
    ("lumbosacral junction", ["L5/S1"]), ("thoracolumbar junction", ["T12/L1"]),
    ("cervicothoracic junction", ["C7/T1"]),
])
def test_grammar_table(text, levels):
    assert extract_levels(text) == tuple(levels)
    assert extract_levels(text.upper()) == tuple(levels)  # "any case"


@pytest.mark.parametrize("text", [
    # MRI sequence mentions masked in step 1.
    "T2-weighted", "T1 weighted", "T2 W", "T1 WI", "T2 signal", "T2 hyperintense", "T1 images",
    "T2 sequence", "T2 FLAIR", "T2 STIR", "T1/T2-weighted", "T1 and T2 hyperintense", "on T2",
    "on T1 and T2", "T1 hypointensity", "T2-hyperintensity", "T1, T2 sequences", "T2 or T1 image",
    # Tokens glued to letters or digits.
    "T2W", "T1WI", "sL4", "L4s", "L45", "T12L1", "Class1",
    # Out-of-range numbers.
    "C0", "C8", "T13", "L6", "S2", "S3", "Co1", "second sacral vertebra", "sixth lumbar vertebra",
    "thirteenth thoracic vertebra",
])
def test_non_level_contexts(text):
    assert extract_levels(text) == ()


@pytest.mark.parametrize("text, levels", [
    ("L4-5mm", ["L4"]),  # the chain cannot end in a letter, so SINGLE applies
    ("C6 radiculopathy", ["C6"]),  # dermatome and root names count
    ("L5 nerve root", ["L5"]),
    ("T2 was fractured", ["T2"]),  # "was" is not an MRI context
    ("T2-weighted images show a disc extrusion at L4-5", ["L4/L5"]),
    ("on T12 there is a fracture", ["T12"]),  # "on" masks only T1/T2, never T12
    ("C7-1", ["C7"]),  # a bare number must be larger than the token before it
    ("L2 to L6", ["L2"]),  # invalid end keeps the start
    ("T12 to L1", ["T12", "L1"]),
    ("T11 through L2", ["T11", "L2"]),
    ("C5-C7", ["C5", "C6", "C7"]),
    ("L4\u2212L5 and L5\u2010S1", ["L4/L5", "L5/S1"]),  # minus sign, Unicode hyphen
    ("L4-L6-L5", ["L4", "L5"]),  # an invalid token breaks the chain
    ("3rd cervical level, 12th dorsal vertebrae", ["C3", "T12"]),
    ("eleventh thoracic vertebral bodies", ["T11"]),
    ("levels L5/S1, L4/L5 and again L4-5", ["L4/L5", "L5/S1"]),
])
def test_more_contexts(text, levels):
    assert extract_levels(text) == tuple(levels)


def test_masking_keeps_positions():
    text = "T1/T2-weighted at L4, on T1 and T2 at L5"
    masked = mask_mri_contexts(text)
    assert len(masked) == len(text)
    assert masked.index("L4") == text.index("L4") and masked.index("L5") == text.index("L5")
    assert "T1" not in masked and "T2" not in masked


def test_canonical_forms_and_order():
    assert len(VERTEBRAE) == 25 and len(CANONICAL_LEVELS) == 49
    assert CANONICAL_LEVELS[:3] == ("C1", "C1/C2", "C2")
    assert "C7/T1" in CANONICAL_LEVELS and "T12/L1" in CANONICAL_LEVELS and CANONICAL_LEVELS[-1] == "S1"
    for good in ("L4/L5", "C7/T1", "T12/L1", "L5/S1", "S1", "T10"):
        assert is_canonical_level(good)
    for bad in ("L4-L5", "L5/L4", "L4/L6", "l4", "L 4", "S2", "T12/T13", "", "L4/5", "Th12"):
        assert not is_canonical_level(bad)
    assert sort_levels(["S1", "T12/L1", "C2", "L5", "L4/L5"]) == ("C2", "T12/L1", "L4/L5", "L5", "S1")


def test_level_metrics_micro_counts():
    metrics = level_metrics([
        ({"L4/L5", "L5"}, {"L4/L5"}),       # tp 1, fp 1
        ({"L5/S1"}, {"L4/L5", "L5/S1"}),     # tp 1, fn 1
        (set(), set()),                       # exact, contributes nothing
    ])
    assert metrics == LevelMetrics(n_items=3, tp=2, fp=1, fn=1, precision=2 / 3, recall=2 / 3,
                                   f1=4 / 6, exact_match_rate=1 / 3)


def test_level_metrics_null_rules():
    assert level_metrics([]) == LevelMetrics(0, 0, 0, 0, None, None, None, None)
    only_fp = level_metrics([({"L4"}, set())])
    assert (only_fp.precision, only_fp.recall, only_fp.f1) == (0.0, None, 0.0)
