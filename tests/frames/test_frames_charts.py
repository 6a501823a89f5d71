"""Graph artifacts (line, bar, pie) as tidy long frames: series, x, y."""

from __future__ import annotations

import pandas as pd
import pytest
from table_builders import stock

from alfa_notebook.results.frames import (
    TableConversionError,
    artifact_to_dataframe,
    chart_to_dataframe,
    format_frame,
)


def graph(graph: dict, title: str = "Chart", citations: list | None = None) -> dict:
    return {"output_type": "graph", "title": title, "citations": citations or [], "graph": graph}


LINE = graph(
    {
        "graph_type": "line",
        "x_axis_type": "date",
        "x_unit": None,
        "y_axis_type": "currency",
        "y_unit": "USD",
        "data": [
            {
                "dataset_id": stock("AAPL"),
                "dataset_id_type": "stock",
                "points": [
                    {"x_val": "2024-01-02", "y_val": 185.6},
                    {"x_val": "2024-01-03", "y_val": None},
                ],
            },
            {
                "dataset_id": "MSFT",
                "dataset_id_type": "stock",
                "points": [{"x_val": "2024-01-02", "y_val": 370}],
            },
        ],
    },
    title="Closing prices",
)


def test_a_line_chart_has_one_row_per_point_with_dates_on_x() -> None:
    frame = chart_to_dataframe(LINE, artifact_id="g1", thread_id="t1")
    assert list(frame.columns) == ["series", "x", "y"]
    assert [str(t) for t in frame.dtypes] == ["string", "datetime64[us]", "Float64"]
    assert frame["series"].tolist() == ["AAPL", "AAPL", "MSFT"]
    assert frame["x"].tolist() == list(pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-02"]))
    assert frame["y"].isna().tolist() == [False, True, False]
    assert frame.attrs["alfa_graph"] == {
        "graph_type": "line", "series_type": "stock", "x_type": "date", "x_unit": None,
        "y_type": "currency", "y_unit": "USD",
    }  # fmt: skip
    assert frame.attrs["alfa_columns"]["y"]["unit"] == "USD"
    assert frame.attrs["alfa_stocks"]["series"]["AAPL"]["company_name"] == "AAPL Inc."
    assert (frame.attrs["alfa_kind"], frame.attrs["alfa_artifact_id"]) == ("chart", "g1")
    assert frame.attrs["alfa_title"] == "Closing prices"
    assert format_frame(frame)["y"].tolist() == ["$185.60", "\u2014", "$370.00"]


def test_a_line_chart_pivots_wide_for_plotting() -> None:
    wide = chart_to_dataframe(LINE).pivot(index="x", columns="series", values="y")
    assert wide.loc[pd.Timestamp("2024-01-02"), "MSFT"] == 370


def test_a_bar_chart_has_one_row_per_bar_with_the_index_typed() -> None:
    frame = chart_to_dataframe(
        graph(
            {
                "graph_type": "bar",
                "data_type": "pct_delta",
                "data_unit": None,
                "index_type": "quarter",
                "label_type": "stock",
                "data": [
                    {
                        "index": "2024Q1",
                        "values": [{"label": "NVDA", "value": 0.12}, {"label": "AMD", "value": -0.02}],
                    },
                    {"index": "2024Q2", "values": [{"label": "NVDA", "value": None}]},
                ],
            }
        )
    )
    assert [str(t) for t in frame.dtypes] == ["string", "period[Q-DEC]", "Float64"]
    assert frame["series"].tolist() == ["NVDA", "AMD", "NVDA"]
    assert [str(x) for x in frame["x"]] == ["2024Q1", "2024Q1", "2024Q2"]
    assert format_frame(frame)["y"].tolist() == ["+12.0%", "-2.0%", "\u2014"]


def test_a_bar_chart_defaults_to_string_index_and_labels() -> None:
    bars = [{"index": "Q1", "values": [{"label": "a", "value": 3}]}]
    frame = chart_to_dataframe(graph({"graph_type": "bar", "data_type": "integer", "data": bars}))
    assert [str(t) for t in frame.dtypes] == ["string", "string", "Int64"]


def test_a_pie_chart_has_one_row_per_slice_under_the_title() -> None:
    frame = chart_to_dataframe(
        graph(
            {
                "graph_type": "pie",
                "label_type": "string",
                "data_type": "percent",
                "unit": None,
                "data": [
                    {
                        "label": "Technology",
                        "value": 0.6,
                        "citation_refs": [{"cit_id": "c1", "row_index": None}],
                    },
                    {"label": "Energy", "value": 0.4, "citation_refs": []},
                ],
            },
            title="Sector weights",
            citations=[{"citation_id": "c1", "citation_type": "web", "name": "Index provider"}],
        )
    )
    assert frame["series"].tolist() == ["Sector weights"] * 2
    assert frame["x"].tolist() == ["Technology", "Energy"]
    assert frame["y"].tolist() == [0.6, 0.4]
    assert frame.attrs["alfa_columns"]["y"]["row_citation_ids"] == {"0": ["c1"]}
    assert frame.attrs["alfa_citations"]["c1"]["name"] == "Index provider"
    assert format_frame(frame)["y"].tolist() == ["60.0%", "40.0%"]


def test_a_pie_chart_without_title_is_series_pie() -> None:
    pie = {"graph_type": "pie", "data_type": "float", "data": [{"label": "a", "value": 1}]}
    artifact = {"output_type": "graph", "graph": pie}
    assert chart_to_dataframe(artifact)["series"].tolist() == ["pie"]


def test_an_empty_chart_keeps_its_types() -> None:
    frame = chart_to_dataframe(graph({**LINE["graph"], "data": []}))
    assert frame.shape == (0, 3)
    assert [str(t) for t in frame.dtypes] == ["string", "datetime64[us]", "Float64"]


def test_a_bad_point_names_the_column_and_row() -> None:
    points = [{"x_val": "2024-01-02", "y_val": 1}, {"x_val": "2024-01-03", "y_val": "n/a"}]
    dataset = {"dataset_id": "A", "dataset_id_type": "string", "points": points}
    artifact = graph({**LINE["graph"], "data": [dataset]})
    with pytest.raises(TableConversionError, match=r"column 'y' \(col_type 'currency'\), row 1"):
        chart_to_dataframe(artifact)


def test_an_unknown_graph_type_is_a_clear_error() -> None:
    with pytest.raises(TableConversionError, match="unknown graph_type 'radar'.*raw JSON"):
        chart_to_dataframe(graph({"graph_type": "radar", "data": []}))


def test_artifact_to_dataframe_dispatches_charts() -> None:
    assert list(artifact_to_dataframe(LINE, expand_stocks=True).columns) == ["series", "x", "y"]
