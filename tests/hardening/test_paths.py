"""Path safety end to end: names taken from bundle files never lead a command out of the bundle root.

Each test plants a **sentinel** next to the bundle (``<tmp>/outside/``) whose
content would change the outcome if it were read -- a file whose SHA-256 the
hostile manifest lists correctly, a Stage-1 sample that passes, a reviewer CSV
with exactly the expected number of rows -- so a command that followed the
name would succeed, and the test sees it.  The last test runs every bundle
command in a fresh interpreter with an audit hook (``sys.addaudithook``) that
records each file the process opens or lists, and asserts that all of them are
inside the bundle, the package, the Python installation or the output folder.

Where the published verifier joins a bundle-supplied name without a check
(Stage-1 sample names, per-reviewer CSV paths, the frozen prompt file and
panel folders named by a bundle-carried release profile), this tool applies
the release-path rule, and the tests hold it to that.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PANELS = "artifacts/Results/final_inputs/panels"
STAGE1 = f"{PANELS}/full_pipeline_mitigation_retained/stage1_outputs"
ANALYSIS = "artifacts/Results/analysis"
SECRET = b"sentinel outside the bundle\n"
SECRET_SHA = hashlib.sha256(SECRET).hexdigest()


@pytest.fixture()
def make_site(demo_bundle, tmp_path):
    """``make_site(*parts)`` -> ``(bundle, outside)``: a private copy of the named parts of the demo bundle
    (copying all of it for every test would dominate the run time) and a sibling folder with the sentinel."""
    def make(*parts: str) -> tuple[Path, Path]:
        bundle = tmp_path / "artifacts"
        bundle.mkdir()
        for part in ("SPINEFAIRBENCH_PROFILE.json", "README.md", *parts):
            source, target = demo_bundle / part, bundle / part
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target, symlinks=True)
            else:
                shutil.copy2(source, target)
        outside = tmp_path / "outside"
        outside.mkdir()
        (outside / "secret.txt").write_bytes(SECRET)
        return Path(os.path.realpath(bundle)), Path(os.path.realpath(outside))
    return make


@pytest.fixture()
def site(make_site) -> tuple[Path, Path]:
    """The smallest site: the bundle's profile and README only (enough for manifests and anchors)."""
    return make_site("dataset/README.md")


def verify(cli, *argv: str):
    return cli.run(["reviewer_verify.py", *argv])


def fails_with(outcome, message: str) -> None:
    assert "Traceback" not in outcome.err
    assert (outcome.status, outcome.err) == (1, message + "\n")


def edit_json(path: Path, change) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")


# --------------------------------------------------------------------------
# Checksum manifests


@pytest.mark.parametrize("name", [
    "../outside/secret.txt", "artifacts/../../outside/secret.txt", "{OUTSIDE}/secret.txt", "..\\outside\\secret.txt",
    "C:/outside/secret.txt", "C:secret.txt", "./README.md", "dataset//README.md", "dataset/./README.md",
    "dataset/.", "dataset/", "",
])
def test_checksum_names_that_leave_or_are_not_canonical(cli, site, name):
    bundle, outside = site
    name = name.replace("{OUTSIDE}", str(outside))
    manifest = bundle / "SHA256SUMS.txt"
    manifest.write_text(f"{SECRET_SHA}  {name}\n", encoding="utf-8")
    outcome = verify(cli, "checksums", str(manifest))
    if name:
        fails_with(outcome, f"Invalid release-relative path: {name!r}")
    else:  # "<hex>  " with nothing after the two spaces is not an entry at all
        fails_with(outcome, "Malformed SHA-256 manifest entry at line 1")


def test_checksum_entry_symlinked_out_of_the_bundle(cli, site):
    bundle, outside = site
    os.symlink(outside / "secret.txt", bundle / "leak.txt")
    (bundle / "SHA256SUMS.txt").write_text(f"{SECRET_SHA}  leak.txt\n", encoding="utf-8")
    fails_with(verify(cli, "checksums", str(bundle / "SHA256SUMS.txt")), "Release path escapes its root: 'leak.txt'")


