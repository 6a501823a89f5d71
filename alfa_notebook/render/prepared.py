"""What the HTML, Markdown and text renderers share: one walk over the answer, made once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .artifacts import ArtifactView, missing, prepare
from .safe import plain
from .sources import SourceFacts, facts
from .walk import Document, walk

if TYPE_CHECKING:
    from ..answer import Answer


@dataclass
class Prepared:
    """Everything the three renderers share: the walk, the artifact views, the source facts."""

    answer: Answer
    doc: Document
    views: dict[str, ArtifactView]
    sources: list[SourceFacts]

    def view_of(self, artifact_id: str | None) -> ArtifactView:
        return self.views.get(artifact_id or "") or missing(artifact_id or "?", self.answer.warnings)

    @property
    def unplaced(self) -> dict[str, ArtifactView]:
        """Artifacts the answer carries that its text never places."""
        placed = set(self.doc.embedded_ids)
        return {key: v for key, v in self.views.items() if key not in placed}

    def footer(self, code: str = "{}", escape: Callable[[Any], str] = plain) -> str:
        """ "Alfa · thread … · message … · 1.2 s", ids escaped with ``escape`` and set in ``code``."""
        a = self.answer
        items = [
            f"thread {code.format(escape(a.thread_id))}" if a.thread_id else "",
            f"message {code.format(escape(a.message_id))}" if a.message_id else "",
            f"{a.elapsed:.1f} s" if a.elapsed else "",
        ]  # fmt: skip (no time: not measured, as in a history)
        return " · ".join(["Alfa", *(i for i in items if i)])


def prepare_answer(answer: Answer, table_rows: int = 20) -> Prepared:
    doc = walk(answer.raw_text, answer.citations)
    return Prepared(answer, doc, prepare(answer, table_rows), [facts(s) for s in doc.sources])
