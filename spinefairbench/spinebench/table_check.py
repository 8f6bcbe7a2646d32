"""Consistency check of a published SpineBench results table, in exact rational arithmetic.

A results table prints component scores (text MCQ, image MCQ, report) and
derived columns (Closed-QA, total).  The derived columns are fixed functions
of the others and of the component sizes (487 MCQs, 87 reports in the
paper), so a reader can recompute them.  :func:`check_table` does that for
every row (``spinebench.md`` §6) and flags a value that differs from the
recomputation by more than what the printed rounding allows, i.e. half a
unit of the last printed digit of every input, propagated through the
weights, plus half a unit of the reported value's own last digit.  For a
flagged value it also tries the unweighted mean of the same inputs, the
usual slip when a "weighted total" is computed by hand.

All arithmetic uses :class:`fractions.Fraction` on the decimals as printed,
never floats, so the verdict does not depend on binary rounding.

>>> sizes = resolve_sizes()
>>> table = parse_table("model,closed_qa,report,total\\nok,80.00,60.00,76.97\\nslip,80.00,60.00,70.00\\n", "t.csv")
>>> [row.flagged for row in check_table(table, sizes).rows]
[False, True]
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from fractions import Fraction

from spinefairbench.errors import SpineFairBenchError

TABLE_CHECK_SCHEMA = "spinebench-table-check-v1"
DEFAULT_N_MCQ = 487
DEFAULT_N_REPORT = 87
VALUE_COLUMNS = ("text", "image", "closed_qa", "report", "total")
MISSING_MARKS = ("", "-", "\u2014", "n/a")
OK, FLAGGED, NOT_CHECKED = "ok", "flagged", "not_checked"
SPLIT_UNKNOWN = "text/image split unknown"
_DECIMAL = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_HALF = Fraction(1, 2)


@dataclass(frozen=True)
class Cell:
    """A value cell as printed (stripped) and read: ``value`` is ``None`` when missing."""

    text: str
    value: Fraction | None
    decimals: int


@dataclass(frozen=True)
class TableRow:
    line: int
    model: str
    cells: dict[str, Cell]


@dataclass(frozen=True)
class Table:
    path: str
    columns: tuple[str, ...]  # recognised columns, in file order
    ignored_columns: tuple[str, ...]
    rows: tuple[TableRow, ...]


def read_cell(text: str, *, path: str, line: int, column: str) -> Cell:
    """Read one value cell exactly.

    >>> read_cell(" 76.97 ", path="t.csv", line=2, column="total")
    Cell(text='76.97', value=Fraction(7697, 100), decimals=2)
    >>> read_cell("N/A", path="t.csv", line=2, column="total").value is None
    True
    >>> read_cell("7e1", path="t.csv", line=2, column="total")
    Traceback (most recent call last):
      ...
    spinefairbench.errors.SpineFairBenchError: t.csv:2: total: expected a decimal number such as 76.97, got "7e1"
    """
    text = text.strip()
    if text.lower() in MISSING_MARKS:
        return Cell(text, None, 0)
    if not _DECIMAL.fullmatch(text):
        raise SpineFairBenchError(f'expected a decimal number such as 76.97, got "{text}"',
                                  path=path, line=line, field=column)
    decimals = len(text.partition(".")[2])
    return Cell(text, Fraction(text), decimals)


def parse_table(text: str, path: str) -> Table:
    """Parse the CSV text of a published table (§6.1)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    header_line = 0
    positions: dict[str, int] = {}
    ignored: list[str] = []
    rows: list[TableRow] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header, header_line = record, reader.line_num
                for index, name in enumerate(header):
                    key = name.strip().lower()
                    if key in positions:
                        raise SpineFairBenchError("repeated column", path=path, line=header_line, field=key)
                    if key == "model" or key in VALUE_COLUMNS:
                        positions[key] = index
                    else:
                        ignored.append(name.strip())
                if "model" not in positions:
                    raise SpineFairBenchError("missing required column", path=path, line=header_line,
                                              field="model")
                if sum(1 for key in positions if key in VALUE_COLUMNS) < 2:
                    raise SpineFairBenchError(f"expected at least two of the columns {', '.join(VALUE_COLUMNS)}",
                                              path=path, line=header_line)
                continue
            line = reader.line_num

            def cell(key: str) -> str:
                index = positions[key]
                return record[index] if index < len(record) else ""

            model = cell("model").strip()
            if not model:
                raise SpineFairBenchError("expected a non-blank model name", path=path, line=line, field="model")
            cells = {key: read_cell(cell(key), path=path, line=line, column=key)
                     for key in positions if key != "model"}
            rows.append(TableRow(line, model, cells))
    except csv.Error as error:
        raise SpineFairBenchError(f"invalid CSV ({error})", path=path, line=reader.line_num) from None
    if header is None:
        raise SpineFairBenchError("expected a header row", path=path)
    columns = tuple(sorted(positions, key=positions.__getitem__))
    return Table(path, columns, tuple(ignored), tuple(rows))


