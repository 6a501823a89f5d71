"""A deterministic research engine: the emulator's stand-in for Alfa's reasoning.

Given a question, the files attached to its thread, the thread's earlier questions and the
sources in force, it writes a Markdown answer from the synthetic sample data, with citations,
work-in-progress logs and artifacts. The same inputs give the same text and artifacts, ids
included: every id is derived from a SHA-256 of the inputs (never ``hash()``, which is salted per
process).

Question triggers (case-insensitive; they combine):

=========================================  ===================================================
the question contains                      the answer gets
=========================================  ===================================================
tickers or names ("NVDA and AMD",          those stocks as the universe (a bare ticker must be
"Apple", "NA")                             upper case)
a sector word ("semiconductors", "banks",  that group's stocks (``groups`` in the data file)
"energy", "software", "payments", ...)
none of the above                          the previous (answerable) question's universe in
                                           the same thread, else: all stocks for a screen or a
                                           ranking, the six largest by market cap otherwise
nothing the data set can answer: no        no answer: status ``No_Results_Found`` and a short
stock, sector, trigger below or market     message saying the synthetic data set has nothing
word ("price", "return", "valuation",      on it ("What is the weather in Paris?"); in a
...), no attached file                     follow-up, a cue such as "and", "what about",
                                           "them" continues the previous question instead
"screen" or "all columns"                  the screen table, which has EVERY col_type of
                                           docs/protocol.md; "Screen all columns" in a fresh
                                           thread screens all 41 stocks, ``NA`` and CUSIPs with
                                           leading zeros ("00724F101") included
"top N", "best", "performers"              a ranking table of the top N (default 5) by
                                           twelve-month return
otherwise                                  the performance table
"trend", "chart", "plot", "over time",     a line chart (graph artifact): of quarterly revenue
"history"                                  when the question says "revenue" or "sales", of
                                           diluted EPS when it says "EPS" or "earnings", of
                                           monthly closes otherwise or when it says "price"
                                           (with a monthly-closes table)
"revenue", "earnings", "quarter", "eps",   a quarterly fundamentals table, and
"fundamental", "sales"                     earnings_summary and earnings_transcript citations
"summary", "summarize", "memo"             a text artifact (a short memo)
=========================================  ===================================================

Every answer but the no-results one has 3-6 work-in-progress logs (some before the first word,
some between sections), cites web, news_development, news_article, custom_doc (an attached file,
else the emulator's research note), company_filing, kpi and theme sources (those of the sources
left on), names each attached file ("Based on the attached file q2.csv ..."), embeds an inline
stock object (in the news highlights), and ends with the
footer ``_Emulator: synthetic sample data, not market data._``. A follow-up that names no
stocks says which earlier question it continues. ``pad_to_words`` stretches an answer to about
N word chunks for benchmarks.

Sources (:mod:`.sources`): a source turned off removes its citations everywhere (prose and
tables) and the claims drawn from it (web search: the valuation line; news: the best and worst
performers; filings: the revenue lines; earnings: the EPS and earnings-call lines); the answer
says which sources were off. Tables cite at two levels (docs/protocol.md, Table artifacts): the performance table's
Price column (kpi) and its 1Y return (news) and Market cap (web) cells; the screen's Price column
and first Revenue growth cell (filing); the fundamentals table's latest Revenue (filing) and EPS
(earnings) cells of each of the first five stocks.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from . import citations as cite
from . import sample_tables
from .artifacts import text_output
from .intent import Intent, listing, read_intent
from .market import SampleData, Stock
from .sources import ALL_ON, Sources
from .store import Attachment
from .user_files import UserTable, read_table

JSON = dict[str, Any]

SYNTHETIC_FOOTER = "_Emulator: synthetic sample data, not market data._"
COMPLETE, NO_RESULTS = "Complete", "No_Results_Found"

NO_RESULTS_TEXT = (
    "The emulator's synthetic data set has nothing on this: it holds only made-up prices, "
    "returns and quarterly results for 41 sample stocks. Try a stock or a sector, for example "
    "“Compare NVDA and AMD” or “How are banks doing?”.\n\n"
)

_KEY_FIGURES = 5
_SOURCE_LABELS = {
    "web_search": "web search",
    "web_scraping": "web scraping",
    "filings": "regulatory filings",
    "earnings": "earnings reports",
    "news": "news",
}


@dataclass(frozen=True)
class Answer:
    text: str
    logs: tuple[tuple[int, str], ...]
    """``(offset, log)``: emitted when streaming reaches that character offset of ``text``."""
    citations: tuple[JSON, ...]
    artifacts: Mapping[str, JSON]
    tools_called: Mapping[str, list[JSON]]
    status: str = COMPLETE
    """The turn's final status: ``Complete``, or ``No_Results_Found`` when nothing answers it."""
    status_log: str = "Analysis complete"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


