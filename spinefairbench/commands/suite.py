"""``all`` and ``demo``: every verification in one run, ending with a table of checks.

``all --artifacts DIR`` runs the published reviewer commands on a bundle in
the README's order.  ``demo`` builds the small synthetic demo bundle in a
temporary directory (or ``--keep DIR``), runs the same suite on it and adds
the scorer and SpineBench demos.  Each check's own lines are printed under a
``== <command line>`` header, exactly as the single command prints them.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from spinefairbench import __version__
from spinefairbench.bundle.paths import bundle_root
from spinefairbench.bundle.profile import CODE_ROOT, select_profile
from spinefairbench.commands import endpoints, integrity, inventory, mitigation, radiologist
from spinefairbench.commands.framework import Context, Transcript, json_safe, run_body
from spinefairbench.errors import SpineFairBenchError
from spinefairbench.report.progress import Progress

SUITE_SCHEMA = "spinefairbench-suite-v1"


@dataclass(frozen=True)
class CheckResult:
    """One check of a suite run."""

    name: str
    command: str
    status: str  # PASS, FAIL or SKIP
    key: str
    lines: tuple[str, ...]
    failure: str | None
    facts: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Check:
    """A named check: the command line it stands for, its body, and how to summarise success."""

    name: str
    command: str
    body: Callable[[Transcript], None]
    key: Callable[[Transcript], str]
    skip_when: Callable[[], str | None] = lambda: None


def run_check(check: Check) -> CheckResult:
    reason = check.skip_when()
    if reason:
        return CheckResult(check.name, check.command, "SKIP", reason, (), None)
    out = Transcript()
    failure = run_body(check.body, out)
    if failure is None:
        return CheckResult(check.name, check.command, "PASS", check.key(out), tuple(out.lines), None, out.facts)
    return CheckResult(check.name, check.command, "FAIL", failure, tuple(out.lines), failure, out.facts)


def run_checks(checks: list[Check], *, quiet: bool, label: str = "checks") -> list[CheckResult]:
    """Run checks in order, with one stderr progress line for the whole suite."""
    results = []
    with Progress(label, quiet=quiet) as progress:
        for done, check in enumerate(checks):
            progress.update(done, len(checks), check.name)
            results.append(run_check(check))
    return results


def _last_line(out: Transcript) -> str:
    return out.lines[-1] if out.lines else ""


def reviewer_checks(context: Context, *, recompute_ci: bool = True, workers: int = 1,
                    supplement: str | None = None) -> list[Check]:
    """The published reviewer commands, in the README's order, bound to one bundle."""
    root = context.root
    rel = f"--artifacts {root}"

    def supplement_missing() -> str | None:
        if supplement:
            return None
        try:
            integrity.supplement_path(context, None)
        except SpineFairBenchError:
            return "follow-up supplement not available (pass --supplement FILE)"
        return None

    def table2_key(out: Transcript) -> str:
        models = out.facts.get("models", {})
        return f"{len(models)} models match the frozen summary" + (" (CIs recomputed)" if recompute_ci else "")

    return [
        Check("checksums", f"checksums {root / 'SHA256SUMS.txt'}",
              lambda out: integrity.checksums(out, str(root / "SHA256SUMS.txt")), _last_line),
        Check("reader checksums", f"checksums {root / 'radiologist_validation_SHA256SUMS.txt'}",
              lambda out: integrity.checksums(out, str(root / "radiologist_validation_SHA256SUMS.txt")), _last_line),
        Check("release-identity", f"release-identity {rel}",
              lambda out: integrity.release_identity(context, out, "anonymous"), lambda out: out.lines[0]),
        Check("followup", f"followup {rel}", lambda out: integrity.followup(context, out, supplement),
              lambda out: f"{len(out.facts.get('models', {}))} models, arithmetic OK", supplement_missing),
        Check("inspect", f"inspect {rel}", lambda out: inventory.inspect(context, out),
              lambda out: "required files present"),
        Check("dataset", f"dataset {rel}", lambda out: inventory.dataset(context, out),
              lambda out: f"{out.facts['released_pngs']} PNGs, {out.facts['qc_attempted_rows']} QC rows"),
        Check("diagnostic-scoring", "diagnostic-scoring", endpoints.diagnostic_scoring,
              lambda out: f"registry size {out.facts['registry_size']}"),
        Check("parse-sample", f"parse-sample {rel} --model gpt-5.4",
              lambda out: endpoints.parse_sample(context, out, context.profile.retained_models[0]),
              lambda out: f"pair {out.facts['pair_id']}"),
        Check("table2", f"table2 {rel}" + (" --recompute-ci" if recompute_ci else ""),
              lambda out: endpoints.table2(context, out, model="all", recompute_ci=recompute_ci,
                                           iterations=context.profile.data["frozen_bootstrap"]["iterations"],
                                           seed=context.profile.data["frozen_bootstrap"]["seed"], workers=workers),
              table2_key),
        Check("gap-sensitivity", f"gap-sensitivity {rel}",
              lambda out: endpoints.gap_sensitivity(context, out, model=None),
              lambda out: f"median gap_exact {out.facts['median_gap_exact']:.6f}"),
        Check("both-empty-diagnostic", f"both-empty-diagnostic {rel}",
              lambda out: endpoints.both_empty_diagnostic(context, out, model=None), _last_line),
        Check("radiologist", f"radiologist {rel}", lambda out: radiologist.radiologist(context, out),
              lambda out: f"{out.facts['majority_pass']}/{out.facts['voted_pairs']} passing, "
                          f"{out.facts['cannot_tell']}/{out.facts['detectability_rows']} 'Cannot tell'"),
        Check("stage1-confidence", f"stage1-confidence {rel}", lambda out: mitigation.stage1_confidence(context, out),
              lambda out: ", ".join(f"{m} {v['decision']}" for m, v in out.facts.get("models", {}).items()
                                    if v["decision"] == "included")),
        Check("mitigation", f"mitigation {rel}", lambda out: mitigation.mitigation(context, out),
              lambda out: "binding rule fails as published for " + ", ".join(out.facts.get("models", {}))),
    ]


