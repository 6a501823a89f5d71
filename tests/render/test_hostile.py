"""Every hostile string, in every field that reaches the screen, renders inert and stays visible."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable

import pytest
from markdown_it import MarkdownIt

from alfa_notebook.render import MIME_JSON, answer_bundle, answer_text, live_html, live_text
from alfa_notebook.results.answer import Answer
from alfa_notebook.turn.machine import Turn
from alfa_notebook.wire.models import Artifact, Citation

from .conftest import make_answer, marker
from .hostile import HOSTILE, assert_inert, hostile_answer, normalise

IDS = [repr(h[:30]) for h in HOSTILE]


def _table(h: str, where: str) -> Artifact:
    column = {"name": h if where == "column" else "Name", "col_type": "string"}
    return Artifact.from_raw("t1", {
        "output_type": "table", "title": h if where == "title" else "T",
        "columns": [column, {"name": "Return", "col_type": "percent"}],
        "rows": [[h if where == "cell" else "x", 0.5]],
    })  # fmt: skip


def _chart(h: str) -> Artifact:
    return Artifact.from_raw("c1", {
        "output_type": "graph", "title": "C",
        "graph": {"graph_type": "bar", "index_type": "string", "label_type": "string", "data_type": "float",
                  "data": [{"index": h, "values": [{"label": h, "value": 2.0}]}]},
    })  # fmt: skip


def _with_artifact(artifact: Artifact) -> Answer:
    return make_answer(f"Before.\n\n{marker(artifact.id)}\n\nAfter.", artifacts=[artifact])


def _citation(**kw: object) -> Answer:
    fields = {"id": "c", "type": "web", "title": "T", "url": "https://example.com", "snippet": "s", "inline_offset": 3}
    fields.update(kw)
    return make_answer("Some text.", citations=[Citation(**fields)])  # type: ignore[arg-type]


# Fields that show plain text: the string must be visible exactly as sent.
PLAIN_FIELDS: dict[str, Callable[[str], Answer]] = {
    "citation title": lambda h: _citation(title=h),
    "citation snippet": lambda h: _citation(snippet=f"{h} tail", highlight=(0, len(h))),
    "citation url": lambda h: _citation(url=h),
    "citation source": lambda h: _citation(source=h, raw={"source": h}),
    "citation type": lambda h: _citation(type=h),
    "table title": lambda h: _with_artifact(_table(h, "title")),
    "column name": lambda h: _with_artifact(_table(h, "column")),
    "cell": lambda h: _with_artifact(_table(h, "cell")),
    "chart labels": lambda h: _with_artifact(_chart(h)),
    "json artifact": lambda h: _with_artifact(Artifact.from_raw("j1", {"title": h, "data": [h]})),
    "text artifact title": lambda h: _with_artifact(
        Artifact.from_raw("x1", {"output_type": "text", "title": h, "val": "v"})
    ),
    "thread id": lambda h: make_answer("Text.", thread_id=h),
    "message id": lambda h: make_answer("Text.", message_id=h),
    "warning (cancelled)": lambda h: make_answer("Text.", status="cancelled", warnings=[h]),
    "warning (complete)": lambda h: make_answer("Text.", warnings=[h]),
}
# Fields that are Markdown: the string is read as Markdown, so entities decode and code ticks go.
MARKDOWN_FIELDS: dict[str, Callable[[str], Answer]] = {
    "answer text": lambda h: make_answer(f"Intro {h} end."),
    "text artifact": lambda h: _with_artifact(Artifact.from_raw("x1", {"output_type": "text", "val": f"Memo {h}"})),
}


def _as_markdown_shows(h: str) -> str:
    text = html.unescape(re.sub("[\ue000-\ue00f]", "\ufffd", h))
    return normalise(text).replace("`", "")


def _is_marker(h: str) -> bool:
    return h.startswith("```{") and h.endswith("}```")


@pytest.mark.parametrize("field", PLAIN_FIELDS)
@pytest.mark.parametrize("h", HOSTILE, ids=IDS)
def test_plain_fields_are_inert_and_shown_literally(field: str, h: str) -> None:
    data, _ = answer_bundle(PLAIN_FIELDS[field](h))
    shown = assert_inert(data["text/html"])
    assert normalise(h) in shown.visible


@pytest.mark.parametrize("field", MARKDOWN_FIELDS)
@pytest.mark.parametrize("h", HOSTILE, ids=IDS)
def test_markdown_fields_are_inert_and_shown_as_text(field: str, h: str) -> None:
    data, _ = answer_bundle(MARKDOWN_FIELDS[field](h))
    shown = assert_inert(data["text/html"])
    visible = shown.visible.replace("`", "")
    if _is_marker(h):  # a real inline object: read as such, never shown as its JSON
        assert '{"type"' not in visible
        if "stock" in h:
            assert "<img src=x onerror=alert(1)>" in visible
        elif field == "answer text":
            assert "fake-<b>id</b>" in visible  # the artifact that could not be loaded is named
    else:
        assert _as_markdown_shows(h) in visible or normalise(h).replace("`", "") in visible


@pytest.mark.parametrize("h", HOSTILE, ids=IDS)
def test_every_field_at_once_every_output(h: str) -> None:
    answer = hostile_answer(h)
    data, metadata = answer_bundle(answer)
    assert_inert(data["text/html"])
    _assert_markdown_inert(data["text/markdown"])
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f]", data["text/plain"]), "a control character reaches the terminal"
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f]", answer_text(answer))
    payload = json.loads(json.dumps(data[MIME_JSON], allow_nan=False))
    assert payload["question"] == h and payload["thread_id"] == h and payload["logs"] == [h]
    assert json.loads(json.dumps(metadata))["alfa"]["thread_id"] == h


@pytest.mark.parametrize("h", HOSTILE, ids=IDS)
def test_live_view_fields(h: str) -> None:
    turn = Turn(h, thread_id=h)
    from alfa_notebook.wire.events import MessageChunk, WorkInProgress

    turn.feed(WorkInProgress(log=h, raw={}))
    turn.feed(MessageChunk(text=f"So far {h} and", message_id="m", final=False, raw={}))
    shown = assert_inert(live_html(turn, question=h))
    assert normalise(h) in shown.visible  # the question, the log line and the thread id
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f]", live_text(turn))


def _assert_markdown_inert(markdown: str) -> None:
    """Rendered by a permissive renderer (raw HTML on, any link, images on), still inert."""
    permissive = MarkdownIt("commonmark", {"html": True}).enable("table")
    permissive.validateLink = lambda url: True  # type: ignore[method-assign]
    assert_inert(permissive.render(markdown), styles_allowed=0, align_styles=True)


def test_markdown_output_neutralises_unsafe_links_but_keeps_safe_ones() -> None:
    text = "[ok](https://example.com/x) [bad](javascript:alert(1)) [r][ref] <https://auto.example>\n\n[ref]: vbscript:x"
    data, _ = answer_bundle(make_answer(text))
    markdown = data["text/markdown"]
    assert "[ok](https://example.com/x)" in markdown
    assert "\\[bad](javascript:alert(1))" in markdown
    assert "\\[ref]: vbscript:x" in markdown
    assert "&lt;https://auto.example>" in markdown
    _assert_markdown_inert(markdown)


def test_html_links_in_the_answer_are_safe_and_open_in_a_new_tab() -> None:
    data, _ = answer_bundle(make_answer("[ok](https://example.com/x) and [rel](docs/x) and [frag](#top)"))
    shown = assert_inert(data["text/html"])
    links = shown.elements("a", href="https://example.com/x")
    assert links and links[0]["rel"] == "noopener noreferrer" and links[0]["target"] == "_blank"
    assert "[rel](docs/x)" in shown.visible and "[frag](#top)" in shown.visible  # not links, not lost


def test_the_only_style_element_is_ours() -> None:
    data, _ = answer_bundle(hostile_answer("<style>body{display:none}</style>"))
    shown = audit_styles(data["text/html"])
    assert len(shown) == 1 and shown[0].startswith(".alfa-answer{")


def audit_styles(html_text: str) -> list[str]:
    from .hostile import audit

    result = audit(html_text)
    return ["".join(result.styles)] if result.styles else []


QUOTED_LINKS = [h for h in HOSTILE if h.startswith("https://") and ('"' in h or "'" in h)]


@pytest.mark.parametrize("url", QUOTED_LINKS)
def test_a_quoted_link_stays_one_href_attribute(url: str) -> None:
    """An https link with quotes in it is a safe link: the card links to it, quotes and all,
    and nothing in it becomes a second attribute."""
    data, _ = answer_bundle(_citation(url=url))
    shown = assert_inert(data["text/html"])
    links = [a for a in shown.elements("a") if "href" in a and not a["href"].startswith("#")]
    assert links == [{"href": url, "rel": "noopener noreferrer", "target": "_blank"}]
    assert "onmouseover" not in {name for _, name, _ in shown.attributes}


def test_the_corpus_holds_quoted_links() -> None:
    assert 'https://example.com/"onmouseover="alert(1)' in QUOTED_LINKS
    assert "https://example.com/'onmouseover='alert(1)" in QUOTED_LINKS
