"""SpineBench scores (spinebench.md §3): formulas, coverage rules, breakdowns, the stratified bootstrap."""

import pytest

from spinefairbench.errors import SpineFairBenchError
from spinefairbench.spinebench.io import Item, ItemBank, Judgement, Predictions
from spinefairbench.spinebench.scoring import (Interval, accuracy_score, closed_qa_score, component_weights,
                                               judgement_score, mean_report_score, score_document,
                                               score_predictions, score_summary, stratified_bootstrap,
                                               total_score)
from spinefairbench.stats.summation import pairwise_sum

# Sections of different sizes: one dimension, then three.
RUBRIC = (("findings", ("imaging",)), ("plan", ("treatment", "risk", "follow_up")))
OPTIONS = {"A": "Osteophytes", "B": "Fracture", "C": "Disc space narrowing"}


def mcq(item_id, modality="text", *, answer="A", **fields):
    return Item(item_id, "mcq", modality=modality, question="q?", options=OPTIONS, answer=answer,
                image="x.png" if modality == "image" else None, **fields)


def report(item_id, reference=None):
    return Item(item_id, "report", prompt="Write the report.", reference_levels=reference)


def bank_of(*items):
    return ItemBank("bank.json", "test bank", True, RUBRIC, tuple(items))


def predictions(responses, name="m"):
    return Predictions("pred.json", {"name": name, "extra": [1, 2]}, dict(responses))


def judged(item_id, imaging, plan, *, model="m", judge="llm:a"):
    return Judgement(item_id, model, judge, ((imaging,), tuple(plan)))


# --------------------------------------------------------------------------
# Formulas on hand-computed cases


def test_judgement_score_averages_sections_of_different_sizes():
    # Section means 5 and (1+2+3)/3 = 2: 20 * (7 / 2) = 70.
    assert judgement_score(((5,), (1, 2, 3))) == 70.0
    # The seed's literal formula (a sum over sections) would give 20 * 7 = 140, beyond 0..100.
    assert 20 * (5 + 2) == 140
    assert judgement_score(((1,), (1, 1, 1))) == 20.0 and judgement_score(((5,), (5, 5, 5))) == 100.0


def test_mcq_accuracy_divides_first():
    assert accuracy_score(1, 3) == 100.0 * (1 / 3) == 33.33333333333333
    assert (100.0 * 1) / 3 == 33.333333333333336  # the other order differs in the last bit


def test_p3_is_numpy_pairwise_mean():
    scores = [20.0 + 7.1 * index for index in range(11)]
    assert mean_report_score(scores) == pairwise_sum(scores) / 11
    np = pytest.importorskip("numpy")
    assert mean_report_score(scores) == float(np.mean(np.array(scores)))


def test_closed_qa_and_total_with_one_modality_missing():
    assert closed_qa_score(4, 75.0, 0, None) == 75.0
    assert closed_qa_score(0, None, 2, 50.0) == 50.0
    assert component_weights((4, 0, 2)) == (4 / 6, 0.0, 2 / 6)
    assert total_score((4, 0, 2), (75.0, None, 60.0)) == 4 / 6 * 75.0 + 2 / 6 * 60.0


def hand_case():
    bank = bank_of(mcq("t1"), mcq("t2"), mcq("t3", answer="C"), mcq("i1", "image", answer="B"),
                   report("r1", ["L4/L5"]), report("r2"))
    preds = predictions({"t1": "Answer: A", "t2": "B.", "t3": "disc-space narrowing", "i1": "(b)",
                         "r1": "Disc bulge at L4-5 and L5-S1.", "r2": "Normal study."})
    judgements = [
        judged("r1", 5, (1, 2, 3)),                       # 70
        judged("r1", 3, (3, 3, 4), judge="llm:b"),        # 20 * ((3 + 10/3) / 2) = 63.33...
        judged("r2", 4, (4, 4, 4)),                       # 80
        judged("r2", 1, (1, 1, 1), judge="human:x"),      # other kind: ignored
        judged("r2", 1, (1, 1, 1), model="other"),        # other model: ignored
    ]
    return bank, preds, judgements


