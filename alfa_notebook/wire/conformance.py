"""The event stream checked against the protocol this client implements (docs/protocol.md, The
stream): sans-I/O, fed the raw SSE frames of one turn, for ``alfa-notebook doctor --ask``.

The client reads liberally (:mod:`.events`), so a service may differ from the documentation and
still be read; this says where it differs, so that a bug report shows it. A finding is a
``problem`` when the client loses something by it (a frame it cannot read, a missing field, a
status word it does not know, a turn that never ends) and a ``deviation`` when the client reads
past it (an unknown event type or field, another frame shape, an unusual order).

Nothing the service sent is repeated in a finding but names (event types, field names, status
words), each shown as a short ``repr``: no answer text, which may be private.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .markers import artifact_ids
from .models import normalise_status

DOCUMENTED_STATUSES = frozenset({"running", "complete", "cancelled", "error", "no_results_found"})
"""Statuses of ``task_status`` and ``execution_status``, compared case-insensitively."""
TERMINAL = DOCUMENTED_STATUSES - {"running"}


@dataclass(frozen=True)
class Shape:
    """The documented fields of an object: those it must have, those it may have, and the shapes
    of those that are objects themselves."""

    required: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()
    nested: Mapping[str, Shape] = field(default_factory=dict)


def _shape(required: str = "", optional: str = "", **nested: Shape) -> Shape:
    return Shape(frozenset(required.split()), frozenset(optional.split()), nested)


EVENTS: dict[str, Shape] = {
    "task_status": _shape("event_type status", "log"),
    "execution_status": _shape("event_type status", "log"),
    "message_work_in_progress": _shape("event_type log"),
    "message_chunk": _shape("event_type message_chunk final_chunk", message_chunk=_shape("message message_id")),
    "message": _shape(
        "event_type message",
        message=_shape("message_id message", "is_user_message message_time message_metadata citations"),
    ),
    "close": _shape("event_type"),
}
"""Every event type of the documented stream, and its fields."""

Level = Literal["problem", "deviation"]


@dataclass(frozen=True)
class Finding:
    level: Level
    what: str
    frame: int | None = None  # the 1-based index of the frame it is about

    def as_dict(self) -> dict[str, Any]:
        return {"level": self.level, "what": self.what, "frame": self.frame}


@dataclass
class StreamCheck:
    """What one turn's stream said, and where it differed from the protocol."""

    findings: list[Finding] = field(default_factory=list)
    types: Counter[str] = field(default_factory=Counter)
    statuses: list[str] = field(default_factory=list)  # task_status words, as sent
    text: str = ""  # the answer's text: the message event's, else the chunks'
    artifact_ids: list[str] = field(default_factory=list)
    frames: int = 0

    @property
    def ended(self) -> bool:
        return any(s.strip().lower() in TERMINAL for s in self.statuses)

    def _add(self, level: Level, what: str, frame: int | None = None) -> None:
        self.findings.append(Finding(level, what, frame))


def shown(name: object, limit: int = 40) -> str:
    """A name the service sent, safe to print: a short repr (control characters escaped)."""
    text = repr(name)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def ends_task(data: str) -> bool:
    """Whether a frame's data is the documented ``task_status`` that ends the turn (a reader of
    the stream may stop soon after it)."""
    try:
        obj = json.loads(data)
    except ValueError:
        return False
    event = obj.get("event") if isinstance(obj, dict) else None
    return (
        isinstance(event, dict)
        and event.get("event_type") == "task_status"
        and normalise_status(event.get("status")) in TERMINAL
    )


def check_stream(frames: Iterable[tuple[str, str]]) -> StreamCheck:
    """Check one turn's frames, each ``(SSE event name, data)`` as received, in order."""
    check = _Checker()
    for sse_event, data in frames:
        check.frame(sse_event, data)
    return check.finish()


