"""A batch stopped part-way, and asked again: what had arrived stays, every unfinished item is
asked again, and the merged batch says how it ended (without the client or a service)."""

from __future__ import annotations

import asyncio
import json

import pytest

from alfa_notebook.many import BatchRun, View, ask_each
from alfa_notebook.results.answer import Answer
from alfa_notebook.results.batch import MIME_BATCH, Batch, SavedError, describe_error
from alfa_notebook.wire.errors import NoSuchTableError
from alfa_notebook.wire.models import Artifact

MARKER = '```{{"type": "output_artifact", "artifact_id": "{}"}}```'


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


def table(artifact_id: str, ticker: str) -> Artifact:
    raw = {"output_type": "table", "columns": [{"name": "Security", "col_type": "string"}], "rows": [[ticker]]}
    return Artifact.from_raw(artifact_id, raw, thread_id="t", message_id="m")


def with_tables(question: str, *tickers: str, chart: bool = False) -> Answer:
    artifacts = [table(f"a{i}", t) for i, t in enumerate(tickers)]
    if chart:
        artifacts.append(Artifact.from_raw("g", {"output_type": "graph", "graph": {}}, thread_id="t", message_id="m"))
    marks = " ".join(MARKER.format(a.id) for a in artifacts)
    return Answer(
        question=question, raw_text=marks, status="complete", thread_id="t", message_id="m", artifacts=artifacts
    )


def failed(question: str, error: BaseException | None, status: str = "error") -> Answer:
    return Answer(question=question, raw_text="", status=status, thread_id=None, message_id=None, error=error)


def test_a_batchs_rows_count_its_tables_and_say_each_error_in_one_line():
    batch = Batch(
        ["NVDA", "AMD", "INTC", "AVGO"],
        [
            with_tables("NVDA?", "NVDA", "NVDA", chart=True),
            failed("AMD?", TimeoutError()),
            failed("INTC?", ValueError("the first line\nthe second")),
            failed("AVGO?", None, "cancelled"),
        ],
    )
    frame = batch.to_dataframe()
    assert list(frame["n_tables"]) == [2, 0, 0, 0]  # a chart is not a table
    assert list(frame["error"].fillna("-")) == ["-", "TimeoutError", "ValueError: the first line", "-"]


def test_stacked_tables_come_from_the_answers_that_have_that_many():
    batch = Batch(["NVDA", "AMD"], [with_tables("NVDA?", "NVDA", "NVDA-2"), with_tables("AMD?", "AMD")])
    assert list(batch.concat_tables()["Security"]) == ["NVDA", "AMD"]
    second = batch.concat_tables(1)
    assert list(second["key"]) == ["NVDA"] and list(second["Security"]) == ["NVDA-2"]
    for wrong in (-1, True, "0"):
        with pytest.raises(NoSuchTableError) as info:
            batch.concat_tables(wrong)
        assert str(info.value) == f"tables(i) takes a table's position from 0, not {wrong!r}"


def test_what_failed_says_two_reasons_first_sentence_each_how_many_were_cancelled_and_five_keys():
    def errors(*reasons: str) -> list[Answer]:
        return [failed(r, RuntimeError(r)) for r in reasons]

    cut = Batch(
        list("abcdefg"),
        [
            *errors("Rate limited. Wait a minute.", "Rate limited. Wait an hour.", "Down. Retry.", "Gone."),
            failed("e", None, "cancelled"),
            failed("f", None, "cancelled"),
            with_tables("g"),
        ],
    )
    assert cut.what_failed() == (
        "6 of 7 failed (RuntimeError: Rate limited; RuntimeError: Down; 2 cancelled): a, b, c, d, e, …"
    )
    five = Batch(list("abcde"), errors("One.", "One.", "One.", "One.", "One."))
    assert five.what_failed() == "5 of 5 failed (RuntimeError: One.): a, b, c, d, e"
    assert Batch(["a"], [with_tables("a")]).what_failed() == "none of 1 failed"
    assert Batch(["a"], [failed("a", None)]).what_failed() == "1 of 1 failed: a"  # no reason known, no "()"


