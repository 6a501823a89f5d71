"""The final output of a turn: one MIME bundle and its metadata, from one walk over the answer."""

from __future__ import annotations

import itertools
import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from . import html, markdown, text
from .artifacts import ANSWER_NAME, jsonable
from .prepared import Prepared, prepare_answer
from .safe import md_text

if TYPE_CHECKING:
    from ..answer import Answer

MIME_JSON = "application/vnd.alfa.answer+json"
_outputs = itertools.count(1)


def output_uid(answer: Answer) -> str:
    """Unique per output in a kernel (two answers, or one shown twice, never share card ids) and
    the same on a re-run of the notebook (clean diffs): the message id's start and a counter."""
    base = re.sub(r"[^A-Za-z0-9]", "", answer.message_id or answer.thread_id or "")[:8] or "answer"
    return f"{base}-{next(_outputs)}"


def answer_text(answer: Answer, *, table_rows: int = 20, name: str = ANSWER_NAME) -> str:
    """The plain-text rendering (``text/plain``, terminal): text with ``[n]``, tables, sources.
    ``name``: what the user calls the answer (``_alfa``, ``-o``'s name), for the notes on tables."""
    return _text(prepare_answer(answer, table_rows, name))


def _text(p: Prepared) -> str:
    return text.render_text(
        p.doc, p.view_of, p.unplaced, p.sources, status=p.answer.status, warnings=p.answer.warnings, footer=p.footer()
    )


def _markdown(p: Prepared) -> str:
    return markdown.render_markdown(
        p.doc, p.view_of, p.unplaced, p.sources, status=p.answer.status, warnings=p.answer.warnings,
        footer=p.footer(escape=md_text),
    )  # fmt: skip


def answer_json(answer: Answer) -> dict[str, Any]:
    """The structured answer: plain JSON data (no NaN), for ``application/vnd.alfa.answer+json``."""
    return jsonable({
        "question": answer.question,
        "text": answer.text,
        "raw_text": answer.raw_text,
        "status": answer.status,
        "thread_id": answer.thread_id,
        "message_id": answer.message_id,
        "elapsed": answer.elapsed,
        "logs": list(answer.logs),
        "citations": [dict(c.raw) if c.raw else _citation_fields(c) for c in answer.citations],
        "artifacts": [{"id": a.id, "kind": a.kind, "title": a.title, "raw": a.raw} for a in answer.artifacts],
        "warnings": list(answer.warnings),
    })  # fmt: skip


def _citation_fields(c: Any) -> dict[str, Any]:
    """A citation built by hand has no raw dict: its fields, under the service's names."""
    return {
        "citation_id": c.id, "citation_type": c.type, "name": c.title, "link": c.url, "summary": c.snippet,
        "published_at": c.published, "inline_offset": c.inline_offset, "source": c.source,
    }  # fmt: skip


def answer_metadata(answer: Answer) -> dict[str, Any]:
    return {
        "alfa": jsonable({
            "thread_id": answer.thread_id,
            "message_id": answer.message_id,
            "artifact_ids": [a.id for a in answer.artifacts],
            "status": answer.status,
            "elapsed": round(answer.elapsed, 3),
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        })
    }  # fmt: skip


def answer_bundle(
    answer: Answer, *, table_rows: int = 20, name: str = ANSWER_NAME
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(data, metadata)`` for ``display(data, metadata=metadata, raw=True)``: the final output."""
    p = prepare_answer(answer, table_rows, name)
    data = {
        "text/html": html.answer_html(p, output_uid(answer)),
        "text/markdown": _markdown(p),
        "text/plain": _text(p),
        MIME_JSON: answer_json(answer),
    }
    return data, answer_metadata(answer)
