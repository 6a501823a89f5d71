"""What the research engine answers (asked over HTTP): citations, artifacts, triggers, determinism."""

from __future__ import annotations

from typing import Any

from .wire import Alfa, announced, inline_objects

EVERY_COL_TYPE = {
    "integer", "string", "float", "boolean", "integer_with_unit", "float_with_unit", "currency",
    "date", "datetime", "quarter", "year", "month", "percent", "delta", "pct_delta", "stock", "score",
}  # fmt: skip
EVERY_CITATION_TYPE = {
    "web", "news_development", "news_article", "custom_doc", "company_filing",
    "earnings_summary", "earnings_transcript", "kpi", "theme",
}  # fmt: skip


def _ask(v1: Alfa, question: str) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    """A fresh thread's id, the answer to ``question`` in it, and its artifacts."""
    thread_id = v1.new_thread()
    message = v1.answer(question, thread_id=thread_id)
    return thread_id, message, v1.artifacts_of(thread_id, message["message"])


def _column(table: dict[str, Any], name: str) -> list[Any]:
    index = [c["name"] for c in table["columns"]].index(name)
    return [row[index] for row in table["rows"]]


def test_the_same_question_gets_the_same_answer(v1: Alfa) -> None:
    question = "Screen semiconductors, show the revenue trend over time and a memo"
    _, first, first_artifacts = _ask(v1, question)
    _, second, second_artifacts = _ask(v1, question)
    assert first["message"] == second["message"]
    assert first_artifacts == second_artifacts
    assert first["message_metadata"]["citations"] == second["message_metadata"]["citations"]


def test_every_citation_type_with_its_fields(v1: Alfa) -> None:
    _, plain, _ = _ask(v1, "Compare NVDA and AMD")
    _, earnings, _ = _ask(v1, "NVDA revenue and earnings")
    citations = plain["message_metadata"]["citations"] + earnings["message_metadata"]["citations"]
    assert {c["citation_type"] for c in citations} == EVERY_CITATION_TYPE
    for citation in citations:
        assert {"citation_id", "name", "summary", "last_updated_at", "is_snippet", "source_category"} <= set(citation)
        if "link" in citation:
            assert citation["link"].startswith("https://") and ".example." in citation["link"]
        if "snippet_highlight_start" in citation:
            start, end = citation["snippet_highlight_start"], citation["snippet_highlight_end"]
            assert 0 <= start <= end < len(citation["summary"])
    by_type = {c["citation_type"]: c for c in citations}
    assert by_type["news_development"]["num_articles"] > 0 and by_type["news_development"]["development_start"]
    assert by_type["news_article"]["article_id"] and by_type["web"]["last_fetched_at"]
    assert by_type["custom_doc"]["custom_doc_id"] and by_type["custom_doc"]["is_snippet"] is True


def test_screen_covers_every_col_type(v1: Alfa) -> None:
    _, message, artifacts = _ask(v1, "Screen all columns")
    (screen,) = [a for a in artifacts if a["title"].startswith("Screen")]
    columns = {c["name"]: c for c in screen["columns"]}
    assert {c["col_type"] for c in screen["columns"]} == EVERY_COL_TYPE
    assert columns["Price"]["unit"] == "USD" and columns["Price"]["col_type"] == "currency"
    assert columns["gbi_id"]["is_visible"] is False
    assert columns["Revenue growth YoY"]["display_name"] == "Rev. growth (YoY)"
    assert screen["columns"][0]["is_highlighted"] is True

    symbols = [cell["symbol"] for cell in _column(screen, "Security")]
    assert "NA" in symbols and len(symbols) == 41
    cusips = _column(screen, "CUSIP")
    assert "00724F101" in cusips and "007903107" in cusips and all(isinstance(c, str) for c in cusips)
    with_nulls = [name for name in columns if None in _column(screen, name)]
    assert len(with_nulls) >= 3
    assert all(abs(value) < 5 for value in _column(screen, "1Y return")), "percent as fractions"
    scores = [cell["val"] for cell in _column(screen, "Alfa score")]
    assert scores == sorted(scores, reverse=True)

    refs = [(ref, name) for name, c in columns.items() for ref in c["citation_refs"]]
    assert {ref["row_index"] is None for ref, _ in refs} == {True, False}
    table_citation_ids = {c["citation_id"] for c in screen["citations"]}
    assert {ref["cit_id"] for ref, _ in refs} <= table_citation_ids
    assert "00724F101" not in message["message"], "identifiers live in the table, not the prose"


def test_top_n_ranks_by_return(v1: Alfa) -> None:
    _, message, (ranking,) = _ask(v1, "Top 3 performers in semiconductors")
    assert message["message"].startswith("## Top 3 performers: semiconductors")
    assert _column(ranking, "Rank") == [1, 2, 3]
    assert ranking["columns"][0]["display_name"] == "#"
    returns = _column(ranking, "1Y return")
    assert returns == sorted(returns, reverse=True)


def test_a_trend_question_gets_a_line_chart_and_a_table(v1: Alfa) -> None:
    _, _, artifacts = _ask(v1, "Show the price trend of NVDA and AMD over time")
    kinds = [a["output_type"] for a in artifacts]
    assert kinds == ["table", "graph", "table"]
    graph = artifacts[1]["graph"]
    assert graph["graph_type"] == "line" and graph["y_unit"] == "USD"
    assert [d["dataset_id"]["symbol"] for d in graph["data"]] == ["NVDA", "AMD"]
    assert all(len(d["points"]) == 13 for d in graph["data"])
    assert {c["col_type"] for c in artifacts[2]["columns"]} >= {"month", "stock", "currency", "pct_delta"}


def test_fundamentals_and_memo_triggers(v1: Alfa) -> None:
    _, message, artifacts = _ask(v1, "Summarize JPM quarterly revenue in a memo")
    kinds = [(a["output_type"], a["title"]) for a in artifacts]
    assert ("table", "Quarterly revenue and earnings") in kinds
    (memo,) = [a for a in artifacts if a["output_type"] == "text"]
    assert "JPM" in memo["val"] and inline_objects(memo["val"])
    fundamentals = next(a for a in artifacts if a["title"] == "Quarterly revenue and earnings")
    assert {c["col_type"] for c in fundamentals["columns"]} >= {"quarter", "year", "pct_delta", "delta"}


def test_prose_has_inline_stock_objects(v1: Alfa) -> None:
    _, message, _ = _ask(v1, "How are banks doing?")
    stocks = [obj for obj in inline_objects(message["message"]) if obj["type"] == "stock"]
    assert stocks and {"gbi_id", "symbol", "company_name"} <= set(stocks[0])


def test_a_follow_up_refers_to_the_previous_question(v1: Alfa) -> None:
    thread_id = v1.new_thread()
    v1.answer("Compare NVDA and AMD", thread_id=thread_id)
    follow_up = v1.answer("Now show me the trend over time", thread_id=thread_id)
    assert "Following up on your earlier question (“Compare NVDA and AMD”)" in follow_up["message"]
    (graph,) = [a for a in v1.artifacts_of(thread_id, follow_up["message"]) if a["output_type"] == "graph"]
    assert [d["dataset_id"]["symbol"] for d in graph["graph"]["data"]] == ["NVDA", "AMD"]


def test_the_ticker_na_is_a_ticker(v1: Alfa) -> None:
    thread_id, message, (table,) = _ask(v1, "How did NA do?")
    assert [cell["symbol"] for cell in _column(table, "Security")] == ["NA"]
    assert announced(message["message"], "stock", "symbol") == ["NA"]
