"""The column registry: each declared ``col_type``, its dtype, converter and formatter, in one table."""

from __future__ import annotations

import re
import reprlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray
from pandas.api.types import infer_dtype

from ..._public import publish
from ...wire.errors import AlfaError
from .formats import (
    _format_currency,
    _format_date,
    _format_datetime,
    _format_delta,
    _format_float,
    _format_integer,
    _format_pct_delta,
    _format_percent,
    _format_score,
    _format_text,
)
from .temporal import DATETIME_UNIT, parse_utc

MISSING_TEXT = "\u2014"  # em dash

ArrayLike: TypeAlias = "ExtensionArray | np.ndarray[Any, Any]"
Converter = Callable[[np.ndarray], ArrayLike]
Formatter = Callable[[Any, "str | None"], str]


class TableConversionError(AlfaError, ValueError):
    """An artifact's cells do not fit its declared schema; the message names column and row."""

    def __init__(self, message: str, *, column: str | None = None, row: int | None = None) -> None:
        super().__init__(message)
        self.column = column
        self.row = row


class ArtifactKindError(AlfaError, TypeError):
    """The artifact is text or opaque JSON, which has no DataFrame form; ``.raw`` holds it."""


class TableConversionWarning(UserWarning):
    """A column fell back to ``object`` dtype (unknown ``col_type``)."""


# --------------------------------------------------------------------------------------------
# Cell extraction: stock and score cells are objects; the column holds one field of each.


# One comprehension per column, the test inlined: these are the only per-cell Python loops of a
# conversion, and a function call per cell would double their cost. Cells come from JSON, so a
# stock or score object is exactly a dict.


def stock_identifiers(cells: np.ndarray) -> np.ndarray:
    """The label the backend itself gives a stock: symbol, else ISIN; other values as they are."""
    return object_array(
        [(cell.get("symbol") or cell.get("isin") or None) if type(cell) is dict else cell for cell in cells]
    )


def _score_values(cells: np.ndarray) -> np.ndarray:
    return object_array([cell.get("val") if type(cell) is dict else cell for cell in cells])


def object_array(values: Sequence[Any]) -> np.ndarray:
    """A 1-d object array that never reads nested sequences as extra dimensions."""
    return np.fromiter(values, dtype=object, count=len(values))


# --------------------------------------------------------------------------------------------
# Converters: object ndarray -> typed array. Each first checks the kinds of values present
# (one C pass, so "12" never becomes 12 and 1 never becomes "1"), then builds vectorised.

_INTEGER_KINDS = frozenset({"empty", "integer", "floating", "mixed-integer-float"})
_FLOAT_KINDS = _INTEGER_KINDS
_BOOLEAN_KINDS = frozenset({"empty", "boolean"})
_STRING_KINDS = frozenset({"empty", "string"})
_TEMPORAL_KINDS = frozenset({"empty", "string", "date", "datetime"})


def _require_kinds(values: np.ndarray, kinds: frozenset[str], expected: str) -> str:
    kind: str = infer_dtype(values, skipna=True)
    if kind not in kinds:
        raise TypeError(f"expected {expected}, found {kind} values")
    return kind


def _data_and_mask(values: np.ndarray, fill: Any, dtype: type) -> tuple[np.ndarray, np.ndarray]:
    """The numpy data and missing mask of a masked array, in C loops (faster than pd.array).

    ``fill`` goes under the mask; pandas' own choices (NaN, 1) keep ufuncs such as ``np.log``
    or a division from warning about values nobody sees.
    """
    mask = pd.isna(values)
    return np.where(mask, fill, values).astype(dtype), mask


_EXACT_IN_FLOAT = 2**53  # every integer below this magnitude survives a trip through float64


def _to_integers(values: np.ndarray) -> ArrayLike:
    if _require_kinds(values, _INTEGER_KINDS, "integers") not in {"integer", "empty"}:
        return pd.array(values, dtype="Int64")  # floats present: pandas refuses non-integral ones
    floats = values.astype(np.float64)  # one C pass; None becomes NaN
    mask = np.isnan(floats)
    if np.abs(np.where(mask, 0.0, floats)).max(initial=0.0) < _EXACT_IN_FLOAT:
        return pd.arrays.IntegerArray(np.where(mask, 1.0, floats).astype(np.int64), mask)
    return pd.arrays.IntegerArray(*_data_and_mask(values, 1, np.int64))  # exact beyond 2**53


def _to_floats(values: np.ndarray) -> ArrayLike:
    _require_kinds(values, _FLOAT_KINDS, "numbers")
    data = values.astype(np.float64)  # numbers only (checked above); numpy reads None as NaN
    return pd.arrays.FloatingArray(data, np.isnan(data))


def _to_booleans(values: np.ndarray) -> ArrayLike:
    _require_kinds(values, _BOOLEAN_KINDS, "true/false")
    return pd.arrays.BooleanArray(*_data_and_mask(values, False, np.bool_))


_STRING_DTYPE = pd.StringDtype()


def _to_strings(values: np.ndarray) -> ArrayLike:
    _require_kinds(values, _STRING_KINDS, "strings")
    if _STRING_DTYPE.storage == "pyarrow" and _STRING_DTYPE.na_value is pd.NA:
        # Strings only (checked above), so Arrow takes them as they are: pd.array would check again.
        import pyarrow as pa

        return pd.arrays.ArrowStringArray(pa.array(values, type=pa.large_string(), from_pandas=True))
    return pd.array(values, dtype=_STRING_DTYPE)


