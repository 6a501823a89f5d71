"""Citations as a DataFrame: common columns first, the rest of each citation's raw fields after."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import pandas as pd

from ...wire import caller
from ...wire.models import Citation
from .backends import DEFAULT_DTYPE_BACKEND, check_dtype_backend
from .coltypes import OBJECT, TableConversionError, TableConversionWarning, column_type, convert_column, object_array
from .schema import FrameColumn, assemble, column_meta

# --------------------------------------------------------------------------------------------
# Citations.

CITATION_COLUMNS: Mapping[str, str] = {
    "id": "string",
    "type": "string",
    "title": "string",
    "url": "string",
    "published": "datetime",
    "snippet": "string",
    "inline_offset": "integer",
}

# Raw keys that the common columns already show; they are not repeated among the extra columns.
_CONSUMED_KEYS = frozenset(
    {
        "citation_id",
        "id",
        "citation_type",
        "type",
        "name",
        "title",
        "headline",
        "link",
        "url",
        "published_at",
        "published",
        "summary",
        "snippet",
        "inline_offset",
    }
)

# The types of the type-specific fields the service documents per citation type; others stay object.
CITATION_FIELD_TYPES: Mapping[str, str] = {
    "source_category": "string",
    "last_updated_at": "datetime",
    "is_snippet": "boolean",
    "num_articles": "integer",
    "development_start": "datetime",
    "article_id": "string",
    "last_fetched_at": "datetime",
    "snippet_highlight_start": "integer",
    "snippet_highlight_end": "integer",
    "custom_doc_id": "string",
    "chunk_id": "string",
    "internal_id": "string",
}


def _citation_raw(citation: Any) -> Mapping[str, Any]:
    raw = citation if isinstance(citation, Mapping) else getattr(citation, "raw", None)
    return raw if isinstance(raw, Mapping) else {}


def _lenient_column(name: str, col_type: str | None, cells: list[Any]) -> FrameColumn:
    """Citations have no declared schema: a field that does not fit its type stays object."""
    values = object_array(cells)
    convert = (column_type(col_type) or OBJECT).convert
    try:
        array = convert_column(convert, values, name, col_type, values)
    except TableConversionError as exc:
        caller.warn(f"{exc}; kept as object dtype", TableConversionWarning)
        array, col_type = values, None
    meta = column_meta({"name": name, "col_type": col_type}, name, 0, array.dtype)
    return FrameColumn(name, array, meta)


# (table, row, column) a citation belongs to, None where it does not apply
Place: TypeAlias = "tuple[int | None, int | None, str | None]"
PLACE_COLUMNS: Mapping[str, str] = {"table": "integer", "row": "integer", "column": "string"}


def table_citations(frame: pd.DataFrame) -> list[tuple[str, int | None, str | None]]:
    """``(citation id, row, column)`` for each place of a converted table that cites a source:
    cells (row and column), columns (column only), then the table's own (neither)."""
    known = frame.attrs.get("alfa_citations") or {}
    places: list[tuple[str, int | None, str | None]] = []
    for label, meta in (frame.attrs.get("alfa_columns") or {}).items():
        places += [(cit_id, None, label) for cit_id in meta.get("citation_ids") or ()]
        for row, ids in (meta.get("row_citation_ids") or {}).items():
            places += [(cit_id, int(row), label) for cit_id in ids]
    placed = {cit_id for cit_id, _, _ in places}
    places += [(cit_id, None, None) for cit_id in known if cit_id not in placed]
    return [place for place in places if place[0] in known]


def citations_to_dataframe(
    citations: Sequence[Any],
    *,
    places: Sequence[Place] | None = None,
    dtype_backend: str = DEFAULT_DTYPE_BACKEND,
) -> pd.DataFrame:
    """One row per citation: ``id``, ``type``, ``title``, ``url``, ``published``, ``snippet``,
    ``inline_offset``, then every other raw field (typed per the service's citation types, else
    object).

    Accepts Citation objects (``.id``, ``.type``, ... and ``.raw``) or plain dicts. With ``places``
    (one ``(table, row, column)`` per citation, ``None`` where it does not apply) the columns
    ``table``, ``row`` and ``column`` follow the common ones: where in which table it is cited.
    """
    dtype_backend = check_dtype_backend(dtype_backend)
    citations = [Citation.from_raw(c) if isinstance(c, Mapping) else c for c in citations]
    raws = [_citation_raw(c) for c in citations]
    extra_fields = [key for key in dict.fromkeys(k for raw in raws for k in raw) if key not in _CONSUMED_KEYS]
    columns = [
        _lenient_column(name, col_type, [getattr(c, name, None) for c in citations])
        for name, col_type in CITATION_COLUMNS.items()
    ]
    if places is not None:
        columns += [
            _lenient_column(name, col_type, [place[i] for place in places])
            for i, (name, col_type) in enumerate(PLACE_COLUMNS.items())
        ]
    columns += [
        _lenient_column(key, CITATION_FIELD_TYPES.get(key), [raw.get(key) for raw in raws]) for key in extra_fields
    ]
    return assemble(columns, len(citations), {"alfa_kind": "citations"}, dtype_backend=dtype_backend)