class _Ids:
    """Stable UUID-shaped ids: the same seed and label always give the same id."""

    def __init__(self, seed: bytes) -> None:
        self._seed = seed

    def __call__(self, label: str) -> str:
        digest = hashlib.sha256(self._seed + label.encode()).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))


def _seed(question: str, earlier: Sequence[str], files: Sequence[Attachment], sources: Sources) -> bytes:
    inputs: JSON = {
        "question": question,
        "earlier": list(earlier),
        "files": [[f.name, hashlib.sha256(f.content).hexdigest()] for f in files],
    }
    if sources.off:  # only then: the ids of answers with every source on never change
        inputs["sources_off"] = sources.off
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).digest()


@dataclass
class _Draft:
    """Markdown being written, with citations pinned where their claims end."""

    parts: list[str] = field(default_factory=list)
    length: int = 0
    citations: list[JSON] = field(default_factory=list)
    logs: list[tuple[int, str]] = field(default_factory=list)
    bullets: int = 0
    """Lines started with :meth:`bullet` since the last :meth:`end_list`."""

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def bullet(self, text: str) -> None:
        """Start a line of the current list (a line break first unless it is the first)."""
        self.write(f"\n{text}" if self.bullets else text)
        self.bullets += 1

    def end_list(self) -> None:
        self.write("\n\n")
        self.bullets = 0

    def cite(self, citation: JSON) -> None:
        self.citations.append({**citation, "inline_offset": self.length})

    def log(self, text: str) -> None:
        self.logs.append((self.length, text))

    def inline(self, obj: JSON) -> None:
        self.write(f"```{json.dumps(obj)}```")

    def artifact(self, artifact_id: str) -> None:
        self.inline({"type": "output_artifact", "artifact_id": artifact_id})
        self.write("\n\n")

    @property
    def text(self) -> str:
        return "".join(self.parts)


def _money(value: float) -> str:
    return f"${value:,.2f}"


def _pct(value: float) -> str:
    return f"{value:+.1%}"


def _inline_stock(stock: Stock) -> JSON:
    return {"type": "stock", "gbi_id": stock.gbi_id, "symbol": stock.symbol, "company_name": stock.company_name}


def _file_stocks(tables: Mapping[str, UserTable], data: SampleData) -> tuple[list[Stock], str] | None:
    """The sample's stocks the first attached table with a ticker column lists, in its order."""
    by_symbol = {stock.symbol: stock for stock in data.stocks}
    for name, user_table in tables.items():
        listed = list(dict.fromkeys(by_symbol[t] for t in user_table.tickers() if t in by_symbol))
        if listed:
            return listed, name
    return None


def _describe(attachment: Attachment, user_table: UserTable | None = None) -> str:
    if user_table is not None:
        return f"{user_table.shape}: {listing(list(user_table.columns))}"
    text = attachment.text()
    if text:
        return f"{len(text.splitlines()):,} lines of text"
    return f"{len(attachment.content):,} bytes"


_CHART_TITLES = {"price": "price trend", "revenue": "revenue trend", "eps": "EPS trend"}


def _title(intent: Intent) -> str:
    scope = intent.scope[:1].upper() + intent.scope[1:]
    if intent.screen:
        return f"Screen: {intent.scope}"
    if intent.top_n == 1:
        return f"Top performer: {intent.scope}"
    if intent.top_n is not None:
        return f"Top {intent.top_n} performers: {intent.scope}"
    if intent.chart is not None:
        return f"{scope}: {_CHART_TITLES[intent.chart]}"
    return f"{scope}: performance snapshot"