def test_checksum_entry_through_a_symlinked_directory(cli, site):
    bundle, outside = site
    os.symlink(outside, bundle / "dataset" / "extra", target_is_directory=True)
    (bundle / "SHA256SUMS.txt").write_text(f"{SECRET_SHA}  dataset/extra/secret.txt\n", encoding="utf-8")
    fails_with(verify(cli, "checksums", str(bundle / "SHA256SUMS.txt")),
               "Release path escapes its root: 'dataset/extra/secret.txt'")


def test_a_manifest_that_is_a_symlink_verifies_the_tree_of_its_target(cli, site):
    """The published semantics: the manifest path is resolved first, entries are relative to its real folder.

    So ``checksums`` on a bundle whose ``SHA256SUMS.txt`` links elsewhere checks *that* tree; it is
    ``release-identity`` (the manifest is an anchor, and anchors may not escape) that catches such a bundle.
    """
    bundle, outside = site
    (outside / "SHA256SUMS.txt").write_text(f"{SECRET_SHA}  secret.txt\n", encoding="utf-8")
    os.symlink(outside / "SHA256SUMS.txt", bundle / "linked.txt")
    outcome = verify(cli, "checksums", str(bundle / "linked.txt"))
    assert outcome.status == 0 and outcome.out == "Checksum verification: 1 files OK\n"  # it verified outside/


def test_symlink_that_stays_inside_is_allowed(cli, site):
    bundle, _ = site
    os.symlink(bundle / "README.md", bundle / "alias.md")
    digest = hashlib.sha256((bundle / "README.md").read_bytes()).hexdigest()
    (bundle / "SHA256SUMS.txt").write_text(f"{digest}  alias.md\n", encoding="utf-8")
    outcome = verify(cli, "checksums", str(bundle / "SHA256SUMS.txt"))
    assert (outcome.status, outcome.out) == (0, "Checksum verification: 1 files OK\n")


def test_case_folded_duplicate_checksum_names(cli, site):
    bundle, _ = site
    digest = hashlib.sha256((bundle / "README.md").read_bytes()).hexdigest()
    (bundle / "SHA256SUMS.txt").write_text(f"{digest}  README.md\n{digest}  readme.MD\n", encoding="utf-8")
    fails_with(verify(cli, "checksums", str(bundle / "SHA256SUMS.txt")), "Duplicate checksum path: readme.MD")


# --------------------------------------------------------------------------
# Release-identity anchors (names from the release profile the bundle carries)


def set_anchors(bundle: Path, anchors: dict) -> None:
    edit_json(bundle / "SPINEFAIRBENCH_PROFILE.json",
              lambda p: p["release_manifest"]["identity"].__setitem__("artifact_anchors", anchors))


@pytest.mark.parametrize("name", ["../outside/secret.txt", "{OUTSIDE}/secret.txt", "dataset/../../outside/secret.txt",
                                  "C:\\outside\\secret.txt"])
def test_identity_anchor_names_that_leave(cli, site, name):
    bundle, outside = site
    name = name.replace("{OUTSIDE}", str(outside))
    set_anchors(bundle, {name: SECRET_SHA})
    fails_with(verify(cli, "release-identity", "--artifacts", str(bundle)), f"Invalid release-relative path: {name!r}")


def test_identity_anchor_symlinked_out_of_the_bundle(cli, site):
    bundle, outside = site
    os.symlink(outside / "secret.txt", bundle / "anchor.txt")
    set_anchors(bundle, {"anchor.txt": SECRET_SHA})
    fails_with(verify(cli, "release-identity", "--artifacts", str(bundle)),
               "Release path escapes its root: 'anchor.txt'")


def test_frozen_prompt_registry_named_by_a_bundle_profile_stays_inside(cli, make_site, demo_bundle):
    anchors = json.loads((demo_bundle / "SPINEFAIRBENCH_PROFILE.json").read_text())["release_manifest"]["identity"][
        "artifact_anchors"]
    bundle, outside = make_site(*anchors)
    (outside / "registry.json").write_text('{"prompt_registry": {}}', encoding="utf-8")
    edit_json(bundle / "SPINEFAIRBENCH_PROFILE.json",
              lambda p: p["release_manifest"].__setitem__("frozen_prompt_registry", "../outside/registry.json"))
    fails_with(verify(cli, "release-identity", "--artifacts", str(bundle)),
               "Invalid release-relative path: '../outside/registry.json'")


