"""ask_many and Batch against the emulator (the limiter's arithmetic: test_limiter.py)."""

from __future__ import annotations

import asyncio

import pandas as pd
import pytest

import alfa_notebook as alfa
from alfa_notebook.many import items_of
from alfa_notebook.wire.errors import ConfigurationError


def test_items_take_a_series_index_as_keys():
    series = pd.Series(["What of NVDA?", "What of AMD?"], index=["NVDA", "AMD"])
    assert items_of(series) == (["What of NVDA?", "What of AMD?"], ["NVDA", "AMD"])
    assert items_of(["a?", "b?"]) == (["a?", "b?"], ["a?", "b?"])
    assert items_of(pd.Index(["a?"]), keys=["k"]) == (["a?"], ["k"])
    with pytest.raises(ValueError, match="1 keys for 2 questions"):
        items_of(["a?", "b?"], keys=["k"])


@pytest.fixture
def sync_client(alfa_service):
    """A client of the default emulator, then of the realistic one."""
    with alfa.AlfaClient(api_key=alfa_service.api_key, base_url=alfa_service.base_url) as client:
        yield client


def test_a_batch_keeps_input_order_and_names_each_thread_after_its_key(sync_client):
    questions = pd.Series(["NVDA", "INTC", "AMD"], index=["nvidia-k", "intel-k", "amd-k"])
    batch = sync_client.ask_many(questions, concurrency=3, progress=False)

    assert [a.question for a in batch] == ["NVDA", "INTC", "AMD"]
    names = {t.id: t.name for t in sync_client.threads.list()}
    assert [names[a.thread_id] for a in batch] == ["nvidia-k", "intel-k", "amd-k"]
    frame = batch.to_dataframe()
    assert list(frame.columns) == [
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
    ]
    assert list(frame["key"]) == ["nvidia-k", "intel-k", "amd-k"]
    assert list(frame["status"]) == ["complete"] * 3
    assert frame["error"].isna().all()
    assert sync_client.last_batch is batch

    tables = batch.concat_tables()
    assert list(tables["key"]) == ["nvidia-k", "intel-k", "amd-k"]
    assert list(tables["Security"]) == ["NVDA", "INTC", "AMD"]


def test_a_failed_item_is_a_row_and_retry_failed_asks_only_it(alfa_emulator):
    from alfa_notebook.emulator import CONTROL_HEADER

    bad = alfa.AlfaClient(
        api_key=alfa_emulator.api_key, base_url=alfa_emulator.base_url, headers={CONTROL_HEADER: "error=1"}
    )
    with bad:
        failed = bad.ask_many(["INTC"], keys=["retry-me"], progress=False)
    assert failed[0].status == "error" and isinstance(failed[0].error, alfa.TurnFailedError)

    with alfa.AlfaClient(api_key=alfa_emulator.api_key, base_url=alfa_emulator.base_url) as client:
        batch = client.ask_many(["INTC", "AMD"], keys=["ok", "retry-me"], progress=False)
        mixed = alfa.Batch(batch.keys, [batch[0], failed[0]], rerun=batch._rerun)
        merged = mixed.retry_failed()
    assert [a.status for a in merged] == ["complete", "complete"]
    assert merged[0] is batch[0]  # the answered item was not asked again
    assert merged[1].thread_id != failed[0].thread_id


def test_async_ask_many(alfa_emulator):
    async def main():
        async with alfa.AsyncAlfaClient(api_key=alfa_emulator.api_key, base_url=alfa_emulator.base_url) as client:
            return await client.ask_many(["INTC", "AMD"], keys=["a", "b"], concurrency=2, progress=False)

    batch = asyncio.run(main())
    assert batch.keys == ["a", "b"] and batch.counts() == {"complete": 2}


def test_cancelling_an_async_batch_cancels_running_items_and_keeps_the_answered(alfa_emulator):
    from alfa_notebook.emulator import CONTROL_HEADER

    async def main():
        slow = {CONTROL_HEADER: "chunk_delay=0.05"}
        async with alfa.AsyncAlfaClient(
            api_key=alfa_emulator.api_key, base_url=alfa_emulator.base_url, headers=slow
        ) as client:
            task = asyncio.ensure_future(client.ask_many(["INTC"] * 4, concurrency=2, progress=False))
            while client.last_answer is None and not task.done():  # wait for the first item's start
                await asyncio.sleep(0.05)
                if any(t.name == "INTC" for t in await client.threads.list()):
                    break
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return client

    client = asyncio.run(main())
    batch = client.last_batch
    assert batch is not None and batch.interrupted and len(batch) == 4
    assert batch.counts().get("cancelled", 0) == 4 - batch.counts().get("complete", 0)


