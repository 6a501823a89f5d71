"""A cassette in front of a client's transport: each request and each turn is replayed from its
record or asked live and recorded.

A turn is replayed by the same procedure and runner as a live one: the tape stands in for the
transport, answering the procedure's requests with the recorded responses and opening "streams"
that deliver the recorded events through the stream's own decoders. So a replayed turn feeds the
same :class:`~alfa_notebook.turn.machine.Turn`, gives the same Answer and renders the same. Instantly, the
recorded events of a stream come as one :class:`~alfa_notebook.turn.steps.Burst`; at the recorded pace,
one at a time at their recorded times.

What is recorded is what the service sent: response bodies and event payloads, never a request's
headers; a credential found anywhere in a record is redacted before it is written.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..turn.steps import AskProcedure, Burst
from ..wire import errors
from ..wire.errors import APIStatusError, CassetteError
from ..wire.events import Event, MalformedEvent, StreamClosed, from_payload, type_of
from ..wire.operations import Operation
from .store import Cassette, open_cassette

if TYPE_CHECKING:
    from ..results.answer import Answer
    from ..wire.settings import Settings
    from ..wire.transport import AsyncTransport, SyncTransport

T = TypeVar("T")
PACES = ("instant", "recorded")

Entry = list[Any]  # [seconds since the turn began, event type or None for a mark, payload or mark]


def binding(settings: Settings, replay_pace: str = "instant") -> Binding | None:
    """The cassette a client's settings name, with its mode; None when they name none."""
    if settings.cassette is None:
        return None
    if replay_pace not in PACES:
        raise errors.ConfigurationError(f"replay_pace must be 'instant' or 'recorded', not {replay_pace!r}.")
    cassette = open_cassette(settings.cassette)
    if settings.api_key is not None:
        cassette.never_write(settings.api_key.reveal())
    return Binding(cassette, settings.record_mode, replay_pace)


class Binding:
    """One client's use of a cassette: the file, the record mode, the pace of replays."""

    def __init__(self, cassette: Cassette, mode: str, pace: str) -> None:
        self.cassette = cassette
        self.mode = mode
        self.paced = pace == "recorded"

    def __repr__(self) -> str:
        return f"<cassette {self.cassette.path} record_mode={self.mode!r}>"

    def _turn(self, procedure: AskProcedure) -> tuple[dict[str, Any], dict[str, Any] | None, int]:
        turn = procedure.turn
        key: dict[str, Any] = {"question": turn.question}
        if procedure.source_overrides is not None:
            key["source_overrides"] = dict(procedure.source_overrides)
        key["thread"] = self.cassette.thread_key(turn.thread_id)
        if procedure.uploads:  # matched by content: the same name with other data is another question
            key["attach"] = [{"name": u.name, "sha256": u.digest} for u in procedure.uploads]
        record, n = self.cassette.lookup("turn", key, self.mode, turn.question)
        return key, record, n

    def sync_turn(self, procedure: AskProcedure, live: SyncTransport) -> SyncTurnReplay | SyncTurnRecording:
        """What the runner of this turn talks to instead of ``live``; raises CassetteMissError at once."""
        key, record, n = self._turn(procedure)
        if record is not None:
            return SyncTurnReplay(self, record, procedure)
        return SyncTurnRecording(self, key, n, procedure, live)

    def async_turn(self, procedure: AskProcedure, live: AsyncTransport) -> AsyncTurnReplay | AsyncTurnRecording:
        key, record, n = self._turn(procedure)
        if record is not None:
            return AsyncTurnReplay(self, record, procedure)
        return AsyncTurnRecording(self, key, n, procedure, live)

    def request(self, op: Operation[T]) -> RequestTape[T] | None:
        """The tape of one REST request outside a turn (thread management); None for a request that
        is never recorded (the token exchange, which carries a credential)."""
        if not op.authenticated:
            return None
        return RequestTape(self, op)


# -- requests outside a turn ------------------------------------------------------------------


def _request_key(op: Operation[Any]) -> dict[str, Any]:
    key: dict[str, Any] = {"call": f"{op.method} {op.path}"}
    if op.params:
        key["params"] = dict(op.params)
    if op.json is not None:
        key["json"] = op.json
    if op.data:
        key["data"] = dict(op.data)
    if op.files is not None:  # by name and, where the content is at hand, by content
        key["files"] = {field: _file_key(part) for field, part in op.files().items()}
    return key


def _file_key(part: Any) -> Any:
    name, content = part[0], part[1]
    if isinstance(content, bytes):
        return {"name": name, "sha256": hashlib.sha256(content).hexdigest()}
    return name  # an open file: reading it here would use it up


