"""A batch stopped part-way, and asked again: what had arrived stays, every unfinished item is
asked again, and the merged batch says how it ended (without the client or a service)."""

from __future__ import annotations

import asyncio

from alfa_notebook.many import BatchRun, View, ask_each
from alfa_notebook.results.answer import Answer
from alfa_notebook.results.batch import Batch


def answer(question: str, status: str, text: str = "") -> Answer:
    return Answer(question=question, raw_text=text, status=status, thread_id=None, message_id=None)


class Asked:
    """A rerun that answers every question, recording what it was asked."""

    def __init__(self) -> None:
        self.questions: list[str] = []

    def __call__(self, questions: list[str], keys: list[object]) -> Batch:
        self.questions += questions
        return Batch(keys, [answer(q, "complete", f"{q}: done") for q in questions], elapsed=1.0)


def interrupted_batch(rerun: Asked) -> Batch:
    answers = [answer("a", "complete", "a: kept"), answer("b", "error"), answer("c", "cancelled", "c: partial")]
    return Batch(["a", "b", "c"], answers, elapsed=2.0, interrupted=True, rerun=rerun)


def test_retry_failed_asks_the_items_an_interrupt_stopped_as_well_as_the_errors():
    rerun = Asked()
    merged = interrupted_batch(rerun).retry_failed()
    assert rerun.questions == ["b", "c"]
    assert [a.text for a in merged] == ["a: kept", "b: done", "c: done"]


def test_a_batch_merged_after_a_full_retry_no_longer_says_interrupted():
    merged = interrupted_batch(Asked()).retry_failed()
    assert not merged.interrupted and "interrupted" not in repr(merged)
    assert merged.elapsed == 3.0


def test_an_interrupted_item_keeps_what_had_arrived():
    """Ctrl-C during a batch: the running item stops with its partial answer, which the batch
    keeps (the item is cancelled, not emptied); the item that had not started is cancelled."""

    class View:
        def finish(self, batch: Batch) -> None:
            self.batch = batch

    async def main() -> BatchRun:
        run = BatchRun(["running", "waiting"], ["running", "waiting"])
        started = asyncio.Event()

        async def ask(question: str, key: str) -> Answer:
            try:
                started.set()
                await asyncio.Event().wait()
            except asyncio.CancelledError as stopped:
                stopped.answer = answer(question, "cancelled", "the first half")  # type: ignore[attr-defined]
                raise
            raise AssertionError("never answered")

        task = asyncio.ensure_future(ask_each(ask, run, concurrency=1))
        await started.wait()
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        return run

    run = asyncio.run(main())
    kept: list[Batch] = []
    batch = run.finish(View(), kept.append)
    assert kept == [batch] and batch.interrupted
    assert [(a.status, a.raw_text) for a in batch] == [("cancelled", "the first half"), ("cancelled", "")]


def run_batch(ask, questions: list[str], keys: list[object] | None = None, concurrency: int = 2) -> BatchRun:
    """``questions`` asked by a scripted ``ask(question, name)`` through ``ask_each``."""
    run = BatchRun(questions, list(questions) if keys is None else keys)
    asyncio.run(ask_each(ask, run, concurrency))
    return run


def test_a_failed_item_keeps_what_arrived_and_its_error_and_never_stops_the_others():
    from alfa_notebook.wire.errors import StreamInterruptedError

    broke = StreamInterruptedError("the stream broke", method="GET", path="/x")
    unreachable = OSError("no route to host")

    async def ask(question: str, name: str) -> Answer:
        if question == "broke":
            broke.answer = answer(question, "streaming", "half an answer")  # type: ignore[attr-defined]
            raise broke
        if question == "unreachable":
            raise unreachable
        return answer(question, "complete", f"{name}: done")

    run = run_batch(ask, ["first", "broke", "unreachable", "last"])
    batch = run.finish(View(), lambda kept: None)
    assert [(a.question, a.status, a.raw_text) for a in batch] == [
        ("first", "complete", "first: done"),
        ("broke", "error", "half an answer"),
        ("unreachable", "error", ""),
        ("last", "complete", "last: done"),
    ]
    assert batch[1].error is broke and batch[2].error is unreachable and batch.failed == [1, 2]
    assert (run.tally.done, run.tally.failed, run.tally.running) == (4, 2, 0)
