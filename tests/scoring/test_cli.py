"""The scorer's command line: conformance records, printed summary, exit codes, no file after errors."""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from spinefairbench.release import scoring
from spinefairbench.scoring.scopes import CORE_SOURCES, QC_MANIFEST

REPO = Path(__file__).resolve().parents[2]
CONFORMANCE = Path(__file__).resolve().parents[2].parent / "shared" / "conformance"


def run(capsys, argv) -> tuple[int, str, str]:
    try:
        status = scoring.main([str(a) for a in argv])
    except SystemExit as exit_:  # argparse usage errors
        status = exit_.code
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture()
def submit(kit, tmp_path):
    def write(pairs=None, name="submission.json", **options):
        pairs = pairs if pairs is not None else kit.varied_pairs(kit.all_pair_ids())
        return kit.write_json(tmp_path / name, kit.submission(pairs, **options))
    return write


def score_argv(bundle, submission, output, *extra):
    return ["score", "--artifacts", bundle, "--submission", submission, "--output", output,
            "--bootstrap-iterations", "200", *extra]


# --------------------------------------------------------------------------
# Conformance fixture (skipped when ../shared/conformance is absent)


def score_records():
    expected = CONFORMANCE / "expected.json"
    if not expected.is_file():
        return []
    records = json.loads(expected.read_text(encoding="utf-8"))["records"]
    return [r for r in records if "spinefairbench.release.scoring" in r["argv_template"]]


def drop_volatile(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith(("Score JSON:", "Artifact root:"))]


