"""``AlfaClient`` and ``AsyncAlfaClient``: the same surface, blocking and awaitable.

Both only perform the effects of :class:`~alfa_notebook.turn.steps.AskProcedure`; every decision about
the turn is made there, once.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import AsyncIterator, Callable, Hashable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._public import publish
from .attachments import Attach, uploads
from .many import DEFAULT_CONCURRENCY, BatchRun, View, ask_each, check_concurrency, follow, items_of, run_blocking
from .results.answer import Answer
from .results.batch import Batch
from .results.conversation import answer_of, exchanges
from .turn.machine import Turn, thread_name
from .turn.runners import STOP_AFTER_TIMEOUT, AsyncIO, AsyncRunner, SyncIO, SyncRunner
from .turn.steps import AskProcedure, AskResult
from .wire import operations as ops
from .wire.credentials import exchange_token
from .wire.errors import AlfaError, APITimeoutError, ConfigurationError
from .wire.events import Event
from .wire.limiter import Limiter
from .wire.markers import artifact_ids
from .wire.models import Artifact, History, Message, Progress, Thread
from .wire.operations import Upload
from .wire.settings import Secret, resolve_settings
from .wire.source_overrides import source_overrides
from .wire.transport import AsyncEventStream, AsyncTransport, SyncEventStream, SyncTransport, shown_url

if TYPE_CHECKING:
    from .cassette import Binding

__all__ = ["AlfaClient", "AskEvents", "AsyncAlfaClient", "AsyncThreads", "Threads", "exchange_token", "thread_name"]

OnEvent = Callable[[Event | None, Turn], None]
"""Called as the turn changes: the event that changed it (None for a change of state), and the turn."""


def _remember_partial(turn: Turn, error: BaseException, result: AskResult | None = None) -> Answer:
    """The answer as far as it got, attached to the error that ended it with its thread's id."""
    answer = Answer.from_result(result) if result is not None else Answer.from_turn(turn)
    error.answer = answer  # type: ignore[attr-defined]
    if isinstance(error, AlfaError) and error.thread_id is None:
        error.thread_id = turn.thread_id
    return answer


