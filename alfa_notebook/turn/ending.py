"""How an ask ends, decided once for ``AlfaClient.ask``, ``AsyncAlfaClient.ask`` and ``ask_events()``.

An ask ends in one of four ways:

============  =================================================  ==========================  ==============
ending        what ended it                                      on the server               what is raised
============  =================================================  ==========================  ==============
complete      the turn's end arrived                             nothing to do               the answer's own
                                                                                             failure, if any
failed        an :class:`AlfaError` (the service refused, the    nothing: it ended the       that error
              stream could not be followed)                      task, or cannot be reached
out of time   ``ask(timeout=...)`` ran out before the turn's     cancelled, within           the timeout
              end                                                :data:`STOP_AFTER_TIMEOUT`
interrupted   anything else: Ctrl-C, a cancelled task, the       cancelled, within           that exception
              caller's code raising (``on_event``, the body of   :data:`STOP_WITHIN`
              an ``async for``), a loop left early, an iterator
              garbage-collected
============  =================================================  ==========================  ==============

In every ending but "complete" the answer as far as it got is kept (on the exception's ``.answer``
and in ``client.last_answer``), first from the turn and then, once a stop has read what the service
kept, with its sources and artifacts. This module decides; the runners
(:meth:`~alfa_notebook.turn.runners.SyncRunner.following`) perform the stop, and the client keeps
the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..wire.errors import AlfaError, APITimeoutError
from .machine import Turn

STOP_WITHIN = 5.0
"""Seconds an interrupted ask may spend cancelling its task and reading what the service kept."""
STOP_AFTER_TIMEOUT = 1.0
"""The same after ``ask(timeout=...)`` ran out: the caller asked to be answered by then."""


@dataclass(frozen=True)
class Ending:
    kind: Literal["complete", "failed", "out of time", "interrupted"]
    stop_within: float | None
    """Seconds to cancel the task on the server and read what it kept; None: nothing to stop."""


COMPLETE = Ending("complete", None)
FAILED = Ending("failed", None)
OUT_OF_TIME = Ending("out of time", STOP_AFTER_TIMEOUT)
INTERRUPTED = Ending("interrupted", STOP_WITHIN)


def ending(turn: Turn, error: BaseException | None, finished: bool) -> Ending:
    """How an ask whose events were followed ``finished`` (to the procedure's end) or not, and left
    with ``error`` (None: no exception), ends. A turn that is to be stopped is marked interrupted."""
    if error is None and finished:
        return COMPLETE
    if isinstance(error, AlfaError):
        if not (isinstance(error, APITimeoutError) and not turn.done):
            return FAILED
        turn.interrupt()
        return OUT_OF_TIME
    turn.interrupt()  # the caller stopped following, in whichever way: the task must not run on unseen
    return INTERRUPTED
