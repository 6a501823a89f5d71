"""Property-based: any text, any citation offsets, any markers: renders, every marker links to a
card, nothing executable."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alfa_notebook.render import answer_bundle, live_html
from alfa_notebook.render import walk as W
from alfa_notebook.turn.machine import Turn
from alfa_notebook.wire.models import Citation

from .conftest import make_answer, marker, table_artifact
from .hostile import HOSTILE, assert_inert

MARKDOWN_BITS = [
    "word", "Revenue", " ", " ", "\n", "\n\n", "**", "_", "`", "```", "```\n", "~~~\n", "[", "]", "(", ")",
    "](https://example.com)", "](javascript:alert(1))", "<", ">", "&amp;", "&#106;", "#", "## ", "- ", "1. ",
    "> ", "|", "|---|", "---", "\\", "$", "$25.2B", "!", "é", "\u202e", "\ue000", "\u2045", "NVDA", ":",
    marker("t1"), marker("gone"), '```{"type": "stock", "symbol": "AMD"}```', '```{"type": "output_art',
]  # fmt: skip
texts = st.lists(
    st.one_of(st.sampled_from(MARKDOWN_BITS), st.sampled_from(HOSTILE[:12]), st.text(max_size=6)), max_size=40
).map("".join)


@st.composite
def answers(draw):  # type: ignore[no-untyped-def]
    text = draw(texts)
    offsets = draw(st.lists(st.integers(min_value=-3, max_value=len(text) + 5), max_size=8))
    citations = [
        Citation(id=f"c{i}", type=draw(st.sampled_from(["web", "news_article", "kpi", "x<y"])), title=f"S{i}",
                 url=draw(st.sampled_from(["https://e.com/x", "javascript:alert(1)", None])), snippet="abc",
                 inline_offset=o, highlight=draw(st.sampled_from([None, (0, 2), (5, 9), (2, 1)])))
        for i, o in enumerate(offsets)
    ]  # fmt: skip
    return make_answer(text, citations=citations, artifacts=[table_artifact("t1")])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers())
def test_any_answer_renders_with_one_linked_marker_per_citation(answer) -> None:  # type: ignore[no-untyped-def]
    data, _ = answer_bundle(answer)
    shown = assert_inert(data["text/html"])
    cards = {a["name"] for a in shown.elements("a") if a.get("name", "").startswith("alfa-src-")}
    links = [a["href"] for a in shown.elements("a") if a.get("href", "").startswith("#alfa-src-")]
    assert len(cards) == len(answer.citations)
    assert len(links) == len(answer.citations)  # every citation has an offset here
    assert {href[1:] for href in links} == cards
    assert all("open" not in a for a in shown.elements("details", **{"class": "alfa-card"}))
    for n in range(1, len(answer.citations) + 1):
        assert f"\\[{n}\\]" in data["text/markdown"]
        assert f"[{n}]" in data["text/plain"]
    assert "$" not in data["text/html"]


@settings(max_examples=150, deadline=None)
@given(texts, st.lists(st.integers(min_value=-3, max_value=300), max_size=6))
def test_every_citation_is_placed_once_at_a_cut_of_the_text(text: str, offsets: list[int]) -> None:
    doc = W.walk(text, [Citation(id=str(i), type="web", title="t", inline_offset=o) for i, o in enumerate(offsets)])
    numbers = [n for s in doc.segments if isinstance(s, W.Cite) for n in s.numbers]
    assert sorted(numbers) == list(range(1, len(offsets) + 1))
    assert numbers == sorted(numbers)  # numbered in reading order
    prose = "".join(s.text for s in doc.segments if isinstance(s, W.Prose))
    assert prose == doc.source.replace(W.BARRIER, "")


complete_texts = st.lists(
    st.one_of(st.sampled_from([b for b in MARKDOWN_BITS if not b.endswith("output_art")]), st.text(max_size=6)),
    max_size=40,
).map("".join)
MARKER = marker("q7w8e9")


@settings(max_examples=100, deadline=None)
@given(complete_texts, st.integers(min_value=4, max_value=len(MARKER) - 1))
def test_a_marker_cut_off_mid_stream_never_shows_as_json(text: str, cut: int) -> None:
    turn = Turn("q", "t")
    from alfa_notebook.wire.events import MessageChunk

    turn.feed(MessageChunk(text=text + MARKER[:cut], message_id="m", final=False, raw={}))
    shown = assert_inert(live_html(turn))
    assert '{"type"' not in shown.visible and "q7w8e9" not in shown.visible
