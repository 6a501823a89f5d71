"""Threads and what they hold: messages, artifacts, uploaded files, the latest progress.

One store serves both flavours, so a thread created over v1 is visible over v2 (handy when a test
drives one flavour and inspects with the other). All access happens on the server's event loop.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

JSON = dict[str, Any]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    """``2025-06-30T20:00:00.000000Z``: fixed width, so string order is time order."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class StoredMessage:
    message_id: str
    text: str
    is_user: bool
    time: datetime
    citations: list[JSON] = field(default_factory=list)
    tools_called: JSON = field(default_factory=dict)
    shown_from: datetime | None = None
    """With ``history_lag_ms``: the history shows the message only from this moment on."""

    def _common(self) -> JSON:
        return {
            "message_id": self.message_id,
            "message": self.text,
            "is_user_message": self.is_user,
            "message_time": iso(self.time),
        }

    def as_history(self) -> JSON:
        """The shape of ``GET .../messages``: citations beside the text."""
        return {
            **self._common(),
            "citations": self.citations,
            "message_metadata": {"tools_called": self.tools_called},
        }

    def as_event(self) -> JSON:
        """The shape of the stream's ``message`` event: citations inside the metadata."""
        return {
            **self._common(),
            "message_metadata": {"tools_called": self.tools_called, "citations": self.citations},
        }


@dataclass(frozen=True)
class Attachment:
    file_id: str
    name: str
    content_type: str
    content: bytes

    def text(self) -> str:
        """The content as text, or ``""`` for binary files."""
        try:
            text = self.content.decode("utf-8")
        except UnicodeDecodeError:
            return ""
        return "" if "\x00" in text else text


@dataclass
class Progress:
    task_id: str
    status: str
    log: str

    def as_json(self) -> JSON:
        return {"log": self.log, "status": self.status, "task_id": self.task_id}


@dataclass
class Thread:
    thread_id: str
    name: str
    created_at: datetime
    last_updated: datetime
    messages: list[StoredMessage] = field(default_factory=list)
    artifacts: dict[str, JSON] = field(default_factory=dict)
    files: list[Attachment] = field(default_factory=list)
    progress: Progress | None = None
    busy_refusals: int = 0
    """Messages refused because a task was running (or settling) in the thread."""

    def summary(self) -> JSON:
        return {
            "thread_id": self.thread_id,
            "thread_name": self.name,
            "created_at": iso(self.created_at),
            "last_updated": iso(self.last_updated),
        }

    def append(self, message: StoredMessage) -> None:
        self.messages.append(message)
        self.last_updated = message.time

    def user_questions(self) -> list[str]:
        return [m.text for m in self.messages if m.is_user]

    def history_page(
        self,
        *,
        start_index: int,
        limit: int | None,
        start: datetime | None,
        end: datetime | None,
    ) -> tuple[list[StoredMessage], int]:
        """A page of history and the count it was taken from.

        ``start_index`` counts back from the newest message (``0`` with ``limit=25`` is the
        latest 25) while the page itself reads oldest first, as the reference describes; the
        total counts the messages inside the ``start``/``end`` window.
        """
        now = utc_now()
        window = [
            m
            for m in self.messages
            if (start is None or m.time >= start)
            and (end is None or m.time <= end)
            and (m.shown_from is None or m.shown_from <= now)
        ]
        stop = max(len(window) - start_index, 0)
        begin = 0 if limit is None else max(stop - limit, 0)
        return window[begin:stop], len(window)


class ThreadStore:
    def __init__(self) -> None:
        self._threads: dict[str, Thread] = {}

    def create(self, name: str) -> Thread:
        now = utc_now()
        thread = Thread(thread_id=new_id(), name=name, created_at=now, last_updated=now)
        self._threads[thread.thread_id] = thread
        return thread

    def get(self, thread_id: str) -> Thread | None:
        return self._threads.get(thread_id)

    def remove(self, thread_id: str) -> None:
        del self._threads[thread_id]

    def newest_first(self) -> list[Thread]:
        return list(reversed(self._threads.values()))

    def __iter__(self) -> Iterator[Thread]:
        return iter(list(self._threads.values()))
