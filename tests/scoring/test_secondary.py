"""compare and leaderboard on score files, and reading score files with one-line errors."""

import csv
import io
import json

import pytest

from spinefairbench.errors import SpineFairBenchError
from spinefairbench.scoring.core import score_submission
from spinefairbench.scoring.document import score_document, serialize
from spinefairbench.scoring.scopes import ScopeSelection, build_qc_index
from spinefairbench.scoring.secondary import (build_leaderboard, compare_scores, comparison_document,
                                              comparison_lines, leaderboard_csv, leaderboard_document,
                                              leaderboard_markdown, read_score_file)
from spinefairbench.scoring.submission import validate_submission
from spinefairbench.stats.bootstrap import source_clustered_bootstrap_cis
from spinefairbench.stats.summation import plain_sum


@pytest.fixture()
def write_score(kit, tmp_path):
    qc_index = build_qc_index([kit.qc_row(s, e) for s in kit.SOURCES for e in kit.EDITS], "qc.jsonl")

    def write(name, pairs, *, scope="qc-passed", expected=None, model_name=None):
        model = {"name": model_name or name, "version": "v-" + name}
        submission = validate_submission(kit.submission(pairs, model=model))
        selection = ScopeSelection(scope, qc_index, frozenset(expected or pairs), {}, {})
        result = score_submission(submission, selection, allow_partial=True, iterations=200, seed=1)
        document = score_document(result, scored_at="2026-01-01T00:00:00+00:00", tool_version="t",
                                  submission_sha256="0" * 64, release_profile={})
        path = tmp_path / f"{name}.json"
        path.write_bytes(serialize(document))
        return path

    return write


def sensitive(kit, pair_ids):
    return {pair_id: (kit.BASE, kit.REC_CHANGED if i % 2 else kit.LABEL_CHANGED)
            for i, pair_id in enumerate(sorted(pair_ids))}


def steady(kit, pair_ids):
    return {pair_id: (kit.BASE, kit.BASE) for pair_id in pair_ids}


def error_of(call, *args, **kwargs) -> str:
    with pytest.raises(SpineFairBenchError) as info:
        call(*args, **kwargs)
    return str(info.value)


# --------------------------------------------------------------------------
# compare


def test_paired_difference_and_its_clustered_bootstrap(kit, write_score):
    ids = kit.all_pair_ids()
    a = read_score_file(write_score("a", sensitive(kit, ids)))
    b_pairs = steady(kit, ids)
    b_pairs[ids[0]] = (kit.FULL_REFUSAL, kit.BASE)  # unusable in B: left out of the comparison
    b = read_score_file(write_score("b", b_pairs))
    comparison = compare_scores(a, b, iterations=300, seed=3)
    common = sorted(ids[1:])
    assert (comparison.common_pairs, comparison.common_sources, comparison.usable_only_in_a,
            comparison.usable_only_in_b) == (15, 4, 1, 0)
    rec_a = [a.usable[p].recommendation_changed for p in common]
    rec_b = [b.usable[p].recommendation_changed for p in common]
    diag_a = [a.usable[p].diagnostic_label_consistency for p in common]
    diag_b = [b.usable[p].diagnostic_label_consistency for p in common]
    rec, diag = comparison.endpoints
    assert (rec.mean_a, rec.mean_b) == (plain_sum(rec_a) / 15, plain_sum(rec_b) / 15)
    assert rec.difference == plain_sum(y - x for x, y in zip(rec_a, rec_b)) / 15
    clusters = [a.usable[p].source_id for p in common]
    expected = source_clustered_bootstrap_cis([[y - x for x, y in zip(rec_a, rec_b)],
                                               [y - x for x, y in zip(diag_a, diag_b)]],
                                              clusters, iterations=300, seed=3)
    assert [rec.ci95, diag.ci95] == [tuple(ci) for ci in expected]
    assert rec.difference < 0 and rec.ci95[1] < 0
    assert rec.verdict.startswith("B changes its recommendation less often than A")
    assert diag.verdict.startswith("B keeps its diagnostic labels more consistent than A")


def test_compare_identical_files_shows_no_difference(kit, write_score):
    path = write_score("a", sensitive(kit, kit.all_pair_ids()))
    comparison = compare_scores(read_score_file(path), read_score_file(path), iterations=50, seed=0)
    for endpoint in comparison.endpoints:
        assert (endpoint.difference, endpoint.ci95) == (0.0, (0.0, 0.0))
        assert endpoint.verdict.startswith("no clear difference")
    lines = comparison_lines(comparison)
    assert lines[0] == "Paired comparison B - A on 16 common usable pairs from 4 sources"
    assert lines[4].startswith("Recommendation change: A 0.500, B 0.500, B - A +0.000 [+0.000, +0.000]: no clear")
    document = comparison_document(comparison)
    assert document["schema_version"] == "spinefairbench-compare-v1"
    assert document["endpoints"]["recommendation_change_rate"]["ci95"] == {"lower": 0.0, "upper": 0.0}
    json.dumps(document, allow_nan=False)


