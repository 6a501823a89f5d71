"""What ``ask()`` does, written once as a generator of effects; the clients only perform them.

The procedure yields an effect (open the stream, post the message, read an event, sleep, ...) and
receives its result. :class:`~alfa_notebook.AlfaClient` performs effects with blocking I/O and
:class:`~alfa_notebook.AsyncAlfaClient` with ``await``, so the two share every decision: when the
turn is over, when to reconnect, when to fall back to polling, what to reconcile.

Recoverable failures (a stream that drops or stalls, a progress call that fails) come back as
:class:`Lost` values; any other failure of an effect is thrown into the procedure at the
``yield`` that asked for it, so the procedure can settle it (a POST whose outcome is unknown, a
thread to clean up) or let it propagate.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..wire import operations as ops
from ..wire.errors import (
    AlfaError,
    APIConnectionError,
    APIError,
    APITimeoutError,
    InternalServerError,
    RateLimitError,
    StreamInterruptedError,
)
from ..wire.events import Event, MessageChunk, StatusChanged, StreamClosed
from ..wire.models import TERMINAL_STATUSES, Artifact, History, Progress, Thread
from ..wire.operations import Upload
from ..wire.retry import backoff
from .machine import Turn, same_question, thread_name

MAX_RECONNECTS = 3
POLL_INTERVAL = (1.0, 5.0)  # first and longest wait between progress polls
MAX_POLL_FAILURES = 5
MAX_RESENDS = 2
"""A POST whose outcome was unknown, and that the service's record shows was not processed, is
sent again at most this many times."""
CLOCK_SKEW = 120.0
"""Seconds the service's clock may run behind ours: a thread or message stamped up to this long
before the ask began still counts as made by it."""
HISTORY_PAGE = 10
"""The latest messages read to find a question or a turn's replies in the service's record."""


@dataclass(frozen=True)
class Call:
    """A REST request. With ``recoverable``, a failure that retrying later may mend comes back as
    :class:`Lost` instead of raising."""

    operation: ops.Operation[Any]
    recoverable: bool = False


@dataclass(frozen=True)
class OpenStream:
    thread_id: str
    recovering: bool = False  # a failure to reconnect is returned as Lost, not raised


@dataclass(slots=True)  # not frozen, as the other effects: built once per event, it must be cheap
class Publish:
    """The turn changed because of ``event``: tell whoever follows along."""

    event: Event | None


@dataclass(slots=True)  # not frozen: see Publish
class NextEvent:
    """Read the next event of the open stream; the result is an Event or :class:`Lost`.

    ``after`` is a change to publish first: carrying it here spares the hot loop a second round
    trip through the procedure for every event.
    """

    after: Publish | None = None


@dataclass(slots=True)
class Burst:
    """Events already at hand, given as one result of :class:`NextEvent` (a cassette replaying a
    recorded stream): the procedure feeds them all and publishes the change once, after the last."""

    events: Iterable[Event]  # iterated once, as the events are fed


@dataclass(frozen=True)
class CloseStream:
    pass


@dataclass(frozen=True)
class GetArtifacts:
    thread_id: str
    artifact_ids: tuple[str, ...]
    message_id: str | None


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Lost:
    """A recoverable failure: the stream broke or a call failed; ``error`` says why."""

    error: BaseException | None


Effect = Call | OpenStream | NextEvent | CloseStream | GetArtifacts | Sleep | Publish
Steps = Generator[Effect, Any, "AskResult"]


@dataclass
class AskResult:
    turn: Turn
    artifacts: list[Artifact]
    artifact_errors: dict[str, BaseException]


class AskProcedure:
    """One ``ask()``: create the thread if needed, listen, post, follow the stream to its end."""

    def __init__(
        self,
        question: str,
        thread_id: str | None,
        *,
        clock: Callable[[], float],
        timeout: float | None = None,
        rng: random.Random | None = None,
        wall: Callable[[], float] = time.time,
        source_overrides: Mapping[str, Any] | None = None,
        name: str | None = None,
        uploads: Sequence[Upload] = (),
    ):
        self.turn = Turn(question, thread_id, clock=clock)
        self.source_overrides = source_overrides
        self.uploads = tuple(uploads)
        """Files sent to the thread before the question, in order (``ask(attach=...)``)."""
        self._name = name  # of the thread it starts; by default the question's
        self._clock = clock
        self._timeout = timeout
        self._deadline = None if timeout is None else clock() + timeout
        self._rng = rng or random.Random()
        self._wall = wall
        self._asked_at = wall()
        self._failures = 0  # consecutive stream failures; an event received resets it
        self.created_thread = False
        """Whether this ask created its thread (and so may delete it if the question never got there)."""
        self.posted: bool | None = False
        """Whether the question reached the service: None while a POST's outcome is unknown."""

    def _check_deadline(self) -> None:
        if self._deadline is not None and self._clock() >= self._deadline:
            arrived = (
                "What had arrived is in the error's .answer."
                if self.turn.raw_text or self.turn.logs
                else "Nothing of the answer had arrived."
            )
            raise APITimeoutError(
                f"The answer did not finish within {self._timeout:g} s. {arrived} "
                "For long questions, raise the timeout: ask(..., timeout=...)."
            )

    @property
    def deadline(self) -> float | None:
        """When the answer must be over, on ``clock``'s scale (None: no limit). The runners hand
        it to the transport, so its retries and waits stop there too."""
        return self._deadline

    def _until_deadline(self, seconds: float) -> float:
        """``seconds`` of waiting, cut short where the deadline falls: no wait outlasts it."""
        if self._deadline is None:
            return seconds
        return max(0.0, min(seconds, self._deadline - self._clock()))

    def run(self) -> Steps:
        turn = self.turn
        if turn.thread_id is None:
            turn.thread_id = yield from self._create_thread()
            self.created_thread = True
        thread_id = turn.thread_id
        try:
            for upload in self.uploads:  # before the question, which may read them
                yield Call(ops.upload(thread_id, upload.content, upload.name))
                turn.attached.append(upload.name)
            # Events are not replayed, so the stream is connected before the message is sent.
            yield OpenStream(thread_id)
            yield from self._post_question(thread_id)
        except AlfaError as error:
            if self.created_thread and self.posted is False:  # leave no empty thread behind
                yield from self._discard_thread(thread_id)
            raise error
        change: Publish | None = Publish(None)
        while not turn.done:
            self._check_deadline()
            event = yield NextEvent(change)
            change = None
            if isinstance(event, (Lost, StreamClosed)):
                yield CloseStream()
                yield from self._recover(thread_id, event)
            elif type(event) is Burst:
                change = self._feed_burst(event)
            else:
                self._failures = 0
                if turn.feed(event) or (isinstance(event, MessageChunk) and event.final):
                    change = Publish(event)
        if change is not None:
            yield change
        yield CloseStream()
        return (yield from self._collect_artifacts(thread_id))

    def _feed_burst(self, burst: Burst) -> Publish | None:
        """Feed every event of ``burst`` (up to the turn's end, as the stream is read); the change to
        publish is the last event that changed the turn."""
        turn, last = self.turn, None
        feed = turn.feed
        for event in burst.events:
            if feed(event) or (type(event) is MessageChunk and event.final):
                last = event
                if type(event) is StatusChanged and turn.done:  # only a status ends a turn
                    break
        self._failures = 0
        return None if last is None else Publish(last)

    def _recover(self, thread_id: str, cause: Lost | StreamClosed) -> Generator[Effect, Any, None]:
        """Reconnect with backoff; once attached, check whether the turn ended meanwhile.

        If reconnecting fails, poll progress until the task is over. Either way a finished task is
        reconciled from the history, which is the service's own record of the answer.
        """
        self.turn.recoveries += 1
        while self._failures < MAX_RECONNECTS:
            # A single drop is mended at once; failures in a row, with no event between, back off.
            self._check_deadline()  # the read that failed may have run out the time
            if self._failures:
                yield Sleep(self._until_deadline(backoff(self._failures - 1, self._rng)))
                self._check_deadline()
            self._failures += 1
            self.turn.reconnecting = self._failures
            opened = yield OpenStream(thread_id, recovering=True)
            if isinstance(opened, Lost):
                continue
            self.turn.reconnecting = 0
            progress = yield Call(ops.progress(thread_id), recoverable=True)
            if isinstance(progress, Progress) and progress.status in TERMINAL_STATUSES:
                yield from self._reconcile(thread_id, progress.status)
            return
        self.turn.reconnecting, self.turn.polling = 0, True
        yield from self._poll_until_done(thread_id, cause)

    def _poll_until_done(self, thread_id: str, cause: Lost | StreamClosed) -> Generator[Effect, Any, None]:
        failures = 0
        wait = POLL_INTERVAL[0]
        while True:
            self._check_deadline()
            progress = yield Call(ops.progress(thread_id), recoverable=True)
            if isinstance(progress, Lost):
                failures += 1
                if failures >= MAX_POLL_FAILURES:
                    error = StreamInterruptedError(
                        "The event stream broke and the service could not be reached to follow the answer "
                        "to its end; it may still be running there. What had arrived is in the error's "
                        f".answer; later, client.threads.messages({thread_id!r}) reads the whole answer "
                        f"and client.threads.progress({thread_id!r}) says whether it is finished.",
                        method="GET",
                        path="/threads/{id}/progress",
                    )
                    raise error from (progress.error or getattr(cause, "error", None))
            elif progress.status is None or progress.status in TERMINAL_STATUSES:
                yield from self._reconcile(thread_id, progress.status or "complete")
                return
            yield Sleep(self._until_deadline(wait))
            wait = min(wait * 1.5, POLL_INTERVAL[1])

    def _reconcile(self, thread_id: str, status: str) -> Generator[Effect, Any, None]:
        history: History = yield Call(ops.list_messages(thread_id, limit_num=HISTORY_PAGE))
        self.turn.reconcile(history, status)
        yield Publish(None)

    # -- posting: a POST whose outcome is unknown is settled from the service's record -----------

    def _create_thread(self) -> Generator[Effect, Any, str]:
        name = thread_name(self._name or self.turn.question)
        for resends in range(MAX_RESENDS + 1):
            try:
                thread: Thread = yield Call(ops.create_thread(name))
                return thread.id
            except APIError as error:
                if not self._may_settle(error, resends):
                    raise error
                try:
                    found = yield from self._new_empty_thread(name)
                except AlfaError:
                    raise error from None  # the record could not be read: the outcome stays unknown
                if found is not None:  # the service made it before the connection broke
                    return found
        raise AssertionError("unreachable")  # pragma: no cover

    def _new_empty_thread(self, name: str) -> Generator[Effect, Any, str | None]:
        """A thread named ``name``, made since this ask began and still empty: the one a POST whose
        answer was lost created (adopting an empty thread of the same name is harmless either way)."""
        threads: list[Thread] = yield Call(ops.list_threads())
        since = self._asked_at - CLOCK_SKEW
        recent = [t for t in threads if t.name == name and (t.created_at is None or t.created_at.timestamp() >= since)]
        recent.sort(key=lambda t: t.created_at.timestamp() if t.created_at else 0.0, reverse=True)
        for thread in recent[:3]:
            history: History = yield Call(ops.list_messages(thread.id, limit_num=1))
            if not history.messages:
                return thread.id
        return None

    def _post_question(self, thread_id: str) -> Generator[Effect, Any, None]:
        for resends in range(MAX_RESENDS + 1):
            try:
                yield Call(ops.send_message(thread_id, self.turn.question, source_overrides=self.source_overrides))
                self.posted = True
                return
            except APIError as error:
                if error.processed is not None:
                    raise error
                self.posted = None
                if not self._may_settle(error, resends):
                    raise error
                try:
                    history: History = yield Call(ops.list_messages(thread_id, limit_num=HISTORY_PAGE))
                except AlfaError:
                    raise error from None  # the record could not be read: the outcome stays unknown
                if self._question_in(history):  # it got there: carry on with it
                    self.posted = True
                    return
                self.posted = False  # the service has no record of it: sending again asks it once

    def _may_settle(self, error: APIError, resends: int) -> bool:
        """Whether a failed POST is worth settling from the record: its outcome is unknown, it may
        still be sent again, and the ask has time left."""
        in_time = self._deadline is None or self._clock() < self._deadline
        return error.processed is None and resends < MAX_RESENDS and in_time

    def _question_in(self, history: History) -> bool:
        """Whether the service recorded this ask's question. In a thread this ask created, any copy
        of it is ours; in an older thread, only one stamped since the ask began (or, unstamped, none:
        sending again is the lesser harm than taking an older answer for this one)."""
        since = self._asked_at - CLOCK_SKEW
        for message in reversed(history.messages):
            if message.is_user:
                if not same_question(message.text, self.turn.question):
                    return False
                if self.created_thread:
                    return True
                return message.time is not None and message.time.timestamp() >= since
        return False

    def _discard_thread(self, thread_id: str) -> Generator[Effect, Any, None]:
        try:
            yield Call(ops.delete_thread(thread_id))
        except AlfaError:
            return  # best effort: the error that ended the ask is the one to report
        self.turn.thread_id = None

    # -- stopping: after an interrupt, a cancellation or the deadline ----------------------------

    def stop(self) -> Generator[Effect, Any, AskResult]:
        """Cancel the task on the service and keep what it had made: the history gives the sources
        of the messages that had partly arrived, and the artifacts whose markers arrived are fetched. A thread this
        ask created, and that the question never reached, is deleted instead. Every call is best
        effort: the runner bounds the whole in time."""
        thread_id = self.turn.thread_id
        if thread_id is not None and self.created_thread and self.posted is False:
            yield from self._discard_thread(thread_id)
            return AskResult(self.turn, [], {})
        if thread_id is None or self.posted is False:  # no task of this ask's to stop or read
            return AskResult(self.turn, [], {})
        try:
            yield Call(ops.cancel(thread_id))
        except AlfaError:
            pass  # it may have ended already; what it kept is read all the same
        try:
            history: History = yield Call(ops.list_messages(thread_id, limit_num=HISTORY_PAGE))
        except AlfaError:
            pass
        else:
            self.turn.keep_sources(history)
        return (yield from self._collect_artifacts(thread_id))

    def _collect_artifacts(self, thread_id: str) -> Generator[Effect, Any, AskResult]:
        ids = tuple(self.turn.artifact_ids)
        fetched: dict[str, Artifact | BaseException] = {}
        if ids:
            fetched = yield GetArtifacts(thread_id, ids, self.turn.message_id)
        artifacts = [a for a in fetched.values() if isinstance(a, Artifact)]
        errors = {i: e for i, e in fetched.items() if isinstance(e, BaseException)}
        return AskResult(self.turn, artifacts, errors)


def is_recoverable(error: BaseException) -> bool:
    """Errors a broken stream or a failed poll may raise that reconnecting can mend."""
    return isinstance(error, (APIConnectionError, InternalServerError, RateLimitError))
