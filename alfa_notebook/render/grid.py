"""Tables for display: prepared once from a DataFrame (capped, formatted), written three ways.

Values read as :func:`alfa_notebook.results.frames.format_column` says (``25.0%``, ``1,234.50``,
``2024Q2``, ``—`` for missing), as an analyst reads a table: a column's unit once in its header
("Market cap (USD bn)"), changes and returns signed (``+3.1%``), levels not (``45.0%``). Numeric
columns are right-aligned; only the first ``limit`` rows are formatted and shown, and a note says
"n of m rows" and what to type to see the rest. The data itself is never cut. A table's citations
(its own, a column's, a cell's) show as ``[n]`` after the title, the header or the cell.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
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
# Types whose values carry the column's unit: it goes once into the header instead.
UNIT_TYPES = frozenset({"integer", "integer_with_unit", "float", "float_with_unit", "currency", "delta"})
SIGNED_TYPES = frozenset({"delta", "pct_delta"})
SIGNABLE_TYPES = frozenset({"percent", "float", "float_with_unit", "integer", "integer_with_unit", "currency"})
CHANGE_WORDS = re.compile(
    r"\b(returns?|change|chg|growth|yoy|qoq|mom|wow|delta|surprise|revision|upside|downside)\b", re.I
)
"""In the name of a percent or a number, words that make it a change (signed), not a level."""
TEXT_CELL_WIDTH = 40  # plain-text tables cut longer cells with "…" so rows stay readable


Marks = tuple[int, ...]  # source numbers shown as [n] after a title, a header or a cell


@dataclass(frozen=True)
class TableView:
    labels: list[str]
    rows: list[list[str]]  # display texts, at most ``limit`` rows
    numeric: list[bool]
    total: int  # rows in the data
    title: str | None = None
    hint: str | None = None  # where the full data is, e.g. "_alfa.tables[0]" (ours, plain characters)
    one_line: list[bool] | None = None  # columns whose values are never wrapped (dates, numbers, ...)
    title_marks: Marks = ()  # the table's own citations
    header_marks: list[Marks] | None = None  # column-level citations, per column
    cell_marks: Mapping[tuple[int, int], Marks] | None = None  # cell-level ones, by (row, column)

    @property
    def capped(self) -> bool:
        return len(self.rows) < self.total

    @property
    def count_note(self) -> str | None:
        """ "20 of 41 rows" when capped, else None."""
        return f"{len(self.rows):,} of {self.total:,} rows" if self.capped else None

    def header_mark(self, j: int) -> Marks:
        return self.header_marks[j] if self.header_marks else ()

    def cell_mark(self, i: int, j: int) -> Marks:
        return self.cell_marks.get((i, j), ()) if self.cell_marks else ()


Numbering = Callable[[str, Any], "int | None"]
"""``number(citation_id, citation)``: the source number of a table's citation (the answer's own
number when the text cites it too, else a new one), or None when it cannot be shown."""


def table_view(
    frame: pd.DataFrame,
    limit: int,
    *,
    title: str | None = None,
    hint: str | None = None,
    names: Mapping[str, str] | None = None,
    number: Numbering | None = None,
) -> TableView:
    """Format the first ``limit`` rows of ``frame`` for display, as an analyst reads a table: the
    unit once in the header, changes and returns signed, levels not. ``names`` renames columns
    (a chart's ``series``, ``x``, ``y``); ``number`` numbers the table's citations as sources."""
    from ..results.frames import format_column

    head = frame.head(max(limit, 0))
    metas: Mapping[str, Any] = frame.attrs.get("alfa_columns") or {}
    labels, columns, numeric, one_line = [], [], [], []
    for j, label in enumerate(frame.columns):
        meta = metas.get(label) if isinstance(metas.get(label), Mapping) else None
        shown_label, unit_in_header = _header(str((names or {}).get(label, label)), meta)
        col_type = _col_type(meta)
        texts = format_column(head.iloc[:, j], {**meta, "unit": None} if unit_in_header and meta else meta)
        if _signed(shown_label, col_type):
            texts = [_plus(text, value) for text, value in zip(texts, head.iloc[:, j])]
        labels.append(shown_label)
        columns.append(texts)
        is_numeric = _is_numeric(meta, frame.dtypes.iloc[j])
        numeric.append(is_numeric)
        one_line.append(is_numeric or col_type in ONE_LINE_TYPES)
    rows = [list(row) for row in zip(*columns)] if columns else [[] for _ in range(len(head))]
    view = TableView(labels, rows, numeric, len(frame), title, hint, one_line)
    return _with_marks(view, frame, head, number) if number is not None else view


def _header(label: str, meta: Mapping[str, Any] | None) -> tuple[str, bool]:
    """The column's header, with its unit when the cells would otherwise repeat it."""
    unit = meta.get("unit") if meta else None
    if not isinstance(unit, str) or not unit.strip() or _col_type(meta) not in UNIT_TYPES:
        return label, False
    if unit.strip().lower() in label.lower():  # "Employees", unit "employees": said already
        return label, True
    return f"{label} ({unit.strip()})", True


def _signed(label: str, col_type: str | None) -> bool:
    """Changes and returns read signed (``+3.1%``), levels do not (``45.0%``): one convention."""
    return col_type in SIGNED_TYPES or (col_type in SIGNABLE_TYPES and CHANGE_WORDS.search(label) is not None)


def _plus(text: str, value: Any) -> str:
    try:
        positive = float(value) > 0
    except (TypeError, ValueError):
        return text
    return f"+{text}" if positive and not text.startswith("+") else text


def _with_marks(view: TableView, frame: pd.DataFrame, head: pd.DataFrame, number: Numbering) -> TableView:
    """Source numbers for the table's citations: on the header of a column that cites one, after
    a cell that cites one, after the title for the rest of the table's own."""
    pool: Mapping[str, Any] = frame.attrs.get("alfa_citations") or {}
    metas: Mapping[str, Any] = frame.attrs.get("alfa_columns") or {}

    def marks(ids: Any) -> Marks:
        found = [number(str(i), pool[str(i)]) for i in (ids or ()) if str(i) in pool]
        return tuple(sorted({n for n in found if n is not None}))

    column_ids = [_meta_of(metas, label).get("citation_ids") or () for label in frame.columns]
    row_ids = [_rows_of(_meta_of(metas, label).get("row_citation_ids")) for label in frame.columns]
    referenced = {str(i) for ids in column_ids for i in ids} | {
        str(i) for rows in row_ids for ids in rows.values() for i in ids
    }
    title_marks = marks([i for i in pool if i not in referenced])
    header_marks = [marks(ids) for ids in column_ids]
    cells: dict[tuple[int, int], Marks] = {}
    for i, row in enumerate(head.index):
        for j, rows in enumerate(row_ids):
            found = marks(rows.get(str(row)))
            if found:
                cells[(i, j)] = found
    for rows in row_ids:  # cells past the cap: their sources still get a card
        for ids in rows.values():
            marks(ids)
    return replace(view, title_marks=title_marks, header_marks=header_marks, cell_marks=cells)


def _meta_of(metas: Mapping[str, Any], label: Any) -> Mapping[str, Any]:
    meta = metas.get(label)
    return meta if isinstance(meta, Mapping) else {}


def _rows_of(value: Any) -> dict[str, Any]:
    """``row_citation_ids`` by row label as text (JSON-safe attrs may key rows by text)."""
    return {str(row): ids for row, ids in value.items()} if isinstance(value, Mapping) else {}


def _col_type(meta: Mapping[str, Any] | None) -> str | None:
    col_type = meta.get("col_type") if isinstance(meta, Mapping) else None
    return col_type.strip().lower() if isinstance(col_type, str) else None


def _is_numeric(meta: Mapping[str, Any] | None, dtype: Any) -> bool:
    col_type = _col_type(meta)
    if col_type is not None:
        return col_type in NUMERIC_TYPES
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    return is_numeric_dtype(dtype) and not is_bool_dtype(dtype)


def to_html(view: TableView, *, caption: bool = True, cite: Callable[[int], str] | None = None) -> str:
    """A ``<table>`` with the title as caption and "n of m rows" below; all text escaped.
    ``cite(n)`` writes the marker of source ``n`` (none are written without it)."""

    def marks(numbers: Marks) -> str:
        return "".join(cite(n) for n in numbers) if cite is not None else ""

    def cell(tag: str, text: str, numeric: bool, one_line: bool, numbers: Marks) -> str:
        classes = " ".join(c for c, on in (("alfa-num", numeric), ("alfa-nowrap", one_line)) if on)
        attrs = (f' class="{classes}"' if classes else "") + (' align="right"' if numeric else "")
        return f"<{tag}{attrs}>{esc(text)}{marks(numbers)}</{tag}>"

    one_line = view.one_line or view.numeric
    columns = list(zip(view.numeric, one_line))
    head = "".join(
        cell("th", label, num, False, view.header_mark(j))
        for j, (label, (num, _)) in enumerate(zip(view.labels, columns))
    )
    body = "".join(
        "<tr>"
        + "".join(
            cell("td", text, num, nowrap, view.cell_mark(i, j))
            for j, (text, (num, nowrap)) in enumerate(zip(row, columns))
        )
        + "</tr>"
        for i, row in enumerate(view.rows)
    )
    parts = ['<div class="alfa-table-wrap"><table class="alfa-table">']
    if caption and view.title:
        parts.append(f"<caption>{esc(view.title)}{marks(view.title_marks)}</caption>")
    parts.append(f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    notes = _notes(view, "<code>{}</code>", esc)
    if notes:
        parts.append(f'<p class="alfa-table-note"><small>{notes}</small></p>')
    parts.append("</div>")
    return "".join(parts)


def text_marks(numbers: Marks, escaped: bool = False) -> str:
    """``[1][2]`` (``\\[1\\]`` for Markdown, where brackets could read as a link)."""
    return "".join(f"\\[{n}\\]" if escaped else f"[{n}]" for n in numbers)


MORE_ROWS = 200  # the table_rows a capped table's note suggests, at most


def _notes(view: TableView, code: str = "{}", escape: Callable[[str], str] = str) -> str:
    """Under a capped table, what a notebook user types to see the rest (each in ``code``):
    "20 of 41 rows · _alfa.tables[0] has all 41 · %config AlfaMagics.table_rows = 41 shows them here"."""
    if not view.capped:
        return ""
    notes = [view.count_note or ""]
    if view.hint:
        notes.append(f"{code.format(escape(view.hint))} has all {view.total:,}")
    rows = min(view.total, MORE_ROWS)
    setting = code.format(f"%config AlfaMagics.table_rows = {rows}")
    notes.append(f"{setting} shows {'them all' if rows == view.total else 'more'} here")
    return " · ".join(notes)


def to_markdown(view: TableView) -> str:
    """A Markdown (GFM) table, cells escaped so none is read as markup, and the row count."""
    if not view.labels:
        return ""
    lines = []
    if view.title:
        lines.append(f"**{md_text(view.title)}**{text_marks(view.title_marks, True)}\n")
    header = [(md_text(label) or " ") + text_marks(view.header_mark(j), True) for j, label in enumerate(view.labels)]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join("---:" if num else "---" for num in view.numeric) + "|")
    lines += [
        "| " + " | ".join(md_text(text) + text_marks(view.cell_mark(i, j), True) for j, text in enumerate(row)) + " |"
        for i, row in enumerate(view.rows)
    ]
    notes = _notes(view, "`{}`")
    if notes:
        lines.append(f"\n_{notes}_")
    return "\n".join(lines)


def to_text(view: TableView) -> str:
    """An aligned plain-text table, cells cut at TEXT_CELL_WIDTH, and the row count."""

    def clip(text: str) -> str:
        text = plain(" ".join(text.split()))
        return text if len(text) <= TEXT_CELL_WIDTH else text[: TEXT_CELL_WIDTH - 1] + "…"

    header = [clip(label) + text_marks(view.header_mark(j)) for j, label in enumerate(view.labels)]
    rows = [
        [clip(text) + text_marks(view.cell_mark(i, j)) for j, text in enumerate(row)] for i, row in enumerate(view.rows)
    ]
    widths = [max([len(h), *(len(r[j]) for r in rows)]) for j, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, view.numeric)).rstrip()

    lines = []
    if view.title:
        lines.append(plain(view.title) + text_marks(view.title_marks))
    lines += [line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]
    notes = _notes(view)
    if notes:
        lines.append(notes)
    return "\n".join(lines)
