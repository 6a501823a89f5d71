"""``%%alfa --sources``, ``%config AlfaMagics.sources`` and ``%config AlfaMagics.dtype_backend``."""

from __future__ import annotations

from alfa_notebook.notebook.magics import AlfaMagics
from alfa_notebook.results.frames import DTYPE_BACKENDS

from .conftest import Shell

QUESTION = "Compare NVDA and AMD revenue and earnings"


def types(shell: Shell, name: str) -> set[str]:
    return set(shell.ns[name].citations_frame()["type"].dropna())


def test_sources_from_the_option_and_from_config(shell: Shell) -> None:
    assert shell.run(f"%%alfa -o everything --new\n{QUESTION}").error is None
    assert shell.run(f"%%alfa -o no_web --sources web=off,filings=on --new\n{QUESTION}").error is None
    assert "web" in types(shell, "everything") and "web" not in types(shell, "no_web")
    shell.run("%config AlfaMagics.sources = 'news=off'")
    assert shell.run(f"%%alfa -o no_news --new\n{QUESTION}").error is None
    assert not types(shell, "no_news") & {"news_article", "news_development"}
    assert "web" in types(shell, "no_news")


def test_an_unknown_source_fails_the_cell_with_one_line_before_asking(shell: Shell) -> None:
    run = shell.run(f"%%alfa -o nothing --sources weather=off\n{QUESTION}")
    assert run.error is not None and "nothing" not in shell.ns
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    assert len(lines) == 1 and "unknown source 'weather'" in lines[0], run.stdout


def test_df_takes_the_configured_dtype_backend(shell: Shell) -> None:
    shell.run("%config AlfaMagics.dtype_backend = 'numpy'")
    assert shell.run(f"%%alfa --df table\n{QUESTION}").error is None
    numeric = shell.ns["table"].select_dtypes("number")
    assert not numeric.empty and {str(d) for d in numeric.dtypes} <= {"float64", "int64"}
    assert tuple(AlfaMagics.dtype_backend.values) == DTYPE_BACKENDS
