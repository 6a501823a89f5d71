"""A batch as static output: the counts, the time, and a table of the items with their status and
a short answer. Plain HTML (no widget state), so it survives a reload and headless runs; every
string from the service is escaped. The items themselves are saved as data beside it
(``application/vnd.alfa.batch+json``), each table cut as a single answer's is, so that
``load_answers`` reads them back."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..results.batch import MIME_BATCH, describe_error
from ..wire.settings import resolve_saved_rows
from .artifacts import jsonable
from .markdown_html import words
from .safe import bidi, esc, plain

if TYPE_CHECKING:
    from ..many import Tally
    from ..results.answer import Answer
    from ..results.batch import Batch

ROWS = 50  # items listed in the summary; batch.to_dataframe() has every row
SHORT = 120  # characters of each answer shown
_COLOURS = {"complete": "#1a7f37", "no_results": "#6e7781", "cancelled": "#9a6700", "error": "#cf222e"}


def headline(batch: Batch) -> str:
    """``200 questions in 31.2 s: 198 complete, 2 error`` (and ``, interrupted``)."""
    counts = ", ".join(f"{n} {status}" for status, n in sorted(batch.counts().items()))
    stopped = " (interrupted)" if batch.interrupted else ""
    noun = "question" if len(batch) == 1 else "questions"
    return f"{len(batch)} {noun} in {batch.elapsed:.1f} s: {counts or 'nothing asked'}{stopped}"


def short(answer: Answer, limit: int = SHORT) -> str:
    """The answer's first words on one line (its Markdown read as text); for a failed item, why
    it failed (what arrived before the error is in the Batch)."""
    failure = describe_error(answer.error) if answer.status == "error" else None
    text = failure or words(answer.text) or (describe_error(answer.error) or "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def progress_line(tally: Tally) -> str:
    """``37/200 done · 2 failed · 8 running · 4.1/s · ~40 s left``, with ``waiting: rate limit
    (7 s)`` while a 429 holds the client's requests (else a stalled count reads as a hang)."""
    parts = [f"{tally.done}/{tally.total} done"]
    if tally.failed:
        parts.append(f"{tally.failed} failed")
    parts.append(f"{tally.running} running")
    paused = tally.paused() if tally.finished is None else 0.0
    if paused > 0:
        parts.append(f"waiting: rate limit ({math.ceil(paused)} s)")
    if tally.done:
        parts.append(f"{tally.rate:.1f}/s")
    if tally.left is not None and tally.done < tally.total:
        parts.append(f"~{tally.left:.0f} s left")
    return " · ".join(parts)


def progress_html(tally: Tally) -> str:
    share = 100 * tally.done / tally.total if tally.total else 100
    return (
        '<div class="alfa-batch-live" style="font-family:sans-serif;font-size:13px">'
        f"<div>Asking Alfa · {esc(progress_line(tally))} · {tally.elapsed:.0f} s</div>"
        '<div style="background:#eaeef2;height:6px;border-radius:3px;margin-top:4px;max-width:480px">'
        f'<div style="background:#0969da;height:6px;border-radius:3px;width:{share:.1f}%"></div></div></div>'
    )


def batch_text(batch: Batch, rows: int = ROWS) -> str:
    lines = [f"Alfa: {headline(batch)}"]
    for key, answer in list(zip(batch.keys, batch.answers))[:rows]:
        lines.append(plain(f"  {str(key)[:24]:<24} {answer.status:<10} {short(answer, 80)}"))
    if len(batch) > rows:
        lines.append(f"  … {len(batch) - rows} more: batch.to_dataframe() has every row")
    return "\n".join(lines)


def batch_html(batch: Batch, rows: int = ROWS) -> str:
    body = "".join(
        "<tr>"
        f'<td style="text-align:left">{bidi(key)}</td>'
        f'<td style="text-align:left;color:{_COLOURS.get(a.status, "#57606a")}">{esc(a.status)}</td>'
        f'<td style="text-align:left">{bidi(short(a))}</td>'
        "</tr>"
        for key, a in list(zip(batch.keys, batch.answers))[:rows]
    )
    more = (
        f'<p style="color:#57606a">… {len(batch) - rows} more: <code>batch.to_dataframe()</code> has every row.</p>'
        if len(batch) > rows
        else ""
    )
    return (
        '<div class="alfa-batch" style="font-family:sans-serif;font-size:13px">'
        f"<p><strong>Alfa</strong> · {esc(headline(batch))}</p>"
        '<table><thead><tr><th style="text-align:left">key</th><th style="text-align:left">status</th>'
        f'<th style="text-align:left">answer</th></tr></thead><tbody>{body}</tbody></table>{more}</div>'
    )


def batch_json(batch: Batch, saved_rows: int | None = None) -> dict[str, Any]:
    """The items as data, :meth:`Batch.to_dict` with each table cut to ``saved_rows`` rows
    (``ALFA_SAVED_ROWS``, as a single answer's), as plain JSON data."""
    rows = resolve_saved_rows() if saved_rows is None else saved_rows
    data: dict[str, Any] = jsonable(batch.to_dict(max_rows=rows))
    return data


def batch_bundle(
    batch: Batch, rows: int = ROWS, saved_rows: int | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(data, metadata)`` for ``display(..., raw=True)``: HTML and plain text (``rows`` items
    listed), and every item as data (``saved_rows`` rows of each table)."""
    data = {
        "text/html": batch_html(batch, rows),
        "text/plain": batch_text(batch, rows),
        MIME_BATCH: batch_json(batch, saved_rows),
    }
    metadata = {"alfa": {"batch": {"items": len(batch), "counts": batch.counts(), "interrupted": batch.interrupted}}}
    return data, metadata
