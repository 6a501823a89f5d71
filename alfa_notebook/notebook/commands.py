"""The ``%alfa`` subcommands: help, status, threads, new, use, history, cancel, last, version, doctor.

Each reads or changes the magics' state through :class:`~.host.Host` (the session, the background
answer) and either prints a line or returns a value, so ``threads = %alfa threads`` gives a
DataFrame. Which subcommands exist, and what each takes, is listed in :mod:`.subcommands`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.display import display

from .._version import __version__
from ..client import AlfaClient
from ..render import answer_bundle
from ..render.question import question_bundle
from ..results.answer import Answer
from ..wire.errors import AlfaError, APIConnectionError, AuthenticationError
from ..wire.settings import resolve_settings
from .sinks import choose

if TYPE_CHECKING:
    import pandas as pd

    from .host import Host

HISTORY = 5  # exchanges shown by `%alfa history` without N
STATUS_TIMEOUT = 5.0  # seconds for the reachability check: a status must not hang


def help_(magics: Host, _: None) -> None:
    """Print the generated help of the magic."""
    print(magics.help_text())


def doctor(magics: Host, args: Any) -> None:
    """Print what ``alfa-notebook doctor`` prints, for this notebook's settings (``%config`` too)."""
    from ..doctor import run

    report = run(args, configured=magics.configured())
    print(report.to_json() if args.json else report.to_text())


def version(magics: Host, _: None) -> None:
    print(f"alfa-notebook {__version__}")


def status(magics: Host, _: None) -> None:
    """Print the settings in effect and where each came from, and whether the service answers.

    The key itself is never shown: only whether one is set, and from where.
    """
    configured = magics.configured()
    rows: list[tuple[str, str]] = [("alfa-notebook", __version__)]
    try:
        settings = resolve_settings(configured=configured)
    except AlfaError as error:
        rows.append(("settings", f"✗ {error}"))
        _print_rows(rows)
        return

    origin = settings.origin
    rows.append(("api_version", f"{settings.api_version}  ({origin('api_version')})"))
    rows.append(("base_url", f"{settings.base_url}  ({origin('base_url')})"))
    if settings.has_key:
        rows.append(("api_key", f"✓ set  ({origin('api_key')})"))
    else:
        rows.append(("api_key", f"✗ missing: set {' or '.join(settings.key_env_names())}"))
    if settings.cassette:
        rows.append(("cassette", f"{settings.cassette}  ({origin('cassette')})"))
        rows.append(("record_mode", f"{settings.record_mode}  ({origin('record_mode')})"))
    rows.append(("service", _reachability(configured)))
    session = magics.session
    thread = f"{session.thread_id}  {session.thread_name or ''}".rstrip() if session.thread_id else "none yet"
    if magics.busy(session.thread_id):
        thread += "  (an answer is streaming in the background)"
    rows.append(("thread", thread))
    rows.append(("display", _display(magics)))
    rows.append(("table_rows", str(magics.table_rows)))
    rows.append(("timeout", "none" if magics.timeout is None else f"{magics.timeout:g} s"))
    rows.append(("short_errors", str(magics.short_errors)))
    _print_rows(rows)


# How each live view is called in the documentation of the ``display`` setting.
_VIEW_NAMES = {"WidgetSink": "widget", "HandleSink": "static", "TerminalSink": "plain text"}


def _display(magics: Host) -> str:
    """The display setting, and the view it gives here for blocking and --background answers."""

    def view(on_stop: Callable[[], object] | None) -> str:
        sink = choose(magics.display, magics.shell, question="", table_rows=0, on_stop=on_stop)
        return _VIEW_NAMES.get(type(sink).__name__, type(sink).__name__)

    blocking, background = view(None), view(lambda: None)
    if magics.display != "auto":
        return magics.display
    if blocking == background:
        return f"auto (here: {blocking})"
    return f"auto (here: {blocking}; with --background: {background})"


def _reachability(configured: Any) -> str:
    try:
        with AlfaClient._create(configured=configured, timeout=STATUS_TIMEOUT, max_retries=0) as client:
            count = len(client.threads.list())
    except AuthenticationError as error:
        return f"✗ reachable, but the key was refused ({error.status_code})"
    except APIConnectionError as error:
        return f"✗ unreachable: {_without_status_hint(str(error))}"
    except AlfaError as error:
        return f"✗ {type(error).__name__}: {error}"
    return f"✓ reachable, key accepted ({count} threads)"


def _without_status_hint(message: str) -> str:
    """A message shown inside ``%alfa status`` does not tell the user to run ``%alfa status``."""
    return re.sub(r"\s*\(`%alfa status`\)|\s*`%alfa status`[^.]*\.?", "", message).strip()


