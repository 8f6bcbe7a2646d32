"""``fetch-verify ARCHIVE --sha256-file FILE --out DIR``: from a downloaded archive to a verified bundle.

The steps a reviewer would otherwise run by hand, in the only safe order:

1. the archive's SHA-256 must equal its ``.sha256`` sidecar (whose one entry
   must name the archive) -- nothing is unpacked from an archive that is not
   the published one;
2. the archive is unpacked safely (:mod:`spinefairbench.bundle.archive`) into
   a staging directory beside ``DIR``;
3. the bundle's own checksum manifests are verified, exactly as ``checksums``
   does: ``SHA256SUMS.txt`` (required) and
   ``radiologist_validation_SHA256SUMS.txt`` (when present) of the bundle
   root -- the archive's single top directory (``artifacts/`` for the
   published archive), else the top of the archive;
4. the staging directory is renamed to ``DIR``.

``DIR`` must not exist, and it appears only when every step passed: on any
failure nothing is left behind.  A failure is one line on stderr and exit
status 1, like every reviewer check.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from spinefairbench.bundle.archive import (DEFAULT_MAX_BYTES, DEFAULT_MAX_MEMBERS, ExtractionLimits,
                                           check_output_directory, extract_archive, staged_directory,
                                           verify_archive_digest)
from spinefairbench.bundle.checksums import verify_manifest
from spinefairbench.commands.framework import Transcript, execute
from spinefairbench.errors import SpineFairBenchError

REQUIRED_MANIFEST = "SHA256SUMS.txt"
OPTIONAL_MANIFESTS = ("radiologist_validation_SHA256SUMS.txt",)


@dataclass(frozen=True)
class FetchVerifyResult:
    """A verified, unpacked bundle: where it is and what was checked."""

    archive: str
    sha256: str
    members: int
    bytes: int
    out: Path
    bundle_root: Path
    manifests: tuple[tuple[str, int], ...]  # (manifest path relative to out, files verified)


def bundle_top(directory: Path) -> Path:
    """The bundle root in an unpacked archive: its single top directory, else the directory itself."""
    entries = list(directory.iterdir())
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
        return entries[0]
    return directory


def fetch_and_verify(archive: Path, sidecar: Path, out: Path, limits: ExtractionLimits = ExtractionLimits(),
                     report: Callable[[str], None] = lambda line: None) -> FetchVerifyResult:
    """Run the four steps; ``report`` receives each result line as soon as its step has passed."""
    out = Path(os.path.abspath(out))
    check_output_directory(out)  # before hashing gigabytes, not after
    digest = verify_archive_digest(archive, sidecar)
    report(f"Archive SHA-256: OK ({digest.name})")
    with staged_directory(out) as staging:
        extraction = extract_archive(archive, staging, limits)
        report(f"Extracted: {extraction.members} members, {extraction.bytes} bytes into {out}")
        top = bundle_top(staging)
        shown_top = top.relative_to(staging)
        manifests = []
        for name in (REQUIRED_MANIFEST, *OPTIONAL_MANIFESTS):
            manifest = top / name
            shown = (shown_top / name).as_posix()
            if not manifest.is_file():
                if name == REQUIRED_MANIFEST:
                    raise SpineFairBenchError(f"Extracted archive has no {name} in its bundle root: {shown}")
                continue
            count = verify_manifest(manifest)
            manifests.append((shown, count))
            report(f"Checksum verification: {count} files OK ({shown})")
    root = out / shown_top
    report(f"Verified bundle root: {root}")
    return FetchVerifyResult(digest.name, digest.sha256, extraction.members, extraction.bytes, out, root,
                             tuple(manifests))


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def run(args) -> int:
    limits = ExtractionLimits(args.max_members, args.max_bytes)

    def body(_context, out: Transcript) -> None:
        result = fetch_and_verify(Path(args.archive), Path(args.sha256_file), Path(args.out), limits, out.emit)
        out.facts.update(archive=result.archive, sha256=result.sha256, members=result.members,
                         bytes=result.bytes, out=str(result.out), bundle_root=str(result.bundle_root),
                         manifests=dict(result.manifests))

    return execute(args, "fetch-verify", body, needs_bundle=False)


def register(subparsers) -> None:
    """Add ``fetch-verify`` to the command table."""
    parser = subparsers.add_parser(
        "fetch-verify", help="check a downloaded archive's SHA-256, unpack it safely and verify its checksums",
        description="Check ARCHIVE against its .sha256 file, unpack it safely into DIR (which must not exist) "
                    "and verify the bundle's checksum manifests.  DIR appears only if everything passed.")
    parser.add_argument("archive", metavar="ARCHIVE", help="the downloaded .tar, .tar.gz or .tgz")
    parser.add_argument("--sha256-file", required=True, metavar="FILE",
                        help="its sidecar: one line '<64 hex>  <archive file name>'")
    parser.add_argument("--out", required=True, metavar="DIR", help="directory to create for the unpacked bundle")
    parser.add_argument("--max-members", type=_positive_int, default=DEFAULT_MAX_MEMBERS, metavar="N",
                        help=f"refuse archives with more members (default {DEFAULT_MAX_MEMBERS})")
    parser.add_argument("--max-bytes", type=_positive_int, default=DEFAULT_MAX_BYTES, metavar="N",
                        help=f"refuse archives whose files hold more bytes (default {DEFAULT_MAX_BYTES}, 16 GiB)")
    parser.add_argument("--json", action="store_true", help="print one spinefairbench-verify-v1 JSON document")
    parser.add_argument("--quiet", action="store_true", help="no progress notes on stderr")
    parser.set_defaults(func=run)