def test_hand_computed_scores():
    bank, preds, judgements = hand_case()
    result = score_predictions(bank, preds, judgements, iterations=50)
    assert (result.text_mcq.n, result.text_mcq.correct) == (3, 2)
    assert result.text_mcq.score == 100.0 * (2 / 3)
    assert dict(result.text_mcq.status_counts) == {"explicit": 2, "option_text": 1, "ambiguous": 0,
                                                   "unparsed": 0}
    assert result.image_mcq.score == 100.0
    r1 = (70.0 + judgement_score(((3,), (3, 3, 4)))) / 2
    assert r1 == pytest.approx(200 / 3)
    assert result.report.score == (r1 + 80.0) / 2 == pytest.approx(220 / 3)
    assert result.report.n_judgements == 3
    p1, p2, p3 = result.text_mcq.score, result.image_mcq.score, result.report.score
    assert result.closed_qa.score == (3 * p1 + 1 * p2) / 4 == 75.0
    assert dict(result.total.weights) == {"text_mcq": 3 / 6, "image_mcq": 1 / 6, "report": 2 / 6}
    assert result.total.score == 3 / 6 * p1 + 1 / 6 * p2 + 2 / 6 * p3
    assert result.total.score == pytest.approx((200 + 100 + 2 * 220 / 3) / 6)
    assert result.coverage.complete and not result.warnings


def test_records_breakdowns_and_level_metrics():
    bank = bank_of(mcq("t1", subfield="trauma", language="en", levels=("L1",)),
                   mcq("t2", subfield="trauma", language="zh", levels=()),
                   mcq("i1", "image", subfield="deformity"),
                   report("r1", ("L4/L5",)), report("r2", ()), report("r3"))
    preds = predictions({"t1": "A", "t2": "Option B or option C", "i1": "nothing useful",
                         "r1": "L4-5 and T2-weighted L5", "r2": "none", "r3": "C5-6"})
    judgements = [judged(item, 3, (3, 3, 3)) for item in ("r1", "r2", "r3")]
    result = score_predictions(bank, preds, judgements, iterations=20)
    doc = score_document(result, "2026-01-01T00:00:00+00:00")
    breakdowns = doc["breakdowns"]
    assert breakdowns["subfield"] == {"deformity": {"n": 1, "correct": 0, "accuracy": 0.0},
                                      "trauma": {"n": 2, "correct": 1, "accuracy": 50.0}}
    assert breakdowns["language"] == {"en": {"n": 1, "correct": 1, "accuracy": 100.0},
                                      "unspecified": {"n": 1, "correct": 0, "accuracy": 0.0},
                                      "zh": {"n": 1, "correct": 0, "accuracy": 0.0}}
    assert breakdowns["levels"] == {"tagged": {"n": 1, "correct": 1, "accuracy": 100.0},
                                    "untagged": {"n": 2, "correct": 0, "accuracy": 0.0}}
    records = {record["item_id"]: record for record in doc["items"]}
    assert records["t1"] == {"item_id": "t1", "kind": "mcq", "modality": "text", "answer": "A",
                             "extracted": "A", "status": "explicit", "correct": True, "subfield": "trauma",
                             "language": "en", "levels": ["L1"]}
    assert records["t2"]["status"] == "ambiguous" and records["t2"]["correct"] is False
    assert records["i1"]["levels"] is None and records["i1"]["status"] == "unparsed"
    assert records["r1"] == {"item_id": "r1", "kind": "report", "status": "scored", "item_score": 60.0,
                             "n_judgements": 1, "judgement_scores": [60.0], "levels_found": ["L4/L5", "L5"],
                             "reference_levels": ["L4/L5"], "level_exact_match": False}
    assert records["r2"]["level_exact_match"] is True
    assert records["r3"]["reference_levels"] is None and records["r3"]["level_exact_match"] is None
    # r1: tp 1, fp 1; r2: exact empty; r3 has no reference_levels and takes no part.
    assert doc["level_metrics"] == {"n_items": 2, "tp": 1, "fp": 1, "fn": 0, "precision": 0.5,
                                    "recall": 1.0, "f1": 2 / 3, "exact_match_rate": 0.5}
    assert doc["components"]["text_mcq"]["parse_rate"] == 0.5


