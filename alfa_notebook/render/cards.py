"""Citation cards: one collapsed ``<details>`` per citation, built from escaped text only.

The summary line reads well with or without the stylesheet: ``[3] news Title — publisher ·
2025-06-30``; inside are the snippet with its highlighted span in ``<mark>``, the link (http, https
or mailto only, opening in a new tab without referrer) and type-specific notes. A link with any
other scheme is shown as text, so the reader still sees what the service sent.
"""

from __future__ import annotations

from collections.abc import Sequence

from .citations import CitationFacts
from .safe import LINK_REL, bidi, esc


def anchor(uid: str, number: int) -> str:
    return f"alfa-src-{uid}-{number}"


def marker(uid: str, number: int) -> str:
    """The inline ``[n]`` linking to card ``n``, which opens without script; plain ``[n]`` text
    where the link could not work.

    The link's target is an ``<a name>`` inside the collapsed card: following a fragment, browsers
    open the closed ``<details>`` that holds its target. It is a ``name``, not an ``id``, because
    JupyterLab handles a click on a ``#id`` link itself, with ``scrollIntoView`` (which opens
    nothing), but leaves a link whose target it cannot find by id to the browser.

    An untrusted notebook's sanitiser strips the ``name`` (and the stylesheet), so there the link
    would lead nowhere: it is ``hidden`` unless this output's stylesheet shows it (as a chart's
    drawing is), and the plain ``[n]`` beside it is what such a reader sees, the number of a card
    in the Sources below."""
    return (
        f'<sup class="alfa-cite"><a href="#{anchor(uid, number)}" hidden="hidden">[{number}]</a>'
        f'<span class="alfa-cite-n">[{number}]</span></sup>'
    )


def card(facts: CitationFacts, uid: str) -> str:
    badge_class = facts.badge if facts.known_badge else "other"
    meta = " · ".join(bidi(part) for part in (facts.publisher, facts.date) if part)
    summary = (
        f'<summary><span class="alfa-n">[{facts.number}]</span> '
        f'<span class="alfa-badge alfa-badge-{badge_class}">{bidi(facts.badge)}</span> '
        f'<strong class="alfa-card-title">{bidi(facts.title)}</strong>'
        + (f' <span class="alfa-meta">— {meta}</span>' if meta else "")
        + "</summary>"
    )
    body = [_snippet(facts), _link(facts)]
    if facts.extras:
        body.append(f'<p class="alfa-extra"><small>{" · ".join(esc(e) for e in facts.extras)}</small></p>')
    inner = "".join(part for part in body if part) or '<p class="alfa-extra"><small>No details.</small></p>'
    body_html = f'<div class="alfa-card-body"><a name="{anchor(uid, facts.number)}"></a>{inner}</div>'
    return f'<details class="alfa-card">{summary}{body_html}</details>'


def _snippet(facts: CitationFacts) -> str:
    if not facts.snippet:
        return ""
    text = facts.snippet
    if facts.highlight is None:
        return f'<blockquote class="alfa-snippet">{esc(text)}</blockquote>'
    start, end = facts.highlight
    return (
        f'<blockquote class="alfa-snippet">{esc(text[:start])}<mark>{esc(text[start:end])}</mark>'
        f"{esc(text[end:])}</blockquote>"
    )


def _link(facts: CitationFacts) -> str:
    if facts.href is not None:
        return (
            f'<p class="alfa-link"><a href="{esc(facts.href)}" rel="{LINK_REL}" target="_blank">'
            f"{bidi(facts.url)}</a></p>"
        )
    if facts.url:
        return f'<p class="alfa-link alfa-unsafe"><small>Not a web link, not opened:</small> <code>{bidi(facts.url)}</code></p>'
    return ""


def citations_section(all_facts: Sequence[CitationFacts], uid: str) -> str:
    if not all_facts:
        return ""
    cards = "".join(card(f, uid) for f in all_facts)
    return f'<div class="alfa-sources"><p class="alfa-sources-title"><strong>Sources</strong></p>{cards}</div>'
