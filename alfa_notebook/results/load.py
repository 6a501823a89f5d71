"""``load_answers(path)``: the answers saved in a notebook, read back without a kernel or the service."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .._public import publish
from ..wire.errors import ConfigurationError
from .answer import Answer
from .answer_data import MIME_JSON


def load_answers(path: str | os.PathLike[str]) -> list[Answer]:
    """Every answer a saved ``.ipynb`` shows, in cell order, rebuilt from the outputs' answer JSON:
    text, sources, typed tables (``answer.tables``), ids. A table saved cut (see ``ALFA_SAVED_ROWS``)
    has its full row count in ``answer.cut_tables`` and a warning; the cassette or the service
    (``client.threads.artifact``) has the rest."""
    notebook = _read_notebook(path)
    answers = []
    for cell in notebook.get("cells", ()):
        for output in cell.get("outputs", ()) if cell.get("cell_type") == "code" else ():
            data: Any = output.get("data") or {}
            part = data.get(MIME_JSON)
            if isinstance(part, str):  # some writers store JSON parts as text
                part = json.loads(part)
            if isinstance(part, dict):
                answers.append(Answer.from_dict(part))
    return answers


def _read_notebook(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The notebook's JSON, or one line saying the file is not a notebook (a README, a script)."""
    try:
        notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        problem = f"it is not JSON ({error})"
    else:
        if isinstance(notebook, dict) and isinstance(notebook.get("cells"), list):
            return notebook
        problem = "it is JSON without a list of cells"
    raise ConfigurationError(
        f"load_answers reads a saved Jupyter notebook (.ipynb); {os.fspath(path)!r} is not one: {problem}"
    )


publish(__name__)  # last: the public names above report alfa_notebook as their module
