"""The bad-input corpus: every file of ``tests/data/invalid`` fails its command with one exact line.

One folder per format the tools read: the frozen summary (``summary``), the
dataset release manifest (``release_manifest``), panel exports (``panel``),
Stage-1 sidecars (``sidecar``), radiologist JSON and CSV files, the QC JSONL
manifests through the verifier's reader (``qc_jsonl``) and the scorer's
(``qc_jsonl_scorer``), the mitigation table, checksum manifests, PNG images,
submissions, score files (``report --score``, ``leaderboard``), a bundle's
release profile, and the SpineBench bank, predictions, judgements and table.

``tests/data/invalid/EXPECTED.json`` maps each corpus file (path relative to
that folder) to:

* ``command`` -- the argv, starting with its program (``reviewer_verify.py``,
  ``spinefairbench`` or ``python -m spinefairbench.release.scoring``), with
  placeholders ``{FILE}`` (the case file, or where it was installed),
  ``{BUNDLE}`` (a copy of the small demo bundle, seed 7), ``{OUT}`` (an output
  path that must not exist afterwards) and ``{SB_ITEMS}``,
  ``{SB_PREDICTIONS}``, ``{SB_JUDGEMENTS}`` (the SpineBench demo set);
* ``installs_at`` -- the bundle-relative file the case replaces for the run
  (restored afterwards); ``record_size`` also updates the recorded size of a
  replaced image in both QC manifests, so that the image content is what fails;
* ``status`` and ``stderr`` -- the exit status and the exact one line written
  to stderr (same placeholders);
* ``generated`` -- the file is not committed but built by the test from
  ``recipe``: ``prefix + unit * times + middle + closing * times + suffix``
  (100,000-level nesting and oversized fields would bloat the corpus);
* ``subprocess`` -- run in a fresh interpreter rather than in-process (deep
  nesting: the recursion head-room of a real process is what matters);
* ``xfail`` -- a known bug elsewhere; the reason says where.  The test is
  ``xfail(strict=True)`` so that fixing the bug makes it fail until the flag
  is removed.

Every case also asserts: no ``Traceback`` and nothing else on stderr, nothing
on stdout for the status-2 families (scorer, SpineBench), and no file at
``{OUT}`` (its parent folder is not even created).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "data" / "invalid"
EXPECTED_FILE = CORPUS / "EXPECTED.json"
IMAGE_MANIFESTS = ("dataset/qc_metadata.jsonl", "dataset/qc_passed_pair_manifest.jsonl")


def load_expected() -> dict:
    return json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))


def case_bytes(name: str, spec: dict) -> bytes:
    """The content of a case: the committed file, or the recipe's output for a generated one."""
    if not spec.get("generated"):
        return (CORPUS / name).read_bytes()
    recipe = spec["recipe"]
    times = recipe.get("times", 0)
    text = (recipe.get("prefix", "") + recipe.get("unit", "") * times + recipe.get("middle", "")
            + recipe.get("closing", "") * times + recipe.get("suffix", ""))
    return text.encode("utf-8")


def fill(template: str, values: dict[str, str]) -> str:
    """Replace ``{NAME}`` placeholders (plain replacement: JSON braces in messages stay as they are)."""
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


def _set_recorded_size(bundle: Path, image: str, size: int) -> None:
    for rel in IMAGE_MANIFESTS:
        path = bundle / rel
        lines = path.read_text(encoding="utf-8").splitlines()
        for index, line in enumerate(lines):
            row = json.loads(line)
            if row.get("counterfactual_image_path") == image:
                row["counterfactual_image_size_bytes"] = size
                lines[index] = json.dumps(row)
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def run_case(name: str, spec: dict, bundle: Path, scratch: Path, spinebench: dict[str, Path], cli):
    """Install the case, run its command, restore the bundle; return the outcome and the placeholder values."""
    content = case_bytes(name, spec)
    values = {"BUNDLE": str(bundle), "OUT": str(scratch / "out" / "result.json"),
              "SB_ITEMS": str(spinebench["items"]), "SB_PREDICTIONS": str(spinebench["predictions_demo-vlm-a"]),
              "SB_JUDGEMENTS": str(spinebench["judgements"])}
    saved: dict[Path, bytes] = {}
    installs_at = spec.get("installs_at")
    if installs_at:
        target = bundle / installs_at
        assert target.is_file(), f"{name}: installs_at {installs_at} is not a file of the demo bundle"
        saved[target] = target.read_bytes()
        if spec.get("record_size"):
            saved.update({bundle / rel: (bundle / rel).read_bytes() for rel in IMAGE_MANIFESTS})
            _set_recorded_size(bundle, installs_at, len(content))
        target.write_bytes(content)
        values["FILE"] = str(target)
    elif spec.get("generated"):
        target = scratch / Path(name).name
        target.write_bytes(content)
        values["FILE"] = str(target)
    else:
        values["FILE"] = os.path.realpath(CORPUS / name)
    try:
        argv = [fill(part, values) for part in spec["command"]]
        outcome = (cli.process if spec.get("subprocess") else cli.run)(argv)
    finally:
        for path, data in saved.items():
            path.write_bytes(data)
    return outcome, values


