"""Chart artifacts as tidy long frames (``series``, ``x``, ``y``), typed by the graph's declared types."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .backends import DEFAULT_DTYPE_BACKEND, check_dtype_backend
from .coltypes import TableConversionError, object_array
from .schema import assemble, convert_schema, provenance, referenced_citations, sequence
from .units import DEFAULT_UNITS, check_units

# --------------------------------------------------------------------------------------------
# Charts: flatten each graph type into (series, x, y) cells plus their declared types.


@dataclass(frozen=True)
class _LongChart:
    """A graph flattened to rows of (series, x, y), with the col_type and unit of each."""

    series: list[Any]
    x: list[Any]
    y: list[Any]
    series_type: Any
    x_type: Any
    y_type: Any
    x_unit: str | None = None
    y_unit: str | None = None
    y_citation_refs: list[dict[str, Any]] = field(default_factory=list)


def _records(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in sequence(value) if isinstance(item, Mapping)]


def _line_chart(graph: Mapping[str, Any], title: str | None) -> _LongChart:
    series, x, y = [], [], []
    for dataset in _records(graph.get("data")):
        for point in _records(dataset.get("points")):
            series.append(dataset.get("dataset_id"))
            x.append(point.get("x_val"))
            y.append(point.get("y_val"))
    id_types = [d.get("dataset_id_type") or "string" for d in _records(graph.get("data"))]
    return _LongChart(
        series, x, y,
        series_type=id_types[0] if id_types and all(t == id_types[0] for t in id_types) else "string",
        x_type=graph.get("x_axis_type"),
        y_type=graph.get("y_axis_type"),
        x_unit=graph.get("x_unit"),
        y_unit=graph.get("y_unit"),
    )  # fmt: skip


def _bar_chart(graph: Mapping[str, Any], title: str | None) -> _LongChart:
    series, x, y = [], [], []
    for bar in _records(graph.get("data")):
        for value in _records(bar.get("values")):
            series.append(value.get("label"))
            x.append(bar.get("index"))
            y.append(value.get("value"))
    return _LongChart(
        series, x, y,
        series_type=graph.get("label_type") or "string",
        x_type=graph.get("index_type") or "string",
        y_type=graph.get("data_type"),
        y_unit=graph.get("data_unit"),
    )  # fmt: skip


def _pie_chart(graph: Mapping[str, Any], title: str | None) -> _LongChart:
    slices = _records(graph.get("data"))
    refs = [
        {**ref, "row_index": row} if isinstance(ref, Mapping) else {"cit_id": ref, "row_index": row}
        for row, piece in enumerate(slices)
        for ref in sequence(piece.get("citation_refs"))
    ]
    return _LongChart(
        [title or "pie"] * len(slices),
        [piece.get("label") for piece in slices],
        [piece.get("value") for piece in slices],
        series_type="string",
        x_type=graph.get("label_type") or "string",
        y_type=graph.get("data_type"),
        y_unit=graph.get("unit"),
        y_citation_refs=refs,
    )


_CHART_FLATTENERS: Mapping[str, Callable[[Mapping[str, Any], str | None], _LongChart]] = {
    "line": _line_chart,
    "bar": _bar_chart,
    "pie": _pie_chart,
}


def _graph_of(artifact: Mapping[str, Any]) -> Mapping[str, Any]:
    graph = artifact.get("graph")
    if isinstance(graph, Mapping):
        return graph
    if "graph_type" in artifact:
        return artifact
    raise TableConversionError("the chart artifact has no 'graph' object")


def chart_to_dataframe(
    artifact: Mapping[str, Any],
    *,
    artifact_id: str | None = None,
    thread_id: str | None = None,
    message_id: str | None = None,
    citations: Mapping[str, object] | None = None,
    dtype_backend: str = DEFAULT_DTYPE_BACKEND,
    units: str = DEFAULT_UNITS,
) -> pd.DataFrame:
    """A graph artifact (line, bar, pie) as a tidy long frame ``series``, ``x``, ``y``."""
    dtype_backend, units = check_dtype_backend(dtype_backend), check_units(units)
    graph = _graph_of(artifact)
    graph_type = graph.get("graph_type")
    flatten = _CHART_FLATTENERS.get(graph_type) if isinstance(graph_type, str) else None
    if flatten is None:
        raise TableConversionError(
            f"unknown graph_type {graph_type!r} (known: {', '.join(_CHART_FLATTENERS)}); "
            "the chart is still available as raw JSON"
        )
    chart = flatten(graph, artifact.get("title"))
    schema = [
        {"name": "series", "col_type": chart.series_type},
        {"name": "x", "col_type": chart.x_type, "unit": chart.x_unit},
        {"name": "y", "col_type": chart.y_type, "unit": chart.y_unit,
         "citation_refs": chart.y_citation_refs},
    ]  # fmt: skip
    cells = [object_array(chart.series), object_array(chart.x), object_array(chart.y)]
    converted = convert_schema(list(enumerate(schema)), cells.__getitem__)
    attrs = provenance("chart", artifact, artifact_id, thread_id, message_id)
    attrs["alfa_graph"] = {
        "graph_type": graph_type,
        "series_type": chart.series_type,
        "x_type": chart.x_type,
        "x_unit": chart.x_unit,
        "y_type": chart.y_type,
        "y_unit": chart.y_unit,
    }
    attrs["alfa_hidden_columns"] = []
    attrs["alfa_citations"] = referenced_citations(artifact, schema, citations)
    return assemble(converted, len(chart.series), attrs, dtype_backend=dtype_backend, units=units)
