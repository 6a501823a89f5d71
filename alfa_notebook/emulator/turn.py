"""One assistant turn streamed into a thread, as a task on the server's event loop.

A turn runs whether anyone listens or not. It updates the thread (progress, history) before
publishing the event that announces the change, so a client reacting to an event already finds
the state it implies: after ``execution_status`` ``Complete`` the history holds the answer and a
new message is accepted. Unless the controls ask for a real service's manners: with
``settle_ms`` the task reads ``Running`` (and the thread refuses messages as busy) that long after
its last event, and with ``history_lag_ms`` the history shows the answer that long after.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from . import events
from .controls import Controls
from .engine import Answer
from .store import JSON, Progress, StoredMessage, Thread, new_id, utc_now

CANCEL_SUFFIX = "\n\nUser cancelled message"
ERROR_LOG = "Emulated failure (error=1)"

_CHUNK = re.compile(r"\s*\S+\s*")
_YIELD_EVERY = 64
"""With no chunk delay, yield to the loop this often so cancels and listeners keep up."""
_LOG_PAUSE = 8
"""A work-in-progress log costs this many chunk delays: the assistant is "thinking"."""
_ERROR_AFTER = 5
"""Chunks streamed before ``error=1`` fails the turn."""


@dataclass(frozen=True)
class _Step:
    text: str
    is_log: bool


def _steps(answer: Answer) -> list[_Step]:
    """Word chunks with the logs slotted in where the text reaches each log's offset."""
    logs = deque(answer.logs)
    steps: list[_Step] = []
    offset = 0
    for chunk in _CHUNK.findall(answer.text):
        while logs and logs[0][0] <= offset:
            steps.append(_Step(logs.popleft()[1], is_log=True))
        steps.append(_Step(chunk, is_log=False))
        offset += len(chunk)
    steps.extend(_Step(log, is_log=True) for _, log in logs)
    return steps


def _spread(count: int, total: int) -> frozenset[int]:
    """``count`` event indices spread evenly over a turn of ``total`` events."""
    return frozenset((k + 1) * total // (count + 1) for k in range(min(count, total)))


class _CancelRequested(Exception):
    pass


class Turn:
    """``on_end`` is called once the turn has ended, however it ended (its owner's registry of
    running turns forgets it there)."""

    def __init__(
        self,
        thread: Thread,
        answer: Answer,
        *,
        publish: Callable[[bytes], None],
        chunk_delay: float,
        controls: Controls,
        on_end: Callable[[Turn], None] = lambda turn: None,
    ) -> None:
        self.task_id = new_id()
        self.message_id = new_id()
        self._thread = thread
        self._answer = answer
        self._publish = publish
        self._on_end = on_end
        self._chunk_delay = chunk_delay
        self._error = controls.error
        self._settle = controls.settle_ms / 1000
        self._history_lag = timedelta(milliseconds=controls.history_lag_ms)
        self._ending: tuple[str, str] | None = None  # the status and log the thread reads once settled
        self._steps = _steps(answer)
        total = len(self._steps) + 5  # + Running, final chunk, message, task and execution status
        self._malformed_at = _spread(controls.malformed, total)
        self._duplicate_at = _spread(controls.duplicate, total)
        self._emitted = 0
        self._cancel_requested = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"alfa-turn-{self.task_id}")

    async def cancel(self) -> None:
        """The user's cancel: the turn ends with the ``Cancelled`` sequence of docs/protocol.md."""
        self._cancel_requested.set()
        await self._wait()

    async def abort(self) -> None:
        """Stop without a word (the thread is gone, or the emulator is stopping)."""
        if self._task is not None:
            self._task.cancel()
        await self._wait()

    async def _wait(self) -> None:
        if self._task is not None:
            await asyncio.wait([self._task])  # not cancelled if the caller is

    async def _run(self) -> None:
        try:
            await self._stream()
            await self._settle_down()
        finally:
            self._on_end(self)

    async def _settle_down(self) -> None:
        """With ``settle_ms``: the thread reads the task running a while after its last event (a
        cancel cuts that short), then its end."""
        if self._ending is None:
            return
        if self._settle > 0:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._cancel_requested.wait(), self._settle)
        self._set_progress(*self._ending)

    async def _stream(self) -> None:
        self._set_progress("Running", "Started")
        self._emit(events.task_status("Running", "Started"))
        streamed: list[str] = []
        try:
            for index, step in enumerate(self._steps):
                await self._pause(index, step)
                if step.is_log:
                    self._set_progress("Running", step.text)
                    self._emit(events.work_in_progress(step.text))
                    continue
                streamed.append(step.text)
                self._emit(events.message_chunk(step.text, self.message_id, final=False))
                if self._error and len(streamed) >= _ERROR_AFTER:
                    self._end_progress("Error", ERROR_LOG)
                    self._emit(events.task_status("Error", ERROR_LOG))
                    self._emit(events.execution_status("Error"))
                    return
            answer = self._answer
            self._finish("".join(streamed), "", answer.status, answer.status_log, answer.citations)
        except _CancelRequested:
            partial = "".join(streamed)
            kept = [c for c in self._answer.citations if c["inline_offset"] <= len(partial)]
            self._finish(partial + CANCEL_SUFFIX, CANCEL_SUFFIX, "Cancelled", "User cancelled message", kept)

    async def _pause(self, index: int, step: _Step) -> None:
        delay = self._chunk_delay * (_LOG_PAUSE if step.is_log else 1)
        if delay > 0:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._cancel_requested.wait(), delay)
        elif index % _YIELD_EVERY == _YIELD_EVERY - 1:
            await asyncio.sleep(0)
        if self._cancel_requested.is_set():
            raise _CancelRequested

    def _finish(self, text: str, last_chunk: str, status: str, log: str, citations: Sequence[JSON]) -> None:
        message = StoredMessage(
            message_id=self.message_id,
            text=text,
            is_user=False,
            time=utc_now(),
            citations=list(citations),
            tools_called=dict(self._answer.tools_called),
        )
        if self._history_lag:
            message.shown_from = message.time + self._history_lag
        self._thread.append(message)
        self._end_progress(status, log)
        self._emit(events.message_chunk(last_chunk, self.message_id, final=True))
        self._emit(events.message(message.as_event()))
        self._emit(events.task_status(status, log))
        self._emit(events.execution_status(status))

    def _end_progress(self, status: str, log: str) -> None:
        """The task's end as the thread will read it: at once, or once settled (``settle_ms``)."""
        self._ending = (status, log)
        if not self._settle:
            self._set_progress(status, log)

    def _set_progress(self, status: str, log: str) -> None:
        self._thread.progress = Progress(task_id=self.task_id, status=status, log=log)

    def _emit(self, event: events.Event) -> None:
        index, self._emitted = self._emitted, self._emitted + 1
        if index in self._malformed_at:
            self._publish(events.malformed_frame(index))
        frame = events.frame(event)
        self._publish(frame)
        if index in self._duplicate_at:
            self._publish(frame)
