"""The stream's events and their SSE frames, exactly as docs/protocol.md lays them out.

Each frame is ``data: {"event": {...}}`` with no ``event:`` or ``id:`` line; only the farewell
sent when a thread is deleted (or the emulator stops) carries ``event: close``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sse_starlette.event import ServerSentEvent

SEPARATOR = "\r\n"
"""Line separator of every frame and ping (sse-starlette's default, kept explicit)."""

Event = dict[str, Any]


def frame(event: Mapping[str, Any]) -> bytes:
    data = json.dumps({"event": event}, ensure_ascii=False, separators=(", ", ": "))
    return ServerSentEvent(data, sep=SEPARATOR).encode()


CLOSE_FRAME = ServerSentEvent(json.dumps({"event": {"event_type": "close"}}), event="close", sep=SEPARATOR).encode()
"""``event: close`` with a JSON body: an event with empty data would be dropped by SSE parsers."""

_MALFORMED = (
    '{"event": {"event_type": "message_chunk", "message_chunk": {"message": "trunc',
    "{'event': {'event_type': 'message_work_in_progress'}}",
    '{"event": {"event_type": "task_status", "status": "Running",}}',
    "not json at all",
)


def malformed_frame(index: int) -> bytes:
    """A frame whose data is not valid JSON (the ``malformed=N`` fault), varied by ``index``."""
    return ServerSentEvent(_MALFORMED[index % len(_MALFORMED)], sep=SEPARATOR).encode()


def task_status(status: str, log: str) -> Event:
    return {"event_type": "task_status", "status": status, "log": log}


def execution_status(status: str) -> Event:
    return {"event_type": "execution_status", "status": status}


def work_in_progress(log: str) -> Event:
    return {"event_type": "message_work_in_progress", "log": log}


def message_chunk(text: str, message_id: str, *, final: bool) -> Event:
    return {
        "event_type": "message_chunk",
        "message_chunk": {"message": text, "message_id": message_id},
        "final_chunk": final,
    }


def message(payload: Mapping[str, Any]) -> Event:
    return {"event_type": "message", "message": payload}
