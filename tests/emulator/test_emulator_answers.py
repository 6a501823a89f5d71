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


# -- tables cite down to the cell -------------------------------------------------------------


def _refs(table: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {c["name"]: c["citation_refs"] for c in table["columns"] if c["citation_refs"]}


def test_the_default_table_cites_its_cells(v1: Alfa) -> None:
    _, message, (performance,) = _ask(v1, "Compare NVDA and AMD")
    by_id = {c["citation_id"]: c for c in performance["citations"]}
    refs = _refs(performance)
    assert set(refs) == {"Price", "1Y return", "Market cap"}
    (nvda, amd), (best,), (cap,) = refs["Price"], refs["1Y return"], refs["Market cap"]
    assert [nvda["row_index"], amd["row_index"]] == [0, 1]  # each price cell cites its own stock's
    assert [by_id[r["cit_id"]]["name"] for r in (nvda, amd)] == [
        "NVDA share price, monthly close (synthetic)",
        "AMD share price, monthly close (synthetic)",
    ]
    assert best["row_index"] == 0 and by_id[best["cit_id"]]["citation_type"] == "news_development"
    assert by_id[best["cit_id"]]["name"] == "NVIDIA Corp. shares -16.8% over twelve months"
    assert cap["row_index"] == 0 and by_id[cap["cit_id"]]["citation_type"] == "web"
    assert set(by_id) == {r["cit_id"] for rs in refs.values() for r in rs}
    for citation in by_id.values():  # full citation objects, not placed in any prose
        assert {"citation_id", "citation_type", "name", "summary", "last_updated_at", "is_snippet"} <= set(citation)
        assert citation["inline_offset"] is None
    prose_ids = {c["citation_id"] for c in message["message_metadata"]["citations"]}
    assert not prose_ids & set(by_id)


def test_the_fundamentals_table_cites_each_latest_quarter_cell(v1: Alfa) -> None:
    _, _, (_, fundamentals) = _ask(v1, "Compare NVDA and AMD revenue")
    by_id = {c["citation_id"]: c for c in fundamentals["citations"]}
    refs = _refs(fundamentals)
    assert [r["row_index"] for r in refs["Revenue"]] == [3, 7] == [r["row_index"] for r in refs["EPS"]]
    assert [fundamentals["rows"][r["row_index"]][1] for r in refs["Revenue"]] == ["2025Q2", "2025Q2"]
    assert [by_id[r["cit_id"]]["name"] for r in refs["Revenue"]] == [
        "NVDA quarterly report (10-Q), 2025Q2",
        "AMD quarterly report (10-Q), 2025Q2",
    ]
    assert {by_id[r["cit_id"]]["citation_type"] for r in refs["EPS"]} == {"earnings_summary"}


# -- what the emulator cannot answer, and what it charts ---------------------------------------

NO_RESULTS = (
    "The emulator's synthetic data set has nothing on this: it holds only made-up prices, returns "
    "and quarterly results for 41 sample stocks. Try a stock or a sector, for example “Compare NVDA "
    "and AMD” or “How are banks doing?”.\n\n_Emulator: synthetic sample data, not market data._\n"
)


def test_a_question_the_data_set_cannot_answer_is_no_results_found(v1: Alfa) -> None:
    thread_id = v1.new_thread()
    events = v1.ask(thread_id, "What is the weather in Paris?")
    assert events[-2:] == [
        {"event_type": "task_status", "status": "No_Results_Found", "log": "No results found"},
        {"event_type": "execution_status", "status": "No_Results_Found"},
    ]
    message = next(e for e in events if e["event_type"] == "message")["message"]
    assert message["message"] == NO_RESULTS
    assert message["message_metadata"]["citations"] == [] and not inline_objects(message["message"])
    progress = v1.progress(thread_id)
    assert progress is not None and progress["status"] == "No_Results_Found"
    assert v1.history(thread_id)["messages"][-1]["message"] == NO_RESULTS


def test_an_unanswerable_follow_up_does_not_continue_and_is_skipped_later(v1: Alfa) -> None:
    thread_id = v1.new_thread()
    v1.answer("Compare NVDA and AMD", thread_id=thread_id)
    assert v1.answer("What is the weather in Paris?", thread_id=thread_id)["message"] == NO_RESULTS
    follow_up = v1.answer("And over time?", thread_id=thread_id)["message"]
    assert "Following up on your earlier question (“Compare NVDA and AMD”), this covers the same 2 stocks." in follow_up


def test_the_revenue_trend_charts_revenue(v1: Alfa) -> None:
    _, message, artifacts = _ask(v1, "Show me the revenue trend of MSFT")
    text = message["message"]
    assert text.startswith("## MSFT: revenue trend\n")
    assert (
        "From 2023Q3 to 2025Q2, **MSFT**'s quarterly revenue went from $51,659.2 million to "
        "$63,467.7 million (+22.9%)." in text
    )
    assert [(a["output_type"], a["title"]) for a in artifacts] == [
        ("table", "Performance snapshot"),
        ("graph", "Quarterly revenue, 2023Q3 to 2025Q2"),
        ("table", "Quarterly revenue and earnings"),
    ]
    graph = artifacts[1]["graph"]
    assert (graph["x_axis_type"], graph["y_axis_type"], graph["y_unit"]) == ("quarter", "float_with_unit", "USD mn")
    (series,) = graph["data"]
    assert series["dataset_id"]["symbol"] == "MSFT"
    assert series["points"][0] == {"x_val": "2023Q3", "y_val": 51659.2}
    assert series["points"][-1] == {"x_val": "2025Q2", "y_val": 63467.7}
    assert "Monthly close" not in str(artifacts)


def test_an_eps_trend_charts_eps_and_price_wins_when_named(v1: Alfa) -> None:
    _, message, artifacts = _ask(v1, "Chart the EPS of NVDA and AMD over time")
    assert "## NVDA and AMD: EPS trend" in message["message"]
    assert "From 2023Q3 to 2025Q2, **" in message["message"] and "grew diluted EPS the most" in message["message"]
    assert artifacts[1]["title"] == "Diluted EPS, 2023Q3 to 2025Q2" and artifacts[1]["graph"]["y_unit"] == "USD"
    _, _, priced = _ask(v1, "Chart the price and revenue of NVDA over time")
    assert priced[1]["title"] == "Monthly close, 2024-06 to 2025-06"


# -- grammar ------------------------------------------------------------------------------------


def test_one_stock_is_one_stock(v1: Alfa) -> None:
    _, message, _ = _ask(v1, "How did NA do?")
    text = message["message"]
    assert "Scope: NA, 1 stock, priced as of 2025-06-30" in text and "1 stocks" not in text
    assert "- Twelve-month return: ```" in text and "Best twelve-month return" not in text
    assert "- **NA** has no positive trailing earnings, so P/E is not meaningful." in text
    _, _, (table,) = _ask(v1, "Screen NVDA")
    assert table["title"] == "Screen: 1 stock"
    thread_id = v1.new_thread()
    v1.answer("How did NA do?", thread_id=thread_id)
    follow_up = v1.answer("And over time?", thread_id=thread_id)["message"]
    assert "Following up on your earlier question (“How did NA do?”), this covers the same stock." in follow_up


def test_one_profitable_name(v1: Alfa) -> None:
    _, single, _ = _ask(v1, "NVDA revenue and earnings")
    assert "- **NVDA** trades at 47.0x trailing earnings." in single["message"]
    _, pair, _ = _ask(v1, "Compare NA and NVDA")
    assert "- **NVDA** is the only profitable name, at 47.0x trailing earnings." in pair["message"]
    assert "1 profitable names" not in single["message"] + pair["message"]


def test_the_trend_says_fell_least_when_every_stock_fell(v1: Alfa) -> None:
    _, fell, _ = _ask(v1, "Show the price trend of NVDA and AMD over time")
    assert (
        "From 2024-06 to 2025-06, every stock fell; **NVDA** fell least, from $150.94 to $125.62 (-16.8%)."
        in fell["message"]
    )
    assert "fared best" not in fell["message"]
    _, rose, _ = _ask(v1, "Show the price trend of NA and NVDA over time")
    assert "From 2024-06 to 2025-06, **NA** fared best, from $" in rose["message"]
    assert "(+33.0%)." in rose["message"]


def test_top_one_is_the_top_performer(v1: Alfa) -> None:
    _, message, (table,) = _ask(v1, "Top 1 performer in banks")
    assert message["message"].startswith("## Top performer: banks\n")
    assert table["title"] == "Top performer over twelve months"