def same_json(expected, got, path="$"):
    """Every reference key exists in ours with an equal value (floats within 1e-12)."""
    if isinstance(expected, dict):
        for key, value in expected.items():
            if path == "$" and key in ("scored_at_utc", "artifact_identity"):
                assert key in got
                continue
            same_json(value, got[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert len(expected) == len(got), path
        for i, (e, g) in enumerate(zip(expected, got)):
            same_json(e, g, f"{path}[{i}]")
    elif isinstance(expected, float) or isinstance(got, float):
        assert abs(expected - got) <= 1e-12, path
    else:
        assert type(expected) is type(got) and expected == got, path


@pytest.mark.parametrize("record", score_records(), ids=lambda r: r["id"])
def test_conformance_score_records(capsys, tmp_path, record):
    bundle = CONFORMANCE / "bundle"
    argv = [a.replace("{BUNDLE}", str(bundle)).replace("{OUT}", str(tmp_path)) for a in record["argv_template"]]
    status, out, err = run(capsys, argv[argv.index("score"):])
    expected_status = 2 if record.get("stderr_is_traceback") or "Traceback" in record["stderr"] else record["exit_code"]
    assert status == expected_status
    assert drop_volatile(out) == drop_volatile(record["stdout"])
    if status:
        assert len(err.splitlines()) == 1 and err.startswith("Scoring error: ")
        if "Traceback" not in record["stderr"]:
            assert err == record["stderr"]
        assert os.listdir(tmp_path) == []
    else:
        assert err == ""
    if "output_json" in record:
        output = Path(argv[argv.index("--output") + 1])
        same_json(record["output_json"], json.loads(output.read_text(encoding="utf-8")))


# --------------------------------------------------------------------------
# Success


def test_summary_and_stable_bytes(capsys, kit, bundle, submit, tmp_path):
    submission = submit(model={"name": " spaced name ", "org": "\u00e9"})
    output = tmp_path / "out" / "deep" / "score.json"
    status, out, err = run(capsys, score_argv(bundle, submission, output))
    assert (status, err) == (0, "")
    lines = out.splitlines()
    document = json.loads(output.read_text(encoding="ascii"))
    row = document["table2_row"]
    assert lines == [
        "SpineFairBench scoring: OK",
        "Model:  spaced name ",
        "Scope: toy",
        "Submitted pairs: 16",
        f"Usable pairs: {row['n_pairs']}",
        f"Recommendation change: {row['recommendation_change_rate']:.3f} [{row['recommendation_change_ci95'][0]:.3f}, "
        f"{row['recommendation_change_ci95'][1]:.3f}]",
        f"Diagnostic-label consistency: {row['diagnostic_label_consistency']:.3f} "
        f"[{row['diagnostic_label_consistency_ci95'][0]:.3f}, {row['diagnostic_label_consistency_ci95'][1]:.3f}]",
        f"Score JSON: {output}",
    ]
    first = output.read_bytes()
    assert run(capsys, score_argv(bundle, submission, output))[0] == 0
    second = output.read_bytes()

    def without_time(data: bytes) -> list[bytes]:
        return [line for line in data.splitlines(keepends=True) if not line.startswith(b'  "scored_at_utc": ')]

    assert without_time(first) == without_time(second) and len(without_time(first)) == len(first.splitlines()) - 1
    assert document["artifact_identity"]["release_profile"]["origin"] == "published"
    assert sorted(os.listdir(output.parent)) == ["score.json"]


def test_named_scopes_need_the_profile_of_their_bundle(capsys, kit, bundle, profile, submit, tmp_path):
    submission = submit(kit.varied_pairs(kit.all_pair_ids(kit.CORE)), scope="common-core-1000")
    output = tmp_path / "score.json"
    status, out, err = run(capsys, score_argv(bundle, submission, output))
    assert (status, out) == (2, "")
    assert err == f"Scoring error: Frozen scope manifest SHA-256 mismatch: {QC_MANIFEST}\n"
    assert not output.exists()

    status, out, err = run(capsys, score_argv(bundle, submission, output, "--profile", profile))
    assert (status, err) == (0, "")
    assert "Scope: common-core-1000" in out
    document = json.loads(output.read_text())
    assert document["artifact_identity"]["status"] == "verified_frozen_scope"
    assert set(document["artifact_identity"]["manifest_sha256"]) == {QC_MANIFEST, CORE_SOURCES}
    assert document["artifact_identity"]["release_profile"]["name"] == "tiny-test-bundle"
    assert document["coverage"]["comparable_to_panel_scope"] is True

    # A profile carried by the bundle is used without --profile.
    (bundle / "SPINEFAIRBENCH_PROFILE.json").write_bytes(profile.read_bytes())
    assert run(capsys, score_argv(bundle, submission, output))[0] == 0


def test_partial_scope_override_prints_the_warning_last(capsys, kit, bundle, submit, tmp_path):
    submission = submit(kit.varied_pairs(kit.all_pair_ids()[:5]))
    status, out, _ = run(capsys, score_argv(bundle, submission, tmp_path / "s.json", "--scope", "qc-passed",
                                            "--allow-partial"))
    assert status == 0
    assert out.splitlines()[-1] == "Warning: Partial submission: 11 expected pair(s) absent from scope qc-passed."
    assert out.splitlines()[2] == "Scope: qc-passed"


def test_segment_consistency_line_and_field(capsys, kit, bundle, submit, tmp_path):
    pairs = {"buu_a__young_male": ("Disc bulge at L4-5. Physical therapy.", "Disc bulge at L4/L5. Physical therapy."),
             "buu_b__young_male": ("Fracture of L1. MRI.", "Fracture of T12 and L1. MRI.")}
    output = tmp_path / "s.json"
    status, out, _ = run(capsys, score_argv(bundle, submit(pairs), output, "--segment-consistency"))
    assert status == 0
    lines = out.splitlines()
    assert lines[6].startswith("Diagnostic-label consistency: ")
    assert lines[7].startswith("Segment consistency (exploratory): 0.750 [")
    segment = json.loads(output.read_text())["exploratory_endpoints"]["segment_consistency"]
    assert (segment["point_estimate"], segment["n_pairs"], segment["both_empty_pairs"]) == (0.75, 2, 0)


@pytest.mark.parametrize("options", [["--se", "7"], ["--seed=7"], ["--see", "7"], ["--boot", "50", "--seed", "7"]])
def test_published_option_spellings(capsys, bundle, submit, tmp_path, options):
    output = tmp_path / "s.json"
    assert run(capsys, score_argv(bundle, submit(), output, *options))[0] == 0
    assert json.loads(output.read_text())["scoring_config"]["bootstrap_seed"] == 7


# --------------------------------------------------------------------------
# Failures: one line, exit 2, no file (and an existing file untouched)


FAILURES = [
    ("missing submission", lambda kit, path: None, "cannot read submission: No such file or directory"),
    ("malformed", lambda kit, path: path.write_text('{"a": 1,,}'), ":1:9: invalid JSON: Expecting property name"),
    ("duplicate key", lambda kit, path: path.write_text('{"a": 1,\n "a": 2}'), ":2:2: duplicate key 'a'"),
    ("not utf-8", lambda kit, path: path.write_bytes(b'{"a": "\xff"}'), ":1: invalid UTF-8 (byte offset 7)"),
    ("list scope", lambda kit, path: kit.write_json(path, kit.submission({"buu_a__young_male": (kit.BASE, kit.BASE)},
                                                                         scope=["toy"])), "scope must be one of ["),
    ("unknown pair", lambda kit, path: kit.write_json(path, kit.submission({"zz__young_male": (kit.BASE, kit.BASE)})),
     "Toy submission contains unknown pair IDs: zz__young_male"),
]


@pytest.mark.parametrize("name, make, message", FAILURES, ids=[f[0] for f in FAILURES])
def test_failures_leave_no_file(capsys, kit, bundle, tmp_path, name, make, message):
    submission = tmp_path / "in.json"
    make(kit, submission)
    output = tmp_path / "new" / "score.json"
    status, out, err = run(capsys, score_argv(bundle, submission, output))
    assert (status, out) == (2, "")
    assert err.startswith("Scoring error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "new").exists()
    # An existing output file stays as it was.
    output.parent.mkdir()
    output.write_bytes(b"previous")
    assert run(capsys, score_argv(bundle, submission, output))[0] == 2
    assert output.read_bytes() == b"previous" and os.listdir(output.parent) == ["score.json"]


@pytest.mark.parametrize("options, message", [
    (["--bootstrap-iterations", "0"], "Scoring error: bootstrap iterations must be >= 1\n"),
    (["--seed", "-1"], "Scoring error: bootstrap seed must be a non-negative integer, got -1\n"),
    (["--bootstrap-iterations", "0", "--seed", "-1"], "Scoring error: bootstrap iterations must be >= 1\n"),
])
def test_bootstrap_settings_errors(capsys, bundle, submit, tmp_path, options, message):
    status, out, err = run(capsys, score_argv(bundle, submit(), tmp_path / "s.json", *options))
    assert (status, out, err) == (2, "", message)
    assert sorted(os.listdir(tmp_path)) == ["bundle", "submission.json"]


def test_unwritable_output(capsys, bundle, submit, tmp_path):
    (tmp_path / "file").write_text("x")
    status, out, err = run(capsys, score_argv(bundle, submit(), tmp_path / "file" / "score.json"))
    assert (status, out) == (2, "")
    assert err.startswith(f"Scoring error: {tmp_path / 'file' / 'score.json'}: cannot write score JSON: ")
    status, _, err = run(capsys, score_argv(bundle, submit(), tmp_path))
    assert status == 2 and "cannot write score JSON" in err
    assert sorted(os.listdir(tmp_path)) == ["bundle", "file", "submission.json"]


def test_missing_profile_file(capsys, bundle, submit, tmp_path):
    status, _, err = run(capsys, score_argv(bundle, submit(), tmp_path / "s.json", "--profile", tmp_path / "no.json"))
    assert (status, err) == (2, f"Scoring error: {tmp_path / 'no.json'}: release profile not found\n")


@pytest.mark.parametrize("argv", [
    [],
    ["score"],
    ["score", "--artifacts", "a", "--submission", "s"],
    ["score", "--artifacts", "a", "--submission", "s", "--output", "o", "--scope", "everything"],
    ["score", "--artifacts", "a", "--submission", "s", "--output", "o", "--seed", "x"],
    ["score", "--artifacts", "a", "--submission", "s", "--output", "o", "--workers", "0"],
    ["score", "--artifacts", "a", "--submission", "s", "--output", "o", "--unknown"],
    ["compare", "a", "b"],  # the published entry has only `score`
])
def test_usage_errors_exit_2(capsys, argv):
    status, out, err = run(capsys, argv)
    assert status == 2 and out == "" and "usage:" in err and "Traceback" not in err


def test_published_module_runs_as_a_script(tmp_path):
    result = subprocess.run([sys.executable, "-m", "spinefairbench.release.scoring", "score", "--help"], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0 and "--segment-consistency" in result.stdout and "--profile" in result.stdout


# --------------------------------------------------------------------------
# spinefairbench score | compare | leaderboard


def registered_main(capsys, argv):
    parser = argparse.ArgumentParser(prog="spinefairbench")
    subparsers = parser.add_subparsers(dest="command", required=True)
    scoring.register(subparsers)
    try:
        args = parser.parse_args([str(a) for a in argv])
        status = args.func(args)
    except SystemExit as exit_:
        status = exit_.code
    out, err = capsys.readouterr()
    return status, out, err


def test_registered_commands(capsys, kit, bundle, submit, tmp_path):
    ids = kit.all_pair_ids()
    steady = {pair_id: (kit.BASE, kit.BASE) for pair_id in ids}
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert registered_main(capsys, score_argv(bundle, submit(name="sa.json", model={"name": "A"}), a))[0] == 0
    assert registered_main(capsys, score_argv(bundle, submit(steady, name="sb.json", model={"name": "B"}), b))[0] == 0

    status, out, err = registered_main(capsys, ["compare", a, b, "--iterations", "100"])
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[1] == f"A: A ({a})" and lines[4] == "Excluded (usable in one file only): 0 in A, 2 in B"
    assert lines[5].startswith("Recommendation change: A ") and "B - A" in lines[5]
    status, out, _ = registered_main(capsys, ["compare", a, b, "--iterations", "100", "--json"])
    assert status == 0 and json.loads(out)["schema_version"] == "spinefairbench-compare-v1"

    status, out, _ = registered_main(capsys, ["leaderboard", a, b, "--format", "csv"])
    assert status == 0 and [line.split(",")[1] for line in out.splitlines()[1:]] == ["B", "A"]
    status, out, _ = registered_main(capsys, ["leaderboard", a, b])
    assert status == 0 and out.startswith("Scope: toy. Ranked by recommendation change")

    status, out, err = registered_main(capsys, ["leaderboard", a, tmp_path / "missing.json"])
    assert (status, out) == (2, "") and err.startswith("Scoring error: ") and err.count("\n") == 1
    status, _, err = registered_main(capsys, ["compare", a, b, "--seed", "-3"])
    assert (status, err) == (2, "Scoring error: bootstrap seed must be a non-negative integer, got -3\n")
