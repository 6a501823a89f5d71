"""What the HTML, Markdown and text renderers share: one walk over the answer, made once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..wire.models import Citation
from .artifacts import ANSWER_NAME, ArtifactView, missing, prepare
from .citations import CitationFacts, facts
from .safe import plain
from .walk import Document, Source, walk

if TYPE_CHECKING:
    from ..results.answer import Answer


@dataclass
class Prepared:
    """Everything the three renderers share: the walk, the artifact views, the source facts."""

    answer: Answer
    doc: Document
    views: dict[str, ArtifactView]
    sources: list[CitationFacts]

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
            f"attached {', '.join(code.format(escape(name)) for name in a.attachments)}" if a.attachments else "",
        ]  # fmt: skip (no time: not measured, as in a history)
        return " · ".join(["Alfa", *(i for i in items if i)])


class SourceNumbers:
    """Source numbers by citation id: the text's, then each new one a table or chart cites, in the
    order they are met. A citation the text and a table share (the same id, or the same type, title
    and link under another id) keeps one number and one card."""

    def __init__(self, sources: list[Source]) -> None:
        self.sources: list[Source] = []
        self._by_id: dict[str, int] = {}
        self._by_content: dict[tuple[Any, ...], int] = {}
        for source in sources:
            self._add(source)

    def _add(self, source: Source) -> None:
        self.sources.append(source)
        if source.citation.id is not None:
            self._by_id.setdefault(source.citation.id, source.number)
        self._by_content.setdefault(_content(source.citation), source.number)

    def __call__(self, citation_id: str, citation: Any) -> int | None:
        if citation_id in self._by_id:
            return self._by_id[citation_id]
        if isinstance(citation, Mapping):
            citation = Citation.from_raw(citation)
        if not isinstance(citation, Citation):
            return None
        number = self._by_content.get(_content(citation))
        if number is None:
            number = len(self.sources) + 1
            self._add(Source(number, citation, placed=True))
        self._by_id[citation_id] = number
        return number


def _content(c: Citation) -> tuple[Any, ...]:
    """What makes two citations the same source to a reader; an id keeps untitled ones apart."""
    return (c.type, c.title, c.url) if c.title or c.url else (c.id,)


def prepare_answer(answer: Answer, table_rows: int = 20, name: str | None = ANSWER_NAME) -> Prepared:
    doc = walk(answer.raw_text, answer.citations)
    numbers = SourceNumbers(doc.sources)
    views = prepare(answer, table_rows, name, numbers)
    return Prepared(answer, doc, views, [facts(s) for s in numbers.sources])
