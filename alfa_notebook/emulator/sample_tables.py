"""The answers' tables and charts, filled from the synthetic sample data (the shapes themselves
are ``artifacts.py``'s).

Which column types each table uses (the screen covers every ``col_type`` of docs/protocol.md), and
what it cites: table-level ``citations``, referred to by ``citation_refs`` on a column (``row_index``
null: the whole column) or on one cell (``row_index`` set):

================  ==========================================================================
performance       stock, currency (USD; the cells of the first rows cited, each by its own
                  stock's kpi), percent x3 (1Y return: the best stock's cell cited, news),
                  float_with_unit (Market cap: the first row's cell cited, web, its market
                  value highlighted), boolean
top_performers    integer (display_name "#"), stock, percent x2, currency
screen            stock, string (CUSIP, leading zeros kept), integer, boolean, integer_with_unit,
                  float_with_unit, float, currency (column-cited: a kpi of every stock's closes),
                  date, datetime, quarter, year, month, percent, pct_delta (display_name; its
                  first cell cited: filing, its growth highlighted), delta, score, and a hidden integer (gbi_id, ``is_visible: false``); nulls where
                  data is missing
fundamentals      stock, quarter, year, float_with_unit (Revenue: latest-quarter cells cited,
                  filings), pct_delta, currency (EPS: latest-quarter cells cited, earnings), delta
monthly_closes    month, stock, currency, pct_delta
================  ==========================================================================

A citation whose source is turned off is passed as None (or left out) and is then absent from
both the table's ``citations`` and every ``citation_refs``. A citation backs the value it sits on:
a per-stock source cites that stock's cells, never a whole column of several stocks.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from .artifacts import JSON, Column, citation_ref, score, stock_line_chart, table
from .market import Stock

USD = "USD"


def _refs(citation: JSON | None, row_index: int | None = None) -> list[JSON]:
    return [] if citation is None else [citation_ref(citation["citation_id"], row_index)]


def _present(*citations: JSON | None) -> list[JSON]:
    return [c for c in citations if c is not None]


def _by_stock(stocks: Sequence[Stock], sources: Mapping[str, JSON]) -> list[JSON]:
    """Cell references to each row whose stock has a source of its own (``sources`` by symbol)."""
    return [citation_ref(sources[s.symbol]["citation_id"], i) for i, s in enumerate(stocks) if s.symbol in sources]


def performance(
    stocks: Sequence[Stock],
    *,
    price_sources: Mapping[str, JSON],
    return_source: tuple[Stock, JSON | None] | None = None,
    market_cap_source: JSON | None = None,
) -> JSON:
    """``price_sources``: by symbol, the citation of that stock's price cell; ``return_source``: a
    stock of ``stocks`` and the citation of its 1Y return cell; ``market_cap_source``: the citation
    of the first row's market cap cell."""
    return_row, return_citation = (None, None)
    if return_source is not None:
        return_row, return_citation = list(stocks).index(return_source[0]), return_source[1]
    columns = [
        Column("Security", "stock"),
        Column("Price", "currency", unit=USD, citation_refs=_by_stock(stocks, price_sources)),
        Column("1M return", "percent"),
        Column("YTD return", "percent"),
        Column("1Y return", "percent", citation_refs=_refs(return_citation, return_row)),
        Column("Market cap", "float_with_unit", unit="USD bn", citation_refs=_refs(market_cap_source, 0)),
        Column("Pays dividend", "boolean"),
    ]
    rows = [
        [
            s.metadata(),
            s.price,
            s.return_1m,
            s.return_ytd,
            s.return_1y,
            s.market_cap_busd,
            s.pays_dividend,
        ]
        for s in stocks
    ]
    citations = [*price_sources.values(), *_present(return_citation, market_cap_source)]
    return table("Performance snapshot", columns, rows, citations=citations)


def top_performers(stocks: Sequence[Stock]) -> JSON:
    """``stocks`` already ranked best first."""
    columns = [
        Column("Rank", "integer", display_name="#"),
        Column("Security", "stock"),
        Column("1Y return", "percent"),
        Column("YTD return", "percent"),
        Column("Price", "currency", unit=USD),
    ]
    rows = [[rank, s.metadata(), s.return_1y, s.return_ytd, s.price] for rank, s in enumerate(stocks, start=1)]
    title = "Top performer" if len(stocks) == 1 else f"Top {len(stocks)} performers"
    return table(f"{title} over twelve months", columns, rows)


