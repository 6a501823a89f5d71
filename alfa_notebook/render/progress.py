"""Where a batch shows its progress: a notebook, a terminal, or a log.

* In a Jupyter kernel, a display updated in place at most ten times a second (done, failed,
  running, rate, time left), then replaced in place by the static summary: the saved notebook
  keeps one output, the summary (plain HTML and the items as data), the same whether the batch
  was long enough to show progress or replayed at once; a headless runner's log (papermill logs
  new outputs, not updates) gets one line, not one per item.
* In a terminal, one progress line redrawn in place on stderr, then the summary's headline.
* Anywhere else (a log file, CI), a line at each quarter, then the headline.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from ..many import Tally, View
from .batch_view import batch_bundle, headline, progress_html, progress_line

if TYPE_CHECKING:
    from ..results.batch import Batch

INTERVAL = 0.1  # seconds between updates: about ten a second


class _Throttled(View):
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last: float | None = None
        self.updates = 0

    def update(self, tally: Tally) -> None:
        now = self._clock()
        if self._last is not None and now - self._last < INTERVAL:
            return
        self._last = now
        self.updates += 1
        self.draw(tally)

    def draw(self, tally: Tally) -> None:
        raise NotImplementedError


class NotebookView(_Throttled):
    """A display updated in place, ending as the static summary."""

    def __init__(self) -> None:
        super().__init__()
        self._handle: Any = None

    def draw(self, tally: Tally) -> None:
        from IPython.display import display

        bundle = {"text/html": progress_html(tally), "text/plain": f"Asking Alfa: {progress_line(tally)}"}
        if self._handle is None:
            self._handle = display(bundle, raw=True, display_id=True)
        else:
            self._handle.update(bundle, raw=True)

    def finish(self, batch: Batch) -> None:
        from IPython.display import display

        data, metadata = batch_bundle(batch)
        if self._handle is not None:  # never an empty output left before the summary
            self._handle.update(data, metadata=metadata, raw=True)
        else:
            display(data, metadata=metadata, raw=True)


class TerminalView(_Throttled):
    """One line on stderr, redrawn in place."""

    def __init__(self, out: TextIO | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(clock)
        self._out = out

    @property
    def out(self) -> TextIO:
        return self._out or sys.stderr

    def draw(self, tally: Tally) -> None:
        self.out.write(f"\r\x1b[2KAlfa: {progress_line(tally)}")
        self.out.flush()

    def finish(self, batch: Batch) -> None:
        self.out.write(f"\r\x1b[2KAlfa: {headline(batch)}\n")
        self.out.flush()


class LogView(View):
    """A line at each quarter of the items, then the headline: a handful of lines in any log."""

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out
        self._quarter = -1

    @property
    def out(self) -> TextIO:
        return self._out or sys.stderr

    def update(self, tally: Tally) -> None:
        quarter = 4 * tally.done // tally.total if tally.total else 4
        if quarter > self._quarter and quarter < 4:
            self._quarter = quarter
            self.out.write(f"Alfa: {progress_line(tally)}\n")
            self.out.flush()

    def finish(self, batch: Batch) -> None:
        self.out.write(f"Alfa: {headline(batch)}\n")
        self.out.flush()


def in_kernel() -> bool:
    """Whether this runs in a Jupyter kernel (which shows rich output), not a terminal IPython."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return False
    shell = get_ipython()
    return any(cls.__name__ == "ZMQInteractiveShell" for cls in type(shell).__mro__)


def choose_view(total: int) -> View:
    """The view for where this runs: a notebook, a terminal, or a log."""
    if in_kernel():
        return NotebookView()
    if sys.stderr is not None and sys.stderr.isatty():
        return TerminalView()
    return LogView()
