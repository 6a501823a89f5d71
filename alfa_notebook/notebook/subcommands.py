"""The ``%alfa`` subcommands, listed once: name, usage, argument parser, and the function that runs it.

The help, the line parser and the dispatcher all read :data:`SUBCOMMANDS`; adding a subcommand is
one :func:`register` call (its function may live in any module of the package, imported when it
first runs, so ``%load_ext`` stays cheap). Each subcommand parses its own argument and refuses a
wrong one with a :class:`UsageError` that says what it takes.

A line is a subcommand when its first word is one and what follows fits (``history 5``). A first
word that names one but is followed by several words is a question (``%alfa status of AMD's
earnings``); a single word that does not fit is refused (``history abc``: "history takes a
number"), and so is a single word close to a subcommand (``histroy``: did you mean 'history'?),
before any thread is made or any query spent. ``%alfa -- ...`` always asks.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from IPython.core.error import UsageError

Parse = Callable[[str], Any]


@dataclass(frozen=True)
class Subcommand:
    name: str
    usage: str  # as the help shows it: "history [N]"
    parse: Parse  # the argument as written -> the value passed on; UsageError if it does not fit
    target: str  # "module:function", the module relative to this package (alfa_notebook.notebook)

    def function(self) -> Callable[[Any, Any], Any]:
        module, _, name = self.target.partition(":")
        function: Callable[[Any, Any], Any] = getattr(importlib.import_module(module, __package__), name)
        return function


SUBCOMMANDS: dict[str, Subcommand] = {}


def register(name: str, usage: str, parse: Parse, target: str) -> None:
    SUBCOMMANDS[name] = Subcommand(name, usage, parse, target)


def usages() -> str:
    """The subcommands as the help lists them: ``help | status | ... | history [N] | ...``."""
    return " | ".join(s.usage for s in SUBCOMMANDS.values())


# -- argument parsers -------------------------------------------------------------------------


def no_argument(name: str) -> Parse:
    def parse(rest: str) -> None:
        if rest:
            raise UsageError(f"{name} takes no argument; to ask a question, write `%alfa -- {name} {rest}`.")

    return parse


def count(name: str) -> Parse:
    def parse(rest: str) -> int | None:
        if not rest:
            return None
        if not rest.isdigit() or int(rest) == 0:
            raise UsageError(f"{name} takes a number above 0, as in `%alfa {name} 3`; not {rest!r}.")
        return int(rest)

    return parse


def text(name: str, *, required: bool) -> Parse:
    def parse(rest: str) -> str:
        value = _unquote(rest)
        if required and not value:
            raise UsageError(f"{name} takes a thread's id or name, as in `%alfa {name} Research log`.")
        return value

    return parse


def _cassette_argument(rest: str) -> Any:
    from .recording import parse  # light: shlex and the settings

    return parse(rest)


def _export_argument(rest: str) -> tuple[str, str | None]:
    """``PATH [--thread ID_OR_NAME]``, the path ending in .md, .html or .ipynb."""
    import shlex

    try:
        words = shlex.split(rest)
    except ValueError as error:
        raise UsageError(f"export: {error}; quote a path with spaces, as in `%alfa export 'my notes.md'`.") from None
    thread = None
    if len(words) == 3 and words[1] in ("--thread", "-t"):
        thread = words[2]
    elif len(words) != 1:
        raise UsageError("export takes a file and, optionally, a thread: `%alfa export notes.md [--thread ID]`.")
    if not words[0].lower().endswith((".md", ".html", ".ipynb")):
        raise UsageError(f"export writes .md, .html or .ipynb files, not {words[0]!r}.")
    return words[0], thread


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


register("help", "help", no_argument("help"), ".commands:help_")
register("status", "status", no_argument("status"), ".commands:status")
register("threads", "threads", no_argument("threads"), ".commands:threads")
register("new", "new [NAME]", text("new", required=False), ".commands:new")
register("use", "use ID_OR_NAME", text("use", required=True), ".commands:use")
register("history", "history [N]", count("history"), ".commands:history")
register("export", "export PATH [--thread ID]", _export_argument, ".commands:export")
register("cancel", "cancel", no_argument("cancel"), ".commands:cancel")
register("last", "last", no_argument("last"), ".commands:last")
register("version", "version", no_argument("version"), ".commands:version")
register("cassette", "cassette [PATH [MODE] | off]", _cassette_argument, ".recording:cassette")


# -- recognising a subcommand ---------------------------------------------------------------


def recognise(question: str) -> tuple[Subcommand, Any] | None:
    """``(subcommand, its parsed argument)`` when ``question`` (a line without options) calls one.

    None when it is a question. Raises :class:`UsageError` for a subcommand with a wrong argument
    or a single word close to a subcommand's name.
    """
    word, _, rest = question.strip().partition(" ")
    rest = rest.strip()
    one_token = len(rest.split()) <= 1
    spec = SUBCOMMANDS.get(word)
    if spec is not None:
        try:
            return spec, spec.parse(rest)
        except UsageError:
            if one_token:  # the shape of a subcommand call, with a wrong argument
                raise
            return None  # several words: a question that starts with this word
    if one_token:
        close = difflib.get_close_matches(word.lower(), list(SUBCOMMANDS), n=1, cutoff=0.8)
        if close:
            raise UsageError(
                f"unknown subcommand {word!r}; did you mean {close[0]!r}? "
                f"To ask it as a question, write `%alfa -- {question.strip()}`."
            )
    return None