def test_a_batch_needs_one_key_per_answer_and_gets_by_its_first_key():
    with pytest.raises(ValueError) as info:
        Batch(["a", "b"], [answer("a", "complete")])
    assert str(info.value) == "a Batch needs one key per answer"
    first, second = answer("first", "complete"), answer("second", "complete")
    made = Batch(["k", "k"], [first, second])
    assert made.get("k") is first and made.elapsed == 0.0
    assert repr(made) == "<Batch 2 items: 2 complete, 0.0 s>"


def test_a_batch_as_data_comes_back_with_its_keys_time_interruption_and_errors_as_text():
    error = RuntimeError("Rate limited. Wait a minute.")
    batch = Batch(["NVDA", 7], [with_tables("NVDA?", "NVDA"), failed("AMD?", error)], elapsed=2.5, interrupted=True)
    data = json.loads(json.dumps(batch.to_dict()))
    assert data["format"] == 1 and [item["error"] for item in data["items"]] == [None, describe_error(error)]
    back = Batch.from_dict(data)
    assert back.keys == ["NVDA", 7] and back.elapsed == 2.5 and back.interrupted
    assert [a.to_dict() for a in back] == [a.to_dict() for a in batch]
    assert back[0].error is None and isinstance(back[1].error, SavedError)
    assert back.to_dataframe()["error"].fillna("-").tolist() == ["-", "RuntimeError: Rate limited. Wait a minute."]
    assert back.what_failed() == "1 of 2 failed (RuntimeError: Rate limited): 7"
    quiet = Batch.from_dict({"items": [], "elapsed": None})
    assert (len(quiet), quiet.elapsed, quiet.interrupted) == (0, 0.0, False)
    with pytest.raises(ValueError) as info:
        Batch.from_dict({"answers": []})
    assert str(info.value) == "not a batch's dict (Batch.to_dict() makes one): it has no 'items' list"


def test_a_batch_shows_itself_with_its_items_as_data():
    batch = Batch(["NVDA"], [with_tables("NVDA?", "NVDA")], elapsed=1.0)
    data, _ = batch._repr_mimebundle_()
    assert Batch.from_dict(data[MIME_BATCH]).keys == ["NVDA"]


def test_retry_failed_of_an_async_clients_batch_is_awaited_and_its_merge_can_retry_again(capsys):
    asked: list[list[str]] = []

    async def rerun(questions: list[str], keys: list[object]) -> Batch:
        asked.append(questions)
        first = len(asked) == 1  # the first retry is stopped again before its last item
        answers = [answer(q, "cancelled" if first and q == "c" else "complete", f"{q}: again") for q in questions]
        return Batch(keys, answers, elapsed=1.0, interrupted=first)

    batch = Batch(["a", "b", "c"], [answer("a", "complete"), failed("b", None), failed("c", None)], rerun=rerun)
    once = asyncio.run(batch.retry_failed())
    assert asked == [["b", "c"]] and [a.status for a in once] == ["complete", "complete", "cancelled"]
    assert once.interrupted and repr(once) == "<Batch 3 items: 1 cancelled, 2 complete, interrupted, 1.0 s>"
    twice = asyncio.run(once.retry_failed())
    assert asked == [["b", "c"], ["c"]] and not twice.interrupted and twice.counts() == {"complete": 3}
    assert asyncio.run(twice.retry_failed()) is twice and asked == [["b", "c"], ["c"]]
    assert capsys.readouterr().out == "Alfa: nothing to retry: no item failed.\n"


def test_a_batch_not_made_by_ask_many_says_it_cannot_ask_again():
    empty = Batch([], [])
    assert repr(empty) == "<Batch 0 items: none, 0.0 s>"
    with pytest.raises(RuntimeError) as info:
        empty.retry_failed()
    assert str(info.value) == "this Batch was not made by ask_many, so it cannot ask again"


