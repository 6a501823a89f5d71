"""Alfa artifacts as typed pandas DataFrames, driven by the declared schema.

Every column's dtype comes from its declared ``col_type`` (reference §5.3), never from its
values. Only JSON ``null`` (``None``; ``NaN`` too, which the backend sends as null anyway) is
missing: the strings ``"NA"``, ``"N/A"`` and ``"null"`` are values, so the ticker ``NA`` stays
``"NA"`` and the CUSIP ``"00724F101"`` keeps its zeros. Missing cells become the missing value
of the column's dtype (``<NA>`` or ``NaT``).

``col_type`` to dtype
=====================

=====================  ======================  ===============================================
col_type               dtype                   why
=====================  ======================  ===============================================
integer                ``Int64``               nullable: a null stays missing, ints stay ints
integer_with_unit      ``Int64``               as integer; the unit is in the column metadata
float                  ``Float64``             nullable, like every numeric column (see below)
float_with_unit        ``Float64``             as float; unit in metadata
currency               ``Float64``             the unit is the ISO currency code
delta                  ``Float64``             a raw change
percent                ``Float64``             kept as a fraction: 0.25 is 25 %, never rescaled
pct_delta              ``Float64``             a fraction too: +0.031 is +3.1 %
score                  ``Float64``             the ``val`` of each score object
boolean                ``boolean``             nullable
string                 ``string``              ``pd.StringDtype()``, whatever ``infer_string`` says
stock                  ``string``              the symbol, else the ISIN (the backend's own label)
date                   ``datetime64[us]``      naive; ``us``: pandas 3's unit for parsed text,
                                               lossless for Python datetimes, reaches 9999-12-31
datetime               ``datetime64[us, UTC]`` tz-aware; text without an offset is read as UTC
quarter                ``period[Q-DEC]``       ``"2024Q2"``; arithmetic and sorting work
month                  ``period[M]``           ``"2024-05"``
year                   ``period[Y-DEC]``       ``"2024"``: the backend says it is no integer
(unknown)              ``object``              cells kept as given, with a warning
=====================  ======================  ===============================================

Numeric columns are all nullable extension dtypes so that one rule holds for the whole frame:
missing is ``<NA>`` and ``df.isna()`` means the same in every column. ``Series.to_numpy()``
still gives ``float64`` with ``NaN`` (pandas 3) and numpy ufuncs accept them.

Text cells in ``date``/``datetime`` columns must be ISO 8601; ``quarter`` ``YYYYQq`` (``YYYY-Qq``
and a lower-case ``q`` accepted), ``month`` ``YYYY-MM``, ``year`` ``YYYY``. ``stock`` cells are
stock objects (a bare string is taken as the symbol); ``score`` cells are score objects (a bare
number is taken as the value; ``source`` and ``sub_scores`` stay in the raw artifact). A stock
without symbol shows its ISIN (as the backend labels chart series); with neither it is
``<NA>``. An ``integer`` column takes integral floats (``3.0``) and refuses others.

Errors
======

A row whose length differs from the columns, or a cell that its column's type cannot hold
(``"12"`` in an ``integer`` column, ``1`` in a ``string`` column, ``"2024/13"`` in a ``month``
column), raises :class:`TableConversionError` naming the column and the row. Nothing is ever
shifted or coerced silently. An unknown ``col_type`` is the one documented fallback: the
column keeps its cells as ``object`` and a :class:`TableConversionWarning` names it.

Labels
======

A column is labelled ``display_name`` when present, else ``name`` (both as ``str``). Columns
with ``is_visible: false`` are dropped unless ``include_hidden=True``. Duplicate labels are
made unique in ``pandas.read_csv``'s style: the first keeps its label, the next ones become
``Return.1``, ``Return.2``, ... skipping any label another column already has.
``expand_stocks=True`` adds ``<label>.company_name``, ``<label>.isin``, ``<label>.gbi_id``,
``<label>.sector``, ... right after each stock column (fields of the stock objects, in that
order, then any others the objects carry, as ``object``).

``DataFrame.attrs``
===================

Read-only dicts (:class:`ReadOnlyDict`, a ``dict`` subclass), tuples, strings and numbers, so
that the deep copy pandas makes of ``attrs`` on nearly every operation costs nothing; per-column
entries are keyed by frame label:

``alfa_kind``
    ``"table"``, ``"chart"`` or ``"citations"``.
``alfa_artifact_id``, ``alfa_thread_id``, ``alfa_message_id``, ``alfa_title``
    Provenance (``None`` when unknown).
``alfa_columns``
    ``{label: {"name", "label", "display_name", "col_type", "dtype", "unit", "is_highlighted",
    "is_visible", "original_order", "position", "citation_ids", "row_citation_ids",
    "source_column", "stock_field"}}`` for every column of the frame, in frame order.
    ``col_type`` is the raw declared type (also when unknown); ``position`` the index in the
    artifact's ``columns``; ``citation_ids`` the column-level citation ids and
    ``row_citation_ids`` ``{row: (ids)}`` the cell-level ones (``row`` is the frame's index
    label, which is the artifact's row index); ``source_column`` and ``stock_field`` are set
    on the columns that ``expand_stocks`` adds.
``alfa_hidden_columns``
    Names of the hidden columns left out of the frame.
``alfa_stocks``
    ``{label: {identifier: stock object}}`` per stock column: every stock of the column under
    the value shown in the cell (the first one wins if two stocks share a symbol; the
    expanded columns are exact per row).
``alfa_citations``
    ``{citation id: citation}``: the table's citations and those its columns and cells refer
    to, in that order, as the Citation objects the caller passed, else as raw dicts.
``alfa_graph`` (charts only)
    ``{"graph_type", "series_type", "x_type", "x_unit", "y_type", "y_unit"}``.

Charts
======

:func:`chart_to_dataframe` gives a tidy long frame with columns ``series``, ``x``, ``y``, each
typed by the graph's declared types through the same converters:

* line: one row per point; ``series`` is the dataset id (``dataset_id_type``), ``x``
  ``x_val`` (``x_axis_type``), ``y`` ``y_val`` (``y_axis_type``, ``y_unit``);
* bar: one row per bar; ``series`` is the bar's ``label`` (``label_type``), ``x`` the group
  ``index`` (``index_type``), ``y`` the ``value`` (``data_type``, ``data_unit``);
* pie: one row per slice; ``series`` is the chart title (``"pie"`` without one), ``x`` the
  slice ``label`` (``label_type``), ``y`` the ``value`` (``data_type``, ``unit``); slice
  citations are the ``y`` column's ``row_citation_ids``.

Display
=======

:func:`format_column` (and :func:`format_frame` for a whole frame) is the one place that knows
how a value of each ``col_type`` reads: ``25.0%``, ``+3.1%``, ``$1,234.50`` (USD),
``EUR 1,234.50``, ``2024-05-01``, ``2024Q2``, and ``—`` for a missing value.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray
from pandas.api.types import infer_dtype

from .errors import AlfaError
from .models import Citation, artifact_kind

__all__ = [
    "COLUMN_TYPES",
    "MISSING_TEXT",
    "ArtifactKindError",
    "ColumnType",
    "ReadOnlyDict",
    "TableConversionError",
    "TableConversionWarning",
    "artifact_kind",
    "artifact_to_dataframe",
    "chart_to_dataframe",
    "citations_to_dataframe",
    "column_dtype",
    "format_column",
    "format_frame",
    "format_value",
    "table_to_dataframe",
]

DATETIME_UNIT = "us"
MISSING_TEXT = "\u2014"  # em dash

ArrayLike = ExtensionArray | np.ndarray
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


class ReadOnlyDict(dict):  # type: ignore[type-arg]
    """A ``dict`` that refuses changes, so the copies pandas makes of ``attrs`` can share it.

    pandas deep-copies ``attrs`` on nearly every operation (``df[col]``, ``head``, each row of
    ``iterrows``); with read-only containers that copy is O(1) instead of O(metadata). Still a
    real ``dict``: ``json.dumps``, pickling and ``==`` work; ``dict(d)`` gives a mutable copy.
    """

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("alfa metadata in DataFrame.attrs is read-only; change a dict(...) copy")

    __setitem__ = __delitem__ = __ior__ = _refuse  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]

    def __copy__(self) -> ReadOnlyDict:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> ReadOnlyDict:
        return self

    def __reduce__(self) -> tuple[type[ReadOnlyDict], tuple[dict[Any, Any]]]:
        return type(self), (dict(self),)


def _read_only(value: Any) -> Any:
    """``value`` with its dicts and lists made read-only, all the way down."""
    if isinstance(value, Mapping):
        return ReadOnlyDict({key: _read_only(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(_read_only(item) for item in value)
    return value


# --------------------------------------------------------------------------------------------
# Cell extraction: stock and score cells are objects; the column holds one field of each.


def _stock_identifier(cell: Any) -> Any:
    """The label the backend itself gives a stock: symbol, else ISIN; other values as they are."""
    if isinstance(cell, dict):
        return cell.get("symbol") or cell.get("isin") or None
    return cell


def _stock_identifiers(cells: np.ndarray) -> np.ndarray:
    return _object_array([_stock_identifier(cell) for cell in cells])


def _score_values(cells: np.ndarray) -> np.ndarray:
    return _object_array([cell.get("val") if isinstance(cell, dict) else cell for cell in cells])


def _object_array(values: Sequence[Any]) -> np.ndarray:
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
    kind = infer_dtype(values, skipna=True)
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


def _to_integers(values: np.ndarray) -> ArrayLike:
    if _require_kinds(values, _INTEGER_KINDS, "integers") in {"integer", "empty"}:
        return pd.arrays.IntegerArray(*_data_and_mask(values, 1, np.int64))
    return pd.array(values, dtype="Int64")  # floats present: pandas refuses non-integral ones


def _to_floats(values: np.ndarray) -> ArrayLike:
    _require_kinds(values, _FLOAT_KINDS, "numbers")
    return pd.arrays.FloatingArray(*_data_and_mask(values, np.nan, np.float64))


def _to_booleans(values: np.ndarray) -> ArrayLike:
    _require_kinds(values, _BOOLEAN_KINDS, "true/false")
    return pd.arrays.BooleanArray(*_data_and_mask(values, False, np.bool_))


def _to_strings(values: np.ndarray) -> ArrayLike:
    _require_kinds(values, _STRING_KINDS, "strings")
    return pd.array(values, dtype=pd.StringDtype())


def _parse_utc(values: np.ndarray) -> pd.DatetimeIndex:
    _require_kinds(values, _TEMPORAL_KINDS, "ISO 8601 dates")
    try:
        return pd.to_datetime(values, format="ISO8601", utc=True)
    except ValueError as exc:  # pandas' hints (pass format=..., dayfirst) do not apply here
        raise ValueError("not an ISO 8601 date or timestamp (or out of range)") from exc


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
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def _format_datetime(value: Any, unit: str | None) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M:%S %Z").rstrip()


def _format_text(value: Any, unit: str | None) -> str:
    return str(value)


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
_OBJECT = ColumnType("object", _as_objects)

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
    "stock": ColumnType("string", _to_strings, extract=_stock_identifiers),
    "date": ColumnType(f"datetime64[{DATETIME_UNIT}]", _to_dates, _format_date),
    "datetime": ColumnType(f"datetime64[{DATETIME_UNIT}, UTC]", _to_datetimes, _format_datetime),
    "quarter": ColumnType("period[Q-DEC]", _period_converter("Q-DEC", r"\d{4}-?[Qq][1-4]", "2024Q2")),
    "month": ColumnType("period[M]", _period_converter("M", r"\d{4}-(0[1-9]|1[0-2])", "2024-05")),
    "year": ColumnType("period[Y-DEC]", _period_converter("Y-DEC", r"\d{4}", "2024")),
}


def _column_type(col_type: Any) -> ColumnType | None:
    return COLUMN_TYPES.get(col_type.strip().lower()) if isinstance(col_type, str) else None


def column_dtype(col_type: str) -> str:
    """The dtype a declared ``col_type`` converts to (``"object"`` for an unknown one)."""
    return (_column_type(col_type) or _OBJECT).dtype


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


def _describe(value: Any, limit: int = 60) -> str:
    text = repr(value)
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return f"{text} ({type(value).__name__})"


def _convert_column(convert: Converter, values: np.ndarray, label: str, col_type: Any, cells: np.ndarray) -> ArrayLike:
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
            f"{_describe(cells[row])}: {reason.partition(chr(10))[0] or type(exc).__name__}",
            column=label,
            row=row,
        ) from exc


# --------------------------------------------------------------------------------------------
# The schema.


def _label(column: Mapping[str, Any], position: int) -> str:
    label = column.get("display_name") or column.get("name")
    if label is None or label == "":
        raise TableConversionError(f"column {position} has neither a name nor a display_name")
    return str(label)


def _fresh_label(label: str, taken: set[str]) -> str:
    """``label``, or if taken ``label.1``, ``label.2``, ... (the first free one); now taken."""
    unique, suffix = label, 0
    while unique in taken:
        suffix += 1
        unique = f"{label}.{suffix}"
    taken.add(unique)
    return unique


def _unique_labels(labels: Sequence[str]) -> list[str]:
    """A label's first column keeps it; repeats get ``.1``, ``.2``, ... skipping labels in use."""
    taken = set(labels)
    seen: set[str] = set()
    unique = []
    for label in labels:
        unique.append(_fresh_label(label, taken) if label in seen else label)
        seen.add(label)
    return unique


