"""The ``text/plain`` rendering, also what the terminal sink prints.

The answer's Markdown as written (it reads well as text), ``[n]`` markers, tables as aligned text
capped with "n of m rows", a numbered Sources list (title, publisher or domain, date, URL) and a
footer line. Control characters from the service are shown escaped, never sent to the terminal.
A terminal that streamed the prose (before the citations arrived, so without markers) then prints
only :func:`after_prose`, whose sources say which words each number backs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from .artifacts import ArtifactView
from .citations import CitationFacts
from .grid import to_text
from .safe import plain
from .status import note
from .walk import Cite, Document, Embed, Prose, join_blocks

if TYPE_CHECKING:
    from .prepared import Prepared


def artifact(view: ArtifactView) -> str:
    title = plain(view.title) + "\n" if view.title else ""
    if view.kind == "table" and view.table is not None:
        return to_text(view.table)
    if view.kind == "chart" and view.table is not None:
        return f"{title}(chart; its data:)\n{to_text(replace(view.table, title=None))}"
    if view.kind == "text" and view.text is not None:
        return title + plain(view.text)
    if view.kind == "json" and view.json is not None:
        notice = plain(view.note) + "\n" if view.note else ""
        return title + notice + plain(view.json)
    if view.kind == "pending":
        return "[table or chart loading…]" if view.artifact_id else ""
    return f"[{plain(view.note or 'This artifact is not available.')}]"


def source_line(f: CitationFacts, cited_for: str | None = None) -> str:
    meta = ", ".join(plain(x) for x in (f.publisher, f.date) if x)
    line = f"[{f.number}] {plain(f.title)}" + (f" — {meta}" if meta else "") + f" ({plain(f.badge)})"
    line += f"\n    {plain(f.url)}" if f.url else ""
    return line + (f"\n    cited for “{plain(cited_for)}”" if cited_for else "")


QUOTE_WIDTH = 70


def cited_words(doc: Document, width: int = QUOTE_WIDTH) -> dict[int, str]:
    """For each source a marker in the prose points to, the words that marker follows (the end of
    its line, at most ``width`` characters): a terminal streams the prose before the citations
    arrive, so its sources list says what each number backs instead."""
    quotes: dict[int, str] = {}
    before = ""
    for segment in doc.segments:
        if isinstance(segment, Prose):
            before = segment.text
        elif isinstance(segment, Cite):
            line = before.rstrip().rsplit("\n", 1)[-1].strip().lstrip("-*+> ").strip()
            if line:
                if len(line) > width:  # its end, from a word's start
                    tail = line[-(width - 1) :]
                    line = "…" + (tail.split(" ", 1)[1] if " " in tail[1:] else tail)
                for number in segment.numbers:
                    quotes.setdefault(number, line)
        else:
            before = ""
    return quotes


def render_text(
    doc: Document,
    view_of: Callable[[str | None], ArtifactView],
    extra: Mapping[str, ArtifactView],
    sources: list[CitationFacts],
    *,
    status: str,
    warnings: list[str],
    footer: str,
) -> str:
    """The whole plain-text output; ``extra`` are artifacts not placed in the text."""
    parts: list[str] = []
    said = note(status)
    if said is not None:
        parts.append(f"[{plain(said[0])}] {said[1]}\n")
        parts += [f"  ! {plain(w)}\n" for w in warnings]
        parts.append("\n")
    parts.append(body(doc, view_of))
    parts += [f"\n\n{artifact(v)}\n" for v in extra.values()]
    if sources:
        parts.append("\n\nSources\n" + "\n".join(source_line(f) for f in sources) + "\n")
    parts.append(f"\n\n{footer}\n")
    if status == "complete":
        parts += [f"  ! {plain(w)}\n" for w in warnings]
    return "".join(parts).strip() + "\n"


def after_prose(p: Prepared) -> str:
    """What a terminal that streamed the answer's prose has not shown yet: the tables and charts
    (in the order of the text), the sources, how the answer ended, the footer."""
    views = [p.view_of(s.artifact_id) for s in p.doc.segments if isinstance(s, Embed)] + list(p.unplaced.values())
    parts = [text for text in (artifact(v) for v in views) if text]
    if p.sources:
        quotes = cited_words(p.doc)
        parts.append("Sources\n" + "\n".join(source_line(f, quotes.get(f.number)) for f in p.sources))
    said = note(p.answer.status)
    if said is not None:
        parts.append(f"[{plain(said[0])}] {said[1]}")
    parts += [f"! {plain(w)}" for w in p.answer.warnings]
    parts.append(p.footer())
    return "\n\n".join(parts) + "\n"


def body(doc: Document, view_of: Callable[[str | None], ArtifactView]) -> str:
    """The answer's text with markers and artifacts in place."""
    parts: list[tuple[str, bool]] = []
    for segment in doc.segments:
        if isinstance(segment, Prose):
            parts.append((plain(segment.text), False))
        elif isinstance(segment, Cite):
            parts.append(("".join(f"[{n}]" for n in segment.numbers), False))
        elif isinstance(segment, Embed):
            parts.append((artifact(view_of(segment.artifact_id)), True))
    return join_blocks(parts)
