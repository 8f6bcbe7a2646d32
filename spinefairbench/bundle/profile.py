"""Release profiles: the expected values a bundle is judged against, as data.

A profile holds what the published verifier and scorer hard-code for the
published release -- the model roster and panels, radiologist counts, Stage-1
thresholds, mitigation expectations, release-identity anchors, scope pins and
the public prompt identities.  Which profile applies:

1. ``--profile FILE`` when given;
2. else the profile a bundle carries at its root (``SPINEFAIRBENCH_PROFILE.json``;
   demo bundles carry theirs);
3. else the published-release profile shipped in this package.

So on any bundle that carries no profile the tool judges exactly as the
published verifier does.  The choice is reported on stderr and in ``--json``
output, never on stdout.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from spinefairbench.bundle.loaders import parse_json_text, read_text
from spinefairbench.bundle.paths import check_release_relative
from spinefairbench.errors import SpineFairBenchError

SCHEMA_VERSION = "spinefairbench-release-profile-v1"
BUNDLE_PROFILE_NAME = "SPINEFAIRBENCH_PROFILE.json"
PUBLISHED_PROFILE = "published-2026-09-10.json"
CODE_ROOT = Path(__file__).resolve().parents[2]

# Top-level keys every profile must carry, with the JSON type each must have.
REQUIRED_KEYS = {
    "name": str, "retained_models": list, "summary_panels": dict, "retained_panel_dirs": list,
    "mitigation_panel_dir": str, "frozen_bootstrap": dict, "radiologist": dict, "stage1_gate": dict,
    "mitigation": dict, "release_manifest": dict, "followup": dict, "public_prompt_registry": dict,
    "scope_pins": list,
}


@dataclass(frozen=True)
class ReleaseProfile:
    """A loaded profile and where it came from."""

    data: dict
    origin: str  # "option", "bundle" or "published"
    path: str
    base_dir: Path  # where code-side files named by the profile (the supplement) are looked up
    sha256: str

    @property
    def name(self) -> str:
        return self.data["name"]

    @property
    def retained_models(self) -> list[str]:
        return list(self.data["retained_models"])

    def summary_panel_of(self, model: str) -> str:
        return "full" if model in self.data["summary_panels"].get("full", []) else "baseline"

    def describe(self) -> dict:
        """The provenance facts reported on stderr and in JSON outputs."""
        return {"name": self.name, "origin": self.origin, "path": self.path, "sha256": self.sha256}

    def pins_for_scope(self, scope: str) -> list[tuple[str, str]]:
        """``(relative path, sha256)`` pins checked for a scorer scope, in profile order."""
        return [(pin["path"], pin["sha256"]) for pin in self.data["scope_pins"] if scope in pin["scopes"]]


def parse_profile(text: str, display: str) -> dict:
    """Parse and shape-check a profile document."""
    data = parse_json_text(text, display, strict=True)
    if not isinstance(data, dict):
        raise SpineFairBenchError("a release profile must be a JSON object", path=display)
    if data.get("schema_version") != SCHEMA_VERSION:
        raise SpineFairBenchError(f"expected {SCHEMA_VERSION!r}", path=display, field="schema_version")
    for key, kind in REQUIRED_KEYS.items():
        if not isinstance(data.get(key), kind):
            raise SpineFairBenchError(f"expected a JSON {kind.__name__.replace('dict', 'object')}",
                                      path=display, field=key)
    if not data["retained_models"] or not all(isinstance(m, str) and m for m in data["retained_models"]):
        raise SpineFairBenchError("expected a non-empty list of model names", path=display, field="retained_models")
    for panel in [*data["retained_panel_dirs"], data["mitigation_panel_dir"]]:
        check_release_relative(str(panel))  # panel folders are joined under the bundle root
    return data


def _load(path: Path, origin: str, base_dir: Path, display: str) -> ReleaseProfile:
    text = read_text(path, display)
    data = parse_profile(text, display)
    return ReleaseProfile(data, origin, display, base_dir, hashlib.sha256(text.encode("utf-8")).hexdigest())


def published_profile() -> ReleaseProfile:
    """The profile of the published release, shipped with the package."""
    resource = resources.files("spinefairbench.data.profiles").joinpath(PUBLISHED_PROFILE)
    return _load(Path(str(resource)), "published", CODE_ROOT, f"<package>/{PUBLISHED_PROFILE}")


def select_profile(bundle_root: Path | None, explicit: str | None = None) -> ReleaseProfile:
    """Apply the selection order: explicit file, bundle-carried profile, published profile."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise SpineFairBenchError("release profile not found", path=explicit)
        return _load(path, "option", Path(os.path.realpath(path)).parent, explicit)
    if bundle_root is not None:
        carried = bundle_root / BUNDLE_PROFILE_NAME
        if carried.is_file():
            return _load(carried, "bundle", bundle_root, str(carried))
    return published_profile()
