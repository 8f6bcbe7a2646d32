"""Guarded readers: one-line errors with file, line and column; the verifier's JSONL and CSV semantics."""

import pytest

from spinefairbench.bundle.loaders import (count_lines, load_json, load_json_object, parse_json_text, parse_jsonl,
                                           read_csv_rows)
from spinefairbench.errors import SpineFairBenchError


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_malformed_json_names_file_line_and_column(tmp_path):
    path = write(tmp_path, "a.json", b'{\n  "a": 1,\n  x\n}')
    with pytest.raises(SpineFairBenchError) as info:
        load_json(path, "a.json")
    assert str(info.value) == "a.json:3:3: invalid JSON: Expecting property name enclosed in double quotes"


@pytest.mark.parametrize("data, message", [
    (b"", "a.json:1:1: invalid JSON: Expecting value"),
    (b"\xef\xbb\xbf{}", "a.json:1:1: invalid JSON: Unexpected UTF-8 BOM (decode using utf-8-sig)"),
    (b'{"a": "\xff"}', "a.json:1: invalid UTF-8 (byte offset 7)"),
    (b"[" * 100000 + b"]" * 100000, "a.json: invalid JSON: nesting is too deep"),
])
def test_unreadable_json_is_one_line(tmp_path, data, message):
    with pytest.raises(SpineFairBenchError) as info:
        load_json(write(tmp_path, "a.json", data), "a.json")
    assert str(info.value) == message


def test_object_required(tmp_path):
    with pytest.raises(SpineFairBenchError, match="expected a JSON object at the top level, found a list"):
        load_json_object(write(tmp_path, "a.json", b"[]"), "a.json")


def test_strict_mode_rejects_duplicates_and_non_finite():
    with pytest.raises(SpineFairBenchError, match=r"x.json:2:3: duplicate key 'k'"):
        parse_json_text('{"k": 1,\n  "k": 2}', "x.json", strict=True)
    with pytest.raises(SpineFairBenchError, match="non-finite number Infinity"):
        parse_json_text("[Infinity]", "x.json", strict=True)
    assert parse_json_text('{"k": 1, "k": 2}', "x.json") == {"k": 2}  # the published loader's behaviour


@pytest.mark.parametrize("data, lines", [(b"a\nb\n", 2), (b"a\nb", 2), (b"a\n\n", 2), (b"", 0),
                                         (b"a\r\nb\rc", 3), (b"a\xe2\x80\xa8b\n", 1)])
def test_line_counting_uses_universal_newlines_only(tmp_path, data, lines):
    assert count_lines(write(tmp_path, "f.jsonl", data)) == lines


def test_jsonl_blank_line_and_separator_characters(tmp_path):
    with pytest.raises(SpineFairBenchError, match=r"^Invalid JSON in f.jsonl line 2: Expecting value$"):
        parse_jsonl(write(tmp_path, "f.jsonl", b'{"a": 1}\n\n{"a": 2}\n'), "f.jsonl")
    # U+2028 inside a JSON string splits the line for the verifier's reader (published quirk).
    with pytest.raises(SpineFairBenchError, match="line 1: Unterminated string"):
        parse_jsonl(write(tmp_path, "g.jsonl", '{"a": "x\u2028y"}\n'.encode()), "g.jsonl")
    assert parse_jsonl(write(tmp_path, "h.jsonl", b'{"a": 1}\r\n{"a": 2}'), "h.jsonl") == [{"a": 1}, {"a": 2}]


def test_csv_semantics(tmp_path):
    path = write(tmp_path, "t.csv", b'a,b\r\n1,"x,y"\r\n\r\n,\r\n3\r\n')
    assert read_csv_rows(path) == [{"a": "1", "b": "x,y"}, {"a": "", "b": ""}, {"a": "3", "b": None}]
    assert read_csv_rows(write(tmp_path, "e.csv", b"")) == []
    with pytest.raises(SpineFairBenchError, match="invalid UTF-8"):
        read_csv_rows(write(tmp_path, "bad.csv", b"a\n\xff\n"))
