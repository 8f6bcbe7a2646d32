"""A downloaded bundle archive: check its SHA-256, then unpack it without trusting it.

Reviewers fetch a multi-GB ``.tar.gz`` from the internet.  Before a single
byte of it is unpacked, :func:`verify_archive_digest` compares the archive's
SHA-256 with the ``<64 hex>  <name>`` line of its ``.sha256`` sidecar.  Then
:func:`extract_archive` streams the members (plain tar, or gzip, bzip2 or xz
compressed, in one sequential pass) into a staging directory and refuses,
with one line naming the member, anything that could write outside it or
surprise the reader:

* names that are absolute, contain a ``..`` component, a backslash or a drive
  letter, or are not canonical (the release-path rule of
  :func:`~spinefairbench.bundle.paths.check_release_relative`, after a
  leading ``./``);
* symbolic links whose target -- followed through the archive's other links
  -- leaves the staging directory, and members stored *through* a link;
* hard links to anything but an earlier regular file of the archive;
* devices, FIFOs and other special members;
* repeated members, also when only their case differs (they would overwrite
  each other on Windows and macOS);
* more members or more content bytes than the limits allow;
* a truncated or corrupt archive (a tar without its end-of-archive marker, a
  compressed stream that ends early or fails its check).

A hostile member is therefore refused rather than skipped.  Regular files are
created with ``O_EXCL``, never opened through an existing path, and symbolic
links are created last, so no file is ever written through a link.  Hard links
become copies, which work on every file system.  :func:`staged_directory`
makes the result appear under its final name only when every step succeeded:
on any failure the staging directory is removed and nothing is left behind
(only a killed process can leave a ``.<name>.partial-*`` directory).
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import posixpath
import re
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from spinefairbench.bundle.checksums import iter_manifest, sha256_file
from spinefairbench.bundle.loaders import read_text
from spinefairbench.bundle.paths import check_release_relative
from spinefairbench.errors import SpineFairBenchError

DEFAULT_MAX_MEMBERS = 200_000
DEFAULT_MAX_BYTES = 16 * 2**30
# Symbolic links followed while resolving one target; more means a loop (Linux uses 40 too).
MAX_LINK_HOPS = 40
CHUNK = 1 << 20

GZIP_MAGIC, BZIP2_MAGIC, XZ_MAGIC = b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00"

_DRIVE = re.compile(r"[A-Za-z]:")


@dataclass(frozen=True)
class ExtractionLimits:
    """How much an archive may unpack to: members of any kind, and bytes of file content."""

    max_members: int = DEFAULT_MAX_MEMBERS
    max_bytes: int = DEFAULT_MAX_BYTES


@dataclass(frozen=True)
class DigestCheck:
    """A verified archive: its base name and SHA-256 (lower-case hex)."""

    name: str
    sha256: str


@dataclass(frozen=True)
class Extraction:
    """What was unpacked: members of every kind, and bytes of file content written."""

    members: int
    bytes: int


# --------------------------------------------------------------------------
# The digest


def parse_digest_sidecar(text: str, display: str) -> tuple[str, str]:
    """``(expected hex, file name)`` of sidecar text holding exactly one ``sha256sum`` entry.

    >>> parse_digest_sidecar("AB" * 32 + "  a.tar.gz\\n", "a.sha256")[1]
    'a.tar.gz'
    >>> parse_digest_sidecar("\\n", "a.sha256")
    Traceback (most recent call last):
    ...
    spinefairbench.errors.SpineFairBenchError: a.sha256: expected exactly one '<64 hex>  <file name>' line, found 0
    """
    try:
        entries = list(iter_manifest(text))
    except SpineFairBenchError as error:
        raise SpineFairBenchError(str(error), path=display) from None
    if len(entries) != 1:
        raise SpineFairBenchError(f"expected exactly one '<64 hex>  <file name>' line, found {len(entries)}",
                                  path=display)
    _line, expected, name = entries[0]
    return expected, name


def verify_archive_digest(archive: Path, sidecar: Path) -> DigestCheck:
    """Check the archive's SHA-256 against its sidecar, whose entry must name the archive."""
    expected, name = parse_digest_sidecar(read_text(sidecar, str(sidecar)), str(sidecar))
    if name != archive.name:
        raise SpineFairBenchError(f"the SHA-256 entry names {name!r}, not the archive {archive.name!r}",
                                  path=str(sidecar))
    if not archive.is_file():
        raise SpineFairBenchError(f"Archive not found: {archive}")
    try:
        digest = sha256_file(archive)
    except OSError as error:
        raise SpineFairBenchError(f"cannot read file: {error.strerror or error}", path=str(archive)) from None
    if digest != expected:
        raise SpineFairBenchError(f"Archive SHA-256 mismatch: {archive.name}")
    return DigestCheck(archive.name, digest)


