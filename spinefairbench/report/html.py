"""The self-contained HTML report: the verification of one bundle as reviewers read it.

:func:`render_report` turns the results of the reviewer checks (with their
facts), any number of score documents and a provenance record into one HTML
file: inline CSS, inline SVG, no script, no font or image fetched from
anywhere.  It contains the verification summary; Table 2 with 95% CIs and a
forest plot per endpoint; the stability-gap scatter; the per-edit heat-maps of
score files that carry ``secondary.per_edit``; the radiologist, Stage-1 gate
and mitigation tables; and a provenance footer.

The output is XHTML-compatible HTML5 -- every element closed, every text and
attribute escaped -- so ``xml.etree`` parses it, and it is deterministic: the
``generated`` line is the only part that depends on when it was made, and
the caller supplies it.

Every figure is an ``<svg role="img">`` with ``<title>`` and ``<desc>``,
followed by a text alternative that states the plotted numbers.  Colours come
from the Okabe-Ito palette and never carry meaning alone (markers differ in
shape; statuses are words).  Coordinates go through :func:`svg_number`, which
refuses non-finite values, and the plots drop non-finite data before scaling
(and say so), so ``nan`` can never reach an SVG attribute.

All functions here are pure: they take values and return strings.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

from spinefairbench.bundle.loaders import is_finite_number as is_finite
from spinefairbench.bundle.layout import EDIT_LABELS

#: The Okabe-Ito colour-blind-safe palette.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7",
}

#: SVG canvas width in CSS pixels: 180 mm, the width of an A4 page inside 15 mm margins.
FIGURE_WIDTH = 680

SECTIONS = (
    ("summary", "Verification summary"),
    ("table2", "Table 2: endpoints per retained model"),
    ("gap-sensitivity", "Stability-gap sensitivity"),
    ("per-edit", "Scored submissions and per-edit breakdown"),
    ("radiologist", "Radiologist validation"),
    ("stage1", "Stage-1 parse-confidence gate"),
    ("mitigation", "Mitigation (Table 3)"),
    ("provenance", "Provenance"),
)

#: Score-document endpoints: key, label, and the Okabe-Ito hue of their heat-map.
SCORE_ENDPOINTS = (
    ("recommendation_change_rate", "Recommendation change", OKABE_ITO["vermillion"]),
    ("diagnostic_label_consistency", "Diagnostic-label consistency", OKABE_ITO["blue"]),
)


# --------------------------------------------------------------------------
# Numbers and text


def number(value, digits: int = 3) -> str:
    """A value as printed in the tables: fixed decimals, or an em dash when there is none.

    >>> number(0.67171), number(None), number(float("inf")), number(12, 0)
    ('0.672', '—', '—', '12')
    """
    return f"{value:.{digits}f}" if is_finite(value) else "—"


def interval(ci) -> str:
    """A 95% CI as ``[lower, upper]``.

    >>> interval((0.6051, 0.7374)), interval(None)
    ('[0.605, 0.737]', '—')
    """
    if not ci or len(ci) != 2 or not all(is_finite(v) for v in ci):
        return "—"
    return f"[{number(ci[0])}, {number(ci[1])}]"


def svg_number(value: float) -> str:
    """A coordinate for an SVG attribute: two decimals, never ``nan`` or ``inf``.

    >>> svg_number(1 / 3), svg_number(-0.0), svg_number(120)
    ('0.33', '0', '120')
    >>> svg_number(float("nan"))
    Traceback (most recent call last):
    ...
    ValueError: non-finite SVG coordinate: nan
    """
    if not is_finite(value):
        raise ValueError(f"non-finite SVG coordinate: {value}")
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def tag(name: str, text: str = "", /, **attributes) -> str:
    """One element with escaped text and attributes (``class_`` for ``class``; ``None`` values left out).

    >>> tag("td", "a < b", class_="num", data_value=0.5)
    '<td class="num" data-value="0.5">a &lt; b</td>'
    >>> tag("th", "x", scope="col", colspan=None)
    '<th scope="col">x</th>'
    """
    return f"<{name}{attrs(attributes)}>{escape(text)}</{name}>"


def attrs(attributes: Mapping[str, object]) -> str:
    """Escaped attributes; a trailing ``_`` is dropped and ``_`` becomes ``-`` (``data_value``)."""
    parts = []
    for key, value in attributes.items():
        if value is None:
            continue
        name = key.rstrip("_").replace("_", "-")
        parts.append(f' {name}="{escape(str(value))}"')
    return "".join(parts)


def fit(label: str, characters: int) -> str:
    """A label cut to fit a figure's label area (the tables keep it whole).

    >>> fit("claude-sonnet-4-6", 24), fit("a-very-long-submission-model-name", 12)
    ('claude-sonnet-4-6', 'a-very-long…')
    """
    return label if len(label) <= characters else label[:characters - 1] + "…"


def pretty_edit(label: str) -> str:
    """``young_female`` -> ``young female``."""
    return label.replace("_", " ")


# --------------------------------------------------------------------------
# Tables


@dataclass(frozen=True)
class Cell:
    """A table cell: its text, an optional exact value (``data-value``) and CSS class."""

    text: str
    value: float | int | None = None
    css: str | None = None
    lower: float | None = None
    upper: float | None = None


def num_cell(value, digits: int = 3) -> Cell:
    """A right-aligned number whose exact value is kept in ``data-value`` for machines."""
    return Cell(number(value, digits), value if is_finite(value) else None, "num")


def ci_cell(ci) -> Cell:
    """A right-aligned CI whose exact bounds are kept in ``data-lower``/``data-upper``."""
    finite = bool(ci) and len(ci) == 2 and all(is_finite(v) for v in ci)
    return Cell(interval(ci), None, "num", ci[0] if finite else None, ci[1] if finite else None)


def html_table(caption: str, header: Sequence[str | Cell], rows: Iterable[Sequence[str | Cell]], *,
               table_id: str | None = None, row_headers: bool = True) -> str:
    """A table with a caption, column headers and (by default) row headers in the first column.

    It sits in a box that scrolls sideways on a screen too narrow for it (print never needs that).

    >>> print(html_table("Demo", ["model", Cell("rate", css="num")], [["m", num_cell(0.25)]]))
    <div class="table-scroll"><table><caption>Demo</caption>
    <thead><tr><th scope="col">model</th><th scope="col" class="num">rate</th></tr></thead>
    <tbody>
    <tr><th scope="row">m</th><td class="num" data-value="0.25">0.250</td></tr>
    </tbody></table></div>
    >>> "<tbody>\\n</tbody>" in html_table("Empty", ["a"], [])
    True
    """
    def cell(item: str | Cell, element: str, **extra) -> str:
        item = item if isinstance(item, Cell) else Cell(item)
        return tag(element, item.text, **extra, class_=item.css,
                   data_value=None if item.value is None else repr(item.value),
                   data_lower=None if item.lower is None else repr(item.lower),
                   data_upper=None if item.upper is None else repr(item.upper))

    lines = [f"<div class=\"table-scroll\"><table{attrs({'id': table_id})}>{tag('caption', caption)}",
             "<thead><tr>" + "".join(cell(h, "th", scope="col") for h in header) + "</tr></thead>", "<tbody>"]
    for row in rows:
        cells = [cell(item, "th", scope="row") if row_headers and i == 0 else cell(item, "td")
                 for i, item in enumerate(row)]
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</tbody></table></div>")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# SVG primitives: scale, ticks, axis, markers, figure frame


@dataclass(frozen=True)
class LinearScale:
    """Maps the data interval ``[low, high]`` onto the pixel interval ``[start, end]``.

    >>> LinearScale(0.0, 1.0, 100.0, 300.0)(0.25)
    150.0
    >>> LinearScale(0.5, 0.5, 100.0, 300.0)(0.5)  # a zero-width domain maps to the middle
    200.0
    """

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        if self.high == self.low:
            return (self.start + self.end) / 2
        return self.start + (value - self.low) / (self.high - self.low) * (self.end - self.start)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2, 2.5 or 5 times a power of ten) covering ``[low, high]``.

    >>> nice_ticks(0.605, 0.737)
    [0.6, 0.65, 0.7, 0.75]
    >>> nice_ticks(0.0, 1.0)
    [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    >>> nice_ticks(0.5, 0.5)  # zero width: widened so the axis still has a scale
    [0.48, 0.49, 0.5, 0.51, 0.52]
    >>> nice_ticks(0.0, 0.0)
    [-0.06, -0.04, -0.02, 0.0, 0.02, 0.04, 0.06]
    """
    if not (is_finite(low) and is_finite(high)):
        raise ValueError(f"non-finite axis bounds: {low}, {high}")
    low, high = min(low, high), max(low, high)
    if high - low < 1e-12:
        pad = abs(low) * 0.04 or 0.05
        low, high = low - pad, high + pad
    raw_step = (high - low) / count
    magnitude = 10.0 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * magnitude >= raw_step * (1 - 1e-9))
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    return [round(k * step, 10) + 0.0 for k in range(first, last + 1)]


