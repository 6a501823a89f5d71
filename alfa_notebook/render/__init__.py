"""Presentation: an Answer (or a Turn still streaming) as HTML, Markdown, plain text and JSON.

One renderer, several sinks: the magics and the live sinks (widget, display handle, terminal)
call these functions; nothing here displays anything itself.

* :func:`answer_bundle` - the final output of a turn, ``(data, metadata)`` for
  ``display(data, metadata=metadata, raw=True)``: ``text/html``, ``text/markdown``,
  ``text/plain`` and ``application/vnd.alfa.answer+json``; metadata under ``"alfa"``.
* :func:`answer_text` - the plain-text rendering (terminal sink, ``text/plain``).
* :func:`live_html`, :func:`live_text` - the streaming view, cheap enough for ~10 updates a second.

Everything from the service is untrusted; all escaping and sanitising is in :mod:`.safe`.
pandas, markdown-it and nh3 are imported when first needed, not with this package; and so is the
renderer itself: ``%load_ext alfa_notebook`` needs only :mod:`.safe` (for the magics' one-line
errors), so the names below load their modules on first use, as the package's own names do.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_MODULES = {
    "MIME_JSON": "bundle",
    "answer_bundle": "bundle",
    "answer_text": "bundle",
    "live_html": "live",
    "live_text": "live",
    "live_views": "live",
}
__all__ = list(_MODULES)


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:  # also how ``from alfa_notebook.render import walk`` finds the submodule
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from .bundle import MIME_JSON as MIME_JSON
    from .bundle import answer_bundle as answer_bundle
    from .bundle import answer_text as answer_text
    from .live import live_html as live_html
    from .live import live_text as live_text
    from .live import live_views as live_views
