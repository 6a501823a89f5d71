"""The ``%alfa`` subcommands: help, status, threads, new, use, history, cancel, last, version.

Each reads or changes the magics' state (:class:`~.session.Session`, the background answer) and
either prints a line or returns a value, so ``threads = %alfa threads`` gives a DataFrame.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from IPython.display import display

from .._version import __version__
from ..answer import Answer
from ..client import AlfaClient
from ..errors import AlfaError, APIConnectionError, AuthenticationError
from ..markers import artifact_ids
from ..models import Artifact
from ..render import answer_bundle
from ..render.safe import esc, md_text, plain
from ..settings import ENV_API_VERSION, ENV_BASE_URL, ENV_CASSETTE, ENV_KEYS, RECORD_MODES, resolve_settings
from .errors import MagicError
from .sinks import choose

if TYPE_CHECKING:
    import pandas as pd

    from .magics import AlfaMagics

HISTORY = 10  # messages shown by `%alfa history` without N
STATUS_TIMEOUT = 5.0  # seconds for the reachability check: a status must not hang


def run(magics: AlfaMagics, name: str, argument: str) -> Any:
    return COMMANDS[name](magics, argument)


def help_(magics: AlfaMagics, _: str) -> None:
    """Print the generated help of the magic."""
    print(magics.alfa.__doc__)


def version(magics: AlfaMagics, _: str) -> None:
    print(f"alfa-notebook {__version__}")


def status(magics: AlfaMagics, _: str) -> None:
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

    def origin(name: str, env_names: tuple[str, ...]) -> str:
        if configured.get(name) is not None:
            return f"%config AlfaMagics.{name}"
        found = next((n for n in env_names if os.environ.get(n, "").strip()), None)
        return f"${found}" if found else "default"

    key_names = ENV_KEYS[settings.api_version]
    rows.append(("api_version", f"{settings.api_version}  ({origin('api_version', ENV_API_VERSION)})"))
    rows.append(("base_url", f"{settings.base_url}  ({origin('base_url', ENV_BASE_URL)})"))
    if settings.has_key:
        rows.append(("key", f"✓ set  ({origin('api_key', key_names)})"))
    else:
        rows.append(("key", f"✗ missing: set {' or '.join(key_names)}"))
    if settings.cassette:  # not its mode: the run that records a notebook prints what its replays print
        rows.append(("cassette", f"{settings.cassette}  ({origin('cassette', ENV_CASSETTE)})"))
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


def _display(magics: AlfaMagics) -> str:
    """The display mode and the live view it gives here, blocking and with --background."""

    def view(on_stop: Callable[[], object] | None) -> str:
        sink = choose(magics.display, magics.shell, question="", table_rows=0, on_stop=on_stop)
        return type(sink).__name__.removesuffix("Sink").lower()

    blocking, background = view(None), view(lambda: None)
    views = blocking if blocking == background else f"{blocking}; with --background: {background}"
    return f"{magics.display} → {views}"


def _reachability(configured: Any) -> str:
    try:
        with AlfaClient(configured=configured, timeout=STATUS_TIMEOUT, max_retries=0) as client:
            count = len(client.threads.list())
    except AuthenticationError as error:
        return f"✗ reachable, but the key was refused ({error.status_code})"
    except APIConnectionError as error:
        return f"✗ unreachable: {error}"
    except AlfaError as error:
        return f"✗ {type(error).__name__}: {error}"
    return f"✓ reachable, key accepted ({count} threads)"


def _print_rows(rows: list[tuple[str, str]]) -> None:
    width = max(len(k) for k, _ in rows)
    print("\n".join(f"{k.ljust(width)}  {v}" for k, v in rows))


def threads(magics: AlfaMagics, _: str) -> pd.DataFrame:
    """The threads, newest first, as a DataFrame; ``current`` marks the kernel's thread."""
    import pandas as pd

    current = magics.session.thread_id
    rows = [
        {"id": t.id, "name": t.name, "created": t.created_at, "updated": t.updated_at, "current": t.id == current}
        for t in magics.session.client().threads.list()
    ]
    frame = pd.DataFrame(rows, columns=["id", "name", "created", "updated", "current"])
    return frame.astype({"id": "string", "name": "string", "current": "bool"})


