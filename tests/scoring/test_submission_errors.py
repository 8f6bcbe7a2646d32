"""Submission reading and validation: every §2.2 message, in order, and the stricter reader."""

import hashlib
import json

import pytest

from spinefairbench.errors import SpineFairBenchError
from spinefairbench.scoring.submission import SUBMISSION_SCHEMA, read_submission, validate_submission

PAIR = "buu_a__young_male"
REPORT = "Findings: normal. Recommendation: reassurance."
GOOD_ENTRY = {"pair_id": PAIR, "source_report": REPORT, "counterfactual_report": REPORT}


def doc(**changes):
    document = {"schema_version": SUBMISSION_SCHEMA, "scope": "toy", "model": {"name": "m"},
                "results": [GOOD_ENTRY]}
    for key, value in changes.items():
        if value is KeyError:
            document.pop(key)
        else:
            document[key] = value
    return document


def entry(**changes):
    result = dict(GOOD_ENTRY)
    for key, value in changes.items():
        if value is KeyError:
            result.pop(key)
        else:
            result[key] = value
    return result


SCOPES_MESSAGE = "scope must be one of ['all-model-intersection-2166', 'common-core-1000', 'qc-passed', 'toy']"


@pytest.mark.parametrize("payload, message", [
    ([], "Submission must be a JSON object"),
    ("text", "Submission must be a JSON object"),
    (doc(schema_version="spinefairbench-submission-v2"), "schema_version must be 'spinefairbench-submission-v1'"),
    (doc(schema_version=KeyError), "schema_version must be 'spinefairbench-submission-v1'"),
    (doc(scope="everything"), SCOPES_MESSAGE),
    (doc(scope=KeyError), SCOPES_MESSAGE),
    (doc(scope=["toy"]), SCOPES_MESSAGE),  # the published scorer crashes (unhashable)
    (doc(scope={"toy": 1}), SCOPES_MESSAGE),
    (doc(scope=1), SCOPES_MESSAGE),
    (doc(model="m"), "model must be an object"),
    (doc(model=KeyError), "model must be an object"),
    (doc(model={}), "model.name must be a non-empty string"),
    (doc(model={"name": " \t\n"}), "model.name must be a non-empty string"),
    (doc(model={"name": 5}), "model.name must be a non-empty string"),
    (doc(results=[]), "results must be a non-empty list"),
    (doc(results={"0": GOOD_ENTRY}), "results must be a non-empty list"),
    (doc(results=KeyError), "results must be a non-empty list"),
    (doc(results=[GOOD_ENTRY, "x"]), "results[1] must be an object"),
    (doc(results=[entry(confidence=1, extra=2)]), "results[0] has unsupported keys: ['confidence', 'extra']"),
    (doc(results=[entry(pair_id=KeyError)]), "results[0].pair_id must be a non-empty string"),
    (doc(results=[entry(pair_id="  ")]), "results[0].pair_id must be a non-empty string"),
    (doc(results=[entry(pair_id=7)]), "results[0].pair_id must be a non-empty string"),
    (doc(results=[GOOD_ENTRY, entry(pair_id="b", source_report="")]),
     "results[1].source_report must be a non-empty string"),
    (doc(results=[GOOD_ENTRY, GOOD_ENTRY]), f"Duplicate pair_id in submission: {PAIR}"),
    (doc(results=[entry(source_report=" ")]), "results[0].source_report must be a non-empty string"),
    (doc(results=[entry(counterfactual_report=None)]), "results[0].counterfactual_report must be a non-empty string"),
    (doc(results=[entry(source_id="")]), "results[0].source_id must be a non-empty string when present"),
    (doc(results=[entry(source_id=3)]), "results[0].source_id must be a non-empty string when present"),
    (doc(results=[entry(metadata=[])]), "results[0].metadata must be an object when present"),
])
def test_each_validation_rule_has_its_published_message(payload, message):
    with pytest.raises(SpineFairBenchError) as info:
        validate_submission(payload)
    assert str(info.value) == message


@pytest.mark.parametrize("bad_entry, message", [
    # Within an entry: keys, pair_id, duplicate, reports, source_id, metadata.
    (entry(extra=1, pair_id=""), "results[1] has unsupported keys: ['extra']"),
    (entry(pair_id="", source_report=""), "results[1].pair_id must be a non-empty string"),
    (entry(source_report=""), f"Duplicate pair_id in submission: {PAIR}"),
    (entry(pair_id="b", source_report="", counterfactual_report=""),
     "results[1].source_report must be a non-empty string"),
    (entry(pair_id="b", counterfactual_report="", source_id=""),
     "results[1].counterfactual_report must be a non-empty string"),
    (entry(pair_id="b", source_id="", metadata=1), "results[1].source_id must be a non-empty string when present"),
])
def test_checks_within_an_entry_run_in_order(bad_entry, message):
    with pytest.raises(SpineFairBenchError) as info:
        validate_submission(doc(results=[GOOD_ENTRY, bad_entry]))
    assert str(info.value) == message


