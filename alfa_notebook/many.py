"""``ask_many``: many questions, each in its own new thread, at most ``concurrency`` at once.

Written once, on asyncio, and performed by both clients: :class:`AsyncAlfaClient` awaits it on
the caller's loop; :class:`AlfaClient` runs it on a private event loop in a helper thread. One
coroutine per item rather than one OS thread per item: 200 items cost 200 small tasks, not 200
threads, and cancelling them (Ctrl-C, the Stop button, a cancelled task) reaches every running
item at once, wherever it is waiting, so each is cancelled on the server too.

Items wait for a free place *before* their thread is created, so a waiting item holds nothing on
the server. Each item is one ordinary ``ask()`` (its retries, deadline, reconnects, limiter, and
the deletion of a thread its question never reached, included); an error makes that item an
``"error"`` answer and never stops the others.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .results.answer import Answer
from .results.batch import Batch, Rerun
from .wire.errors import ConfigurationError

AskOne = Callable[[str, str], Awaitable[Answer]]
"""Ask ``question`` in a new thread named ``name``; raises with the partial answer in ``.answer``."""

DEFAULT_CONCURRENCY = 8


def items_of(questions: Iterable[str], keys: Iterable[Hashable] | None = None) -> tuple[list[str], list[Any]]:
    """The questions as a list and their keys: ``keys``, else a pandas Series' index, else the
    questions themselves (each question is checked by :func:`~.wire.arguments.batch_arguments`)."""
    index = getattr(questions, "index", None)
    listed = list(questions)
    if keys is not None:
        labels = list(keys)
    elif index is not None and not callable(index):  # a Series (a list's .index is a method)
        labels = list(index)
    else:
        labels = list(listed)
    if len(labels) != len(listed):
        raise ConfigurationError(f"{len(labels)} keys for {len(listed)} questions: give one key per question")
    return listed, labels


@dataclass
class Tally:
    """How a batch is going, for a progress view."""

    total: int
    started: float
    clock: Callable[[], float] = time.monotonic
    done: int = 0  # finished, whatever the outcome
    failed: int = 0
    running: int = 0
    finished: float | None = None
    paused: Callable[[], float] = lambda: 0.0
    """Seconds left of a pause the service's rate limit imposes (the client's ``Limiter.paused``)."""

    @property
    def elapsed(self) -> float:
        return (self.finished if self.finished is not None else self.clock()) - self.started

    @property
    def rate(self) -> float:
        """Items finished a second, so far."""
        elapsed = self.elapsed
        return self.done / elapsed if elapsed > 0 else 0.0

    @property
    def left(self) -> float | None:
        """Seconds until the last item, at the rate so far (None before the first finishes)."""
        return (self.total - self.done) / self.rate if self.rate else None


class View:
    """What a progress view does (this one: nothing); :mod:`alfa_notebook.render.progress` has
    the real ones. ``update`` is called about ten times a second, on the caller's thread."""

    def update(self, tally: Tally) -> None:
        pass

    def finish(self, batch: Batch) -> None:
        pass


@dataclass
class BatchRun:
    """One ``ask_many`` in progress: the items, the answers so far, the tally."""

    questions: list[str]
    keys: list[Any]
    rerun: Rerun | None = None
    answers: list[Answer | None] = field(init=False)
    tally: Tally = field(init=False)
    interrupted: bool = False
    paused: Callable[[], float] = lambda: 0.0  # the client's ``Limiter.paused``, for the progress view
    timing: Callable[[float, bool], float] | None = None
    """``(measured seconds, interrupted) -> the batch's time``: a cassette's recorded time."""

    def __post_init__(self) -> None:
        self.answers = [None] * len(self.questions)
        self.tally = Tally(len(self.questions), time.monotonic(), paused=self.paused)

    def finish(self, view: View, keep: Callable[[Batch], object]) -> Batch:
        """The batch as it ended (an item never started is ``"cancelled"``), handed to ``keep``
        (the client's ``last_batch``) before ``view`` shows it: a Ctrl-C while the summary is
        drawn is raised with the batch in its ``.batch``, as a second Ctrl-C is."""
        self.tally.finished = self.tally.clock()
        answers = [
            a if a is not None else Answer(question=q, raw_text="", status="cancelled", thread_id=None, message_id=None)
            for q, a in zip(self.questions, self.answers)
        ]
        elapsed = self.tally.elapsed
        if self.timing is not None:
            elapsed = self.timing(elapsed, self.interrupted)
        batch = Batch(self.keys, answers, elapsed=elapsed, interrupted=self.interrupted, rerun=self.rerun)
        keep(batch)
        try:
            view.finish(batch)
        except KeyboardInterrupt as late:
            late.batch = batch  # type: ignore[attr-defined]
            raise
        return batch


