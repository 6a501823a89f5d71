"""Typed views of what the service returns. Each keeps the original JSON in ``raw``.

Parsing is liberal, since the service's documentation leaves the shapes open (docs/protocol.md):
unknown fields are kept in ``raw``, missing optional fields become ``None``, and an unknown
``citation_type`` is still a :class:`Citation`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .._public import publish

if TYPE_CHECKING:
    import pandas as pd

TERMINAL_STATUSES = frozenset({"complete", "cancelled", "canceled", "error", "failed", "no_results_found"})


def normalise_status(status: Any) -> str:
    """Status strings compare case-insensitively; the API writes ``Complete``, the backend ``COMPLETE``."""
    return str(status or "").strip().lower().replace(" ", "_")


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class Thread:
    """A conversation with Alfa: its id, its name, when it was created and last updated."""

    id: str
    name: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Thread:
        return cls(
            id=str(raw.get("thread_id") or raw.get("id") or ""),
            name=_str(raw.get("thread_name") or raw.get("name")),
            created_at=parse_time(raw.get("created_at")),
            updated_at=parse_time(raw.get("last_updated") or raw.get("updated_at")),
            raw=raw,
        )


@dataclass(frozen=True)
class Citation:
    """One source. ``type`` is the service's ``citation_type``; ``raw`` keeps every field."""

    id: str | None
    type: str
    title: str | None
    url: str | None = None
    snippet: str | None = None
    published: datetime | None = None
    inline_offset: int | None = None
    highlight: tuple[int, int] | None = None  # [start, end) within ``snippet``
    source: str | None = None  # publisher, or the link's domain
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Citation:
        url = _str(raw.get("link") or raw.get("url"))
        offset = raw.get("inline_offset")
        return cls(
            id=_str(raw.get("citation_id") or raw.get("id")),
            type=str(raw.get("citation_type") or raw.get("type") or "unknown"),
            title=_str(raw.get("name") or raw.get("title") or raw.get("headline")),
            url=url,
            snippet=_str(raw.get("summary") or raw.get("snippet")),
            published=parse_time(raw.get("published_at") or raw.get("last_updated_at") or raw.get("development_start")),
            inline_offset=offset if isinstance(offset, int) and not isinstance(offset, bool) else None,
            highlight=_highlight(raw),
            source=_str(raw.get("source") or raw.get("publisher") or raw.get("source_category")) or _domain(url),
            raw=raw,
        )


def _highlight(raw: Mapping[str, Any]) -> tuple[int, int] | None:
    start, end = raw.get("snippet_highlight_start"), raw.get("snippet_highlight_end")
    if isinstance(start, int) and isinstance(end, int) and 0 <= start <= end:
        return start, end + 1  # the service's end is inclusive
    return None


def _domain(url: str | None) -> str | None:
    if not url:
        return None
    host = urlsplit(url).hostname
    return host.removeprefix("www.") if host else None


def parse_citations(items: Any) -> list[Citation]:
    if not isinstance(items, Sequence) or isinstance(items, (str, bytes)):
        return []
    return [Citation.from_raw(c) for c in items if isinstance(c, Mapping)]


@dataclass(frozen=True)
class Message:
    """One message of a thread's history: a question (``is_user``) or an answer, with its sources."""

    id: str
    text: str
    is_user: bool
    time: datetime | None = None
    citations: list[Citation] = field(default_factory=list)
    metadata: Mapping[str, Any] = field(default_factory=dict, repr=False)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Message:
        metadata = raw.get("message_metadata")
        metadata = metadata if isinstance(metadata, Mapping) else {}
        # The history puts citations beside the message, the stream inside its metadata.
        citations = raw.get("citations") or metadata.get("citations")
        return cls(
            id=str(raw.get("message_id") or raw.get("id") or ""),
            text=str(raw.get("message") or raw.get("text") or ""),
            is_user=bool(raw.get("is_user_message", False)),
            time=parse_time(raw.get("message_time")),
            citations=parse_citations(citations),
            metadata=metadata,
            raw=raw,
        )

    @property
    def tools_called(self) -> Mapping[str, Any]:
        """The tools the service says it used for this message (its ``message_metadata``)."""
        tools = self.metadata.get("tools_called")
        return tools if isinstance(tools, Mapping) else {}