def tick_label(value: float) -> str:
    """Shortest readable tick text.

    >>> tick_label(0.6000000001), tick_label(0.25), tick_label(-0.0)
    ('0.6', '0.25', '0')
    """
    text = f"{round(value, 8):g}"
    return "0" if text == "-0" else text


def svg_axis(scale: LinearScale, ticks: Sequence[float], *, orientation: str, at: float, label: str,
             grid_to: float | None = None) -> list[str]:
    """An axis line with ticks, tick labels and an axis label; optional light grid lines.

    ``orientation`` is ``"bottom"`` (a horizontal axis at ``y = at``) or
    ``"left"`` (a vertical axis at ``x = at``); ``grid_to`` is where grid lines end.

    >>> parts = svg_axis(LinearScale(0, 1, 50, 250), [0, 0.5, 1], orientation="bottom", at=100, label="rate")
    >>> parts[0]
    '<line class="axis" x1="50" y1="100" x2="250" y2="100"/>'
    >>> sum(p.startswith('<text') for p in parts)  # three tick labels and the axis label
    4
    """
    size = 11
    parts = []
    if orientation == "bottom":
        parts.append(svg_line(scale.start, at, scale.end, at, "axis"))
        for value in ticks:
            x = scale(value)
            if grid_to is not None:
                parts.append(svg_line(x, grid_to, x, at, "grid"))
            parts.append(svg_line(x, at, x, at + 5, "axis"))
            parts.append(svg_text(x, at + 7 + size, tick_label(value), anchor="middle", size=size))
        parts.append(svg_text((scale.start + scale.end) / 2, at + 24 + size, label, anchor="middle",
                              size=12, css="axis-label"))
    elif orientation == "left":
        parts.append(svg_line(at, scale.start, at, scale.end, "axis"))
        for value in ticks:
            y = scale(value)
            if grid_to is not None:
                parts.append(svg_line(at, y, grid_to, y, "grid"))
            parts.append(svg_line(at - 5, y, at, y, "axis"))
            parts.append(svg_text(at - 8, y + 4, tick_label(value), anchor="end", size=size))
        middle = (scale.start + scale.end) / 2
        parts.append(f'<text class="axis-label" x="{svg_number(at - 44)}" y="{svg_number(middle)}" '
                     f'font-size="12" text-anchor="middle" '
                     f'transform="rotate(-90 {svg_number(at - 44)} {svg_number(middle)})">{escape(label)}</text>')
    else:
        raise ValueError(f"unknown axis orientation: {orientation!r}")
    return parts


def svg_line(x1: float, y1: float, x2: float, y2: float, css: str, **extra) -> str:
    return (f'<line class="{css}" x1="{svg_number(x1)}" y1="{svg_number(y1)}" x2="{svg_number(x2)}" '
            f'y2="{svg_number(y2)}"{attrs(extra)}/>')


def svg_text(x: float, y: float, text: str, *, anchor: str = "start", size: int = 11, css: str | None = None,
             **extra) -> str:
    return (f'<text{attrs({"class": css})} x="{svg_number(x)}" y="{svg_number(y)}" font-size="{size}" '
            f'text-anchor="{anchor}"{attrs(extra)}>{escape(text)}</text>')


def svg_marker(shape: str, x: float, y: float, colour: str, size: float = 5.0) -> str:
    """A filled point marker; shapes differ so series stay apart without colour.

    >>> svg_marker("circle", 10, 20, "#0072B2")
    '<circle cx="10" cy="20" r="5" fill="#0072B2" stroke="#000000" stroke-width="0.6"/>'
    >>> svg_marker("triangle", 10, 20, "#D55E00", 4)
    '<path d="M10 15.2L14.16 22.4L5.84 22.4Z" fill="#D55E00" stroke="#000000" stroke-width="0.6"/>'
    """
    outline = f'fill="{colour}" stroke="#000000" stroke-width="0.6"'
    if shape == "circle":
        return f'<circle cx="{svg_number(x)}" cy="{svg_number(y)}" r="{svg_number(size)}" {outline}/>'
    if shape == "square":
        return (f'<rect x="{svg_number(x - size)}" y="{svg_number(y - size)}" width="{svg_number(2 * size)}" '
                f'height="{svg_number(2 * size)}" {outline}/>')
    if shape == "triangle":  # equilateral, centred on its centroid
        r = size * 1.2
        half = r * math.sqrt(3) / 2
        points = [(x, y - r), (x + half, y + r / 2), (x - half, y + r / 2)]
        return f'<path d="{svg_path(points)}Z" {outline}/>'
    raise ValueError(f"unknown marker shape: {shape!r}")


def svg_path(points: Sequence[tuple[float, float]]) -> str:
    return "".join(f"{'M' if i == 0 else 'L'}{svg_number(x)} {svg_number(y)}" for i, (x, y) in enumerate(points))


def svg_figure(figure_id: str, title: str, description: str, height: float, body: Sequence[str],
               width: float = FIGURE_WIDTH) -> str:
    """The ``<svg role="img">`` frame: title and description first, sized by its viewBox."""
    w, h = svg_number(width), svg_number(height)
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" aria-labelledby="{figure_id}-title {figure_id}-desc">',
        f'<title id="{figure_id}-title">{escape(title)}</title>',
        f'<desc id="{figure_id}-desc">{escape(description)}</desc>',
        *body, "</svg>"])


