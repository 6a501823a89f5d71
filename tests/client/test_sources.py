"""Choosing the data sources of an answer: validated here, sent as source_overrides, honoured."""

from __future__ import annotations

import json

import pytest
import respx

import alfa_notebook as alfa
from alfa_notebook.turn.steps import Call, OpenStream
from alfa_notebook.wire.source_overrides import source_overrides

QUESTION = "Compare NVDA and AMD revenue and earnings"


def citation_types(answer: alfa.Answer) -> set[str]:
    """Every citation type of the answer: its text's and its tables' (cell, column and table level)."""
    return set(answer.citations_frame()["type"].dropna())


def test_with_web_search_off_no_web_source_is_cited_anywhere(client) -> None:  # type: ignore[no-untyped-def]
    everything = client.ask(QUESTION)
    no_web = client.ask(QUESTION, sources={"web_search": "off", "filings": "all_sources"})
    assert "web" in citation_types(everything)
    assert "web" not in citation_types(no_web)
    assert "company_filing" in citation_types(no_web)


def test_the_clients_default_applies_and_each_ask_adds_to_it(alfa_emulator) -> None:  # type: ignore[no-untyped-def]
    with alfa.AlfaClient(api_key=alfa_emulator.api_key, base_url=alfa_emulator.base_url, sources="web=off") as client:
        types = citation_types(client.ask(QUESTION, sources={"news": "off"}))
    assert not types & {"web", "news_article", "news_development"}
    assert {"company_filing", "earnings_summary"} <= types


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        (
            {"weather": "off"},
            "unknown source 'weather': the sources are web_search, web_scraping, filings, "
            "earnings, news (web and scraping for short), plus update_default_settings",
        ),
        ({"news": "none"}, "source news is 'all_sources' (or 'on') or 'off', not 'none'"),
        ({"update_default_settings": "perhaps"}, "update_default_settings is true or false, not 'perhaps'"),
        ("web", "--sources takes name=value pairs such as web=off,filings=on, not 'web'"),
    ],
)
def test_an_unknown_name_or_value_is_one_line_and_nothing_is_sent(sources: object, message: str) -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.route()
        client = alfa.AlfaClient(api_key="k", base_url="https://alfa.example.com")
        with pytest.raises(alfa.ConfigurationError) as error:
            client.ask(QUESTION, thread_id="t1", sources=sources)  # type: ignore[arg-type]
        client.close()
    assert str(error.value) == message
    assert not route.called


def test_short_names_become_the_services_names_sent_as_a_json_string() -> None:
    assert source_overrides("web=off, scraping=on,filings=all_sources,update_default_settings=false") == {
        "web_search": "off",
        "web_scraping": "all_sources",
        "filings": "all_sources",
        "update_default_settings": False,
    }
    client = alfa.AlfaClient(api_key="k", base_url="https://alfa.example.com", sources={"news": "off"})
    steps = client._procedure(QUESTION, "t1", None, {"web": "OFF", "earnings": "on"}).run()
    assert isinstance(next(steps), OpenStream)
    send = steps.send(None)
    assert isinstance(send, Call) and send.operation.data is not None
    assert json.loads(send.operation.data["source_overrides"]) == {
        "news": "off", "web_search": "off", "earnings": "all_sources",
    }  # fmt: skip
    client.close()
