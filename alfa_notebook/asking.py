"""One ask as a client follows it: what it keeps as it ends (:class:`Asking`, the same for ``ask()``
of both clients and ``ask_events()``), and the iterator ``ask_events()`` returns (:class:`AskEvents`)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Union

from ._public import publish
from .results.answer import Answer
from .turn.ending import COMPLETE, Ending
from .turn.runners import AsyncRunner
from .turn.steps import AskProcedure, AskResult
from .wire.errors import AlfaError
from .wire.events import Event

if TYPE_CHECKING:
    from .cassette.recording import AsyncTurnRecording, SyncTurnRecording
    from .cassette.replay import AsyncTurnReplay, SyncTurnReplay

Tape = Union["SyncTurnReplay", "SyncTurnRecording", "AsyncTurnReplay", "AsyncTurnRecording"]
"""What a cassette puts in front of the channel for one turn."""

__all__ = ["AskEvents"]


class Asking:
    """What one ask keeps as it ends (the ``keep`` of :meth:`~alfa_notebook.turn.runners.SyncRunner.following`),
    the same for ``ask()`` of both clients and ``ask_events()``: the answer becomes ``.answer`` and
    the client's ``last_answer``; an answer as far as it got is also on the exception that ended it
    (with its thread's id); a complete one is written to the cassette, and raises if the service
    ended the turn in failure."""

    def __init__(
        self,
        procedure: AskProcedure,
        tape: Tape | None,
        *,
        remember: Callable[[Answer], None],
        completed: Callable[[Answer], None],
    ) -> None:
        self._remember = remember  # the client's last_answer
        self._completed = completed  # the client's note of the files sent with a complete answer
        self.turn = procedure.turn
        self._tape = tape
        self.answer: Answer | None = None

    def keep(self, how: Ending, result: AskResult | None, error: BaseException | None) -> None:
        turn = self.turn
        answer = Answer.from_result(result) if result is not None else Answer.from_turn(turn)
        self.answer = answer
        self._remember(answer)
        if error is not None:
            error.answer = answer  # type: ignore[attr-defined]
            if isinstance(error, AlfaError) and error.thread_id is None:
                error.thread_id = turn.thread_id
        if how is COMPLETE:
            self._completed(answer)
            if self._tape is not None:
                self._tape.finish(answer)
            answer.raise_for_status()


class AskEvents:
    """One ask's events: ``async with client.ask_events(q) as events: async for event in events: ...``,
    then ``.answer``; ``.turn`` is the state as it arrives. Followed once.

    The iterator is an async generator that holds this object, and this object holds it only weakly:
    so a ``break`` out of a bare ``async for``, which drops the iterator, has asyncio close it (and
    so end the ask) at once, instead of whenever this object is collected."""

    def __init__(self, runner: AsyncRunner, asking: Asking) -> None:
        self._asking = asking
        self._runner = runner
        self.turn = asking.turn
        self._events: weakref.ref[AsyncGenerator[Event | None, None]] | None = None
        self._ended: asyncio.Event | None = None  # set once the ask has ended, however it ended

    @property
    def answer(self) -> Answer | None:
        """The answer once the ask ended: the whole one, or as far as it got."""
        return self._asking.answer

    def __aiter__(self) -> AsyncGenerator[Event | None, None]:
        if self._events is not None:
            raise RuntimeError("An ask's events can be followed once: call client.ask_events() again to ask again.")
        events = self._follow()
        self._events = weakref.ref(events)
        return events

    async def _follow(self) -> AsyncGenerator[Event | None, None]:
        self._ended = asyncio.Event()
        try:
            async with self._runner.following(self._asking.keep) as events:
                async for event in events:
                    yield event
        finally:
            self._ended.set()

    async def aclose(self) -> None:
        """End the ask now if it is still being followed (cancelled on the server, the partial
        answer kept), or wait until the ending that leaving the loop started is over."""
        events = None if self._events is None else self._events()
        if events is not None:
            await events.aclose()
        elif self._ended is not None:
            await self._ended.wait()

    async def __aenter__(self) -> AskEvents:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


publish(__name__)  # last: the public names above report alfa_notebook as their module
