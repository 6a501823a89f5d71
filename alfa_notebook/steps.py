"""What ``ask()`` does, written once as a generator of effects; the clients only perform them.

The procedure yields an effect (open the stream, post the message, read an event, sleep, ...) and
receives its result. :class:`~alfa_notebook.AlfaClient` performs effects with blocking I/O and
:class:`~alfa_notebook.AsyncAlfaClient` with ``await``, so the two share every decision: when the
turn is over, when to reconnect, when to fall back to polling, what to reconcile.

Recoverable failures (a stream that drops or stalls, a progress call that fails) come back as
:class:`Lost` values; anything else raises out of the procedure.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from . import operations as ops
from .errors import APIConnectionError, APITimeoutError, InternalServerError, RateLimitError, StreamInterruptedError
from .events import Event, MessageChunk, StreamClosed
from .models import TERMINAL_STATUSES, Artifact, History, Progress, Thread
from .retry import backoff
from .turn import Turn

MAX_RECONNECTS = 3
POLL_INTERVAL = (1.0, 5.0)  # first and longest wait between progress polls
MAX_POLL_FAILURES = 5


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


def thread_name(question: str, limit: int = 60) -> str:
    """A new thread is named after its first question, on one line and cut at a word."""
    line = " ".join(question.split())
    if len(line) <= limit:
        return line or "Untitled"
    return line[:limit].rsplit(" ", 1)[0] + "…"


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
        name: str | None = None,
    ):
        self.turn = Turn(question, thread_id, clock=clock)
        self._name = name  # of the thread it starts; by default the question's
        self._clock = clock
        self._timeout = timeout
        self._deadline = None if timeout is None else clock() + timeout
        self._rng = rng or random.Random()
        self._failures = 0  # consecutive stream failures; an event received resets it

    def _check_deadline(self) -> None:
        if self._deadline is not None and self._clock() >= self._deadline:
            raise APITimeoutError(
                f"The answer did not finish within {self._timeout:g} s; the task was cancelled and the "
                "partial answer kept. Raise the timeout (ask(..., timeout=...) or --timeout) for long questions."
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
            thread: Thread = yield Call(ops.create_thread(thread_name(self._name or turn.question)))
            turn.thread_id = thread.id
        thread_id = turn.thread_id
        # Events are not replayed, so the stream is connected before the message is sent.
        yield OpenStream(thread_id)
        yield Call(ops.send_message(thread_id, turn.question))
        change: Publish | None = Publish(None)
        while not turn.done:
            self._check_deadline()
            event = yield NextEvent(change)
            change = None
            if isinstance(event, (Lost, StreamClosed)):
                yield CloseStream()
                yield from self._recover(thread_id, event)
            else:
                self._failures = 0
                if turn.feed(event) or (isinstance(event, MessageChunk) and event.final):
                    change = Publish(event)
        if change is not None:
            yield change
        yield CloseStream()
        return (yield from self._collect_artifacts(thread_id))

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
            opened = yield OpenStream(thread_id, recovering=True)
            if isinstance(opened, Lost):
                continue
            progress = yield Call(ops.progress(thread_id), recoverable=True)
            if isinstance(progress, Progress) and progress.status in TERMINAL_STATUSES:
                yield from self._reconcile(thread_id, progress.status)
            return
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
                        "The event stream broke and the service could not be reached to finish the turn. "
                        "The partial answer is kept; `client.threads.messages(thread_id)` fetches the rest later."
                    )
                    raise error from (progress.error or getattr(cause, "error", None))
            elif progress.status is None or progress.status in TERMINAL_STATUSES:
                yield from self._reconcile(thread_id, progress.status or "complete")
                return
            yield Sleep(self._until_deadline(wait))
            wait = min(wait * 1.5, POLL_INTERVAL[1])

    def _reconcile(self, thread_id: str, status: str) -> Generator[Effect, Any, None]:
        history: History = yield Call(ops.list_messages(thread_id, limit_num=10))
        self.turn.reconcile(history, status)
        yield Publish(None)

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
