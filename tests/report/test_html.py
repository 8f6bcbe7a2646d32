"""The HTML report on a generated demo bundle: structure, numbers, accessibility, and a real browser.

The small demo bundle is built once per module and scored once with the
published scorer; ``spinefairbench report`` then writes the report that most
tests inspect.  The numbers are compared with the ``--json`` documents of
``table2 --recompute-ci`` and ``gap-sensitivity``, which run independently
of the report.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from argparse import Namespace
from pathlib import Path

import pytest

from spinefairbench.bundle.profile import select_profile
from spinefairbench.bundle.layout import EDIT_LABELS
from spinefairbench.cli import main
from spinefairbench.commands import report as report_command
from spinefairbench.commands.framework import Context
from spinefairbench.commands.suite import CheckResult, run_check
from spinefairbench.report.html import SECTIONS, count_figures, render_report

SVG = "{http://www.w3.org/2000/svg}"
EPOCH = "1780000000"  # SOURCE_DATE_EPOCH used for every report written here
STAMP = "2026-05-28T20:26:40+00:00"
WRITTEN = re.compile(r"Report written: (?P<path>.+) \((?P<size>\d+) bytes, (?P<checks>\d+) checks, "
                     r"(?P<figures>\d+) figures\)")
NON_FINITE = re.compile(r"(?i)\b(nan|inf|infinity)\b")


def run_cli(*argv, epoch: str | None = EPOCH) -> tuple[int, str, str]:
    """Run the command line in-process; return status, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        if epoch is None:
            patch.delenv("SOURCE_DATE_EPOCH", raising=False)
        else:
            patch.setenv("SOURCE_DATE_EPOCH", epoch)
        status = main([str(a) for a in argv])
    return status, out.getvalue(), err.getvalue()


# --------------------------------------------------------------------------
# Fixtures: bundle, score files, report, independent facts


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    from spinefairbench.demo.builder import build_demo_bundle

    return build_demo_bundle(tmp_path_factory.mktemp("report") / "artifacts", preset="small", seed=7).root


@pytest.fixture(scope="module")
def scores(bundle, tmp_path_factory) -> tuple[Path, Path]:
    """A score file from the published scorer, and a copy without ``secondary`` (an older scorer's file)."""
    from spinefairbench.release.scoring import main as scorer

    folder = tmp_path_factory.mktemp("scores")
    full = folder / "demo_score.json"
    with contextlib.redirect_stdout(io.StringIO()):
        status = scorer(["score", "--artifacts", str(bundle), "--output", str(full),
                         "--submission", str(bundle / "submissions" / "demo_common_core_submission.json")])
    assert status == 0
    document = json.loads(full.read_text())
    document.pop("secondary")
    document["model"]["name"] = "older-scorer-vlm"
    primary_only = folder / "primary_only_score.json"
    primary_only.write_text(json.dumps(document, indent=2))
    return full, primary_only


