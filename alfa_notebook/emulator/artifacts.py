"""The artifact shapes of docs/protocol.md (Artifacts): tables, line charts and text outputs.

Only shapes live here; what goes in them is ``sample_tables.py``'s job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

COL_TYPES = (
    "integer",
    "string",
    "float",
    "boolean",
    "integer_with_unit",
    "float_with_unit",
    "currency",
    "date",
    "datetime",
    "quarter",
    "year",
    "month",
    "percent",
    "delta",
    "pct_delta",
    "stock",
    "score",
)
"""Every ``TableColumnType`` of docs/protocol.md (Artifacts); the screen table uses each of them."""


def citation_ref(citation_id: str, row_index: int | None = None) -> JSON:
    """A column-level reference (``row_index`` None) or a cell-level one."""
    return {"cit_id": citation_id, "row_index": row_index}


@dataclass(frozen=True)
class Column:
    name: str
    col_type: str
    unit: str | None = None
    display_name: str | None = None
    is_visible: bool = True
    citation_refs: Sequence[JSON] = field(default_factory=tuple)

    def as_json(self, *, highlighted: bool) -> JSON:
        return {
            "name": self.name,
            "col_type": self.col_type,
            "unit": self.unit,
            "is_highlighted": highlighted,
            "citation_refs": list(self.citation_refs),
            "display_name": self.display_name,
            "is_visible": self.is_visible,
            "original_order": None,
        }


_HIGHLIGHTED_FIRST = {"stock", "date", "datetime", "quarter", "year", "month"}


def table(
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Any]],
    citations: Sequence[JSON] = (),
) -> JSON:
    """A ``TableOutput``; like the backend, the first column is highlighted when it is a stock
    or a date-like column."""
    assert all(len(row) == len(columns) for row in rows), "ragged table"
    return {
        "output_type": "table",
        "title": title,
        "citations": list(citations),
        "columns": [
            column.as_json(highlighted=index == 0 and column.col_type in _HIGHLIGHTED_FIRST)
            for index, column in enumerate(columns)
        ],
        "rows": [list(row) for row in rows],
    }


def score(value: float, source: str, parts: Sequence[tuple[str, float]] = ()) -> JSON:
    """A ``ScoreOutput`` cell."""
    return {
        "val": value,
        "source": source,
        "sub_scores": [score(part_value, part) for part, part_value in parts],
    }


def stock_line_chart(
    title: str,
    series: Sequence[tuple[JSON, Sequence[tuple[Any, float]]]],
    *,
    y_axis_type: str,
    y_unit: str | None,
    x_axis_type: str = "date",
) -> JSON:
    """A ``GraphOutput`` line chart with one dataset per stock (``dataset_id`` is its metadata)."""
    return {
        "output_type": "graph",
        "title": title,
        "citations": [],
        "graph": {
            "graph_type": "line",
            "x_axis_type": x_axis_type,
            "x_unit": None,
            "y_axis_type": y_axis_type,
            "y_unit": y_unit,
            "data": [
                {
                    "dataset_id": metadata,
                    "dataset_id_type": "stock",
                    "points": [{"x_val": x, "y_val": y} for x, y in points],
                }
                for metadata, points in series
            ],
        },
    }


def text_output(title: str, val: str, citations: Sequence[JSON] = ()) -> JSON:
    return {"output_type": "text", "title": title, "citations": list(citations), "val": val, "score": None}
