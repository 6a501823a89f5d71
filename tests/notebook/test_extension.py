"""``%load_ext alfa_notebook``: registration, configuration, unloading, and a light import."""

from __future__ import annotations

import subprocess
import sys

import pytest
from IPython.core.interactiveshell import InteractiveShell

from alfa_notebook.notebook.inputs import keep_question_marks
from alfa_notebook.notebook.magics import AlfaMagics
from alfa_notebook.wire.settings import Secret

from .conftest import Shell


def test_import_stays_light() -> None:
    code = (
        "import sys, alfa_notebook\n"
        "assert callable(alfa_notebook.load_ipython_extension)\n"
        "print(sorted(m for m in ('IPython', 'ipywidgets', 'pandas', 'traitlets') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_load_ext_leaves_the_renderer_and_the_http_stack_for_the_first_answer() -> None:
    """``%load_ext`` is the first cell of every notebook: it loads the magics, not what answers need."""
    code = (
        "import sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "from traitlets.config import Config\n"
        "c = Config(); c.HistoryManager.enabled = False\n"
        "InteractiveShell.instance(config=c).run_line_magic('load_ext', 'alfa_notebook')\n"
        "print(sorted(m for m in sys.modules if m.startswith(('alfa_notebook.render.', 'httpx', 'pandas'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['alfa_notebook.render.safe']"


def test_load_registers_a_configurable_magic_and_unload_removes_it(ipython: InteractiveShell) -> None:
    ipython.run_line_magic("load_ext", "alfa_notebook")
    magics = ipython.magics_manager.registry["AlfaMagics"]
    assert ipython.find_line_magic("alfa") and ipython.find_cell_magic("alfa")
    assert magics in ipython.configurables and keep_question_marks in ipython.input_transformers_cleanup
    ipython.run_line_magic("unload_ext", "alfa_notebook")
    assert ipython.find_line_magic("alfa") is None and ipython.find_cell_magic("alfa") is None
    assert magics not in ipython.configurables and keep_question_marks not in ipython.input_transformers_cleanup
    ipython.run_line_magic("load_ext", "alfa_notebook")
    assert ipython.find_cell_magic("alfa")
    ipython.run_line_magic("unload_ext", "alfa_notebook")


def test_config_lists_every_trait_and_masks_the_key(shell: Shell) -> None:
    assert "saved with the notebook" in shell.run("%config AlfaMagics.api_key = 'sk-very-secret'").stderr
    shell.run("%config AlfaMagics.table_rows = 5")
    listing = shell.run("%config AlfaMagics").stdout
    for trait in ("api_version", "base_url", "api_key", "display", "table_rows", "timeout", "short_errors"):
        assert f"AlfaMagics.{trait}" in listing
    assert "sk-very-secret" not in listing and "Secret('********')" in listing
    assert shell.magics.api_key == Secret("sk-very-secret") and shell.magics.table_rows == 5
    assert shell.magics.configured()["api_key"].reveal() == "sk-very-secret"


def test_invalid_configuration_is_refused(shell: Shell, caplog: pytest.LogCaptureFixture) -> None:
    for bad in ("display = 'fancy'", "table_rows = -1", "api_version = 'v3'"):
        shell.run(f"%config AlfaMagics.{bad}")  # traitlets logs the refusal
    magics = shell.magics
    assert (magics.display, magics.table_rows, magics.api_version) == ("auto", 20, None)
    assert len([r for r in caplog.records if "AlfaMagics" in r.getMessage()]) == 3


def test_configuration_file_values_apply(ipython: InteractiveShell) -> None:
    from traitlets.config import Config

    config = Config()
    config.AlfaMagics.display = "static"
    config.AlfaMagics.short_errors = False
    magics = AlfaMagics(shell=ipython, config=config)
    assert magics.display == "static" and magics.short_errors is False
    ipython.configurables.remove(magics)
