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
import re
import time
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from ..wire import operations as ops
from ..wire.errors import (
    AlfaError,
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    InternalServerError,
    RateLimitError,
    StreamInterruptedError,
    ThreadBusyError,
    with_request_id,
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
SETTLE_POLL = (0.1, 1.0)
"""First and longest wait between progress polls while a thread settles (its task ended, but the
service still reads it running for a moment) and between history reads while it lags."""
SETTLE_WITHIN = 30.0
"""Seconds a question waits at most for a busy thread to settle (never past the ask's deadline):
a settling task ends in a moment; one still running after this is another task, worth saying so."""
RECONNECT_SETTLE = 1.5
"""Seconds a reattached stream's thread may still read running although its task has ended (and
sent its last events while the stream was down): progress is polled this long before reading on."""
HISTORY_LAG = 10.0
"""Seconds a finished turn's answer may take to appear in the history (never past the ask's
deadline): a history without it is read again, never taken as the whole answer."""
_BUSY_DETAIL = re.compile(r"(?i)\b(task|run)\b.*\b(running|active|in progress)\b|\balready running\b")
"""How a service says, in a 4xx other than 409, that the thread's task is still running
("Can't add messages to thread ... while a run ... is active")."""


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
    artifacts: list[Artifact] = field(default_factory=list)
    artifact_errors: dict[str, BaseException] = field(default_factory=dict)


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
        self._asked_at = wall()
        self._failures = 0  # consecutive stream failures; an event received resets it
        self.created_thread = False
        """Whether this ask created its thread (and so may delete it if the question never got there)."""
        self.posted: bool | None = False
        """Whether the question reached the service: None while a POST's outcome is unknown."""
        self._settle_by: float | None = None  # when waiting for a busy thread to settle must end
        self._settle_began = 0.0  # when it began, on ``clock``'s scale (set with _settle_by)
        self._settle_wait = SETTLE_POLL[0]  # the next wait between polls of a settling thread
        self._creating: str | None = None
        """The name of the thread whose creation is under way (the ask may be stopped meanwhile)."""

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
        it to the channel, so its retries and waits stop there too."""
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
                yield from self._recover(thread_id)
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

    def _recover(self, thread_id: str) -> Generator[Effect, Any, None]:
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
            # The task may have ended while the stream was down, its last events gone with it, and
            # still read running for a moment: wait that moment out (the stream keeps what comes).
            progress = yield from self._settled(thread_id, self._wait_bound(RECONNECT_SETTLE))
            if progress is not None and progress.status in TERMINAL_STATUSES:
                yield from self._reconcile(thread_id, progress.status)
            return
        self.turn.reconnecting, self.turn.polling = 0, True
        yield from self._poll_until_done(thread_id)

    def _poll_until_done(self, thread_id: str) -> Generator[Effect, Any, None]:
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
                    raise error from progress.error  # a failed call's Lost always carries its error
            elif progress.status is None or progress.status in TERMINAL_STATUSES:
                yield from self._reconcile(thread_id, progress.status or "complete")
                return
            yield Sleep(self._until_deadline(wait))
            wait = min(wait * 1.5, POLL_INTERVAL[1])

    def _reconcile(self, thread_id: str, status: str) -> Generator[Effect, Any, None]:
        """End the turn from the service's record. A completed task's answer may reach the history
        a moment after the task ends: a history without it is read again, with backoff, within the
        deadline, and never taken for the whole answer before then."""
        until = self._wait_bound(HISTORY_LAG)
        wait = SETTLE_POLL[0]
        while True:
            history: History = yield Call(ops.list_messages(thread_id, limit_num=HISTORY_PAGE))
            left = until - self._clock()
            if status != "complete" or self.turn.replied_in(history) or left <= 0:
                break
            yield Sleep(min(wait, left))
            wait = min(wait * 1.5, SETTLE_POLL[1])
        self.turn.reconcile(history, status)
        yield Publish(None)

    # -- posting: a POST whose outcome is unknown is settled from the service's record -----------

    def _create_thread(self) -> Generator[Effect, Any, str]:
        name = thread_name(self._name or self.turn.question)
        self._creating = name
        resends = 0
        while True:
            try:
                thread: Thread = yield Call(ops.create_thread(name))
                self._creating = None
                return thread.id
            except APIError as error:
                if not self._may_settle(error, resends):
                    raise error
                resends += 1
                try:
                    found = yield from self._new_empty_thread(name)
                except AlfaError:
                    raise error from None  # the record could not be read: the outcome stays unknown
                if found is not None:  # the service made it before the connection broke
                    return found

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
        resends = 0
        while True:
            self.posted = None  # until the POST's answer comes: the ask may be stopped meanwhile
            try:
                yield Call(ops.send_message(thread_id, self.turn.question, source_overrides=self.source_overrides))
                self.posted = True
                return
            except APIError as error:
                if is_busy(error):  # refused, so not processed: posting again once it settles asks once
                    self.posted = False
                    yield from self._settle(thread_id, error)
                    continue
                if error.processed is not None:
                    self.posted = False
                    raise error
                if not self._may_settle(error, resends):
                    raise error
                resends += 1
                try:
                    history: History = yield Call(ops.list_messages(thread_id, limit_num=HISTORY_PAGE))
                except AlfaError:
                    raise error from None  # the record could not be read: the outcome stays unknown
                if self._question_in(history):  # it got there: carry on with it
                    self.posted = True
                    return
                # the service has no record of it: sending again asks it once

    # -- settling: a real service may read a task running for a moment after its last event ------

    def _wait_bound(self, window: float) -> float:
        """When a wait of at most ``window`` seconds from now must end: the deadline, if sooner."""
        until = self._clock() + window
        return until if self._deadline is None else min(until, self._deadline)

    def _settle(self, thread_id: str, busy: APIStatusError) -> Generator[Effect, Any, None]:
        """The thread refused the question as busy: poll its progress, with backoff, until its task
        has ended, within the ask's deadline. A task still running then is a :class:`ThreadBusyError`."""
        if self._settle_by is None:  # one budget for the whole ask, however often it meets "busy"
            self._settle_by = self._wait_bound(SETTLE_WITHIN)
            self._settle_began = self._clock()
        progress = yield from self._settled(thread_id, self._settle_by, first_wait=True)
        if progress is None or progress.is_running:
            raise self._thread_busy(thread_id, busy, progress)

    def _settled(
        self, thread_id: str, until: float, *, first_wait: bool = False
    ) -> Generator[Effect, Any, Progress | None]:
        """Poll the thread's progress with backoff until its task is over or ``until`` passes;
        returns the last progress read. With ``first_wait`` (a busy thread), it waits before the
        first poll and polls on through failed reads; otherwise a failed read ends it (None)."""
        progress: Progress | None = None
        wait = SETTLE_POLL[0]
        if first_wait:
            wait = self._settle_wait  # a thread met busy again: the waits go on growing, no faster polls
        else:
            progress = yield from self._read_progress(thread_id)
            if progress is None:
                return None
        while progress is None or progress.is_running:
            left = until - self._clock()
            if left <= 0:
                break
            yield Sleep(min(wait, left))
            wait = min(wait * 1.5, SETTLE_POLL[1])
            progress = (yield from self._read_progress(thread_id)) or progress
        if first_wait:
            self._settle_wait = wait
        return progress

    def _read_progress(self, thread_id: str) -> Generator[Effect, Any, Progress | None]:
        progress = yield Call(ops.progress(thread_id), recoverable=True)
        return progress if isinstance(progress, Progress) else None

    def _thread_busy(self, thread_id: str, busy: APIStatusError, progress: Progress | None) -> ThreadBusyError:
        task_id = progress.task_id if progress is not None else None
        task = f"task {task_id}" if task_id else "a task"
        waited = self._clock() - self._settle_began
        detail = (
            f"thread {thread_id} is busy with {task}, still running after {waited:.0f} s; the question was not sent"
        )
        advice = f"Wait for it, or stop it with client.threads.cancel({thread_id!r}), then ask again."
        error = ThreadBusyError(
            with_request_id(f"{busy.method} {busy.path} -> {busy.status_code}: {detail}. {advice}", busy.request_id),
            status_code=busy.status_code,
            body=busy.body,
            method=busy.method,
            path=busy.path,
            request_id=busy.request_id,
            processed=False,
            detail=detail,
            advice=advice,
        )
        error.task_id = task_id
        error.thread_id = thread_id
        return error

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

    def _settle_posted(self, thread_id: str) -> Generator[Effect, Any, None]:
        """Whether a question whose POST was cut short got there, read from the record: if not, its
        new thread is empty and is deleted, not left behind (nor a cancel sent ahead of the POST)."""
        try:
            history: History = yield Call(ops.list_messages(thread_id, limit_num=HISTORY_PAGE))
        except AlfaError:
            return
        self.posted = self._question_in(history)

    def _discard_made_thread(self, name: str) -> Generator[Effect, Any, None]:
        """Delete the thread a create request whose answer never came made, if it made one."""
        try:
            made = yield from self._new_empty_thread(name)
        except AlfaError:
            return
        if made is not None:
            yield from self._discard_thread(made)

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
        if thread_id is None and self._creating is not None:  # stopped while its thread was being made
            yield from self._discard_made_thread(self._creating)
            return AskResult(self.turn)
        if thread_id is not None and self.created_thread and self.posted is None:  # stopped while posting
            yield from self._settle_posted(thread_id)
        if thread_id is not None and self.created_thread and self.posted is False:
            yield from self._discard_thread(thread_id)
            return AskResult(self.turn)
        if thread_id is None or self.posted is False:  # no task of this ask's to stop or read
            return AskResult(self.turn)
        try:
            yield Call(ops.cancel(thread_id))
        except AlfaError:
            pass  # it may have ended already; what it kept is read all the same
        # How the task ended: cancelled, or finished before the cancel came (then the answer is the
        # service's, as it would have been read). Not after the timeout: its error reports that.
        ended: str | None = None
        if self._deadline is None or self._clock() < self._deadline:
            try:
                progress: Progress = yield Call(ops.progress(thread_id))
                ended = progress.status
            except AlfaError:
                pass
        try:
            history: History = yield Call(ops.list_messages(thread_id, limit_num=HISTORY_PAGE))
        except AlfaError:
            pass
        else:
            self.turn.settle_stopped(history, ended)
        return (yield from self._collect_artifacts(thread_id))

    def _collect_artifacts(self, thread_id: str) -> Generator[Effect, Any, AskResult]:
        ids = tuple(self.turn.artifact_ids)
        fetched: dict[str, Artifact | BaseException] = {}
        if ids:
            fetched = yield GetArtifacts(thread_id, ids, self.turn.message_id)
        artifacts = [a for a in fetched.values() if isinstance(a, Artifact)]
        errors = {i: e for i, e in fetched.items() if isinstance(e, BaseException)}
        return AskResult(self.turn, artifacts, errors)


def is_busy(error: BaseException) -> TypeGuard[APIStatusError]:
    """Whether the service refused a question because the thread's task still runs: a 409, or
    another 4xx that says so. Either way the question was not processed."""
    if not isinstance(error, APIStatusError):
        return False
    if error.status_code == 409:
        return True
    text = error.detail or error.message  # a replayed refusal keeps only its message
    return 400 <= error.status_code < 500 and error.status_code != 429 and bool(_BUSY_DETAIL.search(text))


def is_recoverable(error: BaseException) -> bool:
    """Errors a broken stream or a failed poll may raise that reconnecting can mend."""
    return isinstance(error, (APIConnectionError, InternalServerError, RateLimitError))
