"""Ctrl-C and task cancellation cancel on the server and keep the partial answer."""

from __future__ import annotations

import asyncio
import gc

import pytest

import alfa_notebook as alfa
from alfa_notebook.wire.events import MessageChunk

pytestmark = pytest.mark.long

QUESTION = "Compare NVDA and AMD revenue growth over the last 4 quarters"
SLOW = "chunk_delay=0.01"
# An answer written slowly (its words 0.2 s apart, half a minute in all), so that an ask's timeout of
# a few seconds ends it after its work-in-progress lines arrived, even on a loaded machine (a 0.5 s
# timeout ended some runs before their first event), and before the service finished it.
SLOW_WORDS = "chunk_delay=0.2"


def wait_until_idle(client, thread_id):
    """The cancel is processed by the server; poll its observable state with a deadline."""
    import time

    deadline = time.monotonic() + 10
    while client.threads.progress(thread_id).is_running:
        assert time.monotonic() < deadline, "the task kept running after the cancel"
        time.sleep(0.02)


def cancelled_message(client, thread_id):
    """The thread's last message once the history shows the cancelled answer (a real service's
    history lags behind the turn)."""
    import time

    deadline = time.monotonic() + 10
    while True:
        last = client.threads.messages(thread_id).messages[-1]
        if not last.is_user:
            return last
        assert time.monotonic() < deadline, "the history never showed the cancelled answer"
        time.sleep(0.05)


def interrupt_after(n, error=KeyboardInterrupt):
    """An ``on_event`` that raises ``error`` at the ``n``-th chunk (Ctrl-C, or a caller's bug)."""
    count = 0

    def on_event(event, turn):
        nonlocal count
        if isinstance(event, MessageChunk):
            count += 1
            if count == n:
                raise error

    return on_event


@pytest.fixture
def credentials(alfa_emulator, flavour, v2_token):
    key = alfa_emulator.api_key if flavour == "v1" else v2_token
    return {"api_key": key, "base_url": alfa_emulator.base_url, "api_version": flavour}


@pytest.fixture
def service_credentials(alfa_service, flavour):
    """As ``credentials``, for the default emulator and then the realistic one."""
    key = alfa_service.api_key if flavour == "v1" else alfa_service.issue_token()
    return {"api_key": key, "base_url": alfa_service.base_url, "api_version": flavour}


def test_keyboard_interrupt_cancels_on_the_server_and_keeps_the_partial_answer(service_credentials):
    with alfa.AlfaClient(**service_credentials, headers={"X-Alfa-Emulator": SLOW}) as client:
        with pytest.raises(KeyboardInterrupt) as info:
            client.ask(QUESTION, on_event=interrupt_after(5))
        partial = info.value.answer
        assert partial is client.last_answer
        assert partial.status == "cancelled" and partial.text and partial.thread_id
        wait_until_idle(client, partial.thread_id)
        assert cancelled_message(client, partial.thread_id).text.endswith("User cancelled message")
        assert client.threads.progress(partial.thread_id).status == "cancelled"
        # The thread is usable again.
        assert client.ask("And AVGO?", thread_id=partial.thread_id).status == "complete"


def test_async_cancellation_cancels_on_the_server(credentials):
    async def main():
        async with alfa.AsyncAlfaClient(**credentials, headers={"X-Alfa-Emulator": SLOW}) as client:
            got_chunks = asyncio.Event()

            def on_event(event, turn):
                if isinstance(event, MessageChunk) and len(turn.raw_text) > 30:
                    got_chunks.set()

            task = asyncio.create_task(client.ask(QUESTION, on_event=on_event))
            await got_chunks.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            partial = client.last_answer
            assert partial.status == "cancelled" and len(partial.raw_text) > 30
            for _ in range(500):
                if not (await client.threads.progress(partial.thread_id)).is_running:
                    break
                await asyncio.sleep(0.02)
            assert (await client.threads.progress(partial.thread_id)).status == "cancelled"
            history = await client.threads.messages(partial.thread_id)
            assert history.messages[-1].text.endswith("User cancelled message")

    asyncio.run(main())


def test_async_event_iterator(credentials):
    async def main():
        async with alfa.AsyncAlfaClient(**credentials) as client:
            follow = client.ask_events(QUESTION)
            chunks = [e async for e in follow if isinstance(e, MessageChunk)]
            assert chunks and follow.answer.status == "complete"
            assert "".join(c.text for c in chunks) in follow.answer.raw_text + "".join(c.text for c in chunks)

    asyncio.run(main())


def test_overall_timeout_cancels_and_keeps_partial(credentials):
    with alfa.AlfaClient(**credentials, headers={"X-Alfa-Emulator": SLOW_WORDS}) as client:
        with pytest.raises(alfa.APITimeoutError, match="timeout") as info:
            client.ask(QUESTION, timeout=2)
        partial = info.value.answer
        assert partial is client.last_answer and partial.thread_id and partial.status == "cancelled"
        assert partial.logs  # what arrived before the timeout is kept
        wait_until_idle(client, info.value.answer.thread_id)
        assert client.threads.progress(info.value.answer.thread_id).status == "cancelled"


def test_async_overall_timeout_cancels_and_keeps_partial(credentials):
    async def main():
        async with alfa.AsyncAlfaClient(**credentials, headers={"X-Alfa-Emulator": SLOW_WORDS}) as client:
            with pytest.raises(alfa.APITimeoutError) as info:
                await client.ask(QUESTION, timeout=2)
            partial = info.value.answer
            assert partial is client.last_answer and partial.status == "cancelled" and partial.logs
            return info.value.answer.thread_id

    thread_id = asyncio.run(main())
    with alfa.AlfaClient(**credentials) as client:
        wait_until_idle(client, thread_id)
        assert client.threads.progress(thread_id).status == "cancelled"


