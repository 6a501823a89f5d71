"""``%%alfa --each ticker in universe``: one question per item of a notebook collection.

The collection is a variable holding a list, tuple, pandas Series or Index, or a DataFrame column
written ``df.ticker``, ``df["ticker"]`` or ``df[ticker]``. It is looked up, never evaluated: only a
name and at most one column are read. The cell's body is the template; ``{{ticker}}`` in it takes
each item in turn, and other ``{{name}}`` fields are filled from the notebook as in any question.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError

from .errors import short
from .interpolation import interpolate

if TYPE_CHECKING:
    from ..results.batch import Batch

_SOURCE = re.compile(r"([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*)|\[\s*(['\"]?)(.+?)\3\s*\])?")
_SLOT = "\ue00fEACH\ue00f"  # a private-use mark where each item goes (never in a notebook's text)
_SENTINEL = object()


def parse(words: Sequence[str]) -> tuple[str, str]:
    """``["ticker", "in", "universe"]`` -> ``("ticker", "universe")``."""
    if len(words) != 3 or words[1] != "in" or not words[0].isidentifier():
        raise UsageError(
            f"--each takes NAME in COLLECTION, as in `--each ticker in universe`, not {' '.join(words)!r}."
        )
    return words[0], words[2]


def resolve(source: str, namespace: Mapping[str, Any]) -> list[Any]:
    """The items of ``source``: a variable, or one column of a DataFrame variable."""
    match = _SOURCE.fullmatch(source.strip())
    if match is None:
        raise UsageError(
            f"--each: {source!r} is not a variable or a DataFrame column (write `universe`, `df.ticker` or "
            '`df["ticker"]`).'
        )
    name, attribute, _, key = match.groups()
    value = namespace.get(name, _SENTINEL)
    if value is _SENTINEL:
        raise short(NameError(f"--each: no variable named {name!r} in the notebook; define it in a cell above."))
    column = attribute or key
    pandas = sys.modules.get("pandas")
    if column is not None:
        if pandas is None or not isinstance(value, pandas.DataFrame):
            raise short(
                TypeError(f"--each: {name} is a {type(value).__name__}, not a DataFrame: it has no column {column!r}.")
            )
        if column not in value.columns:
            columns = ", ".join(map(str, value.columns))
            raise short(LookupError(f"--each: {name} has no column {column!r} (its columns: {columns})."))
        value = value[column]
    collections: tuple[type, ...] = (list, tuple)
    if pandas is not None:
        collections += (pandas.Series, pandas.Index)
    if not isinstance(value, collections):
        raise short(
            TypeError(
                f"--each: {source} is a {type(value).__name__}; it must be a list, tuple, pandas Series or Index, "
                "or a DataFrame column."
            )
        )
    items: list[Any] = list(value)  # type: ignore[call-overload]
    if not items:
        raise short(ValueError(f"--each: {source} is empty: there is nothing to ask about."))
    return items


def questions(name: str, template: str, items: Sequence[Any], namespace: Mapping[str, Any]) -> list[str]:
    """The template once per item, ``{{name}}`` taking the item."""
    field = re.compile(r"\{\{\s*" + re.escape(name) + r"\s*\}\}")
    if not field.search(template):
        raise UsageError(
            f"--each {name}: the question never says {{{{{name}}}}}, so every item would be asked the same thing; "
            f"put {{{{{name}}}}} where each item goes."
        )
    filled = interpolate(field.sub(_SLOT, template), namespace).strip()
    return [filled.replace(_SLOT, str(item)) for item in items]


def deliver(
    ask_many: Callable[[], Batch],
    namespace: MutableMapping[str, Any],
    *,
    out: str | None,
    df: str | None,
    allow_errors: bool,
) -> None:
    """Ask the batch and put it where the notebook reads it, as for a single answer: ``_alfa``
    always (also a batch an interrupt stopped); ``-o`` and ``--df`` only when every item completed
    or found no results (with ``--allow-errors``, also when some failed). A stopped or failed batch
    fails the cell with one line, so "Run All", nbconvert and papermill stop there."""
    from ..results.batch import BatchError

    try:
        batch = ask_many()
    except KeyboardInterrupt as stopped:  # a second Ctrl-C, or one while the summary was drawn
        caught: Batch | None = getattr(stopped, "batch", None)
        if caught is None:
            raise
        namespace["_alfa"] = caught
        said = (
            "the batch was stopped without waiting for its running items' cancels; `_alfa` holds what was answered."
            if caught.interrupted
            else "interrupted as the batch ended; `_alfa` holds it."
        )
        raise short(stopped, f"KeyboardInterrupt: {said}")
    namespace["_alfa"] = batch
    if batch.interrupted:  # a KeyboardInterrupt still, so a "Run All" stops here too
        raise short(
            KeyboardInterrupt(
                "the batch was stopped and its running items cancelled on the server; "
                "`_alfa` holds what was answered, `_alfa.retry_failed()` asks the rest."
            )
        )
    if batch.failed and not allow_errors:
        raise short(
            BatchError(batch),
            f"BatchError: {batch.what_failed()}; `_alfa.retry_failed()` asks them again "
            "(--allow-errors keeps a partly failed batch).",
        )
    if out:
        namespace[out] = batch
    if df:
        namespace[df] = batch.to_dataframe()
