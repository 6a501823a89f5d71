"""Each artifact prepared once for display, whatever the output format.

Tables and charts become a capped, formatted :class:`.grid.TableView` (a chart's is its data);
text artifacts their Markdown; anything else pretty-printed JSON. An artifact the answer
announced but could not fetch, or one that does not convert, still gets a view that says so.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..wire import markers
from .grid import Numbering, TableView, table_view

if TYPE_CHECKING:
    import pandas as pd

    from ..results.answer import Answer
    from ..wire.models import Artifact

JSON_PREVIEW_CHARS = 20_000
ANSWER_NAME = "_alfa"
"""What the notes under a capped table call the answer: the name ``%%alfa`` gives the last one."""
_PLAIN_ID = re.compile(r"[A-Za-z0-9_.:-]{1,80}")


@dataclass(frozen=True)
class ArtifactView:
    artifact_id: str | None
    kind: str  # "table" | "chart" | "text" | "json" | "missing" (not fetched) | "pending" (live)
    title: str | None = None
    table: TableView | None = None
    frame: pd.DataFrame | None = None  # a chart's long frame (series, x, y), for drawing
    text: str | None = None  # Markdown of a text artifact
    json: str | None = None  # pretty JSON: the json kind, or the body of one that did not convert
    note: str | None = None  # why it is shown as it is (fetch or conversion error)


def prepare(
    answer: Answer, limit: int, name: str | None = ANSWER_NAME, number: Numbering | None = None
) -> dict[str, ArtifactView]:
    """A view of every artifact of ``answer`` and of every one its text announces, by id.

    ``name`` is what the answer is called where the user types (``_alfa``, or ``-o``'s name): a
    capped table's note says where all its rows are in those words (None: the answer is in no
    variable, as in ``%alfa history``, and the note says only how many rows). ``number`` numbers the
    citations of tables and charts as sources (see :func:`.grid.table_view`)."""
    frames = _frames(answer)
    views: dict[str, ArtifactView] = {}
    table_number = 0
    for artifact in answer.artifacts:
        hint = None
        if artifact.kind == "table":
            hint = f"{name}.tables[{table_number}]" if name else None
            table_number += 1
        elif artifact.kind == "chart" and name and _PLAIN_ID.fullmatch(artifact.id):
            hint = f"{name}.artifact({artifact.id!r}).to_dataframe()"
        if artifact.id not in views:
            views[artifact.id] = view(artifact, limit, frames.get(artifact.id), hint, number)
    for artifact_id in markers.artifact_ids(answer.raw_text):
        if artifact_id not in views:
            views[artifact_id] = missing(artifact_id, answer.warnings)
    return views


def _frames(answer: Answer) -> dict[str, Any]:
    """``answer.tables`` by artifact id when they all convert (cached on the answer for later)."""
    try:
        tables = answer.tables
    except Exception:
        return {}
    ids = [a.id for a in answer.artifacts if a.kind == "table"]
    return dict(zip(ids, tables))


def view(
    artifact: Artifact,
    limit: int,
    frame: pd.DataFrame | None = None,
    hint: str | None = None,
    number: Numbering | None = None,
) -> ArtifactView:
    kind, title = artifact.kind, artifact.title
    if kind in ("table", "chart"):
        try:
            frame = frame if frame is not None else artifact.to_dataframe()
        except Exception as exc:
            reason = f"Could not be read as a {kind}: {exc}"
            return ArtifactView(artifact.id, "json", title, json=pretty_json(artifact.raw), note=reason)
        names = chart_labels(frame.attrs.get("alfa_graph") or {}) if kind == "chart" else None
        table = table_view(frame, limit, title=title, hint=hint, names=names, number=number)
        return ArtifactView(artifact.id, kind, title, table=table, frame=frame if kind == "chart" else None)
    if kind == "text":
        value = artifact.raw.get("val")
        if isinstance(value, str):
            return ArtifactView(artifact.id, "text", title, text=markers.plain_text(value))
    return ArtifactView(artifact.id, "json", title, json=pretty_json(artifact.raw))


_AXIS_NAMES = {
    "date": "Date",
    "datetime": "Time",
    "quarter": "Quarter",
    "month": "Month",
    "year": "Year",
    "stock": "Security",
}


def chart_labels(graph: Mapping[str, Any]) -> dict[str, str]:
    """Readable headers for a chart's data table than its frame's ``series``, ``x``, ``y``."""
    graph_type = graph.get("graph_type")
    x_type = str(graph.get("x_type") or "").lower()
    x_name = _AXIS_NAMES.get(x_type) or {"bar": "Group", "pie": "Slice"}.get(str(graph_type), "X")
    series = _AXIS_NAMES.get(str(graph.get("series_type") or "").lower(), "Series")
    return {"series": series, "x": x_name, "y": "Value"}  # the unit joins the header as for any table


def missing(artifact_id: str, warnings: list[str]) -> ArtifactView:
    reason = next((w for w in warnings if artifact_id in w), None)
    return ArtifactView(artifact_id, "missing", note=reason or f"Artifact {artifact_id} was not fetched.")


def pending(artifact_id: str | None) -> ArtifactView:
    return ArtifactView(artifact_id, "pending")


JSON_MAX_DEPTH = 64
"""Containers nested deeper than this read as :data:`TOO_DEEP`: walking as deep as the service's
JSON may go (valid JSON nests past Python's recursion limit) would fail the whole output."""
TOO_DEEP = "… (nested too deeply to show; the raw artifact keeps it)"


def jsonable(value: Any, _depth: int = 0) -> Any:
    """``value`` as plain JSON data: no NaN or infinity (null), dates as ISO text, else ``str``."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (Mapping, list, tuple, set, frozenset)) and _depth >= JSON_MAX_DEPTH:
        return TOO_DEEP
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v, _depth + 1) for v in value]
    isoformat = getattr(value, "isoformat", None)
    if callable(isoformat):
        return isoformat()
    return str(value)


def pretty_json(value: Any) -> str:
    text = json.dumps(jsonable(value), indent=2, ensure_ascii=False)
    if len(text) > JSON_PREVIEW_CHARS:
        text = text[:JSON_PREVIEW_CHARS] + f"\n… ({len(text) - JSON_PREVIEW_CHARS:,} more characters; see .artifacts)"
    return text