def figure(figure_id: str, svg: str, caption: str, alternative: str) -> str:
    """A figure, its caption, then its text alternative (HTML: a sentence or a table)."""
    return (f'<figure id="{escape(figure_id)}">\n{svg}\n{tag("figcaption", caption)}\n</figure>\n'
            f'<div class="text-alternative" id="{escape(figure_id)}-text">\n{alternative}\n</div>')


def count_figures(document: str) -> int:
    """How many SVG figures a rendered report holds.

    >>> count_figures('<svg class="chart" role="img"></svg><svg role="img"></svg>')
    2
    """
    return document.count('role="img"')


def finite_rows(rows, *fields: str):
    """Split rows into those whose named fields are all finite and the labels of the others.

    >>> finite_rows([ForestRow("a", 0.1, 0, 1), ForestRow("b", float("nan"), 0, 1)], "estimate", "low", "high")
    ([ForestRow(label='a', estimate=0.1, low=0, high=1)], ['b'])
    """
    kept, dropped = [], []
    for row in rows:
        (kept if all(is_finite(getattr(row, f)) for f in fields) else dropped).append(row)
    return kept, [row.label for row in dropped]


def not_plotted(labels: Sequence[str]) -> str:
    return f" Not plotted (no finite value): {', '.join(labels)}." if labels else ""


# --------------------------------------------------------------------------
# Forest plot


@dataclass(frozen=True)
class ForestRow:
    label: str
    estimate: float
    low: float
    high: float


def forest_plot(figure_id: str, title: str, rows: Sequence[ForestRow], axis_label: str) -> str:
    """Point and 95% CI per row (top to bottom as given), a dashed line at the median of the points.

    >>> svg = forest_plot("f", "Rates", [ForestRow("only", 0.5, 0.5, 0.5)], "rate")  # one row, zero-width CI
    >>> svg.count("<rect"), "nan" in svg, "median 0.500" in svg
    (2, False, True)
    >>> svg = forest_plot("f", "Rates", [ForestRow("a", 0.2, 0.1, 0.3), ForestRow("b", float("nan"), 0, 1)], "r")
    >>> "nan" in svg, "Not plotted (no finite value): b." in svg
    (False, True)
    """
    rows, dropped = finite_rows(rows, "estimate", "low", "high")
    left, right, top, row_height = 150.0, FIGURE_WIDTH - 160.0, 34.0, 24.0
    height = top + row_height * max(len(rows), 1) + 58.0
    bottom = top + row_height * max(len(rows), 1)
    body = []
    if not rows:
        body.append(svg_text(FIGURE_WIDTH / 2, top + 14, "No finite values to plot.", anchor="middle"))
        return svg_figure(figure_id, title, "No finite values to plot." + not_plotted(dropped), height, body)
    median = statistics.median(row.estimate for row in rows)
    ticks = nice_ticks(min(row.low for row in rows), max(row.high for row in rows))
    scale = LinearScale(ticks[0], ticks[-1], left, right)
    for i, row in enumerate(rows):
        y = top + row_height * (i + 0.5)
        if i % 2 == 0:  # zebra bands guide the eye from label to interval to numbers
            body.append(f'<rect class="band" x="0" y="{svg_number(y - row_height / 2)}" '
                        f'width="{FIGURE_WIDTH}" height="{svg_number(row_height)}"/>')
    body += svg_axis(scale, ticks, orientation="bottom", at=bottom, label=axis_label, grid_to=top)
    x_median = scale(median)
    body.append(svg_line(x_median, top - 6, x_median, bottom, "reference"))
    body.append(svg_text(x_median, top - 10, f"panel median {number(median)}", anchor="middle", size=11,
                         css="reference-label"))
    body.append(svg_text(FIGURE_WIDTH - 8, top - 10, "estimate [95% CI]", anchor="end", size=11, css="muted"))
    for i, row in enumerate(rows):
        y = top + row_height * (i + 0.5)
        x_low, x_high = scale(row.low), scale(row.high)
        body.append(svg_text(left - 12, y + 4, fit(row.label, 20), anchor="end", size=12))
        body.append(svg_line(x_low, y, x_high, y, "ci"))
        body += [svg_line(x, y - 5, x, y + 5, "ci") for x in (x_low, x_high)]
        body.append(svg_marker("square", scale(row.estimate), y, OKABE_ITO["blue"], 4.5))
        body.append(svg_text(FIGURE_WIDTH - 8, y + 4, f"{number(row.estimate)} {interval((row.low, row.high))}",
                             anchor="end", size=11, css="numbers"))
    description = (f"Forest plot of {len(rows)} models: point estimate and 95% confidence interval per model, "
                   f"dashed reference line at the panel median {number(median)}; axis from "
                   f"{tick_label(ticks[0])} to {tick_label(ticks[-1])}." + not_plotted(dropped))
    return svg_figure(figure_id, title, description, height, body)


def forest_sentence(name: str, rows: Sequence[ForestRow]) -> str:
    """The numbers of a forest plot as one sentence.

    >>> forest_sentence("Rate", [ForestRow("a", 0.2, 0.1, 0.3)])
    'Rate (estimate [95% CI]), top to bottom: a 0.200 [0.100, 0.300]. Panel median 0.200.'
    """
    kept, dropped = finite_rows(rows, "estimate", "low", "high")
    listing = "; ".join(f"{r.label} {number(r.estimate)} {interval((r.low, r.high))}" for r in kept)
    median = f" Panel median {number(statistics.median(r.estimate for r in kept))}." if kept else ""
    return f"{name} (estimate [95% CI]), top to bottom: {listing or 'none'}.{median}{not_plotted(dropped)}"


# --------------------------------------------------------------------------
# Scatter plot


@dataclass(frozen=True)
class Series:
    """One scatter series: legend name and detail line, marker shape and colour, ``(label, x, y)`` points."""

    name: str
    detail: str
    shape: str
    colour: str
    points: tuple[tuple[str, float, float], ...]


