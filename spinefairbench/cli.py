"""The command line: one argparse table of every subcommand.

``reviewer_verify.py`` (the published verifier's name) and the
``spinefairbench`` console script both end here.  Options and defaults of
the verification commands follow the published verifier exactly; options it
does not have (``--json``, ``--profile``, ``--quiet``, ``--workers``) are
additions that never change what is printed on stdout without them.

The ``--model`` choices of ``table2`` and friends are the retained roster of
the release profile that judges the bundle, so the command line is parsed in
two steps: ``--artifacts`` and ``--profile`` first, to select the profile.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from spinefairbench import __version__
from spinefairbench.bundle.paths import bundle_root
from spinefairbench.bundle.profile import CODE_ROOT, published_profile, select_profile
from spinefairbench.commands import endpoints, integrity, inventory, mitigation, radiologist
from spinefairbench.commands.framework import execute
from spinefairbench.errors import SpineFairBenchError


def _command(body: Callable, command: str, *, needs_bundle: bool = True, **option_names: str):
    """Adapt a command body to ``run(args)``, mapping option attributes to keyword arguments.

    Bundle commands get ``body(context, out, **kwargs)``; the others ``body(out, **kwargs)``.
    """
    def run(args) -> int:
        kwargs = {key: getattr(args, attr) for key, attr in option_names.items()}
        if needs_bundle:
            return execute(args, command, lambda context, out: body(context, out, **kwargs))
        return execute(args, command, lambda _context, out: body(out, **kwargs), needs_bundle=False)
    return run


def _common(parser: argparse.ArgumentParser, *, bundle: bool) -> None:
    if bundle:
        parser.add_argument("--artifacts", default=None, help="bundle root (default: <code root>/artifacts)")
        parser.add_argument("--profile", default=None,
                            help="release profile JSON (default: the bundle's own, else the published release)")
    parser.add_argument("--json", action="store_true", help="print one spinefairbench-verify-v1 JSON document")
    parser.add_argument("--quiet", action="store_true", help="no progress or profile notes on stderr")


def _roster(argv: list[str]) -> list[str]:
    """The retained models of the profile selected by ``--artifacts``/``--profile`` (first parsing step)."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--artifacts", default=None)
    pre.add_argument("--profile", default=None)
    try:
        known, _ = pre.parse_known_args(argv)
        return select_profile(bundle_root(known.artifacts, CODE_ROOT), known.profile).retained_models
    except (SystemExit, SpineFairBenchError):
        return published_profile().retained_models


def build_parser(prog: str | None = None, roster: list[str] | None = None) -> argparse.ArgumentParser:
    roster = roster or published_profile().retained_models
    parser = argparse.ArgumentParser(prog=prog, description="SpineFairBench reviewer verification and scoring "
                                                            "(standard library only).")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="command")
    sub.required = True

    p = sub.add_parser("checksums", help="verify a sha256sum-format manifest")
    p.add_argument("manifest", nargs="?", default=None, help="manifest path (default: the code package's)")
    _common(p, bundle=False)
    p.set_defaults(func=_command(integrity.checksums, "checksums", needs_bundle=False, manifest="manifest"))

    p = sub.add_parser("release-identity", help="check the pinned release-identity anchors and frozen prompts")
    _common(p, bundle=True)
    p.add_argument("--archive-variant", choices=integrity.ARCHIVE_VARIANTS, default="anonymous")
    p.set_defaults(func=_command(integrity.release_identity, "release-identity", variant="archive_variant"))

    p = sub.add_parser("followup", help="check the pinned retained follow-up supplement")
    _common(p, bundle=True)
    p.add_argument("--supplement", default=None, help="the supplement file from the published code repository")
    p.set_defaults(func=_command(integrity.followup, "followup", supplement="supplement"))

    for name, body, text in (("inspect", inventory.inspect, "check that every required file is present"),
                             ("dataset", inventory.dataset, "verify the released dataset tree"),
                             ("radiologist", radiologist.radiologist, "recompute radiologist validation"),
                             ("stage1-confidence", mitigation.stage1_confidence, "recompute the Stage-1 gate"),
                             ("mitigation", mitigation.mitigation, "verify the mitigation table")):
        p = sub.add_parser(name, help=text)
        _common(p, bundle=True)
        p.set_defaults(func=_command(body, name))

    sub.choices["dataset"].add_argument("--check-png", action="store_true",
                                        help="also check each image's PNG signature and header (not in the published "
                                             "verifier)")
    sub.choices["dataset"].set_defaults(func=_command(inventory.dataset, "dataset", check_png="check_png"))

    p = sub.add_parser("parse-sample", help="show the parsed labels of one retained pair")
    _common(p, bundle=True)
    p.add_argument("--model", default="gpt-5.4")
    p.set_defaults(func=_command(endpoints.parse_sample, "parse-sample", model="model"))

    p = sub.add_parser("table2", aliases=["table3"], help="recompute Table 2 and check the frozen summary")
    _common(p, bundle=True)
    p.add_argument("--model", choices=[*roster, "all"], default="all")
    p.add_argument("--recompute-ci", action="store_true")
    p.add_argument("--bootstrap-iterations", type=int, default=10000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--workers", type=int, default=1, help="bootstrap worker processes (bit-identical results)")
    p.set_defaults(func=_command(endpoints.table2, "table2", model="model", recompute_ci="recompute_ci",
                                iterations="bootstrap_iterations", seed="seed", workers="workers"))

    p = sub.add_parser("diagnostic-scoring", help="print the frozen diagnostic-label scoring path")
    _common(p, bundle=False)
    p.set_defaults(func=_command(endpoints.diagnostic_scoring, "diagnostic-scoring", needs_bundle=False))

    for name, body in (("gap-sensitivity", endpoints.gap_sensitivity),
                       ("both-empty-diagnostic", endpoints.both_empty_diagnostic)):
        p = sub.add_parser(name, help=f"{name.replace('-', ' ')} per retained model")
        _common(p, bundle=True)
        p.add_argument("--model", choices=roster, default=None)
        p.set_defaults(func=_command(body, name, model="model"))

    for register in _extension_registrars():
        register(sub)
    return parser


def _extension_registrars() -> list[Callable]:
    """Command families that live in their own modules (scoring, suites, SpineBench, ...)."""
    from spinefairbench.commands import registry

    return registry.REGISTRARS


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(prog, _roster(argv))
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except Exception as error:  # a bug, not bad input: still one line, unless debugging
        if os.environ.get("SPINEFAIRBENCH_DEBUG"):
            raise
        sys.stderr.write(f"internal error: {type(error).__name__}: {error} (set SPINEFAIRBENCH_DEBUG=1 for a "
                         f"traceback)\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
