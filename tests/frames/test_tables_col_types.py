"""Every col_type a table may declare (docs/protocol.md, Artifacts): its dtype, its values, its
nulls, its bad cells."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from table_builders import (
    ALL_COL_TYPES,
    EXPECTED_DTYPES,
    SAMPLE_CELLS,
    WRONG_CELLS,
    column,
    stock,
    table,
)

from alfa_notebook.results.frames import (
    TableConversionError,
    TableConversionWarning,
    column_dtype,
    format_column,
    table_to_dataframe,
)

EXPECTED_VALUES = {
    "integer": 42,
    "integer_with_unit": -7,
    "float": 1.5,
    "float_with_unit": 2.25,
    "currency": 1234.5,
    "delta": -3.0,
    "percent": 0.25,
    "pct_delta": 0.031,
    "score": 0.87,
    "boolean": True,
    "string": "NA",
    "stock": "NA",
    "date": pd.Timestamp("2024-05-01"),
    "datetime": pd.Timestamp("2024-05-01T13:45:10.123456", tz="UTC"),
    "quarter": pd.Period("2024Q2", freq="Q-DEC"),
    "month": pd.Period("2024-05", freq="M"),
    "year": pd.Period("2024", freq="Y-DEC"),
}


def convert_one(col_type: str, cells: list, **column_extra) -> pd.Series:
    frame = table_to_dataframe(table([column("C", col_type, **column_extra)], [[c] for c in cells]))
    return frame["C"]


def test_the_tables_cover_every_col_type() -> None:
    assert set(EXPECTED_DTYPES) == set(ALL_COL_TYPES) == set(SAMPLE_CELLS) == set(WRONG_CELLS)


@pytest.mark.parametrize("col_type", ALL_COL_TYPES)
def test_each_col_type_has_its_dtype_value_and_missing_value(col_type: str) -> None:
    series = convert_one(col_type, [SAMPLE_CELLS[col_type], None])
    assert str(series.dtype) == EXPECTED_DTYPES[col_type] == column_dtype(col_type)
    assert series[0] == EXPECTED_VALUES[col_type]
    assert pd.isna(series[1])
    assert series.isna().tolist() == [False, True]


@pytest.mark.parametrize("col_type", ALL_COL_TYPES)
def test_a_column_of_only_nulls_keeps_its_dtype(col_type: str) -> None:
    series = convert_one(col_type, [None, None, None])
    assert str(series.dtype) == EXPECTED_DTYPES[col_type]
    assert series.isna().all()


def test_an_empty_table_has_every_column_with_its_dtype() -> None:
    columns = [column(f"c_{col_type}", col_type) for col_type in ALL_COL_TYPES]
    frame = table_to_dataframe(table(columns, []))
    assert frame.shape == (0, len(ALL_COL_TYPES))
    assert list(frame.columns) == [c["name"] for c in columns]
    assert [str(t) for t in frame.dtypes] == [EXPECTED_DTYPES[t] for t in ALL_COL_TYPES]


def test_a_one_row_table_of_every_col_type() -> None:
    columns = [column(f"c_{col_type}", col_type) for col_type in ALL_COL_TYPES]
    frame = table_to_dataframe(table(columns, [[SAMPLE_CELLS[t] for t in ALL_COL_TYPES]]))
    assert frame.shape == (1, len(ALL_COL_TYPES))
    assert frame.iloc[0].tolist() == [EXPECTED_VALUES[t] for t in ALL_COL_TYPES]


def test_a_table_without_columns_or_rows() -> None:
    assert table_to_dataframe({"columns": [], "rows": []}).shape == (0, 0)
    assert table_to_dataframe({"columns": [], "rows": [[], []]}).shape == (2, 0)
    assert table_to_dataframe({"output_type": "table"}).shape == (0, 0)


IDENTIFIERS = ["NA", "N/A", "null", "None", "nan", "NaN", "", "00724F101", "0001", "1e5", "TRUE"]


@pytest.mark.parametrize("infer_string", [True, False])
def test_identifiers_stay_exactly_the_strings_sent(infer_string: bool) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the option itself is deprecated in pandas 3
        with pd.option_context("future.infer_string", infer_string):
            series = convert_one("string", [*IDENTIFIERS, None])
    assert series.dtype == pd.StringDtype()
    assert series.tolist()[:-1] == IDENTIFIERS
    assert series.isna().tolist() == [False] * len(IDENTIFIERS) + [True]


def test_the_na_ticker_is_a_ticker() -> None:
    series = convert_one("stock", [stock("NA"), stock("N/A", 2), None])
    assert series.tolist()[:2] == ["NA", "N/A"]
    assert series.isna().tolist() == [False, False, True]


def test_a_leading_zero_cusip_keeps_its_zeros() -> None:
    assert convert_one("string", ["00724F101", "037833100"]).tolist() == ["00724F101", "037833100"]


def test_percent_and_pct_delta_stay_fractions() -> None:
    assert convert_one("percent", [0.25, 1.0, 0.0]).tolist() == [0.25, 1.0, 0.0]
    assert convert_one("pct_delta", [-0.031, 2.5]).tolist() == [-0.031, 2.5]


def test_nan_from_the_wire_is_missing() -> None:
    assert convert_one("float", [float("nan"), 1.0]).isna().tolist() == [True, False]


def test_numbers_interoperate_with_numpy() -> None:
    floats = convert_one("currency", [1.5, None, 2.5])
    np.testing.assert_array_equal(floats.to_numpy(dtype="float64", na_value=np.nan), [1.5, np.nan, 2.5])
    assert float(np.nanmean(floats.to_numpy(dtype="float64", na_value=np.nan))) == 2.0
    assert floats.mean() == 2.0
    assert np.log(floats).dtype == "Float64"
    integers = convert_one("integer", [1, None, 3])
    assert integers.sum() == 4
    assert integers.astype("float64").isna().tolist() == [False, True, False]


def test_an_integer_column_takes_integral_floats_and_refuses_others() -> None:
    assert convert_one("integer", [3.0, 4]).tolist() == [3, 4]
    with pytest.raises(TableConversionError, match="row 1"):
        convert_one("integer", [3, 1.5])
    with pytest.raises(TableConversionError, match="row 2"):
        convert_one("integer", [1, 2, 2**63])
    with pytest.raises(TableConversionError, match="row 0"):
        convert_one("integer", [True, 2])


def test_large_integers_are_exact() -> None:
    assert convert_one("integer", [2**63 - 1, -(2**63)]).tolist() == [2**63 - 1, -(2**63)]


def test_datetimes_are_utc_and_dates_naive() -> None:
    stamps = convert_one("datetime", ["2024-05-01T12:00:00+02:00", "2024-05-01T10:00:00", "2024-05-01"])
    assert stamps.dt.tz is not None and str(stamps.dt.tz) == "UTC"
    assert stamps.tolist() == [
        pd.Timestamp("2024-05-01T10:00:00Z"),
        pd.Timestamp("2024-05-01T10:00:00Z"),
        pd.Timestamp("2024-05-01T00:00:00Z"),
    ]
    dates = convert_one("date", ["0001-01-01", "2024-02-29", "9999-12-31"])
    assert dates.dt.tz is None
    assert [(d.year, d.month, d.day) for d in dates] == [(1, 1, 1), (2024, 2, 29), (9999, 12, 31)]
    assert format_column(dates, {"col_type": "date"}) == ["0001-01-01", "2024-02-29", "9999-12-31"]


def test_an_open_ended_sentinel_date_converts_on_every_supported_pandas() -> None:
    # pandas 2 parses to nanoseconds, which end in 2262: one sentinel used to fail the whole table.
    frame = table_to_dataframe(
        table(
            [column("Until", "date"), column("Expires", "datetime")],
            [["9999-12-31", "9999-12-31T20:00:00-02:00"], ["2024-05-01", "2024-05-01T10:00:00"], [None, None]],
        )
    )
    assert str(frame["Until"].dtype) == "datetime64[us]"
    assert format_column(frame["Until"], {"col_type": "date"}) == ["9999-12-31", "2024-05-01", "\u2014"]
    expires = frame["Expires"]
    assert str(expires.dtype) == "datetime64[us, UTC]"
    assert [(t.year, t.month, t.day, t.hour) for t in expires.iloc[:2]] == [(9999, 12, 31, 22), (2024, 5, 1, 10)]


def test_quarters_accept_the_usual_spellings() -> None:
    quarters = convert_one("quarter", ["2024Q2", "2024-Q3", "2024q4"])
    assert [str(q) for q in quarters] == ["2024Q2", "2024Q3", "2024Q4"]
    assert (quarters + 1).tolist()[0] == pd.Period("2024Q3", freq="Q")


def test_unicode_names_and_cells() -> None:
    frame = table_to_dataframe(
        table(
            [column("Société", "string", display_name="Société générale 📈"), column("收益", "percent")],
            [["Ünïcödé ✓", 0.5], ["日本株", None]],
        )
    )
    assert list(frame.columns) == ["Société générale 📈", "收益"]
    assert frame["Société générale 📈"].tolist() == ["Ünïcödé ✓", "日本株"]


@pytest.mark.parametrize("col_type", ALL_COL_TYPES)
def test_a_cell_of_the_wrong_type_names_its_column_and_row(col_type: str) -> None:
    good = SAMPLE_CELLS[col_type]
    rows = [[good], [None], [good], [WRONG_CELLS[col_type]], [good]]
    with pytest.raises(TableConversionError) as caught:
        table_to_dataframe(table([column("Price", col_type, display_name="Last price")], rows))
    error = caught.value
    assert (error.column, error.row) == ("Last price", 3)
    assert "'Last price'" in str(error) and "row 3" in str(error) and col_type in str(error)


def test_a_wrong_cell_on_the_first_and_last_row_is_found() -> None:
    for bad_row in (0, 999):
        cells = [1.0] * 1000
        cells[bad_row] = "x"
        with pytest.raises(TableConversionError) as caught:
            convert_one("float", cells)
        assert caught.value.row == bad_row


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([[1, 2], [3]], "row 1 has 1 cells but the table has 2 columns"),
        ([[1, 2], [3, 4], [5, 6, 7]], "row 2 has 3 cells but the table has 2 columns"),
        ([[1, 2], None], "row 1 is None"),
        ([{"a": 1, "b": 2}], "row 0 is {'a': 1, 'b': 2} (dict), not a list of 2 cells"),
    ],
)
def test_a_row_of_the_wrong_shape_is_an_error_not_a_shift(rows: list, message: str) -> None:
    with pytest.raises(TableConversionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        table_to_dataframe(table([column("a", "integer"), column("b", "integer")], rows))


def test_an_unknown_col_type_falls_back_to_object_with_a_warning() -> None:
    with pytest.warns(TableConversionWarning, match=r"column 'Blob' has unknown col_type 'vector'"):
        frame = table_to_dataframe(table([column("Blob", "vector")], [[[1, 2]], ["x"], [None]]))
    assert frame["Blob"].dtype == object
    assert frame["Blob"].tolist() == [[1, 2], "x", None]
    assert frame.attrs["alfa_columns"]["Blob"]["col_type"] == "vector"


def test_a_missing_col_type_is_unknown_too() -> None:
    with pytest.warns(TableConversionWarning, match="unknown col_type None"):
        frame = table_to_dataframe(table([column("x", None)], [[1]]))
    assert frame["x"].dtype == object


def test_col_type_spelling_is_forgiving_but_kept_raw() -> None:
    frame = table_to_dataframe(table([column("p", "PCT_DELTA")], [[0.5]]))
    assert frame["p"].dtype == "Float64"
    assert frame.attrs["alfa_columns"]["p"]["col_type"] == "PCT_DELTA"


def test_a_cell_nested_deeper_than_repr_can_go_is_named_in_the_conversion_error() -> None:
    """The error names the row and shows the cell: a cell nested past Python's recursion limit (JSON
    as deep as the parser accepts) must still give that error, not a RecursionError from showing it."""
    import sys

    deep: list[object] = []
    for _ in range(sys.getrecursionlimit() * 2):
        deep = [deep]
    with pytest.raises(TableConversionError, match=r"row 1: cannot convert \[\[\[.*\(list\)"):
        convert_one("string", ["fine", deep])
