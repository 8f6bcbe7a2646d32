"""MCQ answer extraction (spinebench.md §2.1): every example row, precedence, more formats."""

import re

import pytest

from spinefairbench.spinebench.mcq import TIERS, McqExtraction, explicit_letters, extract_answer, normalise

OPTIONS = {"A": "Osteophytes", "B": "Disc space narrowing", "C": "Spondylolisthesis", "D": "Fracture"}


@pytest.mark.parametrize("response, extracted, status", [
    # The example table of §2.1, row by row.
    ("The answer is (B).", "B", "explicit"),
    ("**Answer:** C", "C", "explicit"),
    ("Final answer: Option D", "D", "explicit"),
    ("Answer: b", "B", "explicit"),
    ("(c)", "C", "explicit"),
    ("b.", "B", "explicit"),
    ("**B**", "B", "explicit"),
    ("B. Disc space narrowing", "B", "explicit"),
    ("B) ...", "B", "explicit"),
    ("A 45-year-old man with back pain.", None, "unparsed"),
    ("The answer is a fracture of L4.", "D", "option_text"),
    ("Option A and option B", None, "ambiguous"),
    ("The answer is E.", None, "unparsed"),
    ("Spondylolisthesis or fracture", None, "unparsed"),
])
def test_spec_example_table(response, extracted, status):
    result = extract_answer(response, OPTIONS)
    assert (result.extracted, result.status) == (extracted, status)


@pytest.mark.parametrize("response, extracted", [
    ("the answer is: **C**", "C"),
    ("The answer is option b", "B"),
    ("ANSWER IS [d]", "D"),
    ("Answer**:** A", "A"),
    ("answer:\n**c**", "C"),
    ("The correct option is C", "C"),
    ("the correct choice is: (d)", "D"),
    ("Correct option is D.", "D"),
    ("[C]", "C"),
    ("**B.**", "B"),
    ("** c ) **", "C"),
    ('"B"', "B"),
    ("'d'!", "D"),
    ("b!", "B"),
    ("C:", "C"),
    ("  D  ", "D"),
    ("( a )", "A"),
    ("C: Spondylolisthesis", "C"),
    ("I would pick option C here.", "C"),
    ("Choice d", "D"),
    ("Answer: a\nbecause of the osteophytes", "A"),
])
def test_more_explicit_formats(response, extracted):
    assert extract_answer(response, OPTIONS) == McqExtraction(extracted, "explicit")


def test_earlier_tier_decides():
    # Tier 1 finds B, so the tier-3 mention of option A is never consulted.
    assert extract_answer("The answer is B, not option A", OPTIONS).extracted == "B"
    # Tier 2 ("A." at the start) beats the tier-3 mention.
    assert extract_answer("A. Not option C", OPTIONS).status == "explicit"
    assert extract_answer("A. Not option C", OPTIONS).extracted == "A"


def test_two_letters_in_one_tier_are_ambiguous():
    assert extract_answer("Answer: A. Final answer: B", OPTIONS).status == "ambiguous"
    # Repeating the same letter is not ambiguous.
    assert extract_answer("Answer: B. The answer is (B).", OPTIONS).status == "explicit"


def test_letters_outside_options_are_ignored():
    two = {"A": "Yes", "B": "No"}
    assert extract_answer("Option C", two).status == "unparsed"
    # The invalid tier-1 letter falls through to the valid tier-3 one.
    assert explicit_letters("The answer is E, so option B", two) == ["B"]


def test_lower_case_letter_needs_end_of_line():
    assert extract_answer("answer: a fracture", OPTIONS).extracted == "D"  # prose, then option text
    assert extract_answer("answer: a fracture", OPTIONS).status == "option_text"
    assert extract_answer("answer: a \t.", OPTIONS).extracted == "A"


def test_bare_upper_case_letter_needs_punctuation_at_the_start():
    assert extract_answer("B is right", OPTIONS).status == "unparsed"
    assert extract_answer("B: right", OPTIONS).extracted == "B"


def test_option_text_matching_is_whole_word_and_normalised():
    assert extract_answer("disc-space   NARROWING!", OPTIONS).extracted == "B"
    assert extract_answer("Fractures everywhere", OPTIONS).status == "unparsed"
    nested = {"A": "Fracture", "B": "Burst fracture"}
    # "fracture" nested in "burst fracture" also occurs: two options, unparsed.
    assert extract_answer("burst fracture", nested).status == "unparsed"
    assert extract_answer("simple fracture", nested).extracted == "A"


def test_option_text_with_chinese_and_empty_normalisation():
    options = {"A": "脊髓型颈椎病", "B": "颈椎骨折", "C": "--"}
    assert extract_answer("最可能是：脊髓型颈椎病。", options).extracted == "A"
    # Chinese text has no spaces, so an option glued to other words does not occur.
    assert extract_answer("答案是脊髓型颈椎病", options).status == "unparsed"
    # An option whose normalised text is empty never occurs.
    assert extract_answer("--", options).status == "unparsed"


def test_empty_and_whitespace_responses_are_unparsed():
    assert extract_answer("", OPTIONS).status == "unparsed"
    assert extract_answer(" \n\t", OPTIONS).status == "unparsed"


def test_normalise():
    assert normalise("Hello_World--L4/L5") == "hello world l4 l5"
    assert normalise("ÉCOLE") == "école"


def test_tier_layout_matches_the_spec():
    assert [len(tier) for tier in TIERS] == [3, 2, 1]
    assert not any(pattern.flags & re.IGNORECASE for tier in TIERS for pattern in tier)