def summary_table(results: list[CheckResult]) -> list[str]:
    """A fixed-width table of checks, then the overall verdict line."""
    width = max(len(r.name) for r in results)
    lines = [f"{'check'.ljust(width)}  result  detail", f"{'-' * width}  ------  ------"]
    lines += [f"{r.name.ljust(width)}  {r.status.ljust(6)}  {r.key}" for r in results]
    failed = sum(r.status == "FAIL" for r in results)
    passed = sum(r.status == "PASS" for r in results)
    skipped = sum(r.status == "SKIP" for r in results)
    verdict = "ALL CHECKS PASSED" if not failed else f"{failed} CHECK(S) FAILED"
    lines.append(f"{verdict}: {passed} passed, {failed} failed, {skipped} skipped")
    return lines


def print_results(results: list[CheckResult], *, as_json: bool, extra: dict | None = None) -> int:
    status = 1 if any(r.status == "FAIL" for r in results) else 0
    if as_json:
        document = {"schema_version": SUITE_SCHEMA, "tool_version": __version__, "exit_code": status,
                    "checks": [{"name": r.name, "command": r.command, "status": r.status, "detail": r.key,
                                "error": r.failure, "lines": list(r.lines), "facts": json_safe(r.facts)}
                               for r in results], **(extra or {})}
        sys.stdout.write(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=True, default=str) + "\n")
        return status
    for r in results:
        sys.stdout.write(f"== {r.command}\n")
        for line in r.lines:
            sys.stdout.write(line + "\n")
        if r.failure:
            sys.stdout.write(f"FAILED: {r.failure}\n")
        if r.status == "SKIP":
            sys.stdout.write(f"SKIPPED: {r.key}\n")
    sys.stdout.write("\n" + "\n".join(summary_table(results)) + "\n")
    return status


def run_all(args) -> int:
    """``all --artifacts DIR``: the reviewer suite on a given bundle."""
    try:
        root = bundle_root(args.artifacts, CODE_ROOT)
        context = Context(root, select_profile(root, args.profile))
    except SpineFairBenchError as error:
        sys.stderr.write(f"{error}\n")
        return 1
    checks = reviewer_checks(context, recompute_ci=not args.no_recompute_ci, workers=args.workers,
                             supplement=args.supplement)
    results = run_checks(checks, quiet=args.quiet)
    return print_results(results, as_json=args.json, extra={"profile": context.profile.describe(),
                                                             "artifacts": str(root)})


def run_demo(args) -> int:
    """``demo``: build the synthetic demo bundle and run every verification on it."""
    from spinefairbench.demo.builder import build_demo_bundle

    with tempfile.TemporaryDirectory(prefix="spinefairbench-demo-") as scratch:
        target = Path(args.keep) if args.keep else Path(scratch) / "artifacts"
        try:
            bundle = build_demo_bundle(target, preset=args.preset, seed=args.seed)
            context = Context(bundle.root, select_profile(bundle.root, None))
        except SpineFairBenchError as error:
            sys.stderr.write(f"{error}\n")
            return 1
        if not args.json:
            sys.stdout.write(f"Demo bundle ({args.preset}, seed {args.seed}): {bundle.root}\n\n")
        checks = reviewer_checks(context, workers=args.workers) + demo_extra_checks(context, Path(scratch), args)
        results = run_checks(checks, quiet=args.quiet)
        return print_results(results, as_json=args.json,
                             extra={"profile": context.profile.describe(), "artifacts": str(bundle.root),
                                    "demo": {"preset": args.preset, "seed": args.seed}})


def demo_extra_checks(context: Context, scratch: Path, args) -> list[Check]:
    """Checks beyond the reviewer commands that the demo also exercises (scorer, SpineBench, report)."""
    checks: list[Check] = []
    for hook in DEMO_HOOKS:
        checks.extend(hook(context, scratch, args))
    return checks


# Other command families append ``hook(context, scratch, args) -> list[Check]`` here.
DEMO_HOOKS: list[Callable] = []


def register(sub) -> None:
    p = sub.add_parser("all", help="run every reviewer verification on a bundle and print a table of checks")
    p.add_argument("--artifacts", default=None)
    p.add_argument("--profile", default=None)
    p.add_argument("--supplement", default=None, help="the follow-up supplement file, if you have it")
    p.add_argument("--no-recompute-ci", action="store_true", help="read the frozen CIs instead of recomputing")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--json", action="store_true")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run_all)

    p = sub.add_parser("demo", help="build the demo bundle in a temporary directory and run everything on it")
    p.add_argument("--preset", choices=("small", "full"), default="small")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--keep", default=None, metavar="DIR", help="build into DIR (must not exist) and keep it")
    p.add_argument("--report", default=None, metavar="FILE",
                   help="where to write the HTML report (default: spinefairbench-demo-report.html here)")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--json", action="store_true")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run_demo)
    demo_sub = p.add_subparsers(dest="demo_command", metavar="build")
    build = demo_sub.add_parser("build", help="write a demo bundle (no verification)")
    from spinefairbench.commands.demo_build import add_build_arguments, run_build

    add_build_arguments(build)
    build.set_defaults(func=run_build)