@dataclass(frozen=True)
class Sizes:
    n_mcq: int
    n_report: int
    n_text: int | None = None
    n_image: int | None = None

    @property
    def split_known(self) -> bool:
        return self.n_text is not None


def resolve_sizes(n_mcq: int | None = None, n_report: int | None = None, n_text: int | None = None,
                  n_image: int | None = None) -> Sizes:
    """Component sizes from the options (§6.2); defaults are the paper's 487 MCQs and 87 reports.

    >>> resolve_sizes(n_text=300, n_image=187)
    Sizes(n_mcq=487, n_report=87, n_text=300, n_image=187)
    >>> resolve_sizes(n_mcq=500, n_text=300, n_image=187)
    Traceback (most recent call last):
      ...
    spinefairbench.errors.SpineFairBenchError: --n-mcq: expected --n-text + --n-image = 487, got 500
    """
    for option, value in (("--n-mcq", n_mcq), ("--n-report", n_report), ("--n-text", n_text),
                          ("--n-image", n_image)):
        if value is not None and value < 1:
            raise SpineFairBenchError("expected a positive integer", field=option)
    if (n_text is None) != (n_image is None):
        raise SpineFairBenchError("--n-text and --n-image must be given together")
    if n_text is not None:
        split_total = n_text + n_image
        if n_mcq is not None and n_mcq != split_total:
            raise SpineFairBenchError(f"expected --n-text + --n-image = {split_total}, got {n_mcq}",
                                      field="--n-mcq")
        n_mcq = split_total
    return Sizes(DEFAULT_N_MCQ if n_mcq is None else n_mcq,
                 DEFAULT_N_REPORT if n_report is None else n_report, n_text, n_image)


@dataclass(frozen=True)
class Alternative:
    """The unweighted mean of the same inputs, tried for a flagged check."""

    recomputed: Fraction
    difference: Fraction
    tolerance: Fraction

    @property
    def reproduces(self) -> bool:
        return abs(self.difference) <= self.tolerance


@dataclass(frozen=True)
class Check:
    column: str
    inputs: tuple[tuple[str, Fraction | None], ...]
    reported: Cell | None
    status: str
    reason: str | None = None
    recomputed: Fraction | None = None
    difference: Fraction | None = None  # reported - recomputed
    tolerance: Fraction | None = None
    alternative: Alternative | None = None


@dataclass(frozen=True)
class RowCheck:
    line: int
    model: str
    checks: tuple[Check, ...]

    @property
    def flagged(self) -> bool:
        return any(check.status == FLAGGED for check in self.checks)


@dataclass(frozen=True)
class TableCheck:
    table: str
    sizes: Sizes
    columns: tuple[str, ...]
    ignored_columns: tuple[str, ...]
    rows: tuple[RowCheck, ...]
    warnings: tuple[str, ...]

    @property
    def flagged_models(self) -> list[str]:
        return [row.model for row in self.rows if row.flagged]


def rounding_tolerance(weights: list[Fraction], input_decimals: list[int], output_decimals: int) -> Fraction:
    """``sum_k w_k * 1/2 * 10^-d_k + 1/2 * 10^-d_out``.

    >>> rounding_tolerance([Fraction(487, 574), Fraction(87, 574)], [2, 2], 2)
    Fraction(1, 100)
    """
    tolerance = _HALF * Fraction(1, 10 ** output_decimals)
    for weight, decimals in zip(weights, input_decimals):
        tolerance += weight * _HALF * Fraction(1, 10 ** decimals)
    return tolerance


def _formula(column: str, row: TableRow, sizes: Sizes) -> tuple[tuple[str, ...], tuple[int, ...] | None]:
    """The inputs of a derived column and their sizes (``None`` when the split is unknown)."""
    split = (sizes.n_text, sizes.n_image) if sizes.split_known else None
    if column == "closed_qa":
        return ("text", "image"), split
    closed = row.cells.get("closed_qa")
    if closed is not None and closed.value is not None:
        return ("closed_qa", "report"), (sizes.n_mcq, sizes.n_report)
    return ("text", "image", "report"), None if split is None else (*split, sizes.n_report)


