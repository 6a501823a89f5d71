"""Each table citation of the emulator backs the value it sits on: a cell's source is about that
row's stock and states that cell's value (its highlight, when it has one, is the sentence that
does), and no single stock's source stands on a whole column of several stocks. The demo is what a
newcomer judges the product by."""

from __future__ import annotations

import re
from typing import Any

import pytest

from alfa_notebook.emulator.engine import compose_answer
from alfa_notebook.emulator.market import sample_data

JSON = dict[str, Any]
QUESTIONS = [
    "Compare NVDA and AMD revenue growth over the last 4 quarters",
    "Compare NVDA, AMD, INTC, AVGO, QCOM and TXN",
    "Screen all columns",
    "Compare NVDA and AMD revenue and earnings",
]


def _tables(question: str) -> list[JSON]:
    answer = compose_answer(question, earlier=[], files=[], data=sample_data())
    return [a for a in answer.artifacts.values() if a.get("output_type") == "table"]


def _shown(value: Any, col_type: str) -> list[str]:
    """How a sentence may write a cell's value: 125.62 as "125.62", 3065.1 as "3,065.1", a
    percent column's 0.296 as "+29.6%"."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return [str(value)]
    if col_type in ("percent", "pct_delta"):
        return [f"{value:+.1%}", f"{value:.1%}"]
    return [f"{value:,.2f}", f"{value:,.1f}", f"{value:.2f}"]


def _cells(question: str) -> list[tuple[JSON, JSON, list[Any], int | None]]:
    """(table, column, row or [] for a whole column, row index) of every citation reference."""
    found = []
    for table in _tables(question):
        for column in table["columns"]:
            for ref in column["citation_refs"]:
                row = ref["row_index"]
                found.append((table, column, table["rows"][row] if row is not None else [], row))
    return found


@pytest.mark.parametrize("question", QUESTIONS)
def test_a_cells_source_names_its_stock_and_states_its_value(question: str) -> None:
    checked = 0
    for table, column, row, index in _cells(question):
        if index is None:
            continue
        ref_ids = [r["cit_id"] for r in column["citation_refs"] if r["row_index"] == index]
        position = table["columns"].index(column)
        symbol = row[0]["symbol"]
        for citation in (c for c in table["citations"] if c["citation_id"] in ref_ids):
            text = f"{citation['name']} {citation['summary']}"
            company = row[0]["company_name"].rstrip(".")
            assert symbol in text or company in text, (column["name"], symbol, citation["name"])
            start = citation.get("snippet_highlight_start")
            said = (
                citation["summary"]
                if start is None
                else citation["summary"][start : citation["snippet_highlight_end"] + 1]
            )
            value = row[position]["val"] if isinstance(row[position], dict) else row[position]
            assert any(shown in said for shown in _shown(value, column["col_type"])), (column["name"], value, said)
            checked += 1
    assert checked, "no cell citations in these tables"


@pytest.mark.parametrize("question", QUESTIONS)
def test_no_single_stocks_source_stands_on_a_column_of_several(question: str) -> None:
    for table, column, _, index in _cells(question):
        symbols = {row[0]["symbol"] for row in table["rows"] if isinstance(row[0], dict) and "symbol" in row[0]}
        if index is not None or len(symbols) < 2:
            continue
        ids = {r["cit_id"] for r in column["citation_refs"] if r["row_index"] is None}
        for citation in (c for c in table["citations"] if c["citation_id"] in ids):
            named = {s for s in symbols if re.search(rf"\b{re.escape(s)}\b", citation["name"])}
            assert not named, f"{column['name']} of {sorted(symbols)} is cited to {citation['name']!r}"