# --------------------------------------------------------------------------
# Dataset image paths


def test_image_path_with_parent_components_is_refused(cli, make_site):
    """A source ID of ``../../..`` makes the identity-derived image path leave the bundle: refused by name."""
    bundle, _ = make_site("dataset")
    passed = bundle / "dataset/qc_passed_pair_manifest.jsonl"
    pair_id = json.loads(passed.read_text(encoding="utf-8").splitlines()[0])["pair_id"]
    source, label = "../../../outside", pair_id.rpartition("__")[2]
    image = f"dataset/counterfactual_images/{source}/{label}.png"
    for rel in ("dataset/qc_metadata.jsonl", "dataset/qc_passed_pair_manifest.jsonl"):
        rows = [json.loads(line) for line in (bundle / rel).read_text(encoding="utf-8").splitlines()]
        for row in rows:
            if row["pair_id"] == pair_id:
                row.update(source_id=source, pair_id=f"{source}__{label}", counterfactual_image_path=image)
        (bundle / rel).write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    fails_with(verify(cli, "dataset", "--artifacts", str(bundle)), f"Invalid release-relative path: {image!r}")


def test_image_directory_symlinked_out_of_the_bundle(cli, make_site):
    bundle, outside = make_site("dataset")
    first = json.loads((bundle / "dataset/qc_passed_pair_manifest.jsonl").read_text().splitlines()[0])
    source_dir = bundle / "dataset/counterfactual_images" / first["source_id"]
    shutil.move(str(source_dir), str(outside / "images"))
    os.symlink(outside / "images", source_dir, target_is_directory=True)
    fails_with(verify(cli, "dataset", "--artifacts", str(bundle)),
               f"Release path escapes its root: {first['counterfactual_image_path']!r}")


# --------------------------------------------------------------------------
# Stage-1 sample names and per-reviewer CSV paths (joined without a check by the published verifier)


def passing_sample(bundle: Path) -> tuple[dict[str, list[str]], str, str]:
    """Every model's sample list, the first model checked, and one of its samples that passes the gate."""
    from spinefairbench.commands.mitigation import sample_lists, stage1_passes

    lists = {model: list(names) for model, names in sample_lists(bundle).items()}
    model = sorted(json.loads((bundle / ANALYSIS / "mitigation_parsing_confidence.json").read_text()))[0]
    passing = next(name for name in lists[model] if stage1_passes(bundle / STAGE1 / model / name))
    return lists, model, passing


def test_stage1_sample_name_cannot_leave_the_bundle(cli, make_site):
    bundle, outside = make_site(ANALYSIS, STAGE1)
    lists, model, passing = passing_sample(bundle)
    folder = bundle / STAGE1 / model
    # The sentinel sample passes; if it is read, the recomputed count still equals the frozen one.
    stem = passing.removesuffix(".txt")
    shutil.copy(folder / passing, outside / "evil.txt")
    shutil.copy(folder / f"{stem}.validation.json", outside / "evil.validation.json")
    (folder / passing).unlink()
    hostile = os.path.relpath(outside / "evil.txt", folder).replace(os.sep, "/")
    lists[model] = [hostile if name == passing else name for name in lists[model]]
    (bundle / ANALYSIS / "mitigation_stage1_confidence_sample_manifest.json").write_text(
        json.dumps({"models": lists}), encoding="utf-8")
    outcome = verify(cli, "stage1-confidence", "--artifacts", str(bundle))
    fails_with(outcome, f"Invalid release-relative path: {hostile!r}")


@pytest.mark.parametrize("form", ["relative", "absolute"])
def test_per_reviewer_csv_path_cannot_leave_the_bundle(cli, make_site, form):
    bundle, outside = make_site("validation_public", "validation_report_public_final_2026-04-28.json",
                                "radiologist_validated_subset.json", "radiologist_exclusion_list.json")
    manifest = bundle / "validation_public/validation_public_manifest.json"
    files = json.loads(manifest.read_text())["files"]["per_reviewer_files"]
    shutil.move(str(bundle / files[0]), str(outside / "reviews.csv"))  # same rows: the counts still add up
    hostile = "../outside/reviews.csv" if form == "relative" else str(outside / "reviews.csv")
    edit_json(manifest, lambda m: m["files"]["per_reviewer_files"].__setitem__(0, hostile))
    fails_with(verify(cli, "radiologist", "--artifacts", str(bundle)), f"Invalid release-relative path: {hostile!r}")


