"""Hostile strings, and answers that carry one in every field that reaches the screen.

Reusable: ``HOSTILE`` is the corpus; :func:`hostile_answer` builds an Answer around one string;
:func:`audit` parses HTML with the standard library and reports what a browser would see and
run; :func:`assert_inert` fails on anything executable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from alfa_notebook.emulator.hostile import PAGE
from alfa_notebook.results.answer import Answer
from alfa_notebook.wire.models import Artifact, Citation

# The corpus lives with the emulator, whose hostile mode sends it through the whole path.
HOSTILE: list[str] = list(PAGE)

# Strings that Markdown (the answer text, a text artifact) legitimately reads as something else.
_CODE_TICKS = re.compile(r"`+")


@dataclass
class Audit:
    """What an HTML string contains, as a browser's parser sees it."""

    tags: list[str] = field(default_factory=list)
    attributes: list[tuple[str, str, str]] = field(default_factory=list)  # (tag, name, value)
    text: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)

    @property
    def visible(self) -> str:
        return normalise("".join(self.text))

    def elements(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        """Attributes of each ``tag`` element whose attributes include ``attrs``."""
        return [a for t, a in self._elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    _elements: list[tuple[str, dict[str, str]]] = field(default_factory=list)


class _Parser(HTMLParser):
    def __init__(self, audit: Audit):
        super().__init__(convert_charrefs=True)
        self.audit = audit
        self.in_style = 0

    def handle_starttag(self, tag, attrs):
        self.audit.tags.append(tag)
        values = {name: value or "" for name, value in attrs}
        self.audit._elements.append((tag, values))
        self.audit.attributes += [(tag, name, value or "") for name, value in attrs]
        if tag == "style":
            self.in_style += 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "style":
            self.in_style -= 1

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style -= 1

    def handle_data(self, data):
        (self.audit.styles if self.in_style else self.audit.text).append(data)


def audit(html: str) -> Audit:
    result = Audit()
    parser = _Parser(result)
    parser.feed(html)
    parser.close()
    return result


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def normalise(text: str) -> str:
    """Whitespace collapsed and control characters dropped, as a reader perceives text."""
    return " ".join(_CONTROL.sub("", text).split())


FORBIDDEN_TAGS = {
    "script", "iframe", "object", "embed", "form", "input", "button", "textarea", "frame", "frameset", "base",
    "link", "meta", "img", "audio", "video", "source", "math",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "xlink:href", "action", "formaction", "data", "poster", "background", "srcset", "ping"}
_BAD_SCHEME = re.compile(r"(?:java|vb)script:|data:|livescript:", re.I)
_URL_NOISE = re.compile("[\x00-\x20\x7f]+")


def assert_inert(html: str, *, styles_allowed: int = 1, align_styles: bool = False) -> Audit:
    """Fail unless ``html`` holds nothing executable; return what it holds.

    ``align_styles``: allow ``style="text-align:…"`` on table cells (what a Markdown renderer
    writes for a table's own alignment row, not anything from content)."""
    result = audit(html)
    bad = FORBIDDEN_TAGS.intersection(result.tags)
    assert not bad, f"forbidden elements: {bad}"
    assert result.tags.count("style") <= styles_allowed, "a <style> element that is not ours"
    for tag, name, value in result.attributes:
        assert not name.lower().startswith("on"), f"event handler attribute {name!r} on <{tag}>"
        if align_styles and tag in ("th", "td") and re.fullmatch(r"text-align:(left|right|center)", value):
            continue
        assert name.lower() != "style", f"style attribute on <{tag}>"
        probe = _URL_NOISE.sub("", value)
        assert not _BAD_SCHEME.search(probe), f"dangerous scheme in {name}={value!r} on <{tag}>"
        if name.lower() in URL_ATTRIBUTES:
            assert probe.startswith(("http://", "https://", "mailto:", "#")), f"{name}={value!r} on <{tag}>"
    return result


def markdown_visible(hostile: str) -> str:
    """What a Markdown reading of ``hostile`` leaves as text (entities decoded, code ticks gone)."""
    import html

    return normalise(html.unescape(_CODE_TICKS.sub("", hostile)))


def hostile_answer(h: str, *, status: str = "cancelled") -> Answer:
    """An answer with ``h`` in every field that reaches the screen."""
    table = Artifact.from_raw("t1", {
        "output_type": "table",
        "title": h,
        "columns": [
            {"name": h, "col_type": "string"},
            {"name": "Return", "col_type": "percent"},
            {"name": "Price", "col_type": "currency", "unit": "USD"},
        ],
        "rows": [[h, 0.25, 25.2], ["plain", None, 30.0]],
    })  # fmt: skip
    chart = Artifact.from_raw("c1", {
        "output_type": "graph", "title": h,
        "graph": {"graph_type": "line", "x_axis_type": "string", "y_axis_type": "currency", "y_unit": "USD",
                  "data": [{"dataset_id": h, "dataset_id_type": "string",
                            "points": [{"x_val": h, "y_val": 1.5}, {"x_val": "b", "y_val": 2.5}]}]},
    })  # fmt: skip
    text = Artifact.from_raw("x1", {"output_type": "text", "title": h, "val": f"Memo: {h}"})
    blob = Artifact.from_raw("j1", {"title": h, "payload": {"value": h}})
    raw_text = (
        f"Intro {h} end.\n\n"
        '```{"type": "output_artifact", "artifact_id": "t1"}```\n\n'
        '```{"type": "output_artifact", "artifact_id": "c1"}```\n\n'
        '```{"type": "output_artifact", "artifact_id": "x1"}```\n\n'
        '```{"type": "output_artifact", "artifact_id": "j1"}```\n\nClosing line.'
    )
    citations = [
        Citation(id=h, type=h, title=h, url=h, snippet=f"{h} tail", inline_offset=6, highlight=(0, len(h)),
                 source=h, raw={"citation_type": h, "name": h, "link": h, "source": h}),
        Citation(id="ok", type="web", title=h, url="https://example.com/a?b=1&c=$2", snippet=h,
                 inline_offset=len(raw_text), source=None, raw={"num_articles": 3}),
    ]  # fmt: skip
    return Answer(
        question=h, raw_text=raw_text, status=status, thread_id=h, message_id=h,
        citations=citations, artifacts=[table, chart, text, blob], logs=[h], elapsed=1.25, warnings=[h],
    )  # fmt: skip
