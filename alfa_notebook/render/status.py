"""What an answer that did not complete says about itself, in every output format."""

from __future__ import annotations

NOTES = {
    "cancelled": ("Cancelled", "the answer was stopped; what arrived is shown."),
    "error": ("Error", "Alfa ended the answer with an error; what arrived is shown."),
}


def note(status: str) -> tuple[str, str] | None:
    """(label, sentence) for a status other than complete, else None."""
    if status == "complete":
        return None
    return NOTES.get(status, (f"Status {status}", "what arrived is shown."))
