"""``%%alfa --background``: the answer streams on the kernel's event loop while the notebook is free.

ipykernel runs user code inside a running asyncio loop, so the magic schedules the answer there
with :func:`asyncio.ensure_future` and returns at once: never ``asyncio.run`` (which fails inside
a running loop) and never nest_asyncio. Because the kernel is idle between cells, widget events
are processed, which is what makes the Stop button work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError

from .errors import Stopped, short

if TYPE_CHECKING:
    from ..results.answer import Answer


def running_loop() -> asyncio.AbstractEventLoop:
    """The loop the kernel runs user code in; an error where there is none (terminal IPython)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        raise UsageError(
            "--background needs a running event loop, as in a Jupyter kernel; here ask without --background."
        ) from None


class BackgroundAnswer:
    """An answer on its way. ``await`` it in a later cell for the :class:`Answer`.

    A stopped answer raises, when awaited, a one-line :class:`~.errors.Stopped` (never a
    KeyboardInterrupt, which asyncio would let escape the kernel's loop), a failed one its error; :attr:`answer` then holds
    what arrived. ``cancel()`` (the Stop button, ``%alfa cancel``) cancels the task, which cancels
    the answer on the server too.
    """

    def __init__(self, question: str, thread_id: str) -> None:
        self.question = question
        self.thread_id = thread_id
        self.answer: Answer | None = None
        self._task: asyncio.Task[Answer] | None = None
        self._stopped = False

    def start(self, work: Coroutine[Any, Any, Answer]) -> BackgroundAnswer:
        self._task = asyncio.ensure_future(work, loop=running_loop())
        self._task.add_done_callback(_retrieve)
        return self

    @property
    def task(self) -> asyncio.Task[Answer]:
        assert self._task is not None, "not started"
        return self._task

    def done(self) -> bool:
        return self.task.done()

    def cancel(self) -> bool:
        """Stop the answer; False when it is already over."""
        if self.task.done():
            return False
        self._stopped = True
        return self.task.cancel()

    def __await__(self) -> Generator[Any, None, Answer]:
        return self._result().__await__()

    async def _result(self) -> Answer:
        try:
            # Awaiting the task itself: interrupting the awaiting cell stops the answer too.
            return await self.task
        except asyncio.CancelledError:
            if self._stopped:
                raise short(Stopped(self.answer)) from None
            raise

    @property
    def status(self) -> str:
        """``"streaming"``, ``"stopped"``, ``"failed"`` or ``"done"``."""
        if self._task is None or not self._task.done():
            return "streaming"
        if self._task.cancelled():
            return "stopped"
        return "failed" if self._task.exception() is not None else "done"

    def __repr__(self) -> str:
        # No state here: as a cell's result this line is saved, and must not go stale.
        return f"<BackgroundAnswer in thread {self.thread_id!r}: `await` it for the Answer, see .status>"


def _retrieve(task: asyncio.Task[Any]) -> None:
    """The error was shown in the cell's output and is raised again on ``await``: not "never retrieved"."""
    if not task.cancelled():
        task.exception()
