"""What an answer says about how it ended, in every output format, and the one-line outcome.

The banner of an answer that did not complete is a label that is true however it ended: it does
not repeat the reason (the error line under a failed cell says that, once), and it does not claim
that something arrived.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..results.answer import Answer

NOTES = {
    "no_results": ("No results", "Alfa found no data to answer this question; try asking it another way."),
    "cancelled": ("Stopped", "the answer is incomplete."),
    "error": ("Failed", "the answer is incomplete."),
    "incomplete": ("Cut off", "the connection was lost before the answer ended."),
}


def note(status: str) -> tuple[str, str] | None:
    """(label, sentence) for a status other than complete, else None."""
    if status == "complete":
        return None
    return NOTES.get(status, (f"Status {status}", "the answer may be incomplete."))


OUTCOMES = {
    "complete": "complete",
    "no_results": "no results",
    "cancelled": "stopped",
    "error": "failed",
    "incomplete": "cut off",
}


def outcome_line(answer: Answer) -> str:
    """One line a log can keep: ``Alfa: complete · 2 tables · 7 sources · 6.4 s``."""
    kinds = [a.kind for a in answer.artifacts]
    counts = [(kinds.count("table"), "table"), (kinds.count("chart"), "chart"), (len(answer.citations), "source")]
    parts = [OUTCOMES.get(answer.status, answer.status)]
    parts += [f"{n} {word}{'' if n == 1 else 's'}" for n, word in counts if n]
    if answer.elapsed:
        parts.append(f"{answer.elapsed:.1f} s")
    return "Alfa: " + " · ".join(parts)
