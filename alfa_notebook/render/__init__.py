"""Presentation: an Answer (or a Turn still streaming) as HTML, Markdown, plain text and JSON.

One renderer, several sinks: the magics and the live sinks (widget, display handle, terminal)
call these functions; nothing here displays anything itself.

* :func:`answer_bundle` - the final output of a turn, ``(data, metadata)`` for
  ``display(data, metadata=metadata, raw=True)``: ``text/html``, ``text/markdown``,
  ``text/plain`` and ``application/vnd.alfa.answer+json``; metadata under ``"alfa"``.
* :func:`answer_text` - the plain-text rendering (terminal sink, ``text/plain``).
* :func:`live_html`, :func:`live_text` - the streaming view, cheap enough for ~10 updates a second.

Everything from the service is untrusted; all escaping and sanitising is in :mod:`.safe`.
pandas, markdown-it and nh3 are imported when first needed, not with this package.
"""

from __future__ import annotations

from .bundle import MIME_JSON, answer_bundle, answer_text
from .live import live_html, live_text, live_views

__all__ = ["MIME_JSON", "answer_bundle", "answer_text", "live_html", "live_text", "live_views"]
