"""``AlfaClient`` and ``AsyncAlfaClient``: the same surface, blocking and awaitable.

Both only perform the effects of :class:`~alfa_notebook.turn.steps.AskProcedure`, through the
runners of :mod:`~alfa_notebook.turn.runners`: every decision about the turn is made there, once,
and how an ask ends in :mod:`~alfa_notebook.turn.ending`; what an ask keeps as it ends is
:class:`~alfa_notebook.asking.Asking`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from collections.abc import AsyncIterator, Callable, Hashable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx

from ._public import publish
from .asking import AskEvents, Asking, Tape
from .attachments import Attach, uploads
from .many import (
    DEFAULT_CONCURRENCY,
    TICK,
    Abandoned,
    BatchRun,
    View,
    ask_each,
    follow,
    items_of,
    run_blocking,
    stop_ticker,
)
from .results.answer import Answer
from .results.batch import Batch
from .results.conversation import answer_of, exchanges
from .threads import AsyncThreads, Threads
from .turn.machine import Turn, thread_name
from .turn.runners import AsyncRunner, SyncRunner
from .turn.steps import AskProcedure
from .wire import arguments
from .wire.channel import AsyncChannel, AsyncEventStream, SyncChannel, SyncEventStream, shown_url
from .wire.credentials import exchange_token
from .wire.errors import AlfaError, ConfigurationError
from .wire.events import Event
from .wire.limiter import Limiter
from .wire.markers import artifact_ids
from .wire.models import Artifact, History, Message
from .wire.operations import Upload
from .wire.settings import Secret, resolve_settings
from .wire.source_overrides import source_overrides

if TYPE_CHECKING:
    from .cassette import Binding

__all__ = ["AlfaClient", "AsyncAlfaClient", "AsyncThreads", "Threads", "exchange_token", "thread_name"]

TransportT = TypeVar("TransportT", httpx.BaseTransport, httpx.AsyncBaseTransport)
"""The httpx transport a client takes: blocking for AlfaClient, async for AsyncAlfaClient."""
C = TypeVar("C", bound="_ClientBase[Any]")
OnEvent = Callable[[Event | None, Turn], None]
"""Called as the turn changes: the event that changed it (None for a change of state), and the turn."""


class _ClientBase(Generic[TransportT]):
    """Settings come from the arguments, then the environment (``ALFA_API_KEY``, ``ALFA_BASE_URL``,
    ``ALFA_API_VERSION``, ``ALFA_ACCESS_TOKEN`` for v2, ``ALFA_CASSETTE``, ``ALFA_RECORD_MODE``),
    then defaults.

    With a ``cassette`` (a file, docs/cassettes.md), every turn and request is replayed from it or
    asked and recorded, as ``record_mode`` says: ``once`` (the default), ``new_episodes``, ``none``
    or ``all``. ``replay_pace="recorded"`` replays answers at the pace they arrived.
    """

    _channel: SyncChannel | AsyncChannel
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
        transport: TransportT | None = None,
        headers: Mapping[str, str] | None = None,
        allow_insecure: bool = False,
        rate_limit: str | Mapping[str, float] | None = None,
        rate_limit_wait: float | None = None,
        limiter: Limiter | None = None,
        cassette: str | os.PathLike[str] | None = None,
        record_mode: str | None = None,
        replay_pace: str = "instant",
        max_attachment_bytes: int | None = None,
        max_question_bytes: int | None = None,
    ) -> None:
        """``transport`` is an httpx transport (``httpx.MockTransport``, a proxy's), as httpx's
        clients take it. ``rate_limit`` is the pace kept to (default the service's documented
        limits; see :mod:`alfa_notebook.wire.limiter`); ``rate_limit_wait`` the seconds one request
        may wait out the service's 429s in all before it fails (default 120); ``limiter`` shares one
        limiter between clients of one account. ``max_question_bytes`` (``ALFA_MAX_QUESTION_BYTES``,
        default 256 KiB) is the longest question sent."""
        self._setup(None, None, **{name: value for name, value in locals().items() if name != "self"})

    @classmethod
    def _create(
        cls: type[C],
        api_key: str | Secret | None = None,
        *,
        configured: Mapping[str, Any] | None = None,
        rng: random.Random | None = None,
        **options: Any,
    ) -> C:
        """The package's own constructor: ``configured`` holds the notebook's ``%config AlfaMagics``
        values (between the arguments and the environment), ``rng`` seeds the retries' jitter."""
        client = cls.__new__(cls)
        client._setup(configured, rng, api_key=api_key, **options)
        return client

    def _setup(
        self,
        configured: Mapping[str, Any] | None,
        rng: random.Random | None,
        *,
        transport: Any = None,
        headers: Mapping[str, str] | None = None,
        limiter: Limiter | None = None,
        replay_pace: str = "instant",
        **settings: Any,
    ) -> None:
        arguments.client_arguments(
            api_key=settings.get("api_key"),
            timeout=settings.get("timeout"),
            stream_read_timeout=settings.get("stream_read_timeout"),
            max_retries=settings.get("max_retries"),
            headers=headers,
            cassette=settings.get("cassette"),
            max_question_bytes=settings.get("max_question_bytes"),
        )
        self.settings = resolve_settings(configured=configured, **settings)
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
        return self._channel.limiter

    @property
    def last_batch(self) -> Batch | None:
        """The last batch of ``ask_many``, also one an interrupt stopped."""
        return self._last_batch

    def _keep_batch(self, batch: Batch) -> None:
        self._last_batch = batch

    @property
    def last_answer(self) -> Answer | None:
        """The last answer of this client, also a partial one after an interrupt or an error."""
        return self._last_answer

    def _asking(self, procedure: AskProcedure, tape: Tape | None) -> Asking:
        """What one ask keeps as it ends, into this client (``last_answer``, the files it sent)."""

        def remember(answer: Answer) -> None:
            self._last_answer = answer

        return Asking(procedure, tape, remember=remember, completed=self._note_attachments)

    def _check(self, question: Any, **given: Any) -> None:
        """Every argument of an ask, before anything is sent (:mod:`alfa_notebook.wire.arguments`)."""
        arguments.ask_arguments(question, max_bytes=self.settings.max_question_bytes, **given)

    def _check_batch(self, questions: list[str], concurrency: Any, timeout: Any, sources: Any) -> None:
        """Every argument of a batch, once for all its items, before any item starts."""
        arguments.batch_arguments(
            questions,
            max_bytes=self.settings.max_question_bytes,
            concurrency=concurrency,
            timeout=timeout,
            sources_=sources,
        )

    def _procedure(
        self,
        question: str,
        thread_id: str | None,
        timeout: float | None,
        sources: Mapping[str, Any] | str | None = None,
        thread_name: str | None = None,
        attach: Attach = None,
    ) -> AskProcedure:
        overrides = {**(self.settings.sources or {}), **(source_overrides(sources) or {})}
        return AskProcedure(
            question,
            thread_id,
            clock=time.monotonic,
            timeout=timeout,
            source_overrides=overrides or None,
            name=thread_name,
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


class AlfaClient(_ClientBase[httpx.BaseTransport]):
    """Talks to Alfa with blocking calls. ``ask()`` streams one answer; ``threads`` manages threads."""

    _channel: SyncChannel
    threads: Threads

    def _connect(
        self, transport: Any, headers: Mapping[str, str] | None, rng: random.Random | None, limiter: Limiter | None
    ) -> None:
        self._channel = SyncChannel(self.settings, transport=transport, headers=headers, rng=rng, limiter=limiter)
        if self._cassette is None:
            self.threads = Threads(self._channel)
        else:
            from .cassette import CassetteChannel

            self.threads = Threads(CassetteChannel(self._channel, self._cassette))

    @contextlib.contextmanager
    def stream(self, thread_id: str) -> Iterator[SyncEventStream]:
        """The thread's raw event feed: ``with client.stream(id) as events: for e in events: ...``."""
        events = self._channel.open_stream(thread_id)
        try:
            yield events
        finally:
            events.close()

    def ask(
        self,
        question: str,
        *,
        thread_id: str | None = None,
        timeout: float | None = None,
        on_event: OnEvent | None = None,
        sources: Mapping[str, Any] | str | None = None,
        thread_name: str | None = None,
        attach: Attach = None,
    ) -> Answer:
        """Ask Alfa and wait for the whole answer, following it live through ``on_event``.

        Every argument is checked before anything is sent (``ArgumentTypeError`` for a wrong type,
        ``ConfigurationError`` for a value out of range: ``timeout`` is seconds above 0).

        With no ``thread_id``, a new thread named ``thread_name`` (default: after the question) is started.
        Ctrl-C, or an exception from ``on_event``, cancels the task on the server and re-raises,
        with the partial answer in ``exc.answer`` and :attr:`last_answer`. ``sources`` turns data sources on or off for this answer, over the
        client's default: ``{"web_search": "off", "filings": "all_sources"}`` (see
        ``alfa_notebook.wire.source_overrides``; the names and values are in docs/protocol.md, Source overrides).
        ``attach`` sends files to the thread before the question, for Alfa to read: DataFrames (as CSV),
        figures (as PNG), bytes, paths; ``[("holdings.csv", df), "report.pdf"]`` names them. They
        are all read and checked before anything is sent (an :class:`AttachmentError` if one cannot be).
        """
        self._check(
            question, thread_id=thread_id, timeout=timeout, on_event=on_event, sources_=sources, thread_name=thread_name
        )
        procedure = self._procedure(question, thread_id, timeout, sources, thread_name, attach)
        tape = None if self._cassette is None else self._cassette.sync_turn(procedure, self._channel)
        asking = self._asking(procedure, tape)
        with SyncRunner(tape or self._channel, procedure).following(asking.keep) as events:
            for event in events:
                if on_event is not None:
                    on_event(event, procedure.turn)
        assert asking.answer is not None
        return asking.answer

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
        self._check_batch(listed, concurrency, timeout, sources)
        shared = self._uploads(attach)  # read once, sent to every item's thread
        batch_transport = self._batch_transport()

        def rerun(questions: list[str], keys: list[Any]) -> Batch:
            return self.ask_many(
                questions,
                keys=keys,
                concurrency=concurrency,
                timeout=timeout,
                sources=sources,
                progress=progress,
                attach=shared,
            )

        run = BatchRun(listed, labels, rerun=rerun, paused=self.limiter.paused)
        view = _progress_view(progress, len(listed))

        async def main() -> None:
            async with AsyncAlfaClient._sibling(self, batch_transport) as client:
                await ask_each(client._item(timeout, sources, shared, run), run, concurrency)

        try:
            run.interrupted = run_blocking(main, lambda: view.update(run.tally), interval=TICK)
        except Abandoned as stopped:  # a second Ctrl-C: the batch as it is now, in .batch
            run.interrupted = True
            stopped.batch = run.finish(view, self._keep_batch)  # type: ignore[attr-defined]
            raise
        return run.finish(view, self._keep_batch)

    def _batch_transport(self) -> Any:
        """The transport the batch's async connection uses: the client's own ``transport=``, which
        must then also be an ``httpx.AsyncBaseTransport`` (``httpx.MockTransport`` is both)."""
        given = self._custom_transport
        if given is None or isinstance(given, httpx.AsyncBaseTransport):
            return given
        raise ConfigurationError(
            f"ask_many runs its asks on an async connection, and this client's transport= "
            f"({type(given).__name__}) is blocking only: pass one that is also an httpx.AsyncBaseTransport, "
            "or use AsyncAlfaClient(transport=...).ask_many()."
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
        self._channel.close()

    def __enter__(self) -> AlfaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncAlfaClient(_ClientBase[httpx.AsyncBaseTransport]):
    """The same surface as :class:`AlfaClient`, awaitable. Artifacts are fetched concurrently."""

    _channel: AsyncChannel
    threads: AsyncThreads

    def _connect(
        self, transport: Any, headers: Mapping[str, str] | None, rng: random.Random | None, limiter: Limiter | None
    ) -> None:
        self._channel = AsyncChannel(self.settings, transport=transport, headers=headers, rng=rng, limiter=limiter)
        if self._cassette is None:
            self.threads = AsyncThreads(self._channel)
        else:
            from .cassette import AsyncCassetteChannel

            self.threads = AsyncThreads(AsyncCassetteChannel(self._channel, self._cassette))

    @contextlib.asynccontextmanager
    async def stream(self, thread_id: str) -> AsyncIterator[AsyncEventStream]:
        """The thread's raw event feed: ``async with client.stream(id) as events: async for e in events: ...``."""
        events = await self._channel.open_stream(thread_id)
        try:
            yield events
        finally:
            await events.aclose()

    async def ask(
        self,
        question: str,
        *,
        thread_id: str | None = None,
        timeout: float | None = None,
        on_event: OnEvent | None = None,
        sources: Mapping[str, Any] | str | None = None,
        thread_name: str | None = None,
        attach: Attach = None,
    ) -> Answer:
        """Ask Alfa and await the whole answer. Cancelling the task (or an exception from
        ``on_event``) cancels it on the server too, and the partial answer is kept in
        :attr:`last_answer`. ``sources`` as for AlfaClient.ask."""
        self._check(
            question, thread_id=thread_id, timeout=timeout, on_event=on_event, sources_=sources, thread_name=thread_name
        )
        procedure = self._procedure(question, thread_id, timeout, sources, thread_name, attach)
        tape = None if self._cassette is None else self._cassette.async_turn(procedure, self._channel)
        asking = self._asking(procedure, tape)
        async with AsyncRunner(tape or self._channel, procedure).following(asking.keep) as events:
            async for event in events:
                if on_event is not None:
                    on_event(event, procedure.turn)
        assert asking.answer is not None
        return asking.answer

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
        self._check_batch(listed, concurrency, timeout, sources)
        shared = self._uploads(attach)  # read once, sent to every item's thread

        async def rerun(questions: list[str], keys: list[Any]) -> Any:
            return await self.ask_many(
                questions,
                keys=keys,
                concurrency=concurrency,
                timeout=timeout,
                sources=sources,
                progress=progress,
                attach=shared,
            )

        run = BatchRun(listed, labels, rerun=rerun, paused=self.limiter.paused)
        view = _progress_view(progress, len(listed))
        ticker = asyncio.ensure_future(follow(view, run.tally, TICK))
        try:
            await ask_each(self._item(timeout, sources, shared, run), run, concurrency)
        except asyncio.CancelledError as stopped:
            run.interrupted = True
            stopped.batch = run.finish(view, self._keep_batch)  # type: ignore[attr-defined]
            raise
        finally:
            await stop_ticker(ticker)
        return run.finish(view, self._keep_batch)

    def _item(
        self,
        timeout: float | None,
        sources: Mapping[str, Any] | str | None,
        attach: list[Upload],
        run: BatchRun,
    ) -> Callable[[str, str], Any]:
        """How ask_many asks one item: a new thread named after its key, ``attach`` sent to it first
        (through the batch's cassette tape, which counts the items apart and times the batch, when
        there is one)."""
        if self._cassette is None:
            return lambda question, name: self.ask(
                question, timeout=timeout, sources=sources, thread_name=name, attach=attach
            )
        tape = self._cassette.batch(run.questions, sources, [u.digest for u in attach])
        run.timing = tape.elapsed
        return lambda question, name: tape.asking(
            lambda: self.ask(question, timeout=timeout, sources=sources, thread_name=name, attach=attach)
        )

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
        thread_id: str | None = None,
        timeout: float | None = None,
        sources: Mapping[str, Any] | str | None = None,
        attach: Attach = None,
    ) -> AskEvents:
        """Follow an answer as an async iterator of events; the Answer is ``.answer`` afterwards.

        ``async with client.ask_events(q) as events: async for event in events: ...``. Leaving the
        loop early (``break``, an exception in its body) ends the ask as cancelling :meth:`ask` does:
        the task is cancelled on the server and the partial answer kept in :attr:`last_answer`. The
        ``async with`` block waits for that on leaving; a bare ``async for`` has it done on the event
        loop right after the loop is left (or the iterator garbage-collected)."""
        self._check(question, thread_id=thread_id, timeout=timeout, sources_=sources)
        procedure = self._procedure(question, thread_id, timeout, sources, attach=attach)
        tape = None if self._cassette is None else self._cassette.async_turn(procedure, self._channel)
        return AskEvents(AsyncRunner(tape or self._channel, procedure), self._asking(procedure, tape))

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
        await self._channel.aclose()

    async def __aenter__(self) -> AsyncAlfaClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _progress_view(progress: bool, total: int) -> Any:
    """The live view a batch shows: none, or where it runs (a notebook, the terminal, a log)."""
    from .render.progress import choose_view  # the renderer knows where it runs

    return choose_view(total) if progress else View()


publish(__name__)  # last: the public names above report alfa_notebook as their module
