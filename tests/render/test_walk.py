"""Citation placement and the shared walk: decided once, safe for the Markdown."""

from __future__ import annotations

import pytest

from alfa_notebook.render import walk as W

from .conftest import cite, marker


def placed(text: str, offsets: list[int | None], streaming: bool = False) -> str:
    """The flat text with ``[n]`` where the walk put markers and ``<A:id>`` for artifacts."""
    doc = W.walk(text, [cite(o, i) for i, o in enumerate(offsets)], streaming=streaming)
    out = []
    for s in doc.segments:
        if isinstance(s, W.Prose):
            out.append(s.text)
        elif isinstance(s, W.Cite):
            out.append("".join(f"[{n}]" for n in s.numbers))
        else:
            out.append(f"<A:{s.artifact_id}>")
    return "".join(out)


@pytest.mark.parametrize(
    ("text", "offsets", "expected"),
    [
        # at a sentence end, as the service places them
        ("Revenue grew. Margins fell.", [13, 27], "Revenue grew.[1] Margins fell.[2]"),
        # several at one point, numbered in reading order
        ("One. Two.", [9, 4, 9], "One.[1] Two.[2][3]"),
        # mid-word: to the word's end
        ("Revenue grew strongly.", [9], "Revenue grew[1] strongly."),
        # at the next word's start: back to the text it follows
        ("Claim. Next", [7], "Claim.[1] Next"),
        # past the end, and negative
        ("Short.", [99, -4], "Short.[1][2]"),
        # offset 0 before a heading: to the end of the first line, never before the #
        ("## Title\n\nBody.", [0], "## Title[1]\n\nBody."),
        # at the start of a list item: not between the bullet and its text
        ("Intro:\n\n- first item", [10], "Intro:[1]\n\n- first item"),
        # inside a code span, a link, an autolink: after it
        ("Use `a b c` now", [6], "Use `a b c`[1] now"),
        ("See [the docs](https://x.example/a b) now", [8], "See [the docs](https://x.example/a b)[1] now"),
        ("Go <https://x.example> now", [8], "Go <https://x.example>[1] now"),
        # inside a fenced block: before it
        ("Para.\n\n```\ncode\n```\n\nMore.", [12], "Para.[1]\n\n```\ncode\n```\n\nMore."),
        # after a closing fence: before the block too (text after ``` would break the fence)
        ("Para.\n\n```\ncode\n```\nMore.", [18], "Para.[1]\n\n```\ncode\n```\nMore."),
        # emphasis stays closed
        ("It was **big**.", [13], "It was **big**.[1]"),
        ("It was _big_ news", [11], "It was _big_[1] news"),
        # a table row: inside the last cell, not after the closing pipe
        ("| a | b |\n|---|---|\n| 1 | 2 |", [29], "| a | b |\n|---|---|\n| 1 | 2[1] |"),
        # a rule line cannot carry text
        ("Text\n\n---\n\nMore", [9], "Text[1]\n\n---\n\nMore"),
    ],
)
def test_markers_go_where_they_cannot_break_the_markdown(text: str, offsets: list[int], expected: str) -> None:
    assert placed(text, offsets) == expected


def test_offsets_count_raw_characters_through_markers() -> None:
    art = marker("A1")
    stock = '```{"type": "stock", "symbol": "NVDA"}```'
    text = f"Intro.\n\n{art}\n\nBest: {stock} rose. End."
    after_stock = text.index(stock) + len(stock)
    assert placed(text, [6, text.index(art) + 5, after_stock + 6, len(text)]) == (
        "Intro.[1][2]\n\n<A:A1>\n\nBest: NVDA rose.[3] End.[4]"
    )
    # inside a stock object: after the symbol it reads as
    assert placed(text, [text.index(stock) + 4]) == "Intro.\n\n<A:A1>\n\nBest: NVDA[1] rose. End."


def test_citations_without_offset_get_a_card_and_no_marker() -> None:
    doc = W.walk("Text.", [cite(None, 0), cite(5, 1)])
    assert [(s.number, s.placed, s.citation.id) for s in doc.sources] == [(1, True, "c1"), (2, False, "c0")]
    assert [s for s in doc.segments if isinstance(s, W.Cite)] == [W.Cite((1,))]


def test_a_marker_still_arriving_is_cut_off_while_streaming() -> None:
    assert placed('Text ```{"type": "output_art', [], streaming=True) == "Text <A:None>"
    assert placed('Text ```json\n{"ty', [], streaming=True) == "Text <A:None>"
    assert placed("Text ```", [], streaming=True) == "Text <A:None>"
    # a whole marker at the very end is a marker; a real code fence is prose
    assert placed(f"Text {marker('A')}", [], streaming=True) == "Text <A:A>"
    assert placed("Code ```python\nx = 1", [], streaming=True) == "Code ```python\nx = 1"
    # the final text is never cut
    assert placed('Text ```{"type": "output_art', []) == 'Text ```{"type": "output_art'


def test_placeholder_characters_from_the_service_are_replaced_one_for_one() -> None:
    doc = W.walk("a\ue000b\ue00fc", [cite(3, 0)])
    assert doc.source == "a\ufffdb\ufffdc"
    assert placed("a\ue000b c", [3]) == "a\ufffdb[1] c"


def test_join_blocks_sets_artifacts_off_by_one_blank_line() -> None:
    assert W.join_blocks([("Text\n\n\n", False), ("TABLE", True), ("\n\n\nMore", False)]) == "Text\n\nTABLE\n\nMore"
    assert W.join_blocks([("Text", False), ("", True), (" more", False)]) == "Text more"
