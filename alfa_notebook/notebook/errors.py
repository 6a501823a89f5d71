"""The magics' errors read as one line and fail the cell (PRODUCT.md §4).

IPython prints what an exception's ``_render_traceback_`` returns instead of a traceback, and
ipykernel sends those lines as the cell's error output, so "Run All", nbconvert and papermill stop
at the cell while the user reads one actionable sentence, not a page of library frames.
"""

from __future__ import annotations

from ..errors import AlfaError, PartialAnswer


class MagicError(AlfaError):
    """An error of ``%%alfa`` shown as ``title: message``; ``answer`` keeps what arrived."""

    def __init__(self, message: str, *, title: str = "AlfaError", answer: PartialAnswer | None = None) -> None:
        super().__init__(message)
        self.title = title
        self.answer = answer

    def _render_traceback_(self) -> list[str]:
        return [f"{self.title}: {self}"]


class Interrupted(KeyboardInterrupt):
    """The user stopped an answer. Still a KeyboardInterrupt, so a "Run All" stops here too."""

    def __init__(self, message: str, *, answer: PartialAnswer | None = None) -> None:
        super().__init__(message)
        self.answer = answer

    def _render_traceback_(self) -> list[str]:
        return [f"KeyboardInterrupt: {self}"]


STOPPED = "The answer was stopped and its task cancelled on the server; the partial answer is in `_alfa`."


def shorten(error: BaseException, answer: PartialAnswer | None = None) -> BaseException:
    """The one-line form of ``error`` (the original stays in ``__cause__``)."""
    if isinstance(error, (MagicError, Interrupted)):
        return error
    if isinstance(error, KeyboardInterrupt):
        said = STOPPED if answer is not None else "Interrupted before the question was sent."
        short: BaseException = Interrupted(said, answer=answer)
    else:
        message = str(error) or type(error).__name__
        if answer is not None and (answer.text or answer.logs):
            message += " The partial answer is in `_alfa`."
        short = MagicError(message, title=type(error).__name__, answer=answer)
    short.__cause__ = error
    return short


def note(error: BaseException) -> str:
    """How ``error`` reads as a line of the answer's output (the persistent record)."""
    import asyncio  # here, not above: %load_ext stays cheap (and the client has loaded it by now)

    if isinstance(error, (KeyboardInterrupt, asyncio.CancelledError)):
        return "Stopped: the task was cancelled on the server."
    return f"{type(error).__name__}: {error}"
