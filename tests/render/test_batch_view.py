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


def test_a_failed_row_shows_its_error_not_what_arrived_before_it() -> None:
    from alfa_notebook import Batch, TurnFailedError
    from alfa_notebook.render.batch_view import batch_html, batch_text

    failed = Answer(
        question="How did AMD do?",
        raw_text="How did AMD do? Looking at",  # the partial answer restating the question
        status="error",
        thread_id="t",
        message_id="m",
        error=TurnFailedError("Alfa ended the answer with an error"),
    )
    batch = Batch(["NVDA", "AMD"], [answer(TEXT), failed])
    assert short(failed) == "TurnFailedError: Alfa ended the answer with an error"
    assert "TurnFailedError: Alfa ended the answer with an error" in batch_text(batch).splitlines()[-1]
    assert "How did AMD do?" not in batch_html(batch)
