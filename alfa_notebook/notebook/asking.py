"""One question of the magic, asked blocking or on the event loop; both end the same way.

The live view follows the turn through one :class:`~.live.Coalescer`. However the turn ends
(complete, no results, stopped, failed) the sink replaces the live view by the answer's final
output and ``_alfa`` holds the answer, partial or not. ``-o`` and ``--df`` are assigned only when
the answer succeeded: a failed cell must not overwrite the notebook's variables with a partial
table. An error then propagates for the magic to present, in one line.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..client import AlfaClient, AsyncAlfaClient
from ..results.answer import Answer
from ..wire.operations import Upload
from .live import Coalescer
from .sinks import Sink


@dataclass
class Question:
    """What to ask, where, for how long; where to show it and where to put the answer.

    ``deliver(answer, succeeded)`` puts the answer in the notebook's variables.
    """

    text: str
    thread_id: str
    timeout: float | None
    sink: Sink
    deliver: Callable[[Answer, bool], None]
    sources: str | None = None  # --sources, over %config AlfaMagics.sources
    attach: Sequence[Upload] = ()  # --attach: files sent to the thread before the question


def ask(client: AlfaClient, question: Question) -> Answer:
    """Ask and wait, showing the answer live; Ctrl-C stops it (on the server too)."""
    live = Coalescer(question.sink.show)
    try:
        answer = client.ask(
            question.text,
            thread_id=question.thread_id,
            timeout=question.timeout,
            on_event=live,
            sources=question.sources,
            attach=list(question.attach),
        )
    except BaseException as error:  # Ctrl-C and errors end the view too, with what arrived
        _end(question, live, error=error)
        raise
    _end(question, live, answer)
    return answer


async def ask_async(client: AsyncAlfaClient, question: Question) -> Answer:
    """Ask on the running loop; cancelling the task stops the answer (on the server too)."""
    live = Coalescer(question.sink.show, call_later=asyncio.get_running_loop().call_later)
    try:
        answer = await client.ask(
            question.text,
            thread_id=question.thread_id,
            timeout=question.timeout,
            on_event=live,
            sources=question.sources,
            attach=list(question.attach),
        )
    except BaseException as error:  # cancellation and errors end the view too, with what arrived
        _end(question, live, error=error)
        raise
    _end(question, live, answer)
    return answer


def _end(
    question: Question, live: Coalescer, answer: Answer | None = None, *, error: BaseException | None = None
) -> None:
    """Stop the live updates, show the final output, deliver the answer."""
    live.close()
    if error is not None:
        answer = getattr(error, "answer", None)
        if answer is None and live.turn is not None:  # an error the client did not expect
            answer = Answer.from_turn(live.turn)
            error.answer = answer  # type: ignore[attr-defined]
    question.sink.finish(answer)
    if answer is not None:
        question.deliver(answer, error is None)