def failed_answer(question: str, error: BaseException) -> Answer:
    """The item's answer after ``error``: what arrived before it, with status ``"error"``."""
    partial = getattr(error, "answer", None)
    if isinstance(partial, Answer):
        return dataclasses.replace(partial, status="error", error=error)
    return Answer(question=question, raw_text="", status="error", thread_id=None, message_id=None, error=error)


async def ask_each(ask: AskOne, run: BatchRun, concurrency: int = DEFAULT_CONCURRENCY) -> None:
    """Ask every item of ``run``, at most ``concurrency`` at once, filling ``run.answers``.

    Cancelled, it cancels every running item (each stops its task on the server, or deletes the
    thread it made if its question never reached it, and keeps what arrived), marks the run
    interrupted and re-raises. ``concurrency`` was checked with the batch's other arguments
    (:func:`~.wire.arguments.batch_arguments`)."""
    places = asyncio.Semaphore(concurrency)
    tally = run.tally

    async def one(position: int) -> None:
        question, key = run.questions[position], run.keys[position]
        async with places:
            tally.running += 1
            try:
                answer = await ask(question, str(key))
            except asyncio.CancelledError as stopped:
                partial = getattr(stopped, "answer", None)
                if isinstance(partial, Answer):
                    run.answers[position] = partial
                raise
            except Exception as error:  # noqa: BLE001 - any failure is this item's, never the batch's
                answer = failed_answer(question, error)
            finally:
                tally.running -= 1
            run.answers[position] = answer
            tally.done += 1
            tally.failed += not answer.ok

    tasks = [asyncio.ensure_future(one(i)) for i in range(len(run.questions))]
    try:
        await asyncio.gather(*tasks)
    except asyncio.CancelledError:
        # gather has cancelled every item still running; each now cancels its task on the server.
        run.interrupted = True
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def follow(view: View, tally: Tally, interval: float = 0.1) -> None:
    """Draw ``view`` every ``interval`` seconds until cancelled (the async client's ticker)."""
    while True:
        view.update(tally)
        await asyncio.sleep(interval)


async def stop_ticker(ticker: asyncio.Future[None]) -> None:
    """Cancel :func:`follow` and wait for it to end: no task of the batch outlives ``ask_many``."""
    ticker.cancel()
    await asyncio.wait([ticker])


class Abandoned(KeyboardInterrupt):
    """A second Ctrl-C while a blocking batch was cancelling its items: this call stopped waiting
    for the server's cancels (they go on in the helper thread while the process lives)."""


def run_blocking(main: Callable[[], Coroutine[Any, Any, None]], tick: Callable[[], None], interval: float) -> bool:
    """Run ``main()`` on a private event loop in a helper thread, calling ``tick()`` on this thread
    every ``interval`` seconds until it ends (so a progress view is drawn where the caller runs).

    Ctrl-C cancels ``main()`` and waits while it cancels its items; returns whether it was
    interrupted. A second Ctrl-C during that wait raises :class:`Abandoned`. An error ``main()``
    raised is raised here.

    This thread waits on a :class:`threading.Event`, never in ``Thread.join(timeout)``: before
    Python 3.13 a KeyboardInterrupt landing in that join marks the still-running thread as
    stopped, so every later join returns at once, before the items are cancelled."""
    loop = asyncio.new_event_loop()
    task = loop.create_task(main())
    ended = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(asyncio.wait([task]))
            gc.collect()  # async generators left unfinished are finalised now, on their loop
            loop.run_until_complete(asyncio.sleep(0))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()
            ended.set()

    def cancel() -> None:
        try:
            loop.call_soon_threadsafe(task.cancel)
        except RuntimeError:  # the loop is closed: everything had finished already
            pass

    helper = threading.Thread(target=serve, name="alfa-ask-many", daemon=True)
    helper.start()
    try:
        while not ended.wait(interval):
            tick()
    except KeyboardInterrupt:
        try:
            cancel()
            ended.wait()
        except KeyboardInterrupt:
            cancel()  # again, in case the second came before the first was scheduled
            raise Abandoned from None
    helper.join()  # it has closed its loop: this returns at once
    if task.cancelled():
        return True
    if task.exception() is not None:
        raise task.exception()  # type: ignore[misc]
    return False
