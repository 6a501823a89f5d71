"""``load_answers(path)``: the answers saved in a notebook, read back without a kernel or the service."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .._public import publish
from .answer import Answer
from .answer_data import MIME_JSON


def load_answers(path: str | os.PathLike[str]) -> list[Answer]:
    """Every answer a saved ``.ipynb`` shows, in cell order, rebuilt from the outputs' answer JSON:
    text, sources, typed tables (``answer.tables``), ids. A table saved cut (see ``ALFA_SAVED_ROWS``)
    has its full row count in ``answer.cut_tables`` and a warning; the cassette or the service
    (``client.threads.artifact``) has the rest."""
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
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


publish(__name__)  # last: the public names above report alfa_notebook as their module
