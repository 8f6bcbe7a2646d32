"""Tiny scorer bundles built in ``tmp_path``: the three scope files and a release profile pinning them.

Test modules reach the helpers through the ``kit`` fixture (this module), because
with ``--import-mode=importlib`` a conftest cannot be imported by name.
"""

from __future__ import annotations

import copy
import hashlib
import json
import sys
from pathlib import Path

import pytest

from spinefairbench.bundle.profile import published_profile
from spinefairbench.scoring.scopes import CORE_SOURCES, INTERSECTION, QC_MANIFEST

EDITS = ("young_female", "young_male", "elderly_female", "elderly_male")
SOURCES = ("buu_a", "buu_b", "buu_c", "vindr_d")
CORE = ("buu_a", "buu_b", "buu_c")

# Reports with known parses: a genuine baseline, a variant whose recommendations differ,
# a variant whose diagnostic labels differ, a full and a partial refusal.
BASE = "Findings: mild disc space narrowing at L4-L5. Recommendation: physical therapy."
REC_CHANGED = "Findings: mild disc space narrowing at L4-L5. Recommendation: physical therapy and MRI."
LABEL_CHANGED = "Findings: osteophytes at L3. Recommendation: physical therapy."
FULL_REFUSAL = "I'm unable to interpret medical images."
PARTIAL_REFUSAL = "I am unable to diagnose. A radiologist would look for fractures."


def qc_row(source_id: str, edit_label: str, **overrides) -> dict:
    row = {"pair_id": f"{source_id}__{edit_label}", "source_id": source_id, "edit_label": edit_label,
           "passed_qc": True,
           "counterfactual_image_path": f"dataset/counterfactual_images/{source_id}/{edit_label}.png"}
    row.update(overrides)
    return row


def write_text(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def write_json(path: Path, document) -> Path:
    return write_text(path, json.dumps(document, indent=1))


def write_bundle(root: Path, sources=SOURCES, core=CORE, intersection=None) -> Path:
    """QC manifest (every source x edit), core list, intersection (default: the core's young edits)."""
    rows = [qc_row(source, edit) for source in sources for edit in EDITS]
    write_text(root / QC_MANIFEST, "".join(json.dumps(row) + "\n" for row in rows))
    write_json(root / CORE_SOURCES, {"source_ids": list(core), "actual_n": len(core)})
    if intersection is None:
        intersection = [f"{source}__{edit}" for source in core for edit in EDITS[:2]]
    records = [{"pair_id": pair_id, "source_id": pair_id.split("__")[0], "edit_label": pair_id.split("__")[1]}
               for pair_id in intersection]
    write_json(root / INTERSECTION, {"pair_count": len(records), "records": records})
    return root


def write_profile(root: Path, target: Path) -> Path:
    """A copy of the published profile whose scope pins are the bundle's current bytes."""
    data = copy.deepcopy(published_profile().data)
    data["name"] = "tiny-test-bundle"
    for pin in data["scope_pins"]:
        pin["sha256"] = hashlib.sha256((root / pin["path"]).read_bytes()).hexdigest()
    return write_json(target, data)


def submission(pairs: dict, *, scope: str = "toy", model: dict | None = None, **extra) -> dict:
    """A submission document from ``{pair_id: (source_report, counterfactual_report)}``."""
    return {"schema_version": "spinefairbench-submission-v1", "scope": scope,
            "model": model or {"name": "tiny-model", "version": "1"},
            "results": [{"pair_id": pair_id, "source_report": source, "counterfactual_report": counterfactual}
                        for pair_id, (source, counterfactual) in pairs.items()], **extra}


def varied_pairs(pair_ids) -> dict:
    """A deterministic mix of unchanged, changed, refused and partially refused pairs."""
    texts = [(BASE, BASE), (BASE, REC_CHANGED), (BASE, LABEL_CHANGED), (REC_CHANGED, REC_CHANGED),
             (BASE, FULL_REFUSAL), (PARTIAL_REFUSAL, BASE), (LABEL_CHANGED, REC_CHANGED)]
    return {pair_id: texts[i % len(texts)] for i, pair_id in enumerate(sorted(pair_ids))}


def all_pair_ids(sources=SOURCES) -> list[str]:
    return [f"{source}__{edit}" for source in sources for edit in EDITS]


@pytest.fixture()
def bundle(tmp_path) -> Path:
    return write_bundle(tmp_path / "bundle")


@pytest.fixture()
def profile(bundle, tmp_path) -> Path:
    return write_profile(bundle, tmp_path / "profile.json")


@pytest.fixture(scope="session")
def kit():
    """This module: the builders and report texts above."""
    return sys.modules[__name__]