def _is_visible(column: Mapping[str, Any]) -> bool:
    return column.get("is_visible", True) is not False


def _citation_ids(column: Mapping[str, Any]) -> tuple[list[str], dict[int, list[str]]]:
    """Column-level ids, and cell-level ids per row, from ``citation_refs``."""
    column_ids: list[str] = []
    row_ids: dict[int, list[str]] = {}
    for ref in _sequence(column.get("citation_refs")):
        if isinstance(ref, str):
            column_ids.append(ref)
            continue
        if not isinstance(ref, Mapping):
            continue
        cit_id = ref.get("cit_id") or ref.get("citation_id")
        if cit_id is None:
            continue
        row = ref.get("row_index")
        if isinstance(row, int) and not isinstance(row, bool):
            row_ids.setdefault(row, []).append(str(cit_id))
        else:  # no row, or not a row number: the citation is the column's
            column_ids.append(str(cit_id))
    return column_ids, row_ids


def _sequence(value: Any) -> Sequence[Any]:
    """``value`` if it is a JSON array, else nothing: liberal reading of optional lists."""
    return value if isinstance(value, (list, tuple)) else ()


def _column_meta(column: Mapping[str, Any], label: str, position: int, dtype: Any) -> dict[str, Any]:
    column_ids, row_ids = _citation_ids(column)
    return {
        "name": column.get("name"),
        "label": label,
        "display_name": column.get("display_name"),
        "col_type": column.get("col_type"),
        "dtype": str(dtype),
        "unit": column.get("unit"),
        "is_highlighted": bool(column.get("is_highlighted", False)),
        "is_visible": _is_visible(column),
        "original_order": column.get("original_order"),
        "position": position,
        "citation_ids": column_ids,
        "row_citation_ids": row_ids,
        "source_column": None,
        "stock_field": None,
    }


