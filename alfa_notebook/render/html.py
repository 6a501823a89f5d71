"""The final ``text/html``: answer, artifacts in place, citation cards, footer, in one scoped root.

Structure (semantic, readable without the stylesheet, which GitHub and nbviewer may drop)::

    <div class="alfa-answer tex2jax_ignore mathjax_ignore" id="alfa-<uid>">
      <style>…</style>
      [status banner: cancelled / error, with the warnings]
      <div class="alfa-body"> answer HTML, [n] markers, tables / charts in place </div>
      <div class="alfa-sources"> one collapsed <details> per source; [n] links into it </div>
      <div class="alfa-footer"> thread · message · elapsed </div>
    </div>

A chart is an ``<svg>`` in a ``hidden`` box that the stylesheet shows, beside a note that the
stylesheet hides, then its data in a ``<details>``: where a sanitiser removes the drawing and the
stylesheet (an untrusted notebook in JupyterLab), the note and the data read in its place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from . import cards, markdown_html, svg
from .artifacts import ArtifactView
from .grid import to_html
from .safe import NO_MATH_CLASSES, bidi, esc
from .status import note
from .style import CSS
from .walk import Cite, Document, Embed, Prose

if TYPE_CHECKING:
    from .prepared import Prepared


def root(uid: str | None, inner: str, extra_class: str = "") -> str:
    """The scoped root: classes for the stylesheet and against MathJax, the stylesheet, ``inner``."""
    classes = " ".join(c for c in ("alfa-answer", extra_class, NO_MATH_CLASSES) if c)
    ident = f' id="alfa-{uid}"' if uid else ""
    return f'<div class="{classes}"{ident}><style>{CSS}</style>{inner}</div>'


def body(
    doc: Document,
    view_of: Callable[[str | None], ArtifactView],
    uid: str,
    *,
    incremental: bool = False,
) -> str:
    """The answer's HTML with markers and artifacts in place."""
    parts: list[str] = []
    embeds: list[str | None] = []
    for segment in doc.segments:
        if isinstance(segment, Prose):
            parts.append(segment.text)
        elif isinstance(segment, Cite):
            parts.extend(markdown_html.cite_placeholder(n) for n in segment.numbers)
        elif isinstance(segment, Embed):
            parts.append(markdown_html.embed_placeholder(len(embeds)))
            embeds.append(segment.artifact_id)
    source = "".join(parts)
    rendered = markdown_html.render_blocks(source) if incremental else markdown_html.render(source)
    html, cited, embedded = markdown_html.fill(
        rendered,
        cite=lambda n: cards.marker(uid, n),
        embed=lambda i: artifact(view_of(embeds[i]), uid),
    )
    # Whatever the Markdown swallowed (a placeholder inside a link, say) is appended, not lost.
    placed = [n for s in doc.segments if isinstance(s, Cite) for n in s.numbers]
    lost = [n for n in placed if n not in cited]
    if lost:
        html += f'<p class="alfa-cites">{"".join(cards.marker(uid, n) for n in lost)}</p>'
    return html + "".join(artifact(view_of(embeds[i]), uid) for i in range(len(embeds)) if i not in embedded)


def artifact(view: ArtifactView, uid: str = "") -> str:
    """One artifact as HTML, by kind; ``uid`` the output's, for markers linking to its cards."""

    def cite(n: int) -> str:
        return cards.marker(uid, n)

    marks = "".join(cite(n) for n in view.table.title_marks) if view.table is not None else ""
    title = f'<p class="alfa-artifact-title"><strong>{esc(view.title)}</strong>{marks}</p>' if view.title else ""
    notice = f'<p class="alfa-notice"><small>{esc(view.note)}</small></p>' if view.note else ""
    if view.kind == "table" and view.table is not None:
        return f'<div class="alfa-artifact alfa-table-artifact">{to_html(view.table, cite=cite)}</div>'
    if view.kind == "chart" and view.table is not None:
        drawing = svg.svg(view.frame, view.title) if view.frame is not None else None
        count = view.table.count_note or f"{view.table.total:,} rows"
        data = f"<details><summary>Data ({count})</summary>{to_html(view.table, caption=False, cite=cite)}</details>"
        return f'<div class="alfa-artifact alfa-chart">{title}{_plot(drawing) if drawing else ""}{data}</div>'
    if view.kind == "text" and view.text is not None:
        text = markdown_html.render(view.text)
        return f'<div class="alfa-artifact alfa-text">{title}<div class="alfa-text-body">{text}</div></div>'
    if view.kind == "json" and view.json is not None:
        label = bidi(view.title) if view.title else f"Artifact {bidi(view.artifact_id)}"
        return (
            f'<div class="alfa-artifact alfa-json">{notice}<details><summary>{label} (JSON)</summary>'
            f"<pre>{esc(view.json)}</pre></details></div>"
        )
    if view.kind == "pending":
        if view.artifact_id is None:
            return ""  # a marker still arriving: nothing to show yet
        return '<p class="alfa-artifact alfa-pending"><small>table or chart loading…</small></p>'
    return f'<p class="alfa-artifact alfa-missing">⚠ {esc(view.note or "This artifact is not available.")}</p>'


NO_PLOT = (
    "The chart is not drawn here: this viewer removed the drawing (in JupyterLab, trust the notebook"
    " to see it). Its data is below."
)


def _plot(drawing: str) -> str:
    """The drawing, and a note for where it is removed; each shown only where it reads well.

    Sanitisers (JupyterLab's for an untrusted notebook, GitHub's) drop ``<svg>`` but keep its
    text, one run-on line of labels, and drop our ``<style>``, but keep ``hidden``: so the drawing
    sits in a ``hidden`` box that the stylesheet shows, and the note is hidden by the stylesheet.
    (``hidden="hidden"``: JupyterLab's sanitiser drops attributes with an empty value.)"""
    return f'<div class="alfa-plot" hidden="hidden">{drawing}</div><p class="alfa-no-plot"><small>{esc(NO_PLOT)}</small></p>'


def banner(status: str, warnings: list[str]) -> str:
    said = note(status)
    if said is None:
        return ""
    items = "".join(f"<li>{esc(w)}</li>" for w in warnings)
    return (
        f'<div class="alfa-status alfa-status-{"error" if status == "error" else "cancelled"}" role="status">'
        f"<strong>{esc(said[0])}:</strong> {esc(said[1])}{f'<ul>{items}</ul>' if items else ''}</div>"
    )


def footer(p: Prepared) -> str:
    line = p.footer(code="<code>{}</code>", escape=bidi)
    if p.answer.status != "complete":
        line += f" · {esc(p.answer.status)}"
    elif p.answer.warnings:
        line += "".join(f"<br>⚠ {esc(w)}" for w in p.answer.warnings)
    return f'<div class="alfa-footer"><small>{line}</small></div>'


def answer_html(p: Prepared, uid: str) -> str:
    """The whole final output."""
    text = body(p.doc, p.view_of, uid)
    text += "".join(artifact(v, uid) for v in p.unplaced.values())
    if not text.strip():
        text = '<p class="alfa-empty"><em>No answer text.</em></p>'
    inner = (
        banner(p.answer.status, p.answer.warnings)
        + f'<div class="alfa-body">{text}</div>'
        + cards.citations_section(p.sources, uid)
        + footer(p)
    )
    return root(uid, inner)
