"""Where a live answer is shown: an ipywidgets view, a display handle, or a terminal.

Every sink has the same two steps: :meth:`show` the turn so far (the first call creates the view;
:class:`~.live.Coalescer` decides when), and :meth:`finish` with the final answer, which replaces
the live view by the answer's static output. That output is a plain mimebundle (HTML, Markdown,
text, the answer's JSON, ``alfa`` metadata), so the saved notebook holds the whole answer and no
widget state. The renderer (:mod:`alfa_notebook.render`) does all rendering.

A headless run (nbconvert, papermill: a kernel whose client takes no input) logs only what cells
print, not display updates, so the kernel sinks end such a run's answer with one printed line,
:func:`~alfa_notebook.render.status.outcome_line`.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from IPython.display import display

from ..render import answer_bundle, answer_text, live_html, live_views
from ..render.artifacts import ANSWER_NAME
from ..render.prepared import prepare_answer
from ..render.safe import plain
from ..render.status import outcome_line
from ..render.text import after_prose
from ..render.walk import arriving_marker
from ..wire import markers
from .errors import arrived

if TYPE_CHECKING:
    from ..results.answer import Answer
    from ..turn.machine import Turn

STOP_TIP_BLOCKING = (
    "The kernel is busy with this answer: interrupt the kernel (■) to stop it; with --background this button works."
)


# An HTML widget sets its own line height (28 px) and font size; reset to the output area's, so the
# live view and the static output that replaces it look the same from start to end.
WIDGET_FRAME = (
    '<div style="line-height:var(--jp-content-line-height,1.6);font-size:var(--jp-content-font-size1,14px);'
    'color:var(--jp-content-font-color1,inherit)">{}</div>'
)


class Sink(Protocol):
    def show(self, turn: Turn) -> None:
        """Show the turn so far; the first call creates the view."""

    def finish(self, answer: Answer | None) -> None:
        """Replace the live view with the final, static output of ``answer``."""


def called(answer: Answer, out: str | None) -> str:
    """What the user can type to reach ``answer`` after the cell: ``-o``'s name when the cell
    assigned it (it succeeded), else ``_alfa``; the notes under capped tables say it."""
    return out if out and answer.ok else ANSWER_NAME


def show_final(
    handle: Any, answer: Answer | None, table_rows: int, *, out: str | None = None, headless: bool = False
) -> None:
    """Put the answer's final output in place of the live view (``handle``), or display it when
    there was no live view and something arrived. A live view of an answer of which nothing
    arrived is emptied: the error under the cell says what happened."""
    if answer is None or not arrived(answer):
        if handle is not None:
            handle.update({"text/plain": ""}, raw=True)
        return
    data, metadata = answer_bundle(answer, table_rows=table_rows, name=called(answer, out))
    if handle is None:
        display(data, metadata=metadata, raw=True)
    else:
        handle.update(data, metadata=metadata, raw=True)
    if headless and answer.ok:
        print(outcome_line(answer))


class WidgetSink:
    """An ipywidgets view: the live HTML and a Stop button, live when the kernel is free."""

    def __init__(
        self,
        question: str,
        *,
        table_rows: int,
        on_stop: Callable[[], object] | None = None,
        headless: bool = False,
        out: str | None = None,
    ) -> None:
        self._question = question
        self._table_rows = table_rows
        self._out_name = out
        self._on_stop = on_stop
        self._headless = headless
        self._view: Any = None
        self._html: Any = None
        self._button: Any = None
        self._handle: Any = None

    def show(self, turn: Turn) -> None:
        html = WIDGET_FRAME.format(live_html(turn, question=self._question))
        if self._view is not None:
            self._html.value = html
            return
        import ipywidgets as widgets

        self._html = widgets.HTML(html)
        self._button = widgets.Button(
            description="Stop",
            icon="stop",
            button_style="warning",
            disabled=self._on_stop is None,
            tooltip="Stop this answer and cancel it on the server" if self._on_stop else STOP_TIP_BLOCKING,
        )
        self._button.on_click(self._stop)
        self._view = widgets.VBox([self._html, self._button])
        self._handle = display(self._view, display_id=True)

    def _stop(self, button: Any) -> None:
        if self._on_stop is None:
            return
        button.disabled = True
        button.description = "Stopping…"
        self._on_stop()

    @property
    def stop_button(self) -> Any:
        """The Stop button (None before the view is shown)."""
        return self._button

    def finish(self, answer: Answer | None) -> None:
        show_final(self._handle, answer, self._table_rows, out=self._out_name, headless=self._headless)
        if self._view is None:
            return
        # The static output took the view's place. Emptying the HTML first keeps a copy of the
        # answer out of any widget state a headless runner (nbclient, papermill) may save.
        self._html.value = ""
        self._view.close()
        self._html.close()
        self._button.close()


class HandleSink:
    """A display updated in place (``update_display_data``), for frontends without widgets."""

    def __init__(self, question: str, *, table_rows: int, headless: bool = False, out: str | None = None) -> None:
        self._question = question
        self._table_rows = table_rows
        self._out_name = out
        self._headless = headless
        self._handle: Any = None

    def show(self, turn: Turn) -> None:
        html, text = live_views(turn, question=self._question)
        bundle = {"text/html": html, "text/plain": text}
        if self._handle is None:
            self._handle = display(bundle, raw=True, display_id=True)
        else:
            self._handle.update(bundle, raw=True)

    def finish(self, answer: Answer | None) -> None:
        show_final(self._handle, answer, self._table_rows, out=self._out_name, headless=self._headless)


class TerminalSink:
    """Plain text on stdout, as a terminal IPython shows it: written once, never redrawn.

    While Alfa works, its log lines (and reconnects); then the answer's prose as it grows (an
    inline object still being written is held back until it is whole). At the end only what the
    prose did not show: the tables, the sources, how it ended, the footer. An answer whose text
    was replaced at the end (recovered from the service's record) is printed whole after a rule.
    """

    RULE = "─" * 40

    def __init__(self, *, table_rows: int, out: TextIO | None = None, out_name: str | None = None) -> None:
        self._table_rows = table_rows
        self._out = out
        self._out_name = out_name
        self._logs = 0
        self._reconnect = 0  # the reconnect attempt last reported
        self._prose = ""  # what of the answer's prose is on screen

    @property
    def out(self) -> TextIO:
        return self._out or sys.stdout  # looked up late: IPython may swap stdout per cell

    def show(self, turn: Turn) -> None:
        if not self._prose:
            for line in turn.logs[self._logs :]:
                self.out.write(f"… {plain(line)}\n")
            self._logs = len(turn.logs)
            if turn.reconnecting and turn.reconnecting != self._reconnect:
                self.out.write(f"… reconnecting, attempt {turn.reconnecting}\n")
            self._reconnect = turn.reconnecting
        self._write_prose(stable_prose(turn.raw_text))
        self.out.flush()

    def _write_prose(self, prose: str) -> bool:
        """Write what ``prose`` adds to what is on screen; False if it does not continue it."""
        if not prose.startswith(self._prose):
            return False
        if len(prose) > len(self._prose):
            self.out.write(plain(prose[len(self._prose) :]))
            self._prose = prose
        return True

    def finish(self, answer: Answer | None) -> None:
        if answer is None or not (self._prose or arrived(answer)):
            return
        if self._prose and self._write_prose(prose_of(answer.raw_text)):
            rest = after_prose(prepare_answer(answer, self._table_rows, called(answer, self._out_name)))
            self.out.write("\n\n" + rest)
        else:
            if self._prose:
                self.out.write(f"\n{self.RULE}\n")
            self.out.write(answer_text(answer, table_rows=self._table_rows, name=called(answer, self._out_name)))
        self.out.flush()


def stable_prose(raw_text: str) -> str:
    """The answer so far as prose, up to a marker still arriving (the rule the live views follow)."""
    cut = arriving_marker(raw_text)
    return prose_of(raw_text if cut is None else raw_text[:cut])


def prose_of(raw_text: str) -> str:
    """The text as a terminal streams it: markers out, and the blank lines they leave as one.

    Collapsing runs of newlines keeps a prefix's prose a prefix of the whole's, so it still streams.
    """
    return _BLANK_LINES.sub("\n\n", markers.plain_text(raw_text))


_BLANK_LINES = re.compile(r"\n{3,}")


def in_kernel(shell: object) -> bool:
    """Whether IPython runs as a Jupyter kernel (which renders rich output), not in a terminal."""
    return any(cls.__name__ == "ZMQInteractiveShell" for cls in type(shell).__mro__)


def headless(shell: object) -> bool:
    """Whether the kernel's client takes no input, as nbconvert and papermill: nobody watches live."""
    kernel = getattr(shell, "kernel", None)
    return in_kernel(shell) and kernel is not None and getattr(kernel, "_allow_stdin", True) is False


def choose(
    mode: str,
    shell: object,
    *,
    question: str,
    table_rows: int,
    on_stop: Callable[[], object] | None,
    out: str | None = None,
) -> Sink:
    """The sink for ``display`` mode ``auto``, ``widget`` or ``static`` in this ``shell``.

    ``auto`` in a Jupyter kernel is the widget view for a background answer, whose Stop button
    works (``on_stop``), and a display handle for a blocking one: a busy kernel cannot act on a
    click, and a handle needs no widget manager, so every frontend and headless runner shows it and
    no widget state is left behind. ``static`` (``--static``) is the display handle, ``widget`` the
    widget view. Outside a kernel, whatever the mode: plain text on stdout (a terminal cannot show
    a widget, only its repr). ``out`` is ``-o``'s name, which the final output's notes use.
    """
    if not in_kernel(shell):
        return TerminalSink(table_rows=table_rows, out_name=out)
    quiet = headless(shell)
    live_button = on_stop is not None and importlib.util.find_spec("ipywidgets") is not None
    if mode == "widget" or (mode == "auto" and live_button):
        return WidgetSink(question, table_rows=table_rows, on_stop=on_stop, headless=quiet, out=out)
    return HandleSink(question, table_rows=table_rows, headless=quiet, out=out)
