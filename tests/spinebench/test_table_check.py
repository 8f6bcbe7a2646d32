"""Published-table consistency (spinebench.md §6) with exact rational arithmetic."""

from fractions import Fraction

import pytest

from spinefairbench.errors import SpineFairBenchError
from spinefairbench.spinebench.table_check import (check_table, parse_table, resolve_sizes, rounding_tolerance,
                                                   table_check_document, table_check_summary)

WORKED = "model,closed_qa,report,total\nok-model,80.00,60.00,76.97\nslip-model,80.00,60.00,70.00\n"


def run(text, **sizes):
    return check_table(parse_table(text, "t.csv"), resolve_sizes(**sizes))


def test_worked_example():
    result = run(WORKED)
    ok, slip = result.rows
    (check,) = ok.checks
    assert check.status == "ok"
    assert check.recomputed == Fraction(80 * 487 + 60 * 87, 574)
    assert f"{float(check.recomputed):.4f}" == "76.9686"
    assert check.tolerance == Fraction(1, 100)
    (flagged,) = slip.checks
    assert flagged.status == "flagged"
    assert flagged.alternative.recomputed == 70
    assert flagged.alternative.tolerance == Fraction(1, 100)
    assert flagged.alternative.reproduces
    assert result.flagged_models == ["slip-model"]
    assert table_check_summary(result) == [
        "ok-model: ok",
        "slip-model: FLAGGED total reported 70.00 recomputed 76.9686 (tolerance 0.0100); "
        "unweighted mean 70.0000 reproduces",
        "Flagged rows: 1/2",
    ]


def test_tolerance_boundary_is_strict():
    # Sizes 1/1, integers: recomputed 70, tolerance 1/2*1/2 + 1/2*1/2 + 1/2 = 1 exactly.
    at_boundary = run("model,closed_qa,report,total\nm,80,60,71\n", n_mcq=1, n_report=1).rows[0].checks[0]
    assert at_boundary.tolerance == 1 and at_boundary.difference == 1 and at_boundary.status == "ok"
    beyond = run("model,closed_qa,report,total\nm,80,60,72\n", n_mcq=1, n_report=1).rows[0].checks[0]
    assert beyond.status == "flagged"
    # One decimal printed everywhere -> tolerance 0.05 + 0.05.
    assert rounding_tolerance([Fraction(1, 2), Fraction(1, 2)], [1, 1], 1) == Fraction(1, 10)
    assert not run("model,closed_qa,report,total\nm,80.0,60.0,77.0\n").rows[0].flagged


def test_hand_made_table_with_split():
    text = (
        "Model,Text,Image,Closed_QA,Report,Total,Size\n"
        "good,90.00,80.00,86.00,70.00,83.33,7B\n"      # closed 86 exactly; total 83.333...
        "bad-closed,90.00,80.00,85.00,70.00,82.50,7B\n"  # closed_qa flagged (mean 85.00 reproduces)
        "three-way,90.00,80.00,,70.00,83.33,7B\n"       # total from text/image/report
        "missing,90.00,,,70.00,83.33,\n"
    )
    result = run(text, n_text=300, n_image=200, n_report=100)
    assert result.columns == ("model", "text", "image", "closed_qa", "report", "total")
    assert result.ignored_columns == ("Size",)
    good, bad, three, missing = result.rows
    assert [c.status for c in good.checks] == ["ok", "ok"]
    assert good.checks[0].recomputed == 86
    assert good.checks[1].recomputed == Fraction(86 * 500 + 70 * 100, 600)
    assert [c.status for c in bad.checks] == ["flagged", "ok"]
    assert bad.checks[0].alternative.reproduces
    # Closed-QA is checked from the reported 85.00, the total from the reported closed_qa.
    assert bad.checks[1].inputs == (("closed_qa", Fraction(85)), ("report", Fraction(70)))
    assert [c.status for c in three.checks] == ["not_checked", "ok"]
    assert three.checks[0].reason == "missing closed_qa"
    assert three.checks[1].inputs == (("text", 90), ("image", 80), ("report", 70))
    assert three.checks[1].recomputed == Fraction(90 * 300 + 80 * 200 + 70 * 100, 600)
    assert [c.reason for c in missing.checks] == ["missing closed_qa", "missing image"]
    assert table_check_summary(result)[3] == "missing: not checked (missing closed_qa)"
    assert result.flagged_models == ["bad-closed"]


