"""``%%alfa`` and ``%alfa``: ask Alfa from a notebook.

Built like jupysql's magics: one configurable :class:`AlfaMagics` (``%config AlfaMagics.*`` or
``c.AlfaMagics.*`` in ``ipython_config.py``), argparse options from ``magic_arguments`` so that
``%%alfa?`` help is generated, and short errors that fail the cell. This module is the IPython
glue only: parsing lives in :mod:`.options`, interpolation in :mod:`.interpolation`, the
conversation in :mod:`.session`, asking in :mod:`.asking`, display in :mod:`.sinks`, the
subcommands in :mod:`.subcommands` (their table) and :mod:`.commands`, and the one-line errors in
:mod:`.errors`. Those, and the client and the renderer they use, are imported when
first needed, so that ``%load_ext alfa_notebook`` stays cheap (bench/bench_startup.py).
"""

from __future__ import annotations

import inspect
import os
import sys
from collections import ChainMap
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, needs_local_scope, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments
from traitlets import Bool, Enum, Float, Int, TraitError, TraitType, Unicode, observe, validate

from ..wire import arguments
from ..wire.errors import AlfaError, AttachmentError
from ..wire.settings import RECORD_MODES, Secret
from . import options, subcommands
from .errors import explain, short
from .interpolation import interpolate
from .session import Session

if TYPE_CHECKING:
    from ..results.answer import Answer
    from ..wire.operations import Upload
    from .background import BackgroundAnswer


class SecretTrait(TraitType[Secret | None, str | Secret | None]):
    """A credential: stored as a :class:`Secret`, so ``%config AlfaMagics`` never prints it."""

    default_value = None
    allow_none = True
    info_text = "a credential (shown masked)"

    def validate(self, obj: Any, value: Any) -> Secret | None:
        if value is None or isinstance(value, Secret):
            return value
        if isinstance(value, str):
            return Secret(value.strip()) if value.strip() else None
        self.error(obj, value)

    def from_string(self, s: str) -> Secret | None:
        return self.validate(None, s)


def _clean_doc(func: Any) -> Any:
    """Dedent the docstring, which ``magic_arguments`` turns into the ``%%alfa?`` help, and list
    the subcommands in it from their one table."""
    func.__doc__ = inspect.cleandoc(func.__doc__ or "").replace("{subcommands}", _wrapped_usages())
    return func


def _wrapped_usages(width: int = 72, indent: int = 25) -> str:
    lines, line = [], ""
    for usage in subcommands.usages().split(" | "):
        if line and len(line) + len(usage) + 3 > width:
            lines.append(line + " |")
            line = ""
        line = f"{line} | {usage}" if line else usage
    return ("\n" + " " * indent).join([*lines, line])


KEY_IN_CELL = (
    "Note: a key typed in a cell is saved with the notebook; prefer the ALFA_API_KEY (v1) or "
    "ALFA_ACCESS_TOKEN (v2) environment variable."
)


def _check_common(args: Any) -> None:
    """What every asking cell checks before anything is sent: the names it assigns, its timeout,
    concurrency and sources (each by the rule the Python calls use, :mod:`~alfa_notebook.wire.arguments`)."""
    for name in (args.out, args.df):
        if name is not None and not name.isidentifier():
            raise UsageError(f"{name!r} is not a variable name (for -o/--out and --df).")
    arguments.seconds(args.timeout, "--timeout")
    arguments.whole(args.concurrency, "--concurrency", minimum=1)
    arguments.sources(args.sources, "--sources")


