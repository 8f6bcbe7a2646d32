"""Input errors (spinebench.md §0, §1): one failing fixture per message.

Every case runs ``spinebench score`` through the command line with
``--output``, and checks the exact one-line message on stderr, exit status 2,
an empty stdout and that no output file was written.
"""

import argparse
import copy
import json

import pytest

from spinefairbench.commands.spinebench import register
from spinefairbench.spinebench.io import DEFAULT_RUBRIC

BANK = {
    "schema_version": "spinebench-items-v1",
    "name": "error fixtures",
    "items": [
        {"item_id": "mcq-1", "kind": "mcq", "modality": "text", "question": "Q?",
         "options": {"A": "Osteophytes", "B": "Fracture"}, "answer": "A", "levels": ["L4/L5"],
         "subfield": "degenerative", "language": "en", "metadata": {"source": "invented"}},
        {"item_id": "mcq-2", "kind": "mcq", "modality": "image", "image": "images/2.png", "question": "Q?",
         "options": {"A": "Osteophytes", "B": "Fracture"}, "answer": "B"},
        {"item_id": "rep-1", "kind": "report", "prompt": "Report this.", "reference_levels": ["L4/L5"]},
    ],
}
PRED = {
    "schema_version": "spinebench-predictions-v1",
    "model": {"name": "m", "version": 1},
    "responses": [{"item_id": "mcq-1", "response": "A"}, {"item_id": "mcq-2", "response": "(b)"},
                  {"item_id": "rep-1", "response": "Disc bulge at L4-5.", "metadata": {}}],
}
JUDG = {
    "schema_version": "spinebench-judgements-v1",
    "judgements": [{"item_id": "rep-1", "model": "m", "judge": "llm:a",
                    "scores": {section: {dimension: 4 for dimension in dimensions}
                               for section, dimensions in DEFAULT_RUBRIC}}],
}
FILES = {"bank.json": BANK, "pred.json": PRED, "judg.json": JUDG}
SCORE = ["score", "--items", "bank.json", "--predictions", "pred.json", "--judgements", "judg.json",
         "--bootstrap-iterations", "20", "--output", "out/score.json"]


def run_cli(argv, capsys):
    parser = argparse.ArgumentParser(prog="spinefairbench")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["spinebench", *argv])
    status = args.func(args)
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, document in FILES.items():
        (tmp_path / name).write_text(json.dumps(document), encoding="utf-8")
    return tmp_path


def assert_input_error(argv, message, capsys, workdir):
    status, out, err = run_cli(argv, capsys)
    assert (status, out, err) == (2, "", f"SpineBench error: {message}\n")
    assert not (workdir / "out").exists()


def test_valid_fixtures_score(workdir, capsys):
    status, out, err = run_cli(SCORE, capsys)
    assert (status, err) == (0, "")
    assert out.startswith("SpineBench scoring: OK\n")
    assert (workdir / "out" / "score.json").exists()


def edit(name, change):
    def apply(workdir):
        document = copy.deepcopy(FILES[name])
        change(document)
        (workdir / name).write_text(json.dumps(document), encoding="utf-8")
    return apply


def raw(name, data):
    def apply(workdir):
        (workdir / name).write_bytes(data)
    return apply


def item(index, **fields):
    return lambda doc: doc["items"][index].update(fields)


def drop(*path):
    def apply(doc):
        for key in path[:-1]:
            doc = doc[key]
        del doc[path[-1]]
    return apply


def response(index, **fields):
    return lambda doc: doc["responses"][index].update(fields)


def judgement(index, **fields):
    return lambda doc: doc["judgements"][index].update(fields)


def score(section, dimension, value):
    return lambda doc: doc["judgements"][0]["scores"][section].update({dimension: value})


