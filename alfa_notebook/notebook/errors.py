"""The magics' errors: one line that fails the cell, under the error's own class name.

IPython prints what an exception's ``_render_traceback_`` returns instead of a traceback, and
ipykernel sends those lines as the cell's error output while its ``ename`` stays the exception's
class. So the magic raises the real error (``APIConnectionError``, ``TurnFailedError``,
``KeyboardInterrupt``) with a one-line rendering attached: "Run All", nbconvert and papermill stop
at the cell, a script can tell the errors apart, and the user reads one sentence, not a page of
library frames.

The client's messages speak Python (``exc.answer``, ``ask(timeout=...)``); in a notebook the same
facts read as magic hints (``_alfa``, ``--timeout``, ``%alfa ...``). :func:`explain` makes that
translation, in this one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from ..render.safe import plain
from ..wire.errors import AlfaError, PartialAnswer

if TYPE_CHECKING:
    from ..results.answer import Answer

E = TypeVar("E", bound=BaseException)


def short(error: E, line: str | None = None) -> E:
    """``error`` shown as the one line ``line`` (default ``Class: message``); its class is kept.
    The line may quote the service, so it is made one line and its control characters visible."""
    text = plain(" ".join((line if line is not None else f"{type(error).__name__}: {error}").split()))
    setattr(error, "_render_traceback_", lambda: [text])  # noqa: B010 (an instance attribute)
    return error


class Stopped(AlfaError):
    """A ``--background`` answer was stopped (Stop button, ``%alfa cancel``); ``answer`` keeps what arrived."""

    def __init__(self, answer: Answer | None) -> None:
        super().__init__("The answer was stopped and its task cancelled on the server; `_alfa` holds what arrived.")
        self.answer = answer


def arrived(answer: PartialAnswer | None) -> bool:
    """Whether an answer has anything to show (one stopped before its first event has not)."""
    return answer is not None and (answer.status in ("complete", "no_results") or bool(answer.text or answer.logs))


def explain(error: BaseException, answer: PartialAnswer | None, *, timeout: float | None = None) -> str:
    """The one line the magic shows for ``error``: what happened, and what to do, in magic terms."""
    from ..wire import errors as e

    kept = " `_alfa` holds the partial answer." if arrived(answer) else ""
    name = type(error).__name__
    if isinstance(error, KeyboardInterrupt):
        if answer is None:
            return f"{name}: interrupted before the question was sent."
        return f"{name}: interrupted; the question was cancelled on the server.{kept}"
    if isinstance(error, e.APITimeoutError) and timeout is not None and answer is not None and answer.thread_id:
        if answer.elapsed >= timeout * 0.99:
            what = "Stopped after" if arrived(answer) else "No answer arrived within"
            return (
                f"{name}: {what} {timeout:g} s (the timeout); the question was cancelled on the server.{kept} "
                "For long questions raise --timeout or `%config AlfaMagics.timeout`."
            )
    if isinstance(error, e.TurnFailedError):
        log = (answer.status_log or "").strip() if answer is not None else ""
        said = f" ({log})" if log else ""
        return f"{name}: Alfa ended the answer with an error{said}.{kept} Ask again, or rephrase the question."
    if isinstance(error, e.StreamInterruptedError):
        return (
            f"{name}: the event stream broke and the service could not be reached to finish the answer.{kept} "
            "`%alfa history 1` shows the whole answer once the service is back."
        )
    message = str(error).strip() or name
    if isinstance(error, e.APIStatusError) and "client." in error.advice:  # Python advice: said below in magic terms
        message = f"{error.method} {error.path} -> {error.status_code}" + (
            f": {error.detail}." if error.detail else "."
        )
        message = e.with_request_id(message, error.request_id)
    if "%alfa" in message:  # the message already points to a subcommand
        pass
    elif isinstance(error, e.ConflictError):
        message += " `%alfa cancel` stops what runs in the current thread, or ask with --new."
    elif isinstance(error, e.NotFoundError):
        message += " `%alfa threads` lists the threads, `%alfa new` starts one."
    elif isinstance(error, e.APIConnectionError):
        message += " `%alfa status` checks the settings and the connection."
    return f"{name}: {message}{kept}"