def test_compare_refusals(kit, write_score):
    ids = kit.all_pair_ids()
    toy = read_score_file(write_score("toy", steady(kit, ids[:4]), scope="toy"))
    full = read_score_file(write_score("full", steady(kit, ids)))
    other = read_score_file(write_score("other", steady(kit, ids[4:])))
    assert error_of(compare_scores, toy, full, iterations=10, seed=0).startswith(
        f"score files have different scopes (toy in {toy.display}, qc-passed in {full.display}); pass "
        f"--allow-scope-mismatch")
    assert compare_scores(toy, full, iterations=10, seed=0, allow_scope_mismatch=True).common_pairs == 4
    assert error_of(compare_scores, toy, other, iterations=10, seed=0,
                    allow_scope_mismatch=True) == "the two score files have no usable pair in common"
    assert error_of(compare_scores, full, full, iterations=0, seed=0) == "bootstrap iterations must be >= 1"
    assert error_of(compare_scores, full, full, iterations=1, seed=-2) == (
        "bootstrap seed must be a non-negative integer, got -2")


def test_reading_a_broken_score_file_is_one_located_line(kit, write_score, tmp_path):
    path = write_score("a", steady(kit, kit.all_pair_ids()[:2]))
    document = json.loads(path.read_text())
    cases = [
        ({"schema_version": "other"}, "schema_version: expected 'spinefairbench-score-v1'"),
        (dict(document, per_pair_results={}), "per_pair_results: expected a list, found an object"),
        (dict(document, per_pair_results=[dict(document["per_pair_results"][0], recommendation_changed="1")]),
         "per_pair_results[0]: recommendation_changed: expected a finite number, found a string"),
        (dict(document, coverage={}), "coverage.expected_pairs: missing field"),
    ]
    for broken, message in cases:
        target = tmp_path / "broken.json"
        target.write_text(json.dumps(broken))
        assert error_of(read_score_file, target, "broken.json") == f"broken.json: {message}"
    target.write_text("{")
    assert error_of(read_score_file, target, "broken.json").startswith("broken.json:1:2: invalid JSON")


# --------------------------------------------------------------------------
# leaderboard


def test_ranking_by_recommendation_change_then_consistency(kit, write_score):
    ids = kit.all_pair_ids()
    worse = sensitive(kit, ids)
    mixed = steady(kit, ids)
    mixed[ids[0]] = (kit.BASE, kit.LABEL_CHANGED)  # same change rate as "best", lower consistency
    files = [read_score_file(write_score(name, pairs)) for name, pairs in
             (("worse", worse), ("best", steady(kit, ids)), ("mixed", mixed))]
    board = build_leaderboard(files)
    assert [(row.rank, row.score.model_name) for row in board.rows] == [(1, "best"), (2, "mixed"), (3, "worse")]
    assert board.scope == "qc-passed"

    records = list(csv.DictReader(io.StringIO(leaderboard_csv(board))))
    assert [r["model_name"] for r in records] == ["best", "mixed", "worse"]
    assert records[2]["recommendation_change_rate"] == "0.5" and records[0]["coverage_complete"] == "true"
    assert records[0]["model_version"] == "v-best" and records[0]["n_pairs"] == "16"

    markdown = leaderboard_markdown(board).splitlines()
    assert markdown[2].startswith("| Rank | Model | Recommendation change [95% CI]")
    assert markdown[4].startswith("| 1 | best | 0.000 [0.000, 0.000] | 1.000 [1.000, 1.000] | 16 | 16/16 |")

    document = leaderboard_document(board)
    assert document["schema_version"] == "spinefairbench-leaderboard-v1"
    assert [row["rank"] for row in document["rows"]] == [1, 2, 3]


def test_leaderboard_refuses_non_comparable_files(kit, write_score):
    ids = kit.all_pair_ids()
    full = read_score_file(write_score("full", steady(kit, ids)))
    toy = read_score_file(write_score("toy", steady(kit, ids[:4]), scope="toy"))
    toy_other = read_score_file(write_score("toy_other", steady(kit, ids[4:8]), scope="toy"))
    partial = read_score_file(write_score("partial", steady(kit, ids[:8]), expected=ids))
    assert error_of(build_leaderboard, [full, toy]) == (
        f"cannot rank score files of different scopes together: {full.display} (qc-passed), {toy.display} (toy)")
    assert error_of(build_leaderboard, [full, partial]) == (
        f"incomplete coverage in {partial.display} (8 of 16 expected pairs submitted); pass --include-partial to "
        f"rank it anyway")
    assert [row.score.model_name for row in build_leaderboard([partial, full], include_partial=True).rows] == [
        "full", "partial"]
    assert error_of(build_leaderboard, [toy, toy_other]) == (
        f"{toy.display} and {toy_other.display} cover different pair sets although both are complete; they cannot "
        f"be ranked together")


def test_markdown_escapes_table_characters(kit, write_score):
    board = build_leaderboard([read_score_file(write_score("a", steady(kit, kit.all_pair_ids()),
                                                           model_name="x|y\nz"))])
    assert "| x\\|y z |" in leaderboard_markdown(board)
