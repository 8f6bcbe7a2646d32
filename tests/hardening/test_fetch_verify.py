"""``fetch-verify``: digest first, then a safe extraction that refuses hostile members, then the checksums.

Hostile archives are built in memory with :mod:`tarfile`; each comes with a
correct ``.sha256`` sidecar, so it is the extraction that must refuse it.
After every refusal: exactly one line on stderr, status 1, no ``--out``
directory, no staging directory left beside it, and nothing written where a
naive extraction would have written (the ``planted`` paths).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from spinefairbench.bundle.archive import member_path, resolve_link_target
from spinefairbench.errors import SpineFairBenchError

FILE, DIR, SYMLINK, HARDLINK = tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE


def entry(name: str, data: bytes | str = b"", kind: bytes = FILE, link: str = "") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.mode = 0o755 if kind == DIR else 0o644
    data = data.encode("utf-8") if isinstance(data, str) else data
    info.size = len(data) if kind == FILE else 0
    return info, data


def tar_bytes(entries, compress: bool = False) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if info.type == FILE else None)
    raw = buffer.getvalue()
    return gzip.compress(raw, compresslevel=1, mtime=0) if compress else raw


def small_bundle(extra=(), *, tamper: bool = False):
    """``artifacts/`` with two files and a SHA256SUMS.txt that lists them (``tamper``: one digest wrong)."""
    files = {"artifacts/README.md": b"# demo\n", "artifacts/data/a.json": b'{"a": 1}\n'}
    sums = "".join(f"{hashlib.sha256(data).hexdigest()}  {name.removeprefix('artifacts/')}\n"
                   for name, data in files.items())
    if tamper:
        files["artifacts/data/a.json"] = b'{"a": 2}\n'
    return [entry("artifacts", kind=DIR), entry("artifacts/data", kind=DIR),
            *(entry(name, data) for name, data in files.items()), entry("artifacts/SHA256SUMS.txt", sums), *extra]


class Download:
    """An archive and its sidecar in a downloads folder, and where ``--out`` points."""

    def __init__(self, folder: Path, data: bytes, name: str = "bundle.tar", sidecar: str | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.archive = folder / name
        self.archive.write_bytes(data)
        self.sidecar = folder / f"{name}.sha256"
        self.sidecar.write_text(sidecar if sidecar is not None else
                                f"{hashlib.sha256(data).hexdigest()}  {name}\n", encoding="utf-8")
        self.out = folder / "out"

    def argv(self, *extra: str) -> list[str]:
        return ["reviewer_verify.py", "fetch-verify", str(self.archive), "--sha256-file", str(self.sidecar),
                "--out", str(self.out), *extra]

    def leftovers(self) -> list[str]:
        return sorted(p.name for p in self.folder.iterdir() if p.name.startswith(".out."))


def refused(cli, download: Download, message: str, *extra: str, planted: tuple[Path, ...] = ()):
    outcome = cli.run(download.argv(*extra))
    assert "Traceback" not in outcome.err
    assert (outcome.status, outcome.err) == (1, message + "\n")
    assert not download.out.exists() and not download.out.is_symlink()
    assert download.leftovers() == []
    for path in planted:
        assert not os.path.lexists(path), f"{path} was written outside the extraction directory"
    return outcome


# --------------------------------------------------------------------------
# The good path


@pytest.fixture(scope="module")
def demo_archive(demo_bundle, tmp_path_factory) -> bytes:
    """The small demo bundle as the published archive lays it out: one top folder, ``artifacts/``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as tar:
        tar.add(demo_bundle, arcname="artifacts")
    return buffer.getvalue()


def test_good_archive_is_extracted_and_verified(cli, demo_archive, demo_bundle, tmp_path):
    download = Download(tmp_path / "downloads", demo_archive, "spinefairbench_artifacts.tar.gz")
    outcome = cli.run(download.argv())
    assert (outcome.status, outcome.err) == (0, ""), outcome.err
    members = sum(1 for _ in demo_bundle.rglob("*")) + 1
    size = sum(p.stat().st_size for p in demo_bundle.rglob("*") if p.is_file())
    entries = sum(1 for line in (demo_bundle / "SHA256SUMS.txt").read_text().splitlines() if line.strip())
    assert outcome.out.splitlines() == [
        "Archive SHA-256: OK (spinefairbench_artifacts.tar.gz)",
        f"Extracted: {members} members, {size} bytes into {download.out}",
        f"Checksum verification: {entries} files OK (artifacts/SHA256SUMS.txt)",
        "Checksum verification: 12 files OK (artifacts/radiologist_validation_SHA256SUMS.txt)",
        f"Verified bundle root: {download.out / 'artifacts'}",
    ]
    assert download.leftovers() == []
    inspect = cli.run(["reviewer_verify.py", "inspect", "--artifacts", str(download.out / "artifacts")])
    assert inspect.status == 0, inspect.err