# --------------------------------------------------------------------------
# Member names


def _unsafe(name: str, reason: str) -> SpineFairBenchError:
    return SpineFairBenchError(f"Unsafe archive member {name!r}: {reason}")


def member_path(name: str) -> str:
    """The canonical archive-relative path of a member name (``""`` for the top itself).

    A leading ``./`` is what ``tar -C dir .`` writes and is dropped; anything
    else that is not a canonical relative POSIX path is refused.

    >>> member_path("./artifacts/README.md"), member_path("."), member_path("artifacts/")
    ('artifacts/README.md', '', 'artifacts')
    >>> for bad in ["/etc/passwd", "a/../../x", "C:x", "a\\\\b", "a//b"]:
    ...     try:
    ...         member_path(bad)
    ...     except SpineFairBenchError as error:
    ...         print(error)
    Unsafe archive member '/etc/passwd': absolute path
    Unsafe archive member 'a/../../x': '..' component
    Unsafe archive member 'C:x': drive letter
    Unsafe archive member 'a\\\\b': backslash (a Windows path)
    Unsafe archive member 'a//b': not a canonical relative path
    """
    if name.startswith("/"):
        raise _unsafe(name, "absolute path")
    if "\\" in name:
        raise _unsafe(name, "backslash (a Windows path)")
    if ":" in name:
        raise _unsafe(name, "drive letter" if _DRIVE.match(name) else "colon (a drive or stream name on Windows)")
    if ".." in name.split("/"):
        raise _unsafe(name, "'..' component")
    path = name
    while path.startswith("./"):
        path = path[2:]
    # Directory members may end in "/"; "." and "" name the top of the archive.
    path = path[:-1] if path.endswith("/") and path != "/" else path
    if path in ("", "."):
        return ""
    try:
        check_release_relative(path)
    except SpineFairBenchError:
        raise _unsafe(name, "not a canonical relative path") from None
    return path


def resolve_link_target(link: str, target: str, links: dict[str, str]) -> str | None:
    """Where the symbolic link ``link -> target`` ends inside the archive, following ``links``.

    Returns the archive-relative path (``""`` for the top), or None when the
    resolution leaves the top or loops.  ``links`` maps every symbolic-link
    member of the archive to its target.

    >>> resolve_link_target("a/l", "../b", {})
    'b'
    >>> resolve_link_target("a/l", "../..", {}) is None
    True
    >>> resolve_link_target("x", "d/up/..", {"d/up": ".."}) is None  # looks inside, is not
    True
    >>> resolve_link_target("x", "x", {"x": "x"}) is None  # a loop
    True
    """
    if target.startswith("/") or "\\" in target or _DRIVE.match(target):
        return None
    resolved: list[str] = []
    pending = posixpath.dirname(link).split("/") + target.split("/")
    hops = 0
    while pending:
        part = pending.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            if not resolved:
                return None
            resolved.pop()
            continue
        resolved.append(part)
        inner = links.get("/".join(resolved))
        if inner is not None:
            hops += 1
            if hops > MAX_LINK_HOPS or inner.startswith("/") or "\\" in inner or _DRIVE.match(inner):
                return None
            resolved.pop()
            pending = inner.split("/") + pending
    return "/".join(resolved)


# --------------------------------------------------------------------------
# Extraction