def _parse_utc(values: np.ndarray) -> pd.DatetimeIndex:
    _require_kinds(values, _TEMPORAL_KINDS, "ISO 8601 dates")
    return parse_utc(values)


def _to_dates(values: np.ndarray) -> ArrayLike:
    return _parse_utc(values).tz_localize(None).as_unit(DATETIME_UNIT).array


def _to_datetimes(values: np.ndarray) -> ArrayLike:
    return _parse_utc(values).as_unit(DATETIME_UNIT).array


def _period_converter(freq: str, pattern: str, example: str) -> Converter:
    """Periods parse once per distinct value: a column holds few quarters, many times each."""
    accepted = re.compile(pattern)

    def convert(values: np.ndarray) -> ArrayLike:
        _require_kinds(values, _STRING_KINDS, f"strings like {example!r}")
        codes, uniques = pd.factorize(values)
        malformed = [text for text in uniques if not accepted.fullmatch(text)]
        if malformed:
            raise ValueError(f"{malformed[0]!r} is not of the form {example!r}")
        return pd.PeriodIndex(list(uniques), freq=freq).array.take(codes, allow_fill=True)

    return convert


def _as_objects(values: np.ndarray) -> ArrayLike:
    return values


# --------------------------------------------------------------------------------------------
# The dispatch table.


@dataclass(frozen=True)
class ColumnType:
    """How one ``col_type`` converts and reads."""

    dtype: str
    convert: Converter
    format: Formatter = _format_text
    extract: Callable[[np.ndarray], np.ndarray] | None = None


_INTEGER = ColumnType("Int64", _to_integers, _format_integer)
_FLOAT = ColumnType("Float64", _to_floats, _format_float)
_STRING = ColumnType("string", _to_strings)
OBJECT = ColumnType("object", _as_objects)

COLUMN_TYPES: Mapping[str, ColumnType] = {
    "integer": _INTEGER,
    "integer_with_unit": _INTEGER,
    "float": _FLOAT,
    "float_with_unit": _FLOAT,
    "currency": ColumnType("Float64", _to_floats, _format_currency),
    "delta": ColumnType("Float64", _to_floats, _format_delta),
    "percent": ColumnType("Float64", _to_floats, _format_percent),
    "pct_delta": ColumnType("Float64", _to_floats, _format_pct_delta),
    "score": ColumnType("Float64", _to_floats, _format_score, _score_values),
    "boolean": ColumnType("boolean", _to_booleans),
    "string": _STRING,
    "stock": ColumnType("string", _to_strings, extract=stock_identifiers),
    "date": ColumnType(f"datetime64[{DATETIME_UNIT}]", _to_dates, _format_date),
    "datetime": ColumnType(f"datetime64[{DATETIME_UNIT}, UTC]", _to_datetimes, _format_datetime),
    "quarter": ColumnType("period[Q-DEC]", _period_converter("Q-DEC", r"\d{4}-?[Qq][1-4]", "2024Q2")),
    "month": ColumnType("period[M]", _period_converter("M", r"\d{4}-(0[1-9]|1[0-2])", "2024-05")),
    "year": ColumnType("period[Y-DEC]", _period_converter("Y-DEC", r"\d{4}", "2024")),
}


def column_type(col_type: Any) -> ColumnType | None:
    return COLUMN_TYPES.get(col_type.strip().lower()) if isinstance(col_type, str) else None


def column_dtype(col_type: str) -> str:
    """The dtype a declared ``col_type`` converts to (``"object"`` for an unknown one)."""
    return (column_type(col_type) or OBJECT).dtype


# --------------------------------------------------------------------------------------------
# One column: convert, and on failure name the first row that cannot convert.


def _first_failing_row(convert: Converter, values: np.ndarray) -> int:
    """Bisect for the shortest failing prefix: log2(n) vectorised tries, only on failure."""
    good, bad = 0, len(values)
    while bad - good > 1:
        middle = (good + bad) // 2
        try:
            convert(values[:middle])
        except Exception:
            bad = middle
        else:
            good = middle
    return bad - 1


def describe(value: Any, limit: int = 60) -> str:
    try:
        text = repr(value)
    except RecursionError:  # a cell nested about as deep as the JSON parser allows
        text = reprlib.repr(value)
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return f"{text} ({type(value).__name__})"


def convert_column(convert: Converter, values: np.ndarray, label: str, col_type: Any, cells: np.ndarray) -> ArrayLike:
    """``convert(values)``; on failure, an error naming the first row (and its raw cell)."""
    try:
        return convert(values)
    except Exception as exc:
        row = _first_failing_row(convert, values)
        try:
            convert(values[row : row + 1])
            reason = str(exc)
        except Exception as cell_exc:
            reason = str(cell_exc)
        raise TableConversionError(
            f"column {label!r} (col_type {col_type!r}), row {row}: cannot convert "
            f"{describe(cells[row])}: {reason.partition(chr(10))[0] or type(exc).__name__}",
            column=label,
            row=row,
        ) from exc


publish(__name__)  # last: the public names above report alfa_notebook as their module
