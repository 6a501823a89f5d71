"""The ``text/markdown`` fallback: the answer's Markdown, ``\\[n\\]`` markers, tables, sources.

A front end that prefers Markdown may render it with raw HTML on and without sanitising (a trusted
output in JupyterLab is), so the service's Markdown is made inert outside code: ``<`` becomes
``&lt;`` (no raw HTML, no autolinks), a link whose destination is not http, https or mailto loses
its opening ``[`` (it reads as text), and ``$`` becomes ``\\$`` (no LaTeX). Code is left verbatim.
Markers are escaped brackets (``\\[1\\]``), not ``[^1]`` footnotes: Jupyter's Markdown renderer has
no footnotes and would show the caret. Sources follow as a numbered list.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Mapping
from dataclasses import replace

from . import mdscan
from .artifacts import ArtifactView
from .citations import CitationFacts
from .grid import to_markdown
from .safe import md_inert, md_text, safe_href
from .status import note
from .walk import Cite, Document, Embed, Prose, join_blocks


def unsafe_brackets(scan: mdscan.Scan) -> set[int]:
    """Positions of the ``[`` that open a link or definition pointing anywhere but http(s)/mailto."""
    positions = set()
    for span in (*scan.inline, *scan.block):
        if span.kind in ("link", "refdef") and span.dest is not None:
            if safe_href(mdscan.decoded_destination(span.dest)) is None:
                positions.add(scan.source.index("[", span.start))
    return positions


def inert(scan: mdscan.Scan, start: int = 0, end: int | None = None, unsafe: set[int] | None = None) -> str:
    """``scan.source[start:end]`` made inert outside code (see module docs)."""
    source = scan.source
    end = len(source) if end is None else end
    openings = sorted(unsafe_brackets(scan) if unsafe is None else unsafe)
    out: list[str] = []
    cursor = start
    spans = scan.code
    for span in spans[max(0, bisect.bisect_left([s.end for s in spans], start)) :]:
        if span.start >= end:
            break
        a, b = max(span.start, start), min(span.end, end)
        out.append(_inert_between(source, cursor, a, openings))
        out.append(source[a:b])
        cursor = b
    out.append(_inert_between(source, cursor, end, openings))
    return "".join(out)


def _inert_between(source: str, a: int, b: int, openings: list[int]) -> str:
    out = []
    for p in openings[bisect.bisect_left(openings, a) : bisect.bisect_left(openings, b)]:
        out += [md_inert(source[a:p]), "\\["]
        a = p + 1
    out.append(md_inert(source[a:b]))
    return "".join(out)


def inert_markdown(text: str) -> str:
    """Service Markdown (a text artifact, say) made inert outside code."""
    return inert(mdscan.scan(text))


def artifact(view: ArtifactView) -> str:
    title = f"**{md_text(view.title)}**\n\n" if view.title else ""
    if view.kind == "table" and view.table is not None:
        return to_markdown(view.table)
    if view.kind == "chart" and view.table is not None:
        return f"{title}_Chart data:_\n\n{to_markdown(replace(view.table, title=None))}"
    if view.kind == "text" and view.text is not None:
        return title + inert_markdown(view.text)
    if view.kind == "json" and view.json is not None:
        fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", view.json)), default=0))
        notice = f"_{md_text(view.note)}_\n\n" if view.note else ""
        return f"{title}{notice}{fence}json\n{view.json}\n{fence}"
    if view.kind == "pending":
        return "_table or chart loading…_" if view.artifact_id else ""
    return f"_{md_text(view.note or 'This artifact is not available.')}_"


def citation_item(f: CitationFacts) -> str:
    parts = [f"{f.number}. **{md_text(f.title)}** — _{md_text(f.badge)}_"]
    parts += [f", {md_text(x)}" for x in (f.publisher, f.date) if x]
    if f.href is not None and re.fullmatch(r"[^\s<>]+", f.href):
        parts.append(f" <{f.href}>")
    elif f.url:
        parts.append(f" ({md_text(f.url)})")
    return "".join(parts)


def render_markdown(
    doc: Document,
    view_of: Callable[[str | None], ArtifactView],
    extra: Mapping[str, ArtifactView],
    sources: list[CitationFacts],
    *,
    status: str,
    warnings: list[str],
    footer: str,
) -> str:
    """The whole Markdown output; ``extra`` are artifacts not placed in the text."""
    unsafe = unsafe_brackets(doc.scan) if doc.segments else set()
    parts: list[str] = []
    said = note(status)
    if said is not None:
        parts.append(f"**{md_text(said[0])}:** {said[1]}\n\n")
        parts += [f"- {md_text(w)}\n" for w in warnings]
        parts.append("\n" if warnings else "")
    pieces: list[tuple[str, bool]] = []
    for segment in doc.segments:
        if isinstance(segment, Prose):
            pieces.append((inert(doc.scan, segment.start, segment.start + len(segment.text), unsafe), False))
        elif isinstance(segment, Cite):
            pieces.append(("".join(f"\\[{n}\\]" for n in segment.numbers), False))
        elif isinstance(segment, Embed):
            pieces.append((artifact(view_of(segment.artifact_id)), True))
    parts.append(join_blocks(pieces))
    parts += [f"\n\n{artifact(v)}\n" for v in extra.values()]
    if sources:
        parts.append("\n\n**Sources**\n\n" + "\n".join(citation_item(f) for f in sources) + "\n")
    parts.append(f"\n\n---\n_{footer}_\n")
    if status == "complete":
        parts += [f"\n- ⚠ {md_text(w)}" for w in warnings]
    return "".join(parts).strip() + "\n"