class _Writer:
    """Writes one answer; each method is one section of it."""

    def __init__(
        self,
        intent: Intent,
        files: Sequence[Attachment],
        data: SampleData,
        ids: _Ids,
        sources: Sources,
        tables: Mapping[str, UserTable] | None = None,
    ) -> None:
        self.intent = intent
        self.tables = dict(tables or {})  # the attached files that are tables, by name
        self.stocks = list(intent.stocks)
        self.files = files
        self.data = data
        self.ids = ids
        self.sources = sources
        self.as_of = data.as_of
        self.quarter = data.quarters[-1]
        self.draft = _Draft()
        self.artifacts: dict[str, JSON] = {}
        self.tools: dict[str, list[JSON]] = {}

    def _add_artifact(self, label: str, artifact: JSON) -> None:
        artifact_id = self.ids(f"artifact:{label}")
        self.artifacts[artifact_id] = artifact
        self.draft.artifact(artifact_id)

    def _tool(self, tool: str, **arguments: Any) -> None:
        self.tools.setdefault(tool, []).append(arguments)

    def _citation_id(self, label: str) -> str:
        return self.ids(f"citation:{label}")

    def _on(self, source: str) -> bool:
        return self.sources.is_on(source)

    def opening(self) -> None:
        d, symbols, count = self.draft, [s.symbol for s in self.stocks], len(self.stocks)
        if self.files:
            d.log(f"Reading {listing([f.name for f in self.files])}...")
        elif self.intent.screen:
            d.log(f"Screening {_plural(count, 'stock')}...")
        else:
            d.log(f"Identifying securities: {listing(symbols)}")
        d.log(f"Fetching prices and returns for {_plural(count, 'stock')}...")
        self._tool("get_prices", symbols=symbols)
        d.write(f"## {_title(self.intent)}\n\n")
        if self.intent.continues is not None:
            same = "the same stock" if count == 1 else f"the same {count} stocks"
            d.write(f"Following up on your earlier question (“{self.intent.continues}”), this covers {same}.\n\n")
        for attachment in self.files:
            user_table = self.tables.get(attachment.name)
            d.write(
                f"Based on the attached file **{attachment.name}** ({_describe(attachment, user_table)}), "
                "I checked the figures below against your data."
            )
            d.cite(cite.attached_file(self._citation_id(f"file:{attachment.name}"), attachment, self.as_of))
            d.write("\n\n")
            self._tool("read_user_file", file_name=attachment.name)
            if user_table is not None:
                self._your_table(user_table)
        d.write(
            f"Scope: {self.intent.scope}, {_plural(count, 'stock')}, priced as of "
            f"{self.as_of:%Y-%m-%d} from the emulator's synthetic research set."
        )
        if not self.files:
            d.cite(cite.research_note(self._citation_id("note"), self.ids("document:note"), self.as_of))
        d.write("\n\n")
        if self.sources.off:
            labels = [_SOURCE_LABELS[key] for key in self.sources.off]
            d.write(f"Turned off for this answer: {listing(labels)}.\n\n")

    def _your_table(self, user_table: UserTable) -> None:
        """What the file holds, read from its values: the tickers it lists, its columns summarised."""
        d = self.draft
        d.log(f"Summarising the {len(user_table.columns)} columns of {user_table.name}...")
        listed = user_table.tickers()
        if listed:
            d.write(f"Your file lists {_plural(len(listed), 'stock')}: {listing(listed)}.\n\n")
        d.write(f"What each column of {user_table.name} holds:\n\n")
        self._add_artifact(f"file:{user_table.name}", user_table.summary())

    def key_figures(self) -> None:
        d = self.draft
        d.log("Building the table...")
        d.write("### Key figures\n\n")
        kpi = cite.kpi(self._citation_id("kpi"), self.stocks[0], self.as_of)
        for index, s in enumerate(self.stocks[:_KEY_FIGURES]):
            d.write(
                f"- **{s.symbol}** ({s.company_name}) closed at **{_money(s.price)}**: "
                f"{_pct(s.return_1m)} on the month, {_pct(s.return_1y)} over twelve months."
            )
            if index == 0:
                d.cite(kpi)
            d.write("\n")
        if len(self.stocks) > _KEY_FIGURES:
            d.write(f"- …and {len(self.stocks) - _KEY_FIGURES} more in the table below.\n")
        d.write("\n")
        prices = {  # each price cell cites its own stock's closes
            s.symbol: cite.kpi(self._citation_id(f"table:kpi:{s.symbol}"), s, self.as_of)
            for s in self.stocks[:_KEY_FIGURES]
        }
        if self.intent.screen:
            filing = None
            if self._on("filings"):
                filing = cite.company_filing(
                    self._citation_id("table:filing"),
                    max(self.stocks, key=lambda s: s.score),
                    self.quarter,
                    self.as_of,
                    claim="growth",
                )
            table = sample_tables.screen(
                self.stocks,
                as_of=self.as_of,
                quarter=self.quarter,
                month=self.data.months[-1],
                price_source=cite.price_set(self._citation_id("table:prices"), list(self.stocks), self.as_of),
                filing_source=filing,
            )
            self._tool("screen_stocks", universe_size=len(self.stocks))
            self._add_artifact("screen", table)
        elif self.intent.top_n is not None:
            self._tool("rank_stocks", by="return_1y", top=self.intent.top_n)
            self._add_artifact("top", sample_tables.top_performers(self.stocks))
        else:
            best = max(self.stocks, key=lambda s: s.return_1y)
            news = (
                cite.news_development(self._citation_id("table:development"), best, self.as_of)
                if self._on("news")
                else None
            )
            web = None
            if self._on("web_search"):
                web = cite.web(self._citation_id("table:web"), self.stocks[0], self.as_of, claim="market_value")
            table = sample_tables.performance(
                self.stocks, price_sources=prices, return_source=(best, news), market_cap_source=web
            )
            self._add_artifact("performance", table)

    def trend(self) -> None:
        if self.intent.chart in ("revenue", "eps"):
            self._quarterly_trend(self.intent.chart)
            return
        d, months = self.draft, self.data.months
        d.log("Plotting twelve months of closes...")
        d.write("### Trend\n\n")
        best = max(self.stocks, key=lambda s: s.return_1y)
        moved = f"from {_money(best.monthly_close[0])} to {_money(best.price)} ({_pct(best.return_1y)})"
        if len(self.stocks) == 1:
            d.write(f"From {months[0]} to {months[-1]}, **{best.symbol}** went {moved}.\n\n")
        elif best.return_1y < 0:
            d.write(f"From {months[0]} to {months[-1]}, every stock fell; **{best.symbol}** fell least, {moved}.\n\n")
        else:
            d.write(f"From {months[0]} to {months[-1]}, **{best.symbol}** fared best, {moved}.\n\n")
        self._tool("make_line_chart", series=[s.symbol for s in self.stocks], metric="price")
        self._add_artifact("chart", sample_tables.price_chart(self.stocks, months))
        self._add_artifact("monthly", sample_tables.monthly_closes(self.stocks, months))

    def _quarterly_trend(self, metric: str) -> None:
        d, quarters = self.draft, self.data.quarters
        revenue = metric == "revenue"
        what = "quarterly revenue" if revenue else "diluted EPS"
        d.log(f"Plotting {what} by quarter...")
        d.write(f"### {'Revenue' if revenue else 'EPS'} trend\n\n")

        def series(s: Stock) -> tuple[float, ...]:
            return s.revenue_musd if revenue else s.eps

        def amount(value: float) -> str:
            return f"${value:,.1f} million" if revenue else f"${value:.2f}"

        def change(s: Stock) -> float:
            first, last = series(s)[0], series(s)[-1]
            return last / first - 1 if first > 0 else float("-inf") if last < first else 0.0

        best = max(self.stocks, key=change)
        first, last = series(best)[0], series(best)[-1]
        moved = f"from {amount(first)} to {amount(last)}"
        if first > 0:
            moved += f" ({_pct(change(best))})"
        span = f"From {quarters[0]} to {quarters[-1]}"
        if len(self.stocks) == 1:
            d.write(f"{span}, **{best.symbol}**'s {what} went {moved}.\n\n")
        elif change(best) < 0:
            d.write(f"{span}, {what} fell at every company; **{best.symbol}**'s fell least, {moved}.\n\n")
        else:
            d.write(f"{span}, **{best.symbol}** grew {what} the most, {moved}.\n\n")
        self._tool("make_line_chart", series=[s.symbol for s in self.stocks], metric=metric)
        self._add_artifact("chart", sample_tables.quarterly_chart(self.stocks, quarters, metric))

    def fundamentals(self) -> None:
        d, lead = self.draft, self.stocks[0]
        filings, earnings = self._on("filings"), self._on("earnings")
        read = [name for name, on in (("filings", filings), ("earnings calls", earnings)) if on]
        d.log(f"Reading {' and '.join(read)}..." if read else "Computing quarterly results from the sample data...")
        d.write("### Revenue and earnings\n\n")
        if filings:
            d.bullet(
                f"- {lead.symbol} reported revenue of ${lead.revenue_musd[-1]:,.1f} million for "
                f"{self.quarter}, {_pct(lead.revenue_growth_yoy)} year over year."
            )
            d.cite(cite.company_filing(self._citation_id("filing"), lead, self.quarter, self.as_of))
        if earnings:
            d.bullet(f"- Diluted EPS was ${lead.eps[-1]:.2f}, {lead.eps_change:+.2f} versus the previous quarter.")
            d.cite(cite.earnings_summary(self._citation_id("earnings"), lead, self.quarter, self.as_of))
            d.bullet("- On the call, management said it continues to see healthy demand across its core markets.")
            d.cite(cite.earnings_transcript(self._citation_id("transcript"), lead, self.quarter, self.as_of))
        if not (filings or earnings):
            d.bullet("The table below comes from the sample data set alone.")
        d.end_list()
        if read:
            self._tool("read_filings", symbols=[s.symbol for s in self.stocks], quarter=self.quarter)
        cited = self.stocks[:_KEY_FIGURES]
        filing_sources = [
            (i, cite.company_filing(self._citation_id(f"table:filing:{s.symbol}"), s, self.quarter, self.as_of))
            for i, s in enumerate(cited)
            if filings
        ]
        earnings_sources = [
            (i, cite.earnings_summary(self._citation_id(f"table:earnings:{s.symbol}"), s, self.quarter, self.as_of))
            for i, s in enumerate(cited)
            if earnings
        ]
        table = sample_tables.fundamentals(
            self.stocks,
            self.data.quarters,
            revenue_sources=filing_sources,
            eps_sources=earnings_sources,
        )
        self._add_artifact("fundamentals", table)

    def highlights(self) -> None:
        d = self.draft
        news, web = self._on("news"), self._on("web_search")
        searched = [name for name, on in (("news", news), ("web", web)) if on]
        d.log(f"Reviewing {' and '.join(searched)} sources..." if searched else "Reviewing themes...")
        if news:
            self._tool("search_news", symbols=[s.symbol for s in self.stocks])
        d.write("### What stands out\n\n")
        if news:
            self._performers()
        if web:
            self._valuation()
        if not self.intent.fundamentals and self._on("filings"):
            lead = self.stocks[0]
            d.bullet(
                f"- {lead.symbol}'s latest quarterly revenue was ${lead.revenue_musd[-1]:,.1f} million, "
                f"{_pct(lead.revenue_growth_yoy)} year over year."
            )
            d.cite(cite.company_filing(self._citation_id("filing"), lead, self.quarter, self.as_of))
        theme = listing(sorted({s.subindustry for s in self.stocks}), limit=3)
        d.bullet(f"- Theme: these names share exposure to {theme.lower()}.")
        d.cite(cite.theme(self._citation_id("theme"), theme, self.as_of))
        d.end_list()

    def _performers(self) -> None:
        d = self.draft
        best = max(self.stocks, key=lambda s: s.return_1y)
        worst = min(self.stocks, key=lambda s: s.return_1y)
        d.bullet("- Best twelve-month return: " if len(self.stocks) > 1 else "- Twelve-month return: ")
        d.inline(_inline_stock(best))
        d.write(f" ({_pct(best.return_1y)}).")
        d.cite(cite.news_development(self._citation_id("development"), best, self.as_of))
        if len(self.stocks) > 1:
            d.bullet(
                f"- Worst twelve-month return: **{worst.symbol}** ({_pct(worst.return_1y)}), "
                f"{_pct(worst.return_1m)} in the latest month."
            )
        else:
            d.bullet(f"- In the latest month **{worst.symbol}** moved {_pct(worst.return_1m)}.")
        d.cite(cite.news_article(self._citation_id("article"), worst, self.as_of))

    def _valuation(self) -> None:
        d = self.draft
        self._tool("web_search", query=f"valuation {self.intent.scope}")
        profitable = [s for s in self.stocks if s.pe is not None]
        if not profitable:
            subject = self.stocks[0]
            if len(self.stocks) == 1:
                d.bullet(f"- **{subject.symbol}** has no positive trailing earnings, so P/E is not meaningful.")
            else:
                d.bullet("- None of these names has positive trailing earnings, so P/E is not meaningful.")
        elif len(profitable) == 1:
            subject = profitable[0]
            if len(self.stocks) == 1:
                d.bullet(f"- **{subject.symbol}** trades at {subject.pe:.1f}x trailing earnings.")
            else:
                d.bullet(f"- **{subject.symbol}** is the only profitable name, at {subject.pe:.1f}x trailing earnings.")
        else:
            subject = max(profitable, key=lambda s: s.pe or 0.0)
            d.bullet(
                f"- Median P/E across the {len(profitable)} profitable names is "
                f"{median(s.pe or 0.0 for s in profitable):.1f}x; "
                f"**{subject.symbol}** is the richest at {subject.pe:.1f}x."
            )
        d.cite(cite.web(self._citation_id("web"), subject, self.as_of))

    def memo(self) -> None:
        best = max(self.stocks, key=lambda s: s.return_1y)
        body = (
            f"**{_title(self.intent)}**\n\n"
            f"{_plural(len(self.stocks), 'stock')} reviewed as of {self.as_of:%Y-%m-%d}. Leader: "
            f"```{json.dumps(_inline_stock(best))}``` at {_pct(best.return_1y)} over twelve months.\n\n"
            f"{SYNTHETIC_FOOTER}"
        )
        self.draft.write("### Memo\n\nA short memo for your notes:\n\n")
        self._add_artifact("memo", text_output("Research memo", body))

    def closing(self) -> None:
        self.draft.write(SYNTHETIC_FOOTER + "\n")