@dataclass
class _FrameColumn:
    """A converted column on its way into the frame."""

    label: str
    array: ArrayLike
    meta: dict[str, Any]
    stocks: dict[str, dict[str, Any]] | None = field(default=None)


# --------------------------------------------------------------------------------------------
# Stocks: details for attrs, and the optional expanded columns.

STOCK_FIELDS: Mapping[str, str] = {
    "company_name": "string",
    "isin": "string",
    "gbi_id": "integer",
    "sector": "string",
    "subindustry": "string",
    "exchange": "string",
    "security_type": "string",
}


def _stock_details(cells: np.ndarray, identifiers: np.ndarray) -> dict[str, dict[str, Any]]:
    """Each identifier's stock object, from its first row, in order of first appearance."""
    first_cell = dict(zip(reversed(identifiers), reversed(cells)))  # reversed: the first wins
    return {
        identifier: first_cell[identifier]
        for identifier in dict.fromkeys(identifiers)
        if isinstance(identifier, str) and isinstance(first_cell[identifier], dict)
    }


def _stock_fields(cells: np.ndarray) -> list[str]:
    extra = {key: None for cell in cells if isinstance(cell, dict) for key in cell}
    extra.pop("symbol", None)
    return list(STOCK_FIELDS) + [key for key in extra if key not in STOCK_FIELDS]


