"""How a ``%alfa`` line splits into options, a question, or a subcommand.

A question is prose: it has apostrophes ("NVDA's margin"), percentages ("-5%") and quotes, which
a shell-style split of the whole line would choke on. So only the leading options are tokenised
(each option's arity comes from the magic's own argument parser); the question is the rest of the
line, untouched. ``--`` ends the options, so ``%alfa -- history of NVDA`` asks instead of running
the ``history`` subcommand. Whether a line is a subcommand is decided in :mod:`.subcommands`.
"""

from __future__ import annotations

import argparse
import re
import shlex
from dataclasses import dataclass

from IPython.core.error import UsageError

_TOKEN = re.compile(r"""\s*("(?:[^"\\]|\\.)*"|'[^']*'|\S+)""")


@dataclass(frozen=True)
class Line:
    options: str  # the leading options, as written
    question: str  # the rest of the line
    explicit: bool  # ``--`` said that the rest is a question


def split(line: str, parser: argparse.ArgumentParser) -> Line:
    """Split a line into its leading options and the question after them."""
    takes_value = {opt: action.nargs != 0 for action in parser._actions for opt in action.option_strings}
    pos = 0
    expects_value = False
    while True:
        match = _TOKEN.match(line, pos)
        if match is None:
            return Line(line[:pos].strip(), "", False)
        token = match.group(1)
        if expects_value:
            expects_value = False
        elif token == "--":
            return Line(line[:pos].strip(), line[match.end() :].strip(), True)
        elif token.startswith("-"):
            name = token.split("=", 1)[0]
            if name not in takes_value and takes_value.get(token[:2]) and token[1] != "-":
                name, token = token[:2], token[:2] + "=" + token[2:]  # -oNAME, as argparse allows
            if name not in takes_value:
                raise UsageError(
                    f"unknown option {name!r} (`%alfa help` lists the options); to ask a question that starts with '-', "
                    f"write `%alfa -- {line[match.start(1) :].strip()}`"
                )
            expects_value = takes_value[name] and "=" not in token
        else:
            return Line(line[:pos].strip(), line[match.start(1) :].strip(), False)
        pos = match.end()


def parse(parser: argparse.ArgumentParser, options: str) -> argparse.Namespace:
    """Parse options as a POSIX shell would quote them (``-t 'My thread'``), keeping backslashes
    (``--attach C:\\data\\q2.csv``). IPython's own splitter leaves the quotes in the values."""
    lexer = shlex.shlex(options, posix=True)
    lexer.whitespace_split = True
    lexer.escape = ""
    try:
        argv = list(lexer)
    except ValueError as error:
        raise UsageError(f"{error} in the options: {options!r}") from None
    try:
        return parser.parse_args(argv)
    except UsageError as error:  # argparse's "unrecognized arguments: --bogus"
        raise UsageError(f"{error}; `%alfa help` lists the options.") from None