@pytest.fixture(scope="module")
def written(bundle, scores, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("out") / "nested" / "report.html"
    status, stdout, stderr = run_cli("report", "--artifacts", bundle, "--score", *scores, "--out", out, "--quiet")
    return {"status": status, "stdout": stdout, "stderr": stderr, "path": out}


@pytest.fixture(scope="module")
def page(written) -> str:
    return written["path"].read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def tree(page) -> ET.Element:
    return ET.fromstring(page)


@pytest.fixture(scope="module")
def table2_facts(bundle) -> dict:
    status, stdout, _ = run_cli("table2", "--artifacts", bundle, "--recompute-ci", "--json")
    assert status == 0
    return json.loads(stdout)["facts"]["models"]


@pytest.fixture(scope="module")
def gap_facts(bundle) -> dict:
    status, stdout, _ = run_cli("gap-sensitivity", "--artifacts", bundle, "--json")
    assert status == 0
    return json.loads(stdout)["facts"]


def by_id(tree: ET.Element, element_id: str) -> ET.Element:
    found = [e for e in tree.iter() if e.get("id") == element_id]
    assert len(found) == 1, f"expected exactly one element with id {element_id!r}, found {len(found)}"
    return found[0]


def text_of(element: ET.Element) -> str:
    return " ".join("".join(element.itertext()).split())


def table_rows(table: ET.Element) -> dict[str, list[ET.Element]]:
    """Body rows keyed by their row header text; the value is the list of data cells."""
    rows = {}
    for tr in table.find("tbody"):
        header, *cells = list(tr)
        rows[text_of(header)] = cells
    return rows


# --------------------------------------------------------------------------
# The command


def test_command_writes_the_file_and_prints_one_line(written):
    assert written["status"] == 0, written["stderr"]
    lines = written["stdout"].splitlines()
    assert len(lines) == 1
    match = WRITTEN.fullmatch(lines[0])
    assert match, lines[0]
    assert Path(match["path"]) == written["path"]
    assert int(match["size"]) == written["path"].stat().st_size
    assert (match["checks"], match["figures"]) == ("14", "5")
    assert not list(written["path"].parent.glob(".*.tmp")), "the temporary file must be renamed into place"


def test_same_inputs_give_a_byte_identical_report(bundle, scores, written):
    before = written["path"].read_bytes()
    status, _, _ = run_cli("report", "--artifacts", bundle, "--score", *scores, "--out", written["path"],
                           "--quiet")
    assert status == 0
    assert written["path"].read_bytes() == before


def test_a_bad_score_file_is_one_line_naming_it(bundle, tmp_path):
    bad = tmp_path / "broken_score.json"
    bad.write_text('{"schema_version": "spinefairbench-score-v1", ')
    out = tmp_path / "report.html"
    status, stdout, stderr = run_cli("report", "--artifacts", bundle, "--score", bad, "--out", out, "--quiet")
    assert status == 1
    assert stdout == ""
    assert len(stderr.strip().splitlines()) == 1 and str(bad) in stderr
    assert not out.exists()

    not_a_score = tmp_path / "other.json"
    not_a_score.write_text("[]")
    status, _, stderr = run_cli("report", "--artifacts", bundle, "--score", not_a_score, "--out", out)
    assert status == 1 and str(not_a_score) in stderr and "schema_version" in stderr


def test_a_missing_bundle_is_an_input_error(tmp_path):
    out = tmp_path / "report.html"
    status, stdout, stderr = run_cli("report", "--artifacts", tmp_path / "absent", "--out", out)
    assert (status, stdout) == (1, "")
    assert stderr.strip() == f"{tmp_path / 'absent'}: bundle directory not found (pass --artifacts DIR)"
    assert not out.exists()


def test_failed_checks_still_give_a_report_with_status_zero(bundle, tmp_path):
    damaged = tmp_path / "artifacts"
    shutil.copytree(bundle, damaged)
    with (damaged / "README.md").open("a") as handle:
        handle.write("tampered\n")
    out = tmp_path / "report.html"
    status, stdout, _ = run_cli("report", "--artifacts", damaged, "--out", out, "--no-recompute-ci", "--quiet")
    assert status == 0
    assert WRITTEN.fullmatch(stdout.strip())
    summary = by_id(ET.parse(out).getroot(), "summary")
    assert "1 CHECK(S) FAILED" in text_of(summary)
    rows = table_rows(by_id(ET.parse(out).getroot(), "checks"))
    assert "FAIL" in text_of(rows["checksums"][0])
    assert "frozen" in text_of(by_id(ET.parse(out).getroot(), "table2"))


def test_demo_hook_writes_the_report_into_the_current_directory(bundle, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    context = Context(bundle, select_profile(bundle, None))
    checks = report_command.demo_hook(context, tmp_path / "scratch", Namespace(keep=None, workers=1, report=None))
    assert [check.name for check in checks] == ["html report"]
    result = run_check(checks[0])
    assert result.status == "PASS", result.failure
    assert (tmp_path / report_command.DEMO_REPORT_NAME).is_file()
    assert WRITTEN.fullmatch(result.key)
    ET.parse(tmp_path / report_command.DEMO_REPORT_NAME)


# --------------------------------------------------------------------------
# Structure and accessibility


def test_report_is_well_formed_and_has_every_section(tree):
    assert tree.tag == "html" and tree.get("lang") == "en"
    for section_id, title in SECTIONS:
        element = by_id(tree, section_id)
        assert element.tag in ("section", "footer")
        assert text_of(element.find("h2")) == title


def test_figures_are_labelled_svgs_followed_by_text_alternatives(tree, page):
    figures = [e for e in tree.iter("figure")]
    ids = [f.get("id") for f in figures]
    assert ids == ["forest-recommendation-change", "forest-diagnostic-consistency", "gap-scatter",
                   "heatmap-recommendation-change-rate", "heatmap-diagnostic-label-consistency"]
    assert count_figures(page) == len(figures) == 5
    for fig in figures:
        svg = fig.find(f"{SVG}svg")
        assert svg is not None and svg.get("role") == "img"
        title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
        assert title is not None and title.text and desc is not None and desc.text
        assert svg.get("aria-labelledby").split() == [title.get("id"), desc.get("id")]
        assert fig.find("figcaption") is not None
        alternative = by_id(tree, fig.get("id") + "-text")
        assert re.search(r"\d\.\d{3}", text_of(alternative)), f"no numbers in the alternative of {fig.get('id')}"


def test_svg_coordinates_are_never_nan_or_inf(tree):
    svgs = list(tree.iter(f"{SVG}svg"))
    assert svgs
    for svg in svgs:
        for element in svg.iter():
            for name, value in element.attrib.items():
                assert not NON_FINITE.search(value), f"{element.tag} {name}={value!r}"
            if element.tag == f"{SVG}text":
                assert not NON_FINITE.search(element.text or ""), element.text


def test_tables_have_captions_and_scoped_headers(tree):
    tables = list(tree.iter("table"))
    assert len(tables) >= 10
    for table in tables:
        caption = table.find("caption")
        assert caption is not None and text_of(caption)
        for th in table.iter("th"):
            assert th.get("scope") in ("col", "row")


def test_self_contained_without_script_and_print_ready(tree, page):
    assert "<script" not in page.lower()
    assert not re.search(r"\son[a-z]+\s*=", page), "event-handler attributes are script"
    assert not re.search(r"(?i)javascript:|@import|@font-face|<link|<img|<iframe", page)
    urls = re.findall(r"https?://[^\s\"')]+", page)
    assert set(urls) <= {"http://www.w3.org/2000/svg"}, urls
    for element in tree.iter():
        href = element.get("href")
        assert href is None or href.startswith("#"), href
        assert element.get("src") is None
    style = text_of(tree.find("head/style"))
    assert "@page { size: A4; margin: 15mm; }" in style
    assert "break-inside: avoid" in style
    assert "max-width: 100%" in style


def test_only_the_generated_line_carries_a_time(tree, page):
    assert text_of(by_id(tree, "generated")) == f"Generated: {STAMP}"
    assert page.count(STAMP) == 1


def test_provenance_names_inputs_and_their_digests(tree, bundle, scores):
    import hashlib

    from spinefairbench import __version__

    provenance = text_of(by_id(tree, "provenance"))
    profile = select_profile(bundle, None)
    for expected in (f"spinefairbench {__version__}", str(bundle), profile.name, profile.sha256,
                     "iterations 10000, seed 42", "spinefairbench report --artifacts"):
        assert expected in provenance
    for score in scores:
        assert str(score) in provenance
        assert hashlib.sha256(score.read_bytes()).hexdigest() in provenance


# --------------------------------------------------------------------------
# Numbers


def test_summary_lists_every_check_with_its_status(tree):
    rows = table_rows(by_id(tree, "checks"))
    assert list(rows) == ["checksums", "reader checksums", "release-identity", "followup", "inspect", "dataset",
                          "diagnostic-scoring", "parse-sample", "table2", "gap-sensitivity",
                          "both-empty-diagnostic", "radiologist", "stage1-confidence", "mitigation"]
    assert all(text_of(cells[0]).endswith("PASS") for cells in rows.values())


def test_table2_numbers_equal_the_json_facts(tree, table2_facts, bundle):
    rows = table_rows(by_id(tree, "table2-values"))
    assert list(rows) == select_profile(bundle, None).retained_models  # the profile's order, as Table 2
    assert set(rows) == set(table2_facts)
    for model, facts in table2_facts.items():
        usable, full, partial, changed, rec, rec_ci, diag, diag_ci = rows[model]  # no CI-source column: all alike
        assert int(usable.get("data-value")) == facts["usable_pairs"]
        assert int(changed.get("data-value")) == facts["changed_pairs"]
        assert float(rec.get("data-value")) == facts["recommendation_change"]
        assert float(diag.get("data-value")) == facts["diagnostic_consistency"]
        assert text_of(rec) == f"{facts['recommendation_change']:.3f}"
        for cell, key in ((rec_ci, "recommendation_change"), (diag_ci, "diagnostic_consistency")):
            lower, upper = facts["recomputed_ci95"][key]
            assert (float(cell.get("data-lower")), float(cell.get("data-upper"))) == (lower, upper)
            assert text_of(cell) == f"[{lower:.3f}, {upper:.3f}]"
    assert "95% CIs recomputed" in text_of(by_id(tree, "table2-values").find("caption"))


def test_forest_plots_show_every_model_and_the_median(tree, table2_facts):
    import statistics

    for figure_id, key in (("forest-recommendation-change", "recommendation_change"),
                           ("forest-diagnostic-consistency", "diagnostic_consistency")):
        svg = by_id(tree, figure_id).find(f"{SVG}svg")
        texts = [t.text for t in svg.iter(f"{SVG}text")]
        assert all(model in texts for model in table2_facts)
        median = statistics.median(f[key] for f in table2_facts.values())
        assert f"panel median {median:.3f}" in texts
        assert len([r for r in svg.iter(f"{SVG}rect") if r.get("class") != "band"]) == len(table2_facts)
        ticks = [t for t in svg.iter(f"{SVG}text") if t.text and re.fullmatch(r"-?\d+(\.\d+)?", t.text)]
        assert len(ticks) >= 3, "the axis needs tick labels"


def test_gap_table_and_scatter_match_the_json_facts(tree, gap_facts):
    rows = table_rows(by_id(tree, "gap-values"))
    assert sorted(rows) == sorted(gap_facts["models"])
    names = ("usable_pairs", "rec_change", "rec_exact_stability", "rec_jaccard", "diag_jaccard", "gap_exact",
             "gap_graded")
    for model, facts in gap_facts["models"].items():
        for cell, name in zip(rows[model], names):
            assert float(cell.get("data-value")) == facts[name], (model, name)
    svg = by_id(tree, "gap-scatter").find(f"{SVG}svg")
    models = len(gap_facts["models"])
    assert len(list(svg.iter(f"{SVG}circle"))) == models + 1  # one per model, one in the legend
    assert len([p for p in svg.iter(f"{SVG}path") if p.get("d", "").endswith("Z")]) == models + 1  # triangles
    identity = [line for line in svg.iter(f"{SVG}line") if line.get("class") == "identity"]
    assert identity, "the y = x line is drawn"
    alternative = text_of(by_id(tree, "gap-scatter-text"))
    assert f"Median gap_exact {gap_facts['median_gap_exact']:.3f}" in alternative


def test_per_edit_heat_maps_come_from_score_files_that_carry_them(tree, scores):
    full = json.loads(scores[0].read_text())
    section = by_id(tree, "per-edit")
    assert "older-scorer-vlm" in text_of(by_id(tree, "score-values"))
    assert "No per-edit breakdown (secondary.per_edit) in: older-scorer-vlm" in text_of(section)
    for endpoint in ("recommendation_change_rate", "diagnostic_label_consistency"):
        figure_id = f"heatmap-{endpoint.replace('_', '-')}"
        svg = by_id(tree, figure_id).find(f"{SVG}svg")
        assert [t.text for t in svg.iter(f"{SVG}text")].count("older-scorer-vlm") == 0
        cells = [r for r in svg.iter(f"{SVG}rect") if r.get("class") == "cell"]
        assert len(cells) == len(EDIT_LABELS)
        edits = full["secondary"]["per_edit"]["endpoints"][endpoint]["edits"]
        values = [float(value.get("data-value")) for _, _, value, *_ in
                  (list(tr) for tr in by_id(tree, f"{figure_id}-values").find("tbody"))]
        assert values == [edits[label]["point_estimate"] for label in EDIT_LABELS]


def test_radiologist_stage1_and_mitigation_tables(tree, bundle):
    profile = select_profile(bundle, None).data
    radiologist = table_rows(by_id(tree, "radiologist-values"))
    assert int(radiologist["Validated subset (pairs)"][0].get("data-value")) == profile["radiologist"][
        "validated_pairs"]
    assert int(radiologist["'Cannot tell' responses"][0].get("data-value")) == profile["radiologist"]["cannot_tell"]
    stage1 = table_rows(by_id(tree, "stage1-values"))
    assert {m for m, cells in stage1.items() if text_of(cells[-1]) == "included"} == set(
        profile["mitigation"]["models"])
    mitigation = table_rows(by_id(tree, "mitigation-values"))
    assert list(mitigation) == profile["mitigation"]["models"]
    assert all(text_of(cells[-1]).lower() == "false" for cells in mitigation.values())


# --------------------------------------------------------------------------
# Rendering edge cases (pure)


def test_render_with_a_failed_table2_and_a_non_finite_value_stays_clean():
    facts = {"models": {
        "only-model": {"usable_pairs": 3, "full_refusal_pairs": 0, "partial_refusal_pairs": 0, "changed_pairs": 1,
                       "recommendation_change": 1 / 3, "diagnostic_consistency": math.nan,
                       "frozen": {"recommendation_change_ci95": [1 / 3, 1 / 3],
                                  "diagnostic_consistency_ci95": [math.nan, math.inf]}}}}
    results = [CheckResult("table2", "table2 --artifacts DIR", "FAIL", "mismatch", (), "mismatch", facts)]
    page = render_report(results, [], {"bundle": "DIR"}, STAMP)
    tree = ET.fromstring(page)
    assert "the table2 check FAILED (mismatch)" in text_of(by_id(tree, "table2"))
    assert count_figures(page) == 2
    for svg in tree.iter(f"{SVG}svg"):
        for element in svg.iter():
            assert not any(NON_FINITE.search(v) for v in element.attrib.values())
    assert "Not plotted (no finite value): only-model." in text_of(by_id(tree, "forest-diagnostic-consistency"))


# --------------------------------------------------------------------------
# A real browser


def browser() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def test_headless_chromium_renders_the_report(written, tmp_path):
    binary = browser()
    if binary is None:
        pytest.skip("no Chromium found; install Debian's chromium: apt-get install -y chromium")
    flags = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0"]
    url = written["path"].as_uri()
    png = tmp_path / "report.png"
    shot = subprocess.run(flags + [f"--screenshot={png}", "--window-size=1200,3000", url],
                          capture_output=True, text=True, timeout=180)
    assert png.is_file(), shot.stderr[-2000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(data[16:20], "big") == 1200 and int.from_bytes(data[20:24], "big") == 3000
    assert len(data) > 50_000, "a blank page compresses to a few kB; the report has text and figures"
    console = [line for line in shot.stderr.splitlines() if ":CONSOLE" in line]
    assert not console, console

    dom = subprocess.run(flags + ["--dump-dom", url], capture_output=True, text=True, timeout=180)
    for section_id, _ in SECTIONS:
        assert f'id="{section_id}"' in dom.stdout
    assert dom.stdout.count("<svg") == 5
    assert not [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]