def new(magics: AlfaMagics, name: str) -> None:
    """``new NAME`` starts a thread now; ``new`` alone lets the next question start and name one."""
    if name:
        thread_id = magics.session.start_thread(name)
        print(f"New thread {thread_id} ({name!r}) is now current.")
    else:
        magics.session.use(None)
        print("The next question starts a new thread.")


def use(magics: AlfaMagics, id_or_name: str) -> None:
    thread = magics.session.resolve(id_or_name)
    magics.session.use(thread.id, thread.name)
    print(f"Thread {thread.id} ({thread.name!r}) is now current.")


def history(magics: AlfaMagics, count: str) -> None:
    """Show the last N messages of the current thread: questions and answers, tables included."""
    session = magics.session
    if session.thread_id is None:
        raise MagicError("No current thread yet: ask a question, or pick one with `%alfa use`.", title="UsageError")
    n = int(count) if count else HISTORY
    client = session.client()
    record = client.threads.messages(session.thread_id, start_index=0, limit_num=n)
    question = ""
    for message in record.messages:
        if message.is_user:
            question = message.text
            display(_question_bundle(question), raw=True)
            continue
        artifacts = [_artifact(client, session.thread_id, i) for i in artifact_ids(message.text)]
        answer = Answer(
            question=question,
            raw_text=message.text,
            status="complete",
            thread_id=session.thread_id,
            message_id=message.id,
            citations=message.citations,
            artifacts=[a for a in artifacts if a is not None],
        )
        _show(answer, magics.table_rows)
        question = ""


def _question_bundle(text: str) -> dict[str, str]:
    """A question of the history as a short header, escaped like everything from the service."""
    lines = text.strip().splitlines() or [""]
    return {
        "text/html": "<p><strong>You:</strong> " + "<br>".join(esc(line) for line in lines) + "</p>",
        "text/markdown": "**You:** " + "  \n".join(md_text(line) for line in lines),
        "text/plain": "You: " + "\n     ".join(plain(line) for line in lines),
    }


def _artifact(client: AlfaClient, thread_id: str, artifact_id: str) -> Artifact | None:
    try:
        return client.threads.artifact(thread_id, artifact_id)
    except AlfaError:
        return None  # shown as a missing artifact; the history itself is still worth seeing


def _show(answer: Answer, table_rows: int) -> None:
    data, metadata = answer_bundle(answer, table_rows=table_rows)
    display(data, metadata=metadata, raw=True)


def cancel(magics: AlfaMagics, _: str) -> None:
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


def last(magics: AlfaMagics, _: str) -> None:
    """Show the last answer (``_alfa``) again."""
    answer = magics.user_ns.get("_alfa")
    if not isinstance(answer, Answer):
        print("No answer yet: `_alfa` is set by the first %%alfa cell.")
        return
    _show(answer, magics.table_rows)


def cassette(magics: AlfaMagics, argument: str) -> None:
    """``%alfa cassette PATH [MODE]``: replay answers from PATH, and record into it as MODE says;
    ``%alfa cassette off`` asks the service again; alone, says which cassette is in use."""
    words = shlex.split(argument)
    if not words:
        settings = resolve_settings(configured=magics.configured())
        if settings.cassette:
            print(f"Cassette {settings.cassette} (record_mode={settings.record_mode!r}).")
        else:
            print("No cassette: answers come from the service. `%alfa cassette PATH [MODE]` records them.")
        return
    mode = words.pop() if len(words) > 1 and words[-1] in RECORD_MODES else None
    if len(words) != 1:
        raise MagicError(
            f"Usage: %alfa cassette PATH [{' | '.join(RECORD_MODES)}], or %alfa cassette off (got {argument!r}).",
            title="UsageError",
        )
    if words[0] == "off":
        magics.cassette = None
        print("No cassette: answers come from the service.")
        return
    magics.cassette = words[0]
    if mode is not None:
        magics.record_mode = mode
    settings = resolve_settings(configured=magics.configured())
    print(f"Cassette {settings.cassette} (record_mode={settings.record_mode!r}): a new thread starts.")


COMMANDS: dict[str, Callable[[AlfaMagics, str], Any]] = {
    "help": help_,
    "status": status,
    "threads": threads,
    "new": new,
    "use": use,
    "history": history,
    "cancel": cancel,
    "last": last,
    "version": version,
    "cassette": cassette,
}