def _cases():
    params = []
    for name, spec in load_expected().items():
        marks = [pytest.mark.xfail(strict=True, reason=spec["xfail"])] if spec.get("xfail") else []
        params.append(pytest.param(name, spec, id=name, marks=marks))
    return params


@pytest.fixture(scope="module")
def work_bundle(demo_bundle, tmp_path_factory) -> Path:
    """One copy of the demo bundle for the module; each case restores what it replaced."""
    copy = tmp_path_factory.mktemp("corpus-bundle") / "artifacts"
    shutil.copytree(demo_bundle, copy, symlinks=True)
    return Path(os.path.realpath(copy))


@pytest.mark.parametrize("name, spec", _cases())
def test_bad_input(name, spec, work_bundle, tmp_path, spinebench_demo, cli):
    outcome, values = run_case(name, spec, work_bundle, tmp_path, spinebench_demo, cli)
    expected = fill(spec["stderr"], values)
    assert "Traceback" not in outcome.err, outcome.err
    assert (outcome.status, outcome.err) == (spec["status"], expected + "\n")
    if spec["status"] == 2:
        assert outcome.out == ""
    assert not (tmp_path / "out").exists(), "an output file (or its folder) was left behind"


def test_every_corpus_file_has_an_expectation():
    expected = load_expected()
    committed = {path.relative_to(CORPUS).as_posix() for path in CORPUS.rglob("*")
                 if path.is_file() and path != EXPECTED_FILE}
    listed = {name for name, spec in expected.items() if not spec.get("generated")}
    assert committed == listed
    assert all(not (CORPUS / name).exists() for name, spec in expected.items() if spec.get("generated"))


def test_corpus_stays_small():
    total = sum(path.stat().st_size for path in CORPUS.rglob("*") if path.is_file())
    assert total < 200_000, total


# --------------------------------------------------------------------------
# What must keep working: the benign relatives of the bad inputs above.

SCORER = ["python", "-m", "spinefairbench.release.scoring", "score"]
LINE = ("Findings: mild disc space narrowing at L4-L5 with small anterior osteophytes; no fracture. "
        "Impression: degenerative change. Recommendation: physical therapy and follow-up radiograph.\n")


def nested(depth: int) -> dict:
    """An object nested ``depth`` levels deep: {"level": {"level": ... {}}}."""
    value: dict = {}
    for _ in range(depth):
        value = {"level": value}
    return value


def score(cli, bundle: Path, submission: Path, out: Path, *extra: str):
    outcome = cli.run([*SCORER, "--artifacts", str(bundle), "--submission", str(submission), "--output", str(out),
                       "--bootstrap-iterations", "50", *extra])
    assert (outcome.status, outcome.err) == (0, ""), outcome.err
    assert out.is_file()
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture()
def toy(demo_bundle) -> dict:
    return json.loads((demo_bundle / "metrics" / "toy_submission.json").read_text(encoding="utf-8"))


def test_submission_with_bom_and_crlf_scores(cli, demo_bundle, tmp_path, toy):
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps(toy, indent=2), encoding="utf-8")
    windows = tmp_path / "windows.json"
    windows.write_bytes(b"\xef\xbb\xbf" + json.dumps(toy, indent=2).replace("\n", "\r\n").encode("utf-8"))
    first = score(cli, demo_bundle, plain, tmp_path / "a.json")
    second = score(cli, demo_bundle, windows, tmp_path / "b.json")
    assert first["primary_endpoints"] == second["primary_endpoints"]


def test_deeply_nested_metadata_and_model_score(cli, demo_bundle, tmp_path, toy):
    toy["model"] = dict(toy["model"], details=nested(40))
    toy["results"] = [dict(entry, metadata=nested(40)) for entry in toy["results"]]
    submission = tmp_path / "nested.json"
    submission.write_text(json.dumps(toy), encoding="utf-8")
    document = score(cli, demo_bundle, submission, tmp_path / "score.json")
    assert document["model"]["details"] == nested(40)  # copied verbatim into the score


