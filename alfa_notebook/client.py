"""``AlfaClient`` and ``AsyncAlfaClient``: the same surface, blocking and awaitable.

Both only perform the effects of :class:`~alfa_notebook.steps.AskProcedure`; every decision about
the turn is made there, once.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

import httpx

from . import operations as ops
from .answer import Answer
from .errors import AlfaError, APITimeoutError
from .events import Event
from .models import Artifact, History, Progress, Thread
from .settings import Secret, resolve_settings
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
from .transport import (
    AsyncEventStream,
    AsyncTransport,
    SyncEventStream,
    SyncTransport,
    _parsed,
    connection_error,
    status_error,
)
from .turn import Turn

logger = logging.getLogger("alfa_notebook")

OnEvent = Callable[[Event | None, Turn], None]
"""Called as the turn changes: the event that changed it (None for a change of state), and the turn."""

_CANCEL_TIMEOUT = 5.0


def _remember_partial(turn: Turn, error: BaseException) -> Answer:
    answer = Answer.from_turn(turn)
    error.answer = answer  # type: ignore[attr-defined]
    return answer


class Threads:
    """Thread management: ``client.threads.list()``, ``.create(name)``, ..."""

    def __init__(self, transport: SyncTransport) -> None:
        self._t = transport

    def list(self) -> list[Thread]:
        return self._t.request(ops.list_threads())

    def create(self, name: str) -> Thread:
        return self._t.request(ops.create_thread(name))

    def rename(self, thread_id: str, name: str) -> bool:
        return self._t.request(ops.rename_thread(thread_id, name))

    def delete(self, thread_id: str) -> bool:
        return self._t.request(ops.delete_thread(thread_id))

    def messages(
        self,
        thread_id: str,
        start_index: int = 0,
        limit_num: int | None = None,
        *,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
    ) -> History:
        return self._t.request(
            ops.list_messages(thread_id, start_index=start_index, limit_num=limit_num, start=start, end=end)
        )

    def progress(self, thread_id: str) -> Progress:
        return self._t.request(ops.progress(thread_id))

    def cancel(self, thread_id: str) -> bool:
        return self._t.request(ops.cancel(thread_id))

    def upload(self, thread_id: str, file: ops.FileInput, filename: str | None = None) -> str:
        """Attach a file (a path, bytes or a binary file object) to the thread; returns its id."""
        return self._t.request(ops.upload(thread_id, file, filename))

    def artifact(self, thread_id: str, artifact_id: str) -> Artifact:
        return self._t.request(ops.get_artifact(thread_id, artifact_id))


class AsyncThreads:
    """Thread management, awaitable."""

    def __init__(self, transport: AsyncTransport) -> None:
        self._t = transport

    async def list(self) -> list[Thread]:
        return await self._t.request(ops.list_threads())

    async def create(self, name: str) -> Thread:
        return await self._t.request(ops.create_thread(name))

    async def rename(self, thread_id: str, name: str) -> bool:
        return await self._t.request(ops.rename_thread(thread_id, name))

    async def delete(self, thread_id: str) -> bool:
        return await self._t.request(ops.delete_thread(thread_id))

    async def messages(
        self,
        thread_id: str,
        start_index: int = 0,
        limit_num: int | None = None,
        *,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
    ) -> History:
        return await self._t.request(
            ops.list_messages(thread_id, start_index=start_index, limit_num=limit_num, start=start, end=end)
        )

    async def progress(self, thread_id: str) -> Progress:
        return await self._t.request(ops.progress(thread_id))

    async def cancel(self, thread_id: str) -> bool:
        return await self._t.request(ops.cancel(thread_id))

    async def upload(self, thread_id: str, file: ops.FileInput, filename: str | None = None) -> str:
        return await self._t.request(ops.upload(thread_id, file, filename))

    async def artifact(self, thread_id: str, artifact_id: str) -> Artifact:
        return await self._t.request(ops.get_artifact(thread_id, artifact_id))


class _ClientBase:
    """Settings come from the arguments, then the environment (``ALFA_API_KEY``, ``ALFA_BASE_URL``,
    ``ALFA_API_VERSION``, ``ALFA_ACCESS_TOKEN`` for v2), then defaults."""

    _last_answer: Answer | None = None

    def __init__(
        self,
        api_key: str | Secret | None = None,
        *,
        base_url: str | None = None,
        api_version: str | None = None,
        timeout: float | None = None,
        stream_read_timeout: float | None = None,
        max_retries: int | None = None,
        transport: Any = None,
        headers: Mapping[str, str] | None = None,
        configured: Mapping[str, Any] | None = None,
        allow_insecure: bool = False,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = resolve_settings(
            api_key=api_key,
            base_url=base_url,
            api_version=api_version,
            timeout=timeout,
            stream_read_timeout=stream_read_timeout,
            max_retries=max_retries,
            configured=configured,
            allow_insecure=allow_insecure,
        )
        self._transport = self._transport_class(self.settings, transport=transport, headers=headers, rng=rng)
        self.threads = self._threads_class(self._transport)

    @property
    def last_answer(self) -> Answer | None:
        """The last answer of this client, also a partial one after an interrupt or an error."""
        return self._last_answer

    def _procedure(self, question: str, thread: str | None, timeout: float | None) -> AskProcedure:
        if not isinstance(question, str) or not question.strip():
            raise ValueError("The question is empty: ask Alfa something.")
        return AskProcedure(question, thread, clock=time.monotonic, timeout=timeout)

    def __repr__(self) -> str:
        key = "set" if self.settings.has_key else "missing"
        return f"<{type(self).__name__} {self.settings.api_version} {self.settings.base_url} key={key}>"


class AlfaClient(_ClientBase):
    """Talks to Alfa with blocking calls. ``ask()`` streams one answer; ``threads`` manages threads."""

    _transport_class = SyncTransport
    _threads_class = Threads
    _transport: SyncTransport
    threads: Threads

    def stream(self, thread_id: str) -> SyncEventStream:
        """The thread's raw event feed: ``with client.stream(id) as events: for e in events: ...``."""
        return self._transport.open_stream(thread_id)

    def ask(
        self,
        question: str,
        *,
        thread: str | None = None,
        timeout: float | None = None,
        on_event: OnEvent | None = None,
    ) -> Answer:
        """Ask Alfa and wait for the whole answer, following it live through ``on_event``.

        With no ``thread``, a new thread named after the question is started. Ctrl-C cancels the
        task on the server and re-raises, with the partial answer in ``exc.answer`` and
        :attr:`last_answer`.
        """
        procedure = self._procedure(question, thread, timeout)
        runner = _SyncRunner(self._transport, procedure)
        try:
            for event in runner:
                if on_event is not None:
                    on_event(event, procedure.turn)
        except KeyboardInterrupt as exc:
            runner.cancel_task()
            procedure.turn.interrupt()
            self._last_answer = _remember_partial(procedure.turn, exc)
            raise
        except AlfaError as exc:
            if isinstance(exc, APITimeoutError):  # out of time: stop the task, as for Ctrl-C
                runner.cancel_task()
                procedure.turn.interrupt()
            self._last_answer = _remember_partial(procedure.turn, exc)
            raise
        finally:
            runner.close_stream()
        self._last_answer = Answer.from_result(runner.result)
        return self._last_answer

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> AlfaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _SyncRunner:
    """Performs the effects of one ask procedure with blocking I/O; iterating yields each change."""

    def __init__(self, transport: SyncTransport, procedure: AskProcedure) -> None:
        self._t = transport
        self._procedure = procedure
        self._stream: SyncEventStream | None = None
        self.result: AskResult | None = None

    def __iter__(self) -> Iterator[Event | None]:
        steps = self._procedure.run()
        outcome: Any = None
        while True:
            try:
                effect = steps.send(outcome)
            except StopIteration as done:
                self.result = done.value
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