def _check(column: str, row: TableRow, sizes: Sizes) -> Check:
    names, weights_sizes = _formula(column, row, sizes)
    reported = row.cells[column]
    inputs = tuple((name, row.cells[name].value if name in row.cells else None) for name in names)
    if reported.value is None:
        return Check(column, inputs, reported, NOT_CHECKED, f"missing {column}")
    if weights_sizes is None:
        return Check(column, inputs, reported, NOT_CHECKED, SPLIT_UNKNOWN)
    for name, value in inputs:
        if value is None:
            return Check(column, inputs, reported, NOT_CHECKED, f"missing {name}")
    decimals = [row.cells[name].decimals for name in names]
    total_size = sum(weights_sizes)
    weights = [Fraction(size, total_size) for size in weights_sizes]
    recomputed = sum((weight * value for weight, (_, value) in zip(weights, inputs)), Fraction(0))
    difference = reported.value - recomputed
    tolerance = rounding_tolerance(weights, decimals, reported.decimals)
    if abs(difference) <= tolerance:
        return Check(column, inputs, reported, OK, None, recomputed, difference, tolerance)
    equal = [Fraction(1, len(names))] * len(names)
    mean = sum((value for _, value in inputs), Fraction(0)) / len(names)
    alternative = Alternative(mean, reported.value - mean, rounding_tolerance(equal, decimals, reported.decimals))
    return Check(column, inputs, reported, FLAGGED, None, recomputed, difference, tolerance, alternative)


def check_table(table: Table, sizes: Sizes) -> TableCheck:
    """Recompute every derived column of every row against the row's reported inputs (§6.2)."""
    # Closed-QA is a derived column only when the table also prints one of its
    # inputs; in a table without text/image columns it is itself an input.
    derives_closed_qa = "text" in table.columns or "image" in table.columns
    derived = [column for column in ("closed_qa", "total")
               if column in table.columns and (column == "total" or derives_closed_qa)]
    rows = tuple(RowCheck(row.line, row.model, tuple(_check(column, row, sizes) for column in derived))
                 for row in table.rows)
    ran = any(check.status != NOT_CHECKED for row in rows for check in row.checks)
    warnings = () if ran else ("no row could be checked",)
    return TableCheck(table.path, sizes, table.columns, table.ignored_columns, rows, warnings)


def _number(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def table_check_document(result: TableCheck) -> dict:
    """The ``spinebench-table-check-v1`` document (§7.3); rationals rounded to the nearest double."""
    def check_document(check: Check) -> dict:
        alternative = check.alternative
        return {
            "column": check.column, "formula": "weighted",
            "inputs": {name: _number(value) for name, value in check.inputs},
            "reported": _number(check.reported.value), "recomputed": _number(check.recomputed),
            "difference": _number(check.difference), "tolerance": _number(check.tolerance),
            "status": check.status, "reason": check.reason,
            "alternative": None if alternative is None else {
                "formula": "unweighted_mean", "recomputed": float(alternative.recomputed),
                "difference": float(alternative.difference), "tolerance": float(alternative.tolerance),
                "reproduces": alternative.reproduces},
        }

    sizes = result.sizes
    return {
        "schema_version": TABLE_CHECK_SCHEMA,
        "table": result.table,
        "sizes": {"n_mcq": sizes.n_mcq, "n_report": sizes.n_report, "n_text": sizes.n_text,
                  "n_image": sizes.n_image},
        "columns": list(result.columns),
        "ignored_columns": list(result.ignored_columns),
        "rows": [{"line": row.line, "model": row.model, "flagged": row.flagged,
                  "checks": [check_document(check) for check in row.checks]} for row in result.rows],
        "n_rows": len(result.rows),
        "n_flagged": len(result.flagged_models),
        "flagged_models": result.flagged_models,
        "warnings": list(result.warnings),
    }


def _row_line(row: RowCheck) -> str:
    flagged = [check for check in row.checks if check.status == FLAGGED]
    if flagged:
        clauses = []
        for check in flagged:
            verdict = "reproduces" if check.alternative.reproduces else "does not reproduce"
            clauses.append(f"FLAGGED {check.column} reported {check.reported.text} recomputed "
                           f"{float(check.recomputed):.4f} (tolerance {float(check.tolerance):.4f}); "
                           f"unweighted mean {float(check.alternative.recomputed):.4f} {verdict}")
        return f"{row.model}: " + "; ".join(clauses)
    if any(check.status == OK for check in row.checks):
        return f"{row.model}: ok"
    reason = row.checks[0].reason if row.checks else "no derived column"
    return f"{row.model}: not checked ({reason})"


def table_check_summary(result: TableCheck) -> list[str]:
    """One line per row, the flagged count, then any warning (§6.2)."""
    lines = [_row_line(row) for row in result.rows]
    lines.append(f"Flagged rows: {len(result.flagged_models)}/{len(result.rows)}")
    lines.extend(f"Warning: {warning}" for warning in result.warnings)
    return lines