class _Checker:
    def __init__(self) -> None:
        self.result = StreamCheck()
        self._chunks: list[str] = []
        self._message_text: str | None = None
        self._final_chunk_of: set[str] = set()
        self._message_ids: set[str] = set()
        self._task_ended_at: int | None = None

    def frame(self, sse_event: str, data: str) -> None:
        r = self.result
        r.frames += 1
        n = r.frames
        if not data.strip():
            r._add("deviation", "a frame with no data", n)
            return
        try:
            obj = json.loads(data)
        except ValueError:
            r._add("problem", "a frame that is not JSON (the client skips it)", n)
            return
        if not isinstance(obj, dict):
            r._add("problem", "a frame that is not a JSON object (the client skips it)", n)
            return
        payload = obj.get("event")
        if isinstance(payload, dict) and len(obj) == 1:
            pass
        else:
            payload = payload if isinstance(payload, dict) else obj
            r._add("deviation", 'a frame not shaped {"event": {...}} (the client reads it all the same)', n)
        kind = payload.get("event_type")
        if not isinstance(kind, str) or not kind:
            kind = sse_event if sse_event and sse_event != "message" else ""
            r._add("problem" if not kind else "deviation", "an event without event_type", n)
        if sse_event not in ("", "message") and sse_event != kind:
            r._add("deviation", f"an SSE event name {shown(sse_event)} (not documented)", n)
        if kind not in EVENTS:
            r.types[kind or "?"] += 1
            if kind:
                r._add("deviation", f"unknown event type {shown(kind)} (the client passes it on, unread)", n)
            return
        r.types[kind] += 1
        self._fields(kind, payload, EVENTS[kind], kind, n)
        self._order(kind, payload, n)

    def _fields(self, kind: str, obj: Mapping[str, Any], shape: Shape, where: str, n: int) -> None:
        r = self.result
        for name in sorted(shape.required - obj.keys()):
            r._add("problem", f"{kind} without its field {where}.{name}", n)
        for name in sorted(obj.keys() - shape.required - shape.optional):
            r._add("deviation", f"{kind} with an unknown field {where}.{shown(name)[1:-1]}", n)
        for name, inner in shape.nested.items():
            value = obj.get(name)
            if isinstance(value, Mapping):
                self._fields(kind, value, inner, f"{where}.{name}", n)
            elif name in obj:
                r._add("problem", f"{kind} whose {where}.{name} is not an object", n)

    def _order(self, kind: str, payload: Mapping[str, Any], n: int) -> None:
        r = self.result
        if r.frames == 1 and not (kind == "task_status" and normalise_status(payload.get("status")) == "running"):
            r._add("deviation", f"the stream began with {kind}, not task_status Running", n)
        if self._task_ended_at is not None and kind not in ("execution_status", "close"):
            r._add("deviation", f"{kind} after the task's final status", n)
        if kind in ("task_status", "execution_status"):
            word = payload.get("status")
            status = normalise_status(word)
            if status not in DOCUMENTED_STATUSES:
                r._add("problem", f"{kind} with a status word not in the protocol: {shown(word)}", n)
            if kind == "task_status":
                r.statuses.append(str(word))
                if status in TERMINAL and self._task_ended_at is None:
                    self._task_ended_at = n
            elif status in TERMINAL and self._task_ended_at is None:
                r._add("deviation", "execution_status ended before task_status did", n)
        elif kind == "message_chunk":
            chunk = payload.get("message_chunk")
            chunk = chunk if isinstance(chunk, Mapping) else {}
            mid = str(chunk.get("message_id"))
            if mid in self._final_chunk_of:
                r._add("deviation", "a chunk after its message's final chunk", n)
            if payload.get("final_chunk") is True:
                self._final_chunk_of.add(mid)
            self._message_ids.add(mid)
            text = chunk.get("message")
            self._chunks.append(text if isinstance(text, str) else "")
        elif kind == "message":
            message = payload.get("message")
            message = message if isinstance(message, Mapping) else {}
            mid = str(message.get("message_id"))
            if self._message_ids and mid not in self._message_ids:
                r._add("deviation", "a message whose message_id no chunk had", n)
            if self._message_ids and mid not in self._final_chunk_of:
                r._add("deviation", "a message before its final chunk", n)
            text = message.get("message")
            self._message_text = text if isinstance(text, str) else None

    def finish(self) -> StreamCheck:
        r = self.result
        chunks = "".join(self._chunks)
        if self._message_text is not None and self._chunks and self._message_text != chunks:
            r._add("deviation", "the message's text is not its chunks joined (the client keeps the message's)")
        if self._chunks and self._message_text is None:
            r._add("deviation", "chunks but no message event (the client keeps the chunks)")
        if not r.ended:
            r._add("problem", "no task_status ended the turn (the client waits for one, or its deadline)")
        r.text = self._message_text if self._message_text is not None else chunks
        r.artifact_ids = list(artifact_ids(r.text))
        return r