class AsyncAlfaClient(_ClientBase):
    """The same surface as :class:`AlfaClient`, awaitable. Artifacts are fetched concurrently."""

    _transport_class = AsyncTransport
    _threads_class = AsyncThreads
    _transport: AsyncTransport
    threads: AsyncThreads

    async def stream(self, thread_id: str) -> AsyncEventStream:
        """``async with await client.stream(id) as events: async for e in events: ...``."""
        return await self._transport.open_stream(thread_id)

    async def ask(
        self,
        question: str,
        *,
        thread: str | None = None,
        timeout: float | None = None,
        on_event: OnEvent | None = None,
    ) -> Answer:
        """Ask Alfa and await the whole answer. Cancelling the task cancels it on the server too,
        and the partial answer is kept in :attr:`last_answer`."""
        procedure = self._procedure(question, thread, timeout)
        runner = _AsyncRunner(self._transport, procedure)
        try:
            async for event in runner:
                if on_event is not None:
                    on_event(event, procedure.turn)
        except asyncio.CancelledError as exc:
            procedure.turn.interrupt()
            self._last_answer = _remember_partial(procedure.turn, exc)
            await asyncio.shield(runner.cancel_task())
            raise
        except AlfaError as exc:
            if isinstance(exc, APITimeoutError):  # out of time: stop the task, as for cancellation
                await runner.cancel_task()
                procedure.turn.interrupt()
            self._last_answer = _remember_partial(procedure.turn, exc)
            raise
        finally:
            await runner.close_stream()
        self._last_answer = Answer.from_result(runner.result)
        return self._last_answer

    def ask_events(self, question: str, *, thread: str | None = None, timeout: float | None = None) -> AskEvents:
        """Follow an answer as an async iterator of events; the Answer is ``.answer`` afterwards."""
        return AskEvents(self, self._procedure(question, thread, timeout))

    async def aclose(self) -> None:
        await self._transport.aclose()

    close = aclose

    async def __aenter__(self) -> AsyncAlfaClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class AskEvents:
    """``async for event in client.ask_events(q): ...`` then ``.answer``; ``.turn`` is the state."""

    def __init__(self, client: AsyncAlfaClient, procedure: AskProcedure) -> None:
        self._client = client
        self._runner = _AsyncRunner(client._transport, procedure)
        self.turn = procedure.turn
        self.answer: Answer | None = None

    async def __aiter__(self) -> AsyncIterator[Event | None]:
        try:
            async for event in self._runner:
                yield event
        except asyncio.CancelledError as exc:
            self.turn.interrupt()
            self._client._last_answer = _remember_partial(self.turn, exc)
            await asyncio.shield(self._runner.cancel_task())
            raise
        finally:
            await self._runner.close_stream()
        self.answer = self._client._last_answer = Answer.from_result(self._runner.result)


