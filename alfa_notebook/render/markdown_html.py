"""The answer's Markdown as sanitised HTML, with citation markers and artifacts put in place.

Markdown is rendered by markdown-it (CommonMark, plus tables and strikethrough; raw HTML off,
images off so that no remote image is ever loaded, links only http/https/mailto), then cleaned by
nh3 (:func:`.safe.clean_html`). Markers and artifacts travel through the Markdown as placeholders
made of private-use characters and are replaced by their HTML afterwards, so the Markdown renderer
never sees HTML of ours and sanitising never sees it either.

The live view calls :func:`render_blocks`, which renders the text block by block and caches every
block that is complete (followed by a blank line), so each update costs the last paragraph, not the
whole answer (a 20,000-word answer takes ~150 ms to render whole, ~5 ms incrementally).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from . import mdscan
from .safe import clean_html, safe_href

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_core import StateCore

# Placeholders. Both ends of a citation placeholder are Unicode punctuation (⁅ ⁆) so that it
# behaves like ``[1]`` next to emphasis delimiters (``_word_[1]`` still closes the emphasis).
_CITE_OPEN, _CITE_CLOSE = "\u2045\ue000", "\ue001\u2046"
_EMBED_OPEN, _EMBED_CLOSE = "\ue002", "\ue003"
_PLACEHOLDER = re.compile(
    "<p>\ue002(?P<block>\\d+)\ue003</p>\n?|\ue002(?P<embed>\\d+)\ue003|\u2045\ue000(?P<cite>\\d+)\ue001\u2046"
)
_BLOCK_BREAK = re.compile(r"\n[ \t]*\n+(?=\S)")


def cite_placeholder(number: int) -> str:
    return f"{_CITE_OPEN}{number}{_CITE_CLOSE}"


def embed_placeholder(index: int) -> str:
    """An artifact's place: a paragraph of its own, replaced whole by the artifact's HTML."""
    return f"\n\n{_EMBED_OPEN}{index}{_EMBED_CLOSE}\n\n"


def _validate_link(url: str) -> bool:
    return safe_href(url) is not None


def _align_attribute(state: StateCore) -> None:
    """Table cell alignment as ``align=`` (allowed), not as the ``style=`` markdown-it writes."""
    for token in state.tokens:
        if token.type in ("th_open", "td_open") and token.attrs:
            style = token.attrs.pop("style", None)
            m = re.fullmatch(r"text-align:(left|right|center)", str(style or ""))
            if m:
                token.attrs["align"] = m.group(1)


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.disable("image")  # ![x](url) reads as "!" and a link: nothing fetched, nothing lost
    md.validateLink = _validate_link  # type: ignore[method-assign]
    md.core.ruler.push("alfa_align", _align_attribute)
    return md


def words(source: str) -> str:
    """The Markdown's text on one line, as a reader sees it: the blocks joined with ``" · "``,
    inline syntax (emphasis, links, code spans) dropped. Still text from the service: escape it."""
    blocks = []
    for token in parser().parse(source):
        if token.type == "inline":
            text = "".join(" " if c.type.endswith("break") else c.content for c in token.children or ())
            if text.strip():
                blocks.append(" ".join(text.split()))
    return " · ".join(blocks)


def render(source: str) -> str:
    """Markdown to sanitised HTML (placeholders pass through as text)."""
    return clean_html(parser().render(source)) if source.strip() else ""


@lru_cache(maxsize=4096)
def _render_block(block: str) -> str:
    return render(block)


def split_blocks(source: str) -> list[str]:
    """``source`` cut at blank lines that start a new top-level block (not inside a fence, not
    before an indented line), so the pieces render the same alone as together, nearly: lists
    split there become consecutive lists, and reference definitions apply within their piece."""
    fences = mdscan.scan_fences(source)
    cuts = [0]
    for m in _BLOCK_BREAK.finditer(source):
        if not fences(m.start()):
            cuts.append(m.end())
    cuts.append(len(source))
    return [source[a:b] for a, b in zip(cuts, cuts[1:]) if b > a]


def render_blocks(source: str) -> str:
    """Like :func:`render`, reusing the HTML of blocks rendered before (the live view)."""
    blocks = split_blocks(source)
    if not blocks:
        return ""
    return "".join([*(_render_block(b) for b in blocks[:-1]), render(blocks[-1])])


def fill(html: str, cite: Callable[[int], str], embed: Callable[[int], str]) -> tuple[str, set[int], set[int]]:
    """Replace the placeholders in rendered ``html``; return it with the numbers and embed
    indexes that were found (a caller appends any that the Markdown swallowed)."""
    cites: set[int] = set()
    embeds: set[int] = set()

    def replace(m: re.Match[str]) -> str:
        if m.group("cite") is not None:
            cites.add(int(m.group("cite")))
            return cite(int(m.group("cite")))
        index = int(m.group("block") or m.group("embed"))
        embeds.add(index)
        return embed(index)

    return _PLACEHOLDER.sub(replace, html), cites, embeds
