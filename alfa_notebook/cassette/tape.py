"""A cassette in front of a client's channel: each request and each turn is replayed from its
record or asked live and recorded.

A turn is replayed by the same procedure and runner as a live one: the tape stands in for the
channel, answering the procedure's requests with the recorded responses and opening "streams"
that deliver the recorded events through the stream's own decoders. So a replayed turn feeds the
same :class:`~alfa_notebook.turn.machine.Turn`, gives the same Answer and renders the same. Instantly, the
recorded events of a stream come as one :class:`~alfa_notebook.turn.steps.Burst`; at the recorded pace,
one at a time at their recorded times.

What is recorded is what the service sent: response bodies and event payloads, never a request's
headers; a credential found anywhere in a record is redacted before it is written.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..turn.steps import AskProcedure
from ..wire import caller, errors
from ..wire.errors import APIStatusError, CassetteError
from ..wire.operations import Operation
from .recording import AsyncTurnRecording, SyncTurnRecording, describe
from .replay import AsyncTurnReplay, SyncTurnReplay, outcome
from .store import Cassette, Uses, counting_apart, open_cassette

if TYPE_CHECKING:
    from ..wire.channel import AsyncChannel, SyncChannel
    from ..wire.settings import Settings

T = TypeVar("T")
PACES = ("instant", "recorded")


_warned_mode_alone = False


def binding(settings: Settings, replay_pace: str) -> Binding | None:
    """The cassette a client's settings name, with its mode; None when they name none (with a
    warning, once a process, when ``ALFA_RECORD_MODE`` is set with no cassette to apply it to)."""
    global _warned_mode_alone
    if settings.cassette is None:
        if os.environ.get("ALFA_RECORD_MODE", "").strip() and not _warned_mode_alone:
            _warned_mode_alone = True
            caller.warn(
                "ALFA_RECORD_MODE is set but no cassette is: every question goes to the service. Set "
                "ALFA_CASSETTE (or %alfa cassette PATH) to record and replay, or unset ALFA_RECORD_MODE."
            )
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
        record, n = self.cassette.lookup("turn", key, self.mode, repr(turn.question))
        return key, record, n

    @property
    def replaces(self) -> bool:
        """Whether a new record takes the place of the one with its key and occurrence (``all``)."""
        return self.mode == "all"

    def batch(self, questions: list[str], sources: Mapping[str, Any] | str | None, attached: list[str]) -> BatchTape:
        """The tape of one ``ask_many``: its items counted apart, its time recorded. ``attached``:
        the digests of the files sent with every item."""
        return BatchTape(self, [questions, sources, attached])

    def sync_turn(self, procedure: AskProcedure, live: SyncChannel) -> SyncTurnReplay | SyncTurnRecording:
        """What the runner of this turn talks to instead of ``live``; raises CassetteMissError at once."""
        key, record, n = self._turn(procedure)
        if record is not None:
            return SyncTurnReplay(self.cassette, record, procedure, paced=self.paced)
        return SyncTurnRecording(self.cassette, self.replaces, key, n, procedure, live)

    def async_turn(self, procedure: AskProcedure, live: AsyncChannel) -> AsyncTurnReplay | AsyncTurnRecording:
        key, record, n = self._turn(procedure)
        if record is not None:
            return AsyncTurnReplay(self.cassette, record, procedure, paced=self.paced)
        return AsyncTurnRecording(self.cassette, self.replaces, key, n, procedure, live)

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
        self._replaces = binding.replaces
        self._record, self._n = self._cassette.lookup("request", self._key, binding.mode, _request_label(self._key))

    @property
    def replaying(self) -> bool:
        return self._record is not None

    def replay(self) -> T:
        assert self._record is not None
        return self._after(outcome(self._op, self._record, self._cassette.where(self._record), "response"))

    @property
    def live(self) -> Operation[T]:
        """The request to send: the same, its response recorded once it has been read."""

        def parse(body: Any) -> T:
            value = self._op.parse(body)
            self._cassette.save("request", self._key, self._n, {"response": body}, replace=self._replaces)
            return self._after(value)

        return replace(self._op, parse=parse)

    def failed(self, error: BaseException) -> None:
        """The service refused the request: that is its answer, recorded as such."""
        if isinstance(error, APIStatusError):
            self._cassette.save("request", self._key, self._n, {"error": describe(error)}, replace=self._replaces)

    def _after(self, value: T) -> T:
        if _starts_thread(self._op):
            self._cassette.thread_started(value.id)  # type: ignore[attr-defined]  # a Thread
        return value


def _request_label(key: dict[str, Any]) -> str:
    """What a request was for, in a miss: its call and, for a new thread, the thread's name (the
    question it was created for, as the notebook names them)."""
    name = key["json"].get("thread_name") if isinstance(key.get("json"), dict) else None
    if key["call"] == "POST /threads" and name:
        return f"A new thread for {name!r} (POST /threads)"
    return repr(key["call"])


class CassetteChannel:
    """The blocking channel behind a cassette, for requests outside a turn."""

    def __init__(self, live: SyncChannel, binding: Binding) -> None:
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


class AsyncCassetteChannel:
    """The awaitable channel behind a cassette, for requests outside a turn."""

    def __init__(self, live: AsyncChannel, binding: Binding) -> None:
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


# -- replaying a turn -------------------------------------------------------------------------


# -- recording a turn -------------------------------------------------------------------------


# -- a batch ----------------------------------------------------------------------------------


class BatchTape:
    """One ``ask_many`` through a cassette.

    Its items' occurrences are counted apart from the rest of the process, as a new process
    would count them: running a batch again in the same kernel (after a Ctrl-C, say) replays the
    items that were answered and asks only the rest, as a new process does. Its time is
    recorded: a batch whose every item was replayed shows the recorded time, so its output is the
    recording's, byte for byte.
    """

    def __init__(self, binding: Binding, asked: list[Any]) -> None:
        self._binding = binding
        self._uses = Uses()
        said = json.dumps(asked, ensure_ascii=False, sort_keys=True, default=str)
        digest = hashlib.sha256(said.encode("utf-8", "surrogatepass")).hexdigest()
        self._key = {"items": len(asked[0]), "sha256": digest[:32]}

    def asking(self, ask: Callable[[], Awaitable[T]]) -> Awaitable[T]:
        """``ask()`` with its cassette uses counted in this batch (one item; its own task)."""

        async def counted() -> T:
            with counting_apart(self._uses):
                return await ask()

        return counted()

    def elapsed(self, measured: float, interrupted: bool) -> float:
        """The batch's time: the recorded one when every item was replayed; else ``measured``,
        recorded (to the millisecond) when the batch ran to its end."""
        cassette = self._binding.cassette
        try:
            if not self._uses.asked:
                record = cassette.find("batch", self._key)
                return float(record["elapsed"]) if record is not None else measured
            if interrupted:
                return measured
            elapsed = round(measured, 3)
            cassette.save("batch", self._key, 1, {"elapsed": elapsed}, replace=True)
            return elapsed
        except CassetteError as exc:  # the batch's answers matter more than its time: never lose them
            caller.warn(f"The batch's time was not recorded: {exc}")
            return measured
