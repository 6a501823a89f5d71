"""Typed tables stacked one under the other (``Batch.concat_tables(i)``), keeping what ``df.alfa`` reads.

``pd.concat`` keeps ``attrs`` only when every frame's are equal, and one table's citations and row
numbers are never another's, so it drops them: units, citations and stocks would be lost. Here
the metadata is merged instead:

* the columns are the union of the tables' columns, in the order first met, after a leading key
  column; a table without a column has missing values there (nothing is left out);
* a column's metadata is its first table's, with every table's column citations, and each row's
  cell citations under its new row number;
* a column whose unit differs between tables keeps no unit (its values are in different units),
  and a warning names it;
* ``alfa_citations`` and ``alfa_stocks`` hold every table's; the title is kept when all agree.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import pandas as pd

from ...wire import caller


def stack_tables(found: Sequence[tuple[Hashable, pd.DataFrame]], key: str = "key") -> pd.DataFrame:
    """The frames one under the other, each row labelled with its item's key in ``key`` (or
    ``batch_key`` if a table has a column named ``key``)."""
    if not found:
        return pd.DataFrame(columns=[key])
    if any(key in frame.columns for _, frame in found):
        key = "batch_key"
    labelled = []
    for item, frame in found:
        frame = frame.reset_index(drop=True)
        frame.insert(0, key, pd.Series([item] * len(frame), dtype=object))
        labelled.append(frame)
    stacked = pd.concat(labelled, ignore_index=True, sort=False)
    stacked.attrs = _merged_attrs([frame.attrs for _, frame in found], [len(f) for _, f in found])
    return stacked


def _merged_attrs(attrs: Sequence[Mapping[str, Any]], lengths: Sequence[int]) -> dict[str, Any]:
    merged: dict[str, Any] = {"alfa_kind": "table"}
    titles = {a.get("alfa_title") for a in attrs}
    merged["alfa_title"] = titles.pop() if len(titles) == 1 else None
    columns: dict[str, dict[str, Any]] = {}
    units: dict[str, set[Any]] = {}
    citations: dict[str, Any] = {}
    stocks: dict[str, dict[str, Any]] = {}
    hidden: list[Any] = []
    offset = 0
    for table, length in zip(attrs, lengths):
        for label, meta in (table.get("alfa_columns") or {}).items():
            column = columns.setdefault(label, {**meta, "citation_ids": [], "row_citation_ids": {}})
            units.setdefault(label, set()).add(meta.get("unit"))
            column["citation_ids"] = list(dict.fromkeys([*column["citation_ids"], *(meta.get("citation_ids") or ())]))
            for row, ids in (meta.get("row_citation_ids") or {}).items():
                column["row_citation_ids"][_shifted(row, offset)] = list(ids)
        citations.update(table.get("alfa_citations") or {})
        for label, by_symbol in (table.get("alfa_stocks") or {}).items():
            stocks.setdefault(label, {}).update(by_symbol)
        hidden += [name for name in table.get("alfa_hidden_columns") or () if name not in hidden]
        offset += length
    mixed = sorted(label for label, seen in units.items() if len(seen) > 1)
    for label in mixed:
        columns[label]["unit"] = None
    if mixed:
        caller.warn(
            f"the stacked tables give {', '.join(map(repr, mixed))} different units, so the stacked column has "
            "none: its values are not in one unit"
        )
    merged.update(alfa_columns=columns, alfa_citations=citations, alfa_stocks=stocks, alfa_hidden_columns=hidden)
    return merged


def _shifted(row: str, offset: int) -> str:
    """A row label of one table as the stacked frame numbers it (tables are indexed from 0)."""
    try:
        return str(int(row) + offset)
    except ValueError:
        return row
