"""The final output of a turn: one MIME bundle and its metadata, from one walk over the answer."""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import TYPE_CHECKING, Any

from ..results.answer_data import MIME_JSON
from ..wire.settings import resolve_saved_rows
from . import html, markdown, text
from .artifacts import ANSWER_NAME, jsonable
from .prepared import Prepared, prepare_answer
from .safe import md_text

if TYPE_CHECKING:
    from ..results.answer import Answer

_shown: Counter[str] = Counter()


def content_uid(answer: Answer) -> str:
    """A prefix for element ids derived from the answer's content: the same answer, the same ids."""
    content = "\x1f".join((answer.thread_id or "", answer.message_id or "", answer.question, answer.raw_text))
    return hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def output_uid(answer: Answer) -> str:
    """The element ids' prefix: derived from the answer's content, so a notebook run twice (or
    replayed from a cassette) saves the same HTML; an answer shown again in the same kernel gets a
    suffix, so two outputs never share card ids."""
    digest = content_uid(answer)
    _shown[digest] += 1
    return digest if _shown[digest] == 1 else f"{digest}-{_shown[digest]}"


def answer_text(answer: Answer, *, table_rows: int = 20, name: str | None = ANSWER_NAME) -> str:
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


def answer_json(answer: Answer, saved_rows: int | None = None) -> dict[str, Any]:
    """The structured answer, :meth:`Answer.to_dict` with each table cut to ``saved_rows`` rows (the
    full count kept), as plain JSON data (no NaN), for ``application/vnd.alfa.answer+json``."""
    rows = resolve_saved_rows() if saved_rows is None else saved_rows
    data: dict[str, Any] = jsonable(answer.to_dict(max_rows=rows))
    return data


def answer_metadata(answer: Answer) -> dict[str, Any]:
    """Ids and outcome, for tools that read outputs; nothing that differs between two runs."""
    return {
        "alfa": jsonable({
            "thread_id": answer.thread_id,
            "message_id": answer.message_id,
            "artifact_ids": [a.id for a in answer.artifacts],
            "status": answer.status,
            "elapsed": round(answer.elapsed, 3),
        })
    }  # fmt: skip


def answer_bundle(
    answer: Answer, *, table_rows: int = 20, saved_rows: int | None = None, name: str | None = ANSWER_NAME
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(data, metadata)`` for ``display(data, metadata=metadata, raw=True)``: the final output.

    Each part grows with what is shown, not with the data: ``table_rows`` rows of each table in the
    HTML, Markdown and text, ``saved_rows`` (``ALFA_SAVED_ROWS``, default 1,000) in the JSON part.
    ``name``: what the user calls the answer (``_alfa``, ``-o``'s name), for the notes on tables.
    """
    return bundle_with_uid(answer, output_uid(answer), table_rows=table_rows, saved_rows=saved_rows, name=name)


def bundle_with_uid(
    answer: Answer, uid: str, *, table_rows: int = 20, saved_rows: int | None = None, name: str | None = ANSWER_NAME
) -> tuple[dict[str, Any], dict[str, Any]]:
    """:func:`answer_bundle` with the element ids' prefix given (an export numbers its answers itself)."""
    p = prepare_answer(answer, table_rows, name)
    data = {
        "text/html": html.answer_html(p, uid),
        "text/markdown": _markdown(p),
        "text/plain": _text(p),
        MIME_JSON: answer_json(answer, saved_rows),
    }
    return data, answer_metadata(answer)
