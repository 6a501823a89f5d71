"""A table artifact's declared schema to a typed DataFrame: labels, columns, stocks, provenance."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ...wire import caller

try:  # pandas' internal row-to-grid loop (pandas 2 and 3); the public constructor is the fallback
    from pandas._libs.lib import to_object_array
except ImportError:  # pragma: no cover
    to_object_array = None

from .backends import DEFAULT_DTYPE_BACKEND, check_dtype_backend, to_backend
from .coltypes import (
    OBJECT,
    ArrayLike,
    ColumnType,
    TableConversionError,
    TableConversionWarning,
    column_type,
    convert_column,
    describe,
    object_array,
    stock_identifiers,
)
from .readonly import read_only
from .units import DEFAULT_UNITS, check_units, unit_label

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


def _citation_ids(column: Mapping[str, Any]) -> tuple[list[str], dict[str, list[str]]]:
    """Column-level ids, and cell-level ids per row, from ``citation_refs``. Rows are keyed by
    their number as text, as JSON keys them, so that attrs read back from a file are equal."""
    column_ids: list[str] = []
    row_ids: dict[str, list[str]] = {}
    for ref in sequence(column.get("citation_refs")):
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
            row_ids.setdefault(str(row), []).append(str(cit_id))
        else:  # no row, or not a row number: the citation is the column's
            column_ids.append(str(cit_id))
    return column_ids, row_ids


def sequence(value: Any) -> Sequence[Any]:
    """``value`` if it is a JSON array, else nothing: liberal reading of optional lists."""
    return value if isinstance(value, (list, tuple)) else ()


def column_meta(column: Mapping[str, Any], label: str, position: int, dtype: Any) -> dict[str, Any]:
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
class FrameColumn:
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
    codes, uniques = pd.factorize(identifiers)  # in order of first appearance; missing is -1
    first = np.full(len(uniques), len(codes), dtype=np.intp)
    np.minimum.at(first, codes[codes >= 0], np.flatnonzero(codes >= 0))
    return {
        identifier: cells[row]
        for identifier, row in zip(uniques, first.tolist())
        if isinstance(identifier, str) and isinstance(cells[row], dict)
    }


def _stock_fields(cells: np.ndarray) -> list[str]:
    extra = {key: None for cell in cells if isinstance(cell, dict) for key in cell}
    extra.pop("symbol", None)
    return list(STOCK_FIELDS) + [key for key in extra if key not in STOCK_FIELDS]


def _expanded_stock_columns(base: FrameColumn, cells: np.ndarray, taken: set[str]) -> list[FrameColumn]:
    expanded = []
    for stock_field in _stock_fields(cells):
        values = object_array([cell.get(stock_field) if isinstance(cell, dict) else None for cell in cells])
        col_type = STOCK_FIELDS.get(stock_field)
        label = _fresh_label(f"{base.label}.{stock_field}", taken)
        convert = (column_type(col_type) or OBJECT).convert
        array = convert_column(convert, values, label, col_type, values)
        field_column = {
            "name": f"{base.meta['name']}.{stock_field}",
            "col_type": col_type,
            "is_visible": base.meta["is_visible"],
        }
        meta = column_meta(field_column, label, base.meta["position"], array.dtype)
        meta.update(source_column=base.label, stock_field=stock_field)
        expanded.append(FrameColumn(label, array, meta))
    return expanded


# --------------------------------------------------------------------------------------------
# Columns -> frame, shared by tables and charts.


def _declared_kind(col_type: Any, label: str) -> ColumnType:
    kind = column_type(col_type)
    if kind is None:
        caller.warn(
            f"column {label!r} has unknown col_type {col_type!r}; its cells are kept as object dtype",
            TableConversionWarning,
        )
    return kind or OBJECT


def _frame_columns(
    column: Mapping[str, Any],
    position: int,
    label: str,
    cells: np.ndarray,
    *,
    expand_stocks: bool,
    taken: set[str],
) -> list[FrameColumn]:
    """One schema column as frame column(s): itself, then its stock fields if asked."""
    col_type = column.get("col_type")
    kind = _declared_kind(col_type, label)
    values = kind.extract(cells) if kind.extract else cells
    array = convert_column(kind.convert, values, label, col_type, cells)
    converted = FrameColumn(label, array, column_meta(column, label, position, array.dtype))
    if kind.extract is not stock_identifiers:
        return [converted]
    converted.stocks = _stock_details(cells, values)
    if not expand_stocks:
        return [converted]
    return [converted, *_expanded_stock_columns(converted, cells, taken)]


def convert_schema(
    schema: Sequence[tuple[int, Mapping[str, Any]]],
    cells_of: Callable[[int], np.ndarray],
    *,
    expand_stocks: bool = False,
) -> list[FrameColumn]:
    """Convert the columns in ``schema`` (position, column), labelled uniquely, in order."""
    labels = _unique_labels([_label(column, position) for position, column in schema])
    taken = set(labels)
    converted: list[FrameColumn] = []
    for (position, column), label in zip(schema, labels):
        converted += _frame_columns(
            column, position, label, cells_of(position), expand_stocks=expand_stocks, taken=taken
        )
    return converted


def _finish(converted: Sequence[FrameColumn], dtype_backend: str, units: str) -> Sequence[FrameColumn]:
    """The columns under the chosen dtype backend, labelled with their units if asked."""
    if dtype_backend == DEFAULT_DTYPE_BACKEND and units == DEFAULT_UNITS:
        return converted
    labels = [column.label for column in converted]
    if units == "label":
        taken = set(labels)
        labels = [
            label if (wanted := unit_label(label, column.meta["unit"])) == label else _fresh_label(wanted, taken)
            for label, column in zip(labels, converted)
        ]
    renamed = dict(zip((column.label for column in converted), labels))
    finished = []
    for column, label in zip(converted, labels):
        array = to_backend(column.array, dtype_backend)
        meta = {**column.meta, "label": label, "dtype": str(array.dtype)}
        if meta["source_column"] is not None:
            meta["source_column"] = renamed[meta["source_column"]]
        finished.append(FrameColumn(label, array, meta, column.stocks))
    return finished


def assemble(
    converted: Sequence[FrameColumn],
    n_rows: int,
    attrs: dict[str, Any],
    *,
    dtype_backend: str = DEFAULT_DTYPE_BACKEND,
    units: str = DEFAULT_UNITS,
) -> pd.DataFrame:
    """The frame of the converted columns; ``attrs`` hold only JSON values, read-only."""
    converted = _finish(converted, dtype_backend, units)
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
    frame.attrs.update({key: read_only(value) for key, value in attrs.items()})
    return frame


def provenance(
    kind: str, artifact: Mapping[str, Any], artifact_id: Any, thread_id: Any, message_id: Any
) -> dict[str, Any]:
    return {
        "alfa_kind": kind,
        "alfa_artifact_id": artifact_id,
        "alfa_thread_id": thread_id,
        "alfa_message_id": message_id,
        "alfa_title": artifact.get("title"),
    }


def citation_record(citation: Any) -> dict[str, Any]:
    """A citation as the JSON object the service sent (``raw``), so that attrs stay portable:
    pandas writes ``attrs`` to parquet and feather as JSON."""
    raw = citation if isinstance(citation, Mapping) else getattr(citation, "raw", None)
    if isinstance(raw, Mapping) and raw:
        return dict(raw)
    fields = {"citation_id": citation_id(citation), "citation_type": getattr(citation, "type", None),
              "name": getattr(citation, "title", None), "link": getattr(citation, "url", None),
              "summary": getattr(citation, "snippet", None)}  # fmt: skip
    published = getattr(citation, "published", None)
    if published is not None:
        fields["published_at"] = published.isoformat()
    return {key: value for key, value in fields.items() if value is not None}


def citation_id(citation: Any) -> str | None:
    raw_id = (
        citation.get("citation_id") or citation.get("id")
        if isinstance(citation, Mapping)
        else getattr(citation, "id", None)
    )
    return None if raw_id is None else str(raw_id)


def referenced_citations(
    artifact: Mapping[str, Any],
    columns: Iterable[Mapping[str, Any]],
    citations: Mapping[str, object] | None,
) -> dict[str, object]:
    """The artifact's own citations, then those referenced by columns and cells, as JSON objects:
    the caller's Citation objects' ``raw`` where it has them, else (copies of) the table's."""
    listed = {
        cit_id: c
        for c in sequence(artifact.get("citations"))
        if isinstance(c, Mapping) and (cit_id := citation_id(c)) is not None
    }
    pool = {**listed, **(citations or {})}
    wanted = list(listed)
    for column in columns:
        column_ids, row_ids = _citation_ids(column)
        wanted += column_ids + [cit_id for ids in row_ids.values() for cit_id in ids]
    return {cit_id: citation_record(pool[cit_id]) for cit_id in dict.fromkeys(wanted) if cit_id in pool}


