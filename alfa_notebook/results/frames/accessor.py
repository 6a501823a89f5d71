"""``df.alfa``: what Alfa said about a converted frame, read from its ``attrs``.

Registered as a pandas DataFrame accessor when :mod:`alfa_notebook.results.frames` is imported (converting
an artifact imports it). ``df.alfa.citations(row=..., column=...)`` gives a cell's citations;
``df.alfa.plot()`` draws a chart frame with pandas' plotting.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..._public import publish
from ...wire.errors import AlfaError, OptionalDependencyError
from ...wire.models import Citation


class NotAnAlfaFrameError(AlfaError, KeyError):
    """The frame carries no Alfa metadata for what was asked (attrs dropped, or another frame)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


@pd.api.extensions.register_dataframe_accessor("alfa")
class AlfaAccessor:
    """Alfa's metadata of one frame: ``df.alfa.citations(row=0, column="Revenue")``."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame

    def _columns(self) -> Mapping[str, Any]:
        columns = self._frame.attrs.get("alfa_columns")
        if not isinstance(columns, Mapping):
            raise NotAnAlfaFrameError(
                "this frame carries no Alfa metadata in .attrs (pandas drops attrs that differ in a "
                "merge or concat); ask the answer for the table again: answer.to_dataframe(i)"
            )
        return columns

    def citations(self, row: Any = None, column: str | None = None) -> list[Citation]:
        """The citations of the cell at index label ``row`` in ``column``: the cell's own, then
        its column's. Without ``row``, the column's; without either, all the table's."""
        columns = self._columns()
        records: Mapping[str, Any] = self._frame.attrs.get("alfa_citations") or {}
        if column is None:
            if row is not None:
                raise ValueError("citations(row=...) needs column=...: citations belong to cells")
            return [Citation.from_raw(record) for record in records.values()]
        meta = columns.get(column)
        if meta is None:
            raise NotAnAlfaFrameError(f"no column {column!r} in this frame's Alfa metadata")
        ids = list(meta.get("citation_ids") or ())
        if row is not None:
            by_row = meta.get("row_citation_ids") or {}
            ids = list(by_row.get(str(row)) or ()) + ids
        return [Citation.from_raw(records[cit_id]) for cit_id in dict.fromkeys(ids) if cit_id in records]

    def unit(self, column: str) -> str | None:
        """The unit Alfa gave ``column`` ("USD bn"), or None."""
        meta = self._columns().get(column) or {}
        return meta.get("unit")

    def plot(self, **kwargs: Any) -> Any:
        """A chart frame (``series``, ``x``, ``y``) drawn with pandas' plotting (needs matplotlib):
        lines and bars one per series, a pie by slice. Returns the matplotlib Axes."""
        graph = self._frame.attrs.get("alfa_graph")
        if not isinstance(graph, Mapping):
            raise NotAnAlfaFrameError("plot() draws chart frames (answer.charts); this frame is no Alfa chart")
        if importlib.util.find_spec("matplotlib") is None:
            raise OptionalDependencyError(
                "plotting needs matplotlib, which is not installed: pip install matplotlib "
                "(the chart's data is this frame; answers also render charts without it)"
            )
        kwargs.setdefault("title", self._frame.attrs.get("alfa_title"))
        frame = self._frame
        if graph.get("graph_type") == "pie":
            return frame.set_index("x")["y"].plot.pie(**kwargs)
        wide = frame.pivot_table(index="x", columns="series", values="y", aggfunc="first", sort=False)
        kind = "bar" if graph.get("graph_type") == "bar" else "line"
        kwargs.setdefault("ylabel", graph.get("y_unit"))
        return wide.plot(kind=kind, **kwargs)


publish(__name__)  # last: the public names above report alfa_notebook as their module
