"""Typed stream events, decoded liberally from server-sent events: the service's documentation
leaves the exact frames open, so every shape seen or plausible is read (docs/protocol.md, The stream).

The documented frame is ``data: {"event": {"event_type": ..., ...}}``. Also accepted: the type in
the SSE ``event:`` field, a top-level ``event_type`` or ``type``, and a payload keyed by the event
name. Comments, pings and empty data are not events (:func:`decode` returns None). A frame that is
not JSON becomes a :class:`MalformedEvent`, which callers report and skip: it is never fatal.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .models import TERMINAL_STATUSES, Message, normalise_status

_KNOWN_TYPES = ("message_chunk", "message_work_in_progress", "message", "task_status", "execution_status")
_MAX_REPORTED = 200  # characters of a malformed frame kept for the report
_scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # the C scanner json.loads itself ends in


@dataclass(frozen=True, slots=True)
class WorkInProgress:
    """A line of the assistant's work-in-progress log."""

    log: str
    raw: Mapping[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class MessageChunk:
    """A piece of the answer's text as it is generated; ``final`` marks the message's last piece."""

    text: str
    message_id: str | None
    final: bool
    raw: Mapping[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class MessageComplete:
    """The whole message, assembled by the service: authoritative over the chunks."""

    message: Message
    raw: Mapping[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """A ``task_status`` or ``execution_status`` event; ``status`` is normalised to lower case."""

    kind: str
    status: str
    log: str | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


@dataclass(frozen=True, slots=True)
class StreamClosed:
    """The server said ``event: close``: no more events will come on this connection."""


@dataclass(frozen=True, slots=True)
class UnknownEvent:
    """An event type this version does not know; kept and passed on, never fatal."""

    event_type: str
    raw: Mapping[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class MalformedEvent:
    """A frame whose data is not a JSON object. ``data`` is truncated."""

    data: str
    reason: str


Event = WorkInProgress | MessageChunk | MessageComplete | StatusChanged | StreamClosed | UnknownEvent | MalformedEvent


def decode(sse_event: str, data: str) -> Event | None:
    """One SSE frame (its ``event:`` name and ``data:``) to a typed event, or None for no event."""
    if sse_event == "close":
        return StreamClosed()
    if not data or data.isspace():
        return None
    try:
        obj = _loads(data)
    except ValueError as exc:
        return MalformedEvent(data[:_MAX_REPORTED], f"not JSON: {getattr(exc, 'msg', exc)}")
    except RecursionError:  # valid or not, nested deeper than the parser goes
        return MalformedEvent(data[:_MAX_REPORTED], "not JSON: nested too deeply")
    if not isinstance(obj, dict):
        return MalformedEvent(data[:_MAX_REPORTED], "not a JSON object")
    payload = obj.get("event")
    if not isinstance(payload, dict):
        payload = obj
    event_type = _event_type(payload, sse_event)
    if event_type is None:
        return UnknownEvent("", payload)
    try:
        return from_payload(event_type, payload)
    except (TypeError, ValueError, AttributeError) as exc:
        return MalformedEvent(data[:_MAX_REPORTED], f"bad {event_type} event: {exc}")


def from_payload(event_type: str, payload: dict[str, Any]) -> Event:
    """The event of type ``event_type`` whose JSON payload is ``payload``: the decoders of the
    stream, used again when a cassette replays what the stream once delivered."""
    decoder = _DECODERS.get(event_type)
    return decoder(payload) if decoder else UnknownEvent(event_type, payload)


def type_of(event: Event) -> str:
    """The name :func:`from_payload` decodes ``event`` back from (its ``raw`` the payload)."""
    if isinstance(event, StatusChanged):
        return event.kind
    if isinstance(event, UnknownEvent):
        return event.event_type
    return _TYPE_NAMES[type(event)]


def _loads(data: str) -> Any:
    """``json.loads(data)``, without its Python layers when the data is one JSON value and nothing
    else (every frame the service sends): ~1 µs of an event's few. Anything else, leading or
    trailing whitespace or an error, goes to ``json.loads``, which decides and explains as before."""
    try:
        obj, end = _scan(data, 0)
    except (StopIteration, ValueError):
        return json.loads(data)
    return obj if end == len(data) else json.loads(data)


def _event_type(payload: Mapping[str, Any], sse_event: str) -> str | None:
    named = payload.get("event_type") or payload.get("type")
    if isinstance(named, str) and named:
        return named
    # "message" is also the SSE default name, so it says nothing on its own.
    if sse_event and sse_event != "message":
        return sse_event
    keyed = [k for k in _KNOWN_TYPES if k in payload and isinstance(payload[k], Mapping)]
    if len(keyed) == 1:
        return keyed[0]
    if "message_id" in payload and "message" in payload:
        return "message"
    return None


def _chunk(payload: Mapping[str, Any]) -> MessageChunk:
    chunk = payload.get("message_chunk", payload)
    if isinstance(chunk, str):
        chunk = {"message": chunk}
    text = chunk.get("message")
    if text is None:
        text = chunk.get("text", "")
    final = payload.get("final_chunk")
    if final is None:
        final = chunk.get("final_chunk", False)
    message_id = chunk.get("message_id") or payload.get("message_id")
    return MessageChunk(
        text if type(text) is str else str(text),
        message_id if message_id is None or type(message_id) is str else str(message_id),
        final is True or bool(final),
        payload,
    )


def _work(payload: Mapping[str, Any]) -> WorkInProgress:
    log = payload.get("log")
    if log is None:
        inner = payload.get("message_work_in_progress")
        log = inner.get("log") if isinstance(inner, Mapping) else payload.get("message", "")
    return WorkInProgress(str(log), payload)


def _message(payload: Mapping[str, Any]) -> MessageComplete:
    inner = payload.get("message")
    raw = inner if isinstance(inner, Mapping) else payload
    return MessageComplete(Message.from_raw(raw), payload)


def _status(payload: Mapping[str, Any]) -> StatusChanged:
    kind = str(payload.get("event_type") or ("execution_status" if "execution_status" in payload else "task_status"))
    inner = payload.get(kind)
    source = inner if isinstance(inner, Mapping) else payload
    log = source.get("log")
    return StatusChanged(kind, normalise_status(source.get("status")), None if log is None else str(log), payload)


_DECODERS: dict[str, Callable[[dict[str, Any]], Event]] = {
    "message_chunk": _chunk,
    "message_work_in_progress": _work,
    "message": _message,
    "task_status": _status,
    "execution_status": _status,
}

_TYPE_NAMES: dict[type, str] = {
    MessageChunk: "message_chunk",
    WorkInProgress: "message_work_in_progress",
    MessageComplete: "message",
}
