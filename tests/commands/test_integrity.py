"""``release-identity`` and ``followup`` against a bundle's own profile, and every failure message."""

import hashlib
import json

import pytest

PROFILE = "SPINEFAIRBENCH_PROFILE.json"
SUPPLEMENT = "supplement/retained_followup_audit_summary.json"
PROMPTS = "artifacts/freeze_runs/2026-04-09/canonical_definitions.json"


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_release_identity_both_variants(run, demo_bundle):
    for variant in ("anonymous", "personal"):
        result = run("release-identity", "--artifacts", demo_bundle, "--archive-variant", variant)
        assert result.status == 0, result.err
        assert result.lines[0] == "Pinned retained-release identity: OK (7 anchors)"
        assert result.lines[1] == f"Archive variant: {variant}"
        assert result.lines[3] == "Frozen prompt registry entries preserved: 11"


def test_release_identity_against_published_profile_fails(run, demo_bundle, tmp_path, edit):
    from spinefairbench.bundle.profile import published_profile

    published = tmp_path / "published.json"
    published.write_text(json.dumps(published_profile().data), encoding="utf-8")
    edit.fails(run("release-identity", "--artifacts", demo_bundle, "--profile", published),
               "Pinned release identity mismatch: SHA256SUMS.txt")


def test_anchor_mismatch_and_missing(run, bundle, edit):
    edit.json(bundle / "artifacts/Results/analysis/common_core_1000_summary.json", lambda d: d.update(extra=1))
    edit.fails(run("release-identity", "--artifacts", bundle),
               "Pinned release identity mismatch: artifacts/Results/analysis/common_core_1000_summary.json")
    (bundle / "radiologist_validation_SHA256SUMS.txt").unlink()
    edit.fails(run("release-identity", "--artifacts", bundle),
               "Release identity file missing: radiologist_validation_SHA256SUMS.txt")


def test_frozen_prompt_must_match_public_identity(run, bundle, edit):
    edit.json(bundle / PROMPTS, lambda d: d["prompt_registry"].update(system="A different system prompt."))
    edit.json(bundle / PROFILE, lambda p: p["release_manifest"]["identity"]["artifact_anchors"].update(
        {PROMPTS: sha(bundle / PROMPTS)}))
    edit.fails(run("release-identity", "--artifacts", bundle), "Frozen prompt differs from public code: system")


@pytest.mark.parametrize("change, message", [
    (lambda p: p["release_manifest"].update(schema_version="2.0"), "Unsupported or empty release identity manifest"),
    (lambda p: p["release_manifest"]["identity"].update(artifact_anchors={}),
     "Unsupported or empty release identity manifest"),
    (lambda p: p["release_manifest"]["identity"].update(artifact_anchors={"../outside": "0" * 64}),
     "Invalid release-relative path: '../outside'"),
])
def test_release_manifest_shape(run, bundle, edit, change, message):
    edit.json(bundle / PROFILE, change)
    edit.fails(run("release-identity", "--artifacts", bundle), message)


def test_followup_passes(run, demo_bundle):
    result = run("followup", "--artifacts", demo_bundle)
    assert result.status == 0, result.err
    assert result.lines[0] == "Retained follow-up aggregate identity and arithmetic:"
    assert len(result.lines) == 2 + 9 + 2
    assert result.lines[-2] == "Retained follow-up aggregate checks: OK"


def test_followup_without_supplement_on_published_profile(run, conformance_bundle):
    result = run("followup", "--artifacts", conformance_bundle)
    assert result.status == 1
    assert result.err.startswith("Retained follow-up supplement not found: supplement/retained_followup_audit_summary.json")


def damage_supplement(bundle, edit, change):
    edit.json(bundle / SUPPLEMENT, change)
    edit.json(bundle / PROFILE, lambda p: p["release_manifest"]["supplemental_artifacts"]["retained_followup_audit"]
              .update(sha256=sha(bundle / SUPPLEMENT)))


@pytest.mark.parametrize("change, message", [
    (lambda s: s["repeated_calls"]["models"].pop("radfm"), "Retained follow-up model membership mismatch"),
    (lambda s: s["repeated_calls"]["models"]["gemma-4"].update(n_sources=1),
     "Repeated-call source accounting mismatch: gemma-4"),
    (lambda s: s["repeated_calls"]["models"]["gpt-5.4"]["diagnostic"].update(excess=0.5),
     "Repeated-call aggregate arithmetic mismatch: gpt-5.4: diagnostic"),
    (lambda s: s["repeated_calls"]["models"]["radfm"]["recommendation"].update(ci95=[0.1]),
     "Repeated-call aggregate arithmetic mismatch: radfm: recommendation"),
    (lambda s: s["repeated_calls"]["models"]["radfm"]["recommendation"].update(T=True),
     "Repeated-call aggregate arithmetic mismatch: radfm: recommendation"),
])
def test_followup_checks(run, bundle, edit, change, message):
    damage_supplement(bundle, edit, change)
    edit.fails(run("followup", "--artifacts", bundle), message)


def test_followup_hash_pin(run, bundle, edit, tmp_path):
    other = tmp_path / "supplement.json"
    other.write_text((bundle / SUPPLEMENT).read_text(encoding="utf-8") + " ", encoding="utf-8")
    edit.fails(run("followup", "--artifacts", bundle, "--supplement", other),
               "Retained follow-up supplement hash mismatch")
