"""``spinefairbench demo build``: write a deterministic synthetic bundle in the published layout.

The command is a thin shell around :func:`spinefairbench.demo.builder.build_demo_bundle`:
it parses ``--out``, ``--preset`` and ``--seed``, prints where the bundle went
and a one-line count summary, and turns an anticipated failure into a
one-line message on stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import sys

from spinefairbench.errors import SpineFairBenchError

PRESET_CHOICES = ("small", "full")


def add_build_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``demo build`` options to ``parser``.

    >>> parser = argparse.ArgumentParser(prog="demo build")
    >>> add_build_arguments(parser)
    >>> args = parser.parse_args(["--out", "x"])
    >>> args.out, args.preset, args.seed
    ('x', 'small', 7)
    """
    parser.add_argument("--out", required=True, help="directory to create (must not exist or be empty)")
    parser.add_argument("--preset", choices=PRESET_CHOICES, default="small",
                        help="small: fast test scale; full: the published counts (default: small)")
    parser.add_argument("--seed", type=int, default=7, help="generator seed (default: 7)")


def summary_line(counts: dict) -> str:
    """One line with the counts a user checks first.

    >>> summary_line({"files": 3, "qc_passed_pngs": 2, "core_pairs": 1, "all_model_intersection_pairs": 1,
    ...               "checksum_entries": 2})
    'files=3 qc_passed_pngs=2 core_pairs=1 all_model_intersection_pairs=1 checksum_entries=2'
    >>> summary_line({})
    ''
    """
    keys = ("files", "qc_passed_pngs", "core_pairs", "all_model_intersection_pairs", "checksum_entries")
    return " ".join(f"{key}={counts[key]}" for key in keys if key in counts)


def run_build(args: argparse.Namespace) -> int:
    """Build the bundle; 0 on success, 2 with a one-line message on stderr on failure."""
    from spinefairbench.demo.builder import build_demo_bundle

    try:
        bundle = build_demo_bundle(args.out, preset=args.preset, seed=args.seed)
    except SpineFairBenchError as error:
        print(str(error), file=sys.stderr)
        return 2
    print(f"Demo bundle written: {bundle.root}")
    print(f"preset={bundle.preset} seed={bundle.seed} {summary_line(bundle.counts)}")
    return 0
