"""Replaying a recorded turn: the procedure's calls answered from the record, its streams re-sent
as they were recorded (at once, or at the recorded pace); a record that does not decode is a
CassetteError naming its line and field."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from ..turn.steps import AskProcedure, Burst
from ..wire import errors
from ..wire.errors import APIStatusError, CassetteError
from ..wire.events import Event, MalformedEvent, StreamClosed, from_payload
from ..wire.operations import Operation
from .file import Entry
from .store import Cassette

if TYPE_CHECKING:
    from ..results.answer import Answer

T = TypeVar("T")


def outcome(op: Operation[T], recorded: dict[str, Any], where: str, field: str) -> T:
    """The recorded response, parsed as the live one was, or the recorded refusal raised; a
    response that does not parse is a :class:`CassetteError` naming ``where`` and ``field``."""
    if "error" in recorded:
        said = recorded["error"]
        kind = getattr(errors, str(said.get("type")), None)
        code = int(said["status_code"])  # a record is read only with one (file.py)
        if not (isinstance(kind, type) and issubclass(kind, APIStatusError)):
            kind = errors.status_error_class(code)
        request_id = said.get("request_id")  # absent from records made before request ids
        raise kind(
            str(said.get("message", "")),
            status_code=code,
            method=op.method,
            path=op.route,
            request_id=request_id if isinstance(request_id, str) else None,
        )
    try:
        return op.parse(recorded.get("response"))
    except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
        raise broken(where, field, f"not the response {op.method} {op.route} gives", exc) from None


def broken(where: str, field: str, what: str, exc: BaseException) -> CassetteError:
    return CassetteError(
        f"{where}: '{field}' is {what} ({type(exc).__name__}: {str(exc)[:80]}). Fix that line, or record the "
        "turn again (record_mode='all')."
    )


class _TurnReplay:
    def __init__(self, cassette: Cassette, record: dict[str, Any], procedure: AskProcedure, *, paced: bool) -> None:
        self._cassette = cassette
        self._record = record
        self._where = cassette.where(record)
        self._question = procedure.turn.question
        self._asked_in = procedure.turn.thread_id
        self._calls: list[dict[str, Any] | None] = list(record.get("calls") or ())
        self._streams: list[list[Entry]] = list(record.get("streams") or ())
        self._opened = 0
        self._began = time.monotonic() if paced else None
        self.damage: CassetteError | None = None  # a recorded event that did not decode

    def _respond(self, op: Operation[T]) -> T:
        if self.damage is not None:  # the runner took the broken stream for a lost one: say why
            raise self.damage
        label = f"{op.method} {op.path}"
        for i, call in enumerate(self._calls):
            if call is not None and call.get("call") == label:
                self._calls[i] = None
                return outcome(op, call, self._where, f"calls[{i}].response")
        if op.method == "DELETE":  # cancelling a replayed turn: nothing runs on any server
            return op.parse({"success": True})
        raise CassetteError(
            f"The recorded turn {self._question!r} in {self._cassette.path} made no {op.method} {op.route} "
            "call, which its replay needs: record it again (record_mode='all')."
        )

    def _next_stream(self) -> tuple[list[Entry], _TurnReplay, str]:
        """The next recorded stream, this replay (told of an event that is broken) and the
        stream's field, for a message about it."""
        if self.damage is not None:
            raise self.damage
        at, self._opened = self._opened, self._opened + 1
        return (self._streams[at] if at < len(self._streams) else []), self, f"streams[{at}]"

    def finish(self, answer: Answer) -> Answer:
        """The answer is the recorded one in every respect, its elapsed time too; a record whose
        status is not what its events end in was changed by hand, and is not replayed as it is."""
        recorded = self._record.get("status")
        if recorded != answer.status:
            raise CassetteError(
                f"{self._where}: 'status' says {recorded!r}, but the recorded events end {answer.status!r}. Fix "
                "that line, or record the turn again (record_mode='all')."
            )
        answer.elapsed = float(self._record["elapsed"])  # a turn is read only with it (file.py)
        if self._asked_in is None and answer.thread_id:
            self._cassette.thread_started(answer.thread_id)
        self._cassette.asked(answer.thread_id, self._question)
        return answer


class SyncTurnReplay(_TurnReplay):
    def request(self, op: Operation[T], *, deadline: float | None = None) -> T:
        return self._respond(op)

    def open_stream(self, thread_id: str, *, deadline: float | None = None) -> SyncReplayStream:
        return SyncReplayStream(*self._next_stream(), self._began)


class AsyncTurnReplay(_TurnReplay):
    async def request(self, op: Operation[T], *, deadline: float | None = None) -> T:
        return self._respond(op)

    async def open_stream(self, thread_id: str, *, deadline: float | None = None) -> AsyncReplayStream:
        return AsyncReplayStream(*self._next_stream(), self._began)


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

    def __init__(self, entries: list[Entry], replay: _TurnReplay, field: str, began: float | None) -> None:
        self._entries = entries
        self._replay, self._field = replay, field  # field: "streams[i]"
        self._at = 0
        self._began = began

    def _decoded(self, start: int, end: int) -> Iterator[Event | None]:
        """The entries from ``start`` to ``end`` as events, decoded as they are fed; one whose
        payload is not what its type carries is a CassetteError naming it."""
        entries = self._entries
        for at in range(start, end):
            entry = entries[at]
            try:
                yield _event(entry)
            except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
                where, field = self._replay._where, f"{self._field}[{at}][2]"
                self._replay.damage = broken(where, field, f"not a {entry[1]} event's payload", exc)
                raise self._replay.damage from None

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
                return 0.0, Burst(self._decoded(at, end))  # type: ignore[arg-type]
        self._at = at + 1
        wait = 0.0 if self._began is None else self._began + entries[at][0] - time.monotonic()
        return wait, next(self._decoded(at, at + 1))


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
