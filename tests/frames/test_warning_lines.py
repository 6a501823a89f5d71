"""Every warning the package gives is shown at the line the user wrote, whatever the depth of the
call inside the package. (Apart from the tests of each warning's text: mutmut's trampolines add a
frame of their own, so these are in no mutation selection.)"""

from __future__ import annotations

import asyncio

import pytest
from table_builders import answer_with, column, stock, table

import alfa_notebook as alfa
from alfa_notebook.cassette import tape
from alfa_notebook.results.frames import TableConversionWarning, citations_to_dataframe, table_to_dataframe


def _prices(symbol: str, unit: str) -> dict:
    return table([column("Security", "stock"), column("Price", "currency", unit=unit)], [[stock(symbol, 1), 100.0]])


def test_stacked_tables_in_different_units() -> None:
    batch = alfa.Batch(["n", "a"], [answer_with("n", _prices("NVDA", "USD")), answer_with("a", _prices("AMD", "EUR"))])
    with pytest.warns(UserWarning, match="different units") as caught:
        batch.concat_tables()
    assert [w.filename for w in caught] == [__file__]


def test_an_unknown_col_type_from_a_frame_function_and_from_ananswer_with() -> None:
    blob = table([column("Blob", "vector")], [["x"]])
    with pytest.warns(TableConversionWarning, match="unknown col_type") as caught:
        table_to_dataframe(blob)
    with pytest.warns(TableConversionWarning, match="unknown col_type") as through_answer:
        answer_with("b", blob).to_dataframe()
    assert [w.filename for w in [*caught, *through_answer]] == [__file__, __file__]


def test_a_citation_field_that_does_not_fit_its_type() -> None:
    raw = {"id": "c1", "type": "news", "title": "t", "url": "https://x.example", "num_articles": "many"}
    with pytest.warns(TableConversionWarning, match="kept as object dtype") as caught:
        citations_to_dataframe([raw])
    assert [w.filename for w in caught] == [__file__]


@pytest.mark.parametrize("client_class", [alfa.AlfaClient, alfa.AsyncAlfaClient])
def test_a_record_mode_without_a_cassette(client_class: type, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALFA_CASSETTE", raising=False)
    monkeypatch.setenv("ALFA_RECORD_MODE", "all")
    monkeypatch.setattr(tape, "_warned_mode_alone", False)
    with pytest.warns(UserWarning, match="^ALFA_RECORD_MODE is set but no cassette is") as caught:
        client = client_class(api_key="k")
    if isinstance(client, alfa.AsyncAlfaClient):
        asyncio.run(client.aclose())
    else:
        client.close()
    assert [w.filename for w in caught] == [__file__]
