"""Citations of every type in docs/protocol.md (Citations), written about the synthetic sample data.

Each builder returns a citation with ``inline_offset`` unset; the prose builder sets it where the
cited claim ends. Links point at reserved example domains (RFC 2606), never at real sites.
Snippet highlights are inclusive character offsets into the citation's own ``summary``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .market import Stock
from .store import Attachment

JSON = dict[str, Any]


def _stamp(as_of: datetime, days_before: int) -> str:
    return (as_of - timedelta(days=days_before)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _citation(
    citation_type: str,
    citation_id: str,
    *,
    name: str,
    summary: str,
    updated: str,
    source_category: str,
    is_snippet: bool = False,
    **extra: Any,
) -> JSON:
    return {
        "citation_id": citation_id,
        "citation_type": citation_type,
        "source_category": source_category,
        "name": name,
        "inline_offset": None,
        "summary": summary,
        "last_updated_at": updated,
        "is_snippet": is_snippet,
        **extra,
    }


def _highlight(summary: str, phrase: str) -> JSON:
    start = summary.index(phrase)
    return {"snippet_highlight_start": start, "snippet_highlight_end": start + len(phrase) - 1}


def _pct(value: float) -> str:
    return f"{value:+.1%}"


def web(citation_id: str, stock: Stock, as_of: datetime, *, claim: str = "valuation") -> JSON:
    """The stock's valuation overview, its highlight on what it is cited for: ``"valuation"``
    (the P/E) or ``"market_value"`` (the market cap)."""
    valuation = (
        f"{stock.symbol} trades at {stock.pe:.1f}x trailing earnings"
        if stock.pe is not None
        else f"{stock.symbol} is loss-making on a trailing twelve-month basis"
    )
    market_value = f"a market value near ${stock.market_cap_busd:,.1f} billion"
    summary = (
        f"An independent overview of {stock.company_name.rstrip('.')}. {valuation}, "
        f"with {market_value} in the sample data."
    )
    return _citation(
        "web",
        citation_id,
        name=f"{stock.company_name}: valuation overview",
        summary=summary,
        updated=_stamp(as_of, 2),
        source_category="web",
        link=f"https://research.example.com/companies/{stock.symbol.lower()}/valuation",
        last_fetched_at=_stamp(as_of, 1),
        **_highlight(summary, market_value if claim == "market_value" else valuation),
    )


def news_development(citation_id: str, stock: Stock, as_of: datetime) -> JSON:
    move = _pct(stock.return_1y)
    return _citation(
        "news_development",
        citation_id,
        name=f"{stock.company_name} shares {move} over twelve months",
        summary=(
            f"Coverage of {stock.company_name} over the past year tracked a {move} share-price move "
            f"and a {_pct(stock.revenue_growth_yoy)} change in quarterly revenue year over year."
        ),
        updated=_stamp(as_of, 1),
        source_category="news",
        num_articles=3 + stock.gbi_id % 9,
        development_start=_stamp(as_of, 364),
    )


def news_article(citation_id: str, stock: Stock, as_of: datetime) -> JSON:
    article_id = citation_id.split("-")[0]
    return _citation(
        "news_article",
        citation_id,
        name=f"Example Wire: {stock.symbol} closes the month {_pct(stock.return_1m)}",
        summary=(
            f"{stock.company_name} ended the month at ${stock.price:,.2f}, "
            f"a {_pct(stock.return_1m)} move, on average volume of {stock.avg_volume_m:.1f} million shares."
        ),
        updated=_stamp(as_of, 0),
        source_category="news",
        link=f"https://news.example.com/articles/{article_id}",
        article_id=article_id,
    )


def company_filing(citation_id: str, stock: Stock, quarter: str, as_of: datetime, *, claim: str = "revenue") -> JSON:
    """The stock's quarterly report, its highlight on what it is cited for: ``"revenue"`` or
    ``"growth"`` (year over year)."""
    revenue = f"Total revenue for {quarter} was ${stock.revenue_musd[-1]:,.1f} million"
    growth = f"a change of {_pct(stock.revenue_growth_yoy)}"
    summary = (
        f"{revenue}, compared with ${stock.revenue_musd[-5]:,.1f} million in the same quarter "
        f"of the prior year, {growth}."
    )
    return _citation(
        "company_filing",
        citation_id,
        name=f"{stock.symbol} quarterly report (10-Q), {quarter}",
        summary=summary,
        updated=_stamp(as_of, 20),
        source_category="filings",
        is_snippet=True,
        **_highlight(summary, growth if claim == "growth" else revenue),
    )


def earnings_summary(citation_id: str, stock: Stock, quarter: str, as_of: datetime) -> JSON:
    claim = f"diluted EPS of ${stock.eps[-1]:.2f}"
    summary = (
        f"{stock.company_name} reported {claim} for {quarter}, {stock.eps_change:+.2f} versus the previous quarter."
    )
    return _citation(
        "earnings_summary",
        citation_id,
        name=f"{stock.symbol} {quarter} earnings summary",
        summary=summary,
        updated=_stamp(as_of, 18),
        source_category="earnings",
        is_snippet=True,
        **_highlight(summary, claim),
    )


def earnings_transcript(citation_id: str, stock: Stock, quarter: str, as_of: datetime) -> JSON:
    claim = "we continue to see healthy demand across our core markets"
    summary = (
        f"Chief Executive Officer: Thank you all for joining. In {quarter} {claim}, "
        "and we remain focused on disciplined investment."
    )
    return _citation(
        "earnings_transcript",
        citation_id,
        name=f"{stock.symbol} {quarter} earnings call transcript",
        summary=summary,
        updated=_stamp(as_of, 18),
        source_category="earnings",
        is_snippet=True,
        **_highlight(summary, claim),
    )


def kpi(citation_id: str, stock: Stock, as_of: datetime) -> JSON:
    return _data(
        citation_id,
        as_of,
        name=f"{stock.symbol} share price, monthly close (synthetic)",
        summary=f"Last close ${stock.price:,.2f} on {as_of:%Y-%m-%d}; {_pct(stock.return_1y)} over twelve months.",
        link=f"https://data.example.net/kpi/{stock.symbol}/close",
    )


def price_set(citation_id: str, stocks: list[Stock], as_of: datetime) -> JSON:
    """The closes of every stock of a table: a source that backs a whole price column."""
    shown = ", ".join(s.symbol for s in stocks[:5]) + (f" and {len(stocks) - 5} more" if len(stocks) > 5 else "")
    return _data(
        citation_id,
        as_of,
        name=f"Share prices, monthly closes of {len(stocks)} stocks (synthetic)",
        summary=f"Last closes on {as_of:%Y-%m-%d} for {shown}, one series per stock.",
        link="https://data.example.net/kpi/closes",
    )


def _data(citation_id: str, as_of: datetime, *, name: str, summary: str, link: str) -> JSON:
    """A ``kpi`` citation: a data series, as of today."""
    return _citation(
        "kpi", citation_id, name=name, summary=summary, updated=_stamp(as_of, 0), source_category="data", link=link
    )


def theme(citation_id: str, label: str, as_of: datetime) -> JSON:
    return _citation(
        "theme",
        citation_id,
        name=f"Theme: {label}",
        summary=f"A research theme grouping {label} by shared demand drivers and valuation regime.",
        updated=_stamp(as_of, 7),
        source_category="themes",
    )


def attached_file(citation_id: str, attachment: Attachment, as_of: datetime) -> JSON:
    """A ``custom_doc`` citation of a file the user uploaded to the thread."""
    first_line = next(
        (line.strip() for line in attachment.text().splitlines() if line.strip()),
        f"{len(attachment.content):,} bytes",
    )
    summary = f"{attachment.name}: {first_line}"[:300]
    return _citation(
        "custom_doc",
        citation_id,
        name=attachment.name,
        summary=summary,
        updated=_stamp(as_of, 0),
        source_category="documents",
        is_snippet=True,
        custom_doc_id=attachment.file_id,
        chunk_id=f"{attachment.file_id}:0",
        **_highlight(summary, summary[len(attachment.name) + 2 :]),
    )


def research_note(citation_id: str, document_id: str, as_of: datetime) -> JSON:
    """A ``custom_doc`` citation of the emulator's own (synthetic) research note."""
    claim = "all figures in this note are synthetic"
    summary = f"Emulator research note. Methodology: monthly closes and quarterly results; {claim}."
    return _citation(
        "custom_doc",
        citation_id,
        name="Emulator research note (synthetic)",
        summary=summary,
        updated=_stamp(as_of, 30),
        source_category="documents",
        is_snippet=True,
        custom_doc_id=document_id,
        chunk_id=f"{document_id}:0",
        **_highlight(summary, claim),
    )