def _expanded_stock_columns(base: _FrameColumn, cells: np.ndarray, taken: set[str]) -> list[_FrameColumn]:
    expanded = []
    for stock_field in _stock_fields(cells):
        values = _object_array([cell.get(stock_field) if isinstance(cell, dict) else None for cell in cells])
        col_type = STOCK_FIELDS.get(stock_field)
        label = _fresh_label(f"{base.label}.{stock_field}", taken)
        convert = (_column_type(col_type) or _OBJECT).convert
        array = _convert_column(convert, values, label, col_type, values)
        field_column = {
            "name": f"{base.meta['name']}.{stock_field}",
            "col_type": col_type,
            "is_visible": base.meta["is_visible"],
        }
        meta = _column_meta(field_column, label, base.meta["position"], array.dtype)
        meta.update(source_column=base.label, stock_field=stock_field)
        expanded.append(_FrameColumn(label, array, meta))
    return expanded


# --------------------------------------------------------------------------------------------
# Columns -> frame, shared by tables and charts.


def _declared_kind(col_type: Any, label: str) -> ColumnType:
    kind = _column_type(col_type)
    if kind is None:
        warnings.warn(
            f"column {label!r} has unknown col_type {col_type!r}; its cells are kept as object dtype",
            TableConversionWarning,
            stacklevel=5,
        )
    return kind or _OBJECT


