"""A light scan of Markdown source: where code, links and block syntax are.

Not a parser: just enough to know where a citation marker may be inserted without breaking the
Markdown (not inside a code span, a fenced block, a link, or before a list marker), which parts
of the text are code (left alone when escaping ``$`` and ``<``), and which links point where (so
that the Markdown output can neutralise unsafe ones). It errs on the side of protecting too much.
"""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

# An opening fence: up to three spaces, then ``` or ~~~ (backtick fences have no ` in the info).
_FENCE = re.compile(r"^ {0,3}(`{3,}(?=[^`\n]*$)|~{3,})", re.M)
# Lines that carry no inline text: thematic breaks, setext underlines, table delimiter rows.
_RULE_LINE = re.compile(r"^ {0,3}(?:(?:[-*_][ \t]*){3,}|=+[ \t]*|-+[ \t]*)$", re.M)
_TABLE_DELIMITER = re.compile(r"^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_REFDEF = re.compile(r"^ {0,3}\[((?:[^\]\\\n]|\\.){1,999})\]:[ \t]*\n?[ \t]*(<[^>\n]*>|\S+)[^\n]*$", re.M)
# Where a line's inline text starts: after indentation, quote markers, list markers, heading #s.
_PREFIX = re.compile(r"(?:[ \t]*(?:>|[-+*](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$)|#{1,6}(?=[ \t]|$)))*[ \t]*")
_INTERESTING = re.compile(r"[`\[<\\!]")
_AUTOLINK = re.compile(r"<(?:[A-Za-z][A-Za-z0-9.+-]{1,31}:[^\s<>]*|[^\s<>@]+@[^\s<>]+)>")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    kind: str  # inline: "code" | "link" | "autolink"; block: "fence" | "rule" | "refdef"
    dest: str | None = None  # a link's destination as written (entities not yet decoded)


@dataclass
class Scan:
    """The spans of one Markdown source, sorted; see :func:`scan`."""

    source: str
    inline: list[Span] = field(default_factory=list)
    block: list[Span] = field(default_factory=list)
    table_lines: list[tuple[int, int]] = field(default_factory=list)  # (start, end) of table rows

    def __post_init__(self) -> None:
        self.index()

    def index(self) -> None:
        """Build the lookup arrays; call after filling the span lists."""
        self._inline_starts = [s.start for s in self.inline]
        self._block_starts = [s.start for s in self.block]
        self._table_starts = [s for s, _ in self.table_lines]

    @staticmethod
    def _containing(spans: list[Span], starts: list[int], pos: int, *, closed_end: bool) -> Span | None:
        i = bisect.bisect_left(starts, pos) - 1
        if i >= 0:
            s = spans[i]
            if s.start < pos < s.end or (closed_end and pos == s.end):
                return s
        return None

    def inline_at(self, pos: int) -> Span | None:
        """The code span, link or autolink that ``pos`` falls strictly inside."""
        return self._containing(self.inline, self._inline_starts, pos, closed_end=False)

    def inline_starting(self, pos: int) -> Span | None:
        i = bisect.bisect_left(self._inline_starts, pos)
        return self.inline[i] if i < len(self.inline) and self.inline[i].start == pos else None

    def block_at(self, pos: int) -> Span | None:
        """The fence, rule or reference definition that ``pos`` falls in (its end included)."""
        return self._containing(self.block, self._block_starts, pos, closed_end=True)

    def in_table_row(self, pos: int) -> bool:
        i = bisect.bisect_right(self._table_starts, pos) - 1
        return i >= 0 and self.table_lines[i][0] <= pos <= self.table_lines[i][1]

    @cached_property
    def code(self) -> list[Span]:
        """Fenced blocks and code spans, sorted: text there is shown verbatim."""
        return sorted((s for s in (*self.block, *self.inline) if s.kind in ("fence", "code")), key=lambda s: s.start)


def scan(source: str) -> Scan:
    """Find the fenced blocks, rule lines, reference definitions, tables, code spans and links."""
    result = Scan(source)
    result.block = _fences(source)
    fences = list(result.block)
    in_fence = _membership(fences)
    for m in _RULE_LINE.finditer(source):
        if not in_fence(m.start()):
            result.block.append(Span(m.start(), m.end(), "rule"))
    refdefs = []
    for m in _REFDEF.finditer(source):
        if not in_fence(m.start()):
            refdefs.append(m.group(1).strip().lower())
            result.block.append(Span(m.start(), m.end(), "refdef", m.group(2).strip("<>")))
    result.table_lines = _table_lines(source, in_fence)
    result.block.sort(key=lambda s: s.start)
    result.inline = _inline_spans(source, fences, bool(refdefs))
    result.index()
    return result


def scan_fences(source: str) -> Callable[[int], bool]:
    """Whether a position is inside a fenced code block (cheap: fences only)."""
    return _membership(_fences(source))


