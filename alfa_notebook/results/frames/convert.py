"""Any artifact to its DataFrame form: the one entry point, dispatching on the artifact's kind."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ...wire.models import artifact_kind
from .backends import DEFAULT_DTYPE_BACKEND
from .charts import chart_to_dataframe
from .coltypes import ArtifactKindError
from .schema import citation_id, table_to_dataframe
from .units import DEFAULT_UNITS

# --------------------------------------------------------------------------------------------
# Any artifact.


def artifact_to_dataframe(
    artifact: Any,
    *,
    expand_stocks: bool = False,
    include_hidden: bool = False,
    artifact_id: str | None = None,
    thread_id: str | None = None,
    message_id: str | None = None,
    citations: Mapping[str, object] | None = None,
    dtype_backend: str = DEFAULT_DTYPE_BACKEND,
    units: str = DEFAULT_UNITS,
) -> pd.DataFrame:
    """A table or chart artifact as a DataFrame; text and opaque JSON raise ArtifactKindError.

    ``artifact`` is the inner artifact mapping, or an object with ``raw`` (that mapping) and
    optionally ``id``, ``thread_id``, ``message_id`` and ``citations`` (Citation objects),
    which then supply the provenance not given explicitly. ``expand_stocks`` and
    ``include_hidden`` apply to tables; ``dtype_backend`` and ``units`` to both.
    """
    body = artifact if isinstance(artifact, Mapping) else getattr(artifact, "raw", artifact)
    artifact_id = artifact_id or getattr(artifact, "id", None)
    thread_id = thread_id or getattr(artifact, "thread_id", None)
    message_id = message_id or getattr(artifact, "message_id", None)
    citations = citations if citations is not None else _citations_by_id(artifact)
    kind = artifact_kind(body)
    common: dict[str, Any] = {"artifact_id": artifact_id, "thread_id": thread_id, "message_id": message_id,
              "citations": citations, "dtype_backend": dtype_backend, "units": units}  # fmt: skip
    if kind == "table":
        return table_to_dataframe(body, expand_stocks=expand_stocks, include_hidden=include_hidden, **common)
    if kind == "chart":
        return chart_to_dataframe(body, **common)
    raise ArtifactKindError(
        f"{_artifact_name(artifact_id, body)} is a {kind} artifact, not a table "
        "or chart, so it has no DataFrame form; its content is in Artifact.raw"
    )


def _artifact_name(artifact_id: str | None, body: Any) -> str:
    named = f"artifact {artifact_id!r}" if artifact_id else "this artifact"
    title = body.get("title") if isinstance(body, Mapping) else None
    return f"{named} ({title!r})" if title else named


def _citations_by_id(artifact: Any) -> Mapping[str, object] | None:
    objects = getattr(artifact, "citations", None)
    if isinstance(artifact, Mapping) or objects is None:
        return None
    by_id = {cit_id: c for c in objects if (cit_id := citation_id(c)) is not None}
    return by_id or None
