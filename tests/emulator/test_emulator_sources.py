"""``source_overrides``: validated like the service would (422), and honoured in the answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from alfa_notebook.emulator import Emulator

from .wire import Alfa, final_message

JSON = dict[str, Any]
QUESTION = "Compare NVDA and AMD revenue and earnings"
ALL_TYPES = {
    "web", "news_development", "news_article", "custom_doc", "company_filing",
    "earnings_summary", "earnings_transcript", "kpi", "theme",
}  # fmt: skip


def _send(api: Alfa, thread_id: str, overrides: object, **extra: str) -> httpx.Response:
    value = overrides if isinstance(overrides, str) else json.dumps(overrides)
    return api.http.post(
        f"/threads/{thread_id}/messages", data={"message": QUESTION, "source_overrides": value, **extra}
    )


def _answer(api: Alfa, overrides: object | None = None, **extra: str) -> tuple[JSON, list[JSON]]:
    thread_id = api.new_thread()
    with api.stream(thread_id) as listening:
        if overrides is None:
            api.send(thread_id, QUESTION).raise_for_status()
        else:
            _send(api, thread_id, overrides, **extra).raise_for_status()
        message = final_message(listening.turn())
    return message, api.artifacts_of(thread_id, message["message"])


def _table_citation_types(artifacts: list[JSON]) -> set[str]:
    return {c["citation_type"] for a in artifacts for c in a.get("citations", [])}


def _cited_ids_in_tables(artifacts: list[JSON]) -> set[str]:
    return {ref["cit_id"] for a in artifacts for c in a.get("columns", []) for ref in c["citation_refs"]}


# -- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("{not json", {"type": "json_invalid", "loc": ["body", "source_overrides"]}),
        (
            '["news"]',
            {"type": "dict_type", "loc": ["body", "source_overrides"], "msg": "Input should be a valid dictionary"},
        ),
        (
            '{"weather": "off"}',
            {
                "type": "extra_forbidden",
                "loc": ["body", "source_overrides", "weather"],
                "msg": "Extra inputs are not permitted",
            },
        ),
        (
            '{"news": "on"}',
            {
                "type": "literal_error",
                "loc": ["body", "source_overrides", "news"],
                "msg": "Input should be 'all_sources' or 'off'",
                "input": "on",
            },
        ),
        (
            '{"update_default_settings": "maybe"}',
            {"type": "bool_parsing", "loc": ["body", "source_overrides", "update_default_settings"]},
        ),
    ],
)
def test_bad_source_overrides_are_422_naming_the_problem(v1: Alfa, value: str, error: JSON) -> None:
    thread_id = v1.new_thread()
    response = _send(v1, thread_id, value)
    assert response.status_code == 422
    (detail,) = response.json()["detail"]
    assert error.items() <= detail.items()
    assert v1.progress(thread_id) is None and v1.history(thread_id)["total_message_count"] == 0


def test_every_problem_is_reported_at_once(v1: Alfa) -> None:
    response = _send(v1, v1.new_thread(), {"news": "none", "filings": "off", "sec": "off"})
    assert [e["loc"][-1] for e in response.json()["detail"]] == ["news", "sec"]


def test_a_bad_update_default_settings_form_field_is_422(v1: Alfa) -> None:
    response = _send(v1, v1.new_thread(), {"news": "off"}, update_default_settings="perhaps")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "update_default_settings"]


# -- honoured --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "gone", "absent_prose", "tool"),
    [
        ("web_search", {"web"}, ["Median P/E"], "web_search"),
        (
            "news",
            {"news_development", "news_article"},
            ["Best twelve-month return", "Worst twelve-month return"],
            "search_news",
        ),
        ("filings", {"company_filing"}, ["reported revenue of"], None),
        ("earnings", {"earnings_summary", "earnings_transcript"}, ["Diluted EPS was", "On the call"], None),
    ],
)
def test_a_source_turned_off_is_not_cited_anywhere(
    v1: Alfa, source: str, gone: set[str], absent_prose: list[str], tool: str | None
) -> None:
    default, _ = _answer(v1)
    message, artifacts = _answer(v1, {source: "off"})
    text, citations = message["message"], message["message_metadata"]["citations"]

    assert {c["citation_type"] for c in default["message_metadata"]["citations"]} == ALL_TYPES
    assert {c["citation_type"] for c in citations} == ALL_TYPES - gone
    assert not _table_citation_types(artifacts) & gone
    assert _cited_ids_in_tables(artifacts) <= {c["citation_id"] for a in artifacts for c in a["citations"]}
    for phrase in absent_prose:
        assert phrase in default["message"] and phrase not in text
    if tool is not None:
        assert tool in default["message_metadata"]["tools_called"]
        assert tool not in message["message_metadata"]["tools_called"]
    label = {"web_search": "web search", "filings": "regulatory filings", "earnings": "earnings reports"}.get(
        source, source
    )
    assert f"Turned off for this answer: {label}.\n" in text
    for citation in citations:  # each claim ends with a period, and its citation right there
        assert 0 < citation["inline_offset"] <= len(text) and text[citation["inline_offset"] - 1] == "."


def test_the_tables_drop_the_citations_of_a_source_turned_off(v1: Alfa) -> None:
    _, default = _answer(v1)
    _, without = _answer(v1, {"filings": "off", "earnings": "off", "news": "off", "web_search": "off"})
    assert _table_citation_types(default) >= {"company_filing", "earnings_summary", "news_development", "web"}
    assert _table_citation_types(without) == {"kpi"}
    performance = without[0]
    assert [bool(c["citation_refs"]) for c in performance["columns"]] == [
        False,
        True,
        False,
        False,
        False,
        False,
        False,
    ]


def test_everything_off_still_answers_from_the_sample_data(v1: Alfa) -> None:
    message, artifacts = _answer(v1, {k: "off" for k in ("web_search", "web_scraping", "filings", "earnings", "news")})
    text = message["message"]
    assert (
        "Turned off for this answer: web search, web scraping, regulatory filings, earnings reports and news.\n" in text
    )
    assert "The table below comes from the sample data set alone." in text
    assert {c["citation_type"] for c in message["message_metadata"]["citations"]} == {"custom_doc", "kpi", "theme"}
    assert [a["title"] for a in artifacts] == ["Performance snapshot", "Quarterly revenue and earnings"]


def test_all_sources_is_the_default(v1: Alfa) -> None:
    default, default_artifacts = _answer(v1)
    explicit, explicit_artifacts = _answer(v1, {"news": "all_sources", "filings": "all_sources"})
    assert explicit["message"] == default["message"] and explicit_artifacts == default_artifacts


@pytest.fixture
def account() -> Iterator[tuple[Emulator, Alfa]]:
    """An emulator of the test's own: default source settings are the account's, server-wide."""
    with Emulator(chunk_delay=0) as emulator, _v1_client(emulator) as http:
        yield emulator, Alfa(http)


def _v1_client(emulator: Emulator) -> httpx.Client:
    return httpx.Client(base_url=f"{emulator.base_url}/client/v1", headers={"x-api-key": emulator.api_key}, timeout=10)


def _types(message: JSON) -> set[str]:
    return {c["citation_type"] for c in message["message_metadata"]["citations"]}


def test_overrides_without_update_default_settings_are_for_one_message(account: tuple[Emulator, Alfa]) -> None:
    emulator, api = account
    assert "news_article" not in _types(_answer(api, {"news": "off"})[0])
    assert "news_article" in _types(_answer(api)[0])
    assert emulator.state().default_sources["news"] == "all_sources"


def test_update_default_settings_makes_them_the_default(account: tuple[Emulator, Alfa]) -> None:
    emulator, api = account
    _answer(api, {"news": "off", "update_default_settings": True})
    assert emulator.state().default_sources == {
        "web_search": "all_sources", "web_scraping": "all_sources", "filings": "all_sources",
        "earnings": "all_sources", "news": "off",
    }  # fmt: skip
    later, _ = _answer(api)
    assert "news_article" not in _types(later) and "Turned off for this answer: news.\n" in later["message"]
    back_for_once, _ = _answer(api, {"news": "all_sources"})
    assert "news_article" in _types(back_for_once)
    assert "news_article" not in _types(_answer(api)[0]), "still the default"
    _answer(api, {"filings": "off"}, update_default_settings="true")  # the form-field spelling
    assert emulator.state().default_sources["filings"] == "off"
    assert _types(_answer(api)[0]).isdisjoint({"news_article", "company_filing"})
