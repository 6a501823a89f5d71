"""Tables for display: prepared once from a DataFrame (capped, formatted), written three ways.

Values read as :func:`alfa_notebook.frames.format_frame` says (``25.0%``, ``$1,234.50``,
``2024Q2``, ``—`` for missing); numeric columns are right-aligned; only the first ``limit`` rows
are formatted and shown, and a footer says "n of m rows". The data itself is never cut.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .safe import esc, md_text, plain

if TYPE_CHECKING:
    import pandas as pd

NUMERIC_TYPES = frozenset({
    "integer", "integer_with_unit", "float", "float_with_unit", "currency", "delta", "percent",
    "pct_delta", "score",
})  # fmt: skip
# Values that read badly broken over lines: kept on one line (the table scrolls instead).
ONE_LINE_TYPES = NUMERIC_TYPES | {"date", "datetime", "quarter", "month", "year", "stock", "boolean"}
TEXT_CELL_WIDTH = 40  # plain-text tables cut longer cells with "…" so rows stay readable


@dataclass(frozen=True)
class TableView:
    labels: list[str]
    rows: list[list[str]]  # display texts, at most ``limit`` rows
    numeric: list[bool]
    total: int  # rows in the data
    title: str | None = None
    hint: str | None = None  # where the full data is, e.g. ".tables[0]" (ours, not the service's)
    one_line: list[bool] | None = None  # columns whose values are never wrapped (dates, numbers, ...)

    @property
    def capped(self) -> bool:
        return len(self.rows) < self.total

    @property
    def count_note(self) -> str | None:
        """ "20 of 41 rows" when capped, else None."""
        return f"{len(self.rows):,} of {self.total:,} rows" if self.capped else None


def table_view(frame: pd.DataFrame, limit: int, *, title: str | None = None, hint: str | None = None) -> TableView:
    """Format the first ``limit`` rows of ``frame`` for display."""
    from ..frames import format_frame

    head = frame.head(max(limit, 0))
    shown = format_frame(head)
    metas: Mapping[str, Any] = frame.attrs.get("alfa_columns") or {}
    labels = [str(label) for label in frame.columns]
    numeric = [_is_numeric(metas.get(label), frame.dtypes.iloc[j]) for j, label in enumerate(frame.columns)]
    one_line = [num or _col_type(metas.get(label)) in ONE_LINE_TYPES for num, label in zip(numeric, frame.columns)]
    rows = [[str(cell) for cell in row] for row in shown.itertuples(index=False, name=None)]
    return TableView(labels, rows, numeric, len(frame), title, hint, one_line)


def _col_type(meta: Mapping[str, Any] | None) -> str | None:
    col_type = meta.get("col_type") if isinstance(meta, Mapping) else None
    return col_type.strip().lower() if isinstance(col_type, str) else None


def _is_numeric(meta: Mapping[str, Any] | None, dtype: Any) -> bool:
    col_type = _col_type(meta)
    if col_type is not None:
        return col_type in NUMERIC_TYPES
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    return is_numeric_dtype(dtype) and not is_bool_dtype(dtype)


def to_html(view: TableView, *, caption: bool = True) -> str:
    """A ``<table>`` with the title as caption and "n of m rows" below; all text escaped."""

    def cell(tag: str, text: str, numeric: bool, one_line: bool) -> str:
        classes = " ".join(c for c, on in (("alfa-num", numeric), ("alfa-nowrap", one_line)) if on)
        attrs = (f' class="{classes}"' if classes else "") + (' align="right"' if numeric else "")
        return f"<{tag}{attrs}>{esc(text)}</{tag}>"

    one_line = view.one_line or view.numeric
    columns = list(zip(view.numeric, one_line))
    head = "".join(cell("th", label, num, False) for label, (num, _) in zip(view.labels, columns))
    body = "".join(
        "<tr>" + "".join(cell("td", text, num, nowrap) for text, (num, nowrap) in zip(row, columns)) + "</tr>"
        for row in view.rows
    )
    parts = ['<div class="alfa-table-wrap"><table class="alfa-table">']
    if caption and view.title:
        parts.append(f"<caption>{esc(view.title)}</caption>")
    parts.append(f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    notes = _notes(view, "<code>{}</code>")
    if notes:
        parts.append(f'<p class="alfa-table-note"><small>{notes}</small></p>')
    parts.append("</div>")
    return "".join(parts)


def _notes(view: TableView, code: str = "{}") -> str:
    """ "20 of 41 rows · all rows in .tables[0]" (the hint written with ``code``), or ""."""
    if not view.capped:
        return ""
    hint = f" · all rows in {code.format(view.hint)}" if view.hint else ""
    return f"{view.count_note}{hint}"


def to_markdown(view: TableView) -> str:
    """A Markdown (GFM) table, cells escaped so none is read as markup, and the row count."""
    if not view.labels:
        return ""
    lines = []
    if view.title:
        lines.append(f"**{md_text(view.title)}**\n")
    lines.append("| " + " | ".join(md_text(label) or " " for label in view.labels) + " |")
    lines.append("|" + "|".join("---:" if num else "---" for num in view.numeric) + "|")
    lines += ["| " + " | ".join(md_text(text) for text in row) + " |" for row in view.rows]
    notes = _notes(view, "`{}`")
    if notes:
        lines.append(f"\n_{notes}_")
    return "\n".join(lines)


def to_text(view: TableView) -> str:
    """An aligned plain-text table, cells cut at TEXT_CELL_WIDTH, and the row count."""

    def clip(text: str) -> str:
        text = plain(" ".join(text.split()))
        return text if len(text) <= TEXT_CELL_WIDTH else text[: TEXT_CELL_WIDTH - 1] + "…"

    header = [clip(label) for label in view.labels]
    rows = [[clip(text) for text in row] for row in view.rows]
    widths = [max([len(h), *(len(r[j]) for r in rows)]) for j, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, view.numeric)).rstrip()

    lines = []
    if view.title:
        lines.append(plain(view.title))
    lines += [line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]
    notes = _notes(view)
    if notes:
        lines.append(notes)
    return "\n".join(lines)