def _starts_thread(op: Operation[Any]) -> bool:
    return op.method == "POST" and op.route == "/threads"


class RequestTape(Generic[T]):
    """One request: replayed from its record, or sent (``live``) and recorded when it returns."""

    def __init__(self, binding: Binding, op: Operation[T]) -> None:
        self._cassette = binding.cassette
        self._op = op
        self._key = _request_key(op)
        self._record, self._n = self._cassette.lookup("request", self._key, binding.mode, self._key["call"])

    @property
    def replaying(self) -> bool:
        return self._record is not None

    def replay(self) -> T:
        assert self._record is not None
        return self._after(_outcome(self._op, self._record))

    @property
    def live(self) -> Operation[T]:
        """The request to send: the same, its response recorded once it has been read."""

        def parse(body: Any) -> T:
            value = self._op.parse(body)
            self._cassette.save("request", self._key, self._n, {"response": body})
            return self._after(value)

        return replace(self._op, parse=parse)

    def failed(self, error: BaseException) -> None:
        """The service refused the request: that is its answer, recorded as such."""
        if isinstance(error, APIStatusError):
            self._cassette.save("request", self._key, self._n, {"error": _describe(error)})

    def _after(self, value: T) -> T:
        if _starts_thread(self._op):
            self._cassette.thread_started(value.id)  # type: ignore[attr-defined]  # a Thread
        return value


def _describe(error: APIStatusError) -> dict[str, Any]:
    return {"type": type(error).__name__, "status_code": error.status_code, "message": error.message}


def _outcome(op: Operation[T], recorded: dict[str, Any]) -> T:
    """The recorded response, parsed as the live one was, or the recorded refusal raised."""
    if "error" in recorded:
        said = recorded["error"]
        kind = getattr(errors, str(said.get("type")), None)
        code = int(said.get("status_code") or 500)
        if not (isinstance(kind, type) and issubclass(kind, APIStatusError)):
            kind = errors.status_error_class(code)
        raise kind(str(said.get("message", "")), status_code=code, method=op.method, path=op.route)
    return op.parse(recorded.get("response"))


class CassetteTransport:
    """The blocking transport behind a cassette, for requests outside a turn."""

    def __init__(self, live: SyncTransport, binding: Binding) -> None:
        self.live = live
        self.binding = binding

    def request(self, op: Operation[T], *, deadline: float | None = None) -> T:
        tape = self.binding.request(op)
        if tape is None:
            return self.live.request(op, deadline=deadline)
        if tape.replaying:
            return tape.replay()
        try:
            return self.live.request(tape.live, deadline=deadline)
        except errors.AlfaError as exc:
            tape.failed(exc)
            raise

    def open_stream(self, thread_id: str, *, deadline: float | None = None) -> Any:
        return self.live.open_stream(thread_id, deadline=deadline)

    def close(self) -> None:
        self.live.close()


class AsyncCassetteTransport:
    """The awaitable transport behind a cassette, for requests outside a turn."""

    def __init__(self, live: AsyncTransport, binding: Binding) -> None:
        self.live = live
        self.binding = binding

    async def request(self, op: Operation[T], *, deadline: float | None = None) -> T:
        tape = self.binding.request(op)
        if tape is None:
            return await self.live.request(op, deadline=deadline)
        if tape.replaying:
            return tape.replay()
        try:
            return await self.live.request(tape.live, deadline=deadline)
        except errors.AlfaError as exc:
            tape.failed(exc)
            raise

    async def open_stream(self, thread_id: str, *, deadline: float | None = None) -> Any:
        return await self.live.open_stream(thread_id, deadline=deadline)

    async def aclose(self) -> None:
        await self.live.aclose()


# -- replaying a turn -------------------------------------------------------------------------


class _TurnReplay:
    def __init__(self, binding: Binding, record: dict[str, Any], procedure: AskProcedure) -> None:
        self._cassette = binding.cassette
        self._record = record
        self._question = procedure.turn.question
        self._asked_in = procedure.turn.thread_id
        self._calls: list[dict[str, Any] | None] = list(record.get("calls") or ())
        self._streams: list[list[Entry]] = list(record.get("streams") or ())
        self._began = time.monotonic() if binding.paced else None

    def _respond(self, op: Operation[T]) -> T:
        label = f"{op.method} {op.path}"
        for i, call in enumerate(self._calls):
            if call is not None and call.get("call") == label:
                self._calls[i] = None
                return _outcome(op, call)
        if op.method == "DELETE":  # cancelling a replayed turn: nothing runs on any server
            return op.parse({"success": True})
        raise CassetteError(
            f"The recorded turn {self._question!r} in {self._cassette.path} made no {op.method} {op.route} "
            "call, which its replay needs: record it again (record_mode='all')."
        )

    def _next_stream(self) -> list[Entry]:
        return self._streams.pop(0) if self._streams else []

    def finish(self, answer: Answer) -> Answer:
        """The answer is the recorded one in every respect, its elapsed time too."""
        answer.elapsed = float(self._record.get("elapsed") or 0.0)
        if self._asked_in is None and answer.thread_id:
            self._cassette.thread_started(answer.thread_id)
        self._cassette.asked(answer.thread_id, self._question)
        return answer


