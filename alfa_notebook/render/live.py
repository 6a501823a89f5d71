"""The streaming view: status line, latest work-in-progress line, the answer so far.

Called about ten times a second while an answer streams, so it must stay cheap on long answers:
the text is rendered block by block and complete blocks come from a cache
(:func:`.markdown_html.render_blocks`), so an update costs the paragraph being written, not the
whole answer (tests/render/test_live.py checks it: ~5 ms per update on a 20,000-word answer,
against ~150 ms to render it whole). Artifact markers show as a small "loading" note, a marker
still arriving shows as nothing; no citation markers (sources come with the final output).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from . import html
from .artifacts import pending
from .safe import bidi, esc, plain
from .text import body as text_body
from .walk import walk

if TYPE_CHECKING:
    from ..turn import Turn

STATES = {
    "waiting": ("○", "Waiting for Alfa"),
    "running": ("●", "Answering"),
    "complete": ("✓", "Done"),
    "cancelled": ("■", "Cancelled"),
    "error": ("⚠", "Error"),
}


def status_line(turn: Turn, escape: Callable[[str], str] = plain) -> str:
    icon, state = STATES.get(turn.status, ("•", turn.status))
    parts = [f"{icon} {escape(state)}"]
    if turn.thread_id:
        parts.append(f"thread {escape(turn.thread_id)}")
    parts.append(f"{turn.elapsed:.1f} s")
    return " · ".join(parts)


def _log(turn: Turn) -> str | None:
    return turn.latest_log or turn.status_log


def live_html(turn: Turn, *, question: str | None = None) -> str:
    """The live view as HTML (one scoped root, like the final output)."""
    doc = walk(turn.raw_text, streaming=not turn.done)
    text = html.body(doc, pending, "live", incremental=True)
    parts = []
    if question:
        parts.append(f'<div class="alfa-question">{esc(question)}</div>')
    parts.append(f'<div class="alfa-live-status" role="status">{status_line(turn, bidi)}</div>')
    log = _log(turn)
    if log and not turn.done:
        parts.append(f'<div class="alfa-live-log">› {bidi(log)}</div>')
    parts.append(f'<div class="alfa-body">{text}</div>')
    return html.root(None, "".join(parts), "alfa-live")


def live_text(turn: Turn) -> str:
    """The live view as plain text, for terminals."""
    lines = [status_line(turn)]
    log = _log(turn)
    if log and not turn.done:
        lines.append(f"› {plain(log)}")
    doc = walk(turn.raw_text, streaming=not turn.done)
    answer = text_body(doc, pending).strip()
    return "\n".join(lines) + ("\n\n" + answer if answer else "") + "\n"
