"""Escaping and sanitising, in one place: everything from the service is untrusted.

Three kinds of output get three kinds of escaping:

* HTML built here from strings (titles, cells, ids, logs): :func:`esc` (``html.escape`` plus
  ``$`` as ``&#36;``); links only through :func:`safe_href`.
* HTML that markdown-it made from the answer's Markdown: :func:`clean_html`, nh3 with an explicit
  allow-list (:data:`TAGS`, :data:`ATTRIBUTES`), on top of markdown-it's own ``html=False``.
* Markdown and plain text: :func:`md_text` for a plain string placed in Markdown, :func:`plain`
  for the terminal (control and bidi characters made visible, so no escape sequence or
  reordering reaches a tty).

``$`` is escaped everywhere because JupyterLab typesets ``$...$`` in HTML and Markdown outputs;
the root element also carries ``tex2jax_ignore mathjax_ignore`` (see :data:`NO_MATH_CLASSES`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

# MathJax 2 (classic notebook, nbconvert) skips ``tex2jax_ignore``, MathJax 3.2+ (JupyterLab 4,
# Notebook 7) ``mathjax_ignore``; the character entity alone does not help, MathJax reads the DOM.
NO_MATH_CLASSES = "tex2jax_ignore mathjax_ignore"

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})

# What markdown-it produces with our configuration (see markdown_html.py), nothing more.
TAGS = frozenset({
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
})  # fmt: skip
ATTRIBUTES: Mapping[str, frozenset[str]] = {"a": frozenset({"href", "title"}), "ol": frozenset({"start"})}
_ALIGN = frozenset({"left", "right", "center"})
TAG_ATTRIBUTE_VALUES: Mapping[str, Mapping[str, frozenset[str]]] = {"th": {"align": _ALIGN}, "td": {"align": _ALIGN}}
SET_ATTRIBUTES: Mapping[str, Mapping[str, str]] = {"a": {"target": "_blank"}}
LINK_REL = "noopener noreferrer"

# Private-use characters that the renderers use as placeholders inside Markdown source; the
# service's text never contains them (scrub_placeholders), so a marker cannot be forged.
PLACEHOLDER_RANGE = re.compile("[\ue000-\ue00f]")

# C0 and C1 controls (escape sequences), and the bidirectional embeddings, overrides and isolates
# (U+202A-U+202E, U+2066-U+2069), which reorder what a terminal shows around them.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_URL_NOISE = re.compile("[\x00-\x20\x7f]+")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~$])")
_MD_INERT = re.compile(r"[$<]")


def esc(value: Any) -> str:
    """Text (any value) as HTML text or attribute value; ``$`` as ``&#36;``."""
    return html.escape(str(value), quote=True).replace("$", "&#36;")


def bidi(value: Any) -> str:
    """Escaped text in ``<bdi>``: a right-to-left override in it cannot reorder the text around."""
    return f"<bdi>{esc(value)}</bdi>"


def safe_href(url: Any) -> str | None:
    """``url`` if it is an absolute http, https or mailto link, else None.

    Decides on what a browser would see: entities decoded, ASCII whitespace and controls (which
    URL parsers drop, ``java\\tscript:``) removed, case folded.
    """
    if not isinstance(url, str):
        return None
    candidate = url.strip()
    probe = _URL_NOISE.sub("", html.unescape(candidate)).lower()
    scheme, colon, _ = probe.partition(":")
    if not colon or scheme not in SAFE_SCHEMES or _URL_NOISE.search(candidate.replace(" ", "")):
        return None
    if scheme != "mailto" and not probe.startswith(f"{scheme}://"):
        return None
    return candidate.replace(" ", "%20")


def scrub_placeholders(text: str) -> str:
    """``text`` with the placeholder characters replaced one for one (offsets are kept)."""
    return PLACEHOLDER_RANGE.sub("\ufffd", text) if max(text, default="\x00") >= "\ue000" else text


def md_text(value: Any) -> str:
    """A plain string (title, cell, id) inside Markdown: shown literally, never markup."""
    text = " ".join(str(value).split())  # one line: a newline would end a table row or list item
    return _MD_SPECIAL.sub(r"\\\1", text.replace("&", "&amp;").replace("<", "&lt;"))


def md_inert(markdown: str) -> str:
    """The service's Markdown (outside code) without raw HTML, autolinks or TeX: ``<`` and ``$``
    escaped, the rest left to mean what it means."""
    return _MD_INERT.sub(lambda m: "&lt;" if m.group() == "<" else "\\$", markdown)


def plain(value: Any) -> str:
    """Text for a terminal: control characters (escape sequences) shown as ``\\x1b``, bidi
    controls as ``\\u202e``, not sent."""
    text = str(value)
    return _CONTROL.sub(_visible, text) if _CONTROL.search(text) else text


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """Second line behind markdown-it's link validation: only absolute safe links survive.
    (``href`` is the one link attribute :data:`ATTRIBUTES` allows.)"""
    if attribute == "href":
        return value if safe_href(value) else None
    return value


@lru_cache(maxsize=1)
def _cleaner_options() -> dict[str, Any]:
    return {
        "tags": set(TAGS),
        "clean_content_tags": {"script", "style"},
        "attributes": {tag: set(names) for tag, names in ATTRIBUTES.items()},
        "tag_attribute_values": {t: {a: set(v) for a, v in m.items()} for t, m in TAG_ATTRIBUTE_VALUES.items()},
        "set_tag_attribute_values": {t: dict(m) for t, m in SET_ATTRIBUTES.items()},
        "url_schemes": set(SAFE_SCHEMES),
        "link_rel": LINK_REL,
        "attribute_filter": _attribute_filter,
        "strip_comments": True,
        "generic_attribute_prefixes": set(),
    }


def clean_html(fragment: str) -> str:
    """Sanitise HTML that markdown-it made from untrusted Markdown; then escape ``$``.

    ``$`` is replaced in the serialised string, attributes included, where an entity means the
    same character, so this is safe after sanitising.
    """
    import nh3

    return nh3.clean(fragment, **_cleaner_options()).replace("$", "&#36;")
