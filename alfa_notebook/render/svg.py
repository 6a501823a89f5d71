"""Charts as inline SVG: no JavaScript, no plotting library, readable in light and dark themes.

Drawn from a chart artifact's tidy frame (``series``, ``x``, ``y``; see
:func:`alfa_notebook.results.frames.chart_to_dataframe`): line charts as polylines over a time, numeric or
categorical x axis; bar charts as grouped bars; pie charts as horizontal share bars (easier to read
than slices). Axis text uses ``currentColor``, so it follows the theme; values on the axes read as
the table formatter writes them. Every string is escaped. Sanitisers that drop SVG (JupyterLab's,
for untrusted notebooks) leave the data table that the HTML renderer puts below the chart.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .safe import esc

if TYPE_CHECKING:
    import pandas as pd

WIDTH = 640
PLOT_HEIGHT = 220
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac")
LEGEND_ITEMS = 10
X_TICKS = 6  # at most this many labels under a line chart's x axis
FONT = 11
_TEXT = f'fill="currentColor" font-size="{FONT}"'
_AXIS = 'stroke="currentColor" stroke-opacity="0.4"'
_GRID = 'stroke="currentColor" stroke-opacity="0.12"'


def _rect(x: float, y: float, width: float, height: float, color: str, rx: int = 0) -> str:
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" rx="{rx}" fill="{color}"/>'


def _text(x: float, y: float, text: str, anchor: str = "start") -> str:
    """Escaped text in the theme's colour."""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {_TEXT}>{esc(text)}</text>'


def svg(frame: pd.DataFrame, title: str | None = None) -> str | None:
    """The chart as an ``<svg>`` element, or None when there is nothing to draw."""
    graph: Mapping[str, Any] = frame.attrs.get("alfa_graph") or {}
    metas: Mapping[str, Any] = frame.attrs.get("alfa_columns") or {}
    if len(frame) == 0 or not {"series", "x", "y"} <= set(frame.columns):
        return None
    from ..results.frames import format_column

    ys = [_number(v) for v in frame["y"]]
    if not any(math.isfinite(y) for y in ys):
        return None
    series = format_column(frame["series"], metas.get("series"))
    y_meta = metas.get("y") or {}

    def y_label(value: float) -> str:
        return format_column([value], y_meta)[0]

    graph_type = graph.get("graph_type")
    if graph_type == "pie":
        return _shares(format_column(frame["x"], metas.get("x")), ys, y_label, title)
    if graph_type == "bar":
        return _bars(format_column(frame["x"], metas.get("x")), series, ys, y_label, title)
    return _lines(frame["x"], format_column(frame["x"], metas.get("x")), series, ys, y_label, title)


def _number(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number if math.isfinite(number) else math.nan


def _positions(values: pd.Series, labels: list[str]) -> list[float]:
    """Where each x value sits on the axis: time and numbers by value, anything else in order."""
    import pandas as pd
    from pandas.api.types import is_datetime64_any_dtype, is_numeric_dtype

    if isinstance(values.dtype, pd.PeriodDtype):
        values = values.dt.to_timestamp()
    if is_datetime64_any_dtype(values.dtype):
        return [math.nan if pd.isna(v) else v.timestamp() for v in values]
    if is_numeric_dtype(values.dtype) and values.dtype != bool:
        return [_number(v) for v in values]
    order = {label: i for i, label in enumerate(dict.fromkeys(labels))}
    return [float(order[label]) for label in labels]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (1, 2, 2.5 or 5 times a power of ten apart)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0]
    if high == low:
        pad = abs(high) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first, last = math.floor(low / step), math.ceil(high / step)
    return [round(k * step, 12) for k in range(first, last + 1)]


