"""The two performers of an ask procedure: one with blocking I/O, one with ``await``.

:class:`~alfa_notebook.steps.AskProcedure` decides everything about a turn and yields effects;
these runners only carry them out, so the sync and async clients cannot drift apart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, Protocol, TypeVar

from . import operations as ops
from .errors import AlfaError
from .events import Event
from .models import Artifact
from .operations import Operation
from .steps import (
    AskProcedure,
    AskResult,
    Call,
    CloseStream,
    Effect,
    GetArtifacts,
    Lost,
    NextEvent,
    OpenStream,
    Publish,
    Sleep,
    is_recoverable,
)

logger = logging.getLogger("alfa_notebook")

_CANCEL_TIMEOUT = 5.0
T = TypeVar("T")


class SyncIO(Protocol):
    """What a blocking runner performs effects with: the transport, or a cassette's stand-in."""

    def request(self, op: Operation[T], *, deadline: float | None = None) -> T: ...

    def open_stream(self, thread_id: str, *, deadline: float | None = None) -> Any: ...


class AsyncIO(Protocol):
    """What an awaitable runner performs effects with."""

    async def request(self, op: Operation[T], *, deadline: float | None = None) -> T: ...

    async def open_stream(self, thread_id: str, *, deadline: float | None = None) -> Any: ...


class _Runner:
    """What both runners hold: the procedure they perform and, once it is done, its result."""

    def __init__(self, procedure: AskProcedure) -> None:
        self._procedure = procedure
        self._result: AskResult | None = None

    @property
    def result(self) -> AskResult:
        """The procedure's result; only there once iterating the runner has finished."""
        if self._result is None:
            raise RuntimeError("the ask procedure has not finished")
        return self._result


class SyncRunner(_Runner):
    """Performs the effects of one ask procedure with blocking I/O; iterating yields each change."""

    def __init__(self, transport: SyncIO, procedure: AskProcedure) -> None:
        super().__init__(procedure)
        self._t = transport
        self._stream: Any = None  # an event stream: next() gives its next event

    def __iter__(self) -> Iterator[Event | None]:
        steps = self._procedure.run()
        outcome: Any = None
        while True:
            try:
                effect = steps.send(outcome)
            except StopIteration as done:
                self._result = done.value
                return
            if isinstance(effect, NextEvent):  # the hot path: one per event, read here without a call
                if effect.after is not None:
                    yield effect.after.event
                assert self._stream is not None
                try:
                    outcome = next(self._stream)
                except StopIteration:
                    outcome = Lost(None)
                except AlfaError as exc:
                    outcome = Lost(exc)
            elif isinstance(effect, Publish):
                outcome = None
                yield effect.event
            else:
                outcome = self._perform(effect)

    def _perform(self, effect: Effect) -> Any:
        t = self._t
        if isinstance(effect, OpenStream):
            try:
                self._stream = t.open_stream(effect.thread_id, deadline=self._procedure.deadline)
            except AlfaError as exc:
                if effect.recovering and is_recoverable(exc):
                    return Lost(exc)
                raise
            return None
        if isinstance(effect, Call):
            try:
                return t.request(effect.operation, deadline=self._procedure.deadline)
            except AlfaError as exc:
                if effect.recoverable and is_recoverable(exc):
                    return Lost(exc)
                raise
        if isinstance(effect, CloseStream):
            return self.close_stream()
        if isinstance(effect, GetArtifacts):
            return {i: self._artifact(effect, i) for i in effect.artifact_ids}
        if isinstance(effect, Sleep):
            return time.sleep(effect.seconds)
        raise TypeError(f"unknown effect {effect!r}")  # pragma: no cover

    def _artifact(self, effect: GetArtifacts, artifact_id: str) -> Artifact | BaseException:
        try:
            return self._t.request(ops.get_artifact(effect.thread_id, artifact_id, message_id=effect.message_id))
        except AlfaError as exc:
            return exc

    def close_stream(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def cancel_task(self) -> None:
        """Best effort: stop the task on the server so it does not run on unseen."""
        self.close_stream()
        thread_id = self._procedure.turn.thread_id
        if thread_id is None:
            return
        try:
            self._t.request(ops.cancel(thread_id))
        except (AlfaError, KeyboardInterrupt) as exc:
            logger.warning("Could not cancel the task on the server: %s", type(exc).__name__)


class AsyncRunner(_Runner):
    """Performs the effects of one ask procedure with ``await``; iterating yields each change."""

    def __init__(self, transport: AsyncIO, procedure: AskProcedure) -> None:
        super().__init__(procedure)
        self._t = transport
        self._stream: Any = None  # an async event stream

    async def __aiter__(self) -> AsyncIterator[Event | None]:
        steps = self._procedure.run()
        outcome: Any = None
        while True:
            try:
                effect = steps.send(outcome)
            except StopIteration as done:
                self._result = done.value
                return
            if isinstance(effect, NextEvent):  # the hot path: one per event, read here without a call
                if effect.after is not None:
                    yield effect.after.event
                assert self._stream is not None
                try:
                    outcome = await self._stream.__anext__()
                except StopAsyncIteration:
                    outcome = Lost(None)
                except AlfaError as exc:
                    outcome = Lost(exc)
            elif isinstance(effect, Publish):
                outcome = None
                yield effect.event
            else:
                outcome = await self._perform(effect)

    async def _perform(self, effect: Effect) -> Any:
        t = self._t
        if isinstance(effect, OpenStream):
            try:
                self._stream = await t.open_stream(effect.thread_id, deadline=self._procedure.deadline)
            except AlfaError as exc:
                if effect.recovering and is_recoverable(exc):
                    return Lost(exc)
                raise
            return None
        if isinstance(effect, Call):
            try:
                return await t.request(effect.operation, deadline=self._procedure.deadline)
            except AlfaError as exc:
                if effect.recoverable and is_recoverable(exc):
                    return Lost(exc)
                raise
        if isinstance(effect, CloseStream):
            return await self.close_stream()
        if isinstance(effect, GetArtifacts):
            fetched = await asyncio.gather(*(self._artifact(effect, i) for i in effect.artifact_ids))
            return dict(zip(effect.artifact_ids, fetched))
        if isinstance(effect, Sleep):
            return await asyncio.sleep(effect.seconds)
        raise TypeError(f"unknown effect {effect!r}")  # pragma: no cover

    async def _artifact(self, effect: GetArtifacts, artifact_id: str) -> Artifact | BaseException:
        try:
            return await self._t.request(ops.get_artifact(effect.thread_id, artifact_id, message_id=effect.message_id))
        except AlfaError as exc:
            return exc

    async def close_stream(self) -> None:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.aclose()

    async def cancel_task(self) -> None:
        await self.close_stream()
        thread_id = self._procedure.turn.thread_id
        if thread_id is None:
            return
        try:
            await asyncio.wait_for(self._t.request(ops.cancel(thread_id)), _CANCEL_TIMEOUT)
        except (AlfaError, asyncio.TimeoutError) as exc:
            logger.warning("Could not cancel the task on the server: %s", type(exc).__name__)