@magics_class
class AlfaMagics(Magics):
    """Alfa in IPython: the ``%%alfa`` cell magic, the ``%alfa`` line magic and its subcommands."""

    api_version = Enum(
        ["v1", "v2"],
        default_value=None,
        allow_none=True,
        config=True,
        help="API flavour: 'v1' (Investing Assistant, x-api-key) or 'v2' (Alfa Preview, bearer token). "
        "Unset: ALFA_API_VERSION, else v1.",
    )
    base_url = Unicode(
        None,
        allow_none=True,
        config=True,
        help="The service's address. Unset: ALFA_BASE_URL, else the flavour's default.",
    )
    api_key = SecretTrait(
        config=True,
        help="The API key (v1) or access token (v2). Prefer the environment (ALFA_API_KEY, "
        "ALFA_ACCESS_TOKEN): a key typed in a cell is saved with the notebook.",
    )
    display = Enum(
        ["auto", "widget", "static"],
        default_value="auto",
        config=True,
        help="Live view: 'widget' (ipywidgets, with a Stop button), 'static' (a display updated in "
        "place), or 'auto' (in a kernel: widgets for --background, where Stop works, else 'static'; "
        "in a terminal: plain text).",
    )
    table_rows = Int(20, min=0, config=True, help="Rows of each table shown; the DataFrames keep every row.")
    timeout = Float(
        None,
        allow_none=True,
        min=0.0,
        config=True,
        help="Seconds an answer may take before it is stopped (None: no limit). --timeout overrides it.",
    )
    short_errors = Bool(True, config=True, help="Show errors as one line; False shows the full traceback.")
    rate_limit = Unicode(
        None,
        allow_none=True,
        config=True,
        help="The pace kept to, e.g. 'chat=600/min' or 'off'. Unset: ALFA_RATE_LIMIT, else the service's "
        "documented limits (chat 1000/min, threads 10000/min, other 20/min).",
    )
    rate_limit_wait = Float(
        None,
        allow_none=True,
        min=0.0,
        config=True,
        help="Seconds one request may wait out the service's rate limit (429s) in all before it fails. "
        "Unset: ALFA_RATE_LIMIT_WAIT, else 120.",
    )
    cassette = Unicode(
        None,
        allow_none=True,
        config=True,
        help="A cassette file: answers are replayed from it, or asked and recorded into it "
        "(docs/cassettes.md; `%alfa cassette PATH [MODE]`). Unset: ALFA_CASSETTE, else none.",
    )
    record_mode = Enum(
        list(RECORD_MODES),
        default_value=None,
        allow_none=True,
        config=True,
        help="How the cassette is used: 'once' (replay; record only into a new file), 'new_episodes' "
        "(replay, record what is missing), 'none' (replay only, never the network), 'all' (ask again, "
        "re-record). Unset: ALFA_RECORD_MODE, else 'once'.",
    )
    sources = Unicode(
        None,
        allow_none=True,
        config=True,
        help="Data sources of every answer, e.g. 'web=off,filings=on' (web_search, web_scraping, filings, "
        "earnings, news: on/all_sources or off). Unset: the account's defaults. --sources overrides it.",
    )
    dtype_backend = Enum(
        ["numpy_nullable", "pyarrow", "numpy"],  # frames.DTYPE_BACKENDS, spelled out: no pandas at load
        default_value="numpy_nullable",
        config=True,
        help="pandas dtype backend of the table --df stores (answer.to_dataframe(dtype_backend=...)).",
    )

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        self.session = Session(self.configured)
        self.background: BackgroundAnswer | None = None
        super().__init__(shell=shell, **kwargs)
        self._ready = True

    @property
    def user_ns(self) -> dict[str, Any]:
        """The notebook's variables (the magics are only ever registered on a shell)."""
        assert self.shell is not None
        return self.shell.user_ns

    def configured(self) -> Mapping[str, Any]:
        """The ``%config`` values the clients resolve settings from (None where unset)."""
        return {
            "api_version": self.api_version,
            "base_url": self.base_url,
            "api_key": self.api_key,
            "cassette": self.cassette,
            "record_mode": self.record_mode,
            "rate_limit": self.rate_limit,
            "rate_limit_wait": self.rate_limit_wait,
            "sources": self.sources,
        }

    @validate("timeout")
    def _valid_timeout(self, proposal: Any) -> float | None:
        """``%config AlfaMagics.timeout``, by the rule of ``--timeout`` and ``ask(timeout=)``."""
        try:
            return arguments.seconds(proposal["value"], "AlfaMagics.timeout")
        except AlfaError as error:
            raise TraitError(str(error)) from None

    @observe(
        "api_version", "base_url", "api_key", "cassette", "record_mode", "rate_limit", "rate_limit_wait", "sources"
    )
    def _connection_changed(self, change: Any) -> None:
        self.session.reset()
        if change["name"] == "api_key" and change["new"] is not None and getattr(self, "_ready", False):
            # One plain line: a warning would show traitlets' file and source line as well.
            print(KEY_IN_CELL, file=sys.stderr)

    @no_var_expand
    @needs_local_scope
    @magic_arguments()
    @argument(
        "-o",
        "--out",
        metavar="NAME",
        help="store the Answer in NAME (with --background: the BackgroundAnswer; `await NAME` gives the Answer)",
    )
    @argument("--df", metavar="NAME", help="store the answer's first table, a pandas DataFrame, in NAME")
    @argument(
        "-t",
        "--thread",
        metavar="ID_OR_NAME",
        help="ask in this thread, which becomes the current one (an id, or a name from `%%alfa threads`)",
    )
    @argument("--new", action="store_true", help="start a new thread, which becomes the current one")
    @argument(
        "--background",
        action="store_true",
        help="return at once and stream on the kernel's event loop; "
        "the Stop button works, `await` the BackgroundAnswer in a later cell",
    )
    @argument("--static", action="store_true", help="no widgets: a display updated in place")
    @argument("--timeout", type=float, metavar="SECONDS", help="stop the answer after this long")
    @argument(
        "--attach",
        action="append",
        default=[],
        metavar="NAME",
        help="send a variable (DataFrame, Series, figure, bytes, Path) or a file's path to the thread before asking (repeatable)",
    )
    @argument(
        "--each",
        nargs=3,
        metavar=("NAME", "in", "COLLECTION"),
        help="ask the cell once per item of COLLECTION (a list, tuple, Series, Index, or df.column), "
        "{{NAME}} taking each item; -o stores the Batch, --df its to_dataframe()",
    )
    @argument("--concurrency", type=int, metavar="N", help="with --each: items asked at once (default 8)")
    @argument(
        "--allow-errors",
        action="store_true",
        help="with --each: a batch with failed items does not fail the cell, and -o/--df are set",
    )
    @argument(
        "--sources",
        metavar="NAME=VALUE,...",
        help="turn data sources on or off for this answer: web=off,filings=on "
        "(web_search, web_scraping, filings, earnings, news)",
    )
    @argument("question", nargs="*", help="the question, for the line magic (a cell's question is its body)")
    @_clean_doc
    @line_cell_magic
    def alfa(self, line: str, cell: str | None = None, local_ns: Mapping[str, Any] | None = None) -> Any:
        """Ask Alfa, Boosted.ai's research assistant, and watch the answer stream in.

        %%alfa [options]         the cell's body is the question
        %alfa [options] QUESTION a one-line question (`%alfa -- QUESTION` if it starts like a subcommand)
        %alfa SUBCOMMAND         {subcommands}

        `{{name}}` in the question puts in the value of a notebook variable (a DataFrame as a short
        summary: shape, dtypes, first rows); other braces are left alone. `_alfa` holds the last
        Answer, also a partial one; -o and --df are set only when the answer succeeds. Consecutive
        cells continue one thread per kernel until --new, --thread or `%alfa new`. Errors are one
        line under their own class and fail the cell; a kernel interrupt stops the answer on the
        server and keeps the partial answer.

        `--each NAME in COLLECTION` asks the cell once per item (`{{NAME}}` taking each), each in its
        own new thread, `--concurrency` at once; `_alfa` holds the Batch, -o and --df are set when
        every item completed. A failed item fails the cell (unless --allow-errors), as an interrupt does.

        Settings: %config AlfaMagics.api_version / base_url / api_key / display / table_rows /
        timeout / short_errors / cassette / record_mode / sources / dtype_backend / rate_limit (see
        `%config AlfaMagics`); the environment (ALFA_API_KEY, ALFA_BASE_URL, ALFA_CASSETTE, ...) is
        read when they are unset.
        """
        try:
            return self._alfa(line, cell, local_ns)
        except (AlfaError, KeyboardInterrupt, OSError) as error:
            if self.short_errors and not hasattr(error, "_render_traceback_"):
                short(error, explain(error, getattr(error, "answer", None)))
            raise

    def help_text(self) -> str:
        return self.alfa.__doc__ or ""

    def _alfa(self, line: str, cell: str | None, local_ns: Mapping[str, Any] | None) -> Any:
        if cell is None:
            parsed = options.split(line, self.alfa.parser)
            if not parsed.options and not parsed.explicit:
                found = (
                    subcommands.recognise(parsed.question)
                    if parsed.question
                    else (subcommands.SUBCOMMANDS["help"], None)
                )
                if found is not None:
                    spec, argument = found
                    return spec.function()(self, argument)
            args = options.parse(self.alfa.parser, parsed.options)
            question = parsed.question
        else:
            args = options.parse(self.alfa.parser, line)
            if args.question:
                raise UsageError(
                    "%%alfa takes options on its first line and the question in the cell's body; "
                    "subcommands are line magics, as in `%alfa threads`."
                )
            question = cell
        namespace = ChainMap(dict(local_ns or {}), self.user_ns)
        if args.each:
            return self._ask_each(args, question, namespace)
        question = interpolate(question, namespace).strip()
        if not question:
            raise UsageError("Nothing to ask: write a question after %alfa, or in the cell under %%alfa.")
        return self._ask(args, question, namespace)

    def _ask(self, args: Any, question: str, namespace: Mapping[str, Any]) -> BackgroundAnswer | None:
        from . import sinks
        from .asking import Question, ask
        from .background import running_loop

        if args.new and args.thread:
            raise UsageError("--new and --thread exclude each other: a new thread, or that one.")
        if args.allow_errors:
            raise UsageError("--allow-errors is for --each batches: a single answer that fails fails its cell.")
        _check_common(args)
        attachments = self._attachments(args.attach, namespace)  # before anything is sent
        if args.background:
            running_loop()  # before anything is sent: no loop, no background
        session = self.session
        arguments.question(question, session.client().settings.max_question_bytes, name="the question")
        if args.thread:
            thread = session.resolve(args.thread)
            session.use(thread.id, thread.name)
        elif args.new:
            session.use(None)
        if self.busy(session.thread_id):
            raise UsageError(
                "An answer is still streaming in this thread: `await` it, stop it with `%alfa cancel`, "
                "or ask in a new thread with --new."
            )
        thread_id = session.thread_for(question)
        timeout = args.timeout if args.timeout is not None else self.timeout
        mode = "static" if args.static else self.display
        if args.background:
            pending = self._ask_background(question, thread_id, timeout, mode, args, attachments)
            return None if args.out else pending  # saved with the notebook, its repr would go stale
        sink = sinks.choose(mode, self.shell, question=question, table_rows=self.table_rows, on_stop=None, out=args.out)

        def deliver(answer: Answer, succeeded: bool) -> None:
            self._deliver(answer, succeeded, out=args.out, df=args.df)

        try:
            ask(
                session.client(),
                Question(question, thread_id, timeout, sink, deliver, sources=args.sources, attach=attachments),
            )
        except (AlfaError, KeyboardInterrupt) as error:
            if self.short_errors:
                short(error, explain(error, getattr(error, "answer", None), timeout=timeout))
            raise
        return None

    def _ask_background(
        self, question: str, thread_id: str, timeout: float | None, mode: str, args: Any, attach: list[Upload]
    ) -> BackgroundAnswer:
        """Schedule the answer on the kernel's loop. ``-o NAME`` holds the BackgroundAnswer, so
        ``await NAME`` works in any later cell, before or after the answer is over."""
        from . import sinks
        from .asking import Question, ask_async
        from .background import BackgroundAnswer

        pending = BackgroundAnswer(question, thread_id)
        sink = sinks.choose(mode, self.shell, question=question, table_rows=self.table_rows, on_stop=pending.cancel)

        def deliver(answer: Answer, succeeded: bool) -> None:
            pending.answer = answer
            self._deliver(answer, succeeded, df=args.df)

        async def follow() -> Answer:
            async with self.session.async_client() as client:
                try:
                    return await ask_async(
                        client,
                        Question(question, thread_id, timeout, sink, deliver, sources=args.sources, attach=attach),
                    )
                except AlfaError as error:
                    if self.short_errors:
                        short(error, explain(error, error.answer, timeout=timeout))
                    raise

        self.background = pending.start(follow())
        if args.out:
            self.user_ns[args.out] = pending
        return pending

    def _ask_each(self, args: Any, template: str, namespace: Mapping[str, Any]) -> None:
        """``--each NAME in COLLECTION``: one question per item, in a Batch (``_alfa``, ``-o``)."""
        from ..many import DEFAULT_CONCURRENCY
        from . import each

        if args.thread or args.new or args.background:
            raise UsageError("--each asks every item in its own new thread: drop --thread, --new, --background.")
        _check_common(args)
        name, source = each.parse(args.each)
        items = each.resolve(source, namespace)
        questions = each.questions(name, template, items, namespace)
        timeout = args.timeout if args.timeout is not None else self.timeout
        attachments = self._attachments(args.attach, namespace)  # sent to every item's thread
        client = self.session.client()
        each.deliver(
            lambda: client.ask_many(
                questions,
                keys=items,
                concurrency=args.concurrency or DEFAULT_CONCURRENCY,
                timeout=timeout,
                sources=args.sources,
                attach=attachments,
            ),
            self.user_ns,
            out=args.out,
            df=args.df,
            allow_errors=args.allow_errors,
        )

    def busy(self, thread_id: str | None) -> bool:
        """Whether a background answer is still streaming in ``thread_id``."""
        pending = self.background
        return pending is not None and not pending.done() and pending.thread_id == thread_id

    def _deliver(self, answer: Answer, succeeded: bool, *, out: str | None = None, df: str | None = None) -> None:
        """Put the answer where the notebook reads it: always ``_alfa``; ``-o NAME`` and ``--df NAME``
        only when the answer succeeded, so a failed cell leaves the notebook's variables alone."""
        namespace = self.user_ns
        namespace["_alfa"] = answer
        if not succeeded:
            return
        if out:
            namespace[out] = answer
        if not df:
            return
        if answer.status == "no_results":
            print(f"alfa: no results, so `{df}` was left as it was.")
        else:
            namespace[df] = answer.to_dataframe(dtype_backend=self.dtype_backend) if answer.df is not None else None
            if answer.df is None:
                print(f"alfa: the answer has no table, so `{df}` is None.")

    def close(self) -> None:
        """Stop a background answer and close the client (``%unload_ext``)."""
        if self.background is not None:
            self.background.cancel()
        self.session.close()

    def _attachments(self, names: list[str], namespace: Mapping[str, Any]) -> list[Upload]:
        """``--attach NAME`` each read into a file before any thread is made: a notebook variable
        (a DataFrame, a Series, a figure, bytes, a Path), else a file's path. Says which was sent."""
        from ..attachments import upload

        limit = self.session.client().settings.max_attachment_bytes
        chosen = []
        for given in names:
            variable = given if given.isidentifier() and given in namespace else None
            try:
                if variable is not None:
                    made = upload(namespace[variable], variable=variable, limit=limit)
                else:
                    made = upload(os.path.expanduser(given), limit=limit)
            except AttachmentError as error:
                raise short(error, f"AttachmentError: --attach {given} {error.reason}") from None
            chosen.append(made)
        for made in chosen:
            print(f"alfa: attached {made.name} ({made.origin})")
        return chosen