def test_the_async_clients_ticker_draws_the_batchs_tally_until_it_is_stopped():
    from alfa_notebook.many import Tally, follow, stop_ticker

    tally, drawn = Tally(total=1, started=0.0), []

    class Drawn(View):
        def update(self, shown: Tally) -> None:
            drawn.append(shown)

    async def main() -> asyncio.Future[None]:
        ticker = asyncio.ensure_future(follow(Drawn(), tally, 0))
        for _ in range(10):
            await asyncio.sleep(0)
        await stop_ticker(ticker)
        return ticker

    ticker = asyncio.run(main())
    assert ticker.cancelled() and len(drawn) > 2 and all(shown is tally for shown in drawn)


def test_a_blocking_batch_runs_on_a_daemon_helper_thread_and_leaves_no_async_generator_open():
    import threading

    from alfa_notebook.many import run_blocking

    closed: list[str] = []
    held: list[object] = []
    helpers: list[threading.Thread] = []

    async def stream(name: str):  # as an item's event stream left unfinished
        try:
            yield 1
            yield 2
        finally:
            closed.append(name)

    async def main() -> None:
        helpers.append(threading.current_thread())
        dropped = stream("dropped")
        await anext(dropped)
        cycle: list[object] = [dropped]
        cycle.append(cycle)  # only the collector frees it
        del dropped, cycle
        kept = stream("kept")
        await anext(kept)
        held.append(kept)

    def tick() -> None:
        assert threading.current_thread() is threading.main_thread()  # where a progress view is drawn

    assert run_blocking(main, tick, interval=0.001) is False
    assert sorted(closed) == ["dropped", "kept"]
    (helper,) = helpers
    assert helper.name == "alfa-ask-many" and helper.daemon  # a second Ctrl-C leaves it; the process can exit


def test_a_blocking_batch_stopped_by_ctrl_c_cancels_its_work_and_says_so_and_an_error_is_raised_here():
    import threading

    from alfa_notebook.many import run_blocking

    stopped: list[bool] = []
    waiting = threading.Event()

    async def waits() -> None:
        try:
            waiting.set()
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            stopped.append(True)
            raise

    def ctrl_c() -> None:
        if waiting.is_set():
            raise KeyboardInterrupt

    assert run_blocking(waits, ctrl_c, interval=0.001) is True and stopped == [True]

    async def breaks() -> None:
        raise LookupError("the batch's own bug")

    with pytest.raises(LookupError, match="the batch's own bug"):
        run_blocking(breaks, lambda: None, interval=0.001)


def test_a_retry_with_nothing_failed_returns_the_batch_itself_and_a_saved_batch_keeps_max_rows(capsys):
    batch = Batch(["NVDA"], [with_tables("NVDA?", "NVDA", "AMD")], rerun=Asked())
    assert batch.retry_failed() is batch
    assert capsys.readouterr().out == "Alfa: nothing to retry: no item failed.\n"
    rows = with_tables("Top?", "NVDA")
    rows.artifacts[0].raw["rows"].append(["AMD"])
    saved = Batch.from_dict(Batch(["top"], [rows]).to_dict(max_rows=1))
    assert list(saved[0].tables[0]["Security"]) == ["NVDA"] and saved[0].cut_tables == {"a0": 2}


def test_a_batch_run_counts_its_items_for_the_progress_view_and_freezes_its_time_when_it_ends():
    run = BatchRun(["a", "b", "c"], ["a", "b", "c"], paused=lambda: 4.0)
    assert (run.tally.total, run.tally.done, run.tally.paused()) == (3, 0, 4.0)  # a rate-limit pause is shown
    batch = run.finish(View(), lambda kept: None)
    assert run.tally.finished is not None and batch.elapsed == run.tally.elapsed == run.tally.elapsed
    assert [(a.question, a.status) for a in batch] == [("a", "cancelled"), ("b", "cancelled"), ("c", "cancelled")]


def test_a_cassettes_time_is_the_batchs_time():
    timed: list[bool] = []

    def recorded(measured: float, interrupted: bool) -> float:
        timed.append(interrupted)
        return 42.0

    run = BatchRun(["a"], ["a"], timing=recorded)
    run.interrupted = True
    assert run.finish(View(), lambda kept: None).elapsed == 42.0 and timed == [True]