def _frame_columns(
    column: Mapping[str, Any],
    position: int,
    label: str,
    cells: np.ndarray,
    *,
    expand_stocks: bool,
    taken: set[str],
) -> list[_FrameColumn]:
    """One schema column as frame column(s): itself, then its stock fields if asked."""
    col_type = column.get("col_type")
    kind = _declared_kind(col_type, label)
    values = kind.extract(cells) if kind.extract else cells
    array = _convert_column(kind.convert, values, label, col_type, cells)
    converted = _FrameColumn(label, array, _column_meta(column, label, position, array.dtype))
    if kind.extract is not _stock_identifiers:
        return [converted]
    converted.stocks = _stock_details(cells, values)
    if not expand_stocks:
        return [converted]
    return [converted, *_expanded_stock_columns(converted, cells, taken)]


def _convert_schema(
    schema: Sequence[tuple[int, Mapping[str, Any]]],
    cells_of: Callable[[int], np.ndarray],
    *,
    expand_stocks: bool = False,
) -> list[_FrameColumn]:
    """Convert the columns in ``schema`` (position, column), labelled uniquely, in order."""
    labels = _unique_labels([_label(column, position) for position, column in schema])
    taken = set(labels)
    converted: list[_FrameColumn] = []
    for (position, column), label in zip(schema, labels):
        converted += _frame_columns(
            column, position, label, cells_of(position), expand_stocks=expand_stocks, taken=taken
        )
    return converted


def _assemble(converted: Sequence[_FrameColumn], n_rows: int, attrs: dict[str, Any]) -> pd.DataFrame:
    index = pd.RangeIndex(n_rows)
    frame = pd.DataFrame(
        {  # as Series with their dtype, so that pandas infers nothing (not even object -> str)
            column.label: pd.Series(column.array, index=index, dtype=column.array.dtype, copy=False)
            for column in converted
        },
        index=index,
        copy=False,
    )
    attrs = {
        **attrs,
        "alfa_columns": {column.label: column.meta for column in converted},
        "alfa_stocks": {column.label: column.stocks for column in converted if column.stocks is not None},
    }
    frame.attrs.update({key: _read_only(value) for key, value in attrs.items()})
    return frame


def _provenance(
    kind: str, artifact: Mapping[str, Any], artifact_id: Any, thread_id: Any, message_id: Any
) -> dict[str, Any]:
    return {
        "alfa_kind": kind,
        "alfa_artifact_id": artifact_id,
        "alfa_thread_id": thread_id,
        "alfa_message_id": message_id,
        "alfa_title": artifact.get("title"),
    }


def _citation_id(citation: Any) -> str | None:
    raw_id = (
        citation.get("citation_id") or citation.get("id")
        if isinstance(citation, Mapping)
        else getattr(citation, "id", None)
    )
    return None if raw_id is None else str(raw_id)


def _referenced_citations(
    artifact: Mapping[str, Any],
    columns: Iterable[Mapping[str, Any]],
    citations: Mapping[str, object] | None,
) -> dict[str, object]:
    """The artifact's own citations, then those referenced by columns and cells, resolved:
    to the caller's Citation objects where it has them, else to (copies of) the raw dicts."""
    listed = {
        cit_id: c
        for c in _sequence(artifact.get("citations"))
        if isinstance(c, Mapping) and (cit_id := _citation_id(c)) is not None
    }
    pool = {**listed, **(citations or {})}
    wanted = list(listed)
    for column in columns:
        column_ids, row_ids = _citation_ids(column)
        wanted += column_ids + [cit_id for ids in row_ids.values() for cit_id in ids]
    return {cit_id: pool[cit_id] for cit_id in dict.fromkeys(wanted) if cit_id in pool}