def test_without_split_closed_qa_and_three_way_total_are_not_checked():
    result = run("model,text,image,closed_qa,total\nm,90.0,80.0,86.0,-\nn,90.0,80.0,n/a,85.0\n")
    first, second = result.rows
    assert [(c.status, c.reason) for c in first.checks] == [
        ("not_checked", "text/image split unknown"), ("not_checked", "missing total")]
    assert [(c.status, c.reason) for c in second.checks] == [
        ("not_checked", "missing closed_qa"), ("not_checked", "text/image split unknown")]
    assert result.warnings == ("no row could be checked",)
    assert table_check_summary(result)[-1] == "Warning: no row could be checked"


def test_flagged_not_reproduced_and_several_clauses():
    text = "model,text,image,closed_qa,report,total\nm,90.00,80.00,10.00,70.00,30.00\n"
    result = run(text, n_text=300, n_image=200, n_report=100)
    line = table_check_summary(result)[0]
    assert line.startswith("m: FLAGGED closed_qa reported 10.00 recomputed 86.0000 (tolerance 0.0100); "
                           "unweighted mean 85.0000 does not reproduce; FLAGGED total reported 30.00 ")
    assert line.count("FLAGGED") == 2


def test_document_fields():
    doc = table_check_document(run(WORKED))
    assert doc["schema_version"] == "spinebench-table-check-v1"
    assert doc["sizes"] == {"n_mcq": 487, "n_report": 87, "n_text": None, "n_image": None}
    assert doc["n_rows"] == 2 and doc["n_flagged"] == 1 and doc["flagged_models"] == ["slip-model"]
    check = doc["rows"][1]["checks"][0]
    assert check["formula"] == "weighted"
    assert check["inputs"] == {"closed_qa": 80.0, "report": 60.0}
    assert check["recomputed"] == float(Fraction(44180, 574))
    assert check["difference"] == float(70 - Fraction(44180, 574))
    assert check["alternative"] == {"formula": "unweighted_mean", "recomputed": 70.0, "difference": 0.0,
                                    "tolerance": 0.01, "reproduces": True}
    assert "model" not in doc and all("model" in row for row in doc["rows"])


def test_reading_rules():
    text = "\ufeff\n Model ,TOTAL,closed_qa,report,extra\n\n  m  ,\u2014,80,60,x\r\n\"multi\nline\",1,2,3\n"
    table = parse_table(text.lstrip("\ufeff"), "t.csv")
    assert table.columns == ("model", "total", "closed_qa", "report")
    assert [(row.line, row.model) for row in table.rows] == [(4, "m"), (6, "multi\nline")]
    assert table.rows[0].cells["total"].value is None


@pytest.mark.parametrize("text, message", [
    ("", "t.csv: expected a header row"),
    ("name,total,report\n", "t.csv:1: model: missing required column"),
    ("model,total\n", "t.csv:1: expected at least two of the columns text, image, closed_qa, report, total"),
    ("model,total,Total\n", "t.csv:1: total: repeated column"),
    ("model,total,report\n ,1,2\n", "t.csv:2: model: expected a non-blank model name"),
    ("model,total,report\nm,1e2,2\n", 't.csv:2: total: expected a decimal number such as 76.97, got "1e2"'),
    ("model,total,report\nm,1.,2\n", 't.csv:2: total: expected a decimal number such as 76.97, got "1."'),
    ("model,total,report\nm,1,\uff11\n", 't.csv:2: report: expected a decimal number such as 76.97, got "\uff11"'),
])
def test_table_errors(text, message):
    with pytest.raises(SpineFairBenchError) as caught:
        parse_table(text, "t.csv")
    assert str(caught.value) == message


@pytest.mark.parametrize("sizes, message", [
    ({"n_text": 10}, "--n-text and --n-image must be given together"),
    ({"n_mcq": 0}, "--n-mcq: expected a positive integer"),
    ({"n_report": -1}, "--n-report: expected a positive integer"),
    ({"n_mcq": 400, "n_text": 300, "n_image": 187}, "--n-mcq: expected --n-text + --n-image = 487, got 400"),
])
def test_size_errors(sizes, message):
    with pytest.raises(SpineFairBenchError) as caught:
        resolve_sizes(**sizes)
    assert str(caught.value) == message


def test_matching_explicit_n_mcq_is_accepted():
    assert resolve_sizes(n_mcq=487, n_text=300, n_image=187).n_mcq == 487
