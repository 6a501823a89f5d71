"""Answers as plain data: :meth:`Answer.to_dict` and :meth:`Answer.from_dict`, lossless both ways.

The dict keeps what the service sent as it sent it (citations' and artifacts' raw bodies), so an
answer read back is the answer that was saved: the same text, sources, typed tables and ids. Saved
in a notebook, tables keep a bounded number of rows (``max_rows``); the dict then says, per
table, how many rows there were, and the answer read back says what was cut.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ..wire.models import Artifact, Citation

FORMAT = 1  # of the dict; from_dict reads this format
MIME_JSON = "application/vnd.alfa.answer+json"  # the dict's media type, as a notebook output saves it

A = TypeVar("A")
# The answer is taken as Any (an Answer): this module sits below answer.py, which calls it.


def to_dict(answer: Any, *, max_rows: int | None = None) -> dict[str, Any]:
    citations = [dict(c.raw) if c.raw else citation_fields(c) for c in answer.citations]
    data = {
        "format": FORMAT,
        "question": answer.question,
        "text": answer.text,
        "raw_text": answer.raw_text,
        "status": answer.status,
        "status_log": answer.status_log,
        "thread_id": answer.thread_id,
        "message_id": answer.message_id,
        "elapsed": answer.elapsed,
        "logs": list(answer.logs),
        "warnings": list(answer.warnings),
        "tools_called": dict(answer.tools_called),
        "citations": citations,
        "artifacts": [_artifact(answer, a, max_rows) for a in answer.artifacts],
    }
    # Offsets count in the whole answer's text, a raw citation's in its own message: where one
    # differs (a later message's citation), the answer's are kept, once.
    if answer.attachments:  # only when there are some, so that older answers' JSON stays as it was
        data["attachments"] = list(answer.attachments)
    offsets = [c.inline_offset for c in answer.citations]
    if offsets != [Citation.from_raw(raw).inline_offset for raw in citations]:
        data["citation_offsets"] = offsets
    return data


def citation_fields(c: Citation) -> dict[str, Any]:
    """A citation built by hand has no raw dict: its fields, under the service's names."""
    published = c.published.isoformat() if c.published is not None else None
    fields = {
        "citation_id": c.id, "citation_type": c.type, "name": c.title, "link": c.url, "summary": c.snippet,
        "published_at": published, "inline_offset": c.inline_offset, "source": c.source,
    }  # fmt: skip
    if c.highlight is not None:  # the service's end is inclusive
        fields["snippet_highlight_start"], fields["snippet_highlight_end"] = c.highlight[0], c.highlight[1] - 1
    return fields


def _artifact(answer: Any, a: Artifact, max_rows: int | None) -> dict[str, Any]:
    raw: Mapping[str, Any] = a.raw
    item: dict[str, Any] = {"id": a.id, "kind": a.kind, "title": a.title}
    if a.thread_id != answer.thread_id:  # else the answer's, not stored twice
        item["thread_id"] = a.thread_id
    if a.message_id != answer.message_id:
        item["message_id"] = a.message_id
    rows, rows_total = raw.get("rows"), answer.cut_tables.get(a.id)
    if rows_total is not None:  # cut already, when it was saved before
        item["rows_total"] = rows_total
    if max_rows is not None and a.kind == "table" and isinstance(rows, list) and len(rows) > max_rows:
        item["rows_total"] = rows_total or len(rows)
        raw = {**raw, "rows": rows[:max_rows]}
    item["raw"] = dict(raw)
    return item


def from_dict(cls: Callable[..., A], data: Mapping[str, Any]) -> A:
    from ..turn.machine import answer_status

    if not isinstance(data, Mapping) or "raw_text" not in data:
        raise ValueError("not an answer's dict (Answer.to_dict() makes one): it has no 'raw_text'")
    offsets = list(data.get("citation_offsets") or [])
    citations = []
    for i, raw in enumerate(data.get("citations") or ()):
        citation = Citation.from_raw(raw)
        if i < len(offsets) and offsets[i] != citation.inline_offset:
            citation = dataclasses.replace(citation, inline_offset=offsets[i])
        citations.append(citation)
    artifacts, cut, notes = [], {}, list(data.get("warnings") or ())
    for item in data.get("artifacts") or ():
        thread_id = item.get("thread_id", data.get("thread_id"))
        message_id = item.get("message_id", data.get("message_id"))
        artifact = Artifact.from_raw(str(item.get("id")), item.get("raw"), thread_id=thread_id, message_id=message_id)
        artifacts.append(artifact)
        total = item.get("rows_total")
        if isinstance(total, int):
            cut[artifact.id] = total
            note = cut_note(artifact, total)
            if note not in notes:
                notes.append(note)
    return cls(
        question=str(data.get("question", "")),
        raw_text=str(data["raw_text"]),
        status=answer_status(data.get("status", "complete")),
        thread_id=data.get("thread_id"),
        message_id=data.get("message_id"),
        citations=citations,
        artifacts=artifacts,
        logs=list(data.get("logs") or ()),
        elapsed=float(data.get("elapsed") or 0.0),
        tools_called=dict(data.get("tools_called") or {}),
        warnings=notes,
        status_log=data.get("status_log"),
        cut_tables=cut,
        attachments=[str(name) for name in data.get("attachments") or ()],
    )


def cut_note(artifact: Artifact, total: int) -> str:
    kept = len(artifact.raw.get("rows") or ())
    return (
        f"Table {artifact.id}: {kept:,} of its {total:,} rows were saved with the notebook; the cassette "
        f"(or client.threads.artifact({artifact.thread_id!r}, {artifact.id!r})) has them all."
    )
