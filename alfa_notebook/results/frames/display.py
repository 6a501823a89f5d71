"""Display text of typed columns, for the HTML, Markdown and text renderers."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from .coltypes import MISSING_TEXT, OBJECT, column_type

# --------------------------------------------------------------------------------------------
# Display.


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def format_value(value: Any, col_type: str | None, unit: str | None = None) -> str:
    """How one value of a ``col_type`` reads (``MISSING_TEXT`` when missing)."""
    if _is_missing(value):
        return MISSING_TEXT
    kind = column_type(col_type) or OBJECT
    return kind.format(value, unit)


def format_column(values: Iterable[Any], column_meta: Mapping[str, Any] | None) -> list[str]:
    """Display texts of a column's values, from its ``attrs["alfa_columns"]`` entry.

    ``percent`` reads ``25.0%``, ``pct_delta`` ``+3.1%``, ``currency`` ``$1,234.50`` (USD) or
    ``EUR 1,234.50``, ``date`` ``2024-05-01``, ``quarter`` ``2024Q2``, ``score`` ``0.87``,
    numbers with thousands separators and their unit; a missing value is ``MISSING_TEXT``.
    Without metadata values read as ``str``.
    """
    meta = column_meta or {}
    col_type, unit = meta.get("col_type"), meta.get("unit")
    return [format_value(value, col_type, unit) for value in values]


def format_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as display text, column by column (for HTML and plain-text renderers)."""
    metas = frame.attrs.get("alfa_columns") or {}
    texts = {
        label: pd.Series(format_column(values, metas.get(label)), index=frame.index, dtype=object)
        for label, values in frame.items()
    }
    return pd.DataFrame(texts, index=frame.index)
