"""The result of a turn: text, sources, tables, logs; complete or partial."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .._public import publish
from ..turn.machine import AnswerStatus, answer_status
from ..wire import arguments, markers
from ..wire.errors import NoSuchTableError, OptionalDependencyError, TurnFailedError
from ..wire.models import Artifact, Citation

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

    from ..turn.machine import Turn
    from ..turn.steps import AskResult


@dataclass(eq=False)
class Answer:
    """What Alfa answered. ``status`` is ``"complete"``, ``"no_results"`` (Alfa found nothing to
    answer with: an outcome, not a failure), ``"cancelled"`` (stopped by the user or the timeout),
    ``"error"`` (the service ended the turn with an error) or ``"incomplete"`` (the connection was
    lost before the turn ended; it may still be running on the service). An answer cut short
    holds everything that arrived before it."""

    question: str
    raw_text: str  # as the service wrote it, inline markers included
    status: AnswerStatus
    thread_id: str | None
    message_id: str | None
    citations: list[Citation] = field(default_factory=list)
    artifacts: list[Artifact] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    tools_called: Mapping[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    status_log: str | None = None  # what the service said as it ended the turn
    error: BaseException | None = None  # why an answer of a batch failed (``ask()`` raises it instead)
    cut_tables: Mapping[str, int] = field(default_factory=dict)  # artifact id -> rows it had, when saved cut
    attachments: list[str] = field(default_factory=list)  # files sent before the question (attach=), by name

    @classmethod
    def from_turn(
        cls, turn: Turn, artifacts: list[Artifact] | None = None, warnings: list[str] | None = None
    ) -> Answer:
        messages = turn.messages
        tools: dict[str, Any] = {}
        for m in messages:
            tools.update(m.tools_called)
        notes = list(warnings or ())
        if turn.recoveries and turn.done and not turn.interrupted:  # only then is it true
            notes.append(
                f"The event stream broke {turn.recoveries} time(s); each time the client picked the answer "
                "up again from the service."
            )
        if turn.malformed:
            notes.append(f"{len(turn.malformed)} malformed event(s) from the service were skipped.")
        # A turn that never ended was broken off on the client's side (the connection was lost):
        # the service did not end it, and it may still be running there.
        status = answer_status(turn.status) if turn.done else "incomplete"
        return cls(
            question=turn.question,
            raw_text=turn.raw_text,
            status=status,
            thread_id=turn.thread_id,
            message_id=turn.message_id,
            citations=turn.citations,
            artifacts=list(artifacts or ()),
            logs=list(turn.logs),
            elapsed=turn.elapsed,
            tools_called=tools,
            warnings=notes,
            status_log=turn.status_log,
            attachments=list(turn.attached),
        )

    @classmethod
    def from_result(cls, result: AskResult) -> Answer:
        warnings = [f"Artifact {i} could not be fetched: {e}" for i, e in result.artifact_errors.items()]
        return cls.from_turn(result.turn, result.artifacts, warnings)

    @cached_property
    def text(self) -> str:
        """The answer as Markdown, artifact markers removed."""
        return markers.plain_text(self.raw_text).strip()

    @cached_property
    def _table_frames(self) -> tuple[pd.DataFrame, ...]:
        """The tables as Alfa sent them, converted once; only copies are handed out."""
        return tuple(a.to_dataframe() for a in self._table_artifacts)

    @property
    def _table_artifacts(self) -> list[Artifact]:
        return [a for a in self.artifacts if a.kind == "table"]

    @property
    def tables(self) -> list[pd.DataFrame]:
        """One typed DataFrame per table artifact, in the order the answer announced them.

        Each access gives fresh copies: change them freely, the answer still shows what Alfa sent.
        """
        return [frame.copy() for frame in self._table_frames]

    @property
    def df(self) -> pd.DataFrame | None:
        """A copy of the first table, or None."""
        frames = self._table_frames
        return frames[0].copy() if frames else None

    @property
    def charts(self) -> list[pd.DataFrame]:
        """One tidy frame (``series``, ``x``, ``y``) per chart artifact; ``.alfa.plot()`` draws it."""
        return [a.to_dataframe() for a in self.artifacts if a.kind == "chart"]

    def to_dataframe(
        self,
        i: int = 0,
        *,
        dtype_backend: str = "numpy_nullable",
        units: str = "attrs",
        expand_stocks: bool = False,
        include_hidden: bool = False,
    ) -> pd.DataFrame:
        """Table ``i`` as a new DataFrame: ``dtype_backend`` ``"numpy_nullable"``, ``"pyarrow"`` or
        ``"numpy"``; ``units="label"`` puts each unit into its column label (see docs/frames.md)."""
        artifact = self._table_artifact(i)
        if (dtype_backend, units, expand_stocks, include_hidden) == ("numpy_nullable", "attrs", False, False):
            return self._table_frames[self._table_artifacts.index(artifact)].copy()
        return artifact.to_dataframe(
            dtype_backend=dtype_backend, units=units, expand_stocks=expand_stocks, include_hidden=include_hidden
        )

    def table(self, title_or_index: int | str) -> pd.DataFrame:
        """A table by its position in :attr:`tables` or by its title (exact, else ignoring case)."""
        if isinstance(title_or_index, int):
            return self.to_dataframe(title_or_index)
        titles = [a.title or "" for a in self._table_artifacts]
        wanted = str(title_or_index)
        for same in (str.__eq__, lambda a, b: a.casefold() == b.casefold()):
            for i, title in enumerate(titles):
                if same(title, wanted):
                    return self.to_dataframe(i)
        raise NoSuchTableError(f"no table titled {wanted!r}; the answer's tables are {titles!r}")

    def _table_artifact(self, i: int) -> Artifact:
        arguments.whole(i, "i (a table's position, 0 for the first)")
        artifacts = self._table_artifacts
        if not -len(artifacts) <= i < len(artifacts):
            raise NoSuchTableError(f"no table {i}: the answer has {len(artifacts)} table(s)")
        return artifacts[i]

    def to_polars(self, i: int = 0) -> pl.DataFrame:
        """Table ``i`` as a polars DataFrame (``pip install 'alfa-notebook[polars]'``), through Arrow;
        quarters, months and years become their text ("2024Q2"), as polars has no period type."""
        try:
            import polars as pl
        except ImportError:
            raise OptionalDependencyError(
                "to_polars() needs polars, which is not installed: pip install 'alfa-notebook[polars]'"
            ) from None
        frame = self.to_dataframe(i, dtype_backend="pyarrow")
        periods = [label for label, dtype in frame.dtypes.items() if str(dtype).startswith("period")]
        for label in periods:
            frame[label] = frame[label].astype("string[pyarrow]")
        return pl.from_pandas(frame)

    def to_markdown(self, *, table_rows: int = 20) -> str:
        """The answer as Markdown, as the notebook's ``text/markdown`` output shows it."""
        from ..render import answer_bundle

        return str(answer_bundle(self, table_rows=table_rows)[0]["text/markdown"])

    def to_html(self, *, table_rows: int = 20) -> str:
        """The answer as a self-contained, sanitised HTML fragment (the notebook's rendering)."""
        from ..render import answer_bundle

        return str(answer_bundle(self, table_rows=table_rows)[0]["text/html"])

    def to_text(self, *, table_rows: int = 20) -> str:
        """The answer as plain text, as a terminal shows it."""
        from ..render import answer_text

        return answer_text(self, table_rows=table_rows)

    def artifact(self, artifact_id: str) -> Artifact | None:
        """The artifact with this id, or None."""
        return next((a for a in self.artifacts if a.id == artifact_id), None)

    def citations_frame(self, *, dtype_backend: str = "numpy_nullable") -> pd.DataFrame:
        """The sources as a DataFrame, one row per citation and place, type-specific fields as columns.

        The answer's own citations come first (``table``, ``row``, ``column`` missing), then each
        table's: ``table`` is its position in :attr:`tables`, ``row`` and ``column`` the cell (a
        column's citation has no ``row``, the table's own neither).
        """
        from .frames import citations_to_dataframe, table_citations

        citations: list[Citation] = list(self.citations)
        places: list[tuple[int | None, int | None, str | None]] = [(None, None, None)] * len(citations)
        for number, frame in enumerate(self._table_frames):
            records = frame.attrs.get("alfa_citations") or {}
            for cit_id, row, column in table_citations(frame):
                citations.append(Citation.from_raw(records[cit_id]))
                places.append((number, row, column))
        return citations_to_dataframe(citations, places=places, dtype_backend=dtype_backend)

    @property
    def ok(self) -> bool:
        """The turn ended as the service meant it to: complete, or with no results."""
        return self.status in ("complete", "no_results")

    def raise_for_status(self) -> Answer:
        """Raise what ended this answer in failure: the error an item of a batch met (``.error``),
        else :class:`TurnFailedError` if the service ended the turn with an error."""
        if self.error is not None:
            raise self.error
        if self.status == "error":
            said = f" ({self.status_log.strip()})" if self.status_log and self.status_log.strip() else ""
            arrived = (
                "What arrived before it is in the error's .answer"
                if self.raw_text.strip() or self.logs
                else "Nothing of an answer had arrived"
            )
            error = TurnFailedError(f"Alfa ended the answer with an error{said}. {arrived}; ask again, or rephrase.")
            error.answer = self
            error.thread_id = self.thread_id
            raise error
        return self

    def to_dict(self, *, max_rows: int | None = None) -> dict[str, Any]:
        """The answer as plain data, lossless: text, status, logs, citations and artifacts as the
        service sent them, ids, elapsed time, warnings. ``max_rows`` keeps that many rows of each
        table (and says how many there were): what a saved notebook keeps."""
        from .answer_data import to_dict

        return to_dict(self, max_rows=max_rows)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Answer:
        """The answer :meth:`to_dict` made (also from a saved notebook, see ``load_answers``)."""
        from .answer_data import from_dict

        return from_dict(cls, data)

    def to_json(self, *, indent: int | None = None) -> str:
        """:meth:`to_dict` as JSON text."""
        import json

        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, default=str)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
        """The whole answer as static output (HTML, Markdown, text, JSON): what a notebook keeps."""
        from ..render import answer_bundle

        return answer_bundle(self)

    def __repr__(self) -> str:
        preview = " ".join(self.text.split())
        preview = preview if len(preview) <= 60 else preview[:59] + "…"
        return (
            f"<Answer {self.status} thread={self.thread_id!r} {len(self.text)} chars, "
            f"{len(self.citations)} sources, {len(self.artifacts)} artifacts: {preview!r}>"
        )


publish(__name__)  # last: the public names above report alfa_notebook as their module
