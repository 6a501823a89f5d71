"""format_column / format_frame: how each col_type reads on screen."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from table_builders import column, score, stock, table

from alfa_notebook.results.frames import MISSING_TEXT, format_column, format_frame, table_to_dataframe


@pytest.mark.parametrize(
    ("col_type", "unit", "values", "texts"),
    [
        ("percent", None, [0.25, 1.0, -0.005], ["25.0%", "100.0%", "-0.5%"]),
        ("pct_delta", None, [0.031, -0.1, 0.0], ["+3.1%", "-10.0%", "+0.0%"]),
        ("currency", "USD", [1234.5, -0.5, 1e9], ["$1,234.50", "-$0.50", "$1,000,000,000.00"]),
        ("currency", "EUR", [1234.5, -2.0], ["EUR 1,234.50", "-EUR 2.00"]),
        ("currency", None, [1234.5], ["1,234.50"]),
        ("delta", None, [1.5, -2.25, 0.0], ["+1.50", "-2.25", "0.00"]),
        ("integer", None, [1234567, -3], ["1,234,567", "-3"]),
        ("integer_with_unit", "shares", [1200], ["1,200 shares"]),
        ("float", None, [3.14159, 0.000123, 0.0], ["3.14", "0.000123", "0.00"]),
        ("float_with_unit", "USD bn", [2.5], ["2.50 USD bn"]),
        ("score", None, [0.8765], ["0.88"]),
        ("boolean", None, [True, False], ["True", "False"]),
        ("string", None, ["NA", "00724F101"], ["NA", "00724F101"]),
        ("date", None, [pd.Timestamp("2024-05-01")], ["2024-05-01"]),
        ("datetime", None, [pd.Timestamp("2024-05-01T13:45:10Z")], ["2024-05-01 13:45:10 UTC"]),
        ("quarter", None, [pd.Period("2024Q2", freq="Q")], ["2024Q2"]),
        ("month", None, [pd.Period("2024-05", freq="M")], ["2024-05"]),
        ("year", None, [pd.Period("2024", freq="Y")], ["2024"]),
        ("vector", None, [[1, 2]], ["[1, 2]"]),
    ],
)
def test_each_col_type_reads_its_way(col_type: str, unit: str | None, values: list, texts: list) -> None:
    assert format_column(values, {"col_type": col_type, "unit": unit}) == texts


@pytest.mark.parametrize("missing", [None, pd.NA, pd.NaT, np.nan, float("nan")])
def test_missing_values_read_as_an_em_dash(missing: object) -> None:
    assert MISSING_TEXT == "\u2014"
    assert format_column([missing], {"col_type": "currency", "unit": "USD"}) == [MISSING_TEXT]


def test_without_metadata_values_read_as_str() -> None:
    assert format_column([1, "a", None], None) == ["1", "a", MISSING_TEXT]


def test_format_frame_uses_the_frames_metadata() -> None:
    frame = table_to_dataframe(
        table(
            [column("Security", "stock"), column("Price", "currency", unit="USD"), column("Return", "pct_delta"),
             column("Weight", "percent"), column("Score", "score"), column("Q", "quarter")],
            [[stock("NA"), 1234.5, 0.031, 0.25, score(0.5), "2024Q2"], [None] * 6],
        )
    )  # fmt: skip
    texts = format_frame(frame)
    assert texts.iloc[0].tolist() == ["NA", "$1,234.50", "+3.1%", "25.0%", "0.50", "2024Q2"]
    assert texts.iloc[1].tolist() == [MISSING_TEXT] * 6
    assert list(texts.columns) == list(frame.columns)
    assert frame["Weight"][0] == 0.25  # display never rescales the data