def test_panel_folder_named_by_a_bundle_profile_stays_inside(cli, make_site):
    bundle, outside = make_site(f"{PANELS}/full_pipeline_retained", f"{PANELS}/baseline_only_retained")
    shutil.move(str(bundle / PANELS / "full_pipeline_retained"), str(outside / "panel"))
    edit_json(bundle / "SPINEFAIRBENCH_PROFILE.json",
              lambda p: p.__setitem__("retained_panel_dirs",
                                      ["../../../../../outside/panel", "baseline_only_retained"]))
    fails_with(verify(cli, "parse-sample", "--artifacts", str(bundle), "--model", "gpt-5.4"),
               "Invalid release-relative path: '../../../../../outside/panel'")


# --------------------------------------------------------------------------
# Every file a clean run touches


AUDIT_SCRIPT = textwrap.dedent("""
    import json, os, sys
    seen = []
    def hook(event, args):
        if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
            seen.append(("open", os.fsdecode(args[0])))
        elif event in ("os.listdir", "os.scandir") and args and isinstance(args[0], (str, bytes, os.PathLike)):
            seen.append((event, os.fsdecode(args[0])))
    sys.addaudithook(hook)
    from spinefairbench.cli import main
    from spinefairbench.release.scoring import main as score
    bundle, out = sys.argv[1], sys.argv[2]
    runs = [[c, "--artifacts", bundle] for c in ("inspect", "dataset", "stage1-confidence", "mitigation",
            "parse-sample", "gap-sensitivity", "both-empty-diagnostic", "radiologist", "release-identity",
            "followup")]
    runs += [["table2", "--artifacts", bundle, "--model", "all"], ["diagnostic-scoring"],
             ["checksums", os.path.join(bundle, "SHA256SUMS.txt")],
             ["checksums", os.path.join(bundle, "radiologist_validation_SHA256SUMS.txt")]]
    statuses = [main(argv, prog="reviewer_verify.py") for argv in runs]
    statuses.append(score(["score", "--artifacts", bundle, "--submission",
                           os.path.join(bundle, "submissions", "demo_common_core_submission.json"),
                           "--output", os.path.join(out, "score.json"), "--bootstrap-iterations", "20"]))
    sys.stderr.write(json.dumps({"statuses": statuses, "seen": seen}) + "\\n")
""")


def test_a_clean_run_opens_nothing_outside_the_bundle(demo_bundle, tmp_path):
    bundle = demo_bundle  # read only
    out = tmp_path / "out"
    out.mkdir()
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONDONTWRITEBYTECODE="1")
    result = subprocess.run([sys.executable, "-c", AUDIT_SCRIPT, str(bundle), str(out)], capture_output=True,
                            text=True, cwd=tmp_path, env=env, timeout=300)
    report = json.loads(result.stderr.strip().splitlines()[-1])
    assert report["statuses"] == [0] * len(report["statuses"]), result.stderr[-2000:]
    allowed = [bundle, out, REPO / "spinefairbench"] + [Path(os.path.realpath(p)) for p in {
        sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}]
    outside_paths = []
    for event, raw in report["seen"]:
        path = Path(os.path.realpath(tmp_path / raw))  # relative paths are relative to the cwd
        if raw in ("/dev/null", "/dev/urandom") or not any(path == a or a in path.parents for a in allowed):
            if raw not in ("/dev/null", "/dev/urandom"):
                outside_paths.append((event, raw))
    assert outside_paths == []
    opened = {Path(os.path.realpath(tmp_path / raw)) for event, raw in report["seen"] if event == "open"}
    assert bundle / "SHA256SUMS.txt" in opened and bundle / "dataset/qc_passed_pair_manifest.jsonl" in opened
