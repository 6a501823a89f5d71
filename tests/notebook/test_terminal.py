"""A terminal IPython session (``ipython script.ipy``, a real TerminalInteractiveShell in its own
process) prints each answer once, as plain text, and a failed answer ends the script in error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alfa_notebook.emulator import Emulator

QUESTION = "Compare NVDA and AMD revenue growth over the last 4 quarters"


def ipython(script: str, emulator: Emulator, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "session.ipy"
    path.write_text(script)
    env = {**os.environ, "ALFA_BASE_URL": emulator.base_url, "ALFA_API_KEY": emulator.api_key,
           "PYTHONPATH": str(Path(__file__).parents[2]), "JUPYTER_PLATFORM_DIRS": "1", "TERM": "dumb"}  # fmt: skip
    env.pop("ALFA_API_VERSION", None)
    command = [sys.executable, "-m", "IPython", "--no-banner", "--colors=nocolor", "--HistoryManager.enabled=False"]
    return subprocess.run([*command, str(path)], capture_output=True, text=True, env=env, timeout=120)


def test_the_answer_is_printed_once_and_a_widget_display_prints_no_repr(
    alfa_emulator: Emulator, tmp_path: Path
) -> None:
    script = (
        "%load_ext alfa_notebook\n"
        f"%alfa -o ans {QUESTION}\n"
        "print('TEXT:', ans.text.splitlines()[0])\n"
        "%config AlfaMagics.display = 'widget'\n"
        "%alfa And AVGO\n"  # (no "?": the script is one cell, transformed before %load_ext ran)
    )
    done = ipython(script, alfa_emulator, tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    first_line = out.split("TEXT: ", 1)[1].splitlines()[0]
    first_answer = out.split("TEXT: ", 1)[0]
    assert first_answer.count(first_line) == 1  # streamed, not printed again
    assert first_answer.count("Performance snapshot") == 1 and first_answer.count("\nSources\n") == 1
    assert "VBox(" not in out and "HTML(value=" not in out
    assert out.count("\nSources\n") == 2  # the second answer, in the terminal too


def test_a_failed_answer_ends_the_script_in_error(failing_emulator: Emulator, tmp_path: Path) -> None:
    done = ipython(f"%load_ext alfa_notebook\n%alfa {QUESTION}\nprint('not reached')\n", failing_emulator, tmp_path)
    assert done.returncode != 0
    assert "not reached" not in done.stdout
    assert "TurnFailedError: Alfa ended the answer with an error" in done.stdout + done.stderr


def test_the_sources_after_streamed_prose_say_which_words_each_number_backs(
    alfa_emulator: Emulator, tmp_path: Path
) -> None:
    """The prose streams before the citations arrive, so it has no [n]: the sources quote it."""
    done = ipython(f"%load_ext alfa_notebook\n%alfa {QUESTION}\n", alfa_emulator, tmp_path)
    assert done.returncode == 0, done.stderr
    sources = done.stdout.split("\nSources\n", 1)[1]
    assert "[6] NVIDIA Corp. shares -16.8% over twelve months — 2025-06-29 (news)\n" in sources
    assert "    cited for “Best twelve-month return: NVDA (-16.8%).”\n" in sources
    assert sources.count("cited for “") >= 5
