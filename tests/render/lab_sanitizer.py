"""JupyterLab's HTML sanitiser for untrusted outputs, reimplemented on nh3 for the tests.

The allow-list is JupyterLab 4's (``packages/apputils/src/sanitizer.ts``, ``sanitize-html``
options): these tags and attributes survive, every other tag is dropped but its text is kept
(an ``<svg>``'s labels too), ``<script>`` and ``<style>`` are dropped with their content, an
attribute with an empty value is dropped (but ``alt``), ``id`` becomes ``data-jupyter-id`` and
every link gets ``rel="nofollow"``. Inline ``style`` attributes,
which JupyterLab filters property by property, are dropped here (the outputs carry none).
:func:`reading` then gives what a reader sees: text outside ``hidden`` elements and outside
the bodies of closed ``<details>``.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

TAGS = frozenset(
    "a abbr acronym address area article aside audio b bdi bdo big blockquote br button canvas caption center "
    "cite code col colgroup colspan command data datalist dd del details dfn dir div dl dt em fieldset "
    "figcaption figure font footer form h1 h2 h3 h4 h5 h6 header hgroup hr i img input ins kbd label legend li "
    "map mark menu meter nav nobr ol optgroup option output p pre progress q rowspan s samp section select "
    "small source span strike strong sub summary sup table tbody td textarea tfoot th thead time tr track tt "
    "u ul var video wbr".split()
)
GENERIC = {"class", "data-jupyter-id", "dir", "draggable", "hidden", "inert", "itemprop", "itemref", "itemscope",
           "lang", "spellcheck", "title", "translate"}  # fmt: skip
ATTRIBUTES = {
    "*": GENERIC,
    "a": {"accesskey", "coords", "href", "hreflang", "shape", "tabindex", "target", "type"},
    "caption": {"align"},
    "details": {"open"},
    "div": {"align"},
    "ol": {"compact", "reversed", "start", "type"},
    "p": {"align"},
    "table": {"align", "bgcolor", "border", "cellpadding", "cellspacing", "frame", "rules", "summary", "width"},
    "td": {"abbr", "align", "axis", "bgcolor", "char", "charoff", "colspan", "headers", "height", "nowrap",
           "rowspan", "scope", "valign", "width"},
    "th": {"abbr", "align", "axis", "bgcolor", "char", "charoff", "colspan", "headers", "height", "nowrap",
           "rowspan", "scope", "valign", "width"},
    "tr": {"align", "bgcolor", "char", "charoff", "valign"},
    "blockquote": {"cite"},
    "li": {"type", "value"},
}  # fmt: skip
SCHEMES = {"http", "https", "ftp", "mailto", "tel"}
_ID = re.compile(r'(<[a-zA-Z][^>]*?\s)id="')


def _not_empty(tag: str, attribute: str, value: str) -> str | None:
    return value if value or attribute == "alt" else None


def sanitize(html: str) -> str:
    """What JupyterLab shows of ``html`` in an untrusted notebook."""
    renamed = _ID.sub(r'\1data-jupyter-id="', html)
    return nh3.clean(renamed, tags=set(TAGS), clean_content_tags={"script", "style"}, attributes=ATTRIBUTES,
                     url_schemes=SCHEMES, link_rel="nofollow", attribute_filter=_not_empty)  # fmt: skip


class _Reader(HTMLParser):
    VOID = {"br", "hr", "img", "input", "wbr", "col", "area", "source", "track"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, hides its content)
        self.summary = 0
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        names = dict(attrs)
        if tag in self.VOID:
            return
        hides = "hidden" in names or (tag == "details" and "open" not in names)
        self.stack.append((tag, hides))
        if tag == "summary":
            self.summary += 1

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        while self.stack:
            open_tag, _ = self.stack.pop()
            if open_tag == "summary":
                self.summary -= 1
            if open_tag == tag:
                break
        if tag in ("p", "div", "tr", "li", "summary", "caption", "table", "h1", "h2", "h3", "blockquote"):
            self.text.append("\n")
        elif tag in ("td", "th"):
            self.text.append(" ")  # cells stand apart, as a browser lays them out

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        hidden = [i for i, (_, hides) in enumerate(self.stack) if hides]
        if not hidden:
            self.text.append(data)
            return
        # inside a closed <details>, only its <summary> shows
        first = hidden[0]
        tag, _ = self.stack[first]
        if tag == "details" and len(hidden) == 1 and any(t == "summary" for t, _ in self.stack[first + 1 :]):
            self.text.append(data)


def reading(html: str) -> list[str]:
    """The lines a reader sees: text outside hidden elements and closed details' bodies."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return [" ".join(line.split()) for line in "".join(reader.text).split("\n") if line.strip()]
