"""``%alfa ...?`` in the cell that loads the extension: IPython reads the whole cell (an ``ipython
script.ipy`` is one cell) before ``%load_ext`` runs, so its trailing ``?`` was help on the last
word. Such a line is asked; one above ``%load_ext`` has run as help already, and fails the cell."""

from __future__ import annotations

from pathlib import Path

import pytest
from nbclient.exceptions import CellExecutionError
from security.notebooks import execute, notebook_of

from alfa_notebook.emulator import Emulator

from .conftest import Shell
from .test_terminal import ipython

SCRIPT = """\
%load_ext alfa_notebook
%alfa -o first What is NVDA's price?
later = %alfa And what about AVGO?
print("ASKED:", first.question, "|", _alfa.question, "|", later is None)
len?
"""


def test_a_script_asks_its_question_marks(alfa_emulator: Emulator, tmp_path: Path) -> None:
    before = alfa_emulator.state().user_message_count
    done = ipython(SCRIPT, alfa_emulator, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "ASKED: What is NVDA's price? | And what about AVGO? | True" in done.stdout
    assert "not found" not in done.stdout + done.stderr
    assert "Return the number of items in a container." in done.stdout  # other help still works
    assert alfa_emulator.state().user_message_count == before + 2


def test_a_question_mark_above_the_load_fails_the_script(alfa_emulator: Emulator, tmp_path: Path) -> None:
    done = ipython("%alfa What about AVGO?\n%load_ext alfa_notebook\nprint('not reached')\n", alfa_emulator, tmp_path)
    assert done.returncode != 0
    assert "not reached" not in done.stdout
    assert "UsageError: `%alfa What about AVGO?` ran before `%load_ext alfa_notebook`" in done.stdout + done.stderr


def test_a_notebook_cell_asks_its_question_marks(alfa_emulator: Emulator, tmp_path: Path) -> None:
    notebook = notebook_of(
        "%load_ext alfa_notebook\n%alfa And what about AVGO?",
        "print('ASKED:', _alfa.question, _alfa.status)",
        "%alfa Why did it rally?",  # a later cell: the extension's own transformer
        "print('ASKED:', _alfa.question, _alfa.status)",
    )
    execute(notebook, base_url=alfa_emulator.base_url, api_key=alfa_emulator.api_key, workdir=tmp_path, name="qm")
    printed = ["".join(o.get("text", "") for o in cell.outputs) for cell in notebook.cells]
    assert printed[1] == "ASKED: And what about AVGO? complete\n"
    assert printed[3] == "ASKED: Why did it rally? complete\n"


def test_a_notebook_cell_with_a_question_mark_above_the_load_fails(alfa_emulator: Emulator, tmp_path: Path) -> None:
    notebook = notebook_of("%alfa And what about AVGO?\n%load_ext alfa_notebook", "print('not reached')")
    with pytest.raises(CellExecutionError):
        execute(notebook, base_url=alfa_emulator.base_url, api_key=alfa_emulator.api_key, workdir=tmp_path, name="q2")
    (error,) = [o.text for o in notebook.cells[0].outputs if o.get("name") == "stderr"]  # IPython's UsageError
    assert error.startswith("UsageError: `%alfa And what about AVGO?` ran before") and "in a cell of its own" in error
    assert notebook.cells[1].outputs == []


def test_a_reload_in_the_cell_of_a_question_mark_neither_asks_twice_nor_fails(
    alfa_emulator: Emulator, tmp_path: Path
) -> None:
    script = "%load_ext alfa_notebook\n"  # the extension's transformer reads the next cell
    done = ipython(
        script
        + "get_ipython().run_cell('%alfa What about AVGO?\\n%reload_ext alfa_notebook\\nprint(\"OK\", _alfa.question)')\n",
        alfa_emulator,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "OK What about AVGO?" in done.stdout and "UsageError" not in done.stdout + done.stderr


def test_help_is_itself_again_once_the_cell_is_over(shell: Shell) -> None:
    from alfa_notebook.notebook.inputs import Misread, ask_misread_lines

    real = shell.ip.magics_manager.magics["line"]["pinfo"]
    ask_misread_lines(shell.ip, [Misread("What about AVGO?", None, "AVGO")])
    assert shell.ip.magics_manager.magics["line"]["pinfo"] is not real
    shell.ip.events.trigger("post_execute")
    assert shell.ip.magics_manager.magics["line"]["pinfo"] is real
