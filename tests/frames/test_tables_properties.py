"""Property-based: random schemas and rows convert, keep shape and order, and round-trip."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from table_builders import ALL_COL_TYPES, EXPECTED_DTYPES, WRONG_CELLS, column, table

from alfa_notebook.results.frames import TableConversionError, table_to_dataframe

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TRICKY_TEXT = st.sampled_from(["NA", "N/A", "null", "None", "nan", "", "00724F101", "0", "TRUE", " "])
texts = TRICKY_TEXT | st.text(max_size=12)
floats = st.floats(allow_nan=False) | st.integers(-(2**53), 2**53)
offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
stocks = st.fixed_dictionaries(
    {
        "gbi_id": st.integers(0, 10**9),
        "symbol": st.none() | texts,
        "company_name": texts,
        "isin": texts,
    },
    optional={"sector": st.none() | texts, "exchange": texts},
)
scores = st.fixed_dictionaries({"val": st.none() | floats, "source": st.none() | texts, "sub_scores": st.just([])})
years = st.integers(1, 9999)

CELLS: dict[str, st.SearchStrategy[Any]] = {
    "integer": st.integers(-(2**63), 2**63 - 1),
    "integer_with_unit": st.integers(-(2**63), 2**63 - 1),
    "float": floats,
    "float_with_unit": floats,
    "currency": floats,
    "delta": floats,
    "percent": floats,
    "pct_delta": floats,
    "score": scores | floats,
    "boolean": st.booleans(),
    "string": texts,
    "stock": stocks | texts,
    "date": st.dates().map(date.isoformat),
    "datetime": st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.none() | offsets
    ).map(datetime.isoformat),
    "quarter": st.tuples(years, st.integers(1, 4)).map(lambda yq: f"{yq[0]:04d}Q{yq[1]}"),
    "month": st.tuples(years, st.integers(1, 12)).map(lambda ym: f"{ym[0]:04d}-{ym[1]:02d}"),
    "year": years.map(lambda y: f"{y:04d}"),
}
PERIOD_FREQ = {"quarter": "Q-DEC", "month": "M", "year": "Y-DEC"}


def expected(col_type: str, cell: Any) -> Any:
    """What the frame must hold for ``cell``, by each col_type's documented rule (None: missing)."""
    if cell is None:
        return None
    if col_type == "stock" and isinstance(cell, dict):
        return cell.get("symbol") or cell.get("isin") or None
    if col_type == "score" and isinstance(cell, dict):
        return expected("float", cell["val"])
    if col_type in PERIOD_FREQ:
        return pd.Period(cell, freq=PERIOD_FREQ[col_type])
    if col_type == "date":
        return pd.Timestamp(cell)
    if col_type == "datetime":
        stamp = pd.Timestamp(cell)
        return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    if EXPECTED_DTYPES[col_type] == "Float64":
        return float(cell)
    return cell


@st.composite
def schemas_and_rows(draw: st.DrawFn, *, plain: bool = False) -> tuple[list[dict], list[list]]:
    """Columns of any col_type with unicode names (some renamed, some hidden), rows with nulls.

    ``plain``: unique names, no display names, all visible (errors then name ``name``).
    """
    col_types = draw(st.lists(st.sampled_from(ALL_COL_TYPES), max_size=6))
    size = len(col_types)
    names = draw(st.lists(st.text(min_size=1, max_size=8), min_size=size, max_size=size, unique=plain))
    columns = [
        column(name, col_type, unit=draw(st.none() | st.sampled_from(["USD", "EUR", "bps"])))
        for name, col_type in zip(names, col_types)
    ]
    if not plain:
        for col in columns:
            col["display_name"] = draw(st.none() | st.text(min_size=1, max_size=8))
            col["is_visible"] = draw(st.booleans())
    n_rows = draw(st.integers(0, 8))
    rows = [[draw(st.none() | CELLS[col_type]) for col_type in col_types] for _ in range(n_rows)]
    return columns, rows


Case = tuple[list[dict], list[list]]


def same(value: Any, wanted: Any) -> bool:
    """Equal and of the same Python type (so "007" never passes as 7, nor 1 as True)."""
    if wanted is None:
        return bool(pd.isna(value))
    return type(value) is type(wanted) and value == wanted


@SETTINGS
@given(schemas_and_rows())
def test_random_tables_convert_keep_shape_and_order_and_round_trip(case: Case) -> None:
    columns, rows = case
    for include_hidden in (False, True):
        frame = table_to_dataframe(table(columns, rows), include_hidden=include_hidden)
        kept = [(j, c) for j, c in enumerate(columns) if include_hidden or c["is_visible"]]
        assert frame.shape == (len(rows), len(kept))
        metas = list(frame.attrs["alfa_columns"].values())
        assert [m["position"] for m in metas] == [j for j, _ in kept]
        assert [m["name"] for m in metas] == [c["name"] for _, c in kept]
        assert len(set(frame.columns)) == len(kept)
        for position, (j, col) in enumerate(kept):
            series = frame.iloc[:, position]
            assert str(series.dtype) == EXPECTED_DTYPES[col["col_type"]]
            for value, row in zip(series.tolist(), rows):
                wanted = expected(col["col_type"], row[j])
                assert same(value, wanted), (col["col_type"], row[j], value, wanted)


@SETTINGS
@given(schemas_and_rows(plain=True), st.data())
def test_one_wrong_cell_is_named_by_its_column_and_row(case: Case, data: st.DataObject) -> None:
    columns, rows = case
    if not columns or not rows:
        return
    row = data.draw(st.integers(0, len(rows) - 1))
    j = data.draw(st.integers(0, len(columns) - 1))
    rows[row][j] = WRONG_CELLS[columns[j]["col_type"]]
    try:
        table_to_dataframe(table(columns, rows))
    except TableConversionError as error:
        assert (error.column, error.row) == (columns[j]["name"], row)
    else:
        raise AssertionError("a wrong cell converted silently")


@SETTINGS
@given(schemas_and_rows(plain=True), st.integers(0, 8))
def test_a_row_of_the_wrong_length_is_named(case: Case, row: int) -> None:
    columns, rows = case
    if row >= len(rows):
        return
    rows[row] = [*rows[row], None]
    try:
        table_to_dataframe(table(columns, rows))
    except TableConversionError as error:
        assert error.row == row
    else:
        raise AssertionError("a long row converted silently")