# --------------------------------------------------------------------------------------------
# Tables.


def _check_rows(rows: Sequence[Any], width: int) -> None:
    """One C-speed pass over the rows; the culprit is looked for only when something is off."""
    if set(map(type, rows)) <= {list, tuple} and set(map(len, rows)) <= {width}:
        return
    for index, row in enumerate(rows):
        if not isinstance(row, (list, tuple)):
            raise TableConversionError(f"row {index} is {_describe(row)}, not a list of {width} cells", row=index)
        if len(row) != width:
            raise TableConversionError(f"row {index} has {len(row)} cells but the table has {width} columns", row=index)


def _cell_grid(rows: Sequence[Sequence[Any]], width: int) -> np.ndarray:
    """Rows as one (rows x columns) object array, cells untouched: pandas' C transposition."""
    if width == 0:
        return np.empty((len(rows), 0), dtype=object)
    return pd.DataFrame(rows, columns=range(width), dtype=object).to_numpy()


def _list_field(artifact: Mapping[str, Any], key: str) -> Sequence[Any]:
    value = artifact.get(key)
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise TableConversionError(f"the table's {key!r} is {_describe(value)}, not a list")
    return value


def table_to_dataframe(
    artifact: Mapping[str, Any],
    *,
    artifact_id: str | None = None,
    thread_id: str | None = None,
    message_id: str | None = None,
    citations: Mapping[str, object] | None = None,
    expand_stocks: bool = False,
    include_hidden: bool = False,
) -> pd.DataFrame:
    """A table artifact (``{"columns", "rows", ...}``) as a typed DataFrame; see module docs.

    ``citations`` maps citation ids to already-built Citation objects; ids it lacks resolve
    against the table's own ``citations`` list, whose raw dicts are then kept.
    """
    columns = _list_field(artifact, "columns")
    rows = _list_field(artifact, "rows")
    for position, column in enumerate(columns):
        if not isinstance(column, Mapping):
            raise TableConversionError(f"column {position} is {_describe(column)}, not an object")
    _check_rows(rows, len(columns))
    shown = [(j, c) for j, c in enumerate(columns) if include_hidden or _is_visible(c)]
    grid = _cell_grid(rows, len(columns))
    converted = _convert_schema(shown, lambda position: grid[:, position], expand_stocks=expand_stocks)
    attrs = _provenance("table", artifact, artifact_id, thread_id, message_id)
    attrs["alfa_hidden_columns"] = [c.get("name") for c in columns if not include_hidden and not _is_visible(c)]
    attrs["alfa_citations"] = _referenced_citations(artifact, (c for _, c in shown), citations)
    return _assemble(converted, len(rows), attrs)


# --------------------------------------------------------------------------------------------
# Charts: flatten each graph type into (series, x, y) cells plus their declared types.


@dataclass(frozen=True)
class _LongChart:
    """A graph flattened to rows of (series, x, y), with the col_type and unit of each."""

    series: list[Any]
    x: list[Any]
    y: list[Any]
    series_type: Any
    x_type: Any
    y_type: Any
    x_unit: str | None = None
    y_unit: str | None = None
    y_citation_refs: list[dict[str, Any]] = field(default_factory=list)


def _records(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in _sequence(value) if isinstance(item, Mapping)]


def _line_chart(graph: Mapping[str, Any], title: str | None) -> _LongChart:
    series, x, y = [], [], []
    for dataset in _records(graph.get("data")):
        for point in _records(dataset.get("points")):
            series.append(dataset.get("dataset_id"))
            x.append(point.get("x_val"))
            y.append(point.get("y_val"))
    id_types = [d.get("dataset_id_type") or "string" for d in _records(graph.get("data"))]
    return _LongChart(
        series, x, y,
        series_type=id_types[0] if id_types and all(t == id_types[0] for t in id_types) else "string",
        x_type=graph.get("x_axis_type"),
        y_type=graph.get("y_axis_type"),
        x_unit=graph.get("x_unit"),
        y_unit=graph.get("y_unit"),
    )  # fmt: skip


def _bar_chart(graph: Mapping[str, Any], title: str | None) -> _LongChart:
    series, x, y = [], [], []
    for bar in _records(graph.get("data")):
        for value in _records(bar.get("values")):
            series.append(value.get("label"))
            x.append(bar.get("index"))
            y.append(value.get("value"))
    return _LongChart(
        series, x, y,
        series_type=graph.get("label_type") or "string",
        x_type=graph.get("index_type") or "string",
        y_type=graph.get("data_type"),
        y_unit=graph.get("data_unit"),
    )  # fmt: skip


