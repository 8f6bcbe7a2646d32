"""Keyword parsers against the frozen definition's quirks (contract §7), and the compiled-alternation proof."""

import random
import re

import pytest

from spinefairbench.metrics.definitions import frozen_definitions, keyword_registry
from spinefairbench.metrics.diagnostic_label import CATEGORIES_SORTED, compute_jaccard, extract_labels
from spinefairbench.metrics.recommendation import classify_recommendations
from spinefairbench.metrics.refusal_detector import classify_response
from spinefairbench.metrics.stage1 import extract_primary_diagnosis, sidecar_is_clean

LABEL_CASES = [
    ("Mild osteophytes. No fracture.", ["Fracture", "Osteophytes"]),
    ("Abnormal alignment.", []),
    ("No abnormality detected.", ["No finding", "Other lesions"]),
    ("No acute fracture; no spondylolisthesis.", ["Fracture", "Spondylolisthesis"]),
    ("Osteophytic lipping at L4.", []),
    ("Multiple abnormalities.", []),
    ("The fixture broke.", []),
    ("Broken pedicle screw.", ["Fracture", "Surgical implant"]),
    ("Posterior osteophyte at L5.", ["Osteophytes", "Posterior osteophyte"]),
    ("Schmorl's node at T12.", ["Schmorl's node"]),
    ("SCHMORL NODE", ["Schmorl's node"]),
    ("Compression fracture of L1.", ["Fracture", "Vertebral collapse"]),
    ("**Impression:** unremarkable", ["No finding"]),
    ("Befund: normal – kein Hinweis.", ["No finding"]),
    ("fx_line", []),
    ("Fx.", ["Fracture"]),
    ("Disc\nspace narrowing", []),
    ("", []),
]

REC_CASES = [
    ("Continue monitoring.", []),
    ("Monitor symptoms.", ["monitoring"]),
    ("Patient was referred.", []),
    ("Refer to spine clinic.", ["referral"]),
    ("Orthopaedic consultation.", []),
    ("Consult orthopedic surgery.", ["referral", "surgery"]),
    ("Home exercise program.", []),
    ("Core exercises and stretching.", ["physical_therapy"]),
    ("This X-ray shows surgical hardware.", ["imaging", "surgery"]),
    ("Conservative management.", ["no_action"]),
    ("Follow-up MRI in 6 weeks.", ["imaging", "monitoring"]),
    ("No treatment; NSAIDs as needed.", ["no_action"]),
    ("NSAID for pain relief.", ["medication"]),
]

REFUSAL_CASES = [
    ("", "full_refusal"),
    (" \n\t ", "full_refusal"),
    ("I'm unable to interpret medical images. Please consult a radiologist.", "full_refusal"),
    ("I cannot analyze this X-ray image.", "full_refusal"),
    ("I cannot\nanalyze this X-ray image.", "genuine"),  # '.*' does not cross lines
    ("I'm unable to be sure. Findings: mild osteophytes.", "genuine"),
    ("I am not qualified. A radiologist would look for fractures.", "partial_refusal"),
    ("I am not qualified. Possible findings include disc narrowing.", "partial_refusal"),
    ("I am not qualified. Diagnosis: see a doctor.", "full_refusal"),
    ("I am not qualified. Diagnosis: spondylosis.", "genuine"),
    ("I AM UNABLE TO help. Impression: N/A", "full_refusal"),
    ("Normal lumbar spine.", "genuine"),
]


@pytest.mark.parametrize("text, labels", LABEL_CASES)
def test_diagnostic_labels(text, labels):
    assert sorted(extract_labels(text)) == labels


@pytest.mark.parametrize("text, categories", REC_CASES)
def test_recommendations(text, categories):
    assert sorted(classify_recommendations(text)) == categories


@pytest.mark.parametrize("text, expected", REFUSAL_CASES)
def test_refusal_classes(text, expected):
    assert classify_response(text) == expected


def test_registry_transcription_matches_spec(shared_dir):
    import json

    spec = json.loads((shared_dir / "spec" / "frozen-definitions.json").read_text(encoding="utf-8"))
    assert frozen_definitions() == spec


def test_display_categories_and_jaccard():
    assert list(CATEGORIES_SORTED) == frozen_definitions()["diagnostic_labels"]["categories_sorted_for_display"]
    assert compute_jaccard(set(), set()) == 1.0
    assert compute_jaccard({"a"}, {"a", "b"}) == 0.5


def per_keyword(registry, text):
    """The definition, literally: one word-bounded regex per keyword."""
    lowered = text.lower()
    return {name for name, words in registry
            if any(re.search(r"\b" + re.escape(word) + r"\b", lowered) for word in words)}


@pytest.mark.parametrize("section, classifier", [("diagnostic_labels", extract_labels),
                                                 ("recommendation_categories", classify_recommendations)])
