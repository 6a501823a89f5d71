"""The result of a turn: text, sources, tables, logs; complete or partial."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from . import markers
from .errors import TurnFailedError
from .models import Artifact, Citation

if TYPE_CHECKING:
    import pandas as pd

    from .steps import AskResult
    from .turn import Turn


@dataclass(eq=False)
class Answer:
    """What Alfa answered. ``status`` is ``"complete"``, ``"no_results"`` (Alfa found nothing to
    answer with: an outcome, not a failure), ``"cancelled"`` (stopped by the user or the timeout),
    ``"error"`` (the service ended the turn with an error) or ``"incomplete"`` (the connection was
    lost before the turn ended; it may still be running on the service). An answer cut short
    holds everything that arrived before it."""

    question: str
    raw_text: str  # as the service wrote it, inline markers included
    status: str
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
        status = turn.status if turn.done else "incomplete"
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
    def tables(self) -> list[pd.DataFrame]:
        """One typed DataFrame per table artifact, in the order the answer announced them."""
        return [a.to_dataframe() for a in self.artifacts if a.kind == "table"]

    @property
    def df(self) -> pd.DataFrame | None:
        """The first table, or None."""
        return self.tables[0] if self.tables else None

    def artifact(self, artifact_id: str) -> Artifact | None:
        return next((a for a in self.artifacts if a.id == artifact_id), None)

    def citations_frame(self) -> pd.DataFrame:
        """The sources as a DataFrame, one row per citation, type-specific fields as columns."""
        from .frames import citations_to_dataframe

        return citations_to_dataframe(self.citations)

    @property
    def ok(self) -> bool:
        """The turn ended as the service meant it to: complete, or with no results."""
        return self.status in ("complete", "no_results")

    def raise_for_status(self) -> Answer:
        """Raise :class:`TurnFailedError` if the service ended the turn with an error."""
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
        from .render import answer_bundle

        return answer_bundle(self)

    def __repr__(self) -> str:
        preview = " ".join(self.text.split())
        preview = preview if len(preview) <= 60 else preview[:59] + "…"
        return (
            f"<Answer {self.status} thread={self.thread_id!r} {len(self.text)} chars, "
            f"{len(self.citations)} sources, {len(self.artifacts)} artifacts: {preview!r}>"
        )
