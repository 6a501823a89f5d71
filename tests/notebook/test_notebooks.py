"""The notebooks in notebooks/ run top to bottom against the emulator, headless, with no edits, and
the saved files show every answer in full without a kernel, widgets or secrets (docs/notebook.md,
What the saved output holds)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from security.notebooks import execute as run_notebook

from alfa_notebook import AlfaClient
from alfa_notebook.emulator import Emulator
from alfa_notebook.render import MIME_JSON
from alfa_notebook.wire import markers

NOTEBOOKS = Path(__file__).parents[2] / "notebooks"
NAMES = ["quickstart", "dataframes", "threads-and-files", "universe"]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_WORD = re.compile(r"[A-Za-z0-9]+")
_TAG = re.compile(r"<[^>]+>")


def execute(name: str, emulator: Emulator, workdir: Path) -> Path:
    """Run one of notebooks/ against the emulator, headless, and save it."""
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    return run_notebook(
        notebook, base_url=emulator.base_url, api_key=emulator.api_key, workdir=workdir, name=name, timeout=60
    )


@pytest.fixture(scope="module")
def executed(alfa_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {name: execute(name, alfa_emulator, tmp_path_factory.mktemp(name)) for name in NAMES}


@pytest.fixture(scope="module")
def service(alfa_emulator: Emulator) -> Iterator[AlfaClient]:
    with AlfaClient(api_key=alfa_emulator.api_key, base_url=alfa_emulator.base_url) as client:
        yield client


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def in_order(needle: list[str], haystack: list[str]) -> bool:
    """Whether ``needle`` is a subsequence of ``haystack``: every word, in order, none lost."""
    rest = iter(haystack)
    return all(word in rest for word in needle)


def answer_outputs(cell: Any) -> list[Any]:
    return [o for o in cell.outputs if o.output_type in ("display_data", "execute_result") and "alfa" in o.metadata]


@pytest.mark.parametrize("name", NAMES)
def test_the_committed_notebook_has_no_outputs(name: str) -> None:
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code[0].source == "%load_ext alfa_notebook" and notebook.cells[0].cell_type == "markdown"
    assert all(not c.outputs and c.execution_count is None for c in code)


def test_a_batch_over_a_universe_leaves_its_summary_in_the_saved_notebook(executed: dict[str, Path]) -> None:
    notebook = nbformat.read(executed["universe"], as_version=4)
    cells = [c for c in notebook.cells if c.cell_type == "code"]
    assert not [o for c in cells for o in c.outputs if o.output_type == "error"]
    (each,) = [c for c in cells if c.source.startswith("%%alfa --each")]
    (summary,) = [o for o in each.outputs if "alfa" in o.get("metadata", {})]
    assert summary.metadata["alfa"]["batch"] == {"items": 4, "counts": {"complete": 4}, "interrupted": False}
    assert summary.data["text/plain"].startswith("Alfa: 4 questions in ")
    for ticker in ("NVDA", "AMD", "INTC", "AAPL"):
        assert f"<bdi>{ticker}</bdi>" in summary.data["text/html"]
    combined = next(c for c in cells if c.source == "calls.concat_tables()")
    html_table = combined.outputs[0].data["text/html"]
    assert all(ticker in html_table for ticker in ("NVDA", "AMD", "INTC", "AAPL"))


@pytest.mark.parametrize("name", [n for n in NAMES if n != "universe"])
def test_every_answer_is_in_the_saved_notebook_in_full(
    name: str, executed: dict[str, Path], service: AlfaClient, alfa_emulator: Emulator
) -> None:
    text = executed[name].read_text()
    assert WIDGET_VIEW not in text and "widget-state" not in text
    assert alfa_emulator.api_key not in text
    notebook = nbformat.read(executed[name], as_version=4)
    cells = [c for c in notebook.cells if c.cell_type == "code"]
    assert not [o for c in cells for o in c.outputs if o.output_type == "error"]
    asked = [c for c in cells if c.source.startswith("%%alfa")]
    assert asked
    for cell in asked:
        (output,) = answer_outputs(cell)  # one output: the live view was replaced, not appended to
        data, meta = output.data, output.metadata["alfa"]
        assert {"text/html", "text/markdown", "text/plain", MIME_JSON} <= set(data)
        assert meta["status"] == "complete" and meta["thread_id"] and meta["message_id"]
        history = service.threads.messages(meta["thread_id"]).messages
        message = next(m for m in history if m.id == meta["message_id"])
        expected = words(markers.plain_text(message.text))
        assert in_order(expected, words(html.unescape(_TAG.sub(" ", data["text/html"])))), cell.source
        assert in_order(expected, words(data["text/markdown"])), cell.source
        assert in_order(expected, words(data["text/plain"])), cell.source
        assert data[MIME_JSON]["text"] == markers.plain_text(message.text).strip()
        # The tables, and the sources as cards (HTML) and footnotes (Markdown).
        tables = [service.threads.artifact(meta["thread_id"], i) for i in meta["artifact_ids"]]
        assert meta["artifact_ids"] == markers.artifact_ids(message.text)
        if any(t.kind == "table" for t in tables):
            assert "<table" in data["text/html"] and re.search(r"\|\s*:?-{3,}", data["text/markdown"])
        assert message.citations
        assert data["text/html"].count("<details") >= len(message.citations)
        assert "**Sources**" in data["text/markdown"]
        for citation in message.citations:
            assert citation.title and html.escape(citation.title, quote=False) in data["text/html"]


FOLLOWING_UP = ["quickstart", "threads-and-files"]
"""The notebooks whose cells ask follow-ups at once, as Run All does."""


@pytest.mark.parametrize("name", FOLLOWING_UP)
def test_run_all_against_the_realistic_emulator_answers_every_cell(
    name: str, alfa_emulator_realistic: Emulator, tmp_path: Path
) -> None:
    """Run All asks each follow-up the moment the answer before it ends; a real service's thread
    still reads busy then, and its history lags: every cell still gets its whole answer."""
    notebook = nbformat.read(execute(name, alfa_emulator_realistic, tmp_path), as_version=4)
    cells = [c for c in notebook.cells if c.cell_type == "code"]
    assert not [o for c in cells for o in c.outputs if o.output_type == "error"]
    asked = [c for c in cells if c.source.startswith("%%alfa")]
    assert len(asked) >= 2
    for cell in asked:
        (output,) = answer_outputs(cell)
        assert output.metadata["alfa"]["status"] == "complete", cell.source
        assert output.data[MIME_JSON]["text"], cell.source
    state = alfa_emulator_realistic.state()
    assert all(len(set(t.questions)) == len(t.questions) for t in state.threads)  # nothing asked twice
