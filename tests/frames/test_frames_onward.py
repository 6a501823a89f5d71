"""Tables flow on into the user's pipeline: files, copies, backends, units, sources, conversions."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from table_builders import column, stock, table

from alfa_notebook.results.answer import Answer
from alfa_notebook.results.frames import NotAnAlfaFrameError, chart_to_dataframe, table_to_dataframe
from alfa_notebook.wire.errors import ConfigurationError, NoSuchTableError, OptionalDependencyError
from alfa_notebook.wire.models import Artifact

CITATIONS = [
    {"citation_id": "c1", "citation_type": "web", "name": "Exchange data", "link": "https://example.com/px"},
    {"citation_id": "c2", "citation_type": "company_filing", "name": "NA 10-K", "summary": "Revenue rose."},
    {"citation_id": "c3", "citation_type": "kpi", "name": "Headcount"},
]


def holdings() -> dict:
    return table(
        [
            column("Security", "stock"),
            column("CUSIP", "string"),
            column("Market cap", "float_with_unit", unit="USD bn",
                   citation_refs=[{"cit_id": "c1", "row_index": None}]),
            column("Revenue", "float_with_unit", unit="USD mn",
                   citation_refs=[{"cit_id": "c2", "row_index": 0}]),
            column("Employees", "integer_with_unit", unit="employees"),
            column("Price", "currency", unit="USD"),
            column("Listed", "boolean"),
            column("As of", "date"),
            column("Quarter", "quarter"),
        ],
        [
            [stock("NA", 1, isin="US0000000001"), "00724F101", 1111.0, 250.5, 61000, 25.5, True, "2024-05-01", "2024Q1"],
            [stock("MSFT", 2), "594918104", 3100.0, None, None, 410.0, False, "9999-12-31", "2024Q2"],
            [stock("AAPL", 3), "037833100", 2900.0, 90_000.0, 161000, None, None, None, "2024Q2"],
        ],
        title="Holdings",
        citations=CITATIONS,
    )  # fmt: skip


def holdings_answer() -> Answer:
    marker = '```{"type": "output_artifact", "artifact_id": "t1"}```'
    chart = {
        "output_type": "graph",
        "title": "Price",
        "graph": {
            "graph_type": "line", "x_axis_type": "date", "y_axis_type": "currency", "y_unit": "USD",
            "data": [{"dataset_id": "NA", "dataset_id_type": "string",
                      "points": [{"x_val": "2024-05-01", "y_val": 25.5}, {"x_val": "2024-05-02", "y_val": 26.0}]}],
        },
    }  # fmt: skip
    return Answer(
        question="Holdings?",
        raw_text=f"Here are the holdings.\n\n{marker}",
        status="complete",
        thread_id="t-1",
        message_id="m-1",
        artifacts=[Artifact.from_raw("t1", holdings()), Artifact.from_raw("g1", chart)],
    )


# --------------------------------------------------------------------------------------------
# 1. Portable frames.


def test_a_parquet_round_trip_keeps_values_tickers_zeros_and_sources(tmp_path: Path) -> None:
    frame = Artifact.from_raw("t1", holdings()).to_dataframe()
    frame.to_parquet(tmp_path / "holdings.parquet")
    back = pd.read_parquet(tmp_path / "holdings.parquet")
    assert back["Security"].tolist() == ["NA", "MSFT", "AAPL"]
    assert back["CUSIP"].tolist() == ["00724F101", "594918104", "037833100"]
    assert back["Market cap"].tolist() == [1111.0, 3100.0, 2900.0]
    assert back["Employees"].isna().tolist() == [False, True, False]
    pd.testing.assert_frame_equal(back, frame)
    assert back.attrs == frame.attrs
    assert [c.title for c in back.alfa.citations(row=0, column="Revenue")] == ["NA 10-K"]


def test_feather_keeps_the_attrs_too(tmp_path: Path) -> None:
    frame = Artifact.from_raw("t1", holdings()).to_dataframe()
    frame.to_feather(tmp_path / "holdings.feather")
    back = pd.read_feather(tmp_path / "holdings.feather")
    pd.testing.assert_frame_equal(back, frame)
    assert back.attrs == frame.attrs
    assert back.attrs["alfa_citations"]["c1"]["name"] == "Exchange data"


# --------------------------------------------------------------------------------------------
# 2. Copies.


def test_changing_a_table_never_changes_what_the_answer_shows() -> None:
    answer = holdings_answer()
    shown = answer.to_text()
    df, tables, again = answer.df, answer.tables, answer.to_dataframe()
    df.loc[0, "Price"] = -999.0
    tables[0].loc[1, "Price"] = -999.0
    again.loc[2, "Security"] = "XXX"
    assert answer.to_text() == shown
    assert "-999" not in answer.to_html() and "XXX" not in answer.to_markdown()
    assert answer.df["Price"].tolist()[:2] == [25.5, 410.0]


# --------------------------------------------------------------------------------------------
# 3. dtype backends.


def test_the_numpy_backend_lets_numpy_work_without_casts() -> None:
    frame = table_to_dataframe(holdings(), dtype_backend="numpy")
    dtypes = {label: str(dtype) for label, dtype in frame.dtypes.items()}
    assert dtypes == {
        "Security": "object", "CUSIP": "object", "Market cap": "float64", "Revenue": "float64",
        "Employees": "float64", "Price": "float64", "Listed": "object", "As of": "datetime64[us]",
        "Quarter": "period[Q-DEC]",
    }  # fmt: skip
    numbers = frame[["Market cap", "Revenue", "Price"]].to_numpy()
    assert numbers.dtype == np.float64
    assert np.corrcoef(frame[["Market cap", "Employees"]].dropna().to_numpy().T)[0, 1] == pytest.approx(1.0)
    assert frame["Revenue"].isna().tolist() == [False, True, False]
    assert frame.loc[1, "Revenue"] != frame.loc[1, "Revenue"]  # NaN
    assert frame.loc[2, "Listed"] is None
    complete = table_to_dataframe(table([column("n", "integer"), column("b", "boolean")], [[1, True], [2, False]]),
                                  dtype_backend="numpy")  # fmt: skip
    assert [str(d) for d in complete.dtypes] == ["int64", "bool"]
    assert complete.attrs["alfa_columns"]["n"]["dtype"] == "int64"


def test_the_pyarrow_backend_gives_arrow_columns() -> None:
    frame = table_to_dataframe(holdings(), dtype_backend="pyarrow")
    assert isinstance(frame["Market cap"].dtype, pd.ArrowDtype)
    assert str(frame["Employees"].dtype) == "int64[pyarrow]"
    assert str(frame["Listed"].dtype) == "bool[pyarrow]"
    assert frame["CUSIP"].tolist() == ["00724F101", "594918104", "037833100"]
    assert frame["Revenue"].isna().tolist() == [False, True, False]


@pytest.mark.parametrize("name", ["arrow", "numpy-nullable", None])
def test_an_unknown_backend_is_one_line_naming_pandas_names(name: object) -> None:
    with pytest.raises(ConfigurationError, match="'numpy_nullable', 'pyarrow', 'numpy'") as error:
        table_to_dataframe(holdings(), dtype_backend=name)  # type: ignore[arg-type]
    assert "\n" not in str(error.value)


# --------------------------------------------------------------------------------------------
# 4. Units that survive.


def test_units_in_labels_survive_merge_concat_and_parquet(tmp_path: Path) -> None:
    frame = table_to_dataframe(holdings(), units="label")
    assert list(frame.columns[:6]) == [
        "Security", "CUSIP", "Market cap (USD bn)", "Revenue (USD mn)", "Employees (employees)", "Price (USD)",
    ]  # fmt: skip
    prices = pd.DataFrame({"Security": ["NA", "MSFT"], "Close": [25.0, 411.0]})
    merged = frame.merge(prices, on="Security")
    assert "Market cap (USD bn)" in merged.columns
    stacked = pd.concat([frame, frame.iloc[:1]])
    assert "Revenue (USD mn)" in stacked.columns
    frame.to_parquet(tmp_path / "f.parquet")
    assert "Market cap (USD bn)" in pd.read_parquet(tmp_path / "f.parquet").columns
    assert [c.title for c in frame.alfa.citations(row=0, column="Revenue (USD mn)")] == ["NA 10-K"]


def test_the_default_keeps_labels_and_units_in_attrs() -> None:
    frame = table_to_dataframe(holdings())
    assert "Market cap" in frame.columns and frame.alfa.unit("Market cap") == "USD bn"
    with pytest.raises(ConfigurationError, match="units 'base'"):
        table_to_dataframe(holdings(), units="base")


# --------------------------------------------------------------------------------------------
# 5. Sources down to the cell.


def test_a_cells_sources_are_its_own_then_its_columns() -> None:
    frame = table_to_dataframe(holdings())
    assert [c.id for c in frame.alfa.citations(row=0, column="Revenue")] == ["c2"]
    assert [c.id for c in frame.alfa.citations(row=1, column="Revenue")] == []
    assert [c.title for c in frame.alfa.citations(row=2, column="Market cap")] == ["Exchange data"]
    assert [c.id for c in frame.alfa.citations()] == ["c1", "c2", "c3"]
    resorted = frame.sort_values("Market cap", ascending=False)
    assert [c.id for c in resorted.alfa.citations(row=0, column="Revenue")] == ["c2"]
    with pytest.raises(NotAnAlfaFrameError, match="no Alfa metadata"):
        pd.DataFrame({"a": [1]}).alfa.citations(row=0, column="a")


def test_the_citations_frame_says_where_each_table_source_belongs() -> None:
    frame = holdings_answer().citations_frame()
    places = frame[["id", "table", "row", "column"]].astype(object).where(frame.notna(), None)
    assert places.values.tolist() == [
        ["c1", 0, None, "Market cap"],
        ["c2", 0, 0, "Revenue"],
        ["c3", 0, None, None],
    ]


# --------------------------------------------------------------------------------------------
# 6. Conversions.


def test_tables_by_position_or_title_and_as_markdown_html_text() -> None:
    answer = holdings_answer()
    assert answer.table("Holdings")["CUSIP"].iloc[0] == "00724F101"
    assert answer.table("holdings").shape == answer.table(0).shape == (3, 9)
    with pytest.raises(NoSuchTableError, match=r"no table titled 'Prices'; the answer's tables are \['Holdings'\]"):
        answer.table("Prices")
    with pytest.raises(NoSuchTableError, match="no table 1: the answer has 1 table"):
        answer.to_dataframe(1)
    assert str(answer.to_dataframe(0, dtype_backend="numpy")["Price"].dtype) == "float64"
    assert "Here are the holdings." in answer.to_markdown()
    assert "00724F101" in answer.to_html() and "00724F101" in answer.to_text()


def test_to_polars_keeps_values_and_names_the_extra_when_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    import polars as pl

    frame = holdings_answer().to_polars()
    assert isinstance(frame, pl.DataFrame)
    assert frame["CUSIP"].to_list() == ["00724F101", "594918104", "037833100"]
    assert frame["Quarter"].to_list() == ["2024Q1", "2024Q2", "2024Q2"]
    monkeypatch.setitem(sys.modules, "polars", None)
    with pytest.raises(OptionalDependencyError, match=r"pip install 'alfa-notebook\[polars\]'"):
        holdings_answer().to_polars()


def test_charts_are_tidy_frames_whose_plot_says_how_to_get_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    charts = holdings_answer().charts
    assert len(charts) == 1 and list(charts[0].columns) == ["series", "x", "y"]
    assert charts[0]["y"].tolist() == [25.5, 26.0]
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(OptionalDependencyError, match="pip install matplotlib"):
        charts[0].alfa.plot()
    with pytest.raises(NotAnAlfaFrameError, match="chart"):
        holdings_answer().df.alfa.plot()


def test_a_chart_converts_under_every_backend() -> None:
    chart = {"graph": {"graph_type": "bar", "index_type": "string", "data_type": "float",
                       "data": [{"index": "Q1", "values": [{"label": "NA", "value": 1.5}]}]}}  # fmt: skip
    assert chart_to_dataframe(chart, dtype_backend="numpy")["y"].dtype == np.float64
    assert isinstance(chart_to_dataframe(chart, dtype_backend="pyarrow")["y"].dtype, pd.ArrowDtype)