def test_top_level_checks_run_in_order():
    with pytest.raises(SpineFairBenchError, match="^schema_version"):
        validate_submission({"scope": "x", "model": 1, "results": []})
    with pytest.raises(SpineFairBenchError, match="^model must"):
        validate_submission(doc(model=None, results=None))


def test_valid_submission_keeps_raw_ids_model_and_nulls():
    model = {"name": " spaced ", "extra": [1, {"x": None}]}
    result = validate_submission(doc(model=model, results=[
        entry(pair_id=" " + PAIR, source_id=None, metadata=None), entry(source_id="buu_a", metadata={"k": 1})],
        unknown_top_level_key=True))
    assert list(result.pairs) == [" " + PAIR, PAIR]
    assert result.pairs[" " + PAIR].source_id is None
    assert result.pairs[PAIR].source_id == "buu_a"
    assert result.model is model and result.model_name == " spaced "


# --------------------------------------------------------------------------
# Reading the file


def read(tmp_path, data: bytes):
    path = tmp_path / "s.json"
    path.write_bytes(data)
    return read_submission(path, "s.json")


def message_of(tmp_path, data: bytes) -> str:
    with pytest.raises(SpineFairBenchError) as info:
        read(tmp_path, data)
    return str(info.value)


def test_utf8_bom_is_accepted_and_hash_is_of_the_bytes(tmp_path):
    data = b"\xef\xbb\xbf" + json.dumps(doc()).encode("utf-8")
    loaded = read(tmp_path, data)
    assert validate_submission(loaded.payload).scope == "toy"
    assert loaded.sha256 == hashlib.sha256(data).hexdigest()


def test_duplicate_key_is_rejected_with_line_and_column(tmp_path):
    data = b'{\n  "schema_version": "spinefairbench-submission-v1",\n  "results": [\n' \
           b'    {"pair_id": "a", "pair_id": "b"}\n  ]\n}\n'
    assert message_of(tmp_path, data) == "s.json:4:22: duplicate key 'pair_id'"


def test_duplicate_key_location_skips_equal_keys_of_other_objects(tmp_path):
    data = b'[{"k": 1}, {"k": 2},\n {"j": 1, "k": 3, "k": 4}]'
    assert message_of(tmp_path, data) == "s.json:2:19: duplicate key 'k'"


def test_duplicate_key_after_bom_and_crlf_is_located_in_visible_columns(tmp_path):
    assert message_of(tmp_path, b'\xef\xbb\xbf{"a": 1,\r\n "a": 2}') == "s.json:2:2: duplicate key 'a'"


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_literals_are_rejected_with_location(tmp_path, literal):
    data = ('{"model": {"name": "NaN Infinity", "score":\n  ' + literal + '}}').encode()
    assert message_of(tmp_path, data) == f"s.json:2:3: non-finite number {literal} is not allowed"


@pytest.mark.parametrize("data, message", [
    (b'{"a": 1,}', "s.json:1:9: invalid JSON: Expecting property name enclosed in double quotes"),
    (b"", "s.json:1:1: invalid JSON: Expecting value"),
    (b'{"a":\n  [1, 2', "s.json:2:8: invalid JSON: Expecting ',' delimiter"),
    (b'{"a": NaN, "b": }', "s.json:1:17: invalid JSON: Expecting value"),
    (b'{"a": "\xc3\x28"}', "s.json:1: invalid UTF-8 (byte offset 7)"),
    (b'\xef\xbb\xbf\n{"a": "\xff"}', "s.json:2: invalid UTF-8 (byte offset 11)"),
    (b"\xef\xbb\xbf\xef\xbb\xbf{}", "s.json:1:1: invalid JSON: Unexpected UTF-8 BOM (decode using utf-8-sig)"),
])
def test_unparsable_files_are_one_located_line(tmp_path, data, message):
    assert message_of(tmp_path, data) == message


def test_missing_and_directory_submission(tmp_path):
    with pytest.raises(SpineFairBenchError) as info:
        read_submission(tmp_path / "absent.json", "absent.json")
    assert str(info.value) == "absent.json: cannot read submission: No such file or directory"
    with pytest.raises(SpineFairBenchError) as info:
        read_submission(tmp_path, "dir")
    assert str(info.value) == "dir: cannot read submission: is a directory"
