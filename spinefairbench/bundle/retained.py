"""Loading one model's retained reports from the panel exports (contract §5.6).

Panel choice, row validation, pairing by ``pair_id`` and the source-cluster
identity rule, with the published verifier's messages and order of checks.
Each panel file is read and indexed once per process (a ``table2 --model all``
run used to reload it for every model); the per-model checks still run in
file order, so the first failure reported is the same one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from spinefairbench.bundle import layout as L
from spinefairbench.bundle.loaders import load_json
from spinefairbench.bundle.paths import required
from spinefairbench.errors import SpineFairBenchError



@dataclass(frozen=True)
class RetainedPair:
    """One retained pair: both report texts and its source cluster."""

    pair_id: str
    cluster_id: str
    source_text: str
    generated_text: str


@dataclass(frozen=True)
class RetainedReports:
    """A model's retained pairs: ``in_file_order`` (generated rows) and ``sorted_pairs`` (by pair_id)."""

    model: str
    panel: str
    in_file_order: tuple[RetainedPair, ...]

    @property
    def sorted_pairs(self) -> list[RetainedPair]:
        return sorted(self.in_file_order, key=lambda pair: pair.pair_id)


@dataclass
class _PanelIndex:
    rows_by_model: dict[str, list[tuple[int, dict]]]
    first_non_object: int | None


def panel_rel(panel: str, name: str) -> str:
    """Bundle-relative path of a panel file, joined with OS separators as the reference prints it."""
    return os.path.join(L.PANELS, panel, name)


# The only fields the checks read; other fields of a row are dropped when indexing.
_READ_FIELDS = ("pair_id", "image_role", "response", "error", "pair_source_id", "source_id")


def _panel_index(root: Path, panel: str, cache: dict) -> _PanelIndex:
    """Rows of one panel grouped by model, keeping only the fields that are read.

    Only the most recent panel stays cached: models are visited panel by
    panel, and a full-scale panel file is the largest object of a run.
    """
    key = ("panel-index", panel)
    if key not in cache:
        for stale in [k for k in cache if isinstance(k, tuple) and k[0] == "panel-index"]:
            del cache[stale]
        rel = panel_rel(panel, "evaluation_results.json")
        rows = load_json(root / rel, rel)
        if not isinstance(rows, list):
            raise SpineFairBenchError("evaluation_results.json must contain a list")
        by_model: dict[str, list[tuple[int, dict]]] = {}
        first_non_object = None
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                if first_non_object is None:
                    first_non_object = index
                continue
            model = row.get("model")
            if isinstance(model, str):
                by_model.setdefault(model, []).append((index, {k: row[k] for k in _READ_FIELDS if k in row}))
            rows[index] = None  # let the full row go as soon as it is indexed
        cache[key] = _PanelIndex(by_model, first_non_object)
    return cache[key]


def choose_panel(root: Path, model: str, panel_dirs: list[str], cache: dict) -> str:
    """The first retained panel whose manifest lists the model (files required in order)."""
    available: set[str] = set()
    for panel in panel_dirs:
        for name in ("panel_manifest.json", "pairs.json", "evaluation_results.json"):
            required(root, panel_rel(panel, name))
        manifest_key = ("panel-manifest", panel)
        if manifest_key not in cache:
            rel = panel_rel(panel, "panel_manifest.json")
            cache[manifest_key] = load_json(root / rel, rel)
        manifest = cache[manifest_key]
        models = manifest.get("models") if isinstance(manifest, dict) else None
        if isinstance(models, list):
            names = [str(entry) for entry in models]
            if model in names:
                return panel
            available.update(names)
    raise SpineFairBenchError(
        f"Model {model!r} is not in the retained full or baseline panels. "
        f"Available models: {', '.join(sorted(available))}")


def _declared(row: dict):
    return row.get("pair_source_id") if row.get("pair_source_id") else row.get("source_id")


def _cluster_id(pair_id: str, generated: dict, source: dict) -> str:
    for row in (generated, source):
        value = _declared(row)
        if isinstance(value, str) and value:
            return value
    return pair_id.partition("__")[0]


def _consistent(row: dict, pair_id: str, cluster: str) -> bool:
    if _declared(row) != cluster:
        return False
    if any(row.get(key) and row.get(key) != cluster for key in ("pair_source_id", "source_id")):
        return False
    return pair_id.startswith(cluster + "__")


def load_retained_reports(root: Path, model: str, panel_dirs: list[str], cache: dict) -> RetainedReports:
    """Validate and pair one model's retained rows (every check of contract §5.6)."""
    panel = choose_panel(root, model, panel_dirs, cache)
    index = _panel_index(root, panel, cache)
    sources: dict[str, dict] = {}
    generated: list[dict] = []
    for position, row in index.rows_by_model.get(model, []):
        if index.first_non_object is not None and position > index.first_non_object:
            break
        if row.get("error"):
            raise SpineFairBenchError(f"Unresolved evaluation error in retained export: {model}: {row.get('pair_id')}")
        pair_id = row.get("pair_id")
        if not isinstance(pair_id, str) or not pair_id:
            raise SpineFairBenchError(f"Missing pair_id in retained export: {model}")
        response = row.get("response")
        if not isinstance(response, str) or not response.strip():
            raise SpineFairBenchError(f"Missing report text in retained export: {model}: {pair_id}")
        role = row.get("image_role")
        if role == "source":
            if pair_id in sources:
                raise SpineFairBenchError(f"Duplicate source report: {model}: {pair_id}")
            sources[pair_id] = row
        elif role == "generated":
            generated.append(row)
        else:
            raise SpineFairBenchError(f"Unknown report role in retained export: {model}: {pair_id}: {role!r}")
    if index.first_non_object is not None:
        raise SpineFairBenchError("evaluation_results.json contains a non-object row")

    generated_by_id: dict[str, dict] = {}
    for row in generated:
        if row["pair_id"] in generated_by_id:
            raise SpineFairBenchError(f"Duplicate pair_id in {model} generated reports: {row['pair_id']}")
        generated_by_id[row["pair_id"]] = row
    if sources.keys() != generated_by_id.keys():
        raise SpineFairBenchError(f"Unpaired retained reports: {model}")

    clusters: dict[str, str] = {}
    for pair_id, source in sources.items():
        generated_row = generated_by_id[pair_id]
        cluster = _cluster_id(pair_id, generated_row, source)
        if not (_consistent(generated_row, pair_id, cluster) and _consistent(source, pair_id, cluster)):
            raise SpineFairBenchError(f"Inconsistent source cluster identity: {model}: {pair_id}")
        clusters[pair_id] = cluster

    pairs = tuple(RetainedPair(row["pair_id"], clusters[row["pair_id"]], sources[row["pair_id"]]["response"],
                               row["response"]) for row in generated)
    return RetainedReports(model, panel, pairs)