class _Frame:
    """The plot area, its scales and the SVG parts around it."""

    def __init__(self, y_ticks: list[float], y_label: Any, legend: list[str], title: str | None):
        self.labels = [y_label(t) for t in y_ticks]
        self.left = min(12 + FONT * 0.62 * max(len(s) for s in self.labels), WIDTH * 0.35)
        self.right = WIDTH - 16
        self.legend, legend_height = _legend(legend, self.left)
        self.top = 12 + legend_height
        self.bottom = self.top + PLOT_HEIGHT
        self.height = self.bottom + 34
        self.y_low, self.y_high = y_ticks[0], y_ticks[-1]
        self.y_ticks = y_ticks
        self.title = title

    def y(self, value: float) -> float:
        span = (self.y_high - self.y_low) or 1.0
        return self.bottom - (value - self.y_low) / span * (self.bottom - self.top)

    def axes(self) -> list[str]:
        parts = []
        for tick, label in zip(self.y_ticks, self.labels):
            y = self.y(tick)
            parts.append(f'<line x1="{self.left:.1f}" x2="{self.right:.1f}" y1="{y:.1f}" y2="{y:.1f}" {_GRID}/>')
            parts.append(_text(self.left - 6, y + 4, label, "end"))
        parts.append(
            f'<line x1="{self.left:.1f}" x2="{self.left:.1f}" y1="{self.top:.1f}" y2="{self.bottom:.1f}" {_AXIS}/>'
        )
        parts.append(
            f'<line x1="{self.left:.1f}" x2="{self.right:.1f}" y1="{self.bottom:.1f}" y2="{self.bottom:.1f}" {_AXIS}/>'
        )
        return parts

    def x_label(self, x: float, text: str) -> str:
        """A label under the x axis, kept inside the drawing at both ends."""
        text = _short(text)
        anchor = _label_extent(x, text)[2]
        return _text(x, self.bottom + 16, text, anchor)

    def wrap(self, body: list[str]) -> str:
        return _svg(self.height, self.title, [*self.legend, *self.axes(), *body])


def _svg(height: float, title: str | None, parts: list[str]) -> str:
    label = f"<title>{esc(title)}</title>" if title else ""
    return (
        f'<svg class="alfa-chart-svg" xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" '
        f'height="{height:.0f}" viewBox="0 0 {WIDTH} {height:.0f}">{label}{"".join(parts)}</svg>'
    )


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _legend(names: list[str], left: float) -> tuple[list[str], float]:
    shown = names[:LEGEND_ITEMS]
    if len(names) > LEGEND_ITEMS:
        shown.append(f"+{len(names) - LEGEND_ITEMS} more")
    parts: list[str] = []
    x, y = left, 14.0
    for i, name in enumerate(shown):
        text = _short(name, 32)
        width = 22 + FONT * 0.62 * len(text) + 14
        if x + width > WIDTH - 16 and x > left:
            x, y = left, y + 18
        if i < LEGEND_ITEMS:
            color = PALETTE[i % len(PALETTE)]
            parts.append(_rect(x, y - 8, 14, 8, color, 2))
        parts.append(_text(x + 20, y, text))
        x += width
    return parts, (y + 10 if shown else 0)


def _lines(
    x_values: pd.Series, x_labels: list[str], series: list[str], ys: list[float], y_label: Any, title: str | None
) -> str:
    xs = _positions(x_values, x_labels)
    names = list(dict.fromkeys(series))
    finite = [y for y in ys if math.isfinite(y)]
    frame = _Frame(nice_ticks(min(finite), max(finite)), y_label, names, title)
    known = [x for x in xs if math.isfinite(x)]
    x_low, x_high = (min(known), max(known)) if known else (0.0, 1.0)
    span = (x_high - x_low) or 1.0
    pad = 8.0

    def px(x: float) -> float:
        return frame.left + pad + (x - x_low) / span * (frame.right - frame.left - 2 * pad)

    body: list[str] = []
    dots = len(ys) <= 60
    for i, name in enumerate(names):
        color = PALETTE[i % len(PALETTE)]
        points = sorted((x, y) for x, y, s in zip(xs, ys, series) if s == name and math.isfinite(x))
        for run in _runs(points):
            coords = " ".join(f"{px(x):.1f},{frame.y(y):.1f}" for x, y in run)
            body.append(
                f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2" stroke-linejoin="round"/>'
            )
            if dots:
                body += [f'<circle cx="{px(x):.1f}" cy="{frame.y(y):.1f}" r="2.5" fill="{color}"/>' for x, y in run]
    ticks = sorted({x: label for x, label in zip(xs, x_labels) if math.isfinite(x)}.items())
    for x, label in _even([(px(x), label) for x, label in ticks]):
        body.append(frame.x_label(x, label))
    return frame.wrap(body)


