"""Hostile-input mode (``hostile=1``): hostile strings in every field the emulator emits.

For testing what a client does with untrusted service data, end to end: a turn answered in this
mode carries every string of :data:`CORPUS` in its text, its work-in-progress logs, its
citations (title, snippet, link, source, type), its artifacts (titles, table column names and
cells, chart labels, a text artifact) and the names of the files it read; ``GET /threads``
gives each thread a name with one of the strings in it. The answer is otherwise the usual one,
so its citation offsets and artifact markers stay valid: the hostile part is appended.

:data:`PAGE` is the corpus for what reaches the screen (the renderer's tests use it too);
:data:`CORPUS` adds a few strings that stress the wire rather than the page (line separators
that ``str.splitlines`` would split an SSE frame at, a NUL).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine import Answer
    from .store import Attachment

JSON = dict[str, Any]

LONG = "A" * 5_000 + "<script>alert(1)</script>" + "B" * 5_000

PAGE: tuple[str, ...] = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " \tjavascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "<div><b>unbalanced",
    "</details></div></div>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "![x](javascript:alert(1))",
    '<a href="javascript:alert(1)">link</a>',
    "[a](  javascript:alert(1))",
    "[a](<javascript:alert(1)>)",
    "<javascript:alert(1)>",
    "&#106;avascript:alert(1)",
    "[e](&#106;avascript:alert(1))",
    "<style>body{display:none}</style>",
    '<iframe src="https://evil.example"></iframe>',
    '<form action="https://evil.example"><input></form>',
    '<object data="x"></object><embed src="x">',
    '<p style="position:fixed;top:0">overlay</p>',
    "$25.2B and $30B",
    "`code` and ``double `tick` code``",
    '```{"type": "output_artifact", "artifact_id": "fake-<b>id</b>"}```',
    '```{"type": "output_artifact", "artifact_id": "half',
    '```{"type": "stock", "symbol": "<img src=x onerror=alert(1)>"}```',
    "\u202eevil\u202dfdp.exe",
    "\x1b[31mred\x1b[0m \x1b]0;title\x07",
    "\ue000\ue0011\ue001\u2046 forged marker",
    # Links that pass the scheme check but carry quotes: an href must stay one attribute.
    'https://example.com/"onmouseover="alert(1)',
    "https://example.com/'onmouseover='alert(1)",
    'https://example.com/?q="><script>alert(1)</script>',
    LONG,
)

# The wire: separators that must not end an SSE line, and a NUL.
CORPUS: tuple[str, ...] = (*PAGE, "line\u2028separator\u2029paragraph\x85next", "nul\x00byte")

HEADING = "### Hostile input (emulator, hostile=1)\n\n"
TABLE_ID = "hostile-table"
CHART_ID = "hostile-chart"
TEXT_ID = "hostile-text"


def _marker(artifact_id: str) -> str:
    return f"```{json.dumps({'type': 'output_artifact', 'artifact_id': artifact_id})}```\n\n"


def pick(index: int) -> str:
    """The corpus string for the ``index``-th item of a field (cycling)."""
    return CORPUS[index % len(CORPUS)]


def _citation(index: int, text: str, offset: int) -> JSON:
    return {
        "citation_id": f"hostile-citation-{index}",
        "citation_type": text,  # the answer's own citations keep the known types
        "name": text,
        "summary": f"{text} (snippet)",
        "snippet_highlight_start": 0,
        "snippet_highlight_end": max(len(text) - 1, 0),
        "link": text,
        "source": text,
        "published_at": "2025-06-30T00:00:00Z",
        "inline_offset": offset,
    }


def _table() -> JSON:
    n = len(CORPUS)
    return {
        "output_type": "table",
        "title": CORPUS[0],
        "columns": [{"name": h, "col_type": "string"} for h in CORPUS],
        "rows": [[CORPUS[(column + row) % n] for column in range(n)] for row in range(3)],
    }


def _chart() -> JSON:
    return {
        "output_type": "graph",
        "title": CORPUS[1],
        "graph": {
            "graph_type": "line",
            "x_axis_type": "string",
            "y_axis_type": "float",
            "data": [
                {
                    "dataset_id": h,
                    "dataset_id_type": "string",
                    "points": [{"x_val": pick(i + 1), "y_val": float(i)}, {"x_val": pick(i + 2), "y_val": i + 0.5}],
                }
                for i, h in enumerate(CORPUS)
            ],
        },
    }


def _text_artifact() -> JSON:
    return {"output_type": "text", "title": CORPUS[2], "val": "\n\n".join(CORPUS)}


def answer(original: Answer) -> Answer:
    """``original`` with the corpus appended to its text and in every other field it carries."""
    parts = [original.text, "\n\n", HEADING, _marker(TABLE_ID), _marker(CHART_ID), _marker(TEXT_ID)]
    length = sum(map(len, parts))
    logs = list(original.logs)
    citations = list(original.citations)
    for index, text in enumerate(CORPUS):
        logs.append((length, text))
        parts.append(f"{text}\n\n")
        length += len(text) + 2
        citations.append(_citation(index, text, length - 2))
    artifacts = {
        artifact_id: {**body, "title": pick(i + 3)} for i, (artifact_id, body) in enumerate(original.artifacts.items())
    }
    artifacts.update({TABLE_ID: _table(), CHART_ID: _chart(), TEXT_ID: _text_artifact()})
    return dataclasses.replace(
        original,
        text="".join(parts),
        logs=tuple(logs),
        citations=tuple(citations),
        artifacts=artifacts,
    )


def files(attachments: Sequence[Attachment]) -> list[Attachment]:
    """The thread's files as the answer names them: each under a corpus string."""
    return [dataclasses.replace(a, name=pick(i)) for i, a in enumerate(attachments)]


def thread_summaries(newest_first: Iterable[JSON]) -> list[JSON]:
    """``GET /threads`` entries, each name followed by a corpus string (by creation order)."""
    summaries = list(newest_first)
    count = len(summaries)
    return [{**s, "thread_name": f"{s['thread_name']} {pick(count - 1 - i)}"} for i, s in enumerate(summaries)]
