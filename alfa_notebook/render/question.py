"""A question as the history shows it: Markdown rendered like an answer's (a DataFrame summary
put in by ``{{df}}`` reads as a table), escaped like everything else."""

from __future__ import annotations

from functools import lru_cache

from . import html, markdown_html
from .markdown import inert_markdown
from .safe import plain, scrub_placeholders


@lru_cache(maxsize=64)  # the live view shows the same question at every update
def question_html(text: str) -> str:
    """The question as sanitised HTML, in a ``div.alfa-question``."""
    return f'<div class="alfa-question">{markdown_html.render(scrub_placeholders(text.strip()))}</div>'


def question_bundle(text: str) -> dict[str, str]:
    """A question of the history: HTML, Markdown and plain text, after a "You:" label."""
    lines = text.strip().splitlines() or [""]
    return {
        "text/html": html.root(None, f"<strong>You:</strong>{question_html(text)}"),
        "text/markdown": "**You:**\n\n" + inert_markdown(text.strip()),
        "text/plain": "You: " + "\n     ".join(plain(line) for line in lines),
    }
