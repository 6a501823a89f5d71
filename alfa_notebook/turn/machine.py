"""The state of one question-and-answer turn, fed events; no I/O (in the manner of h11).

Everything the stream means is decided here: how chunks assemble into text, that the service's
``message`` event overrides the chunks, which statuses end the turn, and how a history fetched
after a broken stream is reconciled with what arrived, so nothing is lost or doubled.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal, get_args

from .._public import publish
from ..wire import markers
from ..wire.events import (
    Event,
    MalformedEvent,
    MessageChunk,
    MessageComplete,
    StatusChanged,
    UnknownEvent,
    WorkInProgress,
)
from ..wire.models import Citation, History, Message, normalise_status

_SEPARATOR = "\n\n"  # between the assistant messages of one turn

EndStatus = Literal["complete", "no_results", "cancelled", "error"]
"""How a turn ended: the service's terminal statuses, as an answer reads them."""
TurnStatus = Literal["waiting", "running", EndStatus]
"""Where a turn is: waiting for its first event, running, or one of :data:`EndStatus`."""
AnswerStatus = Literal[EndStatus, "incomplete"]
"""How an answer ended; ``"incomplete"``: the connection was lost before the service ended it."""
_ANSWER_STATUSES: dict[object, AnswerStatus] = {status: status for status in get_args(AnswerStatus)}


def answer_status(value: object) -> AnswerStatus:
    """``value`` as an :data:`AnswerStatus`; a status this version does not know (a saved answer from
    a newer one) reads as ``"incomplete"``, the one that claims nothing about how the turn ended."""
    return _ANSWER_STATUSES.get(value, "incomplete")


# How the service's terminal statuses read on an Answer.
_ANSWER_STATUS: dict[str, EndStatus] = {
    "complete": "complete",
    "no_results_found": "no_results",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "error": "error",
    "failed": "error",
}


@dataclass
class _Draft:
    """One assistant message of the turn, as chunks until the service sends it whole."""

    chunks: list[str]
    final: Message | None = None

    @property
    def text(self) -> str:
        return self.final.text if self.final is not None else "".join(self.chunks)


def thread_name(question: str, limit: int = 60) -> str:
    """A new thread is named after its first question, on one line and cut at a word."""
    line = " ".join(question.split())
    if len(line) <= limit:
        return line or "Untitled"
    return line[:limit].rsplit(" ", 1)[0] + "…"


