"""``make demo``: the quickstart notebook run headless, mirrored in the terminal, saved to build/."""

from __future__ import annotations

import io
from pathlib import Path

import nbformat
import pytest

from alfa_notebook import demo


def test_demo_streams_the_answer_and_writes_the_notebook_and_html(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "BUILD", tmp_path)
    for name in ("ALFA_BASE_URL", "ALFA_API_KEY", "JUPYTER_PLATFORM_DIRS"):
        monkeypatch.setenv(name, "")  # main() sets them for its kernel; restored afterwards
    out = io.StringIO()
    assert demo.main(out) == 0
    text = out.getvalue()
    first_answer = text.split("In [3]:", 1)[1].split("In [4]:", 1)[0]
    streamed, rule, final = first_answer.partition(demo.RULE)
    assert "  › " in streamed and "Top 5 performers" in streamed  # log lines, then the text as it grew
    assert "Sources\n[1] " in final and "1Y return" in final  # the table and the sources
    assert "Security" in text.split("In [4]: prices", 1)[1]  # the DataFrame
    assert "In [7]: sources = ans.citations_frame()" in text
    notebook = nbformat.read(tmp_path / "quickstart.ipynb", as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.outputs for c in code[1:]) and all(c.execution_count for c in code)
    assert "alfa-emulator-key" not in (tmp_path / "quickstart.ipynb").read_text()
    assert "<details" in (tmp_path / "quickstart.html").read_text()
