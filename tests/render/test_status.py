"""How an answer says it ended: one true label per status, and the one-line outcome for logs."""

from __future__ import annotations

import pytest

from alfa_notebook import Answer
from alfa_notebook.render.status import note, outcome_line


@pytest.mark.parametrize(
    ("status", "label"),
    [("no_results", "No results"), ("cancelled", "Stopped"), ("error", "Failed"), ("incomplete", "Cut off")],
)
def test_every_ending_has_its_own_label(status: str, label: str) -> None:
    assert note(status) is not None and note(status)[0] == label  # type: ignore[index]


def test_a_complete_answer_has_no_banner() -> None:
    assert note("complete") is None


def test_a_cut_off_answer_says_so_in_the_log_line() -> None:
    answer = Answer(question="q", raw_text="Part", status="incomplete", thread_id="t", message_id=None, elapsed=2.04)
    assert outcome_line(answer) == "Alfa: cut off · 2.0 s"
