"""The client against the emulator over real HTTP and SSE, in both flavours, sync and async."""

from __future__ import annotations

import asyncio
import time

import pytest

import alfa_notebook as alfa
from alfa_notebook.wire import operations as ops
from alfa_notebook.wire.events import MessageChunk, MessageComplete, StatusChanged, WorkInProgress

pytestmark = pytest.mark.long

QUESTION = "Compare NVDA and AMD revenue growth over the last 4 quarters"
SHORT_QUESTION = "INTC"


@pytest.fixture(scope="module")
def clean_answers():
    return {}


def reference(client, question, cache):
    """The clean run's answer to ``question``: what every faulty run must end with."""
    if question not in cache:
        cache[question] = client.ask(question)
    return cache[question]


def test_thread_lifecycle(client):
    thread = client.threads("create", "Semis research")
    assert thread.id and thread.name == "Semis research"
    assert thread.id in [t.id for t in client.threads("list")]
    assert client.threads("rename", thread.id, "Renamed") is True
    assert next(t for t in client.threads("list") if t.id == thread.id).name == "Renamed"
    assert client.threads("delete", thread.id) is True
    assert thread.id not in [t.id for t in client.threads("list")]
    with pytest.raises(alfa.NotFoundError):
        client.threads("progress", thread.id)


def shown_history(client, thread_id, count):
    """The thread's history once it shows ``count`` messages (a real service's lags behind)."""
    for _ in range(100):
        history = client.threads("messages", thread_id)
        if len(history.messages) >= count:
            return history
        client.run(asyncio.sleep(0.05)) if client.is_async else time.sleep(0.05)
    raise AssertionError(f"the history never showed {count} messages")


def test_ask_returns_the_whole_answer(service_client):
    client = service_client
    seen = []
    answer = client.ask(QUESTION, on_event=lambda event, turn: seen.append((event, turn.raw_text)))
    assert answer.status == "complete" and answer.ok
    history = shown_history(client, answer.thread_id, 2)
    assert [m.is_user for m in history.messages] == [True, False]
    assert history.messages[0].text == QUESTION
    assert answer.raw_text == history.messages[1].text and answer.message_id == history.messages[1].id
    assert "```" not in answer.text and "NVDA" in answer.text
    assert 3 <= len(answer.logs) <= 6
    assert {c.type for c in answer.citations} >= {"web", "news_development", "news_article"}
    assert all(c.inline_offset is None or 0 <= c.inline_offset <= len(answer.raw_text) for c in answer.citations)
    assert answer.artifacts and {a.kind for a in answer.artifacts} >= {"table"}
    assert all(a.thread_id == answer.thread_id and a.raw for a in answer.artifacts)
    assert answer.tools_called
    # The thread is named after the question.
    assert next(t for t in client.threads("list") if t.id == answer.thread_id).name == QUESTION
    # It streamed: the text grew chunk by chunk, and logs came before the first chunk.
    texts = [text for event, text in seen if isinstance(event, MessageChunk)]
    assert len(texts) > 10 and texts == sorted(texts, key=len)
    first_chunk = next(i for i, (e, _) in enumerate(seen) if isinstance(e, MessageChunk))
    assert any(isinstance(e, WorkInProgress) for e, _ in seen[:first_chunk])


def test_follow_up_continues_the_thread(service_client):
    client = service_client
    first = client.ask("Top 5 semiconductor performers last quarter")
    second = client.ask("And AVGO?", thread_id=first.thread_id)
    assert second.thread_id == first.thread_id and second.message_id != first.message_id
    history = client.threads("messages", first.thread_id)
    assert [m.text for m in history.messages if m.is_user] == [
        "Top 5 semiconductor performers last quarter",
        "And AVGO?",
    ]


def test_artifact_fetch_and_unknown_artifact(client):
    answer = client.ask(QUESTION)
    artifact = client.threads("artifact", answer.thread_id, answer.artifacts[0].id)
    assert artifact.raw == answer.artifacts[0].raw
    with pytest.raises(alfa.NotFoundError):
        client.threads("artifact", answer.thread_id, "no-such-artifact")


def test_upload_is_mentioned_in_the_next_answer(client, tmp_path):
    path = tmp_path / "q2_holdings.csv"
    path.write_text("ticker,weight\nNVDA,0.5\nAMD,0.5\n")
    thread = client.threads("create", "with a file")
    file_id = client.threads("upload", thread.id, path)
    assert file_id
    answer = client.ask("Summarise my holdings", thread_id=thread.id)
    assert "q2_holdings.csv" in answer.text


