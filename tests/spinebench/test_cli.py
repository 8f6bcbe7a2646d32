"""The ``spinebench`` command family end to end on the synthetic demo set."""

import argparse
import json
import time

import pytest

from spinefairbench.commands.spinebench import register
from spinefairbench.spinebench.demo_data import DEMO_MODELS, DEMO_NAME, write_demo_set


def run_cli(argv, capsys):
    parser = argparse.ArgumentParser(prog="spinefairbench")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["spinebench", *argv])
    status = args.func(args)
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return write_demo_set(tmp_path_factory.mktemp("demo"))


def score_argv(demo, model, *extra):
    return ["score", "--items", str(demo["items"]), "--predictions", str(demo[f"predictions_{model}"]),
            "--judgements", str(demo["judgements"]), "--bootstrap-iterations", "200", *extra]


def test_demo_command_writes_the_set(tmp_path, capsys):
    status, out, err = run_cli(["demo", "--out", str(tmp_path / "set")], capsys)
    assert (status, err) == (0, "")
    names = sorted(path.name for path in (tmp_path / "set").iterdir())
    assert names == ["items.json", "judgements.json", "predictions_demo-vlm-a.json",
                     "predictions_demo-vlm-b.json", "published_table.csv"]
    assert out.splitlines()[0] == f"Wrote the {DEMO_NAME} to {tmp_path / 'set'}:"
    bank = json.loads((tmp_path / "set" / "items.json").read_text(encoding="utf-8"))
    assert bank["synthetic"] is True and bank["name"] == DEMO_NAME
    kinds = {(item["kind"], item.get("modality")) for item in bank["items"]}
    assert kinds == {("mcq", "text"), ("mcq", "image"), ("report", None)}
    # Deterministic: a second run writes identical bytes.
    again = write_demo_set(tmp_path / "again")
    for path in again.values():
        assert path.read_bytes() == (tmp_path / "set" / path.name).read_bytes()


@pytest.mark.parametrize("model", DEMO_MODELS)
def test_score_text_summary(demo, model, capsys):
    status, out, err = run_cli(score_argv(demo, model), capsys)
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[:3] == ["SpineBench scoring: OK", f"Model: {model}", "Items scored: text 16, image 14, report 8"]
    assert lines[3].startswith("P1 text MCQ: ") and " parse rate " in lines[3]
    assert lines[5].startswith("P3 report (llm judge): ")
    assert lines[7].startswith("Total: ") and len(lines) == 8


def test_score_json_and_output_file(demo, tmp_path, capsys):
    target = tmp_path / "nested" / "dir" / "score.json"
    status, out, err = run_cli(score_argv(demo, "demo-vlm-a", "--json", "--output", str(target)), capsys)
    assert (status, err) == (0, "")
    document = json.loads(out)
    assert out.endswith("}\n") and out.isascii()
    assert out == target.read_text(encoding="utf-8")
    assert out == json.dumps(document, indent=2, sort_keys=True, ensure_ascii=True) + "\n"
    assert document["schema_version"] == "spinebench-score-v1"
    assert document["item_bank"] == {"name": DEMO_NAME, "synthetic": True, "n_items": 38, "n_text_mcq": 16,
                                     "n_image_mcq": 14, "n_report": 8}
    assert document["coverage"]["complete"] is True
    components = document["components"]
    assert components["text_mcq"]["status_counts"] == {"explicit": 14, "option_text": 1, "ambiguous": 0,
                                                       "unparsed": 1}
    assert components["image_mcq"]["status_counts"] == {"explicit": 8, "option_text": 2, "ambiguous": 1,
                                                        "unparsed": 3}
    assert components["report"]["n_judgements"] == 10
    assert document["level_metrics"] == {"n_items": 8, "tp": 10, "fp": 3, "fn": 0, "precision": 10 / 13,
                                         "recall": 1.0, "f1": 20 / 23, "exact_match_rate": 0.75}
    time_stamp = document["scored_at_utc"]
    assert len(time_stamp) == 25 and time_stamp.endswith("+00:00") and "." not in time_stamp
    records = {record["item_id"]: record for record in document["items"]}
    assert records["rep-0001"]["levels_found"] == ["L4/L5", "L5"]
    assert records["mcq-0014"]["status"] == "unparsed"


