"""What a citation card says, decided once for the HTML cards and the Markdown and text lists."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from ..wire.models import parse_time
from .safe import safe_href
from .walk import Source

# citation_type -> badge (the types: docs/protocol.md, Citations); any other type is shown under its own name.
BADGES: Mapping[str, str] = {
    "web": "web",
    "link": "web",
    "news_article": "news",
    "news_development": "news",
    "company_filing": "filing",
    "earnings_summary": "earnings",
    "earnings_transcript": "earnings",
    "custom_doc": "document",
    "document": "document",
    "text": "document",
    "kpi": "kpi",
    "theme": "theme",
}


@dataclass(frozen=True)
class CitationFacts:
    number: int
    badge: str  # the label shown: a known badge, or the raw citation type
    known_badge: bool  # whether ``badge`` is one of BADGES' values (safe as a CSS class)
    title: str
    publisher: str | None
    date: str | None
    url: str | None  # as the service gave it
    href: str | None  # the same, if it is a safe link
    snippet: str | None
    highlight: tuple[int, int] | None  # within ``snippet``, clamped, non-empty
    extras: tuple[str, ...]  # type-specific notes: "7 articles", "fetched 2025-06-29", ...
    placed: bool


def facts(source: Source) -> CitationFacts:
    c = source.citation
    raw: Mapping[str, Any] = c.raw if isinstance(c.raw, Mapping) else {}
    kind = str(c.type or "unknown")
    badge = BADGES.get(kind.lower())
    snippet = c.snippet if c.snippet else None
    return CitationFacts(
        number=source.number,
        badge=badge or kind,
        known_badge=badge is not None,
        title=c.title or c.url or f"Source {source.number}",
        publisher=_publisher(c.source, c.url, raw, badge or kind),
        date=_day(c.published),
        url=c.url or None,
        href=safe_href(c.url),
        snippet=snippet,
        highlight=_clamp(c.highlight, len(snippet or "")),
        extras=_extras(raw),
        placed=source.placed,
    )


def _publisher(source: str | None, url: str | None, raw: Mapping[str, Any], badge: str) -> str | None:
    """The publisher, else the link's domain, else the service's category unless the badge says it."""
    for key in ("source", "publisher"):
        value = raw.get(key)
        if isinstance(value, str) and value.strip():
            return value
    category = raw.get("source_category")
    if source and source != category:
        return source
    domain = _domain(url)
    if domain:
        return domain
    if (
        isinstance(category, str)
        and category.strip()
        and category.strip().lower() not in (badge.lower(), badge.lower() + "s")
    ):
        return category
    return None


def _domain(url: str | None) -> str | None:
    if not url or safe_href(url) is None:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return host.removeprefix("www.") if host else None


def _day(value: Any) -> str | None:
    moment = value if isinstance(value, datetime) else parse_time(value)
    return moment.date().isoformat() if moment is not None else None


def _clamp(span: tuple[int, int] | None, length: int) -> tuple[int, int] | None:
    if span is None:
        return None
    start = max(0, min(int(span[0]), length))
    end = max(start, min(int(span[1]), length))
    return (start, end) if end > start else None


def _extras(raw: Mapping[str, Any]) -> tuple[str, ...]:
    notes = []
    articles = raw.get("num_articles")
    if isinstance(articles, int) and not isinstance(articles, bool):
        notes.append(f"{articles} article{'s' if articles != 1 else ''}")
    since = _day(raw.get("development_start"))
    if since:
        notes.append(f"developing since {since}")
    fetched = _day(raw.get("last_fetched_at"))
    if fetched:
        notes.append(f"fetched {fetched}")
    return tuple(notes)
