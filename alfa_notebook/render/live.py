"""The streaming view: status line, latest work-in-progress line, the answer so far.

Called about ten times a second while an answer streams, so it must stay cheap on long answers:
the text is rendered block by block and complete blocks come from a cache
(:func:`.markdown_html.render_blocks`), so an update costs the paragraph being written, not the
whole answer (tests/render/test_live.py checks it: ~5 ms per update on a 20,000-word answer,
against ~150 ms to render it whole). Artifact markers show as a small "loading" note, a marker
still arriving shows as nothing; no citation markers (sources come with the final output).
:func:`live_views` gives the HTML and the text of one update from a single walk.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from . import html
from .artifacts import pending
from .question import question_html
from .safe import bidi, plain
from .text import body as text_body
from .walk import Document, walk

if TYPE_CHECKING:
    from ..turn.machine import Turn

STATES = {
    "waiting": ("○", "Waiting for Alfa"),
    "running": ("●", "Answering"),
    "complete": ("✓", "Done"),
    "cancelled": ("■", "Cancelled"),
    "error": ("⚠", "Error"),
}


def status_line(turn: Turn, escape: Callable[[str], str] = plain) -> str:
    """``● Answering · reconnecting, attempt 2 · thread … · 12.3 s``: the clock runs until the end."""
    icon, state = STATES.get(turn.status, ("•", turn.status))
    parts = [f"{icon} {escape(state)}"]
    if not turn.done and turn.reconnecting:
        parts.append(f"reconnecting, attempt {turn.reconnecting}")
    elif not turn.done and turn.polling:
        parts.append("stream lost, following the task by polling")
    if turn.thread_id:
        parts.append(f"thread {escape(turn.thread_id)}")
    parts.append(f"{turn.elapsed:.1f} s")
    return " · ".join(parts)


def _log(turn: Turn) -> str | None:
    return turn.latest_log or turn.status_log


def live_views(turn: Turn, *, question: str | None = None) -> tuple[str, str]:
    """The live view as HTML and as plain text, from one walk over the text."""
    doc = walk(turn.raw_text, streaming=not turn.done)
    return _html(turn, doc, question), _text(turn, doc)


def live_html(turn: Turn, *, question: str | None = None) -> str:
    """The live view as HTML (one scoped root, like the final output)."""
    return _html(turn, walk(turn.raw_text, streaming=not turn.done), question)


def live_text(turn: Turn) -> str:
    """The live view as plain text, for terminals."""
    return _text(turn, walk(turn.raw_text, streaming=not turn.done))


def _html(turn: Turn, doc: Document, question: str | None) -> str:
    text = html.body(doc, pending, "live", incremental=True)
    parts = []
    if question:
        parts.append(question_html(question))
    parts.append(f'<div class="alfa-live-status" role="status">{status_line(turn, bidi)}</div>')
    log = _log(turn)
    if log and not turn.done:
        parts.append(f'<div class="alfa-live-log">› {bidi(log)}</div>')
    parts.append(f'<div class="alfa-body">{text}</div>')
    return html.root(None, "".join(parts), "alfa-live")


def _text(turn: Turn, doc: Document) -> str:
    lines = [status_line(turn)]
    log = _log(turn)
    if log and not turn.done:
        lines.append(f"› {plain(log)}")
    answer = text_body(doc, pending).strip()
    return "\n".join(lines) + ("\n\n" + answer if answer else "") + "\n"