def screen(
    stocks: Sequence[Stock],
    *,
    as_of: datetime,
    quarter: str,
    month: str,
    price_source: JSON,
    filing_source: JSON | None,
) -> JSON:
    """Sorted by score, best first (the backend sorts every table with a score column so).
    ``filing_source`` cites the first row's revenue growth (None: filings are off)."""
    ranked = sorted(stocks, key=lambda s: s.score, reverse=True)
    columns = [
        Column("Security", "stock"),
        Column("CUSIP", "string"),
        Column("Rank", "integer"),
        Column("Pays dividend", "boolean"),
        Column("Employees", "integer_with_unit", unit="employees"),
        Column("Avg daily volume", "float_with_unit", unit="M shares"),
        Column("P/E", "float"),
        Column("Price", "currency", unit=USD, citation_refs=_refs(price_source)),
        Column("Next report", "date"),
        Column("Last trade", "datetime"),
        Column("Latest quarter", "quarter"),
        Column("Fiscal year", "year"),
        Column("Price month", "month"),
        Column("1Y return", "percent"),
        Column(
            "Revenue growth YoY",
            "pct_delta",
            display_name="Rev. growth (YoY)",
            citation_refs=_refs(filing_source, 0),
        ),
        Column("EPS change QoQ", "delta"),
        Column("Alfa score", "score"),
        Column("gbi_id", "integer", is_visible=False),
    ]
    last_trade = as_of.strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = [
        [
            s.metadata(),
            s.cusip,
            rank,
            s.pays_dividend,
            s.employees,
            s.avg_volume_m,
            s.pe,
            s.price,
            s.next_report_date,
            last_trade,
            quarter,
            quarter[:4],
            month,
            s.return_1y,
            s.revenue_growth_yoy,
            s.eps_change,
            score(s.score, "Emulator composite (synthetic)", s.scores),
            s.gbi_id,
        ]
        for rank, s in enumerate(ranked, start=1)
    ]
    title = "Screen: 1 stock" if len(ranked) == 1 else f"Screen: {len(ranked)} stocks"
    return table(title, columns, rows, citations=_present(price_source, filing_source))


_FUNDAMENTAL_QUARTERS = 4


def fundamentals(
    stocks: Sequence[Stock],
    quarters: Sequence[str],
    *,
    revenue_sources: Sequence[tuple[int, JSON]] = (),
    eps_sources: Sequence[tuple[int, JSON]] = (),
) -> JSON:
    """The latest four quarters per stock (the four before them give the year-over-year base).
    ``revenue_sources`` and ``eps_sources``: ``(index into stocks, citation)`` of the cells of
    that stock's latest quarter."""
    columns = [
        Column("Security", "stock"),
        Column("Quarter", "quarter"),
        Column("Fiscal year", "year"),
        Column("Revenue", "float_with_unit", unit="USD mn", citation_refs=_latest_cells(revenue_sources)),
        Column("Revenue YoY", "pct_delta"),
        Column("EPS", "currency", unit=USD, citation_refs=_latest_cells(eps_sources)),
        Column("EPS change QoQ", "delta"),
    ]
    rows = [
        [
            s.metadata(),
            quarters[i],
            quarters[i][:4],
            s.revenue_musd[i],
            round(s.revenue_musd[i] / s.revenue_musd[i - 4] - 1, 4),
            s.eps[i],
            round(s.eps[i] - s.eps[i - 1], 2),
        ]
        for s in stocks
        for i in range(len(quarters) - _FUNDAMENTAL_QUARTERS, len(quarters))
    ]
    citations = [citation for _, citation in (*revenue_sources, *eps_sources)]
    return table("Quarterly revenue and earnings", columns, rows, citations=citations)


def _latest_cells(sources: Sequence[tuple[int, JSON]]) -> list[JSON]:
    """Cell references to the latest-quarter row of each stock (rows go stock by stock)."""
    last = _FUNDAMENTAL_QUARTERS - 1
    return [citation_ref(c["citation_id"], index * _FUNDAMENTAL_QUARTERS + last) for index, c in sources]


def monthly_closes(stocks: Sequence[Stock], months: Sequence[str]) -> JSON:
    columns = [
        Column("Month", "month"),
        Column("Security", "stock"),
        Column("Close", "currency", unit=USD),
        Column("MoM change", "pct_delta"),
    ]
    rows = [
        [
            month,
            s.metadata(),
            s.monthly_close[i],
            None if i == 0 else round(s.monthly_close[i] / s.monthly_close[i - 1] - 1, 4),
        ]
        for i, month in enumerate(months)
        for s in stocks
    ]
    return table("Monthly closes", columns, rows)


def _month_end(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{month}-{calendar.monthrange(year, number)[1]:02d}"


def price_chart(stocks: Sequence[Stock], months: Sequence[str]) -> JSON:
    series = [(s.metadata(), [(_month_end(m), close) for m, close in zip(months, s.monthly_close)]) for s in stocks]
    return stock_line_chart(f"Monthly close, {months[0]} to {months[-1]}", series, y_axis_type="currency", y_unit=USD)


def quarterly_chart(stocks: Sequence[Stock], quarters: Sequence[str], metric: str) -> JSON:
    """A line chart of quarterly ``revenue`` (USD mn) or diluted ``eps`` (USD), x axis quarters."""
    revenue = metric == "revenue"
    series: list[tuple[JSON, list[tuple[Any, float]]]] = [
        (s.metadata(), list(zip(quarters, s.revenue_musd if revenue else s.eps))) for s in stocks
    ]
    what = "Quarterly revenue" if revenue else "Diluted EPS"
    return stock_line_chart(
        f"{what}, {quarters[0]} to {quarters[-1]}",
        series,
        x_axis_type="quarter",
        y_axis_type="float_with_unit" if revenue else "currency",
        y_unit="USD mn" if revenue else USD,
    )
