"""Hostile input through the whole notebook path.

The emulator's hostile mode (``hostile=1``, docs/protocol.md) puts the hostile-string corpus in
every field it emits: answer text, logs, citation titles, snippets, links, sources and types,
artifact titles, column names, cells and chart labels, the names of the files an answer read,
and thread names. A notebook asks, attaches a file, shows the tables, the sources frame, the
thread list and the history; it runs in a real kernel (nbclient), is saved, and is exported by
nbconvert. Neither the saved outputs' HTML nor the exported page's output areas hold anything
that runs, and every hostile string is there, as text.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from render.hostile import assert_inert, normalise

import alfa_notebook as alfa
from alfa_notebook.emulator import Emulator
from alfa_notebook.emulator import hostile as emulator_hostile

from .notebooks import execute, export_html, notebook_of, output_areas, outputs, read_html

CORPUS = emulator_hostile.CORPUS
QUESTION = "Review NVDA revenue trend and write a summary memo"


@pytest.fixture(scope="module")
def hostile_emulator() -> Iterator[Emulator]:
    with Emulator(chunk_delay=0, faults={"hostile": "1"}) as emulator:
        yield emulator


def test_hostile_mode_fills_every_field(hostile_emulator):
    """What a client receives in hostile mode: every string in every field, the answer still whole."""
    with alfa.AlfaClient(api_key=hostile_emulator.api_key, base_url=hostile_emulator.base_url) as client:
        thread = client.threads.create("fields")
        client.threads.upload(thread.id, b"ticker\nNVDA\n", "holdings.csv")
        answer = client.ask(QUESTION, thread_id=thread.id)
        names = [t.name or "" for t in client.threads.list()]
        history = client.threads.messages(thread.id)
    assert answer.status == "complete"
    assert answer.raw_text == history.messages[-1].text  # streamed intact, \u2028 and NUL included
    fields = {
        "answer text": [answer.raw_text],
        "logs": answer.logs,
        "citation titles": [c.title for c in answer.citations],
        "citation snippets": [c.snippet for c in answer.citations],
        "citation links": [c.url for c in answer.citations],
        "citation sources": [c.source for c in answer.citations],
        "citation types": [c.type for c in answer.citations],
        "column names": [c["name"] for c in answer.artifact(emulator_hostile.TABLE_ID).raw["columns"]],
        "cells": [cell for row in answer.artifact(emulator_hostile.TABLE_ID).raw["rows"] for cell in row],
        "chart labels": [d["dataset_id"] for d in answer.artifact(emulator_hostile.CHART_ID).raw["graph"]["data"]],
    }
    for name, values in fields.items():
        missing = [h[:30] for h in CORPUS if not any(h in (v or "") for v in values)]
        assert not missing, f"{name} lack {missing}"
    assert all(a.title in CORPUS for a in answer.artifacts)  # artifact titles
    assert f"**{CORPUS[0]}**" in answer.raw_text  # the attached file, named by its hostile name
    assert any(name.endswith(CORPUS[0]) for name in names)  # thread names
    df = answer.artifact(emulator_hostile.TABLE_ID).to_dataframe()
    assert list(df.columns) == list(CORPUS) and df.iloc[0].tolist() == list(CORPUS)


def test_hostile_mode_is_an_option_per_request_or_server_wide(alfa_emulator):
    """``X-Alfa-Emulator: hostile=1`` on one client's requests, not on another's; ``--fault
    hostile=1`` is the same option server-wide."""
    from alfa_notebook.emulator import CONTROL_HEADER
    from alfa_notebook.emulator.cli import main
    from alfa_notebook.emulator.controls import Controls, parse_options

    base = {"api_key": alfa_emulator.api_key, "base_url": alfa_emulator.base_url}
    with alfa.AlfaClient(**base, headers={CONTROL_HEADER: "hostile=1"}) as hostile, alfa.AlfaClient(**base) as plain:
        assert CORPUS[0] in hostile.ask("NVDA").raw_text
        assert CORPUS[0] not in plain.ask("NVDA").raw_text
        hostile_names, plain_names = (
            [t.name or "" for t in hostile.threads.list()],
            [t.name or "" for t in plain.threads.list()],
        )
        assert all(any(name.endswith(f" {h}") for h in CORPUS) for name in hostile_names)
        assert not any(name.endswith(f" {h}") for name in plain_names for h in CORPUS)
    assert Controls.from_options(parse_options("hostile=1")).hostile
    with pytest.raises(SystemExit):
        main(["--fault", "hostile=2"])  # validated like every option: 0 or 1


# -- the notebook ---------------------------------------------------------------------------------

CELLS = [
    "%load_ext alfa_notebook",
    "%alfa new Hostile research",
    "import pathlib\npathlib.Path('holdings.csv').write_text('ticker,shares\\nNVDA,120\\n')",
    f"%%alfa --attach holdings.csv -o ans\n{QUESTION}",
    "ans.artifact('hostile-table').to_dataframe()",
    "ans.citations_frame()",
    "ans.tables[0]",
    "ans",
    "%alfa threads",
    "%alfa history 2",
]


@pytest.fixture(scope="module")
def executed(hostile_emulator, tmp_path_factory) -> tuple[nbformat.NotebookNode, str]:
    """The notebook run against the hostile emulator, as saved, and its nbconvert HTML export."""
    workdir = tmp_path_factory.mktemp("hostile-notebook")
    saved = execute(
        notebook_of(*CELLS),
        base_url=hostile_emulator.base_url,
        api_key=hostile_emulator.api_key,
        workdir=workdir,
        name="hostile",
    )
    return nbformat.read(saved, as_version=4), export_html(saved)


def _html_outputs(notebook: nbformat.NotebookNode) -> list[tuple[str, dict, str]]:
    return [
        (cell.source, output.get("metadata", {}), output["data"]["text/html"])
        for cell, output in outputs(notebook)
        if output.output_type in ("display_data", "execute_result") and "text/html" in output.get("data", {})
    ]


def test_the_notebook_ran_without_errors(executed):
    notebook, _ = executed
    errors = [
        (cell.source, o.get("ename"), o.get("evalue")) for cell, o in outputs(notebook) if o.output_type == "error"
    ]
    assert not errors
    shown = {source.splitlines()[0] for source, _, _ in _html_outputs(notebook)}
    assert shown >= {c.splitlines()[0] for c in CELLS[3:]}, "every asking or showing cell displayed HTML"


def test_no_output_in_the_saved_notebook_holds_executable_markup(executed):
    notebook, _ = executed
    for source, metadata, fragment in _html_outputs(notebook):
        problems = read_html(fragment).problems()
        assert not problems, f"{source.splitlines()[0]!r}: {problems[:5]}"
        if "alfa" in metadata:  # an answer: the renderer's stricter promise (tests/render/hostile.py)
            assert_inert(fragment, align_styles=True)


def test_the_exported_page_output_areas_hold_no_executable_markup(executed):
    notebook, page = executed
    areas = output_areas(page)
    assert len(areas) >= len(_html_outputs(notebook))
    for area in areas:
        problems = area.problems()
        assert not problems, problems[:5]


@pytest.mark.parametrize("h", CORPUS, ids=[repr(h[:24]) for h in CORPUS])
def test_every_hostile_string_is_shown_as_text(executed, h):
    notebook, page = executed
    answers = [fragment for _, metadata, fragment in _html_outputs(notebook) if "alfa" in metadata]
    assert answers
    wanted = normalise(h)
    for fragment in answers:  # the citation cards show each string literally, in the notebook...
        assert wanted in normalise("".join(read_html(fragment).text)), "not shown in an answer"
    exported = " ".join(normalise(html.unescape("".join(area.text))) for area in output_areas(page))
    assert wanted in exported  # ...and in the exported page
    # (DataFrame outputs are pandas' rendering: escaped, and audited above, but pandas shortens
    # long cells and shows a tab as "\t", so they are not held to showing every string whole.)


def test_the_saved_notebook_is_valid_json_with_the_strings_escaped(executed, tmp_path):
    notebook, _ = executed
    nbformat.validate(notebook)
    path = Path(tmp_path) / "again.ipynb"
    nbformat.write(notebook, path)
    text = path.read_text(encoding="utf-8")
    json.loads(text)
    assert "\x00" not in text and "\x1b" not in text  # control characters stay JSON escapes on disk