def test_plain_tar_with_dot_slash_names_and_json(cli, tmp_path):
    entries = [entry(".", kind=DIR)] + [(info, data) for info, data in small_bundle()]
    for info, _ in entries[1:]:
        info.name = "./" + info.name
    download = Download(tmp_path / "dl", tar_bytes(entries), "bundle.tar")
    outcome = cli.run(download.argv("--json"))
    assert outcome.status == 0, outcome.out
    document = json.loads(outcome.out)
    assert document["facts"]["manifests"] == {"artifacts/SHA256SUMS.txt": 2}
    assert (download.out / "artifacts" / "data" / "a.json").read_bytes() == b'{"a": 1}\n'


def test_tgz_with_inside_links_is_accepted(cli, tmp_path):
    extra = [entry("artifacts/latest", kind=SYMLINK, link="data"),
             entry("artifacts/copy.json", kind=HARDLINK, link="artifacts/data/a.json")]
    download = Download(tmp_path / "dl", tar_bytes(small_bundle(extra), compress=True), "bundle.tgz")
    outcome = cli.run(download.argv())
    assert outcome.status == 0, outcome.err
    assert os.readlink(download.out / "artifacts" / "latest") == "data"
    assert (download.out / "artifacts" / "copy.json").read_bytes() == b'{"a": 1}\n'
    assert not (download.out / "artifacts" / "copy.json").samefile(download.out / "artifacts" / "data" / "a.json")


# --------------------------------------------------------------------------
# The digest and the sidecar come first


def test_wrong_digest_extracts_nothing(cli, tmp_path):
    data = tar_bytes(small_bundle())
    download = Download(tmp_path / "dl", data, sidecar=f"{hashlib.sha256(data + b'x').hexdigest()}  bundle.tar\n")
    refused(cli, download, "Archive SHA-256 mismatch: bundle.tar")


def test_sidecar_must_name_the_archive(cli, tmp_path):
    data = tar_bytes(small_bundle())
    download = Download(tmp_path / "dl", data, sidecar=f"{hashlib.sha256(data).hexdigest()}  other.tar\n")
    refused(cli, download, f"{download.sidecar}: the SHA-256 entry names 'other.tar', not the archive 'bundle.tar'")


@pytest.mark.parametrize("text, message", [
    ("", "expected exactly one '<64 hex>  <file name>' line, found 0"),
    ("{0}  bundle.tar\n{0}  bundle.tar\n", "expected exactly one '<64 hex>  <file name>' line, found 2"),
    ("{0}\n", "Malformed SHA-256 manifest entry at line 1"),
    ("sha256:{0}  bundle.tar\n", "Malformed SHA-256 manifest entry at line 1"),
])
def test_malformed_sidecar(cli, tmp_path, text, message):
    data = tar_bytes(small_bundle())
    download = Download(tmp_path / "dl", data, sidecar=text.format(hashlib.sha256(data).hexdigest()))
    refused(cli, download, f"{download.sidecar}: {message}")


def test_existing_out_directory_is_never_touched(cli, tmp_path):
    download = Download(tmp_path / "dl", tar_bytes(small_bundle()))
    download.out.mkdir()
    (download.out / "keep.txt").write_text("mine")
    outcome = cli.run(download.argv())
    assert (outcome.status, outcome.out, outcome.err) == (1, "", f"Output directory already exists: {download.out}\n")
    assert [p.name for p in download.out.iterdir()] == ["keep.txt"]
    assert download.leftovers() == []


