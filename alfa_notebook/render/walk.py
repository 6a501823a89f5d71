"""The one walk over an answer that every renderer shares: prose, artifacts, citation markers.

The service's text is split into prose and inline objects (:mod:`alfa_notebook.wire.markers`); a stock
object reads as its symbol, an artifact marker becomes an :class:`Embed`. Citations are numbered
and placed here, once, so the HTML, Markdown and plain-text outputs agree on every ``[n]``.

Placement. A citation's ``inline_offset`` counts characters of ``raw_text`` (markers included).
It is mapped through the marker spans (an offset inside a stock object goes after the symbol,
inside an artifact marker before the artifact; past the end means the end), and then moved to
the nearest point where a marker reads well and cannot break the Markdown:

1. back over whitespace, artifacts, and line prefixes (list bullets, ``>``, heading ``#``s), so
   the marker hugs the text it follows, ``claim.[1]`` rather than ``[1]Next``;
2. out of fenced code blocks, rule lines and reference definitions (to before them), and out of
   code spans, links and autolinks (to after them);
3. to the end of the word when it falls inside one, and before a table row's closing ``|``;
4. at the very start of the text it goes to the end of the first line with text instead.

Markers at the same point are grouped, ``[1][2]``. Sources are numbered in order of appearance;
citations without an offset come last and have a card but no marker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..wire import markers
from ..wire.models import Citation
from . import mdscan
from .safe import scrub_placeholders

BARRIER = "\ue00f"  # stands for an artifact in the flat source; never in the service's text


@dataclass(frozen=True, slots=True)
class Prose:
    text: str  # Markdown source, as the service wrote it
    start: int  # where it starts in Document.source


@dataclass(frozen=True, slots=True)
class Cite:
    numbers: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Embed:
    artifact_id: str | None  # None: a marker still arriving (live view)
    position: int  # where it stands in Document.source


Segment = Prose | Cite | Embed


@dataclass(frozen=True, slots=True)
class Source:
    number: int
    citation: Citation
    placed: bool  # whether a marker in the text points to it


@dataclass
class Document:
    """An answer's text as segments, and its numbered sources."""

    source: str  # the flat Markdown source: stock objects as text, artifacts as BARRIER
    segments: list[Segment]
    sources: list[Source] = field(default_factory=list)
    _scan: mdscan.Scan | None = field(default=None, repr=False)

    @property
    def scan(self) -> mdscan.Scan:
        if self._scan is None:
            self._scan = mdscan.scan(self.source.replace(BARRIER, "\n"))
        return self._scan

    @property
    def embedded_ids(self) -> list[str]:
        return [s.artifact_id for s in self.segments if isinstance(s, Embed) and s.artifact_id]


@dataclass(frozen=True, slots=True)
class _Piece:
    raw_start: int
    raw_end: int
    flat_start: int
    flat_end: int
    kind: str  # "prose" | "inline" | "artifact" | "partial"
    artifact_id: str | None = None


def partial_marker_start(text: str) -> int | None:
    """Where a marker that has not fully arrived begins at the end of ``text``, if one does.

    A fence that opens an object (```` ```{ ````, ```` ```json { ````) or could still become one
    (```` ``` ````, ```` ```js ````) and has no closing fence after it.
    """
    start = text.rfind("```")
    if start == -1:
        return None
    while start > 0 and text[start - 1] == "`":
        start -= 1
    tail = text[start:].lstrip("`")
    if "```" in tail:
        return None
    body = tail.lstrip()
    tag = body[:4].lower()
    if body.startswith("{") or (tag == "json" and body[4:].lstrip().startswith("{")):
        return start
    if "json".startswith(body.lower()) or (tag == "json" and not body[4:].strip()):
        return start
    return None


def arriving_marker(text: str, split: list[markers.Piece] | None = None) -> int | None:
    """Where a marker still arriving starts at the end of ``text`` (``split`` is
    ``markers.split(text)``, if already made), or None: the one rule every live view follows."""
    split = markers.split(text) if split is None else split
    if split and isinstance(split[-1], str):
        start = partial_marker_start(split[-1])
        if start is not None:
            return len(text) - len(split[-1]) + start
    return None


def walk(raw_text: str, citations: Sequence[Citation] = (), *, streaming: bool = False) -> Document:
    """Split ``raw_text`` into segments and place ``citations``; see the module docs.

    ``streaming``: the text is still arriving, so a marker cut off at the end becomes a pending
    :class:`Embed` instead of showing as a half-written code fence.
    """
    text = scrub_placeholders(raw_text)
    split = markers.split(text)
    cut = arriving_marker(text, split) if streaming else None
    if cut is not None:
        assert isinstance(split[-1], str)
        split[-1] = split[-1][: len(split[-1]) - (len(text) - cut)]
    flat, pieces = _flatten(split)
    if cut is not None:
        pieces.append(_Piece(cut, len(raw_text), len(flat), len(flat) + 1, "partial"))
        flat += BARRIER
    scan = mdscan.scan(flat.replace(BARRIER, "\n")) if any(c.inline_offset is not None for c in citations) else None
    placed = _place_all(citations, pieces, scan)
    positions: dict[int, list[int]] = {}
    sources = []
    for number, (position, citation) in enumerate(placed, start=1):
        sources.append(Source(number, citation, position is not None))
        if position is not None:
            positions.setdefault(position, []).append(number)
    return Document(flat, _segments(flat, pieces, positions), sources, scan)


