"""The headless run a report pipeline makes: the papermill command, as a user types it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
from security.notebooks import notebook_of

from alfa_notebook.emulator import Emulator

QUESTION = "%%alfa -o ans\nCompare NVDA and AMD revenue growth over the last 4 quarters"


def papermill(emulator: Emulator, tmp_path: Path, *cells: str) -> subprocess.CompletedProcess[str]:
    source = tmp_path / "report.ipynb"
    nbformat.write(notebook_of(*cells), source)
    env = {**os.environ, "ALFA_BASE_URL": emulator.base_url, "ALFA_API_KEY": emulator.api_key}
    command = [sys.executable, "-m", "papermill", str(source), str(tmp_path / "out.ipynb"), "--log-output"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=180, cwd=tmp_path)


def test_papermill_logs_the_outcome_and_exits_0(alfa_emulator: Emulator, tmp_path: Path) -> None:
    run = papermill(alfa_emulator, tmp_path, "%load_ext alfa_notebook", QUESTION)
    assert run.returncode == 0, run.stderr
    assert "Alfa: complete · 2 tables · 9 sources · " in run.stderr + run.stdout


def test_papermill_stops_at_a_failed_answer_and_exits_non_zero(failing_emulator: Emulator, tmp_path: Path) -> None:
    run = papermill(failing_emulator, tmp_path, "%load_ext alfa_notebook", QUESTION, "print('not reached')")
    assert run.returncode != 0
    assert "TurnFailedError" in run.stderr
    saved = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    code = [cell for cell in saved.cells if cell.cell_type == "code"]
    assert [o.get("ename") for o in code[1].outputs if o.output_type == "error"] == ["TurnFailedError"]
    assert code[2].outputs == []  # the run stopped at the failed cell


def test_papermill_stops_at_a_batch_with_failed_items_and_exits_non_zero(
    failing_emulator: Emulator, tmp_path: Path
) -> None:
    each = "%%alfa --each t in universe -o calls\nHow did {{t}} do?"
    run = papermill(failing_emulator, tmp_path, "%load_ext alfa_notebook", "universe = ['NVDA', 'AMD']", each, "calls")
    assert run.returncode != 0
    saved = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    code = [cell for cell in saved.cells if cell.cell_type == "code"]
    (error,) = [o for o in code[2].outputs if o.output_type == "error"]
    assert error.ename == "BatchError"
    assert error.traceback == [
        "BatchError: 2 of 2 failed (TurnFailedError: Alfa ended the answer with an error (Emulated failure (error=1))): "
        "NVDA, AMD; "
        "`_alfa.retry_failed()` asks them again (--allow-errors keeps a partly failed batch)."
    ]
    assert code[3].outputs == []  # the run stopped at the failed batch
