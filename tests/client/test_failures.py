"""Failures against the emulator: safe retries on every method, POSTs whose outcome is unknown,
no empty thread left behind, honest messages, and what an interrupted answer keeps.

The server is inspected afterwards with a client of its own (no faults): threads are counted by
name and questions by the thread's history, so a question asked twice or an empty thread left
behind shows as a wrong count.
"""

from __future__ import annotations

import asyncio
import itertools

import pytest

import alfa_notebook as alfa
from alfa_notebook.wire import operations as ops
from alfa_notebook.wire.events import MessageChunk

pytestmark = pytest.mark.long

_questions = itertools.count(1)


def fresh_question():
    """A question no other test asks, so its thread is found by name."""
    return f"How did INTC trade this month? (case {next(_questions)})"


@pytest.fixture
def inspect(make_client):
    return make_client()


def threads_named(inspect, name):
    return [t for t in inspect.threads("list") if t.name == name]


def questions_in(inspect, thread_id):
    return [m.text for m in inspect.threads("messages", thread_id).messages if m.is_user]


def asked_once(inspect, question, answer):
    """The ask left exactly one thread named after the question, holding the question once."""
    (thread,) = threads_named(inspect, question)
    assert thread.id == answer.thread_id
    assert questions_in(inspect, thread.id) == [question]
    assert answer.status == "complete" and answer.text


# -- 6. Safe retries on every method -----------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        "status=429;on=create_thread",
        "status=503;retry_after=none;on=create_thread",
        "status=429;retry_after=0;on=send_message",
        "status=503;retry_after=none;on=send_message",
    ],
)
def test_a_refused_post_is_sent_again(make_client, inspect, fault):
    """429 and 503 mean the request was not processed: the POST is retried like a GET."""
    question = fresh_question()
    answer = make_client(fault).ask(question)
    asked_once(inspect, question, answer)


@pytest.mark.parametrize("fault", ["reset_after_processing=1", "status=502", "status=504"])
def test_a_thread_post_with_unknown_outcome_makes_one_thread(make_client, inspect, fault):
    """The connection reset after the thread was made, or a gateway error before it was: either
    way the ask ends with one thread, found by listing, not made twice."""
    question = fresh_question()
    answer = make_client(f"{fault};on=create_thread").ask(question)
    asked_once(inspect, question, answer)


@pytest.mark.parametrize("fault", ["reset_after_processing=1", "status=502", "status=504"])
def test_a_message_post_with_unknown_outcome_asks_once(make_client, inspect, fault):
    """After a reset (the service took the question) the client carries on with it; after a
    gateway error (it did not) the client sends it again. The question is asked once either way."""
    question = fresh_question()
    answer = make_client(f"{fault};on=send_message").ask(question)
    asked_once(inspect, question, answer)


def test_a_message_post_with_unknown_outcome_in_an_existing_thread_asks_once(make_client, inspect):
    first = make_client().ask("INTC")
    answer = make_client("reset_after_processing=1;on=send_message").ask("And AMD?", thread_id=first.thread_id)
    assert answer.status == "complete" and answer.thread_id == first.thread_id
    assert questions_in(inspect, first.thread_id) == ["INTC", "And AMD?"]


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("status=429;retry_after=600;on=send_message", alfa.RateLimitError),
        ("status=400;on=send_message", alfa.BadRequestError),
        ("status=403;on=stream", alfa.PermissionDeniedError),
    ],
)
def test_an_ask_that_never_posted_its_question_leaves_no_thread(make_client, inspect, fault, error):
    question = fresh_question()
    with pytest.raises(error) as info:
        make_client(fault).ask(question)
    assert threads_named(inspect, question) == []
    assert info.value.answer.thread_id is None and info.value.thread_id is None


# -- 8. A 404 on the thread list or creation is a wrong address -------------------------------


def test_a_404_on_creating_a_thread_says_to_check_base_url(alfa_emulator, flavour, v2_token):
    key = alfa_emulator.api_key if flavour == "v1" else v2_token
    wrong = f"{alfa_emulator.base_url}/not-the-api"
    with alfa.AlfaClient(api_key=key, base_url=wrong, api_version=flavour) as client:
        with pytest.raises(alfa.NotFoundError) as info:
            client.ask("INTC")
    message = str(info.value)
    assert message.startswith("POST /threads -> 404")
    assert f"check base_url ({wrong})" in message and "deleted" not in message


def test_a_404_on_a_thread_says_it_does_not_exist(client):
    with pytest.raises(alfa.NotFoundError) as info:
        client.threads("progress", "00000000-0000-0000-0000-000000000000")
    assert "The thread does not exist" in str(info.value) and "client.threads.list()" in str(info.value)


# -- 5. Messages from Python point to Python calls, and say what is true ---------------------