def test_empty_level_buckets_have_null_accuracy():
    result = score_predictions(bank_of(mcq("t1")), predictions({"t1": "A"}), iterations=5)
    doc = score_document(result, "now")
    assert doc["breakdowns"]["levels"]["tagged"] == {"n": 0, "correct": 0, "accuracy": None}
    assert doc["components"]["image_mcq"] == {
        "n": 0, "correct": 0, "score": None, "ci95": None, "parse_rate": None,
        "status_counts": {"explicit": 0, "option_text": 0, "ambiguous": 0, "unparsed": 0}}
    assert doc["components"]["report"] == {"n": 0, "score": None, "ci95": None, "n_judgements": 0}
    assert doc["total"]["weights"] == {"text_mcq": 1.0, "image_mcq": 0.0, "report": 0.0}
    assert doc["total"]["score"] == doc["closed_qa"]["score"] == 100.0
    assert score_summary(result)[4:6] == ["P2 image MCQ: n/a", "P3 report (llm judge): n/a"]


def test_missing_responses_error_and_partial():
    bank = bank_of(*(mcq(f"t{index:02d}") for index in range(12)), report("r1"))
    preds = predictions({"t00": "A"})
    with pytest.raises(SpineFairBenchError) as caught:
        score_predictions(bank, preds)
    assert str(caught.value) == ("missing responses for 12 item(s): t01, t02, t03, t04, t05, t06, t07, t08, "
                                 "t09, t10")
    result = score_predictions(bank, preds, allow_partial=True, iterations=5)
    assert result.warnings == ("Partial predictions: 12 item(s) without a response.",)
    assert result.text_mcq.n == 1 and result.report.n == 0
    doc = score_document(result, "now")
    assert doc["coverage"] == {"expected_items": 13, "responded_items": 1, "missing_items": 12,
                               "unjudged_report_items": 0, "complete": False, "comparable": False}
    missing = [record for record in doc["items"] if record["item_id"] == "t05"][0]
    assert (missing["status"], missing["extracted"], missing["correct"]) == ("missing", None, None)
    missing_report = doc["items"][-1]
    assert missing_report["status"] == "missing" and missing_report["levels_found"] is None
    assert missing_report["n_judgements"] is None and missing_report["item_score"] is None


def test_unjudged_report_items():
    bank = bank_of(mcq("t1"), report("r1"), report("r2"))
    preds = predictions({"t1": "A", "r1": "L4", "r2": "L5"})
    judgements = [judged("r1", 3, (3, 3, 3), judge="human:x"), judged("r2", 3, (3, 3, 3))]
    with pytest.raises(SpineFairBenchError) as caught:
        score_predictions(bank, preds, judgements)
    assert str(caught.value) == "no llm judgement for report item(s): r1"
    with pytest.raises(SpineFairBenchError) as caught:
        score_predictions(bank, preds, judgements, judge_kind="human")
    assert str(caught.value) == "no human judgement for report item(s): r2"
    result = score_predictions(bank, preds, judgements, allow_partial=True, iterations=5)
    assert result.warnings == ("Unjudged report items: 1 item(s) without a llm judgement.",)
    record = score_document(result, "now")["items"][1]
    assert record["status"] == "unjudged" and record["n_judgements"] == 0 and record["levels_found"] == ["L4"]
    assert not result.coverage.complete


def test_no_items_scored():
    bank = bank_of(mcq("t1"), report("r1"))
    with pytest.raises(SpineFairBenchError) as caught:
        score_predictions(bank, predictions({"r1": "x"}), allow_partial=True)
    assert str(caught.value) == "no items scored"


