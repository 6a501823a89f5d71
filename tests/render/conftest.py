"""Real answers from the emulator, asked once per session, and hand-built answers."""

from __future__ import annotations

import pytest

import alfa_notebook as alfa
from alfa_notebook.results.answer import Answer
from alfa_notebook.wire.models import Artifact, Citation

QUESTIONS = {
    "compare": "Compare NVDA and AMD revenue growth over the last 4 quarters",
    "screen": "Screen all columns",
    "trend": "Compare NVDA and AMD price trend over time",
    "memo": "summary memo",
}


@pytest.fixture(scope="session")
def emulator_answers(alfa_emulator) -> dict[str, Answer]:
    client = alfa.AlfaClient(api_key=alfa_emulator.api_key, base_url=alfa_emulator.base_url)
    try:
        return {key: client.ask(question) for key, question in QUESTIONS.items()}
    finally:
        client.close()


def table_artifact(artifact_id: str = "t1", rows: int = 3, title: str | None = "Returns") -> Artifact:
    return Artifact.from_raw(artifact_id, {
        "output_type": "table",
        "title": title,
        "columns": [
            {"name": "Ticker", "col_type": "string"},
            {"name": "Return", "col_type": "percent"},
            {"name": "Price", "col_type": "currency", "unit": "USD"},
            {"name": "Note", "col_type": "string"},
        ],
        "rows": [[f"T{i}", 0.25 + i / 100, 25.2 + i, None] for i in range(rows)],
    })  # fmt: skip


def marker(artifact_id: str) -> str:
    return f'```{{"type": "output_artifact", "artifact_id": "{artifact_id}"}}```'


def make_answer(raw_text: str = "Hello.", **kw) -> Answer:
    fields = {"question": "Q?", "status": "complete", "thread_id": "thread-1", "message_id": "message-1"}
    return Answer(raw_text=raw_text, **{**fields, **kw})


def cite(offset: int | None, n: int = 0, **kw) -> Citation:
    fields = {"id": f"c{n}", "type": "web", "title": f"Source {n}", "url": f"https://example.com/{n}", "snippet": None}
    return Citation(inline_offset=offset, **{**fields, **kw})
