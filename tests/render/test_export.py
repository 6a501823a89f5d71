"""``client.export(thread_id, path)``: a conversation taken out as Markdown, one HTML page, or a notebook.

A thread is asked against the emulator (two questions, a file attached to the first), then read
back from the service and written out; the documents are read as a user would: in order, tables
as tables, sources numbered with links, the file named, nothing secret, the same bytes each time,
and the notebook loads back as answers.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import alfa_notebook as alfa
from alfa_notebook.emulator import Emulator
from alfa_notebook.emulator.defaults import CONTROL_HEADER

from .hostile import assert_inert

CANARY = "sk-canary-export-5d1f00c2-never-written"
FIRST = "What do you make of my holdings?"
SECOND = "Compare NVDA and AMD revenue growth over the last 4 quarters"


@pytest.fixture(scope="module")
def canary_emulator():
    with Emulator(api_key=CANARY, chunk_delay=0) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def conversation(canary_emulator):
    """A thread of two questions, the first with a file attached; the client that asked them."""
    client = alfa.AlfaClient(api_key=CANARY, base_url=canary_emulator.base_url)
    holdings = pd.DataFrame({"ticker": ["NA", "NVDA"], "cusip": ["00724F101", "67066G104"]})
    first = client.ask(FIRST, attach={"holdings.csv": holdings})
    second = client.ask(SECOND, thread_id=first.thread_id)
    yield client, first, second
    client.close()


def test_markdown_holds_the_questions_in_order_tables_sources_and_the_file(conversation, tmp_path) -> None:
    client, first, second = conversation
    path = client.export(first.thread_id, tmp_path / "research.md")
    text = path.read_text(encoding="utf-8")
    assert text.index(f"## 1. {FIRST}") < text.index(f"## 2. {SECOND}")
    assert text.startswith(f"# Alfa: {FIRST}\n\nThread `{first.thread_id}`, 2 questions.\n")
    assert "| Security | Price (USD)" in text and "|---|" in text  # a table as a table
    sources = text.split("**Sources**", 2)
    assert len(sources) == 3  # each answer lists its own numbered sources
    assert " <https://" in sources[2]  # with their links
    assert "· attached holdings.csv_" in text.split("## 2.")[0] and "· attached" not in text.split("## 2.")[1]
    assert CANARY not in text


def test_html_is_one_page_that_loads_nothing_and_runs_nothing(conversation, tmp_path) -> None:
    client, first, _ = conversation
    page = client.export(first.thread_id, tmp_path / "research.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    head, body = page.split("<body>", 1)
    assert head.count("<meta") == 2 and "http" not in head  # charset and viewport; nothing fetched
    result = assert_inert(body, styles_allowed=2)  # each answer's stylesheet
    assert "table" in result.tags and "details" in result.tags  # tables, and sources as cards
    assert not [a for a in result.attributes if a[1] == "src"]  # nothing loaded from anywhere
    assert FIRST in result.visible and SECOND in result.visible
    assert CANARY not in page


def test_the_notebook_is_valid_and_loads_back_as_the_same_answers(conversation, tmp_path) -> None:
    client, first, second = conversation
    path = client.export(first.thread_id, tmp_path / "research.ipynb")
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    sources = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert sources == [
        "%load_ext alfa_notebook",
        f"%%alfa --thread {first.thread_id}\n{FIRST}",
        f"%%alfa --thread {first.thread_id}\n{SECOND}",
    ]
    loaded = alfa.load_answers(path)
    assert [(a.question, a.message_id, a.text) for a in loaded] == [
        (FIRST, first.message_id, first.text),
        (SECOND, second.message_id, second.text),
    ]
    assert loaded[0].attachments == ["holdings.csv"]
    pd.testing.assert_frame_equal(loaded[1].tables[0], second.tables[0])
    assert CANARY not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("suffix", [".md", ".html", ".ipynb"])
def test_an_export_is_the_same_bytes_each_time(conversation, tmp_path, suffix) -> None:
    client, first, _ = conversation
    once = client.export(first.thread_id, tmp_path / f"a{suffix}").read_bytes()
    again = client.export(first.thread_id, tmp_path / f"b{suffix}").read_bytes()
    assert once == again


def test_a_thread_replayed_from_a_cassette_exports_as_recorded(canary_emulator, tmp_path) -> None:
    tape = tmp_path / "research.alfa.jsonl"
    exported = {}
    for run, base_url in (("recorded", canary_emulator.base_url), ("replayed", "http://127.0.0.1:9")):
        mode = "once" if run == "recorded" else "none"
        with alfa.AlfaClient(api_key=CANARY, base_url=base_url, cassette=tape, record_mode=mode) as client:
            answer = client.ask(FIRST, attach={"holdings.csv": b"ticker\nNA\n"})
            exported[run] = client.export(answer.thread_id, tmp_path / f"{run}.md").read_text(encoding="utf-8")
    assert exported["replayed"] == exported["recorded"]
    assert CANARY not in tape.read_text(encoding="utf-8")


def test_a_different_file_under_the_same_name_is_not_replayed(canary_emulator, tmp_path) -> None:
    tape = tmp_path / "files.alfa.jsonl"
    with alfa.AlfaClient(api_key=CANARY, base_url=canary_emulator.base_url, cassette=tape) as client:
        client.ask(FIRST, attach={"holdings.csv": b"ticker\nNA\n"})
    with alfa.AlfaClient(api_key=CANARY, base_url="http://127.0.0.1:9", cassette=tape, record_mode="none") as client:
        assert client.ask(FIRST, attach={"holdings.csv": b"ticker\nNA\n"}).attachments == ["holdings.csv"]
        with pytest.raises(alfa.CassetteMissError):
            client.ask(FIRST, attach={"holdings.csv": b"ticker\nAMD\n"})


def test_hostile_answers_export_inert(alfa_emulator, tmp_path) -> None:
    headers = {CONTROL_HEADER: "hostile=1;tag=export"}
    with alfa.AlfaClient(api_key=alfa_emulator.api_key, base_url=alfa_emulator.base_url, headers=headers) as client:
        answer = client.ask("Compare NVDA and AMD")
        page = client.export(answer.thread_id, tmp_path / "hostile.html").read_text(encoding="utf-8")
        notebook = json.loads(client.export(answer.thread_id, tmp_path / "hostile.ipynb").read_text(encoding="utf-8"))
    assert_inert(page.split("<body>", 1)[1])
    for cell in notebook["cells"]:
        for output in cell.get("outputs", ()):
            assert_inert(output["data"]["text/html"])


def test_the_async_client_exports_the_same(conversation, canary_emulator, tmp_path) -> None:
    client, first, _ = conversation

    async def export() -> Path:
        async with alfa.AsyncAlfaClient(api_key=CANARY, base_url=canary_emulator.base_url) as aclient:
            return await aclient.export(first.thread_id, tmp_path / "async.md")

    blocking = client.export(first.thread_id, tmp_path / "sync.md").read_text(encoding="utf-8")
    # Another client never attached the file itself, so it cannot name it; everything else is the same.
    assert asyncio.run(export()).read_text(encoding="utf-8") == blocking.replace(" · attached holdings.csv", "")


def test_an_unknown_format_is_refused_before_anything_is_read(tmp_path) -> None:
    client = alfa.AlfaClient(api_key="k", base_url="http://127.0.0.1:9")
    with pytest.raises(alfa.ConfigurationError, match=r"name a file ending in \.md, \.html or \.ipynb"):
        client.export("t1", tmp_path / "notes.pdf")
    assert not (tmp_path / "notes.pdf").exists()
