"""Recording a turn as it happens: the procedure's calls and their answers, and each stream's
events with their times, written to the cassette once the turn has ended."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from ..turn.steps import AskProcedure
from ..wire import errors
from ..wire.errors import APIStatusError
from ..wire.events import Event, MalformedEvent, StreamClosed, type_of
from ..wire.operations import Operation
from .file import Entry
from .store import Cassette

if TYPE_CHECKING:
    from ..results.answer import Answer
    from ..wire.channel import AsyncChannel, SyncChannel

T = TypeVar("T")


def describe(error: APIStatusError) -> dict[str, Any]:
    said = {"type": type(error).__name__, "status_code": error.status_code, "message": error.message}
    return {**said, "request_id": error.request_id} if error.request_id else said


def _entry(t: float, event: Event) -> Entry:
    if isinstance(event, MalformedEvent):
        return [t, None, {"malformed": event.data, "reason": event.reason}]
    if isinstance(event, StreamClosed):
        return [t, None, {"closed": True}]
    return [t, type_of(event), event.raw]


class _TurnRecording:
    def __init__(
        self, cassette: Cassette, replaces: bool, key: dict[str, Any], n: int, procedure: AskProcedure
    ) -> None:
        self._cassette = cassette
        self._replaces = replaces  # record mode all: in place of the record with this key and occurrence
        self._key, self._n = key, n
        self._question = procedure.turn.question
        self._asked_in = procedure.turn.thread_id
        self._calls: list[dict[str, Any]] = []
        self._streams: list[list[Entry]] = []
        self._began = time.monotonic()

    def _now(self) -> float:
        return round(time.monotonic() - self._began, 4)

    def _capturing(self, op: Operation[T]) -> Operation[T]:
        label = f"{op.method} {op.path}"

        def parse(body: Any) -> T:
            value = op.parse(body)
            self._calls.append({"call": label, "response": body})
            return value

        return replace(op, parse=parse)

    def _failed(self, op: Operation[Any], error: BaseException) -> None:
        if isinstance(error, APIStatusError):
            self._calls.append({"call": f"{op.method} {op.path}", "error": describe(error)})

    def _stream(self) -> list[Entry]:
        entries: list[Entry] = []
        self._streams.append(entries)
        return entries

    def finish(self, answer: Answer) -> Answer:
        """Write the turn's record; the answer's elapsed time becomes the recorded one, so that the
        run that records a notebook shows what its replays will."""
        answer.elapsed = round(answer.elapsed, 3)
        self._cassette.save(
            "turn",
            self._key,
            self._n,
            {
                "thread_id": answer.thread_id,
                "message_id": answer.message_id,
                "status": answer.status,
                "elapsed": answer.elapsed,
                "calls": self._calls,
                "streams": self._streams,
            },
            replace=self._replaces,
        )
        if self._asked_in is None and answer.thread_id:
            self._cassette.thread_started(answer.thread_id)
        self._cassette.asked(answer.thread_id, self._question)
        return answer


class SyncTurnRecording(_TurnRecording):
    def __init__(
        self,
        cassette: Cassette,
        replaces: bool,
        key: dict[str, Any],
        n: int,
        procedure: AskProcedure,
        live: SyncChannel,
    ) -> None:
        super().__init__(cassette, replaces, key, n, procedure)
        self._live = live

    def request(self, op: Operation[T], *, deadline: float | None = None) -> T:
        try:
            return self._live.request(self._capturing(op), deadline=deadline)
        except errors.AlfaError as exc:
            self._failed(op, exc)
            raise

    def open_stream(self, thread_id: str, *, deadline: float | None = None) -> SyncRecordingStream:
        return SyncRecordingStream(self._live.open_stream(thread_id, deadline=deadline), self._stream(), self._now)


class AsyncTurnRecording(_TurnRecording):
    def __init__(
        self,
        cassette: Cassette,
        replaces: bool,
        key: dict[str, Any],
        n: int,
        procedure: AskProcedure,
        live: AsyncChannel,
    ) -> None:
        super().__init__(cassette, replaces, key, n, procedure)
        self._live = live

    async def request(self, op: Operation[T], *, deadline: float | None = None) -> T:
        try:
            return await self._live.request(self._capturing(op), deadline=deadline)
        except errors.AlfaError as exc:
            self._failed(op, exc)
            raise

    async def open_stream(self, thread_id: str, *, deadline: float | None = None) -> AsyncRecordingStream:
        stream = await self._live.open_stream(thread_id, deadline=deadline)
        return AsyncRecordingStream(stream, self._stream(), self._now)


class SyncRecordingStream:
    """A live stream whose events are written down, with their time, as they are read."""

    def __init__(self, live: Any, entries: list[Entry], now: Callable[[], float]) -> None:
        self._live, self._entries, self._now = live, entries, now

    def __iter__(self) -> SyncRecordingStream:
        return self

    def __next__(self) -> Event:
        try:
            event: Event = next(self._live)
        except (StopIteration, errors.AlfaError):
            self._entries.append([self._now(), None, {"lost": True}])
            raise
        self._entries.append(_entry(self._now(), event))
        return event

    def close(self) -> None:
        self._live.close()


class AsyncRecordingStream:
    def __init__(self, live: Any, entries: list[Entry], now: Callable[[], float]) -> None:
        self._live, self._entries, self._now = live, entries, now

    def __aiter__(self) -> AsyncRecordingStream:
        return self

    async def __anext__(self) -> Event:
        try:
            event: Event = await self._live.__anext__()
        except (StopAsyncIteration, errors.AlfaError):
            self._entries.append([self._now(), None, {"lost": True}])
            raise
        self._entries.append(_entry(self._now(), event))
        return event

    async def aclose(self) -> None:
        await self._live.aclose()
