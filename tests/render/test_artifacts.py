"""Artifacts for display: tables capped and formatted, charts drawn, everything else shown."""

from __future__ import annotations

import re

import pytest

from alfa_notebook.render import answer_bundle, svg
from alfa_notebook.render.artifacts import JSON_PREVIEW_CHARS, pretty_json, view
from alfa_notebook.render.grid import table_view, to_markdown, to_text
from alfa_notebook.wire.models import Artifact

from .conftest import make_answer, marker, table_artifact
from .hostile import assert_inert


def test_table_view_formats_and_caps() -> None:
    v = view(table_artifact(rows=30), 4, hint="_alfa.tables[0]")
    table = v.table
    assert table.labels == ["Ticker", "Return", "Price (USD)", "Note"] and table.numeric == [False, True, True, False]
    assert table.rows[0] == ["T0", "+25.0%", "25.20", "—"] and len(table.rows) == 4 and table.total == 30
    assert table.count_note == "4 of 30 rows"
    assert (
        "_4 of 30 rows · `_alfa.tables[0]` has all 30 · `%config AlfaMagics.table_rows = 30` shows them all here_"
        in to_markdown(table)
    )
    text = to_text(table)
    assert text.splitlines()[1:3] == ["Ticker  Return  Price (USD)  Note", "------  ------  -----------  ----"]
    assert text.splitlines()[3] == "T0      +25.0%        25.20  —" and text.endswith(
        "4 of 30 rows · _alfa.tables[0] has all 30 · %config AlfaMagics.table_rows = 30 shows them all here"
    )


def test_small_tables_have_no_row_note() -> None:
    table = view(table_artifact(rows=2), 20).table
    assert not table.capped and table.count_note is None and "rows" not in to_text(table).splitlines()[-1]


def test_markdown_table_cells_cannot_break_the_table() -> None:
    artifact = Artifact.from_raw("t", {"output_type": "table", "title": "T|*x*", "columns": [{"name": "a|b", "col_type": "string"}],
                                       "rows": [["x | y\nz *w* [l](javascript:1) <b>"]]})  # fmt: skip
    md = to_markdown(view(artifact, 5).table)
    assert md.splitlines()[2:] == ["| a\\|b |", "|---|", "| x \\| y z \\*w\\* \\[l\\](javascript:1) &lt;b> |"]


def test_line_chart_svg() -> None:
    answer = make_answer(marker("c"), artifacts=[_line_chart()])
    html = answer_bundle(answer)[0]["text/html"]
    svg = re.search(r"<svg.*?</svg>", html, re.S).group()
    assert svg.count("<polyline") == 3  # A in two runs (a gap), B in one
    assert ">A</text>" in svg and ">B</text>" in svg and ">2024Q1</text>" in svg
    assert_inert(html)


def _line_chart() -> Artifact:
    return Artifact.from_raw("c", {"output_type": "graph", "title": "Line", "graph": {
        "graph_type": "line", "x_axis_type": "quarter", "y_axis_type": "percent",
        "data": [
            {"dataset_id": "A", "dataset_id_type": "string", "points": [
                {"x_val": "2024Q1", "y_val": 0.1}, {"x_val": "2024Q2", "y_val": None},
                {"x_val": "2024Q3", "y_val": 0.3}, {"x_val": "2024Q4", "y_val": 0.25}]},
            {"dataset_id": "B", "dataset_id_type": "string", "points": [
                {"x_val": "2024Q1", "y_val": -0.05}, {"x_val": "2024Q4", "y_val": 0.15}]},
        ]}})  # fmt: skip


def test_bar_chart_svg() -> None:
    bar = Artifact.from_raw("b", {"output_type": "graph", "title": "Bars", "graph": {
        "graph_type": "bar", "data_type": "currency", "data_unit": "USD",
        "data": [{"index": "Q1", "values": [{"label": "NVDA", "value": 10}, {"label": "AMD", "value": -4}]},
                 {"index": "Q2", "values": [{"label": "NVDA", "value": 12}, {"label": "AMD", "value": 5}]}]}})  # fmt: skip
    html = answer_bundle(make_answer(marker("b"), artifacts=[bar]))[0]["text/html"]
    svg = re.search(r"<svg.*?</svg>", html, re.S).group()
    assert svg.count("<rect x=") == 4 + 2  # four bars, two legend swatches
    assert ">Q1</text>" in svg and ">-&#36;5.00</text>" in svg  # a tick below zero, as currency
    assert "<th>Series</th><th>Group</th>" in html


def test_pie_chart_as_share_bars() -> None:
    pie = Artifact.from_raw("p", {"output_type": "graph", "title": "Pie", "graph": {
        "graph_type": "pie", "data_type": "float", "label_type": "string",
        "data": [{"label": "Tech", "value": 3}, {"label": "Energy", "value": 1}]}})  # fmt: skip
    html = answer_bundle(make_answer(marker("p"), artifacts=[pie]))[0]["text/html"]
    assert "3.00 (75.0%)</text>" in html and "1.00 (25.0%)</text>" in html


def test_an_unknown_graph_type_is_shown_as_json() -> None:
    odd = Artifact.from_raw("o", {"output_type": "graph", "title": "Odd", "graph": {"graph_type": "radar", "data": []}})
    html = answer_bundle(make_answer(marker("o"), artifacts=[odd]))[0]["text/html"]
    assert "Could not be read as a chart" in html and "radar" in html


@pytest.mark.parametrize(("low", "high"), [(0, 1), (120.5, 180.2), (-0.05, 0.3), (5, 5), (0, 0), (-3e9, 7e9)])
def test_nice_ticks_cover_the_range(low: float, high: float) -> None:
    ticks = svg.nice_ticks(low, high)
    assert ticks[0] <= low and ticks[-1] >= high and 2 <= len(ticks) <= 12
    steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:])}
    assert len(steps) == 1


def test_big_json_is_cut_with_a_note() -> None:
    text = pretty_json({"x": "y" * (JSON_PREVIEW_CHARS * 2)})
    assert len(text) < JSON_PREVIEW_CHARS + 200 and "more characters; see .artifacts" in text


def test_table_view_of_a_plain_frame_aligns_by_dtype() -> None:
    import pandas as pd

    table = table_view(pd.DataFrame({"a": [1, 2], "b": ["x", "y"], "c": [True, False]}), 5)
    assert table.numeric == [True, False, False] and table.rows == [["1", "x", "True"], ["2", "y", "False"]]