def _pie_chart(graph: Mapping[str, Any], title: str | None) -> _LongChart:
    slices = _records(graph.get("data"))
    refs = [
        {**ref, "row_index": row} if isinstance(ref, Mapping) else {"cit_id": ref, "row_index": row}
        for row, piece in enumerate(slices)
        for ref in _sequence(piece.get("citation_refs"))
    ]
    return _LongChart(
        [title or "pie"] * len(slices),
        [piece.get("label") for piece in slices],
        [piece.get("value") for piece in slices],
        series_type="string",
        x_type=graph.get("label_type") or "string",
        y_type=graph.get("data_type"),
        y_unit=graph.get("unit"),
        y_citation_refs=refs,
    )


_CHART_FLATTENERS: Mapping[str, Callable[[Mapping[str, Any], str | None], _LongChart]] = {
    "line": _line_chart,
    "bar": _bar_chart,
    "pie": _pie_chart,
}


def _graph_of(artifact: Mapping[str, Any]) -> Mapping[str, Any]:
    graph = artifact.get("graph")
    if isinstance(graph, Mapping):
        return graph
    if "graph_type" in artifact:
        return artifact
    raise TableConversionError("the chart artifact has no 'graph' object")


def chart_to_dataframe(
    artifact: Mapping[str, Any],
    *,
    artifact_id: str | None = None,
    thread_id: str | None = None,
    message_id: str | None = None,
    citations: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """A graph artifact (line, bar, pie) as a tidy long frame ``series``, ``x``, ``y``."""
    graph = _graph_of(artifact)
    graph_type = graph.get("graph_type")
    flatten = _CHART_FLATTENERS.get(graph_type) if isinstance(graph_type, str) else None
    if flatten is None:
        raise TableConversionError(
            f"unknown graph_type {graph_type!r} (known: {', '.join(_CHART_FLATTENERS)}); "
            "the chart is still available as raw JSON"
        )
    chart = flatten(graph, artifact.get("title"))
    schema = [
        {"name": "series", "col_type": chart.series_type},
        {"name": "x", "col_type": chart.x_type, "unit": chart.x_unit},
        {"name": "y", "col_type": chart.y_type, "unit": chart.y_unit,
         "citation_refs": chart.y_citation_refs},
    ]  # fmt: skip
    cells = [_object_array(chart.series), _object_array(chart.x), _object_array(chart.y)]
    converted = _convert_schema(list(enumerate(schema)), cells.__getitem__)
    attrs = _provenance("chart", artifact, artifact_id, thread_id, message_id)
    attrs["alfa_graph"] = {
        "graph_type": graph_type,
        "series_type": chart.series_type,
        "x_type": chart.x_type,
        "x_unit": chart.x_unit,
        "y_type": chart.y_type,
        "y_unit": chart.y_unit,
    }
    attrs["alfa_hidden_columns"] = []
    attrs["alfa_citations"] = _referenced_citations(artifact, schema, citations)
    return _assemble(converted, len(chart.series), attrs)


# --------------------------------------------------------------------------------------------
# Any artifact.


def artifact_to_dataframe(
    artifact: Any,
    *,
    expand_stocks: bool = False,
    include_hidden: bool = False,
    artifact_id: str | None = None,
    thread_id: str | None = None,
    message_id: str | None = None,
    citations: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """A table or chart artifact as a DataFrame; text and opaque JSON raise ArtifactKindError.

    ``artifact`` is the inner artifact mapping, or an object with ``raw`` (that mapping) and
    optionally ``id``, ``thread_id``, ``message_id`` and ``citations`` (Citation objects),
    which then supply the provenance not given explicitly. ``expand_stocks`` and
    ``include_hidden`` apply to tables.
    """
    body = artifact if isinstance(artifact, Mapping) else getattr(artifact, "raw", artifact)
    provenance = {
        "artifact_id": artifact_id or getattr(artifact, "id", None),
        "thread_id": thread_id or getattr(artifact, "thread_id", None),
        "message_id": message_id or getattr(artifact, "message_id", None),
        "citations": citations if citations is not None else _citations_by_id(artifact),
    }
    kind = artifact_kind(body)
    if kind == "table":
        return table_to_dataframe(body, expand_stocks=expand_stocks, include_hidden=include_hidden, **provenance)
    if kind == "chart":
        return chart_to_dataframe(body, **provenance)
    raise ArtifactKindError(
        f"{_artifact_name(provenance['artifact_id'], body)} is a {kind} artifact, not a table "
        "or chart, so it has no DataFrame form; its content is in Artifact.raw"
    )


def _artifact_name(artifact_id: str | None, body: Any) -> str:
    named = f"artifact {artifact_id!r}" if artifact_id else "this artifact"
    title = body.get("title") if isinstance(body, Mapping) else None
    return f"{named} ({title!r})" if title else named


def _citations_by_id(artifact: Any) -> Mapping[str, object] | None:
    objects = getattr(artifact, "citations", None)
    if isinstance(artifact, Mapping) or objects is None:
        return None
    by_id = {cit_id: c for c in objects if (cit_id := _citation_id(c)) is not None}
    return by_id or None


# --------------------------------------------------------------------------------------------
# Citations.

CITATION_COLUMNS: Mapping[str, str] = {
    "id": "string",
    "type": "string",
    "title": "string",
    "url": "string",
    "published": "datetime",
    "snippet": "string",
    "inline_offset": "integer",
}

# Raw keys that the common columns already show; they are not repeated among the extra columns.
_CONSUMED_KEYS = frozenset(
    {
        "citation_id",
        "id",
        "citation_type",
        "type",
        "name",
        "title",
        "headline",
        "link",
        "url",
        "published_at",
        "published",
        "summary",
        "snippet",
        "inline_offset",
    }
)

# The types of the type-specific fields of reference §4.2; other fields stay object.
CITATION_FIELD_TYPES: Mapping[str, str] = {
    "source_category": "string",
    "last_updated_at": "datetime",
    "is_snippet": "boolean",
    "num_articles": "integer",
    "development_start": "datetime",
    "article_id": "string",
    "last_fetched_at": "datetime",
    "snippet_highlight_start": "integer",
    "snippet_highlight_end": "integer",
    "custom_doc_id": "string",
    "chunk_id": "string",
    "internal_id": "string",
}


def _citation_raw(citation: Any) -> Mapping[str, Any]:
    raw = citation if isinstance(citation, Mapping) else getattr(citation, "raw", None)
    return raw if isinstance(raw, Mapping) else {}


def _lenient_column(name: str, col_type: str | None, cells: list[Any]) -> _FrameColumn:
    """Citations have no declared schema: a field that does not fit its type stays object."""
    values = _object_array(cells)
    convert = (_column_type(col_type) or _OBJECT).convert
    try:
        array = _convert_column(convert, values, name, col_type, values)
    except TableConversionError as exc:
        warnings.warn(f"{exc}; kept as object dtype", TableConversionWarning, stacklevel=3)
        array, col_type = values, None
    meta = _column_meta({"name": name, "col_type": col_type}, name, 0, array.dtype)
    return _FrameColumn(name, array, meta)


def citations_to_dataframe(citations: Sequence[Any]) -> pd.DataFrame:
    """One row per citation: ``id``, ``type``, ``title``, ``url``, ``published``, ``snippet``,
    ``inline_offset``, then every other raw field (typed per reference §4.2, else object).

    Accepts Citation objects (``.id``, ``.type``, ... and ``.raw``) or plain dicts.
    """
    citations = [Citation.from_raw(c) if isinstance(c, Mapping) else c for c in citations]
    raws = [_citation_raw(c) for c in citations]
    extra_fields = [key for key in dict.fromkeys(k for raw in raws for k in raw) if key not in _CONSUMED_KEYS]
    columns = [
        _lenient_column(name, col_type, [getattr(c, name, None) for c in citations])
        for name, col_type in CITATION_COLUMNS.items()
    ]
    columns += [
        _lenient_column(key, CITATION_FIELD_TYPES.get(key), [raw.get(key) for raw in raws]) for key in extra_fields
    ]
    return _assemble(columns, len(citations), {"alfa_kind": "citations"})


# --------------------------------------------------------------------------------------------
# Display.


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def format_value(value: Any, col_type: str | None, unit: str | None = None) -> str:
    """How one value of a ``col_type`` reads (``MISSING_TEXT`` when missing)."""
    if _is_missing(value):
        return MISSING_TEXT
    kind = _column_type(col_type) or _OBJECT
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
