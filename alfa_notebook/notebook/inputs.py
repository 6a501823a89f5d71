"""Keep a one-line question ending in ``?`` a question.

IPython reads any line ending in ``name?`` as a help request, before magics run: ``%alfa Why did
NVDA rally?`` would show help on ``rally`` instead of asking. This cleanup transformer, registered
with the extension, turns such ``%alfa`` lines into the magic call itself. ``%alfa?`` (the help)
and ``%%alfa`` cells (whose body IPython leaves alone anyway) are not touched.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

_LINE = re.compile(r"^(?P<indent>[ \t]*)(?P<assign>[A-Za-z_][\w.]*[ \t]*=[ \t]*)?%alfa[ \t]+(?P<rest>.*\?)[ \t]*$")


def keep_question_marks(lines: list[str]) -> list[str]:
    """An IPython cleanup input transformer (``shell.input_transformers_cleanup``)."""
    if not lines or lines[0].lstrip().startswith("%%"):
        return lines
    out = []
    for line in lines:
        body = line.rstrip("\r\n")
        match = _LINE.match(body)
        if match is not None:
            ending = line[len(body) :]
            call = f"get_ipython().run_line_magic('alfa', {match['rest']!r})"
            line = f"{match['indent']}{match['assign'] or ''}{call}{ending}"
        out.append(line)
    return out


# -- the cell that loads the extension ------------------------------------------------------------
#
# IPython transforms a whole cell before running any of it, so in a cell (or an ``ipython
# script.ipy``, one cell) that runs ``%load_ext alfa_notebook`` and then ``%alfa ... AVGO?``, the
# transformer above is registered too late: the line has already become the help call
# ``get_ipython().run_line_magic('pinfo', 'AVGO')``. What the help call was made from is still known
# (the running cell's source), so for the rest of this cell ``%pinfo`` asks each such question
# instead, in order. A line above ``%load_ext`` has run as help already: the cell fails with one
# line saying how to write it.


@dataclass(frozen=True)
class Misread:
    """A ``%alfa ...?`` line IPython turned into a help call: what it meant, what it became."""

    question: str
    assign: str | None
    target: str  # what %pinfo was called with


_LOAD = re.compile(r"^\s*%(?:re)?load_ext\s+alfa_notebook\b")


def misread_lines(ipython: Any) -> tuple[list[Misread], list[Misread]]:
    """The ``%alfa ...?`` lines of the running cell that IPython read as help, in order: those
    before the line that loads the extension (they have run) and those after it (still to run).
    Call it before :func:`keep_question_marks` is registered, which would mend them."""
    result = getattr(ipython.displayhook, "exec_result", None)
    raw = getattr(getattr(result, "info", None), "raw_cell", None)
    before: list[Misread] = []
    after: list[Misread] = []
    if not isinstance(raw, str) or raw.lstrip().startswith("%%"):
        return before, after
    lines = raw.splitlines()
    loads = next((i for i, line in enumerate(lines) if _LOAD.match(line)), -1)
    for number, line in enumerate(lines):
        match = _LINE.match(line)
        target = None if match is None else _help_target(ipython, line.strip())
        if match is not None and target is not None:
            assign = (match["assign"] or "").split("=")[0].strip() or None
            (before if number < loads else after).append(Misread(match["rest"], assign, target))
    return before, after


def _help_target(ipython: Any, line: str) -> str | None:
    """What IPython's own transformers make of ``line`` without ours: the ``%pinfo`` argument."""
    try:
        code = ipython.input_transformer_manager.transform_cell(line + "\n")
        call = ast.parse(code).body[0]
    except (SyntaxError, IndexError):
        return None
    value = call.value if isinstance(call, ast.Expr) else None
    if not isinstance(value, ast.Call) or len(value.args) != 2:
        return None
    name, argument = (a.value if isinstance(a, ast.Constant) else None for a in value.args)
    return argument if name in ("pinfo", "pinfo2", "psearch") and isinstance(argument, str) else None


def ask_misread_lines(ipython: Any, misread: list[Misread]) -> None:
    """Until this cell ends, ``%pinfo TARGET`` from a misread line asks that line's question."""
    if not misread:
        return
    pending = list(misread)
    magics = ipython.magics_manager.magics["line"]
    originals = {name: magics.get(name) for name in ("pinfo", "pinfo2", "psearch")}

    def helper(name: str) -> Any:
        def help_or_ask(target: str = "") -> Any:
            for position, line in enumerate(pending):
                if line.target == target:
                    del pending[position]
                    value = ipython.run_line_magic("alfa", line.question)
                    if line.assign and line.assign.isidentifier():
                        ipython.user_ns[line.assign] = value
                    return value
            magics[name] = originals[name]  # real help: IPython's own magic, however it is loaded
            try:
                return ipython.run_line_magic(name, target)
            finally:
                magics[name] = help_or_ask

        return help_or_ask

    for name in originals:
        magics[name] = helper(name)

    def restore(*_: Any) -> None:  # post_execute: also after a silent cell (an ``ipython script.ipy``)
        ipython.events.unregister("post_execute", restore)
        for name, original in originals.items():
            if original is None:
                magics.pop(name, None)
            else:
                magics[name] = original

    ipython.events.register("post_execute", restore)
