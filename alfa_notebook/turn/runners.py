"""The two performers of an ask procedure: one with blocking I/O, one with ``await``.

:class:`~alfa_notebook.turn.steps.AskProcedure` decides everything about a turn and yields effects,
and :mod:`~alfa_notebook.turn.ending` decides how an ask ends; these runners only carry both out.
They are two hand-written copies of one loop, side by side in this module: a change to one is made
to the other, and ``tests/client/test_ending.py`` drives both through every ending.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Callable, Generator
from contextlib import closing
from types import TracebackType
from typing import Any, Protocol, TypeVar

from ..wire import operations as ops
from ..wire.errors import AlfaError
from ..wire.events import Event
from ..wire.models import Artifact
from ..wire.operations import Operation
from .ending import COMPLETE, STOP_AFTER_TIMEOUT, STOP_WITHIN, Ending, ending
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

__all__ = ["STOP_AFTER_TIMEOUT", "STOP_WITHIN", "AsyncCaller", "AsyncRunner", "Keep", "SyncCaller", "SyncRunner"]

logger = logging.getLogger("alfa_notebook")

T = TypeVar("T")
Events = Generator["Event | None", None, None]

Keep = Callable[[Ending, "AskResult | None", "BaseException | None"], None]
"""What the client does as an ask ends: ``keep(ending, result, error)``. ``result`` is None for the
turn as far as it got; an interrupted ask is kept twice, before its stop and with what the stop read."""


class SyncCaller(Protocol):
    """What a blocking runner performs effects with: the channel, or a cassette's stand-in."""

    def request(self, op: Operation[T], *, deadline: float | None = None) -> T: ...

    def open_stream(self, thread_id: str, *, deadline: float | None = None) -> Any: ...


class AsyncCaller(Protocol):
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

    def _ending(self, error: BaseException | None) -> Ending:
        return ending(self._procedure.turn, error, finished=self._result is not None)