class SyncTurnReplay(_TurnReplay):
    def request(self, op: Operation[T], *, deadline: float | None = None) -> T:
        return self._respond(op)

    def open_stream(self, thread_id: str, *, deadline: float | None = None) -> SyncReplayStream:
        return SyncReplayStream(self._next_stream(), self._began)


class AsyncTurnReplay(_TurnReplay):
    async def request(self, op: Operation[T], *, deadline: float | None = None) -> T:
        return self._respond(op)

    async def open_stream(self, thread_id: str, *, deadline: float | None = None) -> AsyncReplayStream:
        return AsyncReplayStream(self._next_stream(), self._began)


def _event(entry: Entry) -> Event | None:
    """A recorded entry as the event it was; None for the end of the stream it recorded."""
    kind, payload = entry[1], entry[2]
    if kind is not None:
        return from_payload(kind, payload)
    if "malformed" in payload:
        return MalformedEvent(str(payload["malformed"]), str(payload.get("reason", "")))
    if payload.get("closed"):
        return StreamClosed()
    return None  # lost: the connection broke here


class _ReplayStream:
    """A recorded stream. Instantly: its events as one Burst, then how it ended. At the recorded
    pace (``began`` set): one event at a time, each when it arrived."""

    def __init__(self, entries: list[Entry], began: float | None) -> None:
        self._entries = entries
        self._at = 0
        self._began = began

    def _step(self) -> tuple[float, Any]:
        """``(seconds to wait, next item)``; the item None ends the stream."""
        entries, at = self._entries, self._at
        if at >= len(entries):
            return 0.0, None
        if self._began is None:
            end = len(entries)
            while end > at and entries[end - 1][1] is None and "malformed" not in entries[end - 1][2]:
                end -= 1  # the marks that end the stream (a close, a break) come after its events
            if end > at:
                self._at = end
                # Decoded as they are fed, one at a time: a list of them all costs ~1.5x in allocations.
                events = (from_payload(e[1], e[2]) if e[1] is not None else _event(e) for e in entries[at:end])
                return 0.0, Burst(events)  # type: ignore[arg-type]
        self._at = at + 1
        wait = 0.0 if self._began is None else self._began + entries[at][0] - time.monotonic()
        return wait, _event(entries[at])


class SyncReplayStream(_ReplayStream):
    def __iter__(self) -> SyncReplayStream:
        return self

    def __next__(self) -> Any:
        wait, item = self._step()
        if wait > 0:
            time.sleep(wait)
        if item is None:
            raise StopIteration
        return item

    def close(self) -> None:
        self._at = len(self._entries)


class AsyncReplayStream(_ReplayStream):
    def __aiter__(self) -> AsyncReplayStream:
        return self

    async def __anext__(self) -> Any:
        wait, item = self._step()
        if wait > 0:
            await asyncio.sleep(wait)
        if item is None:
            raise StopAsyncIteration
        return item

    async def aclose(self) -> None:
        self._at = len(self._entries)


# -- recording a turn -------------------------------------------------------------------------


def _entry(t: float, event: Event) -> Entry:
    if isinstance(event, MalformedEvent):
        return [t, None, {"malformed": event.data, "reason": event.reason}]
    if isinstance(event, StreamClosed):
        return [t, None, {"closed": True}]
    return [t, type_of(event), event.raw]


class _TurnRecording:
    def __init__(self, binding: Binding, key: dict[str, Any], n: int, procedure: AskProcedure) -> None:
        self._cassette = binding.cassette
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
            self._calls.append({"call": f"{op.method} {op.path}", "error": _describe(error)})

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
        )
        if self._asked_in is None and answer.thread_id:
            self._cassette.thread_started(answer.thread_id)
        self._cassette.asked(answer.thread_id, self._question)
        return answer


class SyncTurnRecording(_TurnRecording):
    def __init__(
        self, binding: Binding, key: dict[str, Any], n: int, procedure: AskProcedure, live: SyncTransport
    ) -> None:
        super().__init__(binding, key, n, procedure)
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
        self, binding: Binding, key: dict[str, Any], n: int, procedure: AskProcedure, live: AsyncTransport
    ) -> None:
        super().__init__(binding, key, n, procedure)
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