def test_output_without_json_prints_summary(demo, tmp_path, capsys):
    target = tmp_path / "b.json"
    status, out, _ = run_cli(score_argv(demo, "demo-vlm-b", "--output", str(target)), capsys)
    assert status == 0 and out.startswith("SpineBench scoring: OK\n")
    assert json.loads(target.read_text())["model"]["name"] == "demo-vlm-b"


def test_default_iterations_are_fast_enough(demo, capsys):
    argv = [arg for arg in score_argv(demo, "demo-vlm-a") if arg not in ("--bootstrap-iterations", "200")]
    start = time.perf_counter()
    status, out, _ = run_cli(argv + ["--json"], capsys)
    elapsed = time.perf_counter() - start
    assert status == 0
    assert json.loads(out)["scoring_config"]["bootstrap_iterations"] == 10000
    assert elapsed < 3.0


def test_score_matches_numpy_on_demo(demo, capsys):
    np = pytest.importorskip("numpy")
    status, out, _ = run_cli(score_argv(demo, "demo-vlm-b", "--json", "--seed", "9"), capsys)
    document = json.loads(out)
    records = document["items"]
    text = np.array([float(r["correct"]) for r in records if r["kind"] == "mcq" and r["modality"] == "text"])
    image = np.array([float(r["correct"]) for r in records if r["kind"] == "mcq" and r["modality"] == "image"])
    report = np.array([r["item_score"] for r in records if r["kind"] == "report"])
    rng = np.random.default_rng(9)
    p1 = 100.0 * (text[rng.integers(0, 16, size=(200, 16))].sum(axis=1) / 16)
    p2 = 100.0 * (image[rng.integers(0, 14, size=(200, 14))].sum(axis=1) / 14)
    p3 = report[rng.integers(0, 8, size=(200, 8))].sum(axis=1) / 8
    total = (16 / 38) * p1 + (14 / 38) * p2 + (8 / 38) * p3
    lower, upper = np.percentile(total, [2.5, 97.5])
    assert document["total"]["ci95"] == {"lower": float(lower), "upper": float(upper)}
    assert document["components"]["report"]["score"] == float(np.mean(report))


def test_agreement_on_demo(demo, tmp_path, capsys):
    argv = ["agreement", "--items", str(demo["items"]), "--judgements", str(demo["judgements"])]
    status, out, err = run_cli(argv, capsys)
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == 11
    assert lines[0].startswith("imaging_report/imaging_report: n=16 r=")
    assert lines[-1].startswith("item_score: n=16 r=")

    target = tmp_path / "agreement.json"
    status, out, _ = run_cli(argv + ["--model", "demo-vlm-a", "--kinds", "human,llm", "--json",
                                     "--output", str(target)], capsys)
    document = json.loads(out)
    assert out == target.read_text()
    assert document["kinds"] == ["human", "llm"] and document["model"] == "demo-vlm-a"
    assert document["n_pairs"] == 8 and len(document["rows"]) == 11
    assert document["rows"][-1]["section"] is None


@pytest.mark.parametrize("kinds", ["llm", "llm,llm", "llm,human,expert", ",human"])
def test_agreement_kinds_error(demo, kinds, tmp_path, capsys):
    argv = ["agreement", "--items", str(demo["items"]), "--judgements", str(demo["judgements"]),
            "--kinds", kinds, "--output", str(tmp_path / "a.json")]
    status, out, err = run_cli(argv, capsys)
    assert (status, out) == (2, "")
    assert err == ("SpineBench error: --kinds: expected two different judge kinds separated by a comma, "
                   "e.g. llm,human\n")
    assert not (tmp_path / "a.json").exists()


