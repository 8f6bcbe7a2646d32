"""``all`` and ``demo``: the whole suite, its table and its exit status."""

import json
import os


def test_all_on_demo_bundle_passes(run, demo_bundle):
    result = run("all", "--artifacts", demo_bundle, "--no-recompute-ci")
    assert result.status == 0, result.out[-2000:]
    assert result.lines[-1] == "ALL CHECKS PASSED: 14 passed, 0 failed, 0 skipped"
    assert "== inspect --artifacts " + str(demo_bundle) in result.lines


def test_all_reports_a_failed_check(run, bundle):
    os.remove(bundle / "dataset" / "pairs.json")
    result = run("all", "--artifacts", bundle, "--no-recompute-ci", "--json")
    assert result.status == 1
    document = json.loads(result.out)
    failed = [c for c in document["checks"] if c["status"] == "FAIL"]
    assert {c["name"] for c in failed} >= {"dataset", "inspect"}
    assert "Missing required artifact: dataset/pairs.json" in {c["error"] for c in failed}


def test_all_on_conformance_bundle_judges_as_published(run, conformance_bundle):
    result = run("all", "--artifacts", conformance_bundle, "--json")
    document = json.loads(result.out)
    status = {c["name"]: c["status"] for c in document["checks"]}
    assert status["release-identity"] == "FAIL"  # a synthetic bundle cannot match the published anchors
    assert status["followup"] == "SKIP"
    assert status["table2"] == "PASS" and status["radiologist"] == "PASS"
    assert document["profile"]["origin"] == "published"
