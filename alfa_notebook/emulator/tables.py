"""The engine's tables and chart, filled from the synthetic sample data.

Which column types each table uses (the screen covers every ``col_type`` of reference §5.3):

================  ==========================================================================
performance       stock, currency (USD, column-cited), percent x3, float_with_unit, boolean
top_performers    integer (display_name "#"), stock, percent x2, currency
screen            stock, string (CUSIP, leading zeros kept), integer, boolean, integer_with_unit,
                  float_with_unit, float, currency, date, datetime, quarter, year, month,
                  percent, pct_delta (display_name, cell-cited), delta, score, and a hidden
                  integer (gbi_id, ``is_visible: false``); nulls where data is missing
fundamentals      stock, quarter, year, float_with_unit, pct_delta, currency, delta
monthly_closes    month, stock, currency, pct_delta
================  ==========================================================================
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import datetime

from .artifacts import JSON, Column, citation_ref, score, stock_line_chart, table
from .market import Stock

USD = "USD"


def performance(stocks: Sequence[Stock], *, price_source: JSON) -> JSON:
    columns = [
        Column("Security", "stock"),
        Column("Price", "currency", unit=USD, citation_refs=[citation_ref(price_source["citation_id"])]),
        Column("1M return", "percent"),
        Column("YTD return", "percent"),
        Column("1Y return", "percent"),
        Column("Market cap", "float_with_unit", unit="USD bn"),
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
    return table("Performance snapshot", columns, rows, citations=[price_source])


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
    return table(f"Top {len(stocks)} performers over twelve months", columns, rows)


def screen(
    stocks: Sequence[Stock],
    *,
    as_of: datetime,
    quarter: str,
    month: str,
    price_source: JSON,
    filing_source: JSON,
) -> JSON:
    """Sorted by score, best first (the backend sorts every table with a score column so)."""
    ranked = sorted(stocks, key=lambda s: s.score, reverse=True)
    columns = [
        Column("Security", "stock"),
        Column("CUSIP", "string"),
        Column("Rank", "integer"),
        Column("Pays dividend", "boolean"),
        Column("Employees", "integer_with_unit", unit="employees"),
        Column("Avg daily volume", "float_with_unit", unit="M shares"),
        Column("P/E", "float"),
        Column("Price", "currency", unit=USD, citation_refs=[citation_ref(price_source["citation_id"])]),
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
            citation_refs=[citation_ref(filing_source["citation_id"], row_index=0)],
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
    return table(f"Screen: {len(ranked)} stocks", columns, rows, citations=[price_source, filing_source])


def fundamentals(stocks: Sequence[Stock], quarters: Sequence[str]) -> JSON:
    """The latest four quarters per stock (the four before them give the year-over-year base)."""
    columns = [
        Column("Security", "stock"),
        Column("Quarter", "quarter"),
        Column("Fiscal year", "year"),
        Column("Revenue", "float_with_unit", unit="USD mn"),
        Column("Revenue YoY", "pct_delta"),
        Column("EPS", "currency", unit=USD),
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
        for i in range(len(quarters) - 4, len(quarters))
    ]
    return table("Quarterly revenue and earnings", columns, rows)


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