def scatter_plot(figure_id: str, title: str, series: Sequence[Series], x_label: str, y_label: str) -> str:
    """Points of several series on one square plot with a ``y = x`` line; points sharing a label are joined.

    Both axes share one domain so that the identity line is the diagonal.
    Each label is written once, in a column right of the plot, with a dotted
    leader line to its rightmost point; the legend is below the axis.

    >>> one = Series("exact", "x: exact", "circle", "#0072B2", (("m", 0.4, 0.4),))
    >>> svg = scatter_plot("s", "Gap", [one], "x", "y")  # a single point on the identity line
    >>> svg.count("<circle"), "nan" in svg
    (2, False)
    """
    kept = [Series(s.name, s.detail, s.shape, s.colour,
                   tuple(p for p in s.points if is_finite(p[1]) and is_finite(p[2]))) for s in series]
    dropped = sorted({p[0] for s in series for p in s.points} - {p[0] for s in kept for p in s.points})
    values = [v for s in kept for _, x, y in s.points for v in (x, y)]
    left, top, side = 64.0, 12.0, 440.0
    legend_y = top + side + 66
    height = legend_y + 40
    if not values:
        body = [svg_text(FIGURE_WIDTH / 2, 40, "No finite values to plot.", anchor="middle")]
        return svg_figure(figure_id, title, "No finite values to plot." + not_plotted(dropped), height, body)
    ticks = nice_ticks(min(values), max(values))
    x_scale = LinearScale(ticks[0], ticks[-1], left, left + side)
    y_scale = LinearScale(ticks[0], ticks[-1], top + side, top)
    body = [f'<rect class="plot-area" x="{svg_number(left)}" y="{svg_number(top)}" width="{svg_number(side)}" '
            f'height="{svg_number(side)}"/>']
    body += svg_axis(x_scale, ticks, orientation="bottom", at=top + side, label=x_label, grid_to=top)
    body += svg_axis(y_scale, ticks, orientation="left", at=left, label=y_label, grid_to=left + side)
    body.append(svg_line(x_scale(ticks[0]), y_scale(ticks[0]), x_scale(ticks[-1]), y_scale(ticks[-1]),
                         "identity"))
    by_label: dict[str, list[tuple[float, float]]] = {}
    for s in kept:
        for label, x, y in s.points:
            by_label.setdefault(label, []).append((x_scale(x), y_scale(y)))
    for points in by_label.values():
        if len(points) > 1:
            body.append(f'<path class="connector" d="{svg_path(sorted(points))}"/>')
    body += label_column(by_label, left + side + 10, top, top + side)
    for s in kept:
        body += [svg_marker(s.shape, x_scale(x), y_scale(y), s.colour) for _, x, y in s.points]
    x = left
    for s in kept:  # legend entries side by side under the x axis
        body.append(svg_marker(s.shape, x + 6, legend_y, s.colour))
        body.append(svg_text(x + 18, legend_y + 4, s.name, size=12, css="axis-label"))
        body.append(svg_text(x + 18, legend_y + 19, s.detail, size=11, css="muted"))
        x += 190
    body.append(svg_line(x, legend_y, x + 14, legend_y, "identity"))
    body.append(svg_text(x + 20, legend_y + 4, "y = x (gap 0)", size=12))
    description = (f"Scatter plot of {len(by_label)} models in {len(kept)} series "
                   f"({', '.join(f'{s.name}: {s.shape}s' for s in kept)}); x: {x_label}; y: {y_label}; "
                   f"both axes from {tick_label(ticks[0])} to {tick_label(ticks[-1])}; points above the "
                   f"y = x line have a positive gap." + not_plotted(dropped))
    return svg_figure(figure_id, title, description, height, body)


def spread(positions: Sequence[float], spacing: float, low: float, high: float) -> list[float]:
    """Move positions apart to at least ``spacing``, each crowded group centred on its members, within bounds.

    The result keeps the input order; ties keep their order too.

    >>> spread([10, 11, 12, 50], 10, 0, 100)
    [1.0, 11.0, 21.0, 50.0]
    >>> spread([5, 5], 10, 0, 100)  # pushed inside the lower bound
    [0.0, 10.0]
    >>> spread([], 10, 0, 100)
    []
    """
    order = sorted(range(len(positions)), key=lambda i: positions[i])
    groups: list[list[int]] = []  # runs of indices (in position order) laid out ``spacing`` apart
    starts: list[float] = []

    def start_of(members: list[int]) -> float:
        centre = statistics.fmean(positions[i] for i in members)
        return min(max(centre - spacing * (len(members) - 1) / 2, low), high - spacing * (len(members) - 1))

    for index in order:
        groups.append([index])
        starts.append(start_of([index]))
        while len(groups) > 1 and starts[-2] + spacing * len(groups[-2]) > starts[-1]:
            merged = groups[-2] + groups.pop()
            starts.pop()
            groups[-1], starts[-1] = merged, start_of(merged)
    placed = [0.0] * len(positions)
    for members, start in zip(groups, starts):
        for k, index in enumerate(members):
            placed[index] = float(start + spacing * k)
    return placed


def label_column(by_label: Mapping[str, list[tuple[float, float]]], x_text: float, top: float,
                 bottom: float) -> list[str]:
    """Labels in a column at ``x_text``, spread apart vertically, with leader lines to the rightmost points."""
    anchors = [(label, max(points)) for label, points in by_label.items()]
    heights = spread([point[1] for _, point in anchors], 13.0, top + 4, bottom - 4)
    parts = []
    for (label, (x, y)), y_text in zip(anchors, heights):
        parts.append(f'<path class="leader" d="{svg_path([(x + 6, y), (x_text - 12, y), (x_text - 3, y_text)])}"/>')
        parts.append(svg_text(x_text, y_text + 4, fit(label, 26), size=11, css="point-label"))
    return parts


# --------------------------------------------------------------------------
# Heat-map


def blend(colour: str, share: float) -> str:
    """``share`` of ``colour`` over white (0 -> white, 1 -> the colour).

    >>> blend("#0072B2", 0.0), blend("#0072B2", 1.0), blend("#0072B2", 0.5)
    ('#ffffff', '#0072b2', '#80b8d8')
    """
    share = min(max(share, 0.0), 1.0)
    channels = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(255 + (c - 255) * share):02x}" for c in channels)


