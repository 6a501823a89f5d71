"""The answers of one ``ask_many``: a sequence of :class:`Answer` in input order, and the views a
researcher wants across them (one row per question, one table across the answers)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, overload

from .._public import publish
from ..wire.errors import NoSuchTableError
from .answer import Answer

if TYPE_CHECKING:
    import pandas as pd

Rerun = Callable[[list[str], list[Any]], Any]
"""Asks questions again under their keys; returns a Batch (or, for an async client, an awaitable of one)."""

COLUMNS = (
    "key",
    "question",
    "status",
    "text",
    "n_tables",
    "n_sources",
    "thread_id",
    "message_id",
    "elapsed",
    "error",
)


def describe_error(error: BaseException | None) -> str | None:
    """An item's error as one line: its type and what it said."""
    if error is None:
        return None
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


class Batch(Sequence[Answer]):
    """The answers of :meth:`AlfaClient.ask_many`, in the order of the questions.

    A failed item is an :class:`Answer` with status ``"error"`` and its exception in ``.error``;
    an item an interrupt stopped (or never started) has status ``"cancelled"``. ``keys`` label the
    items (a Series' index, else the questions).
    """

    def __init__(
        self,
        keys: Sequence[Any],
        answers: Sequence[Answer],
        *,
        elapsed: float = 0.0,
        interrupted: bool = False,
        rerun: Rerun | None = None,
    ) -> None:
        if len(keys) != len(answers):
            raise ValueError("a Batch needs one key per answer")
        self.keys = list(keys)
        self.answers = list(answers)
        self.elapsed = elapsed
        self.interrupted = interrupted
        self._rerun = rerun

    @overload
    def __getitem__(self, index: int) -> Answer: ...
    @overload
    def __getitem__(self, index: slice) -> list[Answer]: ...
    def __getitem__(self, index: int | slice) -> Answer | list[Answer]:
        return self.answers[index]

    def __len__(self) -> int:
        return len(self.answers)

    def __iter__(self) -> Iterator[Answer]:
        return iter(self.answers)

    @property
    def questions(self) -> list[str]:
        return [a.question for a in self.answers]

    @property
    def failed(self) -> list[int]:
        """Positions of the items that did not finish: errors, and items an interrupt stopped."""
        return [i for i, a in enumerate(self.answers) if not a.ok]

    def counts(self) -> dict[str, int]:
        """How many items ended in each status, ``{"complete": 198, "error": 2}``."""
        return dict(Counter(a.status for a in self.answers))

    def get(self, key: Any) -> Answer:
        """The answer of the item labelled ``key`` (the first, if keys repeat)."""
        return self.answers[self.keys.index(key)]

    def to_dataframe(self) -> pd.DataFrame:
        """One row per question: key, question, status, text, n_tables, n_sources, thread_id,
        message_id, elapsed (seconds) and error (its type and message, or None)."""
        import pandas as pd

        rows = [
            (
                key,
                a.question,
                a.status,
                a.text,
                sum(1 for art in a.artifacts if art.kind == "table"),
                len(a.citations),
                a.thread_id,
                a.message_id,
                a.elapsed,
                describe_error(a.error),
            )
            for key, a in zip(self.keys, self.answers)
        ]
        frame = pd.DataFrame(rows, columns=list(COLUMNS))
        return frame.astype({"n_tables": "int64", "n_sources": "int64", "elapsed": "float64"})

    def tables(self, i: int = 0) -> pd.DataFrame:
        """Each answer's ``i``-th table, one under the other, with a leading ``key`` column.

        The columns are the union of the tables' (a table without one has missing values there),
        and ``df.alfa`` still reads every cell's sources and every column's unit; answers with
        fewer tables add no rows (docs/batch.md says how the metadata is merged)."""
        from .frames.stack import stack_tables

        if not isinstance(i, int) or isinstance(i, bool) or i < 0:
            raise NoSuchTableError(f"tables(i) takes a table's position from 0, not {i!r}")
        return stack_tables(
            [(key, tables[i]) for key, a in zip(self.keys, self.answers) if len(tables := a.tables) > i]
        )

    def retry_failed(self) -> Any:
        """Ask the failed items again (errors, and items an interrupt stopped), each in a new
        thread, and return the merged Batch: answered items kept, the others replaced. A batch of
        an :class:`AsyncAlfaClient` returns an awaitable: ``await batch.retry_failed()``."""
        if self._rerun is None:
            raise RuntimeError("this Batch was not made by ask_many, so it cannot ask again")
        positions = self.failed
        again = self._rerun([self.answers[i].question for i in positions], [self.keys[i] for i in positions])
        if hasattr(again, "__await__"):

            async def merged() -> Batch:
                return self.merge(positions, await again)

            return merged()
        return self.merge(positions, again)

    def merge(self, positions: Sequence[int], again: Batch) -> Batch:
        """This batch with the items at ``positions`` replaced by ``again``'s, in order."""
        answers = list(self.answers)
        for position, answer in zip(positions, again.answers):
            answers[position] = answer
        return Batch(
            self.keys,
            answers,
            elapsed=self.elapsed + again.elapsed,
            interrupted=again.interrupted,
            rerun=self._rerun,
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
        """The static summary: counts, time, and a table of the items (what a notebook keeps)."""
        from ..render.batch_view import batch_bundle

        return batch_bundle(self)

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(self.counts().items()))
        stopped = ", interrupted" if self.interrupted else ""
        return f"<Batch {len(self)} items: {counts or 'none'}{stopped}, {self.elapsed:.1f} s>"


publish(__name__)  # last: the public names above report alfa_notebook as their module
