#!/usr/bin/env python3
"""Regenerate the code package's checksum manifest and the prompt-identity file.

    python3 scripts/update_checksums.py [--check]

``SHA256SUMS.txt`` at the repository root lists every file of the code
package (the ``spinefairbench`` package, ``reviewer_verify.py``, ``prompts/``,
``pyproject.toml``, ``LICENSE``) in ``sha256sum`` format, so that
``shasum -a 256 -c SHA256SUMS.txt`` and ``reviewer_verify.py checksums`` both
verify a checkout.  ``prompts/prompt_identities.json`` is written from the
published release profile: the names and SHA-256 of the public prompt texts
(the texts themselves are not part of this project).  ``--check`` only
reports whether either file is stale (exit 1 if so); a test runs it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from spinefairbench.bundle.checksums import manifest_text, sha256_file  # noqa: E402
from spinefairbench.bundle.profile import published_profile  # noqa: E402

MANIFEST = ROOT / "SHA256SUMS.txt"
PROMPT_IDENTITIES = ROOT / "prompts" / "prompt_identities.json"
TOP_LEVEL_FILES = ("reviewer_verify.py", "pyproject.toml", "LICENSE")


def package_files() -> list[Path]:
    """Every file the manifest covers, sorted."""
    files = [ROOT / name for name in TOP_LEVEL_FILES]
    for folder in ("spinefairbench", "prompts"):
        files += [p for p in (ROOT / folder).rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]
    return sorted(files)


def prompt_identities_text() -> str:
    registry = published_profile().data["public_prompt_registry"]
    document = {"description": "Identity of the public prompt registry (prompts/canonical_definitions.json of the "
                               "published code package): name -> SHA-256 of the UTF-8 text and its length in code "
                               "points. The texts are not part of this project; see prompts/README.md.",
                "prompt_registry": registry}
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def manifest_body() -> str:
    return manifest_text((p.relative_to(ROOT).as_posix(), sha256_file(p)) for p in package_files())


def main(argv: list[str]) -> int:
    check = "--check" in argv
    identities = prompt_identities_text()
    if check:
        stale = []
        if not PROMPT_IDENTITIES.is_file() or PROMPT_IDENTITIES.read_text(encoding="utf-8") != identities:
            stale.append(str(PROMPT_IDENTITIES.relative_to(ROOT)))
        if not MANIFEST.is_file() or MANIFEST.read_text(encoding="utf-8") != manifest_body():
            stale.append(MANIFEST.name)
        for name in stale:
            print(f"stale: {name} (run python3 scripts/update_checksums.py)")
        return 1 if stale else 0
    PROMPT_IDENTITIES.write_text(identities, encoding="utf-8")
    MANIFEST.write_text(manifest_body(), encoding="utf-8")
    print(f"wrote {MANIFEST.name} ({len(package_files())} files) and {PROMPT_IDENTITIES.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