def is_dark(colour: str) -> bool:
    """Whether white text reads better than black on ``colour`` (WCAG relative luminance).

    >>> is_dark("#0072b2"), is_dark("#ffffff")
    (True, False)
    """
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(int(colour[i:i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.18


def heat_map(figure_id: str, title: str, row_labels: Sequence[str], column_labels: Sequence[str],
             values: Sequence[Sequence[float | None]], colour: str, legend_label: str) -> str:
    """A grid of cells shaded from white (0) to ``colour`` (1), each printed with its value.

    Missing or non-finite values get a hatched cell marked "n/a".

    >>> svg = heat_map("h", "Per edit", ["m"], ["a", "b"], [[0.0, None]], "#0072B2", "rate")
    >>> svg.count('class="cell"'), svg.count(">n/a<"), "nan" in svg
    (1, 1, False)
    """
    left, top, cell_w, cell_h = 170.0, 40.0, 112.0, 30.0
    grid_bottom = top + cell_h * len(row_labels)
    legend_top = grid_bottom + 26
    height = legend_top + 58
    body = [f'<defs><pattern id="{figure_id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#f2f2f2"/>'
            f'<line x1="0" y1="0" x2="0" y2="6" stroke="#bbbbbb" stroke-width="2"/></pattern>'
            f'<linearGradient id="{figure_id}-ramp" x1="0" x2="1" y1="0" y2="0">'
            f'<stop offset="0" stop-color="#ffffff"/><stop offset="1" stop-color="{colour}"/>'
            f'</linearGradient></defs>']
    for j, label in enumerate(column_labels):
        body.append(svg_text(left + cell_w * (j + 0.5), top - 12, label, anchor="middle", size=12))
    for i, (label, row) in enumerate(zip(row_labels, values)):
        y = top + cell_h * i
        body.append(svg_text(left - 10, y + cell_h / 2 + 4, fit(label, 22), anchor="end", size=12))
        for j, value in enumerate(row):
            x = left + cell_w * j
            box = (f'x="{svg_number(x)}" y="{svg_number(y)}" width="{svg_number(cell_w)}" '
                   f'height="{svg_number(cell_h)}"')
            if is_finite(value):
                fill = blend(colour, value)
                body.append(f'<rect class="cell" {box} fill="{fill}"/>')
                body.append(svg_text(x + cell_w / 2, y + cell_h / 2 + 4, number(value), anchor="middle", size=12,
                                     fill="#ffffff" if is_dark(fill) else "#000000"))
            else:
                body.append(f'<rect class="cell-missing" {box} fill="url(#{figure_id}-hatch)"/>')
                body.append(svg_text(x + cell_w / 2, y + cell_h / 2 + 4, "n/a", anchor="middle", size=12))
    body.append(f'<rect class="grid-frame" x="{svg_number(left)}" y="{svg_number(top)}" '
                f'width="{svg_number(cell_w * len(column_labels))}" '
                f'height="{svg_number(cell_h * len(row_labels))}"/>')
    legend = LinearScale(0.0, 1.0, left, left + cell_w * len(column_labels))
    body.append(f'<rect x="{svg_number(legend.start)}" y="{svg_number(legend_top)}" '
                f'width="{svg_number(legend.end - legend.start)}" height="10" fill="url(#{figure_id}-ramp)" '
                f'stroke="#555555" stroke-width="0.5"/>')
    body += svg_axis(legend, nice_ticks(0.0, 1.0), orientation="bottom", at=legend_top + 10, label=legend_label)
    shown = sum(is_finite(v) for row in values for v in row)
    description = (f"Heat-map of {len(row_labels)} score file(s) by {len(column_labels)} edits; "
                   f"cell shade from white (0) to full colour (1), each cell printed with its value; "
                   f"{shown} cells with a value.")
    return svg_figure(figure_id, title, description, height, body)


# --------------------------------------------------------------------------
# Facts -> report sections


def results_by_name(results: Iterable) -> dict:
    return {result.name: result for result in results}


def unavailable(result, what: str) -> str:
    """A note that a section is empty or partial because its check did not pass."""
    if result is None:
        return tag("p", f"{what}: the check was not run.", class_="note")
    if result.status == "SKIP":
        return tag("p", f"{what}: check skipped ({result.key}).", class_="note")
    if result.status == "FAIL":
        return tag("p", f"{what}: the {result.name} check FAILED ({result.failure}); the values below are those "
                        f"computed before the failure.", class_="note")
    return ""


def section(section_id: str, body: Sequence[str], element: str = "section") -> str:
    """A titled section; empty parts (a note that was not needed) are left out."""
    title = dict(SECTIONS)[section_id]
    return "\n".join([f'<{element} id="{section_id}">', tag("h2", title), *filter(None, body), f"</{element}>"])


STATUS_MARK = {"PASS": "✓", "FAIL": "✗", "SKIP": "–"}


def summary_section(results: Sequence, bundle: str) -> str:
    rows = []
    for r in results:
        command = r.command.replace(bundle, "DIR") if bundle else r.command
        detail = r.failure if r.status == "FAIL" and r.failure else r.key
        rows.append([r.name, Cell(f"{STATUS_MARK.get(r.status, '')} {r.status}", css=f"status {r.status.lower()}"),
                     detail, Cell(command, css="command")])
    counts = {s: sum(r.status == s for r in results) for s in ("PASS", "FAIL", "SKIP")}
    verdict = ("ALL CHECKS PASSED" if not counts["FAIL"] else f"{counts['FAIL']} CHECK(S) FAILED")
    body = [f'<p class="verdict {"fail" if counts["FAIL"] else "pass"}">'
            f'{escape(verdict)}: {counts["PASS"]} passed, {counts["FAIL"]} failed, {counts["SKIP"]} skipped.</p>',
            html_table("Reviewer checks in the README's order (DIR is the bundle path given under Provenance).",
                       ["Check", "Result", "Detail", "Command"], rows, table_id="checks")]
    return section("summary", body)


def table2_rows(facts: Mapping) -> list[dict]:
    """Per model: the endpoints, their CIs (recomputed when available, else frozen) and the CI source."""
    rows = []
    for model, entry in facts.get("models", {}).items():
        frozen = entry.get("frozen", {})
        recomputed = entry.get("recomputed_ci95")
        source = recomputed if recomputed else {"recommendation_change": frozen.get("recommendation_change_ci95"),
                                                "diagnostic_consistency": frozen.get("diagnostic_consistency_ci95")}
        rows.append({"model": model, "usable": entry.get("usable_pairs"), "full": entry.get("full_refusal_pairs"),
                     "partial": entry.get("partial_refusal_pairs"), "changed": entry.get("changed_pairs"),
                     "rec": entry.get("recommendation_change"), "rec_ci": source.get("recommendation_change"),
                     "diag": entry.get("diagnostic_consistency"), "diag_ci": source.get("diagnostic_consistency"),
                     "ci_source": "recomputed" if recomputed else "frozen"})
    return rows


def forest_rows(rows: Sequence[dict], value: str, ci: str, *, descending: bool) -> list[ForestRow]:
    """Forest rows ordered most-affected first; rows without a usable CI keep NaN (dropped by the plot)."""
    out = []
    for row in rows:
        bounds = row[ci] if isinstance(row[ci], (list, tuple)) and len(row[ci]) == 2 else (math.nan, math.nan)
        estimate = row[value] if is_finite(row[value]) else math.nan
        out.append(ForestRow(row["model"], estimate, *bounds))
    return sorted(out, key=lambda r: (-r.estimate if descending else r.estimate, r.label)
                  if is_finite(r.estimate) else (math.inf, r.label))


def table2_section(result, bootstrap: Mapping) -> str:
    body = [unavailable(result, "Table 2")]
    rows = table2_rows(result.facts) if result is not None else []
    if not rows:
        return section("table2", body + [tag("p", "No Table 2 values are available.")])
    modes = sorted({row["ci_source"] for row in rows})
    mixed = len(modes) > 1  # only then does each row need to say where its CIs come from
    ci_text = ("95% CIs partly recomputed, partly frozen (see the last column)" if mixed
               else "95% CIs recomputed with the source-clustered bootstrap "
                    f"({bootstrap.get('iterations')} iterations, seed {bootstrap.get('seed')})"
               if modes == ["recomputed"] else "95% CIs read from the frozen summary (not recomputed)")
    header = ["Model", Cell("Usable pairs", css="num"), Cell("Full refusals excluded", css="num"),
              Cell("Partial refusals", css="num"), Cell("Changed pairs", css="num"), Cell("Rec. change", css="num"),
              Cell("95% CI", css="num"), Cell("Diag. consistency", css="num"), Cell("95% CI", css="num")]
    body.append(html_table(
        f"Table 2 for {len(rows)} retained models: recommendation (Rec.) change and diagnostic-label (Diag.) "
        f"consistency; {ci_text}.",
        header + (["CIs"] if mixed else []),
        [[row["model"], num_cell(row["usable"], 0), num_cell(row["full"], 0), num_cell(row["partial"], 0),
          num_cell(row["changed"], 0), num_cell(row["rec"]), ci_cell(row["rec_ci"]), num_cell(row["diag"]),
          ci_cell(row["diag_ci"])] + ([row["ci_source"]] if mixed else []) for row in rows],
        table_id="table2-values"))
    for figure_id, name, value, ci, descending, axis in (
            ("forest-recommendation-change", "Recommendation change", "rec", "rec_ci", True,
             "Recommendation change (share of usable pairs), 95% CI"),
            ("forest-diagnostic-consistency", "Diagnostic-label consistency", "diag", "diag_ci", False,
             "Diagnostic-label consistency (mean Jaccard), 95% CI")):
        ordered = forest_rows(rows, value, ci, descending=descending)
        order = "highest change first" if descending else "lowest consistency first"
        svg = forest_plot(figure_id, f"{name} per model with 95% CI", ordered, axis)
        body.append(figure(figure_id, svg, f"{name} per retained model ({order}); squares are point estimates, "
                                           f"whiskers 95% CIs, the dashed line the panel median.",
                           tag("p", forest_sentence(name, ordered), class_="alt")))
    return section("table2", body)


def gap_section(result) -> str:
    body = [unavailable(result, "Gap sensitivity")]
    models = result.facts.get("models", {}) if result is not None else {}
    if not models:
        return section("gap-sensitivity", body + [tag("p", "No gap-sensitivity values are available.")])
    exact = Series("gap_exact basis", "x: exact stability", "circle", OKABE_ITO["blue"],
                   tuple((m, v.get("rec_exact_stability"), v.get("diag_jaccard")) for m, v in models.items()))
    graded = Series("gap_graded basis", "x: recommendation Jaccard", "triangle", OKABE_ITO["vermillion"],
                    tuple((m, v.get("rec_jaccard"), v.get("diag_jaccard")) for m, v in models.items()))
    svg = scatter_plot("gap-scatter", "Diagnostic-label Jaccard against recommendation stability, per model",
                       [exact, graded], "Recommendation stability", "Diagnostic-label Jaccard")
    table = html_table(
        "Stability-gap sensitivity per model (gap = diagnostic Jaccard minus recommendation stability).",
        ["Model", Cell("Usable pairs", css="num"), Cell("Rec. change", css="num"),
         Cell("Rec. exact stability", css="num"), Cell("Rec. Jaccard", css="num"), Cell("Diag. Jaccard", css="num"),
         Cell("gap_exact", css="num"), Cell("gap_graded", css="num")],
        [[m, num_cell(v.get("usable_pairs"), 0), num_cell(v.get("rec_change")),
          num_cell(v.get("rec_exact_stability")), num_cell(v.get("rec_jaccard")), num_cell(v.get("diag_jaccard")),
          num_cell(v.get("gap_exact")), num_cell(v.get("gap_graded"))] for m, v in models.items()],
        table_id="gap-values")
    facts = result.facts
    sentence = (f"Median gap_exact {number(facts.get('median_gap_exact'))}, median gap_graded "
                f"{number(facts.get('median_gap_graded'))}; gap_graded is negative for "
                f"{facts.get('gap_graded_negative_models', '—')} of {facts.get('n_models', len(models))} models.")
    body.append(figure("gap-scatter", svg,
                       "Each model appears twice at the same height: a circle at its exact recommendation "
                       "stability (gap_exact basis) and a triangle at its recommendation Jaccard (gap_graded "
                       "basis), joined by a grey line. The vertical distance to the y = x line is the gap.",
                       tag("p", sentence, class_="alt") + "\n" + table))
    return section("gap-sensitivity", body)


@dataclass(frozen=True)
class EditValue:
    point: float | None
    ci: tuple[float, float] | None
    n_pairs: object


def per_edit_values(document: Mapping) -> dict[str, dict[str, EditValue]] | None:
    """``endpoint -> edit -> value`` from a score document's ``secondary.per_edit``; None when absent.

    Malformed entries become empty values rather than errors: the breakdown
    is secondary, and the primary endpoints are shown regardless.

    >>> per_edit_values({"primary_endpoints": {}}) is None
    True
    >>> doc = {"secondary": {"per_edit": {"endpoints": {"recommendation_change_rate": {"edits": {
    ...     "young_male": {"point_estimate": 0.5, "ci95": {"lower": 0.4, "upper": 0.6}, "n_pairs": 9},
    ...     "young_female": {"point_estimate": None, "ci95": None, "n_pairs": 0}}}}}}}
    >>> values = per_edit_values(doc)["recommendation_change_rate"]
    >>> values["young_male"], values["young_female"].point, values["elderly_male"].n_pairs
    (EditValue(point=0.5, ci=(0.4, 0.6), n_pairs=9), None, None)
    """
    secondary = document.get("secondary")
    per_edit = secondary.get("per_edit") if isinstance(secondary, dict) else None
    if not isinstance(per_edit, dict) or not isinstance(per_edit.get("endpoints"), dict):
        return None
    out = {}
    for endpoint, _, _ in SCORE_ENDPOINTS:
        entry = per_edit["endpoints"].get(endpoint)
        edits = entry.get("edits") if isinstance(entry, dict) else None
        edits = edits if isinstance(edits, dict) else {}
        out[endpoint] = {}
        for label in EDIT_LABELS:
            cell = edits.get(label) if isinstance(edits.get(label), dict) else {}
            ci = cell.get("ci95")
            bounds = (ci.get("lower"), ci.get("upper")) if isinstance(ci, dict) else None
            out[endpoint][label] = EditValue(cell.get("point_estimate") if is_finite(cell.get("point_estimate"))
                                             else None,
                                             bounds if bounds and all(is_finite(b) for b in bounds) else None,
                                             cell.get("n_pairs"))
    return out


def score_name(document: Mapping, display: str) -> str:
    model = document.get("model")
    name = model.get("name") if isinstance(model, dict) else None
    return str(name) if name else display


def endpoint_of(document: Mapping, endpoint: str) -> tuple[object, tuple | None, object]:
    entry = (document.get("primary_endpoints") or {}).get(endpoint) or {}
    ci = entry.get("ci95")
    return (entry.get("point_estimate"), (ci.get("lower"), ci.get("upper")) if isinstance(ci, dict) else None,
            entry.get("n_pairs"))


def scores_section(scores: Sequence[tuple[str, Mapping]]) -> str:
    if not scores:
        return section("per-edit", [tag("p", "No score files were given (spinefairbench report --score S.json "
                                             "adds a scored submission and its per-edit breakdown).")])
    rows = []
    for file_number, (display, document) in enumerate(scores, start=1):
        coverage = document.get("coverage") or {}
        rec, rec_ci, n_pairs = endpoint_of(document, "recommendation_change_rate")
        diag, diag_ci, _ = endpoint_of(document, "diagnostic_label_consistency")
        rows.append([score_name(document, display), num_cell(file_number, 0), str(document.get("scope", "—")),
                     num_cell(n_pairs, 0),
                     f"{coverage.get('submitted_pairs', '—')}/{coverage.get('expected_pairs', '—')}"
                     + ("" if coverage.get("coverage_complete", True) else " (partial)"),
                     num_cell(rec), ci_cell(rec_ci), num_cell(diag), ci_cell(diag_ci)])
    body = [html_table("Primary endpoints of each score file (95% CIs from the scorer's bootstrap; the file "
                       "number refers to Provenance).",
                       ["Model", Cell("File", css="num"), "Scope", Cell("Usable pairs", css="num"), "Coverage",
                        Cell("Rec. change", css="num"), Cell("95% CI", css="num"),
                        Cell("Diag. consistency", css="num"), Cell("95% CI", css="num")],
                       rows, table_id="score-values")]
    breakdowns = [(score_name(doc, display), per_edit_values(doc)) for display, doc in scores]
    with_edits = [(name, values) for name, values in breakdowns if values is not None]
    without = [name for name, values in breakdowns if values is None]
    if without:
        body.append(tag("p", f"No per-edit breakdown (secondary.per_edit) in: {', '.join(without)}; only their "
                             f"primary endpoints are shown.", class_="note"))
    if not with_edits:
        return section("per-edit", body)
    columns = [pretty_edit(label) for label in EDIT_LABELS]
    for endpoint, name, colour in SCORE_ENDPOINTS:
        figure_id = f"heatmap-{endpoint.replace('_', '-')}"
        grid = [[values[endpoint][label].point for label in EDIT_LABELS] for _, values in with_edits]
        svg = heat_map(figure_id, f"{name} by edit", [n for n, _ in with_edits], columns, grid, colour,
                       f"{name} (0 to 1)")
        table = html_table(
            f"{name} by edit: point estimate, 95% CI and usable pairs per score file.",
            ["Model", "Edit", Cell(name, css="num"), Cell("95% CI", css="num"), Cell("Usable pairs", css="num")],
            [[model, pretty_edit(label), num_cell(values[endpoint][label].point), ci_cell(values[endpoint][label].ci),
              num_cell(values[endpoint][label].n_pairs, 0)]
             for model, values in with_edits for label in EDIT_LABELS], table_id=f"{figure_id}-values")
        body.append(figure(figure_id, svg, f"{name} per edit (columns) and score file (rows); darker is higher; "
                                           f"hatched cells have no usable pair of that edit.", table))
    gaps = []
    for display, document in scores:
        endpoints = ((document.get("secondary") or {}).get("per_edit") or {}).get("endpoints") or {}
        for endpoint, name, _ in SCORE_ENDPOINTS:
            gap = (endpoints.get(endpoint) or {}).get("worst_minus_best_gap")
            if isinstance(gap, dict):
                ci = gap.get("ci95")
                gaps.append([score_name(document, display), name, pretty_edit(str(gap.get("worst_edit"))),
                             pretty_edit(str(gap.get("best_edit"))), num_cell(gap.get("worst_minus_best")),
                             ci_cell((ci.get("lower"), ci.get("upper")) if isinstance(ci, dict) else None)])
    if gaps:
        body.append(html_table("Worst-minus-best edit gap (edits chosen by their point estimates; the CI does "
                               "not account for that choice).",
                               ["Model", "Endpoint", "Worst edit", "Best edit", Cell("Gap", css="num"),
                                Cell("95% CI", css="num")], gaps, table_id="edit-gaps"))
    return section("per-edit", body)


def radiologist_section(result) -> str:
    body = [unavailable(result, "Radiologist validation")]
    f = result.facts if result is not None else {}
    if not f:
        return section("radiologist", body)
    share = (f["cannot_tell"] / f["detectability_rows"]
             if is_finite(f.get("cannot_tell")) and f.get("detectability_rows") else None)
    rows = [["Validated subset (pairs)", num_cell(f.get("validated"), 0), ""],
            ["Excluded pairs", num_cell(f.get("excluded"), 0), ""],
            ["2-of-3 majority pass", num_cell(f.get("majority_pass"), 0),
             f"of {f.get('voted_pairs', '—')} voted pairs"],
            ["Detectability responses", num_cell(f.get("detectability_rows"), 0), ""],
            ["'Cannot tell' responses", num_cell(f.get("cannot_tell"), 0),
             f"{number(share * 100 if share is not None else None, 1)}% of responses"],
            ["Per-reviewer display events", num_cell(f.get("per_reviewer_rows"), 0), ""],
            ["Hidden-repeat records", num_cell(f.get("hidden_repeat_rows"), 0), ""]]
    body.append(html_table("Radiologist validation, recomputed from the public files.",
                           ["Quantity", Cell("Count", css="num"), "Note"], rows, table_id="radiologist-values"))
    return section("radiologist", body)


def stage1_section(result, gate: Mapping | None) -> str:
    body = [unavailable(result, "Stage-1 gate")]
    models = result.facts.get("models", {}) if result is not None else {}
    if not models:
        return section("stage1", body)
    thresholds = (f" Decision: excluded_full below {number(gate.get('excluded_full_below'), 2)}, "
                  f"excluded_diag_only below {number(gate.get('excluded_diag_only_below'), 2)}, else included."
                  if gate else "")
    body.append(html_table(
        "Stage-1 parse-confidence gate, recomputed from the sampled Stage-1 outputs." + thresholds,
        ["Model", Cell("Passing samples", css="num"), Cell("Sample size", css="num"), Cell("Pass rate", css="num"),
         "Decision"],
        [[m, num_cell(v.get("pass_count"), 0), num_cell(v.get("sample_size"), 0), num_cell(v.get("rate")),
          str(v.get("decision"))] for m, v in models.items()], table_id="stage1-values"))
    return section("stage1", body)


def mitigation_section(result) -> str:
    body = [unavailable(result, "Mitigation")]
    facts = result.facts if result is not None else {}
    models = facts.get("models", {})
    if not models:
        return section("mitigation", body)
    rows = []
    for m, v in models.items():
        a, b = v.get("condition_a") or {}, v.get("condition_b") or {}
        rows.append([m, Cell(f"{v.get('stage1_pass_count')}/{v.get('sample_size')}", css="num"),
                     num_cell(v.get("stage1_rate")),
                     num_cell(a.get("rec_change")), num_cell(a.get("diag_consistency")),
                     num_cell(b.get("rec_change")), num_cell(b.get("diag_consistency")),
                     num_cell(v.get("delta_rec")), num_cell(v.get("delta_diag")), str(v.get("b_rule_pass"))])
    body.append(html_table(
        "Mitigation (Table 3): condition A (baseline) and condition B (mitigation prompt) per included model; "
        "Δ = B − A.",
        ["Model", Cell("Stage-1 pass", css="num"), Cell("Stage-1 rate", css="num"), Cell("A rec. change", css="num"),
         Cell("A diag. consistency", css="num"), Cell("B rec. change", css="num"),
         Cell("B diag. consistency", css="num"), Cell("Δ rec.", css="num"), Cell("Δ diag.", css="num"),
         "Binding rule pass"], rows, table_id="mitigation-values"))
    if facts.get("excluded_full"):
        body.append(tag("p", "Excluded in full by the Stage-1 gate: " + ", ".join(facts["excluded_full"]) + "."))
    return section("mitigation", body)


def provenance_section(provenance: Mapping, scores: Sequence[tuple[str, Mapping]], generated: str) -> str:
    profile = provenance.get("profile") or {}
    bootstrap = provenance.get("bootstrap") or {}
    rows = [["Tool version", f"spinefairbench {provenance.get('tool_version', '—')}"],
            ["Bundle", Cell(str(provenance.get("bundle", "—")), css="path")],
            ["Release profile", f"{profile.get('name', '—')} ({profile.get('origin', '—')})"],
            ["Release profile file", Cell(str(profile.get("path", "—")), css="path")],
            ["Release profile SHA-256", Cell(str(profile.get("sha256", "—")), css="hash")],
            ["Table 2 bootstrap", f"{bootstrap.get('ci_mode', '—')} CIs; iterations {bootstrap.get('iterations')}, "
                                  f"seed {bootstrap.get('seed')}"]]
    hashes = dict(provenance.get("score_files_sha256") or {})
    for number_, (display, document) in enumerate(scores, start=1):
        config = document.get("scoring_config") or {}
        rows.append([f"Score file {number_}", Cell(display, css="path")])
        rows.append([f"Score file {number_} SHA-256", Cell(str(hashes.get(display, "—")), css="hash")])
        rows.append([f"Score file {number_} bootstrap", f"iterations {config.get('bootstrap_iterations', '—')}, "
                                                      f"seed {config.get('bootstrap_seed', '—')}"])
    rows.append(["Command", Cell(str(provenance.get("command", "—")), css="command")])
    body = [html_table("Provenance of this report.", ["Item", "Value"], rows, table_id="provenance-values"),
            tag("p", f"Generated: {generated}", id="generated")]
    return section("provenance", body, element="footer")


# --------------------------------------------------------------------------
# The document

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #1a1a1a; background: #ffffff; margin: 0 auto; padding: 1.5rem; max-width: 62rem; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .6rem; padding-bottom: .2rem; border-bottom: 2px solid #0072B2; }
.subtitle { color: #444444; margin: 0 0 1rem; overflow-wrap: anywhere; }
nav ol { columns: 2; margin: .5rem 0 1rem; padding-left: 1.4rem; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0 1rem; font-size: .82rem;
        font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: .35rem; }
th, td { border-bottom: 1px solid #d4d4d4; padding: .28rem .4rem; text-align: left; vertical-align: top; }
thead th { background: #eef3f7; border-bottom: 2px solid #555555; vertical-align: bottom; }
tbody tr:nth-child(even) { background: #f8f8f8; }
tbody th { font-weight: 600; white-space: nowrap; }
.num { text-align: right; }
td.num { white-space: nowrap; }
.path, .hash, .command { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
                         font-size: .76rem; overflow-wrap: anywhere; word-break: break-all; }
.status { font-weight: 700; white-space: nowrap; }
.status.pass { background: #d5f0e6; }
.status.fail { background: #f9dcc8; }
.status.skip { background: #ececec; }
.verdict { font-weight: 700; padding: .5rem .75rem; border-left: 6px solid; }
.verdict.pass { border-color: #009E73; background: #e9f7f2; }
.verdict.fail { border-color: #D55E00; background: #fcebe0; }
.note { border-left: 4px solid #E69F00; background: #fff7e6; padding: .4rem .6rem; }
figure { margin: 1rem 0 .3rem; }
figcaption { font-size: .82rem; color: #333333; margin-top: .3rem; }
.text-alternative { font-size: .82rem; }
.text-alternative p { margin: .2rem 0 .6rem; }
svg.chart { display: block; max-width: 100%; height: auto; font-family: inherit; }
svg .axis { stroke: #333333; stroke-width: 1; }
svg .grid { stroke: #e3e3e3; stroke-width: 1; }
svg .band { fill: #f4f6f8; }
svg .ci { stroke: #0072B2; stroke-width: 2; }
svg .reference { stroke: #D55E00; stroke-width: 1.5; stroke-dasharray: 5 4; }
svg .identity { stroke: #555555; stroke-width: 1.2; stroke-dasharray: 6 4; }
svg .connector { stroke: #8a8a8a; stroke-width: 1.2; fill: none; }
svg .leader { stroke: #b0b0b0; stroke-width: 0.8; stroke-dasharray: 2 2; fill: none; }
svg .plot-area { fill: #ffffff; stroke: #cccccc; }
svg .grid-frame { fill: none; stroke: #555555; stroke-width: 1; }
svg .cell { stroke: #ffffff; stroke-width: 1; }
svg .cell-missing { stroke: #ffffff; stroke-width: 1; }
svg text { fill: #1a1a1a; }
svg .muted, svg .point-label { fill: #444444; }
svg .reference-label { fill: #A04400; }
svg .axis-label { font-weight: 600; }
footer { margin-top: 2rem; }
#generated { color: #555555; font-size: .82rem; }
#checks td { overflow-wrap: anywhere; }
.table-scroll { max-width: 100%; overflow-x: auto; }
@media screen and (max-width: 52rem) {
  body { padding: .75rem; }
  table { font-size: .72rem; }
  th, td { padding: .22rem .25rem; }
}
@page { size: A4; margin: 15mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 9.5pt; }
  nav { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  figure, table, .text-alternative p, .verdict { break-inside: avoid; page-break-inside: avoid; }
  table { font-size: 7.5pt; }
  th, td { padding: .16rem .28rem; }
  .path, .hash, .command { font-size: 7pt; }
  .table-scroll { overflow: visible; }
  section, footer { max-width: 100%; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  a { color: inherit; text-decoration: none; }
}
"""


def render_report(results: Sequence, scores: Sequence[tuple[str, Mapping]], provenance: Mapping,
                  generated: str) -> str:
    """The complete HTML document.

    ``results`` are suite :class:`~spinefairbench.commands.suite.CheckResult`
    objects (with ``facts``); ``scores`` are ``(display path, score document)``
    pairs; ``provenance`` holds ``tool_version``, ``bundle``, ``profile``
    (name, origin, path, sha256), ``score_files_sha256`` (display -> digest),
    ``bootstrap`` (iterations, seed, ci_mode), ``command`` and, optionally,
    ``stage1_gate`` (the profile's thresholds).  ``generated`` is printed as is.

    >>> page = render_report([], [], {"tool_version": "0.0"}, "now")
    >>> page.startswith("<!DOCTYPE html>"), 'id="provenance"' in page, count_figures(page)
    (True, True, 0)
    """
    by_name = results_by_name(results)
    bundle = str(provenance.get("bundle", ""))
    profile = provenance.get("profile") or {}
    table2 = by_name.get("table2")
    failed = sum(r.status == "FAIL" for r in results)
    nav = "\n".join(f'<li><a href="#{sid}">{escape(title)}</a></li>' for sid, title in SECTIONS)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8"/>',
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>',
        "<title>SpineFairBench verification report</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        tag("h1", "SpineFairBench verification report"),
        tag("p", f"Bundle {bundle or '—'} judged by release profile {profile.get('name', '—')} "
                 f"({profile.get('origin', '—')}); {len(results)} checks, {failed} failed.", class_="subtitle"),
        f'<nav aria-label="Sections"><ol>\n{nav}\n</ol></nav>',
        "</header>",
        "<main>",
        summary_section(results, bundle),
        table2_section(table2, provenance.get("bootstrap") or {}),
        gap_section(by_name.get("gap-sensitivity")),
        scores_section(scores),
        radiologist_section(by_name.get("radiologist")),
        stage1_section(by_name.get("stage1-confidence"), provenance.get("stage1_gate")),
        mitigation_section(by_name.get("mitigation")),
        "</main>",
        provenance_section(provenance, scores, generated),
        "</body>",
        "</html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"