def test_history_paging(client):
    thread = client.threads("create", "paging")
    for q in ("one", "two"):
        client.ask(f"Question {q} about AAPL", thread_id=thread.id)
    everything = client.threads("messages", thread.id)
    assert everything.total == 4 and len(everything.messages) == 4
    newest_two = client.threads("messages", thread.id, 0, 2)
    assert [m.id for m in newest_two.messages] == [m.id for m in everything.messages[2:]]


def terminal(event):
    return isinstance(event, StatusChanged) and event.terminal


@pytest.mark.parametrize("flavour", ["v1", "v2"])
def test_raw_event_feed_sync(alfa_emulator, flavour, v2_token):
    key = alfa_emulator.api_key if flavour == "v1" else v2_token
    with alfa.AlfaClient(api_key=key, base_url=alfa_emulator.base_url, api_version=flavour) as client:
        thread = client.threads.create("raw feed")
        with client.stream(thread.id) as events:
            client._channel.request(ops.send_message(thread.id, "NVDA"))
            kinds = []
            for event in events:
                kinds.append(type(event))
                if terminal(event):
                    break
    assert kinds[0] is StatusChanged and MessageChunk in kinds and kinds[-3:].count(StatusChanged) >= 1
    assert kinds.index(MessageComplete) > max(i for i, k in enumerate(kinds) if k is MessageChunk)


def test_raw_event_feed_async(alfa_emulator):
    async def main():
        async with alfa.AsyncAlfaClient(api_key=alfa_emulator.api_key, base_url=alfa_emulator.base_url) as client:
            thread = await client.threads.create("raw feed")
            async with client.stream(thread.id) as events:
                await client._channel.request(ops.send_message(thread.id, "NVDA"))
                kinds = []
                async for event in events:
                    kinds.append(type(event))
                    if terminal(event):
                        break
        return kinds

    kinds = asyncio.run(main())
    assert MessageChunk in kinds and MessageComplete in kinds


@pytest.mark.parametrize("flavour", ["v1"])
def test_wrong_key_is_an_authentication_error_without_the_key(alfa_emulator, flavour):
    with alfa.AlfaClient(api_key="wrong-key-0123456789", base_url=alfa_emulator.base_url) as client:
        with pytest.raises(alfa.AuthenticationError) as info:
            client.ask(QUESTION)
    assert "wrong-key-0123456789" not in str(info.value) and "ALFA_API_KEY" in str(info.value)


def test_unknown_thread_is_not_found(client):
    with pytest.raises(alfa.NotFoundError, match="threads"):
        client.ask(QUESTION, thread_id="00000000-0000-0000-0000-000000000000")


# -- a real service's manners: a thread that settles late, a history that lags --------------------


def test_follow_ups_asked_at_once_wait_for_the_thread_to_settle_and_are_each_posted_once(alfa_emulator, make_client):
    """The task reads running 0.4 s after its last event, and posting then is refused as busy
    (in the 400 reading): each follow-up waits for the thread, then posts once."""
    client = make_client("settle_ms=400;busy_status=400")
    questions = ["INTC", "And AMD?", "And NVDA?"]
    first = client.ask(questions[0], timeout=30)
    answers = [first] + [client.ask(q, thread_id=first.thread_id, timeout=30) for q in questions[1:]]
    assert [a.status for a in answers] == ["complete"] * 3
    assert len({a.message_id for a in answers}) == 3
    state = alfa_emulator.state().thread(first.thread_id)
    assert state.questions == tuple(questions)  # the POSTs the service acted on: each question once
    assert state.busy_refusals >= 1  # and the settle was met on the way (the other POSTs it made)


def test_a_drop_near_the_end_of_a_turn_gives_the_whole_answer(make_service_client):
    """The stream breaks in the turn's last events. From the realistic emulator, the task still
    reads running a moment and the history shows the answer 1.5 s late: the answer is the whole
    one, never the partial text."""
    seen = []
    clean = make_service_client().ask(SHORT_QUESTION, on_event=lambda event, turn: seen.append(turn))
    near_the_end = seen[-1].events_received - 3  # before the message and the statuses
    answer = make_service_client(f"drop_after={near_the_end}").ask(SHORT_QUESTION, timeout=30)
    assert any("broke 1 time" in w for w in answer.warnings)  # the fault did fire
    assert (answer.status, answer.raw_text) == ("complete", clean.raw_text)
    assert [c.raw for c in answer.citations] == [c.raw for c in clean.citations]


# -- faults: every run ends with the clean run's text, nothing lost, nothing doubled ----------------


