"""The bundled SYNTHETIC sample data set (``data/sample_data.json``) and lookups into it.

Every figure in it is invented; the file's ``_notice`` says so and every answer repeats it.
Derived figures (returns, P/E, growth, scores) are computed here from the stored series, so the
JSON holds each fact once.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Group:
    """A sector-like universe a question can name ("semiconductors", "banks", ...)."""

    name: str
    keywords: tuple[str, ...]
    sectors: tuple[str, ...]
    subindustries: tuple[str, ...]

    def contains(self, stock: Stock) -> bool:
        return stock.sector in self.sectors or stock.subindustry in self.subindustries


@dataclass(frozen=True)
class Stock:
    symbol: str
    company_name: str
    aliases: tuple[str, ...]
    isin: str
    cusip: str
    gbi_id: int
    sector: str
    subindustry: str
    exchange: str
    security_type: str
    employees: int | None
    pays_dividend: bool | None
    avg_volume_m: float
    next_report_date: str | None
    monthly_close: tuple[float, ...]
    revenue_musd: tuple[float, ...]
    eps: tuple[float, ...]
    scores: tuple[tuple[str, float], ...]
    # Derived at load time:
    price: float
    return_1m: float
    return_ytd: float
    return_1y: float
    market_cap_busd: float
    pe: float | None
    revenue_growth_yoy: float
    eps_change: float
    score: float

    def metadata(self) -> dict[str, Any]:
        """The ``StockMetadata`` object of docs/protocol.md (Artifacts) (table cells, chart series, inline)."""
        return {
            "gbi_id": self.gbi_id,
            "symbol": self.symbol,
            "company_name": self.company_name,
            "isin": self.isin,
            "sector": self.sector,
            "subindustry": self.subindustry,
            "exchange": self.exchange,
            "security_type": self.security_type,
        }


@dataclass(frozen=True)
class SampleData:
    notice: str
    as_of: datetime
    months: tuple[str, ...]
    quarters: tuple[str, ...]
    groups: tuple[Group, ...]
    stocks: tuple[Stock, ...]

    def mentioned_stocks(self, text: str) -> list[Stock]:
        """Stocks named in ``text`` by exact ticker (``NA``, ``V``) or by name, in order of mention."""
        found: dict[str, int] = {}
        for stock in self.stocks:
            patterns = [rf"(?<![\w$])\$?{re.escape(stock.symbol)}\b"]
            patterns += [rf"(?i)\b{re.escape(alias)}\b" for alias in stock.aliases]
            positions = [m.start() for p in patterns for m in re.finditer(p, text)]
            if positions:
                found[stock.symbol] = min(positions)
        by_symbol = {stock.symbol: stock for stock in self.stocks}
        return [by_symbol[symbol] for symbol in sorted(found, key=found.__getitem__)]

    def mentioned_groups(self, text: str) -> list[Group]:
        return [
            group
            for group in self.groups
            if any(re.search(rf"(?i)\b{re.escape(word)}", text) for word in group.keywords)
        ]

    def members(self, groups: list[Group]) -> list[Stock]:
        return [stock for stock in self.stocks if any(group.contains(stock) for group in groups)]


def _stock(record: dict[str, Any], months: tuple[str, ...]) -> Stock:
    closes = tuple(record["monthly_close"])
    revenue = tuple(record["revenue_musd"])
    eps = tuple(record["eps"])
    price = closes[-1]
    year_end = closes[months.index(f"{int(months[-1][:4]) - 1}-12")]
    trailing_eps = sum(eps[-4:])
    scores = tuple(record["scores"].items())
    return Stock(
        symbol=record["symbol"],
        company_name=record["company_name"],
        aliases=tuple(record["aliases"]),
        isin=record["isin"],
        cusip=record["cusip"],
        gbi_id=record["gbi_id"],
        sector=record["sector"],
        subindustry=record["subindustry"],
        exchange=record["exchange"],
        security_type=record["security_type"],
        employees=record["employees"],
        pays_dividend=record["pays_dividend"],
        avg_volume_m=record["avg_volume_m"],
        next_report_date=record["next_report_date"],
        monthly_close=closes,
        revenue_musd=revenue,
        eps=eps,
        scores=scores,
        price=price,
        return_1m=round(price / closes[-2] - 1, 4),
        return_ytd=round(price / year_end - 1, 4),
        return_1y=round(price / closes[0] - 1, 4),
        market_cap_busd=round(price * record["shares_outstanding_m"] / 1000, 1),
        pe=round(price / trailing_eps, 1) if trailing_eps > 0 else None,
        revenue_growth_yoy=round(revenue[-1] / revenue[-5] - 1, 4),
        eps_change=round(eps[-1] - eps[-2], 2),
        score=round(sum(value for _, value in scores) / len(scores), 3),
    )


@functools.lru_cache(maxsize=1)
def sample_data() -> SampleData:
    text = resources.files(__package__).joinpath("data/sample_data.json").read_text("utf-8")
    raw = json.loads(text)
    months = tuple(raw["months"])
    return SampleData(
        notice=raw["_notice"],
        as_of=datetime.fromisoformat(raw["as_of"].replace("Z", "+00:00")),
        months=months,
        quarters=tuple(raw["quarters"]),
        groups=tuple(
            Group(
                name=g["name"],
                keywords=tuple(g["keywords"]),
                sectors=tuple(g.get("sectors", ())),
                subindustries=tuple(g.get("subindustries", ())),
            )
            for g in raw["groups"]
        ),
        stocks=tuple(_stock(s, months) for s in raw["stocks"]),
    )