@dataclass(frozen=True)
class History:
    """A page of a thread's messages, oldest first; ``total`` counts the whole thread's."""

    messages: list[Message]
    total: int | None
    start_index: int

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> History:
        items = raw.get("messages")
        total = raw.get("total_message_count")
        return cls(
            messages=[Message.from_raw(m) for m in items if isinstance(m, Mapping)] if isinstance(items, list) else [],
            total=total if isinstance(total, int) else None,
            start_index=_index(raw.get("start_index")),
        )


def _index(value: Any) -> int:
    """A count the service sends as a number or a numeric string; anything else reads as 0."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and value.strip().isdecimal() else 0


@dataclass(frozen=True)
class Progress:
    """What a thread is doing now: the status of its task and its latest work-in-progress line."""

    status: str | None  # normalised: "running", "complete", ...; None when nothing has run
    log: str | None = None
    task_id: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Progress:
        data = raw.get("progress_data")
        if not isinstance(data, Mapping):
            return cls(status=None, raw=raw)
        return cls(
            status=normalise_status(data.get("status")) or None,
            log=_str(data.get("log")),
            task_id=_str(data.get("task_id")),
            raw=raw,
        )

    @property
    def is_running(self) -> bool:
        """A task is under way: it has a status, and not one that ends a turn."""
        return self.status is not None and self.status not in TERMINAL_STATUSES


def artifact_kind(artifact: Any) -> str:
    """``"table"``, ``"chart"``, ``"text"`` or ``"json"``: liberal, a table is anything with
    ``columns`` and ``rows``."""
    if not isinstance(artifact, Mapping):
        return "json"
    output_type = artifact.get("output_type")
    if output_type == "table" or ("columns" in artifact and "rows" in artifact):
        return "table"
    if output_type == "graph" or isinstance(artifact.get("graph"), Mapping):
        return "chart"
    if output_type == "text":
        return "text"
    return "json"


@dataclass(frozen=True)
class Artifact:
    """A table, chart, text or other JSON object produced during a turn."""

    id: str
    raw: Mapping[str, Any] = field(repr=False)
    thread_id: str | None = None
    message_id: str | None = None
    citations: list[Citation] = field(default_factory=list, repr=False)

    @classmethod
    def from_raw(
        cls, artifact_id: str, raw: Any, *, thread_id: str | None = None, message_id: str | None = None
    ) -> Artifact:
        body = raw if isinstance(raw, Mapping) else {"value": raw}
        return cls(
            id=artifact_id,
            raw=body,
            thread_id=thread_id,
            message_id=message_id,
            citations=parse_citations(body.get("citations")),
        )

    @property
    def kind(self) -> str:
        """``"table"``, ``"chart"``, ``"text"`` or ``"json"`` (anything else)."""
        return artifact_kind(self.raw)

    @property
    def title(self) -> str | None:
        """The title the service gave the artifact, if any."""
        return _str(self.raw.get("title"))

    def to_dataframe(
        self,
        *,
        expand_stocks: bool = False,
        include_hidden: bool = False,
        dtype_backend: str = "numpy_nullable",
        units: str = "attrs",
    ) -> pd.DataFrame:
        """The artifact as a typed DataFrame (tables and charts), one dtype per declared column type;
        the conversion lives in ``alfa_notebook.results.frames``.

        ``dtype_backend`` names pandas' arrays ("numpy_nullable", "pyarrow", "numpy"); ``units="label"``
        writes each column's unit into its label.
        """
        from ..results import frames

        return frames.artifact_to_dataframe(
            self, expand_stocks=expand_stocks, include_hidden=include_hidden, dtype_backend=dtype_backend, units=units
        )


publish(__name__)  # last: the public names above report alfa_notebook as their module