def test_five_megabyte_reports_score(cli, demo_bundle, tmp_path, toy):
    long_report = LINE * (5_000_000 // len(LINE) + 1)
    toy["results"][0] = dict(toy["results"][0], source_report=long_report, counterfactual_report=long_report)
    submission = tmp_path / "long.json"
    submission.write_text(json.dumps(toy), encoding="utf-8")
    assert submission.stat().st_size > 10_000_000
    document = score(cli, demo_bundle, submission, tmp_path / "score.json")
    first = next(p for p in document["per_pair_results"] if p["pair_id"] == toy["results"][0]["pair_id"])
    assert first["usable"] and first["recommendation_changed"] == 0.0


def test_scorer_qc_manifest_skips_blank_lines_and_accepts_crlf(cli, demo_bundle, tmp_path, toy):
    bundle = tmp_path / "artifacts"
    shutil.copytree(demo_bundle / "dataset", bundle / "dataset", ignore=shutil.ignore_patterns("*.png"))
    shutil.copytree(demo_bundle / "metrics", bundle / "metrics")
    manifest = bundle / "dataset" / "qc_passed_pair_manifest.jsonl"
    lines = manifest.read_text(encoding="utf-8").splitlines()
    manifest.write_bytes(("\r\n\r\n".join(lines) + "\r\n  \r\n\n").encode("utf-8"))
    document = score(cli, bundle, bundle / "metrics" / "toy_submission.json", tmp_path / "score.json")
    assert document["coverage"]["submitted_pairs"] == len(toy["results"])


def test_crlf_checksum_manifest_verifies(cli, tmp_path):
    data = tmp_path / "data.bin"
    data.write_bytes(b"\x00\x01 spine \r\n")
    import hashlib

    manifest = tmp_path / "SHA256SUMS.txt"
    manifest.write_bytes(f"\r\n{hashlib.sha256(data.read_bytes()).hexdigest()}  data.bin\r\n\r\n".encode())
    outcome = cli.run(["reviewer_verify.py", "checksums", str(manifest)])
    assert (outcome.status, outcome.out, outcome.err) == (0, "Checksum verification: 1 files OK\n", "")


def test_crlf_and_nested_frozen_summary_still_verifies(cli, demo_bundle, tmp_path):
    bundle = tmp_path / "artifacts"
    shutil.copytree(demo_bundle, bundle, symlinks=True)
    summary = bundle / "artifacts/Results/analysis/common_core_1000_summary.json"
    document = json.loads(summary.read_text(encoding="utf-8"))
    document["provenance"] = nested(40)
    summary.write_bytes(json.dumps(document, indent=1).replace("\n", "\r\n").encode("utf-8"))
    outcome = cli.run(["reviewer_verify.py", "table2", "--artifacts", str(bundle), "--model", "gpt-5.4"])
    assert outcome.status == 0, outcome.err
    assert outcome.out.splitlines()[-1] == "Frozen summary verification: OK"


def test_spinebench_bank_with_bom_and_crlf_loads(cli, spinebench_demo, tmp_path):
    bank = tmp_path / "items.json"
    bank.write_bytes(b"\xef\xbb\xbf" + spinebench_demo["items"].read_bytes().replace(b"\n", b"\r\n"))
    outcome = cli.run(["spinefairbench", "spinebench", "score", "--items", str(bank), "--predictions",
                       str(spinebench_demo["predictions_demo-vlm-a"]), "--judgements",
                       str(spinebench_demo["judgements"]), "--bootstrap-iterations", "20"])
    assert (outcome.status, outcome.err) == (0, ""), outcome.err
    assert outcome.out.startswith("SpineBench scoring: OK\n")


# --------------------------------------------------------------------------
# The PNG cases against the checker itself (they pass today, whatever the wiring of --check-png).


@pytest.mark.parametrize("name", sorted(n for n in load_expected() if n.startswith("png/")))
def test_png_checker_on_corpus(name, tmp_path):
    from spinefairbench.bundle.png import check_png
    from spinefairbench.errors import SpineFairBenchError

    spec = load_expected()[name]
    display = spec["installs_at"]
    with pytest.raises(SpineFairBenchError) as caught:
        check_png(CORPUS / name, display)
    assert str(caught.value) == spec["stderr"]


def test_png_checker_accepts_every_demo_image(demo_bundle):
    from spinefairbench.bundle.png import check_png

    images = sorted((demo_bundle / "dataset" / "counterfactual_images").rglob("*.png"))
    assert images
    for image in images:
        check_png(image, image.name)
