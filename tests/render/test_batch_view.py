"""A batch's static summary: each item's short answer reads as words, not as Markdown source."""

from __future__ import annotations

from alfa_notebook import Answer
from alfa_notebook.render.batch_view import short

TEXT = """## NVDA: performance snapshot

Scope: **NVDA**, 1 stock, priced as of 2025-06-30 from the emulator's [synthetic](https://example.com) set.

- Closed at `$125.62`."""


def answer(text: str) -> Answer:
    return Answer(question="q", raw_text=text, status="complete", thread_id="t", message_id="m")


def test_the_short_answer_drops_markdown_syntax() -> None:
    assert short(answer(TEXT), limit=200) == (
        "NVDA: performance snapshot · Scope: NVDA, 1 stock, priced as of 2025-06-30 from the emulator's "
        "synthetic set. · Closed at $125.62."
    )


def test_the_short_answer_is_cut_at_the_limit_with_an_ellipsis() -> None:
    assert short(answer(TEXT), limit=30) == "NVDA: performance snapshot · …"