CASES = [
    # Reading (§1.0)
    ("unreadable", raw("bank.json", b'{"a": }'), "bank.json:1:7: invalid JSON: Expecting value"),
    ("unterminated", raw("bank.json", b'{"a": "x'), "bank.json:1:7: invalid JSON: Unterminated string starting at"),
    ("extra-data", raw("bank.json", b'{}\n{}'), "bank.json:2:1: invalid JSON: Extra data"),
    ("bad-delimiter", raw("bank.json", b'{"a" 1}'), "bank.json:1:6: invalid JSON: Expecting ':' delimiter"),
    ("invalid-utf8", raw("bank.json", b'{"name": "\xff"}'), "bank.json:1:11: invalid UTF-8"),
    ("nan", raw("bank.json", b'{"x": NaN}'), "bank.json:1:7: non-finite number NaN is not allowed"),
    ("infinity", raw("bank.json", b'[1,\n -Infinity]'), "bank.json:2:2: non-finite number -Infinity is not allowed"),
    ("overflow", raw("bank.json", b'[1e400]'), "bank.json:1:2: non-finite number 1e400 is not allowed"),
    ("duplicate-key", raw("bank.json", b'{\n  "a": 1,\n  "a": 2\n}'), "bank.json:3:3: duplicate key 'a'"),
    ("deep-nesting", raw("bank.json", b"[" * 100_000), "bank.json: invalid JSON: nesting is too deep"),
    ("second-bom", raw("bank.json", "\ufeff\ufeff{}".encode()),
     "bank.json:1:1: invalid JSON: Unexpected UTF-8 BOM (decode using utf-8-sig)"),
    ("not-object", raw("bank.json", b"[]"), "bank.json: expected a JSON object"),
    # Item bank, top level (§1.1)
    ("bank-schema-missing", edit("bank.json", drop("schema_version")), "bank.json: schema_version: missing required key"),
    ("bank-schema-wrong", edit("bank.json", lambda d: d.update(schema_version="spinebench-items-v2")),
     'bank.json: schema_version: expected "spinebench-items-v1"'),
    ("bank-unknown-key", edit("bank.json", lambda d: d.update(colour="red")), "bank.json: colour: unknown key"),
    ("bank-name", edit("bank.json", lambda d: d.update(name="  ")), "bank.json: name: expected a non-blank string"),
    ("bank-synthetic", edit("bank.json", lambda d: d.update(synthetic="yes")), "bank.json: synthetic: expected a boolean"),
    ("rubric-empty", edit("bank.json", lambda d: d.update(rubric={})),
     "bank.json: rubric: expected an object with at least one section"),
    ("rubric-section-name", edit("bank.json", lambda d: d.update(rubric={" ": ["a"]})),
     'bank.json: rubric[" "]: expected a non-blank section name'),
    ("rubric-section-list", edit("bank.json", lambda d: d.update(rubric={"a": []})),
     "bank.json: rubric.a: expected a non-empty list of dimension names"),
    ("rubric-dimension", edit("bank.json", lambda d: d.update(rubric={"a": ["x", ""]})),
     "bank.json: rubric.a[1]: expected a non-blank string"),
    ("rubric-duplicate", edit("bank.json", lambda d: d.update(rubric={"a": ["x", "x"]})),
     'bank.json: rubric.a[1]: duplicate dimension "x"'),
    ("items-missing", edit("bank.json", drop("items")), "bank.json: items: missing required key"),
    ("items-empty", edit("bank.json", lambda d: d.update(items=[])),
     "bank.json: items: expected a non-empty list of item objects"),
    # Item bank, items
    ("item-not-object", edit("bank.json", lambda d: d["items"].append(5)), "bank.json: items[3]: expected an item object"),
    ("item-id-missing", edit("bank.json", drop("items", 0, "item_id")), "bank.json: items[0].item_id: missing required key"),
    ("item-id-blank", edit("bank.json", item(0, item_id="")), "bank.json: items[0].item_id: expected a non-blank string"),
    ("item-id-duplicate", edit("bank.json", item(1, item_id="mcq-1")), 'bank.json: items[1].item_id: duplicate item_id "mcq-1"'),
    ("kind", edit("bank.json", item(0, kind="open")), 'bank.json: items[0].kind: expected "mcq" or "report"'),
    ("item-unknown-key", edit("bank.json", item(0, colour="red")), "bank.json: items[0].colour: unknown key"),
    ("not-for-kind", edit("bank.json", item(2, options={"A": "x", "B": "y"})),
     'bank.json: items[2].options: not allowed for kind "report"'),
    ("prompt-for-mcq", edit("bank.json", item(0, prompt="x")), 'bank.json: items[0].prompt: not allowed for kind "mcq"'),
    ("modality", edit("bank.json", item(0, modality="video")), 'bank.json: items[0].modality: expected "text" or "image"'),
    ("question", edit("bank.json", drop("items", 0, "question")), "bank.json: items[0].question: missing required key"),
    ("question-blank", edit("bank.json", item(0, question=" \n")), "bank.json: items[0].question: expected a non-blank string"),
    ("options-one", edit("bank.json", item(0, options={"A": "x"})),
     "bank.json: items[0].options: expected an object with at least 2 options"),
    ("options-key", edit("bank.json", item(0, options={"A": "x", "b": "y"})),
     "bank.json: items[0].options.b: expected a single upper-case letter A-Z as option key"),
    ("options-value", edit("bank.json", item(0, options={"A": "x", "B": ""})),
     "bank.json: items[0].options.B: expected a non-blank string"),
    ("answer", edit("bank.json", item(0, answer="C")), "bank.json: items[0].answer: expected one of the option keys A, B"),
    ("answer-type", edit("bank.json", item(0, answer=["A"])),
     "bank.json: items[0].answer: expected one of the option keys A, B"),
    ("image-missing", edit("bank.json", drop("items", 1, "image")), "bank.json: items[1].image: missing required key"),
    ("image-blank", edit("bank.json", item(0, image="")), "bank.json: items[0].image: expected a non-blank string"),
    ("levels-type", edit("bank.json", item(0, levels="L4/L5")),
     "bank.json: items[0].levels: expected a list of canonical level strings"),
    ("levels-form", edit("bank.json", item(0, levels=["L4-L5"])),
     'bank.json: items[0].levels[0]: expected a canonical level such as "L4" or "L4/L5"'),
    ("levels-duplicate", edit("bank.json", item(0, levels=["L4/L5", "L4/L5"])),
     'bank.json: items[0].levels[1]: duplicate level "L4/L5"'),
    ("reference-levels", edit("bank.json", item(2, reference_levels=["L5", "l4"])),
     'bank.json: items[2].reference_levels[1]: expected a canonical level such as "L4" or "L4/L5"'),
    ("prompt", edit("bank.json", drop("items", 2, "prompt")), "bank.json: items[2].prompt: missing required key"),
    ("subfield", edit("bank.json", item(0, subfield="")), "bank.json: items[0].subfield: expected a non-blank string"),
    ("language", edit("bank.json", item(2, language=5)), "bank.json: items[2].language: expected a non-blank string"),
    ("item-metadata", edit("bank.json", item(0, metadata=[])), "bank.json: items[0].metadata: expected an object"),
    # Predictions (§1.2)
    ("pred-schema", edit("pred.json", lambda d: d.update(schema_version="x")),
     'pred.json: schema_version: expected "spinebench-predictions-v1"'),
    ("pred-unknown-key", edit("pred.json", lambda d: d.update(notes="x")), "pred.json: notes: unknown key"),
    ("model-missing", edit("pred.json", drop("model")), "pred.json: model: missing required key"),
    ("model-type", edit("pred.json", lambda d: d.update(model="m")), "pred.json: model: expected an object"),
    ("model-name-missing", edit("pred.json", lambda d: d.update(model={})), "pred.json: model.name: missing required key"),
    ("model-name", edit("pred.json", lambda d: d.update(model={"name": 3})),
     "pred.json: model.name: expected a non-blank string"),
    ("responses-missing", edit("pred.json", drop("responses")), "pred.json: responses: missing required key"),
    ("responses-type", edit("pred.json", lambda d: d.update(responses={})),
     "pred.json: responses: expected a list of response objects"),
    ("response-not-object", edit("pred.json", lambda d: d["responses"].insert(0, "A")),
     "pred.json: responses[0]: expected a response object"),
    ("response-unknown-key", edit("pred.json", response(0, score=1)), "pred.json: responses[0].score: unknown key"),
    ("response-item-missing", edit("pred.json", drop("responses", 0, "item_id")),
     "pred.json: responses[0].item_id: missing required key"),
    ("response-item-unknown", edit("pred.json", response(0, item_id="mcq-9")),
     "pred.json: responses[0].item_id: expected the item_id of an item in the bank"),
    ("response-duplicate", edit("pred.json", response(1, item_id="mcq-1")),
     'pred.json: responses[1].item_id: duplicate response for item "mcq-1"'),
    ("response-missing", edit("pred.json", drop("responses", 0, "response")),
     "pred.json: responses[0].response: missing required key"),
    ("response-type", edit("pred.json", response(0, response=None)), "pred.json: responses[0].response: expected a string"),
    ("response-metadata", edit("pred.json", response(2, metadata="x")), "pred.json: responses[2].metadata: expected an object"),
    # Judgements (§1.3)
    ("judg-schema", edit("judg.json", drop("schema_version")), "judg.json: schema_version: missing required key"),
    ("judg-unknown-key", edit("judg.json", lambda d: d.update(model="m")), "judg.json: model: unknown key"),
    ("judgements-missing", edit("judg.json", drop("judgements")), "judg.json: judgements: missing required key"),
    ("judgements-type", edit("judg.json", lambda d: d.update(judgements={})),
     "judg.json: judgements: expected a list of judgement objects"),
    ("judgement-not-object", edit("judg.json", lambda d: d["judgements"].append([])),
     "judg.json: judgements[1]: expected a judgement object"),
    ("judgement-unknown-key", edit("judg.json", judgement(0, comment="x")), "judg.json: judgements[0].comment: unknown key"),
    ("judgement-item-mcq", edit("judg.json", judgement(0, item_id="mcq-1")),
     "judg.json: judgements[0].item_id: expected the item_id of a report item in the bank"),
    ("judgement-model", edit("judg.json", judgement(0, model="")), "judg.json: judgements[0].model: expected a non-blank string"),
    ("judgement-judge", edit("judg.json", drop("judgements", 0, "judge")), "judg.json: judgements[0].judge: missing required key"),
    ("scores-type", edit("judg.json", judgement(0, scores=[4])), "judg.json: judgements[0].scores: expected an object"),
    ("scores-unknown-section", edit("judg.json", lambda d: d["judgements"][0]["scores"].update(style={})),
     "judg.json: judgements[0].scores.style: unknown key"),
    ("scores-missing-section", edit("judg.json", drop("judgements", 0, "scores", "diagnosis")),
     "judg.json: judgements[0].scores.diagnosis: missing required key"),
    ("scores-section-type", edit("judg.json", lambda d: d["judgements"][0]["scores"].update(diagnosis=4)),
     "judg.json: judgements[0].scores.diagnosis: expected an object"),
    ("scores-unknown-dimension", edit("judg.json", score("diagnosis", "tone", 3)),
     "judg.json: judgements[0].scores.diagnosis.tone: unknown key"),
    ("scores-missing-dimension", edit("judg.json", drop("judgements", 0, "scores", "treatment", "patient_guidance")),
     "judg.json: judgements[0].scores.treatment.patient_guidance: missing required key"),
    ("score-high", edit("judg.json", score("diagnosis", "diagnosis", 6)),
     "judg.json: judgements[0].scores.diagnosis.diagnosis: expected an integer from 1 to 5"),
    ("score-zero", edit("judg.json", score("diagnosis", "diagnosis", 0)),
     "judg.json: judgements[0].scores.diagnosis.diagnosis: expected an integer from 1 to 5"),
    ("score-float", edit("judg.json", score("diagnosis", "diagnosis", 4.0)),
     "judg.json: judgements[0].scores.diagnosis.diagnosis: expected an integer from 1 to 5"),
    ("score-bool", edit("judg.json", score("diagnosis", "diagnosis", True)),
     "judg.json: judgements[0].scores.diagnosis.diagnosis: expected an integer from 1 to 5"),
    ("judgement-metadata", edit("judg.json", judgement(0, metadata=1)), "judg.json: judgements[0].metadata: expected an object"),
    # Coverage (§1.2, §3.2)
    ("missing-responses", edit("pred.json", lambda d: d["responses"].pop(1)), "missing responses for 1 item(s): mcq-2"),
    ("no-judgement", edit("judg.json", judgement(0, judge="human:x")), "no llm judgement for report item(s): rep-1"),
    ("other-model", edit("judg.json", judgement(0, model="other")), "no llm judgement for report item(s): rep-1"),
]