class Threads:
    """Thread management: ``client.threads.list()``, ``.create(name)``, ..."""

    def __init__(self, transport: SyncIO) -> None:
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

    def __init__(self, transport: AsyncIO) -> None:
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
    ``ALFA_API_VERSION``, ``ALFA_ACCESS_TOKEN`` for v2, ``ALFA_CASSETTE``, ``ALFA_RECORD_MODE``),
    then defaults.

    With a ``cassette`` (a file, docs/cassettes.md), every turn and request is replayed from it or
    asked and recorded, as ``record_mode`` says: ``once`` (the default), ``new_episodes``, ``none``
    or ``all``. ``replay_pace="recorded"`` replays answers at the pace they arrived.
    """

    _transport: SyncTransport | AsyncTransport
    _last_answer: Answer | None = None
    _last_batch: Batch | None = None
    _cassette: Binding | None = None

    def __init__(
        self,
        api_key: str | Secret | None = None,
        *,
        base_url: str | None = None,
        api_version: str | None = None,
        timeout: float | None = None,
        stream_read_timeout: float | None = None,
        max_retries: int | None = None,
        sources: Mapping[str, Any] | str | None = None,
        transport: Any = None,
        headers: Mapping[str, str] | None = None,
        configured: Mapping[str, Any] | None = None,
        allow_insecure: bool = False,
        rng: random.Random | None = None,
        rate_limit: str | Mapping[str, float] | None = None,
        limiter: Limiter | None = None,
        cassette: str | os.PathLike[str] | None = None,
        record_mode: str | None = None,
        replay_pace: str = "instant",
        max_attachment_bytes: int | None = None,
    ) -> None:
        """``rate_limit`` is the pace kept to (default the service's documented limits; see
        :mod:`alfa_notebook.wire.limiter`); ``limiter`` shares one limiter between clients of one account."""
        self.settings = resolve_settings(
            api_key=api_key,
            base_url=base_url,
            api_version=api_version,
            timeout=timeout,
            stream_read_timeout=stream_read_timeout,
            max_retries=max_retries,
            sources=sources,
            configured=configured,
            allow_insecure=allow_insecure,
            rate_limit=rate_limit,
            cassette=cassette,
            record_mode=record_mode,
            max_attachment_bytes=max_attachment_bytes,
        )
        from .cassette import binding

        self._cassette = binding(self.settings, replay_pace)
        self._headers = headers
        self._custom_transport = transport
        self._attached: dict[str, list[str]] = {}  # message id -> the files sent before its question
        self._connect(transport, headers, rng, limiter)

    def _connect(
        self, transport: Any, headers: Mapping[str, str] | None, rng: random.Random | None, limiter: Limiter | None
    ) -> None:
        raise NotImplementedError

    @property
    def limiter(self) -> Limiter:
        """The pace this client keeps, shared by every ask and batch of it."""
        return self._transport.limiter

    @property
    def last_batch(self) -> Batch | None:
        """The last batch of ``ask_many``, also one an interrupt stopped."""
        return self._last_batch

    @property
    def last_answer(self) -> Answer | None:
        """The last answer of this client, also a partial one after an interrupt or an error."""
        return self._last_answer

    def _procedure(
        self,
        question: str,
        thread: str | None,
        timeout: float | None,
        sources: Mapping[str, Any] | str | None = None,
        name: str | None = None,
        attach: Attach = None,
    ) -> AskProcedure:
        if not isinstance(question, str) or not question.strip():
            raise ConfigurationError("The question is empty: ask Alfa something.")
        overrides = {**(self.settings.sources or {}), **(source_overrides(sources) or {})}
        return AskProcedure(
            question,
            thread,
            clock=time.monotonic,
            timeout=timeout,
            source_overrides=overrides or None,
            name=name,
            uploads=self._uploads(attach),
        )

    def _uploads(self, attach: Attach) -> list[Upload]:
        """``attach=`` read and checked, before anything is sent."""
        return uploads(attach, limit=self.settings.max_attachment_bytes)

    def _note_attachments(self, answer: Answer) -> None:
        """Remember which files went with which answer: the service's history does not say, and
        :meth:`history` (so an export) names them."""
        if answer.attachments and answer.message_id:
            self._attached[answer.message_id] = list(answer.attachments)

    def _answers(
        self, thread_id: str, record: History, last: int | None
    ) -> tuple[list[tuple[str, Message]], list[str]]:
        """The (question, reply) pairs of ``record`` to rebuild, the last ``last`` exchanges only,
        and the artifacts their text names, to fetch."""
        if last is not None and (isinstance(last, bool) or not isinstance(last, int) or last < 1):
            raise ConfigurationError(f"last must be a whole number above 0, or None for all, not {last!r}.")
        pairs = exchanges(record.messages)
        chosen = [(question.text, reply) for question, replies in pairs[-last if last else 0 :] for reply in replies]
        return chosen, [i for _, reply in chosen for i in artifact_ids(reply.text)]

    def __repr__(self) -> str:
        key = "set" if self.settings.has_key else "missing"
        return f"<{type(self).__name__} {self.settings.api_version} {shown_url(self.settings.base_url)} key={key}>"


class AlfaClient(_ClientBase):
    """Talks to Alfa with blocking calls. ``ask()`` streams one answer; ``threads`` manages threads."""

    _transport: SyncTransport
    threads: Threads

    def _connect(
        self, transport: Any, headers: Mapping[str, str] | None, rng: random.Random | None, limiter: Limiter | None
    ) -> None:
        self._transport = SyncTransport(self.settings, transport=transport, headers=headers, rng=rng, limiter=limiter)
        if self._cassette is None:
            self.threads = Threads(self._transport)
        else:
            from .cassette import CassetteTransport

            self.threads = Threads(CassetteTransport(self._transport, self._cassette))

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
        sources: Mapping[str, Any] | str | None = None,
        name: str | None = None,
        attach: Attach = None,
    ) -> Answer:
        """Ask Alfa and wait for the whole answer, following it live through ``on_event``.

        With no ``thread``, a new thread named ``name`` (default: after the question) is started.
        Ctrl-C, or an exception from ``on_event``, cancels the task on the server and re-raises,
        with the partial answer in ``exc.answer`` and :attr:`last_answer`. ``sources`` turns data sources on or off for this answer, over the
        client's default: ``{"web_search": "off", "filings": "all_sources"}`` (see
        ``alfa_notebook.wire.source_overrides``; the names and values are in docs/protocol.md, Source overrides).
        ``attach`` sends files to the thread before the question, for Alfa to read: DataFrames (as CSV),
        figures (as PNG), bytes, paths; ``[("holdings.csv", df), "report.pdf"]`` names them. They
        are all read and checked before anything is sent (an :class:`AttachmentError` if one cannot be).
        """
        procedure = self._procedure(question, thread, timeout, sources, name, attach)
        tape = None if self._cassette is None else self._cassette.sync_turn(procedure, self._transport)
        runner = SyncRunner(tape or self._transport, procedure)
        try:
            for event in runner:
                if on_event is not None:
                    on_event(event, procedure.turn)
        except KeyboardInterrupt as exc:
            procedure.turn.interrupt()
            self._last_answer = _remember_partial(procedure.turn, exc, runner.stop())
            raise
        except AlfaError as exc:
            result = None
            if isinstance(exc, APITimeoutError) and not procedure.turn.done:  # out of time: as for Ctrl-C
                procedure.turn.interrupt()
                result = runner.stop(STOP_AFTER_TIMEOUT)
            self._last_answer = _remember_partial(procedure.turn, exc, result)
            raise
        except Exception as exc:  # on_event raised: as for Ctrl-C, the task must not run on unseen
            procedure.turn.interrupt()
            self._last_answer = _remember_partial(procedure.turn, exc, runner.stop())
            raise
        finally:
            runner.close_stream()
        self._last_answer = Answer.from_result(runner.result)
        self._note_attachments(self._last_answer)
        if tape is not None:
            tape.finish(self._last_answer)
        return self._last_answer.raise_for_status()

    def ask_many(
        self,
        questions: Iterable[str],
        *,
        keys: Iterable[Hashable] | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        timeout: float | None = None,
        sources: Mapping[str, Any] | str | None = None,
        progress: bool = True,
        attach: Attach = None,
    ) -> Batch:
        """Ask every question, each in its own new thread named after its key, at most
        ``concurrency`` at once, at the pace of this client's limiter; returns a :class:`Batch`.

        ``questions``: any iterable of strings (a list, a pandas Series or Index); ``keys`` label
        them (default: a Series' index, else the questions). ``timeout`` and ``sources`` apply to
        each item, as :meth:`ask` takes them. A
        failed item is an answer with status ``"error"`` and its exception in ``.error``; it never
        stops the others. Ctrl-C cancels every running item on the server and returns the batch
        with what was answered (also :attr:`last_batch`). ``progress`` shows a live view.

        The items run as asyncio tasks on a private event loop in a helper thread (the procedure
        the async client awaits), which this call waits for: one implementation of concurrency and
        cancellation for both clients, and no OS thread per item.
        """
        listed, labels = items_of(questions, keys)
        check_concurrency(concurrency)
        shared = self._uploads(attach)  # read once, sent to every item's thread
        batch_transport = self._batch_transport()
        run = BatchRun(listed, labels, rerun=self._rerun(concurrency, timeout, sources, progress, shared))
        view = _progress_view(progress, len(listed))

        async def main() -> None:
            async with AsyncAlfaClient._sibling(self, batch_transport) as client:
                await ask_each(client._item(timeout, sources, shared), run, concurrency)

        run.interrupted = run_blocking(main, lambda: view.update(run.tally), interval=0.1)
        self._last_batch = batch = run.finish(view)
        return batch

    def _batch_transport(self) -> Any:
        """The transport the batch's async connection uses: the client's own ``transport=``, which
        must then also be an ``httpx.AsyncBaseTransport`` (``httpx.MockTransport`` is both)."""
        import httpx

        given = self._custom_transport
        if given is None or isinstance(given, httpx.AsyncBaseTransport):
            return given
        raise ConfigurationError(
            f"ask_many runs its asks on an async connection, and this client's transport= "
            f"({type(given).__name__}) is blocking only: pass one that is also an httpx.AsyncBaseTransport, "
            "or use AsyncAlfaClient(transport=...).ask_many()."
        )

    def _rerun(
        self,
        concurrency: int,
        timeout: float | None,
        sources: Mapping[str, Any] | str | None,
        progress: bool,
        attach: list[Upload],
    ) -> Callable[[list[str], list[Any]], Batch]:
        return lambda questions, keys: self.ask_many(
            questions,
            keys=keys,
            concurrency=concurrency,
            timeout=timeout,
            sources=sources,
            progress=progress,
            attach=attach,
        )

    def history(self, thread_id: str, *, last: int | None = None) -> list[Answer]:
        """The thread read back from the service as answers, in order: each reply to each question,
        its artifacts fetched (one that cannot be is left out, with a warning) and the files this
        client attached to its question named. ``last``: only the last N exchanges."""
        chosen, wanted = self._answers(thread_id, self.threads.messages(thread_id), last)
        artifacts = {i: self._artifact_or_none(thread_id, i) for i in dict.fromkeys(wanted)}
        return [answer_of(thread_id, q, reply, artifacts, self._attached.get(reply.id, ())) for q, reply in chosen]

    def _artifact_or_none(self, thread_id: str, artifact_id: str) -> Artifact | None:
        try:
            return self.threads.artifact(thread_id, artifact_id)
        except AlfaError:
            return None

    def export(self, thread_id: str, path: str | os.PathLike[str]) -> Path:
        """Write the thread as a document, in the format of ``path``'s extension: ``.md``
        (Markdown), ``.html`` (one self-contained, sanitised page) or ``.ipynb`` (a notebook of
        ``%%alfa`` cells with their outputs, which :func:`load_answers` reads back). Questions and
        answers in order, tables as tables, sources numbered with their links; nothing secret."""
        from .render.export import export_format, write

        export_format(path)  # refused before anything is read
        return write(self.history(thread_id), path, thread_id=thread_id)

    def close(self) -> None:
        """Close the connections; ``with AlfaClient() as client:`` does it on leaving."""
        self._transport.close()

    def __enter__(self) -> AlfaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncAlfaClient(_ClientBase):
    """The same surface as :class:`AlfaClient`, awaitable. Artifacts are fetched concurrently."""

    _transport: AsyncTransport
    threads: AsyncThreads

    def _connect(
        self, transport: Any, headers: Mapping[str, str] | None, rng: random.Random | None, limiter: Limiter | None
    ) -> None:
        self._transport = AsyncTransport(self.settings, transport=transport, headers=headers, rng=rng, limiter=limiter)
        if self._cassette is None:
            self.threads = AsyncThreads(self._transport)
        else:
            from .cassette import AsyncCassetteTransport

            self.threads = AsyncThreads(AsyncCassetteTransport(self._transport, self._cassette))

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
        sources: Mapping[str, Any] | str | None = None,
        name: str | None = None,
        attach: Attach = None,
    ) -> Answer:
        """Ask Alfa and await the whole answer. Cancelling the task (or an exception from
        ``on_event``) cancels it on the server too, and the partial answer is kept in
        :attr:`last_answer`. ``sources`` as for AlfaClient.ask."""
        procedure = self._procedure(question, thread, timeout, sources, name, attach)
        tape = None if self._cassette is None else self._cassette.async_turn(procedure, self._transport)
        runner = AsyncRunner(tape or self._transport, procedure)
        try:
            async for event in runner:
                if on_event is not None:
                    on_event(event, procedure.turn)
        except asyncio.CancelledError as exc:
            procedure.turn.interrupt()
            self._last_answer = _remember_partial(procedure.turn, exc)
            stopping = asyncio.ensure_future(runner.stop())
            self._last_answer = _remember_partial(procedure.turn, exc, await asyncio.shield(stopping))
            raise
        except AlfaError as exc:
            result = None
            if isinstance(exc, APITimeoutError) and not procedure.turn.done:  # out of time: as for cancellation
                procedure.turn.interrupt()
                result = await runner.stop(STOP_AFTER_TIMEOUT)
            self._last_answer = _remember_partial(procedure.turn, exc, result)
            raise
        except Exception as exc:  # on_event raised: as for cancellation, the task must not run on unseen
            procedure.turn.interrupt()
            self._last_answer = _remember_partial(procedure.turn, exc, await runner.stop())
            raise
        finally:
            await runner.close_stream()
        self._last_answer = Answer.from_result(runner.result)
        self._note_attachments(self._last_answer)
        if tape is not None:
            tape.finish(self._last_answer)
        return self._last_answer.raise_for_status()

    async def ask_many(
        self,
        questions: Iterable[str],
        *,
        keys: Iterable[Hashable] | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        timeout: float | None = None,
        sources: Mapping[str, Any] | str | None = None,
        progress: bool = True,
        attach: Attach = None,
    ) -> Batch:
        """:meth:`AlfaClient.ask_many`, awaitable. Cancelling the task cancels every running item on
        the server and re-raises; the batch of what was answered is :attr:`last_batch` (and, from
        Python 3.11, the ``CancelledError``'s ``.batch``: 3.10 hands the awaiting code a new one)."""
        listed, labels = items_of(questions, keys)
        check_concurrency(concurrency)
        shared = self._uploads(attach)  # read once, sent to every item's thread

        def rerun(questions: list[str], keys: list[Any]) -> Any:
            return self.ask_many(
                questions,
                keys=keys,
                concurrency=concurrency,
                timeout=timeout,
                sources=sources,
                progress=progress,
                attach=shared,
            )

        run = BatchRun(listed, labels, rerun=rerun)
        view = _progress_view(progress, len(listed))
        ticker = asyncio.ensure_future(follow(view, run.tally))
        try:
            await ask_each(self._item(timeout, sources, shared), run, concurrency)
        except asyncio.CancelledError as stopped:
            run.interrupted = True
            self._last_batch = stopped.batch = run.finish(view)  # type: ignore[attr-defined]
            raise
        finally:
            ticker.cancel()
        self._last_batch = batch = run.finish(view)
        return batch

    def _item(
        self, timeout: float | None, sources: Mapping[str, Any] | str | None, attach: list[Upload]
    ) -> Callable[[str, str], Any]:
        """How ask_many asks one item: a new thread named after its key, ``attach`` sent to it first."""
        return lambda question, name: self.ask(question, timeout=timeout, sources=sources, name=name, attach=attach)

    @classmethod
    def _sibling(cls, client: AlfaClient, transport: Any = None) -> AsyncAlfaClient:
        """An async client with ``client``'s settings, headers, transport and limiter (for its batches)."""
        sibling = cls.__new__(cls)
        sibling.settings = client.settings
        sibling._headers = client._headers
        sibling._cassette = client._cassette
        sibling._custom_transport = transport
        sibling._attached = client._attached
        sibling._connect(transport, client._headers, None, client.limiter)
        return sibling

    def ask_events(
        self,
        question: str,
        *,
        thread: str | None = None,
        timeout: float | None = None,
        sources: Mapping[str, Any] | str | None = None,
        attach: Attach = None,
    ) -> AskEvents:
        """Follow an answer as an async iterator of events; the Answer is ``.answer`` afterwards."""
        return AskEvents(self, self._procedure(question, thread, timeout, sources, attach=attach))

    async def history(self, thread_id: str, *, last: int | None = None) -> list[Answer]:
        """:meth:`AlfaClient.history`, awaitable."""
        chosen, wanted = self._answers(thread_id, await self.threads.messages(thread_id), last)
        artifacts = {i: await self._artifact_or_none(thread_id, i) for i in dict.fromkeys(wanted)}
        return [answer_of(thread_id, q, reply, artifacts, self._attached.get(reply.id, ())) for q, reply in chosen]

    async def _artifact_or_none(self, thread_id: str, artifact_id: str) -> Artifact | None:
        try:
            return await self.threads.artifact(thread_id, artifact_id)
        except AlfaError:
            return None

    async def export(self, thread_id: str, path: str | os.PathLike[str]) -> Path:
        """:meth:`AlfaClient.export`, awaitable."""
        from .render.export import export_format, write

        export_format(path)  # refused before anything is read
        return write(await self.history(thread_id), path, thread_id=thread_id)

    async def aclose(self) -> None:
        """Close the connections; ``async with AsyncAlfaClient() as client:`` does it on leaving."""
        await self._transport.aclose()

    close = aclose

    async def __aenter__(self) -> AsyncAlfaClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _progress_view(progress: bool, total: int) -> Any:
    """The live view a batch shows: in a notebook, the terminal or a log (see render.progress)."""
    if not progress:
        return View()
    from .render.progress import choose_view

    return choose_view(total)


class AskEvents:
    """``async for event in client.ask_events(q): ...`` then ``.answer``; ``.turn`` is the state."""

    def __init__(self, client: AsyncAlfaClient, procedure: AskProcedure) -> None:
        self._client = client
        cassette = client._cassette
        self._tape = None if cassette is None else cassette.async_turn(procedure, client._transport)
        self._runner = AsyncRunner(self._tape or client._transport, procedure)
        self.turn = procedure.turn
        self.answer: Answer | None = None

    async def __aiter__(self) -> AsyncIterator[Event | None]:
        try:
            async for event in self._runner:
                yield event
        except asyncio.CancelledError as exc:
            self.turn.interrupt()
            self._client._last_answer = _remember_partial(self.turn, exc)
            stopping = asyncio.ensure_future(self._runner.stop())
            self._client._last_answer = _remember_partial(self.turn, exc, await asyncio.shield(stopping))
            raise
        except AlfaError as exc:
            result = None
            if isinstance(exc, APITimeoutError) and not self.turn.done:  # out of time: as for cancellation
                self.turn.interrupt()
                result = await self._runner.stop(STOP_AFTER_TIMEOUT)
            self._client._last_answer = _remember_partial(self.turn, exc, result)
            raise
        finally:
            await self._runner.close_stream()
        self.answer = self._client._last_answer = Answer.from_result(self._runner.result)
        if self._tape is not None:
            self._tape.finish(self.answer)
        self.answer.raise_for_status()


publish(__name__)  # last: the public names above report alfa_notebook as their module