class InterruptAfterFirst:
    """A progress view that presses Ctrl-C once the first item is done (as a user would)."""

    def __init__(self) -> None:
        self.pressed = False

    def update(self, tally) -> None:
        if tally.done and not self.pressed:
            self.pressed = True
            raise KeyboardInterrupt

    def finish(self, batch) -> None:
        pass


def test_ctrl_c_cancels_running_items_on_the_server_and_returns_the_answered(alfa_emulator, monkeypatch):
    import threading

    from alfa_notebook.emulator import CONTROL_HEADER

    monkeypatch.setattr("alfa_notebook.client._progress_view", lambda progress, total: InterruptAfterFirst())
    names = ["ctrl-c-a", "ctrl-c-b", "ctrl-c-c", "ctrl-c-d", "ctrl-c-e"]
    threads_before = threading.active_count()
    with alfa.AlfaClient(
        api_key=alfa_emulator.api_key,
        base_url=alfa_emulator.base_url,
        headers={CONTROL_HEADER: "chunk_delay=0.01"},
        rate_limit="off",
    ) as client:
        # The first item is short; the others are long enough to be running at the interrupt.
        questions = ["INTC", *["Top performers over the last year, with a chart"] * 4]
        batch = client.ask_many(questions, keys=names, concurrency=3)
        threads = {t.name: t.id for t in client.threads.list() if t.name in names}
        histories = {name: client.threads.messages(tid).messages for name, tid in threads.items()}
        tasks = {name: client.threads.progress(tid).status for name, tid in threads.items()}
    assert threading.active_count() == threads_before  # the helper thread is gone

    assert batch.interrupted and client.last_batch is batch
    assert batch[0].status == "complete"
    assert [a.status for a in batch[1:]] == ["cancelled"] * 4
    assert batch.failed == [1, 2, 3, 4]
    # The items running at the interrupt were cancelled on the server; the others never started.
    running = [name for name in names[1:] if name in threads]
    assert len(running) >= 2
    for name in running:
        assert tasks[name] == "cancelled", (name, tasks[name])
    assert all(a.thread_id is None for key, a in zip(names, batch) if key not in threads)
    assert "ctrl-c-e" not in threads
    # No thread without its question.
    assert all(any(m.is_user for m in history) for history in histories.values())


def test_progress_in_a_log_is_a_handful_of_lines_and_in_a_terminal_ten_a_second():
    import io

    from alfa_notebook.many import Tally
    from alfa_notebook.render.progress import LogView, TerminalView

    out = io.StringIO()
    view = LogView(out)
    tally = Tally(total=200, started=0.0, clock=lambda: 10.0)
    for done in range(201):
        tally.done = done
        view.update(tally)
    assert out.getvalue().splitlines() == [
        "Alfa: 0/200 done · 0 running",
        "Alfa: 50/200 done · 0 running · 5.0/s · ~30 s left",
        "Alfa: 100/200 done · 0 running · 10.0/s · ~10 s left",
        "Alfa: 150/200 done · 0 running · 15.0/s · ~3 s left",
    ]

    now = [0.0]
    terminal = TerminalView(io.StringIO(), clock=lambda: now[0])
    for step in range(100):  # one second of updates every 10 ms
        now[0] = step / 100
        terminal.update(tally)
    assert terminal.updates == 10


def test_a_batch_run_again_on_its_cassette_asks_only_what_was_not_answered(alfa_emulator, tmp_path):
    from alfa_notebook.cassette.store import open_cassette

    tape = tmp_path / "universe.alfa.jsonl"

    def batch(questions, mode):
        open_cassette(tape).rewind()  # as a new process (a re-run notebook) starts the counts over
        with alfa.AlfaClient(api_key=alfa_emulator.api_key, base_url=alfa_emulator.base_url) as service:
            before = len(service.threads.list())
            with alfa.AlfaClient(
                api_key=alfa_emulator.api_key, base_url=alfa_emulator.base_url, cassette=tape, record_mode=mode
            ) as client:
                done = client.ask_many(questions, concurrency=4, progress=False)
            return done, len(service.threads.list()) - before

    first, made = batch(["INTC", "AMD", "NVDA"], "once")
    assert first.counts() == {"complete": 3} and made == 3
    again, made = batch(["INTC", "AMD", "NVDA", "AAPL"], "new_episodes")
    assert again.counts() == {"complete": 4}
    assert made == 1  # only AAPL was asked; the others were replayed, with their recorded threads
    assert [a.thread_id for a in again[:3]] == [a.thread_id for a in first]