def _flatten(split: list[markers.Piece]) -> tuple[str, list[_Piece]]:
    parts: list[str] = []
    pieces: list[_Piece] = []
    raw = flat = 0
    for piece in split:
        if isinstance(piece, str):
            shown, kind, size = piece, "prose", len(piece)
        elif piece.artifact_id is not None:
            shown, kind, size = BARRIER, "artifact", piece.end - piece.start
        else:
            shown, kind, size = scrub_placeholders(piece.as_text()), "inline", piece.end - piece.start
        parts.append(shown)
        artifact_id = piece.artifact_id if kind == "artifact" else None  # type: ignore[union-attr]
        pieces.append(_Piece(raw, raw + size, flat, flat + len(shown), kind, artifact_id))
        raw += size
        flat += len(shown)
    return "".join(parts), pieces


def _flat_offset(offset: int, pieces: list[_Piece], flat_len: int) -> int:
    for p in pieces:
        if offset < p.raw_end or (offset == p.raw_end and p.kind == "prose"):
            if offset <= p.raw_start:
                return p.flat_start
            if p.kind == "prose":
                return p.flat_start + (offset - p.raw_start)
            return p.flat_end if p.kind == "inline" else p.flat_start
    return flat_len


def _place_all(
    citations: Sequence[Citation], pieces: list[_Piece], scan: mdscan.Scan | None
) -> list[tuple[int | None, Citation]]:
    """(marker position or None, citation) in reading order: by position, then as listed."""
    if scan is None:
        return [(None, c) for c in citations]
    located = []
    for index, c in enumerate(citations):
        offset = c.inline_offset
        position = None if offset is None else place(_flat_offset(max(0, offset), pieces, len(scan.source)), scan)
        located.append((position, index, c))
    located.sort(key=lambda t: (t[0] is None, t[0] or 0, t[1]))
    return [(position, c) for position, _, c in located]


def place(offset: int, scan: mdscan.Scan) -> int:
    """The point nearest ``offset`` where a marker may go; see the module docs."""
    source = scan.source
    p = min(max(offset, 0), len(source))
    for _ in range(16):  # each round only moves to a fixed point; a few suffice
        before = p
        p = _out_of_spans(p, scan)
        p = _back(p, source, scan)
        if p == 0:
            p = _forward(source, scan)
        p = _word_end(p, source, scan)
        p = _before_closing_pipe(p, source, scan)
        if p == before:
            break
    return p


def _out_of_spans(p: int, scan: mdscan.Scan) -> int:
    block = scan.block_at(p)
    if block is not None:
        return block.start
    span = scan.inline_at(p)
    return span.end if span is not None else p


def _back(p: int, source: str, scan: mdscan.Scan) -> int:
    while p > 0:
        while p > 0 and source[p - 1].isspace():
            p -= 1
        block = scan.block_at(p)
        if block is not None:
            p = block.start
            continue
        line_start = source.rfind("\n", 0, p) + 1
        line_end = source.find("\n", p)
        if p <= mdscan.line_text_start(source, line_start, len(source) if line_end == -1 else line_end):
            p = line_start
            continue
        break
    return p


def _forward(source: str, scan: mdscan.Scan) -> int:
    """The end of the first line with text outside code and rules, else the end of the text."""
    start = 0
    while start < len(source):
        end = source.find("\n", start)
        end = len(source) if end == -1 else end
        block = scan.block_at(start + 1)
        if block is not None and block.start <= start:
            start = block.end + 1
            continue
        text_end = start + len(source[start:end].rstrip())
        if text_end > mdscan.line_text_start(source, start, end):
            return text_end
        start = end + 1
    return len(source.rstrip())


def _word_end(p: int, source: str, scan: mdscan.Scan) -> int:
    if p == 0 or p >= len(source) or source[p - 1].isspace() or source[p].isspace():
        return p
    while p < len(source) and not source[p].isspace():
        span = scan.inline_starting(p)
        p = span.end if span is not None else p + 1
    return p


def _before_closing_pipe(p: int, source: str, scan: mdscan.Scan) -> int:
    """In a table row, a marker after the closing ``|`` would fall outside every cell."""
    if p > 0 and source[p - 1] == "|" and scan.in_table_row(p):
        q = p - 1
        while q > 0 and source[q - 1] in " \t":
            q -= 1
        line_start = source.rfind("\n", 0, q) + 1
        if q > line_start and source[q - 1] != "|":
            return q
    return p


def _segments(flat: str, pieces: list[_Piece], positions: dict[int, list[int]]) -> list[Segment]:
    """Cut ``flat`` at the marker positions and the artifacts."""
    embeds = {p.flat_start: p.artifact_id for p in pieces if p.kind in ("artifact", "partial")}
    cuts = sorted(set(positions) | set(embeds))
    segments: list[Segment] = []
    cursor = 0
    for cut in cuts:
        if cut > cursor:
            segments.append(Prose(flat[cursor:cut], cursor))
            cursor = cut
        if cut in positions:
            segments.append(Cite(tuple(sorted(positions[cut]))))
        if cut in embeds:
            segments.append(Embed(embeds[cut], cut))
            cursor = cut + 1
    if cursor < len(flat):
        segments.append(Prose(flat[cursor:], cursor))
    return segments


def join_blocks(parts: Sequence[tuple[str, bool]]) -> str:
    """Join text parts, each block part (an artifact) set off by exactly one blank line."""
    out: list[str] = []
    after_block = False
    for text, is_block in parts:
        if is_block:
            if not text:
                continue
            if out:
                out[-1] = out[-1].rstrip("\n")
                out.append("\n\n")
            out.append(text)
            after_block = True
        else:
            if after_block:
                text = "\n\n" + text.lstrip("\n") if text.strip() else text.lstrip("\n")
            out.append(text)
            after_block = False if text.strip() else after_block
    return "".join(out)