def check_output_directory(out: Path) -> None:
    """``out`` must not exist (not even as a dangling link) and its parent must be a directory."""
    if out.exists() or out.is_symlink():
        raise SpineFairBenchError(f"Output directory already exists: {out}")
    if not out.parent.is_dir():
        raise SpineFairBenchError(f"Output parent directory does not exist: {out.parent}")


@contextmanager
def staged_directory(out: Path) -> Iterator[Path]:
    """A fresh directory beside ``out`` that is renamed to ``out`` only if the block succeeds.

    ``out`` must not exist yet; its parent must.  On any exception the staging
    directory and everything in it are removed.
    """
    check_output_directory(out)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        yield staging
        if out.exists() or out.is_symlink():  # created by someone else meanwhile: never replace it
            raise SpineFairBenchError(f"Output directory already exists: {out}")
        os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


class _Unpacker:
    """Checks and writes the members of one archive, in archive order, into ``top``."""

    def __init__(self, top: Path, limits: ExtractionLimits) -> None:
        self.top = top
        self.limits = limits
        self.kinds: dict[str, str] = {}  # path -> "file", "dir" or "link", parents made on the way included
        self.explicit: set[str] = set()  # paths that were members themselves
        self.folded: dict[str, str] = {}  # casefold(path) -> path
        self.links: dict[str, str] = {}  # symbolic link -> target, created at the end
        self.members = 0
        self.bytes = 0

    def local(self, path: str) -> Path:
        return self.top.joinpath(*path.split("/"))  # OS separators: works on Windows

    def add(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        self.members += 1
        if self.members > self.limits.max_members:
            raise SpineFairBenchError(f"Archive has more than {self.limits.max_members} members "
                                      f"(raise --max-members to allow more)")
        name = member.name
        path = member_path(name)
        if not path:
            if not member.isdir():
                raise _unsafe(name, "names the extraction directory itself")
            return
        if member.ischr() or member.isblk() or member.isfifo():
            raise _unsafe(name, "device or FIFO")
        if not (member.isreg() or member.isdir() or member.issym() or member.islnk()):
            raise _unsafe(name, f"unsupported member type {member.type!r}")
        self._claim(name, path, "dir" if member.isdir() else "link" if member.issym() else "file")
        if member.issym():
            self.links[path] = member.linkname
        elif member.islnk():
            self._copy_hard_link(name, path, member.linkname)
        elif member.isreg():
            self._count_bytes(member.size)
            source = tar.extractfile(member)
            self._write(path, source)

    def _claim(self, name: str, path: str, kind: str) -> None:
        """Record a member, refusing repeats, case-only clashes and paths through a file or a link."""
        if path in self.explicit:
            raise _unsafe(name, "repeats an earlier member")
        if path in self.kinds and kind != "dir":  # a directory made for earlier members
            raise _unsafe(name, "an earlier member made it a directory")
        parts = path.split("/")
        for depth in range(1, len(parts)):
            parent = "/".join(parts[:depth])
            held = self.kinds.get(parent)
            if held == "link":
                raise _unsafe(name, f"stored through the symbolic link {parent!r}")
            if held == "file":
                raise _unsafe(name, f"its parent {parent!r} is a file")
            if held is None:
                self._fold(name, parent)
                self.local(parent).mkdir()
                self.kinds[parent] = "dir"
        self._fold(name, path)
        self.explicit.add(path)
        if path not in self.kinds and kind == "dir":
            self.local(path).mkdir()
        self.kinds[path] = kind

    def _fold(self, name: str, path: str) -> None:
        other = self.folded.setdefault(path.casefold(), path)
        if other != path:
            raise _unsafe(name, f"same name as {other!r} on a case-insensitive file system")

    def _count_bytes(self, size: int) -> None:
        self.bytes += size
        if self.bytes > self.limits.max_bytes:
            raise SpineFairBenchError(f"Archive content exceeds {self.limits.max_bytes} bytes "
                                      f"(raise --max-bytes to allow more)")

    def _write(self, path: str, source) -> None:
        # O_EXCL: the name cannot already exist, so nothing is written through a link or over a file.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        with os.fdopen(os.open(self.local(path), flags, 0o666), "wb") as handle:
            shutil.copyfileobj(source, handle, CHUNK)

    def _copy_hard_link(self, name: str, path: str, target: str) -> None:
        try:
            source = member_path(target)
        except SpineFairBenchError:
            raise _unsafe(name, f"hard link to {target!r} leaves the extraction directory") from None
        if self.kinds.get(source) != "file" or source == path:
            raise _unsafe(name, f"hard link to {target!r}, which is not an earlier regular file of the archive")
        self._count_bytes(self.local(source).stat().st_size)
        with open(self.local(source), "rb") as handle:
            self._write(path, handle)

    def finish(self) -> Extraction:
        """Check every symbolic link against the complete set of links, then create them."""
        resolved = {}
        for link, target in self.links.items():
            resolved[link] = resolve_link_target(link, target, self.links)
            if resolved[link] is None:
                raise _unsafe(link, f"symbolic link to {target!r} leaves the extraction directory")
        for link, target in self.links.items():
            # Windows needs to know whether a link names a directory.
            os.symlink(target, self.local(link), target_is_directory=self.kinds.get(resolved[link]) == "dir")
        return Extraction(self.members, self.bytes)


class _HeaderRecorder(tarfile.TarInfo):
    """Header reading that remembers how the archive ended.

    :mod:`tarfile` treats an archive that simply stops after a member like
    one that ends with its zero-block end-of-archive marker; only the marker
    shows that nothing was cut off.
    """

    saw_end_marker = False

    @classmethod
    def new(cls) -> type[_HeaderRecorder]:
        """A fresh subclass, so that each archive keeps its own record."""
        return type("ArchiveHeader", (cls,), {"saw_end_marker": False})

    @classmethod
    def fromtarfile(cls, tar):
        try:
            return super().fromtarfile(tar)
        except tarfile.EOFHeaderError:  # a zero block: the end-of-archive marker
            cls.saw_end_marker = True
            raise


def open_tar_stream(archive: Path):
    """The archive's uncompressed tar stream; gzip, bzip2 and xz are recognised by their first bytes.

    The decompressors of :mod:`gzip`, :mod:`bz2` and :mod:`lzma` check the end
    of their stream (and gzip its CRC), which :mod:`tarfile`'s own streaming
    mode does not: a truncated download is an error, not a shorter archive.
    """
    with open(archive, "rb") as handle:
        magic = handle.read(len(XZ_MAGIC))
    for prefix, opener in ((GZIP_MAGIC, gzip.open), (BZIP2_MAGIC, bz2.open), (XZ_MAGIC, lzma.open)):
        if magic.startswith(prefix):
            return opener(archive, "rb")
    return open(archive, "rb")


def extract_archive(archive: Path, top: Path, limits: ExtractionLimits = ExtractionLimits()) -> Extraction:
    """Unpack ``archive`` (tar, optionally gzip/bzip2/xz compressed) into the empty directory ``top``.

    Members are streamed in archive order and checked before anything of
    them is written; the first refusal raises, leaving a partial tree that
    the caller discards (see :func:`staged_directory`).
    """
    unpacker = _Unpacker(top, limits)
    headers = _HeaderRecorder.new()
    try:
        # One sequential pass ("r|"), so a compressed archive is decompressed once.
        with open_tar_stream(archive) as stream, tarfile.open(fileobj=stream, mode="r|", tarinfo=headers) as tar:
            while (member := tar.next()) is not None:
                unpacker.add(tar, member)
                tar.members.clear()  # tarfile keeps every header otherwise: 90,000 of them here
            if not headers.saw_end_marker:
                raise tarfile.ReadError("unexpected end of data (no end-of-archive marker)")
            while stream.read(CHUNK):  # the rest, so that the decompressor checks the end of its stream
                pass
        return unpacker.finish()
    except (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, gzip.BadGzipFile) as error:
        raise SpineFairBenchError(f"Cannot read archive {archive.name}: {' '.join(str(error).split())}") from None
    except OSError as error:
        raise SpineFairBenchError(f"Extraction failed: {error.strerror or error}"
                                  + (f": {error.filename}" if error.filename else "")) from None
