"""Citation cards, checked literally: the highlighted span of a snippet, the link."""

from __future__ import annotations

import re

from alfa_notebook.render import answer_bundle
from alfa_notebook.wire.models import Citation

from .conftest import make_answer


def _card_html(**raw: object) -> str:
    fields = {"citation_id": "c1", "citation_type": "web", "name": "T", "link": "https://example.com/a",
              "inline_offset": 4}  # fmt: skip
    answer = make_answer("Some text.", citations=[Citation.from_raw({**fields, **raw})])
    return answer_bundle(answer)[0]["text/html"]


def test_the_highlight_end_is_inclusive_as_the_service_sends_it() -> None:
    """``snippet_highlight_end`` names the last highlighted character: 13..15 is "12%"."""
    html = _card_html(summary="Revenue rose 12% on strong demand", snippet_highlight_start=13,
                      snippet_highlight_end=15)  # fmt: skip
    assert '<blockquote class="alfa-snippet">Revenue rose <mark>12%</mark> on strong demand</blockquote>' in html


def test_a_highlight_of_one_character_and_one_past_the_end() -> None:
    one = _card_html(summary="abc", snippet_highlight_start=1, snippet_highlight_end=1)
    assert '<blockquote class="alfa-snippet">a<mark>b</mark>c</blockquote>' in one
    past = _card_html(summary="abc", snippet_highlight_start=1, snippet_highlight_end=9)
    assert '<blockquote class="alfa-snippet">a<mark>bc</mark></blockquote>' in past


def test_without_a_highlight_the_snippet_has_no_mark() -> None:
    html = _card_html(summary="Plain snippet")
    assert '<blockquote class="alfa-snippet">Plain snippet</blockquote>' in html and "<mark>" not in html


def test_a_marker_links_into_its_collapsed_card_by_name() -> None:
    """The target is an ``<a name>`` inside the card: following the link opens the card in a browser,
    and JupyterLab, which scrolls ``#id`` targets itself without opening them, leaves it to the browser."""
    html = _card_html(summary="S")
    uid = re.search(r'id="alfa-([^"]+)"', html).group(1)
    assert f'<sup class="alfa-cite"><a href="#alfa-src-{uid}-1" hidden="hidden">[1]</a>' in html
    assert '<details class="alfa-card"><summary>' in html
    assert f'<div class="alfa-card-body"><a name="alfa-src-{uid}-1"></a>' in html
    assert html.count(f"alfa-src-{uid}-1") == 2  # the link and its target, no id to find


def test_the_stylesheet_is_in_each_output_once_and_small() -> None:
    html = _card_html(summary="S")
    assert html.count("<style>") == 1
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    assert len(style) < 5_000
    for variable in ("--jp-content-font-color1", "--jp-layout-color0", "--jp-border-color2", "--jp-brand-color1"):
        assert f"var({variable}," in style  # follows the theme, light or dark, with a fallback