def test_a_bad_rate_limit_names_where_it_came_from():
    from alfa_notebook.wire.settings import resolve_settings

    with pytest.raises(ConfigurationError, match="from the environment variable ALFA_RATE_LIMIT") as info:
        resolve_settings(env={"ALFA_RATE_LIMIT": "chat=fast"})
    assert info.value.setting == "rate_limit" and info.value.source == "ALFA_RATE_LIMIT"
    assert resolve_settings(env={"ALFA_RATE_LIMIT": "off"}).rate_limit == {}


def test_sources_apply_to_every_item(sync_client):
    def cited(answer):
        return set(answer.citations_frame()["type"].dropna())

    question = "Compare NVDA and AMD revenue and earnings"
    batch = sync_client.ask_many([question] * 2, keys=["a", "b"], sources={"web_search": "off"}, progress=False)
    assert batch.counts() == {"complete": 2}
    assert all("web" not in cited(a) and "company_filing" in cited(a) for a in batch)


def test_a_failed_items_raise_for_status_raises_what_it_met():
    with alfa.AlfaClient(api_key="k", base_url="http://127.0.0.1:9", max_retries=0) as client:
        batch = client.ask_many(["INTC"], progress=False)
    with pytest.raises(alfa.APIConnectionError) as raised:
        batch[0].raise_for_status()
    assert raised.value is batch[0].error  # not a TurnFailedError that says the service ended it


def test_the_blocking_clients_batches_use_its_transport():
    import httpx

    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(503, json={"detail": "down"})

    client = alfa.AlfaClient(
        api_key="k", base_url="http://127.0.0.1:9", max_retries=0, transport=httpx.MockTransport(handler)
    )
    with client:
        batch = client.ask_many(["INTC"], progress=False)
    assert seen == ["/client/v1/threads"] and isinstance(batch[0].error, alfa.ServiceUnavailableError)
    blocking_only = alfa.AlfaClient(api_key="k", base_url="http://127.0.0.1:9", transport=httpx.HTTPTransport())
    with blocking_only, pytest.raises(ConfigurationError, match="blocking only"):
        blocking_only.ask_many(["INTC"], progress=False)


@pytest.mark.parametrize("concurrency", [0, -1, 1.5, True])
def test_a_concurrency_no_batch_can_run_with_is_refused_before_anything_starts(concurrency):
    with alfa.AlfaClient(api_key="k", base_url="http://127.0.0.1:9") as client:
        with pytest.raises(ConfigurationError, match="concurrency must be a whole number of at least 1"):
            client.ask_many(["INTC"], concurrency=concurrency, progress=False)
        assert client.last_batch is None


def test_raise_for_status_names_the_failed_items_in_one_error():
    from alfa_notebook.wire.errors import RateLimitError

    def item(status, error=None):
        return alfa.Answer(question="q", raw_text="", status=status, thread_id=None, message_id=None, error=error)

    limited = RateLimitError("Rate limited (429)", status_code=429, method="POST", path="/threads")
    batch = alfa.Batch(
        ["NVDA", "AMD", "INTC", "AVGO"],
        [item("complete"), item("error", limited), item("no_results"), item("cancelled")],
    )
    with pytest.raises(alfa.BatchError) as info:
        batch.raise_for_status()
    error = info.value
    assert isinstance(error, alfa.AlfaError) and error.batch is batch and error.failed == [1, 3]
    assert str(error) == (
        "2 of 4 failed (RateLimitError: Rate limited (429); 1 cancelled): AMD, AVGO; "
        "`batch.retry_failed()` asks them again."
    )
    answered = alfa.Batch(["NVDA", "INTC"], [item("complete"), item("no_results")])
    assert answered.raise_for_status() is answered


def test_an_async_batch_with_progress_leaves_no_task_pending(alfa_emulator):
    async def main():
        async with alfa.AsyncAlfaClient(api_key=alfa_emulator.api_key, base_url=alfa_emulator.base_url) as client:
            await client.ask_many(["INTC", "AMD"], progress=True)
            return [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not finalising(t)]

    assert asyncio.run(main()) == []  # the progress ticker has ended, not only been asked to


def finalising(task: asyncio.Task) -> bool:
    """A task asyncio made to close an async generator its owner dropped (httpx reads a body through
    a chain of them, and a stream closed before its end leaves the inner ones to asyncio): the
    loop's, not the batch's, and still pending a moment after the stream closed on a slow machine."""
    return type(task.get_coro()).__name__ == "async_generator_athrow"