@pytest.mark.parametrize("prepare, message", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_input_error(prepare, message, workdir, capsys):
    prepare(workdir)
    assert_input_error(SCORE, message, capsys, workdir)


@pytest.mark.parametrize("extra, message", [
    (["--bootstrap-iterations", "0"], "--bootstrap-iterations: expected an integer >= 1"),
    (["--seed", "-1"], "--seed: expected an integer >= 0"),
    (["--judge", " "], "--judge: expected a non-blank judge kind"),
])
def test_option_errors(extra, message, workdir, capsys):
    assert_input_error(SCORE + extra, message, capsys, workdir)


def test_missing_file(workdir, capsys):
    argv = ["score", "--items", "nope.json", "--predictions", "pred.json", "--output", "out/s.json"]
    assert_input_error(argv, "nope.json: cannot read file (No such file or directory)", capsys, workdir)


def test_no_judgements_file_means_unjudged(workdir, capsys):
    argv = ["score", "--items", "bank.json", "--predictions", "pred.json", "--output", "out/s.json"]
    assert_input_error(argv, "no llm judgement for report item(s): rep-1", capsys, workdir)


def test_no_items_scored(workdir, capsys):
    edit("pred.json", lambda d: d.update(responses=[{"item_id": "rep-1", "response": "x"}]))(workdir)
    argv = ["score", "--items", "bank.json", "--predictions", "pred.json", "--allow-partial",
            "--output", "out/s.json"]
    assert_input_error(argv, "no items scored", capsys, workdir)


def test_checks_run_in_order_bank_predictions_judgements(workdir, capsys):
    raw("pred.json", b"{")(workdir)
    raw("judg.json", b"{")(workdir)
    edit("bank.json", item(0, kind="x"))(workdir)
    assert_input_error(SCORE, 'bank.json: items[0].kind: expected "mcq" or "report"', capsys, workdir)
    edit("bank.json", lambda d: None)(workdir)
    assert_input_error(SCORE, "pred.json:1:2: invalid JSON: Expecting property name enclosed in double quotes",
                       capsys, workdir)


# --------------------------------------------------------------------------
# JSONL


def jsonl(*records, newline="\n"):
    return newline.join(record if isinstance(record, str) else json.dumps(record) for record in records).encode()


BANK_HEADER = {key: value for key, value in BANK.items() if key != "items"}
PRED_HEADER = {key: value for key, value in PRED.items() if key != "responses"}


def jsonl_score(bank="bank.jsonl", pred="pred.jsonl"):
    return ["score", "--items", bank, "--predictions", pred, "--judgements", "judg.json",
            "--bootstrap-iterations", "20", "--output", "out/score.json"]


def test_jsonl_inputs_score(workdir, capsys):
    raw("bank.JSONL", b"\xef\xbb\xbf" + jsonl(BANK_HEADER, "", *BANK["items"], "   ", newline="\r\n"))(workdir)
    raw("pred.jsonl", jsonl(PRED_HEADER, *PRED["responses"], newline="\r"))(workdir)
    status, out, err = run_cli(jsonl_score("bank.JSONL"), capsys)
    assert (status, err) == (0, "")
    document = json.loads((workdir / "out" / "score.json").read_text())
    assert document["item_bank"]["n_items"] == 3 and document["model"] == PRED["model"]


@pytest.mark.parametrize("data, message", [
    (b"", "bank.jsonl: expected a JSONL header line"),
    (b"\n  \n", "bank.jsonl: expected a JSONL header line"),
    (b"[1]\n", "bank.jsonl:1: expected a JSON object"),
    (jsonl({"name": "x"}), "bank.jsonl:1: schema_version: missing required key"),
    (jsonl(BANK), "bank.jsonl:1: items: not allowed in the JSONL header (one element per line)"),
    (jsonl(BANK_HEADER), "bank.jsonl:1: items: expected a non-empty list of item objects"),
    (jsonl(BANK_HEADER, "", BANK["items"][0], dict(BANK["items"][1], options={"A": "x"})),
     "bank.jsonl:4: options: expected an object with at least 2 options"),
    (jsonl(BANK_HEADER, BANK["items"][0], '  {"item_id": }', newline="\r\n"),
     "bank.jsonl:3:15: invalid JSON: Expecting value"),
    (jsonl(BANK_HEADER, BANK["items"][0], BANK["items"][0]), 'bank.jsonl:3: item_id: duplicate item_id "mcq-1"'),
    (jsonl(BANK_HEADER, "7"), "bank.jsonl:2: expected an item object"),
    (jsonl(BANK_HEADER, "", "", '{"item_id": "a", "item_id": "b"}', newline="\r"),
     "bank.jsonl:4:18: duplicate key 'item_id'"),
])
def test_jsonl_bank_errors(data, message, workdir, capsys):
    raw("bank.jsonl", data)(workdir)
    raw("pred.jsonl", jsonl(PRED_HEADER, *PRED["responses"]))(workdir)
    assert_input_error(jsonl_score(), message, capsys, workdir)


def test_jsonl_prediction_errors(workdir, capsys):
    raw("bank.jsonl", jsonl(BANK_HEADER, *BANK["items"]))(workdir)
    raw("pred.jsonl", jsonl(PRED_HEADER, "", PRED["responses"][0], {"item_id": "mcq-2", "response": 1}))(workdir)
    assert_input_error(jsonl_score(), "pred.jsonl:4: response: expected a string", capsys, workdir)


def test_judgements_are_json_only(workdir, capsys):
    (workdir / "judg.jsonl").write_text(json.dumps(JUDG), encoding="utf-8")
    argv = SCORE[:5] + ["--judgements", "judg.jsonl", "--output", "out/s.json"]
    status, _, err = run_cli(argv, capsys)
    assert (status, err) == (0, "")  # read as plain JSON despite the suffix
