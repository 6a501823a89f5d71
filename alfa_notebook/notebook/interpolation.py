"""``{{name}}`` in a question becomes the value of a notebook variable.

Only ``{{name}}`` and ``{{ name.attr }}`` are replaced; nothing is evaluated, and the question is
never passed to ``str.format``, so single braces, code, JSON and other template syntaxes
(``{{ 1 + 1 }}``, ``{{.Name}}``) are left exactly as written. A DataFrame becomes a bounded
Markdown summary (shape, dtypes, the first rows), so a large frame cannot flood the prompt.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from typing import Any

from .errors import short

_FIELD = re.compile(r"\{\{\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*\}\}")
_SENTINEL = object()

HEAD_ROWS = 5
MAX_COLUMNS = 20
MAX_CELL = 40


def interpolate(text: str, namespace: Mapping[str, Any]) -> str:
    """``text`` with every ``{{name}}`` replaced; an unknown name is an error that names it.

    A value that reads as several lines (a DataFrame's summary) is a block: set off by blank lines
    from the words around it, so the sentence goes on after it instead of being glued to its last row.
    """

    out: list[str] = []
    cursor = 0
    for match in _FIELD.finditer(text):
        value = describe(_lookup(match.group(1), namespace))
        head = text[cursor : match.start()]
        if "\n" in value:  # a block: on its own lines, the spaces around it dropped
            head = head.rstrip(" \t")
            done = "".join(out) + head
            if done:
                head += "\n" * (2 - len(done) + len(done.rstrip("\n")))
            tail = text[match.end() :].lstrip(" \t")
            cursor = len(text) - len(tail)
            if tail:
                value += "\n" * (2 - len(tail) + len(tail.lstrip("\n")))
        else:
            cursor = match.end()
        out += [head, value]
    out.append(text[cursor:])
    return "".join(out)


def _lookup(path: str, namespace: Mapping[str, Any]) -> Any:
    name, *attributes = path.split(".")
    value = namespace.get(name, _SENTINEL)
    if value is _SENTINEL:
        raise short(
            NameError(
                f"{{{{{name}}}}} names no variable of the notebook: define {name} in a cell above, "
                "or write the braces some other way."
            )
        )
    for i, attribute in enumerate(attributes):
        if attribute.startswith("__"):
            raise short(NameError(f"{{{{{path}}}}}: special attributes are not interpolated."))
        value = getattr(value, attribute, _SENTINEL)
        if value is _SENTINEL:
            owner = ".".join([name, *attributes[:i]])
            raise short(AttributeError(f"{{{{{path}}}}}: {owner} has no attribute {attribute!r}."))
    return value


def describe(value: Any) -> str:
    """How a value reads inside a question."""
    if isinstance(value, str):
        return value
    pandas = sys.modules.get("pandas")  # a DataFrame can only exist if pandas was imported
    if pandas is not None:
        if isinstance(value, pandas.Series):
            return summarize_frame(value.to_frame())
        if isinstance(value, pandas.DataFrame):
            return summarize_frame(value)
    from ..results.answer import Answer

    if isinstance(value, Answer):
        return value.text
    return str(value)


def summarize_frame(frame: Any, *, rows: int = HEAD_ROWS) -> str:
    """A DataFrame as Markdown: its shape, each column's dtype, and its first ``rows`` rows.

    At most :data:`MAX_COLUMNS` columns and :data:`MAX_CELL` characters a cell, whatever its size.
    """
    n_rows, n_cols = frame.shape
    shown = frame.iloc[:rows, :MAX_COLUMNS]
    hidden = n_cols - shown.shape[1]
    lines = [f"DataFrame with {n_rows} rows and {n_cols} columns."]
    dtypes = ", ".join(f"{_cell(c)} ({d})" for c, d in shown.dtypes.items())
    lines.append(f"Columns (dtype): {dtypes}" + (f", and {hidden} more" if hidden else "") + ".")
    if n_rows and shown.shape[1]:
        lines.append("")
        lines.append(f"First {len(shown)} rows:" if n_rows > len(shown) else "Rows:")
        lines.append("")
        header = ["", *(_cell(c) for c in shown.columns)]
        lines.append(_row(header))
        lines.append(_row(["---"] * len(header)))
        for index, values in zip(shown.index, shown.itertuples(index=False, name=None)):
            lines.append(_row([_cell(index), *(_cell(v) for v in values)]))
    return "\n".join(lines)


def _cell(value: Any) -> str:
    text = " ".join(_number(value).split())
    text = text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"
    return text.replace("|", "\\|")


def _number(value: Any) -> str:
    """A float to six significant digits (0.12573, 1234.57), anything else as it prints."""
    if isinstance(value, float) or type(value).__name__ in ("float64", "float32", "float16"):
        return f"{value:.6g}"
    return str(value)


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"