# --------------------------------------------------------------------------------------------
# Tables.


def _check_rows(rows: Sequence[Any], width: int) -> None:
    """One C-speed pass over the rows; the culprit is looked for only when something is off."""
    if set(map(type, rows)) <= {list, tuple} and set(map(len, rows)) <= {width}:
        return
    for index, row in enumerate(rows):
        if not isinstance(row, (list, tuple)):
            raise TableConversionError(f"row {index} is {describe(row)}, not a list of {width} cells", row=index)
        if len(row) != width:
            raise TableConversionError(f"row {index} has {len(row)} cells but the table has {width} columns", row=index)


def _cell_grid(rows: Sequence[Sequence[Any]], width: int) -> np.ndarray:
    """Rows as one (rows x columns) object array, cells untouched: pandas' C loop, which the
    DataFrame constructor also uses (reached directly, it costs half as much)."""
    if width == 0:
        return np.empty((len(rows), 0), dtype=object)
    if to_object_array is not None and isinstance(rows, list):
        return to_object_array(rows, min_width=width)
    return pd.DataFrame(rows, columns=range(width), dtype=object).to_numpy()


def _list_field(artifact: Mapping[str, Any], key: str) -> Sequence[Any]:
    value = artifact.get(key)
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise TableConversionError(f"the table's {key!r} is {describe(value)}, not a list")
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
    dtype_backend: str = DEFAULT_DTYPE_BACKEND,
    units: str = DEFAULT_UNITS,
) -> pd.DataFrame:
    """A table artifact (``{"columns", "rows", ...}``) as a typed DataFrame; see module docs.

    ``citations`` maps citation ids to already-built Citation objects; ids it lacks resolve
    against the table's own ``citations`` list. ``dtype_backend`` is pandas' name of the arrays
    wanted (see :mod:`.backends`), ``units`` where units live (see :mod:`.units`).
    """
    dtype_backend, units = check_dtype_backend(dtype_backend), check_units(units)
    columns = _list_field(artifact, "columns")
    rows = _list_field(artifact, "rows")
    for position, column in enumerate(columns):
        if not isinstance(column, Mapping):
            raise TableConversionError(f"column {position} is {describe(column)}, not an object")
    _check_rows(rows, len(columns))
    shown = [(j, c) for j, c in enumerate(columns) if include_hidden or _is_visible(c)]
    grid = _cell_grid(rows, len(columns))
    converted = convert_schema(shown, lambda position: grid[:, position], expand_stocks=expand_stocks)
    attrs = provenance("table", artifact, artifact_id, thread_id, message_id)
    attrs["alfa_hidden_columns"] = [c.get("name") for c in columns if not include_hidden and not _is_visible(c)]
    attrs["alfa_citations"] = referenced_citations(artifact, (c for _, c in shown), citations)
    return assemble(converted, len(rows), attrs, dtype_backend=dtype_backend, units=units)
