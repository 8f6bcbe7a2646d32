"""``checksums``, ``release-identity`` and ``followup``: byte-level integrity against pinned values (§5.1-§5.3)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from spinefairbench.bundle.checksums import sha256_file, verify_manifest
from spinefairbench.bundle.loaders import is_finite_number, load_json, load_json_object
from spinefairbench.bundle.paths import contained
from spinefairbench.bundle.profile import CODE_ROOT
from spinefairbench.commands.framework import Context, Transcript
from spinefairbench.errors import SpineFairBenchError

DEFAULT_MANIFEST = CODE_ROOT / "SHA256SUMS.txt"
ARCHIVE_VARIANTS = ("anonymous", "personal")


def checksums(out: Transcript, manifest: str | None) -> None:
    path = Path(manifest) if manifest else DEFAULT_MANIFEST
    with out.progress(f"checksums {path.name}") as progress:
        count = verify_manifest(path, progress=progress.update)
    out.emit(f"Checksum verification: {count} files OK")
    out.facts.update(manifest=str(path), files_ok=count)


def release_identity(context: Context, out: Transcript, variant: str) -> None:
    release = context.profile.data["release_manifest"]
    if variant == "anonymous":
        chosen = release
    elif variant == "personal":
        chosen = (release.get("archive_variants") or {}).get("personal") or {}
    else:
        raise SpineFairBenchError(f"Unsupported archive variant: {variant}")
    identity = chosen.get("identity") if isinstance(chosen.get("identity"), dict) else {}
    anchors = identity.get("artifact_anchors")
    if release.get("schema_version") != "1.0" or not anchors or not isinstance(anchors, dict):
        raise SpineFairBenchError("Unsupported or empty release identity manifest")
    for name, expected in anchors.items():
        path = contained(context.root, name)
        if not path.is_file():
            raise SpineFairBenchError(f"Release identity file missing: {name}")
        if sha256_file(path) != expected:
            raise SpineFairBenchError(f"Pinned release identity mismatch: {name}")
    registry_rel = release.get("frozen_prompt_registry")
    # The published verifier does not path-check this name; a bundle-carried profile must not leave the bundle.
    frozen = load_json_object(contained(context.root, str(registry_rel)), str(registry_rel))
    prompts = frozen.get("prompt_registry") or {}
    if not isinstance(prompts, dict):
        raise SpineFairBenchError("expected an object", path=str(registry_rel), field="prompt_registry")
    public = context.profile.data["public_prompt_registry"]
    for key, value in prompts.items():
        entry = public.get(key)
        if value is None and entry is None:
            continue
        if not (isinstance(value, str) and isinstance(entry, dict)
                and hashlib.sha256(value.encode("utf-8")).hexdigest() == entry.get("sha256")):
            raise SpineFairBenchError(f"Frozen prompt differs from public code: {key}")
    archive = identity.get("artifact_archive") if isinstance(identity.get("artifact_archive"), dict) else {}
    out.emit(f"Pinned retained-release identity: OK ({len(anchors)} anchors)")
    out.emit(f"Archive variant: {variant}")
    out.emit(f"Archive revision: {archive.get('revision')}")
    out.emit(f"Frozen prompt registry entries preserved: {len(prompts)}")
    out.emit("Coverage: artifact identity and prompt preservation; full file integrity requires checksums.")
    out.facts.update(anchors=len(anchors), variant=variant, revision=archive.get("revision"),
                     frozen_prompt_entries=len(prompts))


def followup_pin(context: Context) -> dict:
    """The profile's pin of the code-side follow-up supplement: ``{path, sha256, size_bytes}``."""
    release = context.profile.data["release_manifest"]
    return release.get("supplemental_artifacts", {}).get("retained_followup_audit", {})


def supplement_path(context: Context, explicit: str | None) -> Path:
    pin = followup_pin(context)
    if explicit:
        return Path(explicit)
    path = contained(context.profile.base_dir, str(pin.get("path")))
    if not path.is_file():
        raise SpineFairBenchError(
            f"Retained follow-up supplement not found: {pin.get('path')} (it ships with the published code "
            f"repository, not with the bundle; pass --supplement FILE)")
    return path


def _arithmetic_holds(item) -> bool:
    if not isinstance(item, dict):
        return False
    values = [item.get(k) for k in ("T", "F", "excess", "normalized_excess")]
    ci = item.get("ci95")
    if not isinstance(ci, list) or len(ci) < 2 or not all(is_finite_number(v) for v in values + ci):
        return False
    t, f, excess, normalized = values
    return (0 <= t <= 1 and 0 <= f < 1 and ci[0] <= ci[1] and abs(excess - (t - f)) <= 1e-12
            and abs(normalized - excess / (1 - f)) <= 1e-12)


def followup(context: Context, out: Transcript, supplement: str | None) -> None:
    pin = followup_pin(context)
    path = supplement_path(context, supplement)
    if sha256_file(path) != pin.get("sha256"):
        raise SpineFairBenchError("Retained follow-up supplement hash mismatch")
    summary = load_json(path, str(path))
    repeated = summary.get("repeated_calls") if isinstance(summary, dict) else None
    models = repeated.get("models") if isinstance(repeated, dict) else None
    if not isinstance(models, dict) or set(models) != set(context.profile.retained_models):
        raise SpineFairBenchError("Retained follow-up model membership mismatch")
    out.emit("Retained follow-up aggregate identity and arithmetic:")
    out.emit(summary.get("scope"))
    expected_sources = repeated.get("common_core_sources")
    for model in sorted(models):
        row = models[model] if isinstance(models[model], dict) else {}
        drops = [row.get(k) for k in ("n_sources", "dropped_no_usable_edited_comparison",
                                      "dropped_fewer_than_two_usable_source_reports")]
        if not all(is_finite_number(v) for v in drops) or drops[0] + drops[1] + drops[2] != expected_sources:
            raise SpineFairBenchError(f"Repeated-call source accounting mismatch: {model}")
        for endpoint in ("recommendation", "diagnostic"):
            if not _arithmetic_holds(row.get(endpoint)):
                raise SpineFairBenchError(f"Repeated-call aggregate arithmetic mismatch: {model}: {endpoint}")
        rec, diag = row["recommendation"]["excess"], row["diagnostic"]["excess"]
        out.emit(f"{model} sources: {row['n_sources']} recommendation/diagnostic excess: {rec:.6f} {diag:.6f}")
        out.facts.setdefault("models", {})[model] = {"n_sources": row["n_sources"], "recommendation_excess": rec,
                                                     "diagnostic_excess": diag}
    out.emit("Retained follow-up aggregate checks: OK")
    out.emit("Coverage: pinned aggregate bytes and repeated-call accounting/arithmetic; not raw-audit reproduction "
             "or new validation.")