class _AsyncRunner:
    """Performs the effects of one ask procedure with ``await``; iterating yields each change."""

    def __init__(self, transport: AsyncTransport, procedure: AskProcedure) -> None:
        self._t = transport
        self._procedure = procedure
        self._stream: AsyncEventStream | None = None
        self.result: AskResult | None = None

    async def __aiter__(self) -> AsyncIterator[Event | None]:
        steps = self._procedure.run()
        outcome: Any = None
        while True:
            try:
                effect = steps.send(outcome)
            except StopIteration as done:
                self.result = done.value
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


def exchange_token(
    subject_token: str,
    *,
    client_id: str,
    client_secret: str,
    base_url: str = "https://sandbox.api.boosted.ai",
    scope: str | None = "thread",
    timeout: float = 30.0,
) -> Secret:
    """OAuth 2.0 token exchange (RFC 8693) for the v2 API: a partner JWT in, an access token out."""
    data = {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "subject_token": subject_token,
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "client_id": client_id,
        "client_secret": client_secret,
    }
    if scope:
        data["scope"] = scope
    settings = resolve_settings(base_url=base_url, api_version="v2", env={})
    op = ops.Operation("POST", "/oauth2/token", "/oauth2/token", _access_token, data=data, idempotent=False)
    with httpx.Client(base_url=settings.base_url, timeout=timeout) as http:
        try:
            response = http.post(op.path, data=data)
        except httpx.RequestError as exc:
            raise connection_error(exc, op) from exc
    if response.status_code >= 400:
        raise status_error(response, op)
    return _parsed(op, response)


def _access_token(body: Any) -> Secret:
    token = body["access_token"]
    if not isinstance(token, str) or not token.strip():
        raise ValueError("no access_token in the response")
    return Secret(token)