def test_a_ctrl_c_while_the_summary_is_drawn_carries_the_kept_batch():
    kept: list[Batch] = []

    class PressedAtTheEnd(View):
        def finish(self, batch: Batch) -> None:
            raise KeyboardInterrupt

    run = BatchRun(["a"], ["a"])
    with pytest.raises(KeyboardInterrupt) as info:
        run.finish(PressedAtTheEnd(), kept.append)
    assert len(kept) == 1 and info.value.batch is kept[0]  # type: ignore[attr-defined]


def test_at_most_concurrency_items_are_asked_at_once_each_in_a_thread_named_after_its_key():
    run = BatchRun(["q1", "q2", "q3", "q4", "q5"], [1, 2, 3, 4, 5])
    shown, names = [], []  # what the progress view shows running as each item starts

    async def ask(question: str, name: str) -> Answer:
        names.append(name)
        for _ in range(3):  # let the others start, if they may
            await asyncio.sleep(0)
            shown.append(run.tally.running)
        return answer(question, "complete", name)

    asyncio.run(ask_each(ask, run, concurrency=2))
    assert max(shown) == 2 and sorted(names) == ["1", "2", "3", "4", "5"]
    assert [a.raw_text for a in run.answers if a is not None] == ["1", "2", "3", "4", "5"]
    assert (run.tally.done, run.tally.failed, run.tally.running, run.interrupted) == (5, 0, 0, False)


def test_the_progress_tally_says_the_rate_and_time_left_only_once_they_are_known():
    from alfa_notebook.many import Tally

    now = [10.0]
    tally = Tally(total=4, started=10.0, clock=lambda: now[0])
    tally.done = 1
    assert (tally.elapsed, tally.rate, tally.left) == (0.0, 0.0, None)
    now[0] = 12.0
    assert (tally.elapsed, tally.rate, tally.left) == (2.0, 0.5, 6.0)
    tally.finished, now[0] = 14.0, 100.0
    assert (tally.elapsed, tally.rate, tally.left) == (4.0, 0.25, 12.0)


def test_an_item_stopped_before_anything_arrived_is_cancelled_and_the_batch_ends_as_cancelled():
    async def main() -> tuple[BatchRun, asyncio.Future[None]]:
        run = BatchRun(["running", "waiting"], ["running", "waiting"])
        started = asyncio.Event()

        async def ask(question: str, key: str) -> Answer:
            started.set()
            await asyncio.Event().wait()  # its CancelledError carries no answer
            raise AssertionError("never answered")

        task = asyncio.ensure_future(ask_each(ask, run, concurrency=1))
        await started.wait()
        task.cancel()
        await asyncio.wait([task])
        return run, task

    run, task = asyncio.run(main())
    assert task.cancelled() and run.interrupted  # not an error of the batch's own
    batch = run.finish(View(), lambda kept: None)
    assert [(a.question, a.status) for a in batch] == [("running", "cancelled"), ("waiting", "cancelled")]


def test_a_cancelled_batch_ends_only_once_every_running_item_has_stopped_and_kept_what_arrived():
    async def main() -> tuple[bool, Batch]:
        run = BatchRun(["quick", "slow"], ["quick", "slow"])
        started, stopped_on_server = [asyncio.Event(), asyncio.Event()], asyncio.Event()

        async def ask(question: str, key: str) -> Answer:
            try:
                started[question == "slow"].set()
                await asyncio.Event().wait()
            except asyncio.CancelledError as stopped:
                if question == "slow":  # its cancel on the server is still under way
                    await stopped_on_server.wait()
                    stopped.answer = answer(question, "cancelled", "slow: half")  # type: ignore[attr-defined]
                raise
            raise AssertionError("never answered")

        task = asyncio.ensure_future(ask_each(ask, run, concurrency=2))
        for event in started:
            await event.wait()
        task.cancel()
        for _ in range(20):  # the quick item has long stopped
            await asyncio.sleep(0)
        ended_early = task.done()
        stopped_on_server.set()
        await asyncio.wait([task])
        return ended_early, run.finish(View(), lambda kept: None)

    ended_early, batch = asyncio.run(main())
    assert not ended_early
    assert [(a.status, a.raw_text) for a in batch] == [("cancelled", ""), ("cancelled", "slow: half")]