class Turn:
    """Feed it events with :meth:`feed`; read the answer so far from its properties."""

    def __init__(self, question: str, thread_id: str | None = None, *, clock: Callable[[], float] = time.monotonic):
        self.question = question
        self.thread_id = thread_id
        self.status: TurnStatus = "waiting"
        self.logs: list[str] = []  # the work-in-progress lines
        self.status_log: str | None = None  # what the last status event said
        self.malformed: list[MalformedEvent] = []
        self.unknown: list[UnknownEvent] = []
        self.events_received = 0
        self.recoveries = 0  # times the stream broke and the client set out to pick the turn up again
        self.interrupted = False  # ended by the client (Ctrl-C, cancellation, the timeout), not the service
        self.reconnecting = 0  # the reconnect attempt under way (1, 2, ...), 0 while attached
        self.polling = False  # reconnecting failed: the task's progress is polled until it ends
        self.attached: list[str] = []  # the files sent to the thread before the question, by name
        self._drafts: dict[str | None, _Draft] = {}
        self._clock = clock
        self._started = clock()
        self._ended: float | None = None

    # -- reading ----------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        return self._ended is not None

    @property
    def raw_text(self) -> str:
        """The answer's text as the service wrote it, artifact markers included."""
        return _SEPARATOR.join(t for t in (d.text for d in self._drafts.values()) if t)

    @property
    def message_id(self) -> str | None:
        ids = [i for i in self._drafts if i is not None]
        return ids[-1] if ids else None

    @property
    def messages(self) -> list[Message]:
        """The assistant messages that arrived whole, in order."""
        return [d.final for d in self._drafts.values() if d.final is not None]

    @property
    def citations(self) -> list[Citation]:
        """Every message's citations, their offsets moved to count in :attr:`raw_text`."""
        cited: list[Citation] = []
        shift = 0
        for draft in self._drafts.values():
            text = draft.text
            if not text:
                continue
            if draft.final is not None:
                cited += [_shifted(c, shift) for c in draft.final.citations]
            shift += len(text) + len(_SEPARATOR)
        return cited

    @property
    def artifact_ids(self) -> list[str]:
        return markers.artifact_ids(self.raw_text)

    @property
    def latest_log(self) -> str | None:
        return self.logs[-1] if self.logs else None

    @property
    def elapsed(self) -> float:
        return (self._ended if self._ended is not None else self._clock()) - self._started

    # -- feeding ----------------------------------------------------------------------------

    def feed(self, event: Event) -> bool:
        """Take one event; return whether what a reader sees has changed."""
        self.events_received += 1
        if isinstance(event, MessageChunk):
            return self._chunk(event)
        if isinstance(event, WorkInProgress):
            return self._log(event.log)
        if isinstance(event, MessageComplete):
            return self._message(event.message)
        if isinstance(event, StatusChanged):
            return self._status(event)
        if isinstance(event, MalformedEvent):
            self.malformed.append(event)
        elif isinstance(event, UnknownEvent):
            self.unknown.append(event)
        return False

    def _started_running(self) -> None:
        if self.status == "waiting":
            self.status = "running"

    def _chunk(self, event: MessageChunk) -> bool:
        self._started_running()
        draft = self._drafts.get(event.message_id)
        if draft is None:
            draft = self._drafts[event.message_id] = _Draft([])
        if draft.final is not None or not event.text:
            return False
        draft.chunks.append(event.text)
        return True

    def _log(self, log: str) -> bool:
        self._started_running()
        if not log or (self.logs and self.logs[-1] == log):  # a repeated frame says nothing new
            return False
        self.logs.append(log)
        return True

    def _message(self, message: Message) -> bool:
        if message.is_user:
            return False
        self._started_running()
        # Chunks that came without an id belong to the first message that names one.
        anonymous = self._drafts.pop(None, None)
        draft = self._drafts.get(message.id) or anonymous or _Draft([])
        self._drafts[message.id] = draft
        changed = draft.final is None or draft.final.text != message.text
        draft.final = message
        return changed

    def _status(self, event: StatusChanged) -> bool:
        if event.log:
            self.status_log = event.log
        if event.terminal:
            self.end(event.status)
            return True
        if event.status:
            self._started_running()
        return False

    def end(self, status: str) -> None:
        """Mark the turn over with the service's terminal ``status`` (any case)."""
        if self._ended is None:
            self.status = _ANSWER_STATUS.get(normalise_status(status), "error")
            self._ended = self._clock()

    def interrupt(self) -> None:
        """The user stopped the turn: what arrived stays, as a cancelled answer."""
        if self._ended is None:
            self.interrupted = True
        self.end("cancelled")

    def reconcile(self, history: History, status: str) -> None:
        """Take the assistant messages of this turn from ``history`` and end the turn.

        The history is the service's record, so it replaces any text assembled from chunks; messages
        of this turn are those after the last user message that asked this question.
        """
        for message in _replies_to(history.messages, self.question, self.message_id):
            self._message(message)
        self.end(status)

    def replied_in(self, history: History) -> bool:
        """Whether ``history`` holds this turn's reply (a lagging history may not yet)."""
        return bool(_replies_to(history.messages, self.question, self.message_id))

    def settle_stopped(self, history: History, service_status: str | None) -> None:
        """After the client stopped the turn, what the service kept: if it had finished the turn on
        its own meanwhile (``service_status``, its task's status after the cancel, is complete or no
        results), the answer is its record, as if read to the end; else the sources (see keep_sources)."""
        if service_status is not None and _ANSWER_STATUS.get(normalise_status(service_status)) in (
            "complete",
            "no_results",
        ):
            self._ended, self.interrupted = None, False
            self.reconcile(history, service_status)
        else:
            self.keep_sources(history)

    def keep_sources(self, history: History) -> None:
        """After the client stopped the turn: take the sources the service kept for the messages
        that had partly arrived. The text stays what arrived: the service's record of a cancelled
        message ends with words of its own, and may hold chunks the client never read."""
        for message in _replies_to(history.messages, self.question, self.message_id):
            draft = self._drafts.get(message.id)
            if draft is None and None in self._drafts:  # chunks without an id: the first message's
                draft = self._drafts[message.id] = self._drafts.pop(None)
            if draft is None or draft.final is not None or not draft.chunks:
                continue
            text = draft.text
            draft.final = replace(message, text=text, citations=_within(message.citations, text))


def _within(citations: list[Citation], text: str) -> list[Citation]:
    """The citations placed in ``text`` (or not placed at all)."""
    return [c for c in citations if c.inline_offset is None or c.inline_offset <= len(text)]


def _shifted(citation: Citation, shift: int) -> Citation:
    if not shift or citation.inline_offset is None:
        return citation
    return replace(citation, inline_offset=citation.inline_offset + shift)


def same_question(recorded: str, question: str) -> bool:
    """Whether the service's record of a user message is this question (spacing aside)."""
    return recorded.split() == question.split()


def _replies_to(messages: list[Message], question: str, known_id: str | None) -> list[Message]:
    """The assistant messages of this turn: from the one whose id the stream gave, or after the
    last copy of the question. When neither is in the history, none: an older turn's answer must
    never pass for this one's."""
    starts = [i for i, m in enumerate(messages) if known_id is not None and m.id == known_id]
    if starts:
        return [messages[starts[0]], *_until_next_question(messages[starts[0] + 1 :])]
    asked = [i for i, m in enumerate(messages) if m.is_user and same_question(m.text, question)]
    return _until_next_question(messages[asked[-1] + 1 :]) if asked else []


def _until_next_question(messages: list[Message]) -> list[Message]:
    """The leading assistant messages: the next user message starts another turn."""
    replies: list[Message] = []
    for m in messages:
        if m.is_user:
            break
        replies.append(m)
    return replies


publish(__name__)  # last: the public names above report alfa_notebook as their module