class ViewBroke(Exception):
    """A bug in the caller's on_event callback."""


def test_a_failing_on_event_stops_the_task_on_the_server_too(credentials):
    """The caller's callback raising ends the ask as Ctrl-C does: its error propagates, and the
    task does not run on unseen (and is not charged) on the server."""
    with alfa.AlfaClient(**credentials, headers={"X-Alfa-Emulator": SLOW}) as client:
        with pytest.raises(ViewBroke) as info:
            client.ask(QUESTION, on_event=interrupt_after(5, ViewBroke("the live view failed")))
        partial = info.value.answer
        assert partial is client.last_answer and partial.status == "cancelled" and partial.text
        wait_until_idle(client, partial.thread_id)
        assert client.threads.progress(partial.thread_id).status == "cancelled"


def test_a_failing_on_event_stops_an_async_ask_on_the_server_too(credentials):
    async def main():
        async with alfa.AsyncAlfaClient(**credentials, headers={"X-Alfa-Emulator": SLOW}) as client:
            with pytest.raises(ViewBroke) as info:
                await client.ask(QUESTION, on_event=interrupt_after(5, ViewBroke("the live view failed")))
            return info.value.answer, client.last_answer

    partial, last = asyncio.run(main())
    assert partial is last and partial.status == "cancelled" and partial.text
    with alfa.AlfaClient(**credentials) as client:
        wait_until_idle(client, partial.thread_id)
        assert client.threads.progress(partial.thread_id).status == "cancelled"


# -- leaving ask_events() early: however it is left, the task is cancelled and the partial kept ----


async def until_idle(client, thread_id):
    """The server's state once the ending that leaving the loop started has cancelled the task."""
    import time

    deadline = time.monotonic() + 10
    while (progress := await client.threads.progress(thread_id)).is_running:
        assert time.monotonic() < deadline, "the task kept running after the loop was left"
        await asyncio.sleep(0.02)
    return progress


def chunks_seen(n):
    """A predicate true at the ``n``-th chunk."""
    count = 0

    def seen(event):
        nonlocal count
        count += isinstance(event, MessageChunk)
        return count == n

    return seen


def assert_cancelled_and_kept(partial, progress):
    assert progress.status == "cancelled"  # not left to run on, unseen, to "complete"
    assert partial is not None and partial.status == "cancelled" and partial.text
    assert partial.thread_id is not None


def test_breaking_out_of_ask_events_cancels_on_the_server_and_keeps_the_partial_answer(credentials):
    async def main():
        async with alfa.AsyncAlfaClient(**credentials, headers={"X-Alfa-Emulator": SLOW}) as client:
            follow, fifth = client.ask_events(QUESTION), chunks_seen(5)
            async for event in follow:
                if fifth(event):
                    break
            progress = await until_idle(client, follow.turn.thread_id)
            return client.last_answer, progress, follow.answer

    partial, progress, answer = asyncio.run(main())
    assert_cancelled_and_kept(partial, progress)
    assert answer is partial


def test_an_exception_in_the_body_of_an_ask_events_loop_cancels_on_the_server_and_keeps_the_partial_answer(
    credentials,
):
    async def main():
        async with alfa.AsyncAlfaClient(**credentials, headers={"X-Alfa-Emulator": SLOW}) as client:
            follow, fifth = client.ask_events(QUESTION), chunks_seen(5)
            with pytest.raises(ViewBroke):
                async for event in follow:
                    if fifth(event):
                        raise ViewBroke("the caller's code failed")
            progress = await until_idle(client, follow.turn.thread_id)
            return client.last_answer, progress

    assert_cancelled_and_kept(*asyncio.run(main()))


def test_an_ask_events_iterator_garbage_collected_cancels_on_the_server_and_keeps_the_partial_answer(credentials):
    async def main():
        async with alfa.AsyncAlfaClient(**credentials, headers={"X-Alfa-Emulator": SLOW}) as client:
            follow, fifth = client.ask_events(QUESTION), chunks_seen(5)
            events = aiter(follow)
            while not fifth(await anext(events)):
                pass
            thread_id = follow.turn.thread_id
            cycle = [events]
            cycle.append(cycle)  # only the collector can free it
            del follow, events, cycle
            assert client.last_answer is None  # still followed, by nobody
            gc.collect()
            progress = await until_idle(client, thread_id)
            return client.last_answer, progress

    assert_cancelled_and_kept(*asyncio.run(main()))


def test_leaving_an_ask_events_block_early_has_ended_the_ask_by_the_next_line(credentials):
    async def main():
        async with alfa.AsyncAlfaClient(**credentials, headers={"X-Alfa-Emulator": SLOW}) as client:
            fifth = chunks_seen(5)
            async with client.ask_events(QUESTION) as events:
                async for event in events:
                    if fifth(event):
                        break
            partial = client.last_answer
            assert partial is events.answer and partial.status == "cancelled" and partial.text
            return partial, await until_idle(client, partial.thread_id)

    assert_cancelled_and_kept(*asyncio.run(main()))


def test_an_ask_events_block_followed_to_its_end_keeps_the_whole_answer(credentials):
    async def main():
        async with alfa.AsyncAlfaClient(**credentials) as client:
            async with client.ask_events(QUESTION) as events:
                chunks = [e async for e in events if isinstance(e, MessageChunk)]
                with pytest.raises(RuntimeError, match="followed once"):
                    aiter(events)
            return chunks, events.answer, client.last_answer

    chunks, answer, last = asyncio.run(main())
    assert chunks and answer is last and answer.status == "complete" and answer.text
