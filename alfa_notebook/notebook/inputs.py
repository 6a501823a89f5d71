"""Keep a one-line question ending in ``?`` a question.

IPython reads any line ending in ``name?`` as a help request, before magics run: ``%alfa Why did
NVDA rally?`` would show help on ``rally`` instead of asking. This cleanup transformer, registered
with the extension, turns such ``%alfa`` lines into the magic call itself. ``%alfa?`` (the help)
and ``%%alfa`` cells (whose body IPython leaves alone anyway) are not touched.
"""

from __future__ import annotations

import re

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