def _membership(spans: list[Span]) -> Callable[[int], bool]:
    starts = [s.start for s in spans]

    def inside(pos: int) -> bool:
        i = bisect.bisect_right(starts, pos) - 1
        return i >= 0 and spans[i].start <= pos < spans[i].end

    return inside


def _fences(source: str) -> list[Span]:
    spans: list[Span] = []
    pos = 0
    while True:
        m = _FENCE.search(source, pos)
        if m is None:
            return spans
        marker = m.group(1)
        closing = re.compile(rf"^ {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$", re.M)
        line_end = source.find("\n", m.end())
        close = closing.search(source, line_end + 1) if line_end != -1 else None
        end = close.end() if close else len(source)
        spans.append(Span(m.start(), end, "fence"))
        pos = max(end, m.end())


def _table_lines(source: str, in_fence: Callable[[int], bool]) -> list[tuple[int, int]]:
    """Rows of GFM tables: a header row with ``|``, a delimiter row, then non-blank rows."""
    lines: list[tuple[int, int]] = []
    starts = [0, *(m.end() for m in re.finditer("\n", source))]
    bounds = [(s, (source.find("\n", s) + 1 or len(source) + 1) - 1) for s in starts]
    i = 1
    while i < len(bounds):
        start, end = bounds[i]
        header = source[bounds[i - 1][0] : bounds[i - 1][1]]
        if (
            "|" in header
            and "-" in source[start:end]
            and _TABLE_DELIMITER.match(source[start:end])
            and not in_fence(start)
        ):
            lines.append(bounds[i - 1])
            j = i + 1
            while j < len(bounds) and source[bounds[j][0] : bounds[j][1]].strip():
                lines.append(bounds[j])
                j += 1
            i = j
        i += 1
    return lines


def _inline_spans(source: str, fences: list[Span], has_refdefs: bool) -> list[Span]:
    spans: list[Span] = []
    fence_starts = [f.start for f in fences]
    pos = 0
    n = len(source)
    while pos < n:
        m = _INTERESTING.search(source, pos)
        if m is None:
            break
        i = m.start()
        k = bisect.bisect_right(fence_starts, i) - 1
        if k >= 0 and fences[k].start <= i < fences[k].end:
            pos = fences[k].end
            continue
        ch = source[i]
        if ch == "\\":
            pos = i + 2
            continue
        limit = _paragraph_end(source, i)
        span: Span | None = None
        if ch == "`":
            span = _code_span(source, i, limit)
            if span is None:
                pos = i + len(source[i:limit]) - len(source[i:limit].lstrip("`"))
                continue
        elif ch == "[" or (ch == "!" and source.startswith("[", i + 1)):
            span = _link(source, i, limit, has_refdefs)
        elif ch == "<":
            a = _AUTOLINK.match(source, i)
            if a is not None:
                span = Span(i, a.end(), "autolink", a.group()[1:-1])
        if span is None:
            pos = i + 1
        else:
            spans.append(span)
            pos = span.end
    return spans


def _paragraph_end(source: str, pos: int) -> int:
    m = _BLANK_LINE.search(source, pos)
    return m.start() if m else len(source)


def _code_span(source: str, start: int, limit: int) -> Span | None:
    run = len(source[start:limit]) - len(source[start:limit].lstrip("`"))
    closing = re.compile(rf"(?<!`)`{{{run}}}(?!`)")
    m = closing.search(source, start + run, limit)
    return Span(start, m.end(), "code") if m else None


def _matching(source: str, start: int, limit: int, open_: str, close: str) -> int:
    """Index just past the bracket closing the one at ``start``, or -1; skips escapes and code."""
    depth = 0
    i = start
    while i < limit:
        ch = source[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "`":
            code = _code_span(source, i, limit)
            if code is not None:
                i = code.end
                continue
        if ch == open_:
            depth += 1
        elif ch == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


def _link(source: str, start: int, limit: int, has_refdefs: bool) -> Span | None:
    bracket = start + 1 if source[start] == "!" else start
    text_end = _matching(source, bracket, limit, "[", "]")
    if text_end == -1:
        return None
    if source.startswith("(", text_end):
        dest_end = _matching(source, text_end, limit, "(", ")")
        if dest_end == -1:
            return None
        inner = source[text_end + 1 : dest_end - 1].strip()
        dest = inner[1 : inner.find(">")] if inner.startswith("<") and ">" in inner else (inner.split() or [""])[0]
        return Span(start, dest_end, "link", dest)
    if source.startswith("[", text_end):
        label_end = _matching(source, text_end, limit, "[", "]")
        if label_end != -1:
            return Span(start, label_end, "link")
    if has_refdefs:
        return Span(start, text_end, "link")
    return None


def line_text_start(source: str, line_start: int, line_end: int) -> int:
    """Where a line's inline text begins, after quote and list markers and heading ``#``s."""
    m = _PREFIX.match(source, line_start, line_end)
    return m.end() if m else line_start


def decoded_destination(dest: str) -> str:
    """A link destination as a Markdown renderer would hand it to the browser."""
    return html.unescape(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", dest))