def test_check_table_on_demo(demo, capsys):
    status, out, err = run_cli(["check-table", str(demo["published_table"])], capsys)
    assert (status, err) == (1, "")
    assert out.splitlines() == [
        "synthetic-alpha: ok",
        "synthetic-beta: FLAGGED total reported 70.00 recomputed 76.9686 (tolerance 0.0100); "
        "unweighted mean 70.0000 reproduces",
        "synthetic-gamma: ok",
        "synthetic-delta: FLAGGED total reported 75.00 recomputed 66.9686 (tolerance 0.0100); "
        "unweighted mean 60.0000 does not reproduce",
        "synthetic-epsilon: not checked (missing total)",
        "Flagged rows: 2/5",
    ]
    status, out, _ = run_cli(["check-table", str(demo["published_table"]), "--json"], capsys)
    document = json.loads(out)
    assert status == 1
    assert document["flagged_models"] == ["synthetic-beta", "synthetic-delta"]
    assert document["ignored_columns"] == ["note"] and document["table"] == str(demo["published_table"])
    assert [row["line"] for row in document["rows"]] == [2, 3, 4, 5, 6]


def test_check_table_ok_and_errors(tmp_path, capsys):
    table = tmp_path / "t.csv"
    table.write_text("model,closed_qa,report,total\nm,80.00,60.00,76.97\n", encoding="utf-8")
    assert run_cli(["check-table", str(table)], capsys)[:2] == (0, "m: ok\nFlagged rows: 0/1\n")
    status, out, err = run_cli(["check-table", str(table), "--n-text", "3"], capsys)
    assert (status, out, err) == (2, "", "SpineBench error: --n-text and --n-image must be given together\n")
    table.write_bytes(b"model,total,report\nm,x,1\n")
    status, out, err = run_cli(["check-table", str(table)], capsys)
    assert (status, out) == (2, "")
    assert err == f'SpineBench error: {table}:2: total: expected a decimal number such as 76.97, got "x"\n'
    status, _, err = run_cli(["check-table", str(tmp_path / "none.csv")], capsys)
    assert status == 2 and err.endswith("none.csv: cannot read file (No such file or directory)\n")


def test_levels_command(tmp_path, capsys):
    status, out, err = run_cli(["levels", "Stenosis L2-4 and L5\u2013S1; T2-weighted"], capsys)
    assert (status, out, err) == (0, "L2\nL3\nL4\nL5/S1\n", "")
    source = tmp_path / "report.txt"
    source.write_bytes("\ufeffthoracolumbar junction, T2 W".encode())
    status, out, _ = run_cli(["levels", "--file", str(source), "--json"], capsys)
    assert status == 0
    assert json.loads(out) == {"schema_version": "spinebench-levels-v1", "levels": ["T12/L1"]}
    assert run_cli(["levels", "nothing here"], capsys)[:2] == (0, "")
    status, out, err = run_cli(["levels", "--file", str(tmp_path / "missing.txt")], capsys)
    assert (status, out) == (2, "") and err.startswith("SpineBench error: ")
    source.write_bytes(b"L4\n\xff")
    status, _, err = run_cli(["levels", "--file", str(source)], capsys)
    assert (status, err) == (2, f"SpineBench error: {source}:2:1: invalid UTF-8\n")


def test_usage_errors_exit_2(capsys):
    parser = argparse.ArgumentParser(prog="spinefairbench")
    register(parser.add_subparsers(dest="command"))
    for argv in (["spinebench"], ["spinebench", "levels"], ["spinebench", "levels", "x", "--file", "f"],
                 ["spinebench", "score", "--items", "a"], ["spinebench", "score", "--items", "a",
                                                            "--predictions", "b", "--seed", "x"]):
        with pytest.raises(SystemExit) as caught:
            parser.parse_args(argv)
        assert caught.value.code == 2
    capsys.readouterr()