def test_document_and_summary_shape():
    bank, preds, judgements = hand_case()
    result = score_predictions(bank, preds, judgements, iterations=200, seed=7)
    doc = score_document(result, "2026-05-06T12:34:56+00:00")
    assert sorted(doc) == ["breakdowns", "closed_qa", "components", "coverage", "item_bank", "items",
                           "judge_kind", "level_metrics", "model", "schema_version", "scored_at_utc",
                           "scoring_config", "total", "warnings"]
    assert doc["model"] == {"name": "m", "extra": [1, 2]}
    assert doc["item_bank"] == {"name": "test bank", "synthetic": True, "n_items": 6, "n_text_mcq": 3,
                                "n_image_mcq": 1, "n_report": 2}
    assert doc["scoring_config"] == {"bootstrap": "stratified_percentile_numpy_pcg64",
                                     "bootstrap_iterations": 200, "bootstrap_seed": 7,
                                     "component_order": ["text_mcq", "image_mcq", "report"]}
    assert doc["closed_qa"]["n"] == 4 and doc["total"]["n"] == 6
    lines = score_summary(result)
    assert lines[:3] == ["SpineBench scoring: OK", "Model: m", "Items scored: text 3, image 1, report 2"]
    ci = result.text_mcq.ci95
    assert lines[3] == f"P1 text MCQ: 66.67 [{ci.lower:.2f}, {ci.upper:.2f}] parse rate 1.000"
    assert lines[5].startswith("P3 report (llm judge): 73.33 [")
    assert lines[6].startswith("Closed-QA average: 75.00 [")
    assert lines[7].startswith("Total: ") and len(lines) == 8


# --------------------------------------------------------------------------
# Stratified bootstrap


def numpy_stratified_bootstrap(np, text, image, report_scores, iterations, seed):
    """An independent NumPy implementation of §3.4."""
    rng = np.random.default_rng(seed)
    counts = (len(text), len(image), len(report_scores))
    series = []
    for values, is_mcq in ((text, True), (image, True), (report_scores, False)):
        n = len(values)
        if n == 0:
            series.append(None)
            continue
        drawn = np.asarray(values, dtype=np.float64)[rng.integers(0, n, size=(iterations, n))]
        series.append(100.0 * (drawn.sum(axis=1) / n) if is_mcq else drawn.sum(axis=1) / n)
    t, i, r = series
    if t is not None and i is not None:
        closed = (counts[0] * t + counts[1] * i) / (counts[0] + counts[1])
    else:
        closed = t if t is not None else i
    total = None
    for count, values in zip(counts, series):
        if count:
            term = (count / sum(counts)) * values
            total = term if total is None else total + term

    def interval(values):
        return None if values is None else tuple(float(v) for v in np.percentile(values, [2.5, 97.5]))

    return [interval(values) for values in (t, i, r, closed, total)]


@pytest.mark.parametrize("sizes, iterations, seed", [
    ((7, 5, 9), 200, 42),
    ((1, 3, 1), 257, 0),       # N = 1 components draw nothing
    ((0, 4, 10), 200, 12345),  # a missing component draws nothing
    ((13, 0, 0), 1, 42),       # one replicate
    ((0, 0, 130), 64, 5),      # report rows longer than 128: nested pairwise sums
])
def test_bootstrap_matches_numpy(sizes, iterations, seed):
    np = pytest.importorskip("numpy")
    n_text, n_image, n_report = sizes
    text = [(index * 7) % 3 != 0 for index in range(n_text)]
    image = [(index * 5) % 4 == 1 for index in range(n_image)]
    report_scores = [20.0 + (index * 37 % 81) * 80.0 / 81 + 0.1 * (index % 3) for index in range(n_report)]
    ours = stratified_bootstrap(text, image, report_scores, iterations=iterations, seed=seed)
    expected = numpy_stratified_bootstrap(np, text, image, report_scores, iterations, seed)
    got = [None if interval is None else (interval.lower, interval.upper)
           for interval in (ours.text_mcq, ours.image_mcq, ours.report, ours.closed_qa, ours.total)]
    assert got == expected


def test_bootstrap_is_deterministic_and_seed_dependent():
    scores = [20.0 + 3.7 * index for index in range(9)]
    first = stratified_bootstrap([], [], scores, iterations=100, seed=3)
    assert first == stratified_bootstrap([], [], scores, iterations=100, seed=3)
    assert first != stratified_bootstrap([], [], scores, iterations=100, seed=4)
    assert first.text_mcq is None and first.image_mcq is None and first.closed_qa is None
    assert first.total == first.report


def test_single_item_components_have_point_intervals():
    result = stratified_bootstrap([True], [False], [55.0], iterations=10, seed=1)
    assert result.text_mcq == Interval(100.0, 100.0) and result.image_mcq == Interval(0.0, 0.0)
    assert result.report == Interval(55.0, 55.0) and result.closed_qa == Interval(50.0, 50.0)
