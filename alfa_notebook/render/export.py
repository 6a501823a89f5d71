"""A conversation written out as a document: ``client.export(thread_id, path)`` and ``%alfa export``.

The format follows the file's extension: ``.md`` (Markdown), ``.html`` (one self-contained,
sanitised page: no script, nothing loaded from elsewhere; each answer carries the stylesheet a
notebook output carries) and ``.ipynb`` (a notebook of ``%%alfa``
cells with their saved outputs, which ``load_answers()`` reads back). Each answer is rendered as
the notebook shows it, by the one renderer: questions and answers in order, tables as tables,
citations as numbered sources with their links, the files attached to a question named in its
footer. The output is a function of the answers alone (no clock, no counter), so a replayed thread
exports byte for byte the same; nothing in it is secret (answers never hold the key).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..wire.errors import ConfigurationError
from .artifacts import jsonable
from .bundle import bundle_with_uid, content_uid
from .safe import esc, md_text

if TYPE_CHECKING:
    from ..results.answer import Answer

FORMATS = (".md", ".html", ".ipynb")
TABLE_ROWS = 1000  # rows of each table written out: a document is read in full, not scrolled in a cell


def export_format(path: str | os.PathLike[str]) -> str:
    """The format ``path``'s extension asks for; ConfigurationError for any other."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ConfigurationError(
            f"cannot export to {os.fspath(path)!r}: name a file ending in .md, .html or .ipynb.", setting="path"
        )
    return suffix


def write(answers: Sequence[Answer], path: str | os.PathLike[str], *, thread_id: str) -> Path:
    """Write ``answers`` (a thread's, in order) to ``path`` in the format of its extension."""
    render: Callable[[Sequence[Answer], str], str] = _RENDERERS[export_format(path)]
    target = Path(path).expanduser()
    target.write_text(render(answers, thread_id), encoding="utf-8", newline="\n")
    return target


def _title(answers: Sequence[Answer]) -> str:
    first = answers[0].question if answers else ""
    line = " ".join(first.split())
    return f"Alfa: {line[:80]}{'…' if len(line) > 80 else ''}" if line else "Alfa conversation"


def _count(answers: Sequence[Answer]) -> str:
    return f"{len(answers)} question{'' if len(answers) == 1 else 's'}"


def to_markdown(answers: Sequence[Answer], thread_id: str) -> str:
    parts = [f"# {md_text(_title(answers))}\n\n", f"Thread `{md_text(thread_id)}`, {_count(answers)}.\n"]
    for number, answer in enumerate(answers, 1):
        data, _ = bundle_with_uid(answer, "", table_rows=TABLE_ROWS, name=None)
        parts.append(f"\n## {number}. {md_text(answer.question)}\n\n")
        parts.append(data["text/markdown"])
    return "".join(parts)


def to_html(answers: Sequence[Answer], thread_id: str) -> str:
    title = _title(answers)
    sections = []
    for number, answer in enumerate(answers, 1):
        data, _ = bundle_with_uid(answer, f"{number}-{content_uid(answer)}", table_rows=TABLE_ROWS, name=None)
        sections.append(
            f'<section class="alfa-exchange"><h2>{number}. {esc(answer.question)}</h2>{data["text/html"]}</section>'
        )
    page_css = (
        "body{max-width:60rem;margin:2rem auto;padding:0 1rem;font-family:system-ui,sans-serif;line-height:1.5}"
        ".alfa-exchange{margin:2.5rem 0}.alfa-exchange h2{font-size:1.15rem}"
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{page_css}</style></head><body>"
        f"<h1>{esc(title)}</h1><p>Thread <code>{esc(thread_id)}</code>, {_count(answers)}.</p>"
        + "".join(sections)
        + "</body></html>\n"
    )


def to_notebook(answers: Sequence[Answer], thread_id: str) -> str:
    cells: list[dict[str, Any]] = [
        _markdown_cell("title", f"# {md_text(_title(answers))}\n\nThread `{md_text(thread_id)}`, {_count(answers)}."),
        _code_cell("load", "%load_ext alfa_notebook", []),
    ]
    for number, answer in enumerate(answers, 1):
        data, metadata = bundle_with_uid(answer, content_uid(answer), table_rows=20, name=None)
        output = {"output_type": "display_data", "data": jsonable(data), "metadata": metadata}
        cells.append(_code_cell(f"ask-{number}", f"%%alfa --thread {thread_id}\n{answer.question}", [output]))
    notebook = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def _markdown_cell(cell_id: str, source: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": source}


def _code_cell(cell_id: str, source: str, outputs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": cell_id,
        "metadata": {},
        "outputs": outputs,
        "source": source,
    }


_RENDERERS: dict[str, Callable[[Sequence[Answer], str], str]] = {
    ".md": to_markdown,
    ".html": to_html,
    ".ipynb": to_notebook,
}