def _no_results() -> Answer:
    """The answer to a question the sample data set has nothing on."""
    return Answer(
        text=NO_RESULTS_TEXT + SYNTHETIC_FOOTER + "\n",
        logs=((0, "Searching the sample data set..."),),
        citations=(),
        artifacts={},
        tools_called={"search_sample_data": [{"matches": 0}]},
        status=NO_RESULTS,
        status_log="No results found",
    )


def compose_answer(
    question: str,
    *,
    earlier: Sequence[str],
    files: Sequence[Attachment],
    data: SampleData,
    sources: Sources = ALL_ON,
) -> Answer:
    """The answer to ``question`` asked after ``earlier`` in a thread holding ``files``."""
    tables = {f.name: t for f in files if (t := read_table(f)) is not None}
    intent = read_intent(question, earlier, data, has_files=bool(files), file_stocks=_file_stocks(tables, data))
    if intent.off_topic:
        return _no_results()
    writer = _Writer(intent, files, data, _Ids(_seed(question, earlier, files, sources)), sources, tables)
    writer.opening()
    writer.key_figures()
    if intent.chart is not None:
        writer.trend()
    if intent.fundamentals:
        writer.fundamentals()
    writer.highlights()
    if intent.memo:
        writer.memo()
    writer.closing()
    draft = writer.draft
    assert all(sources.allows(c["citation_type"]) for c in draft.citations), "a turned-off source was cited"
    return Answer(
        text=draft.text,
        logs=tuple(draft.logs),
        citations=tuple(draft.citations),
        artifacts=writer.artifacts,
        tools_called=writer.tools,
    )