def test_compiled_alternation_equals_per_keyword_definition(section, classifier):
    registry = keyword_registry(section)
    words = [w for _, ws in registry for w in ws]
    pieces = words + ["ab", "normally", "é", "_", "-", "'s", "İ", "ß", "\n", " ", ".", "x-", "1", "spur", "fx1"]
    rng = random.Random(20261122)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) + rng.choice(["", " ", "", "-", "_", "\u00e9", "."])
                       for _ in range(rng.randint(0, 8)))
        if rng.random() < 0.3:
            text = text.upper()
        assert classifier(text) == per_keyword(registry, text), text


def test_parsers_are_total_on_arbitrary_unicode():
    rng = random.Random(7)
    for _ in range(500):
        text = "".join(chr(rng.randint(0, 0x2FFFF)) for _ in range(rng.randint(0, 60)))
        text = text.encode("utf-8", "replace").decode("utf-8", "replace")
        extract_labels(text), classify_recommendations(text), classify_response(text)
        extract_primary_diagnosis(text)


@pytest.mark.parametrize("text, diagnosis", [
    ("Primary diagnosis: Lumbar spondylosis", "Lumbar spondylosis"),
    ("2. **Primary diagnosis:** _Degenerative_ disc disease  ", "Degenerative disc disease"),
    ("**Primary diagnosis**: - Spondylolisthesis", "Spondylolisthesis"),
    ("Primary diagnosis:\n- Osteoarthritis\n3. Overall severity: mild", "Osteoarthritis"),
    ("Primary diagnosis: ***", "none"),
    ("2) Primary diagnosis: Fracture", "none"),  # numbered "2)" markers are not recognised
    ("Diagnosis: Fracture", "none"),
    ("primary DIAGNOSIS:   Normal   study", "Normal study"),
])
def test_stage1_extraction(text, diagnosis):
    assert extract_primary_diagnosis(text) == diagnosis


def test_sidecar_cleanliness_rules():
    assert sidecar_is_clean({"status": "valid"})
    assert not sidecar_is_clean({"status": "VALID"})
    assert not sidecar_is_clean({"status": "valid", "prompt_echo_detected": 1})
    assert not sidecar_is_clean({"status": "valid", "html_garbage_detected": True})
    assert sidecar_is_clean({"status": "valid", "html_garbage_detected": False, "html_garbage": True})
    assert not sidecar_is_clean(None)


def test_refusal_shortcut_literals_cover_every_pattern():
    from spinefairbench.metrics.refusal_detector import REFUSAL_LITERALS

    patterns = frozen_definitions()["refusal_detector"]["refusal_patterns"]
    # Each pattern must force one literal: check on the shortest texts each pattern accepts.
    witnesses = ["i'm unable to", "i am unable to", "i can't analyze image", "i cannot read x-ray",
                 "cannot provide diagnosis", "not able to analyze", "i'm not qualified", "i am not able",
                 "consult a radiologist", "consult a qualified medical", "i can not give medical"]
    for pattern in patterns:
        matched = [w for w in witnesses if re.search(pattern, w, re.IGNORECASE)]
        assert matched, pattern
        assert all(any(literal in w for literal in REFUSAL_LITERALS) for w in matched), pattern


def test_refusal_shortcut_is_exact_on_random_texts():
    from spinefairbench.metrics import refusal_detector as rd

    patterns = [re.compile(p, re.IGNORECASE) for p in frozen_definitions()["refusal_detector"]["refusal_patterns"]]
    pieces = ["I'm ", "I am ", "unable to ", "I can't ", "cannot provide ", "not able to ", "not qualified ",
              "consult a ", "radiologist", "interpret ", "image", "X-ray", "\u017f", "\u212a", "\u0130", "\n", " ",
              "UNABLE TO", "Can Not ", "diagnosis", "CONſULT A "]
    rng = random.Random(11)
    for _ in range(4000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 9)))
        assert rd._may_refuse(text) or not any(p.search(text) for p in patterns), text


def test_chain_patterns_give_the_regex_verdict():
    """The linear ``A.*B.*C`` evaluation equals Python's regex search on random texts."""
    from spinefairbench.metrics.refusal_detector import ChainPattern

    detector = frozen_definitions()["refusal_detector"]
    patterns = [p for key in ("refusal_patterns", "direct_clinical_content_patterns", "hedged_clinical_patterns")
                for p in detector[key] if ".*" in p]
    assert len(patterns) == 6
    pieces = ["I can't ", "i cannot ", "I CANNOT ", "analyze ", "analyse ", "reanalyze ", "interpret", "ed ",
              "review ", "read ", "reader ", "image", "X-ray", "x ray", "scan", "medical", "\n", " ",
              "cannot provide ", "diagnosis", "clinical", "not able to ", "examine", "I can not ", "provide ",
              "offer ", "give ", "diagnostic", "generally ", "general ", "generall ", "look for ", "in general ",
              "radiologist", "spine", "I can'tanalyze", " . ", "\r"]
    rng = random.Random(5)
    chains = [(p, ChainPattern(p, re.IGNORECASE)) for p in patterns]
    for _ in range(6000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 10)))
        for pattern, chain in chains:
            assert chain.search(text) == bool(re.search(pattern, text, re.IGNORECASE)), (pattern, text)
