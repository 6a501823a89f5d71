"""What a question asks of the emulator's engine: the universe of stocks, the tables and charts,
or nothing it can answer (the triggers are listed in :mod:`.engine`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .market import SampleData, Stock

_SCREEN = re.compile(r"(?i)\bscreen|\ball columns\b")
_TOP_N = re.compile(r"(?i)\btop\s+(\d+)\b")
_RANKING = re.compile(r"(?i)\b(top|best|performers?)\b")
_CHART = re.compile(r"(?i)\b(trend|chart|plot|over time|history|historical)")
_FUNDAMENTALS = re.compile(r"(?i)\b(revenue|earnings|quarter|fundamental|eps|sales)")
_MEMO = re.compile(r"(?i)\b(summary|summari[sz]e|memo)")
_PRICE = re.compile(r"(?i)\b(price|prices|closes?|closing|share price)\b")
_REVENUE = re.compile(r"(?i)\b(revenue|sales)")
_EPS = re.compile(r"(?i)\b(eps|earnings)")
_MARKET_WORDS = re.compile(
    r"(?i)\b(stocks?|shares?|equit|market|pric|returns?|perform|compan|tickers?|sectors?|industr"
    r"|portfolio|holdings?|invest|valu|p/e|pe\b|dividend|volume|cap\b|growth|grow|margin|profit"
    r"|compar|rank|score|analy|quarter|year|month|rall|fell|fall|rose|rise|gain|loss|guidance"
    r"|outlook|buy|sell|bull|bear|risk|cusip|isin|security|securities)"
)
_CONTINUATION = re.compile(
    r"(?i)\b(and|also|now|what about|how about|them|those|these|they|their|it|its|same|more|else"
    r"|again|instead|vs|versus)\b"
)
_DEFAULT_SIZE = 6
_DEFAULT_TOP = 5


@dataclass(frozen=True)
class Intent:
    """What a question asks for, once its universe is resolved."""

    stocks: tuple[Stock, ...]
    scope: str
    screen: bool
    top_n: int | None
    chart: str | None
    """What to chart: ``price``, ``revenue`` or ``eps`` (None: no chart)."""
    fundamentals: bool
    memo: bool
    continues: str | None
    """The earlier question this one borrows its universe from, if any."""
    off_topic: bool = False
    """Nothing in the sample data set answers it (then ``stocks`` is empty)."""


def listing(names: Sequence[str], limit: int = 6) -> str:
    if len(names) > limit:
        return f"{', '.join(names[:limit])} and {len(names) - limit} more"
    if len(names) <= 2:
        return " and ".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _chart_metric(question: str) -> str | None:
    if not _CHART.search(question):
        return None
    if _PRICE.search(question):
        return "price"
    if _REVENUE.search(question):
        return "revenue"
    if _EPS.search(question):
        return "eps"
    return "price"


def _previous(earlier: Sequence[str], data: SampleData, has_files: bool) -> tuple[Intent, str] | None:
    """The latest earlier question the data set could answer, read as it was asked."""
    for index in range(len(earlier) - 1, -1, -1):
        intent = read_intent(earlier[index], earlier[:index], data, has_files=has_files)
        if not intent.off_topic:
            return intent, earlier[index]
    return None


def read_intent(
    question: str,
    earlier: Sequence[str],
    data: SampleData,
    *,
    has_files: bool = False,
    file_stocks: tuple[Sequence[Stock], str] | None = None,
) -> Intent:
    """``file_stocks``: the known stocks an attached table lists, and that file's name; they are
    the universe of a question that names none itself."""
    named = data.mentioned_stocks(question)
    groups = data.mentioned_groups(question)
    screen = bool(_SCREEN.search(question))
    top_match = _TOP_N.search(question)
    ranking = bool(top_match or _RANKING.search(question))
    chart = _chart_metric(question)
    fundamentals = bool(_FUNDAMENTALS.search(question))
    memo = bool(_MEMO.search(question))
    answerable = has_files or screen or ranking or bool(chart) or fundamentals or memo
    answerable = answerable or bool(_MARKET_WORDS.search(question))
    continues = None
    if named or groups:
        members = [s for s in data.members(groups) if s not in named]
        universe = [*named, *members]
        scope = listing([s.symbol for s in named] + [g.name for g in groups])
    elif file_stocks is not None and file_stocks[0]:
        universe, scope = list(file_stocks[0]), f"the stocks in {file_stocks[1]}"
    elif (previous := _previous(earlier, data, has_files)) and (answerable or _CONTINUATION.search(question)):
        intent, continues = previous
        universe, scope = list(intent.stocks), intent.scope
    elif not answerable:
        return Intent((), "", False, None, None, False, False, None, off_topic=True)
    elif screen or ranking:
        universe, scope = list(data.stocks), "the sample universe"
    else:
        universe = sorted(data.stocks, key=lambda s: s.market_cap_busd, reverse=True)[:_DEFAULT_SIZE]
        scope = "the six largest stocks in the sample"
    top_n = None
    if ranking and not screen:
        wanted = int(top_match.group(1)) if top_match else _DEFAULT_TOP
        top_n = max(1, min(wanted, len(universe)))
        universe = sorted(universe, key=lambda s: s.return_1y, reverse=True)[:top_n]
    return Intent(
        stocks=tuple(universe),
        scope=scope,
        screen=screen,
        top_n=top_n,
        chart=chart,
        fundamentals=fundamentals,
        memo=memo,
        continues=continues,
    )