@pytest.mark.parametrize("damage, message", [
    (lambda raw: b"not an archive\n" * 50, "invalid header"),
    (lambda raw: gzip.compress(raw, mtime=0)[:200],
     "Compressed file ended before the end-of-stream marker was reached"),
    (lambda raw: (lambda gz: gz[:-8] + b"\0\0\0\0" + gz[-4:])(gzip.compress(raw, mtime=0)), "CRC check failed"),
    (lambda raw: raw[:1536], "unexpected end of data"),  # cut at a member boundary
    (lambda raw: raw[:1500], "unexpected end of data (no end-of-archive marker)"),  # cut inside a member
])
def test_corrupt_or_truncated_archive(cli, tmp_path, damage, message):
    """The digest would catch a bad download; these archives match their (equally bad) sidecar."""
    download = Download(tmp_path / "dl", damage(tar_bytes(small_bundle())))
    outcome = cli.run(download.argv())
    assert outcome.status == 1 and outcome.err.startswith(f"Cannot read archive bundle.tar: {message}")
    assert outcome.err.count("\n") == 1 and not download.out.exists() and download.leftovers() == []


def test_checksum_failure_inside_leaves_nothing_behind(cli, tmp_path):
    download = Download(tmp_path / "dl", tar_bytes(small_bundle(tamper=True)))
    outcome = refused(cli, download, "Checksum mismatch: data/a.json")
    assert outcome.out.splitlines()[0] == "Archive SHA-256: OK (bundle.tar)"


def test_archive_without_checksum_manifest(cli, tmp_path):
    entries = [e for e in small_bundle() if e[0].name != "artifacts/SHA256SUMS.txt"]
    refused(cli, Download(tmp_path / "dl", tar_bytes(entries)),
            "Extracted archive has no SHA256SUMS.txt in its bundle root: artifacts/SHA256SUMS.txt")


# --------------------------------------------------------------------------
# Hostile members


def test_absolute_member_name(cli, tmp_path):
    planted = tmp_path / "pwned.txt"
    download = Download(tmp_path / "dl", tar_bytes(small_bundle([entry(str(planted), "owned")])))
    refused(cli, download, f"Unsafe archive member {str(planted)!r}: absolute path", planted=(planted,))


@pytest.mark.parametrize("name", ["../pwned.txt", "artifacts/../../pwned.txt", "artifacts/data/../../../pwned.txt"])
def test_parent_directory_escape(cli, tmp_path, name):
    download = Download(tmp_path / "dl", tar_bytes(small_bundle([entry(name, "owned")])))
    refused(cli, download, f"Unsafe archive member {name!r}: '..' component",
            planted=(tmp_path / "pwned.txt", tmp_path / "dl" / "pwned.txt"))


@pytest.mark.parametrize("name, reason", [("..\\pwned.txt", "backslash (a Windows path)"),
                                          ("C:pwned.txt", "drive letter"), ("C:/pwned.txt", "drive letter"),
                                          ("artifacts/a:stream", "colon (a drive or stream name on Windows)"),
                                          ("artifacts//a.txt", "not a canonical relative path")])
def test_windows_and_non_canonical_names(cli, tmp_path, name, reason):
    download = Download(tmp_path / "dl", tar_bytes(small_bundle([entry(name, "x")])))
    refused(cli, download, f"Unsafe archive member {name!r}: {reason}")


def test_symlink_to_etc_passwd(cli, tmp_path):
    download = Download(tmp_path / "dl", tar_bytes(small_bundle([entry("artifacts/passwd", kind=SYMLINK,
                                                                       link="/etc/passwd")])))
    refused(cli, download, "Unsafe archive member 'artifacts/passwd': symbolic link to '/etc/passwd' leaves the "
                           "extraction directory")


def test_symlink_chain_escaping(cli, tmp_path):
    """Each link looks harmless alone: ``up`` is the top, ``up/..`` lexically ``artifacts``; together they leave."""
    extra = [entry("artifacts/up", kind=SYMLINK, link=".."), entry("artifacts/way", kind=SYMLINK, link="up/..")]
    refused(cli, Download(tmp_path / "dl", tar_bytes(small_bundle(extra))),
            "Unsafe archive member 'artifacts/way': symbolic link to 'up/..' leaves the extraction directory")


def test_symlink_loop(cli, tmp_path):
    extra = [entry("artifacts/a", kind=SYMLINK, link="b"), entry("artifacts/b", kind=SYMLINK, link="a")]
    refused(cli, Download(tmp_path / "dl", tar_bytes(small_bundle(extra))),
            "Unsafe archive member 'artifacts/a': symbolic link to 'b' leaves the extraction directory")


