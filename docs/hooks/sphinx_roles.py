"""A Griffe extension for the API reference: the docstrings' Sphinx roles become links.

The docstrings write ``:class:`~alfa_notebook.Answer``` (read well in ``help()`` and IDEs);
mkdocstrings renders Markdown, so each role becomes a cross-reference when its target resolves,
and code text otherwise. A cross-reference to a page that does not exist fails the strict build.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:class|func|meth|attr|data|mod|exc|obj):`(~?)([\w.]+)`")


def _link(obj: griffe.Object, match: re.Match[str]) -> str:
    short, target = match.group(1) == "~", match.group(2)
    shown = target.rsplit(".", 1)[-1] if short else target
    if target.startswith("alfa_notebook."):
        return f"[`{shown}`][{target}]"
    try:
        path = obj.resolve(target) if not target.startswith(".") else None
    except (griffe.NameResolutionError, AttributeError):
        path = None
    return f"[`{shown}`][{path}]" if path else f"`{shown}`"


class SphinxRoles(griffe.Extension):
    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None and ":`" in obj.docstring.value:
            obj.docstring.value = _ROLE.sub(lambda m: _link(obj, m), obj.docstring.value)
