"""``spinebench``: the SpineBench command family.

``spinebench score``        P1/P2/P3, Closed-QA and the weighted total with bootstrap CIs;
``spinebench levels``       the vertebral levels a text names;
``spinebench agreement``    LLM-vs-human judge agreement per rubric dimension;
``spinebench check-table``  recompute the derived columns of a published results table;
``spinebench demo``         write the synthetic demo set.

Each ``run_*`` loads its inputs, calls the pure core in
:mod:`spinefairbench.spinebench`, renders and returns the exit status: 0 on
success, 1 from ``check-table`` when a row is flagged, 2 for any input error,
which is printed as one line ``SpineBench error: ...`` on stderr with nothing
on stdout and no output file written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime, timezone

from spinefairbench.errors import SpineFairBenchError
from spinefairbench.spinebench.agreement import (DEFAULT_KINDS, agreement_document, agreement_summary,
                                                 judge_agreement)
from spinefairbench.spinebench.demo_data import DEMO_NAME, write_demo_set
from spinefairbench.spinebench.io import (dump_json, load_item_bank, load_judgements, load_predictions,
                                          read_text, write_text_atomic)
from spinefairbench.spinebench.levels import extract_levels
from spinefairbench.spinebench.scoring import (DEFAULT_ITERATIONS, DEFAULT_JUDGE_KIND, DEFAULT_SEED,
                                               score_document, score_predictions, score_summary)
from spinefairbench.spinebench.table_check import (check_table, parse_table, resolve_sizes,
                                                   table_check_document, table_check_summary)

INPUT_ERROR_STATUS = 2
FLAGGED_STATUS = 1
LEVELS_SCHEMA = "spinebench-levels-v1"


def register(subparsers) -> None:
    """Add the ``spinebench`` command and its sub-commands to ``subparsers``."""
    parser = subparsers.add_parser(
        "spinebench", help="score SpineBench predictions and check published SpineBench tables",
        description="SpineBench: MCQ and report scoring, vertebral levels, judge agreement, table checks.")
    commands = parser.add_subparsers(dest="spinebench_command", metavar="COMMAND", required=True)

    score = commands.add_parser("score", help="score one model's predictions",
                                description="Score one model's predictions against an item bank.")
    score.add_argument("--items", required=True, metavar="BANK", help="item bank (.json or .jsonl)")
    score.add_argument("--predictions", required=True, metavar="PRED", help="predictions (.json or .jsonl)")
    score.add_argument("--judgements", metavar="JUDG", help="rubric judgements of report items (.json)")
    score.add_argument("--judge", default=DEFAULT_JUDGE_KIND, metavar="KIND",
                       help=f"judge kind used for P3 (default: {DEFAULT_JUDGE_KIND})")
    score.add_argument("--allow-partial", action="store_true",
                       help="score missing or unjudged items as absent instead of failing")
    score.add_argument("--bootstrap-iterations", type=int, default=DEFAULT_ITERATIONS, metavar="N",
                       help=f"bootstrap replicates (default: {DEFAULT_ITERATIONS})")
    score.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="N",
                       help=f"bootstrap seed (default: {DEFAULT_SEED})")
    _add_output_options(score, with_file=True)
    score.set_defaults(func=run_score)

    levels = commands.add_parser("levels", help="list the vertebral levels a text names",
                                 description="Print the canonical vertebral levels named in a text.")
    source = levels.add_mutually_exclusive_group(required=True)
    source.add_argument("text", nargs="?", metavar="TEXT", help="the text to read")
    source.add_argument("--file", metavar="F", help="read the text from a UTF-8 file")
    _add_output_options(levels, with_file=False)
    levels.set_defaults(func=run_levels)

    agreement = commands.add_parser("agreement", help="agreement between two judge kinds",
                                    description="Pearson and Spearman agreement of two judge kinds.")
    agreement.add_argument("--items", required=True, metavar="BANK", help="item bank (.json or .jsonl)")
    agreement.add_argument("--judgements", required=True, metavar="JUDG", help="rubric judgements (.json)")
    agreement.add_argument("--kinds", default=",".join(DEFAULT_KINDS), metavar="A,B",
                           help="the two judge kinds to compare (default: llm,human)")
    agreement.add_argument("--model", metavar="NAME", help="only this model's judgements (default: all)")
    _add_output_options(agreement, with_file=True)
    agreement.set_defaults(func=run_agreement)

    table = commands.add_parser("check-table", help="recompute the derived columns of a published table",
                                description="Check a published results table for internal consistency.")
    table.add_argument("table", metavar="TABLE.csv", help="CSV with model and score columns")
    table.add_argument("--n-mcq", type=int, metavar="N", help="number of MCQs (default: 487)")
    table.add_argument("--n-report", type=int, metavar="N", help="number of report items (default: 87)")
    table.add_argument("--n-text", type=int, metavar="N", help="number of text MCQs (with --n-image)")
    table.add_argument("--n-image", type=int, metavar="N", help="number of image MCQs (with --n-text)")
    _add_output_options(table, with_file=False)
    table.set_defaults(func=run_check_table)

    demo = commands.add_parser("demo", help="write the synthetic demo set",
                               description=f"Write the {DEMO_NAME} (items, predictions, judgements, table).")
    demo.add_argument("--out", required=True, metavar="DIR", help="folder to write into (created if needed)")
    demo.set_defaults(func=run_demo)


def _add_output_options(parser: argparse.ArgumentParser, *, with_file: bool) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of the summary")
    if with_file:
        parser.add_argument("--output", metavar="FILE", help="also write the JSON document to FILE")


def _guarded(body: Callable[[], int]) -> int:
    """Run a command body; an input error becomes one stderr line and status 2."""
    try:
        return body()
    except SpineFairBenchError as error:
        sys.stderr.write(f"SpineBench error: {error}\n")
        return INPUT_ERROR_STATUS


def _emit(args, document: dict, summary: list[str], status: int = 0) -> int:
    """Write ``--output`` first (so a failure leaves stdout empty), then stdout."""
    text = dump_json(document)
    if getattr(args, "output", None):
        write_text_atomic(args.output, text)
    sys.stdout.write(text if args.json else "".join(f"{line}\n" for line in summary))
    return status


def _utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def run_score(args) -> int:
    def body() -> int:
        if args.bootstrap_iterations < 1:
            raise SpineFairBenchError("expected an integer >= 1", field="--bootstrap-iterations")
        if args.seed < 0:
            raise SpineFairBenchError("expected an integer >= 0", field="--seed")
        if not args.judge.strip():
            raise SpineFairBenchError("expected a non-blank judge kind", field="--judge")
        bank = load_item_bank(args.items)
        predictions = load_predictions(args.predictions, bank)
        judgements = load_judgements(args.judgements, bank) if args.judgements is not None else ()
        result = score_predictions(bank, predictions, judgements, judge_kind=args.judge,
                                   allow_partial=args.allow_partial,
                                   iterations=args.bootstrap_iterations, seed=args.seed)
        return _emit(args, score_document(result, _utc_now()), score_summary(result))
    return _guarded(body)


def run_levels(args) -> int:
    def body() -> int:
        text = read_text(args.file) if args.file is not None else args.text
        levels = list(extract_levels(text))
        return _emit(args, {"schema_version": LEVELS_SCHEMA, "levels": levels}, levels)
    return _guarded(body)


def parse_kinds(text: str) -> tuple[str, str]:
    """``A,B`` -> two different, non-blank judge kinds.

    >>> parse_kinds("llm, human")
    ('llm', 'human')
    >>> parse_kinds("llm,llm")
    Traceback (most recent call last):
      ...
    spinefairbench.errors.SpineFairBenchError: --kinds: expected two different judge kinds separated by a comma, e.g. llm,human
    """
    kinds = [kind.strip() for kind in text.split(",")]
    if len(kinds) != 2 or not all(kinds) or kinds[0] == kinds[1]:
        raise SpineFairBenchError("expected two different judge kinds separated by a comma, e.g. llm,human",
                                  field="--kinds")
    return kinds[0], kinds[1]


def run_agreement(args) -> int:
    def body() -> int:
        kinds = parse_kinds(args.kinds)
        bank = load_item_bank(args.items)
        judgements = load_judgements(args.judgements, bank)
        result = judge_agreement(bank, judgements, kinds, args.model)
        return _emit(args, agreement_document(result), agreement_summary(result))
    return _guarded(body)


def run_check_table(args) -> int:
    def body() -> int:
        sizes = resolve_sizes(args.n_mcq, args.n_report, args.n_text, args.n_image)
        result = check_table(parse_table(read_text(args.table), args.table), sizes)
        status = FLAGGED_STATUS if result.flagged_models else 0
        return _emit(args, table_check_document(result), table_check_summary(result), status)
    return _guarded(body)


def run_demo(args) -> int:
    def body() -> int:
        written = write_demo_set(args.out)
        sys.stdout.write(f"Wrote the {DEMO_NAME} to {args.out}:\n")
        sys.stdout.write("".join(f"  {path}\n" for path in written.values()))
        return 0
    return _guarded(body)


def demo_hook(_context, scratch, _args) -> list:
    """Suite checks for ``reviewer_verify.py demo``: score both demo models, judge agreement, the table check."""
    from pathlib import Path

    from spinefairbench.commands.suite import Check

    written = write_demo_set(Path(scratch) / "spinebench-demo")
    bank = load_item_bank(str(written["items"]))
    judgements_file = str(written["judgements"])

    def score(predictions_file: str):
        def body(out) -> None:
            result = score_predictions(bank, load_predictions(predictions_file, bank),
                                       load_judgements(judgements_file, bank))
            for line in score_summary(result):
                out.emit(line)
        return body

    def agreement(out) -> None:
        for line in agreement_summary(judge_agreement(bank, load_judgements(judgements_file, bank))):
            out.emit(line)

    def table(out) -> None:
        path = str(written["published_table"])
        result = check_table(parse_table(read_text(path), path), resolve_sizes())
        for line in table_check_summary(result):
            out.emit(line)

    checks = [Check(f"spinebench score {key.removeprefix('predictions_')}", f"spinebench score ({key})",
                    score(str(path)), lambda out: next(line for line in out.lines if line.startswith("Total:")))
              for key, path in written.items() if key.startswith("predictions")]
    checks.append(Check("spinebench agreement", "spinebench agreement", agreement, lambda out: out.lines[-1]))
    checks.append(Check("spinebench check-table", "spinebench check-table (hand-made table with known flags)",
                        table, lambda out: f"{out.lines[-1]} (flagged rows are designed into the demo table)"))
    return checks