def test_a_timeout_with_nothing_received_says_so(make_client):
    driven = make_client("chunk_delay=5")  # nothing comes for 5 s: time enough to make the thread, post, time out
    with pytest.raises(alfa.APITimeoutError) as info:
        driven.ask(fresh_question(), timeout=2)
    message = str(info.value)
    assert "Nothing of the answer had arrived" in message
    assert "what arrived" not in message.lower() and "%alfa" not in message and "--timeout" not in message
    assert "ask(..., timeout=...)" in message
    assert info.value.thread_id == info.value.answer.thread_id is not None
    assert info.value.answer.status == "cancelled"


def test_a_busy_thread_points_to_the_python_cancel(alfa_emulator):
    with alfa.AlfaClient(
        api_key=alfa_emulator.api_key, base_url=alfa_emulator.base_url, headers={"X-Alfa-Emulator": "chunk_delay=1"}
    ) as client:
        thread = client.threads.create("busy")
        client._channel.request(ops.send_message(thread.id, "INTC"))  # a task now runs in the thread
        with pytest.raises(alfa.ThreadBusyError) as info:
            client.ask("And AMD?", thread_id=thread.id, timeout=1)  # waits for the thread to settle, in vain
        client.threads.cancel(thread.id)
        assert client.threads.messages(thread.id).messages[-2].text == "INTC"  # "And AMD?" was never posted
    error = info.value
    assert isinstance(error, alfa.ConflictError) and error.thread_id == thread.id and error.task_id
    assert f"client.threads.cancel({thread.id!r})" in str(error) and "%alfa" not in str(error)
    assert error.task_id in str(error) and f"(request id {error.request_id})" in str(error)


# -- 10. An interrupted answer keeps what had arrived, and what the service kept ------------


QUESTION = "Compare NVDA and AMD revenue growth over the last 4 quarters"
SLOW = "chunk_delay=0.01"


def after_first_table(turn):
    """The first table's marker has streamed whole (the answer's text holds its two fences)."""
    return turn.raw_text.count("```") >= 2


def assert_kept_sources_and_table(partial, inspect):
    assert partial.status == "cancelled"
    # The service kept the sources cited before the cut: the first two of this answer.
    assert [c.inline_offset for c in partial.citations[:2]] == [137, 251]
    assert partial.artifacts and partial.artifacts[0].kind == "table"
    kept = inspect.threads("messages", partial.thread_id).messages[-1]
    assert all(c.raw in [k.raw for k in kept.citations] for c in partial.citations)
    # The text is what arrived, not the service's record of the cancelled message with its coda.
    assert kept.text.endswith("User cancelled message") and "User cancelled message" not in partial.raw_text


def test_an_interrupted_answer_keeps_its_sources_and_tables(make_client, inspect):
    driven = make_client(SLOW)

    def on_event(event, turn):
        if isinstance(event, MessageChunk) and after_first_table(turn):
            raise KeyboardInterrupt

    if driven.is_async:

        async def cancelled():
            task = asyncio.ensure_future(driven.client.ask(QUESTION, on_event=stop_on_table))
            await seen_table.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return driven.client.last_answer

        seen_table = asyncio.Event()

        def stop_on_table(event, turn):
            if isinstance(event, MessageChunk) and after_first_table(turn):
                seen_table.set()

        partial = driven.run(cancelled())
    else:
        with pytest.raises(KeyboardInterrupt) as info:
            driven.ask(QUESTION, on_event=on_event)
        partial = info.value.answer
    assert partial is driven.client.last_answer
    assert_kept_sources_and_table(partial, inspect)


# -- 11. An async client across event loops; uploading a directory ---------------------------


def test_an_async_client_works_across_two_asyncio_runs(alfa_emulator):
    client = alfa.AsyncAlfaClient(api_key=alfa_emulator.api_key, base_url=alfa_emulator.base_url)
    first = asyncio.run(client.threads.create("first loop"))
    second = asyncio.run(client.ask("INTC"))
    listed = asyncio.run(client.threads.list())
    asyncio.run(client.aclose())
    assert second.status == "complete"
    assert {first.id, second.thread_id} <= {t.id for t in listed}


def test_uploading_a_directory_says_it_is_a_directory(client, tmp_path):
    thread = client.threads("create", "uploads")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        client.threads("upload", thread.id, tmp_path)


def test_an_async_client_closed_under_another_event_loop_closes_the_pools_it_opened(alfa_emulator):
    """Closing must not go through the rebinding to the running loop, which would open fresh pools,
    close those, and leave the ones in use open."""
    client = alfa.AsyncAlfaClient(api_key=alfa_emulator.api_key, base_url=alfa_emulator.base_url)
    in_use = client._channel._http, client._channel._streams
    asyncio.run(client.ask("INTC"))  # a REST and a stream connection, pooled under this loop
    asyncio.run(client.aclose())
    assert all(pool.is_closed for pool in in_use)
    assert (client._channel._http, client._channel._streams) == in_use  # no fresh pools