def _label_extent(x: float, text: str) -> tuple[float, float, str]:
    """(left, right, text-anchor) of an axis label centred on ``x`` unless that would leave the drawing."""
    width = FONT * 0.62 * len(text)
    if x + width / 2 > WIDTH - 2:
        return x - width, x, "end"
    if x - width / 2 < 2:
        return x, x + width, "start"
    return x - width / 2, x + width / 2, "middle"


def _even(ticks: list[tuple[float, str]], most: int = X_TICKS) -> list[tuple[float, str]]:
    """Every ``step``-th label from the first, the smallest step that shows at most ``most`` labels
    with none overlapping: labels an even number of points apart (monthly data: every 3 months)."""
    if len(ticks) <= 1:
        return ticks
    step = max(1, math.ceil((len(ticks) - 1) / (most - 1)))
    while step < len(ticks):
        chosen = ticks[::step]
        if all(_clear(a, b) for a, b in zip(chosen, chosen[1:])):
            return chosen
        step += 1
    return ticks[:1]


def _clear(a: tuple[float, str], b: tuple[float, str]) -> bool:
    return _label_extent(a[0], _short(a[1]))[1] + 8 <= _label_extent(b[0], _short(b[1]))[0]


def _runs(points: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """Consecutive points with a value: a missing value breaks the line."""
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in points:
        if math.isfinite(y):
            runs[-1].append((x, y))
        elif runs[-1]:
            runs.append([])
    return [r for r in runs if r]


def _bars(x_labels: list[str], series: list[str], ys: list[float], y_label: Any, title: str | None) -> str:
    groups = list(dict.fromkeys(x_labels))
    names = list(dict.fromkeys(series))
    finite = [y for y in ys if math.isfinite(y)]
    frame = _Frame(nice_ticks(min(0.0, *finite), max(0.0, *finite)), y_label, names, title)
    group_width = (frame.right - frame.left) / len(groups)
    bar_width = group_width * 0.8 / len(names)
    zero = frame.y(0.0)
    body: list[str] = []
    for x_label, name, y in zip(x_labels, series, ys):
        if not math.isfinite(y):
            continue
        g, s = groups.index(x_label), names.index(name)
        x = frame.left + g * group_width + group_width * 0.1 + s * bar_width
        top, bottom = sorted((frame.y(y), zero))
        color = PALETTE[s % len(PALETTE)]
        body.append(_rect(x, top, max(bar_width - 1, 1), max(bottom - top, 0.5), color))
    step = max(1, math.ceil(len(groups) / 12))
    for g in range(0, len(groups), step):
        body.append(frame.x_label(frame.left + (g + 0.5) * group_width, groups[g]))
    return frame.wrap(body)


def _shares(labels: list[str], values: list[float], y_label: Any, title: str | None) -> str:
    """A pie chart as one bar per slice, with its value and share of the total."""
    total = sum(v for v in values if math.isfinite(v) and v > 0) or 1.0
    label_width = min(12 + FONT * 0.62 * max(len(_short(s, 28)) for s in labels), WIDTH * 0.4)
    bar_left, bar_right = label_width, WIDTH - 150
    parts = []
    for i, (label, value) in enumerate(zip(labels, values)):
        y = 10 + i * 22
        share = value / total if math.isfinite(value) and value > 0 else 0.0
        color = PALETTE[i % len(PALETTE)]
        shown, percent = (y_label(value), f"{share:.1%}") if math.isfinite(value) else ("—", "")
        text = shown if shown in (percent, "—") else f"{shown} ({percent})"
        length = share * (bar_right - bar_left)
        parts.append(_text(label_width - 8, y + 12, _short(label, 28), "end"))
        parts.append(_rect(bar_left, y + 2, max(length, 0.5), 14, color, 2))
        parts.append(_text(bar_left + length + 6, y + 13, text))
    return _svg(20 + 22 * len(labels), title, parts)