def test_file_written_through_a_symlinked_directory(cli, tmp_path):
    """The classic: a link to a folder outside, then a member stored under the link."""
    target = tmp_path / "victim"
    target.mkdir()
    extra = [entry("artifacts/d", kind=SYMLINK, link=str(target)), entry("artifacts/d/pwned.txt", "owned")]
    refused(cli, Download(tmp_path / "dl", tar_bytes(small_bundle(extra))),
            "Unsafe archive member 'artifacts/d/pwned.txt': stored through the symbolic link 'artifacts/d'",
            planted=(target / "pwned.txt",))


@pytest.mark.parametrize("link, reason", [
    ("/etc/passwd", "hard link to '/etc/passwd' leaves the extraction directory"),
    ("../outside.txt", "hard link to '../outside.txt' leaves the extraction directory"),
    ("artifacts/later.txt", "hard link to 'artifacts/later.txt', which is not an earlier regular file of the archive"),
    ("artifacts/data", "hard link to 'artifacts/data', which is not an earlier regular file of the archive"),
])
def test_hard_links(cli, tmp_path, link, reason):
    extra = [entry("artifacts/h", kind=HARDLINK, link=link), entry("artifacts/later.txt", "x")]
    refused(cli, Download(tmp_path / "dl", tar_bytes(small_bundle(extra))),
            f"Unsafe archive member 'artifacts/h': {reason}")


@pytest.mark.parametrize("kind", [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE])
def test_devices_and_fifos(cli, tmp_path, kind):
    refused(cli, Download(tmp_path / "dl", tar_bytes(small_bundle([entry("artifacts/dev", kind=kind)]))),
            "Unsafe archive member 'artifacts/dev': device or FIFO")


def test_duplicate_members(cli, tmp_path):
    refused(cli, Download(tmp_path / "dl", tar_bytes(small_bundle([entry("artifacts/README.md", "again")]))),
            "Unsafe archive member 'artifacts/README.md': repeats an earlier member")


def test_case_folded_duplicate_members(cli, tmp_path):
    refused(cli, Download(tmp_path / "dl", tar_bytes(small_bundle([entry("artifacts/readme.MD", "again")]))),
            "Unsafe archive member 'artifacts/readme.MD': same name as 'artifacts/README.md' on a case-insensitive "
            "file system")


def test_member_under_a_file(cli, tmp_path):
    refused(cli, Download(tmp_path / "dl", tar_bytes(small_bundle([entry("artifacts/README.md/x", "x")]))),
            "Unsafe archive member 'artifacts/README.md/x': its parent 'artifacts/README.md' is a file")


def test_too_many_members(cli, tmp_path):
    entries = small_bundle()  # 5 members
    refused(cli, Download(tmp_path / "dl", tar_bytes(entries)),
            "Archive has more than 4 members (raise --max-members to allow more)", "--max-members", "4")
    assert cli.run(Download(tmp_path / "ok", tar_bytes(entries)).argv("--max-members", "5")).status == 0


def test_too_many_bytes(cli, tmp_path):
    entries = small_bundle()
    size = sum(info.size for info, _ in entries)
    refused(cli, Download(tmp_path / "dl", tar_bytes(entries)),
            f"Archive content exceeds {size - 1} bytes (raise --max-bytes to allow more)", "--max-bytes", str(size - 1))


def test_hard_link_copies_count_towards_the_byte_limit(cli, tmp_path):
    entries = small_bundle([entry("artifacts/copy", kind=HARDLINK, link="artifacts/README.md")])
    size = sum(info.size for info, _ in entries)
    refused(cli, Download(tmp_path / "dl", tar_bytes(entries)),
            f"Archive content exceeds {size} bytes (raise --max-bytes to allow more)", "--max-bytes", str(size))


def test_limits_must_be_positive(cli, tmp_path):
    outcome = cli.run(Download(tmp_path / "dl", tar_bytes(small_bundle())).argv("--max-members", "0"))
    assert outcome.status == 2 and "Traceback" not in outcome.err


# --------------------------------------------------------------------------
# The pure helpers


@pytest.mark.parametrize("link, target, expected", [
    ("a/l", "b", "a/b"), ("a/l", "../b", "b"), ("a/l", "..", ""), ("a/l", "../..", None), ("l", "/etc", None),
    ("l", "C:/x", None), ("l", "a\\..\\..", None),  # a backslash separates names on Windows
])
def test_resolve_link_target(link, target, expected):
    assert resolve_link_target(link, target, {}) == expected


def test_member_path_accepts_plain_and_dot_slash_names():
    assert member_path("./artifacts/a b.json") == "artifacts/a b.json"
    with pytest.raises(SpineFairBenchError):
        member_path("./../x")
