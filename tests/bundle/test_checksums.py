"""Checksum manifests: every failure path of contract §5.1, in order."""

import hashlib

import pytest

from spinefairbench.bundle.checksums import verify_manifest
from spinefairbench.errors import SpineFairBenchError


@pytest.fixture()
def tree(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.json").write_bytes(b"{}")
    (tmp_path / "data" / "b c.txt").write_bytes(b"hello")
    return tmp_path


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest(tree, text: str):
    path = tree / "SUMS.txt"
    path.write_bytes(text.encode("utf-8"))
    return path


def test_ok_with_crlf_binary_marker_and_upper_case(tree):
    text = f"{digest(b'{}').upper()} *data/a.json\r\n\r\n{digest(b'hello')}  data/b c.txt\r\n"
    assert verify_manifest(manifest(tree, text)) == 2


@pytest.mark.parametrize("line, message", [
    ("{a}  /etc/hostname", "Invalid release-relative path: '/etc/hostname'"),
    ("{a}  data\\a.json", "Invalid release-relative path: 'data\\\\a.json'"),
    ("{a}  ./data/a.json", "Invalid release-relative path: './data/a.json'"),
    ("{a}  C:data/a.json", "Invalid release-relative path: 'C:data/a.json'"),
    ("{a}  ../SUMS.txt", "Invalid release-relative path: '../SUMS.txt'"),
    ("{a} data/a.json", "Malformed SHA-256 manifest entry at line 1"),
    (" {a}  data/a.json", "Malformed SHA-256 manifest entry at line 1"),
    ("abc  data/a.json", "Malformed SHA-256 manifest entry at line 1"),
    ("{a}  data/missing.json", "Checksum file missing: data/missing.json"),
    ("{a}  data/a.json ", "Checksum file missing: data/a.json "),
    ("{a}  data", "Checksum file missing: data"),
    ("{b}  data/a.json", "Checksum mismatch: data/a.json"),
    ("{a}  data/a.json\n{a}  DATA/A.json", "Duplicate checksum path: DATA/A.json"),
    ("", "Checksum manifest is empty"),
    ("\n  \n", "Checksum manifest is empty"),
])
def test_failures(tree, line, message):
    text = line.format(a=digest(b"{}"), b=digest(b"other"))
    with pytest.raises(SpineFairBenchError) as info:
        verify_manifest(manifest(tree, text))
    assert str(info.value) == message


def test_entries_are_checked_in_order(tree):
    text = f"{digest(b'x')}  data/a.json\nnot an entry\n"
    with pytest.raises(SpineFairBenchError, match="Checksum mismatch: data/a.json"):
        verify_manifest(manifest(tree, text))


def test_bom_makes_line_one_malformed(tree):
    with pytest.raises(SpineFairBenchError, match="at line 1"):
        verify_manifest(manifest(tree, f"\ufeff{digest(b'{}')}  data/a.json\n"))


def test_missing_manifest_is_one_line(tree):
    with pytest.raises(SpineFairBenchError, match="cannot read file"):
        verify_manifest(tree / "nope.txt")
