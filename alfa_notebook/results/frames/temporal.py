"""ISO 8601 text to UTC instants in microseconds, the same on pandas 2 and pandas 3.

pandas 3 parses text at the unit it needs, so one vectorised call is right. pandas 2 parses to
nanoseconds (the years 1677-2262 only, so the common open-ended sentinel ``9999-12-31`` would
fail a whole table) and, given naive text after text with an offset, reads the naive text in that
offset. On pandas 2 the cells are therefore parsed in two groups, with an offset and without, and
a group that leaves nanosecond range is parsed value by value with :mod:`datetime` instead.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import pandas as pd

DATETIME_UNIT = "us"  # spelled out where numpy's typing wants the literal
PANDAS_PARSES_AT_ANY_UNIT = int(pd.__version__.split(".")[0]) >= 3

# A time part, then Z or a +hh[:mm] offset ("2024-05-01" ends in "-01" but has no time part).
_OFFSET = re.compile(r"\d[Tt ].*(?:[zZ]|[+-]\d\d(?::?\d\d)?)$")


def parse_utc(values: np.ndarray) -> pd.DatetimeIndex:
    """Text (ISO 8601), dates and datetimes as tz-aware UTC microseconds; naive text is UTC.

    Raises ValueError for text that is not ISO 8601 or an instant out of datetime64's range.
    """
    try:
        if PANDAS_PARSES_AT_ANY_UNIT:
            return pd.to_datetime(values, format="ISO8601", utc=True).as_unit(DATETIME_UNIT)
        return _parse_utc_by_group(values)
    except (ValueError, OverflowError) as exc:  # pandas' hints (format=..., dayfirst) do not apply
        raise ValueError("not an ISO 8601 date or timestamp (or out of range)") from exc


def _has_offset(value: Any) -> bool:
    if isinstance(value, str):
        return _OFFSET.search(value.strip()) is not None
    return isinstance(value, dt.datetime) and value.tzinfo is not None


def _parse_utc_by_group(values: np.ndarray) -> pd.DatetimeIndex:
    micros = np.full(len(values), np.datetime64("NaT", "us"))
    present = ~pd.isna(values)
    aware = np.fromiter((_has_offset(v) for v in values), dtype=bool, count=len(values)) & present
    for group in (aware, present & ~aware):
        if group.any():
            micros[group] = _parse_group(values[group])
    return pd.DatetimeIndex(micros).tz_localize("UTC")


def _parse_group(values: np.ndarray) -> np.ndarray:
    try:
        stamps = pd.to_datetime(values, format="ISO8601", utc=True)
    except (pd.errors.OutOfBoundsDatetime, OverflowError):
        return np.array([_one_instant(value) for value in values], dtype=f"datetime64[{DATETIME_UNIT}]")
    return stamps.tz_localize(None).as_unit(DATETIME_UNIT).to_numpy()


def _one_instant(value: Any) -> np.datetime64:
    """One value as naive UTC microseconds, past pandas 2's nanosecond range too."""
    if isinstance(value, str):
        text = value.strip()
        value = dt.datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "zZ" else text)
    if not isinstance(value, dt.datetime) and isinstance(value, dt.date):
        value = dt.datetime(value.year, value.month, value.day)
    if not isinstance(value, dt.datetime):
        raise ValueError(f"{value!r} is not a date")
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return np.datetime64(value, "us")
