"""``Batch.concat_tables(i)`` stacks the items' tables and keeps what ``df.alfa`` reads: units, every
cell's sources under its new row number, stocks; tables whose columns differ are all kept."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from table_builders import answer_with, column, stock, table

import alfa_notebook as alfa


def _prices(symbol: str, rows: int, *, unit: str = "USD", extra: bool = False) -> dict:
    cited = f"px-{symbol}"
    columns = [
        column("Security", "stock"),
        column("Price", "currency", unit=unit, citation_refs=[{"cit_id": cited, "row_index": rows - 1}]),
    ]
    if extra:
        columns.append(column("Dividend", "boolean"))
    body = [[stock(symbol, 10 + n), 100.0 + n] + ([True] if extra else []) for n in range(rows)]
    citations = [{"citation_id": cited, "citation_type": "kpi", "name": f"{symbol} share price"}]
    return table(columns, body, title="Prices", citations=citations)


def test_the_stacked_frame_keeps_units_and_each_cells_sources():
    batch = alfa.Batch(["n", "a"], [answer_with("n", _prices("NVDA", 2)), answer_with("a", _prices("AMD", 3))])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stacked = batch.concat_tables()
    assert list(stacked["key"]) == ["n", "n", "a", "a", "a"]
    assert stacked.alfa.unit("Price") == "USD"
    assert [c.title for c in stacked.alfa.citations(row=1, column="Price")] == ["NVDA share price"]
    assert [c.title for c in stacked.alfa.citations(row=4, column="Price")] == ["AMD share price"]
    assert stacked.alfa.citations(row=2, column="Price") == []
    assert stacked.attrs["alfa_title"] == "Prices"
    assert set(stacked.attrs["alfa_stocks"]["Security"]) == {"NVDA", "AMD"}
    assert str(stacked["Price"].dtype) == "Float64"


def test_tables_whose_columns_differ_are_all_kept_under_the_union_of_columns():
    batch = alfa.Batch(
        ["n", "a"], [answer_with("n", _prices("NVDA", 1)), answer_with("a", _prices("AMD", 1, extra=True))]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stacked = batch.concat_tables()
    assert list(stacked.columns) == ["key", "Security", "Price", "Dividend"]
    assert list(stacked["key"]) == ["n", "a"]
    assert stacked["Dividend"].isna().tolist() == [True, False]
    assert [c.title for c in stacked.alfa.citations(row=1, column="Price")] == ["AMD share price"]


def test_a_column_in_different_units_keeps_none_and_says_so():
    batch = alfa.Batch(
        ["n", "a"], [answer_with("n", _prices("NVDA", 1)), answer_with("a", _prices("AMD", 1, unit="EUR"))]
    )
    with pytest.warns(UserWarning, match="'Price' different units"):
        stacked = batch.concat_tables()
    assert stacked.alfa.unit("Price") is None


def test_no_tables_is_an_empty_frame_with_the_key_column():
    empty = alfa.Batch(
        ["n"], [alfa.Answer(question="q", raw_text="", status="complete", thread_id="t", message_id="m")]
    )
    assert list(empty.concat_tables().columns) == ["key"]
    with pytest.raises(alfa.NoSuchTableError):
        empty.concat_tables(True)
    assert isinstance(empty.concat_tables(), pd.DataFrame)
