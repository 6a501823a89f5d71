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
from .batch import MIME_BATCH, Batch


def load_answers(path: str | os.PathLike[str]) -> list[Answer | Batch]:
    """Every answer a saved ``.ipynb`` shows, in cell order, rebuilt from the outputs' data: a
    single answer (``%%alfa``, ``ask()``) as an :class:`Answer`, an ``--each`` cell (or a shown
    ``Batch``) as a :class:`Batch` of its items. Each has its text, sources, typed tables
    (``answer.tables``), ids. A table saved cut (see ``ALFA_SAVED_ROWS``) has its full row count in
    ``answer.cut_tables`` and a warning; the cassette or the service
    (``client.threads.artifact``) has the rest."""
    notebook = _read_notebook(path)
    found: list[Answer | Batch] = []
    for cell in notebook.get("cells", ()):
        for output in cell.get("outputs", ()) if cell.get("cell_type") == "code" else ():
            data: Any = output.get("data") or {}
            if (answer := _part(data, MIME_JSON)) is not None:
                found.append(Answer.from_dict(answer))
            elif (batch := _part(data, MIME_BATCH)) is not None:
                found.append(Batch.from_dict(batch))
    return found


def _part(data: Any, mime: str) -> dict[str, Any] | None:
    part = data.get(mime) if isinstance(data, dict) else None
    if isinstance(part, str):  # some writers store JSON parts as text
        part = json.loads(part)
    return part if isinstance(part, dict) else None


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
