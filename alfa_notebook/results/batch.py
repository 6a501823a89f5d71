"""The answers of one ``ask_many``: a sequence of :class:`Answer` in input order, and the views a
researcher wants across them (one row per question, one table across the answers)."""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, overload

from .._public import publish
from ..wire.errors import AlfaError, NoSuchTableError
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
    "n_citations",
    "thread_id",
    "message_id",
    "elapsed",
    "error",
)


FORMAT = 1  # of Batch.to_dict(); from_dict reads this format
MIME_BATCH = "application/vnd.alfa.batch+json"  # the dict's media type, as a notebook output saves it


class SavedError(AlfaError):
    """An item's error as a saved notebook kept it: its type and message, as text (the exception
    itself is not saved). ``describe_error`` gives that text back unchanged."""


def describe_error(error: BaseException | None) -> str | None:
    """An item's error as one line: its type and what it said."""
    if error is None:
        return None
    if isinstance(error, SavedError):
        return str(error)
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


class BatchError(AlfaError):
    """Items of a batch did not complete (errors, or items an interrupt stopped), from
    :meth:`Batch.raise_for_status`: ``batch`` is the whole batch, ``failed`` those items' positions."""

    def __init__(self, batch: Batch) -> None:
        self.batch = batch
        self.failed = batch.failed
        super().__init__(f"{batch.what_failed()}; `batch.retry_failed()` asks them again.")


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

    def what_failed(self, names: int = 5) -> str:
        """``2 of 30 failed (RateLimitError: ...): AMD, INTC``: how many, why, and the first keys."""
        failed = self.failed
        if not failed:
            return f"none of {len(self)} failed"
        # Each reason's first sentence: its advice speaks for one ask, the line for the batch.
        reasons = list(dict.fromkeys((describe_error(self.answers[i].error) or "").split(". ")[0] for i in failed))
        stopped = sum(1 for i in failed if self.answers[i].status == "cancelled")
        said = [r for r in reasons if r][:2]
        if stopped:
            said.append(f"{stopped} cancelled")
        keys = ", ".join(str(self.keys[i]) for i in failed[:names]) + (", …" if len(failed) > names else "")
        why = f" ({'; '.join(said)})" if said else ""  # an error with no exception says no reason
        return f"{len(failed)} of {len(self)} failed{why}: {keys}"

    def raise_for_status(self) -> Batch:
        """This batch if every item completed (or found no results); else raises one
        :class:`BatchError` naming the items that did not."""
        if self.failed:
            raise BatchError(self)
        return self

    def counts(self) -> dict[str, int]:
        """How many items ended in each status, ``{"complete": 198, "error": 2}``."""
        return dict(Counter(a.status for a in self.answers))

    def get(self, key: Any) -> Answer:
        """The answer of the item labelled ``key`` (the first, if keys repeat)."""
        return self.answers[self.keys.index(key)]

    def to_dataframe(self) -> pd.DataFrame:
        """One row per question: key, question, status, text, n_tables, n_citations, thread_id,
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
        return frame.astype({"n_tables": "int64", "n_citations": "int64", "elapsed": "float64"})

    def concat_tables(self, i: int = 0) -> pd.DataFrame:
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
        an :class:`AsyncAlfaClient` returns an awaitable: ``await batch.retry_failed()``. With
        nothing to retry, it says so in one line and returns this batch, asking nothing."""
        if self._rerun is None:
            raise RuntimeError("this Batch was not made by ask_many, so it cannot ask again")
        positions = self.failed
        if not positions:
            print("Alfa: nothing to retry: no item failed.")
            return _resolved(self) if inspect.iscoroutinefunction(self._rerun) else self
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

    def to_dict(self, *, max_rows: int | None = None) -> dict[str, Any]:
        """The batch as plain data: its keys, time, whether it was interrupted, and each item's
        :meth:`Answer.to_dict` (``max_rows`` rows of each table kept) and error (as text): what a
        saved notebook keeps of an ``--each`` cell, read back by :meth:`from_dict`."""
        return {
            "format": FORMAT,
            "elapsed": self.elapsed,
            "interrupted": self.interrupted,
            "items": [
                {"key": key, "error": describe_error(a.error), "answer": a.to_dict(max_rows=max_rows)}
                for key, a in zip(self.keys, self.answers)
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Batch:
        """The batch :meth:`to_dict` made (also from a saved notebook, see ``load_answers``). It
        cannot ask again (``retry_failed``): it has no client."""
        if not isinstance(data, Mapping) or not isinstance(data.get("items"), list):
            raise ValueError("not a batch's dict (Batch.to_dict() makes one): it has no 'items' list")
        keys, answers = [], []
        for item in data["items"]:
            answer = Answer.from_dict(item["answer"])
            if item.get("error"):
                answer.error = SavedError(str(item["error"]))
            keys.append(item.get("key"))
            answers.append(answer)
        return cls(keys, answers, elapsed=float(data.get("elapsed") or 0.0), interrupted=bool(data.get("interrupted")))

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
        """The static summary: counts, time, a table of the items, and the items as data (what a
        notebook keeps)."""
        from ..render.batch_view import batch_bundle

        return batch_bundle(self)

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(self.counts().items()))
        stopped = ", interrupted" if self.interrupted else ""
        return f"<Batch {len(self)} items: {counts or 'none'}{stopped}, {self.elapsed:.1f} s>"


async def _resolved(batch: Batch) -> Batch:
    return batch


publish(__name__)  # last: the public names above report alfa_notebook as their module
