"""How one value of each ``col_type`` reads: the formatters the column registry points to."""

from __future__ import annotations

from typing import Any

import pandas as pd

# --------------------------------------------------------------------------------------------
# Formatters: one value (never missing) and the column's unit -> display text.


def _format_number(value: float) -> str:
    """Two decimals, or four significant digits for small magnitudes that would read as 0.00."""
    if value == 0 or abs(value) >= 0.01:
        return f"{value:,.2f}"
    return f"{value:.4g}"


def _with_unit(text: str, unit: str | None) -> str:
    return f"{text} {unit}" if unit else text


def _format_integer(value: Any, unit: str | None) -> str:
    return _with_unit(f"{int(value):,}", unit)


def _format_float(value: Any, unit: str | None) -> str:
    return _with_unit(_format_number(float(value)), unit)


def _format_currency(value: Any, unit: str | None) -> str:
    amount = float(value)
    sign = "-" if amount < 0 else ""
    digits = f"{abs(amount):,.2f}"
    if not unit:
        return f"{sign}{digits}"
    if unit.upper() == "USD":
        return f"{sign}${digits}"
    return f"{sign}{unit} {digits}"


def _format_delta(value: Any, unit: str | None) -> str:
    amount = float(value)
    return _with_unit(("+" if amount > 0 else "") + _format_number(amount), unit)


def _format_percent(value: Any, unit: str | None) -> str:
    return f"{float(value):.1%}"


def _format_pct_delta(value: Any, unit: str | None) -> str:
    return f"{float(value):+.1%}"


def _format_score(value: Any, unit: str | None) -> str:
    return f"{float(value):.2f}"


def _format_date(value: Any, unit: str | None) -> str:
    stamp = pd.Timestamp(value)  # not strftime: C's %Y does not pad year 1 to "0001" everywhere
    return f"{stamp.year:04d}-{stamp.month:02d}-{stamp.day:02d}"


def _format_datetime(value: Any, unit: str | None) -> str:
    return str(pd.Timestamp(value).strftime("%Y-%m-%d %H:%M:%S %Z")).rstrip()


def _format_text(value: Any, unit: str | None) -> str:
    return str(value)