def _print_rows(rows: list[tuple[str, str]]) -> None:
    width = max(len(k) for k, _ in rows)
    print("\n".join(f"{k.ljust(width)}  {v}" for k, v in rows))


def threads(magics: Host, _: None) -> pd.DataFrame:
    """The threads, newest first, as a DataFrame; ``current`` marks the kernel's thread.

    It shows short ids and times to the minute; the frame itself keeps the full values.
    """
    import pandas as pd

    current = magics.session.thread_id
    rows = [
        {"id": t.id, "name": t.name, "created": t.created_at, "updated": t.updated_at, "current": t.id == current}
        for t in magics.session.client().threads.list()
    ]
    frame = pd.DataFrame(rows, columns=["id", "name", "created", "updated", "current"])
    return _threads_frame()(frame.astype({"id": "string", "name": "string", "current": "bool"}))


SHORT_ID = 8  # characters of a thread id shown by `%alfa threads`


def _threads_frame() -> type[pd.DataFrame]:
    """A DataFrame that displays compactly; anything computed from it is a plain DataFrame."""
    global _ThreadsFrame
    if _ThreadsFrame is None:
        import pandas as pd

        class ThreadsFrame(pd.DataFrame):
            @property
            def _constructor(self) -> type[pd.DataFrame]:
                return pd.DataFrame

            def _compact(self) -> pd.DataFrame:
                shown = pd.DataFrame(self).copy()
                shown["id"] = shown["id"].map(lambda i: i if len(i) <= SHORT_ID + 1 else i[:SHORT_ID] + "…")
                for column in ("created", "updated"):
                    shown[column] = shown[column].map(_compact_time)
                return shown

            def __repr__(self) -> str:
                return repr(self._compact())

            def _repr_html_(self) -> str | None:
                return self._compact()._repr_html_()

        _ThreadsFrame = ThreadsFrame
    return _ThreadsFrame


_ThreadsFrame: type[pd.DataFrame] | None = None


def _compact_time(value: Any) -> str:
    if value is None or value != value:  # None, NaT
        return ""
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else str(value)


def new(magics: Host, name: str) -> None:
    """``new NAME`` starts a thread now; ``new`` alone lets the next question start and name one."""
    if name:
        thread_id = magics.session.start_thread(name)
        print(f"New thread {thread_id} ({name!r}) is now current.")
    else:
        magics.session.use(None)
        print("The next question starts a new thread.")


def use(magics: Host, id_or_name: str) -> None:
    thread = magics.session.resolve(id_or_name)
    magics.session.use(thread.id, thread.name)
    print(f"Thread {thread.id} ({thread.name!r}) is now current.")


def history(magics: Host, count: int | None) -> None:
    """Show the last N exchanges of the current thread: each question, then its answer, tables included."""
    session = magics.session
    if session.thread_id is None:
        raise UsageError("No current thread yet: ask a question, or pick one with `%alfa use`.")
    shown: str | None = None
    for answer in session.client().history(session.thread_id, last=count or HISTORY):
        if answer.question != shown:  # a question with several replies is shown once
            display(question_bundle(answer.question), raw=True)
            shown = answer.question
        _show(answer, magics.table_rows)


def export(magics: Host, argument: tuple[str, str | None]) -> None:
    """Write a thread (the current one, or ``--thread ID``) to a .md, .html or .ipynb file."""
    path, thread = argument
    session = magics.session
    thread_id = session.resolve(thread).id if thread else session.thread_id
    if thread_id is None:
        raise UsageError("No current thread yet: ask a question, or name one with `%alfa export PATH --thread ID`.")
    written = session.client().export(thread_id, path)
    print(f"Exported thread {thread_id} to {written}.")


def _show(answer: Answer, table_rows: int) -> None:
    data, metadata = answer_bundle(answer, table_rows=table_rows, name=None)  # in no variable
    display(data, metadata=metadata, raw=True)


def cancel(magics: Host, _: None) -> None:
    """Stop what runs in the current thread: the background answer, or a task on the server."""
    session = magics.session
    if session.thread_id is None:
        print("No current thread: nothing to cancel.")
        return
    pending = magics.background
    if pending is not None and magics.busy(session.thread_id):
        pending.cancel()
        print(f"Stopping the background answer in thread {session.thread_id}.")
        return
    threads_api = session.client().threads
    if not threads_api.progress(session.thread_id).is_running:
        print(f"Nothing is running in thread {session.thread_id}.")
        return
    threads_api.cancel(session.thread_id)
    print(f"Cancelled the task running in thread {session.thread_id}.")


def last(magics: Host, _: None) -> None:
    """Show the last answer (``_alfa``) again."""
    answer = magics.user_ns.get("_alfa")
    if not isinstance(answer, Answer):
        print("No answer yet: `_alfa` is set by the first %%alfa cell.")
        return
    _show(answer, magics.table_rows)
