"""Shared fixtures: paths to the specification and conformance folders (when present)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED


@pytest.fixture(scope="session")
def conformance_bundle(shared_dir: Path) -> Path:
    bundle = shared_dir / "conformance" / "bundle"
    if not bundle.is_dir():
        pytest.skip("../shared/conformance is not present")
    return bundle