def drop_points(kinds: list[str], every: bool) -> list[int]:
    """Where to cut the stream, given the kinds of the events a clean turn streams: everywhere, or
    a stratified sample of about fifteen points: the first events, the last ones (the final
    message, the end of the turn), each point where one kind of event gives way to another, and
    evenly spaced ones between."""
    count = len(kinds)
    if every:
        return list(range(count))
    edges = {k for k in range(1, count) if kinds[k] != kinds[k - 1]}
    spaced = set(range(0, count, max(1, count // 6)))
    return sorted({0, 1, 2, count - 3, count - 2, count - 1} | edges | {e - 1 for e in edges} | spaced)


def _dropped_at_points(make_client, every: bool) -> None:
    seen = []
    clean = make_client().ask(SHORT_QUESTION, on_event=lambda event, turn: seen.append((type(event).__name__, turn)))
    kinds = [kind for kind, _ in seen]
    events = seen[-1][1].events_received
    assert events > 20
    kinds += ["?"] * (events - len(kinds))  # events not published (none today) sort last
    for k in drop_points(kinds[:events], every):
        answer = make_client(f"drop_after={k}").ask(SHORT_QUESTION)
        assert (answer.status, answer.text) == ("complete", clean.text), f"dropped after {k} events"
        assert any("broke 1 time" in w for w in answer.warnings), f"no drop after {k} events"
        assert [c.raw for c in answer.citations] == [c.raw for c in clean.citations]


def test_stream_dropped_at_sampled_points_of_a_turn_recovers_the_same_answer(make_client):
    _dropped_at_points(make_client, every=False)


@pytest.mark.slow
def test_stream_dropped_at_every_point_of_a_turn_recovers_the_same_answer(make_client):
    _dropped_at_points(make_client, every=True)


def test_the_sample_of_drop_points_covers_both_ends_and_every_change_of_kind():
    kinds = ["status"] * 3 + ["log"] * 4 + ["chunk"] * 40 + ["complete", "status"]
    points = drop_points(kinds, every=False)
    assert {0, 2, 3, 6, 7, 46, 47, 48} <= set(points) and len(points) < 20
    assert drop_points(kinds, every=True) == list(range(len(kinds)))


@pytest.mark.parametrize("drop_after", [1, 8, 60])
def test_dropped_stream_recovers_the_same_answer(make_client, clean_answers, drop_after):
    clean = reference(make_client(), QUESTION, clean_answers)
    answer = make_client(f"drop_after={drop_after}").ask(QUESTION)
    assert answer.status == "complete"
    assert any("broke 1 time" in w for w in answer.warnings)  # the fault did fire
    assert answer.raw_text == clean.raw_text
    assert [c.raw for c in answer.citations] == [c.raw for c in clean.citations]
    assert [a.raw for a in answer.artifacts] == [a.raw for a in clean.artifacts]


def test_stall_past_the_read_timeout_recovers(make_client, clean_answers):
    clean = reference(make_client(), QUESTION, clean_answers)
    answer = make_client("stall=3;stall_after=5", stream_read_timeout=0.5).ask(QUESTION)
    assert answer.raw_text == clean.raw_text
    assert any("broke 1 time" in w for w in answer.warnings)


@pytest.mark.parametrize(
    "controls,least_wait",
    [
        ("status=429;retry_after=0.2;times=2", 0.4),
        ("status=503;retry_after=0.3;times=1", 0.3),
        ("slow_first_byte=0.3", 0.3),
    ],
)
def test_rate_limits_and_slow_starts_are_waited_out(make_client, clean_answers, controls, least_wait):
    clean = reference(make_client(), QUESTION, clean_answers)
    thread = make_client().threads("create", "faults")
    answer = make_client(controls).ask(QUESTION, thread_id=thread.id)
    assert answer.raw_text == clean.raw_text
    # The fault fired on the stream request and was waited out: a lower bound, not a timing bar.
    assert answer.elapsed >= least_wait


@pytest.mark.parametrize("controls", ["malformed=3", "duplicate=10", "malformed=2;duplicate=5;drop_after=20"])
def test_malformed_and_duplicated_events_change_nothing(make_client, clean_answers, controls):
    clean = reference(make_client(), QUESTION, clean_answers)
    answer = make_client(controls).ask(QUESTION)
    assert answer.raw_text == clean.raw_text
    assert answer.logs == clean.logs or set(answer.logs) <= set(clean.logs)
    if "malformed" in controls and "drop_after" not in controls:  # a drop may swallow them
        assert any("malformed" in w for w in answer.warnings)
    if "drop_after" in controls:
        assert any("broke 1 time" in w for w in answer.warnings)


def test_error_status_raises_with_the_partial_text(make_client):
    client = make_client("error=1")
    with pytest.raises(alfa.TurnFailedError) as info:
        client.ask(QUESTION)
    answer = info.value.answer
    assert answer.status == "error" and answer.text
    assert client.client.last_answer is answer
    assert str(info.value).startswith("Alfa ended the answer with an error")