class SyncRunner(_Runner):
    """Performs the effects of one ask procedure with blocking I/O; iterating yields each change."""

    def __init__(self, caller: SyncCaller, procedure: AskProcedure) -> None:
        super().__init__(procedure)
        self._t = caller
        self._stream: Any = None  # an event stream: next() gives its next event

    def following(self, keep: Keep) -> _Following:
        """``with runner.following(keep) as events: for event in events: ...``. However the block is
        left, the ask ends as :func:`~alfa_notebook.turn.ending.ending` says: the task is stopped on
        the server if it must be, ``keep`` is told, the stream and every generator driven are closed,
        and the exception that left the block goes on."""
        return _Following(self, keep)

    def __iter__(self) -> Events:
        outcome: Any = None
        failure: AlfaError | None = None
        with closing(self._procedure.run()) as steps:
            while True:
                try:
                    effect = steps.send(outcome) if failure is None else steps.throw(failure)
                except StopIteration as done:
                    self._result = done.value
                    return
                failure = None
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
                    try:
                        outcome = self._perform(effect, self._procedure.deadline)
                    except AlfaError as exc:  # the procedure settles it or lets it propagate
                        failure = exc

    def stop(self, within: float = STOP_WITHIN) -> AskResult:
        """After an interrupt or the timeout: the procedure's :meth:`~AskProcedure.stop`, within
        ``within`` seconds; a second Ctrl-C gives up at once."""
        self.close_stream()
        deadline = time.monotonic() + within
        outcome: Any = None
        failure: AlfaError | None = None
        with closing(self._procedure.stop()) as steps:
            try:
                while True:
                    try:
                        effect = steps.send(outcome) if failure is None else steps.throw(failure)
                    except StopIteration as done:
                        self._result = done.value
                        return self._result
                    failure, outcome = None, None
                    if isinstance(effect, Publish):
                        continue
                    try:
                        outcome = self._perform(effect, deadline)
                    except AlfaError as exc:
                        failure = exc
            except KeyboardInterrupt:
                logger.warning("Stopped before the task was cancelled on the service")
                return AskResult(self._procedure.turn, [], {})

    def _perform(self, effect: Effect, deadline: float | None) -> Any:
        t = self._t
        if isinstance(effect, OpenStream):
            try:
                self._stream = t.open_stream(effect.thread_id, deadline=deadline)
            except AlfaError as exc:
                if effect.recovering and is_recoverable(exc):
                    return Lost(exc)
                raise
            return None
        if isinstance(effect, Call):
            try:
                return t.request(effect.operation, deadline=deadline)
            except AlfaError as exc:
                if effect.recoverable and is_recoverable(exc):
                    return Lost(exc)
                raise
        if isinstance(effect, CloseStream):
            return self.close_stream()
        if isinstance(effect, GetArtifacts):
            return {i: self._artifact(effect, i, deadline) for i in effect.artifact_ids}
        if isinstance(effect, Sleep):
            return time.sleep(effect.seconds)
        raise TypeError(f"unknown effect {effect!r}")  # pragma: no cover

    def _artifact(self, effect: GetArtifacts, artifact_id: str, deadline: float | None) -> Artifact | BaseException:
        try:
            op = ops.get_artifact(effect.thread_id, artifact_id, message_id=effect.message_id)
            return self._t.request(op, deadline=deadline)
        except AlfaError as exc:
            return exc

    def close_stream(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None


class AsyncRunner(_Runner):
    """Performs the effects of one ask procedure with ``await``; iterating yields each change."""

    def __init__(self, caller: AsyncCaller, procedure: AskProcedure) -> None:
        super().__init__(procedure)
        self._t = caller
        self._stream: Any = None  # an async event stream

    def following(self, keep: Keep) -> _AsyncFollowing:
        """``async with runner.following(keep) as events: async for event in events: ...``; as
        :meth:`SyncRunner.following`. The stop is shielded: cancelled again, the task still stops."""
        return _AsyncFollowing(self, keep)

    async def __aiter__(self) -> AsyncGenerator[Event | None, None]:
        outcome: Any = None
        failure: AlfaError | None = None
        with closing(self._procedure.run()) as steps:
            while True:
                try:
                    effect = steps.send(outcome) if failure is None else steps.throw(failure)
                except StopIteration as done:
                    self._result = done.value
                    return
                failure = None
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
                    try:
                        outcome = await self._perform(effect, self._procedure.deadline)
                    except AlfaError as exc:  # the procedure settles it or lets it propagate
                        failure = exc

    async def stop(self, within: float = STOP_WITHIN) -> AskResult:
        """After a cancellation or the timeout: the procedure's :meth:`~AskProcedure.stop`, within
        ``within`` seconds."""
        await self.close_stream()
        deadline = time.monotonic() + within
        outcome: Any = None
        failure: AlfaError | None = None
        with closing(self._procedure.stop()) as steps:
            while True:
                try:
                    effect = steps.send(outcome) if failure is None else steps.throw(failure)
                except StopIteration as done:
                    self._result = done.value
                    return self._result
                failure, outcome = None, None
                if isinstance(effect, Publish):
                    continue
                try:
                    outcome = await self._perform(effect, deadline)
                except AlfaError as exc:
                    failure = exc

    async def _perform(self, effect: Effect, deadline: float | None) -> Any:
        t = self._t
        if isinstance(effect, OpenStream):
            try:
                self._stream = await t.open_stream(effect.thread_id, deadline=deadline)
            except AlfaError as exc:
                if effect.recovering and is_recoverable(exc):
                    return Lost(exc)
                raise
            return None
        if isinstance(effect, Call):
            try:
                return await t.request(effect.operation, deadline=deadline)
            except AlfaError as exc:
                if effect.recoverable and is_recoverable(exc):
                    return Lost(exc)
                raise
        if isinstance(effect, CloseStream):
            return await self.close_stream()
        if isinstance(effect, GetArtifacts):
            fetched = await asyncio.gather(*(self._artifact(effect, i, deadline) for i in effect.artifact_ids))
            return dict(zip(effect.artifact_ids, fetched))
        if isinstance(effect, Sleep):
            return await asyncio.sleep(effect.seconds)
        raise TypeError(f"unknown effect {effect!r}")  # pragma: no cover

    async def _artifact(
        self, effect: GetArtifacts, artifact_id: str, deadline: float | None
    ) -> Artifact | BaseException:
        try:
            op = ops.get_artifact(effect.thread_id, artifact_id, message_id=effect.message_id)
            return await self._t.request(op, deadline=deadline)
        except AlfaError as exc:
            return exc

    async def close_stream(self) -> None:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.aclose()


class _Following:
    """The block in which a blocking runner's events are followed: see :meth:`SyncRunner.following`."""

    def __init__(self, runner: SyncRunner, keep: Keep) -> None:
        self._runner, self._keep = runner, keep
        self._events: Events | None = None

    def __enter__(self) -> Events:
        self._events = iter(self._runner)
        return self._events

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        runner = self._runner
        if self._events is not None:
            self._events.close()
        how = runner._ending(error)
        if how.stop_within is None:
            runner.close_stream()
            self._keep(how, runner._result if how is COMPLETE else None, error)
            return
        self._keep(how, None, error)  # kept before the stop, which a second Ctrl-C may cut short
        self._keep(how, runner.stop(how.stop_within), error)


class _AsyncFollowing:
    """The same for an awaitable runner: see :meth:`AsyncRunner.following`."""

    def __init__(self, runner: AsyncRunner, keep: Keep) -> None:
        self._runner, self._keep = runner, keep
        self._events: AsyncGenerator[Event | None, None] | None = None

    async def __aenter__(self) -> AsyncGenerator[Event | None, None]:
        self._events = self._runner.__aiter__()
        return self._events

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        runner = self._runner
        if self._events is not None:
            await self._events.aclose()
        how = runner._ending(error)
        if how.stop_within is None:
            await runner.close_stream()
            self._keep(how, runner._result if how is COMPLETE else None, error)
            return
        self._keep(how, None, error)  # kept before the stop, which a second cancellation may cut short
        stopping = asyncio.ensure_future(runner.stop(how.stop_within))
        stopping.add_done_callback(_unawaited)
        self._keep(how, await asyncio.shield(stopping), error)


def _unawaited(stopping: asyncio.Future[Any]) -> None:
    """A stop that a second cancellation left running ends with nobody awaiting it (the caller may
    have closed its client meanwhile): its failure is read here, and logged at debug level, not
    printed by asyncio as a task exception never retrieved. (Awaited, it is raised as ever.)"""
    if not stopping.cancelled() and stopping.exception() is not None:
        logger.debug("stopping the task failed: %r", stopping.exception())
