"""Record a conversation once from the emulator, replay it with the service gone: the same
answers, ids and elapsed times; every record mode; the file's format; never a secret."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

import alfa_notebook as alfa
from alfa_notebook.cassette import open_cassette
from alfa_notebook.emulator import Emulator

from .conftest import CANARY, GONE, NoNetwork

QUESTION = "Compare NVDA and AMD revenue growth over the last 4 quarters"
FOLLOW_UP = "And how did their margins move?"


def recorded(emulator: Emulator, path: Path, **kw: object) -> alfa.AlfaClient:
    return alfa.AlfaClient(api_key=emulator.api_key, base_url=emulator.base_url, cassette=path, **kw)  # type: ignore[arg-type]


def offline(path: Path, mode: str = "none", transport: NoNetwork | None = None, **kw: object) -> alfa.AlfaClient:
    open_cassette(path).rewind()  # as a new process would find it
    return alfa.AlfaClient(
        api_key="not-used", base_url=GONE, cassette=path, record_mode=mode, transport=transport, **kw
    )  # type: ignore[arg-type]


def same(a: alfa.Answer, b: alfa.Answer) -> None:
    assert a.to_dict() == b.to_dict()


def test_a_conversation_recorded_once_replays_offline_with_its_ids(canary_service, tmp_path, no_network) -> None:
    path = tmp_path / "research.alfa.jsonl"
    with recorded(canary_service, path) as client:
        first = client.ask(QUESTION)
        second = client.ask(FOLLOW_UP, thread_id=first.thread_id)
    assert first.status == "complete" and first.tables and first.citations and second.thread_id == first.thread_id

    with offline(path, transport=no_network) as client:
        again = client.ask(QUESTION)
        follow = client.ask(FOLLOW_UP, thread_id=again.thread_id)
        assert client.last_answer is follow
    same(again, first)
    same(follow, second)
    assert again.elapsed == first.elapsed and round(first.elapsed, 3) == first.elapsed
    assert again.tables[0].equals(first.tables[0]) and again.tables[0].dtypes.equals(first.tables[0].dtypes)
    assert no_network.sent == []


def test_the_async_client_and_ask_events_replay_what_the_blocking_one_recorded(canary_emulator, tmp_path) -> None:
    path = tmp_path / "c.alfa.jsonl"
    with recorded(canary_emulator, path) as client:
        first = client.ask(QUESTION)
    open_cassette(path).rewind()

    async def replay() -> tuple[alfa.Answer, alfa.Answer]:
        async with alfa.AsyncAlfaClient(api_key="x", base_url=GONE, cassette=path, record_mode="none") as client:
            answer = await client.ask(QUESTION)
            open_cassette(path).rewind()
            follow = client.ask_events(QUESTION)
            events = [event async for event in follow]
            assert events and follow.answer is not None
            return answer, follow.answer

    answer, followed = asyncio.run(replay())
    same(answer, first)
    same(followed, first)


def test_concurrent_background_asks_record_and_replay(canary_emulator, tmp_path) -> None:
    path = tmp_path / "batch.alfa.jsonl"
    questions = ["Top 5 banks by twelve-month return", "How have NVDA and AMD performed?", QUESTION]

    async def ask_all(**kw: object) -> list[alfa.Answer]:
        async with alfa.AsyncAlfaClient(cassette=path, **kw) as client:  # type: ignore[arg-type]
            return list(await asyncio.gather(*(client.ask(q) for q in questions)))

    live = asyncio.run(ask_all(api_key=canary_emulator.api_key, base_url=canary_emulator.base_url))
    open_cassette(path).rewind()
    replayed = asyncio.run(ask_all(api_key="x", base_url=GONE, record_mode="none"))
    for a, b in zip(live, replayed):
        same(a, b)
    assert len(path.read_text().splitlines()) == 1 + len(questions)


def test_the_file_is_json_lines_with_a_versioned_header_and_new_turns_append(canary_emulator, tmp_path) -> None:
    path = tmp_path / "c.alfa.jsonl"
    with recorded(canary_emulator, path) as client:
        first = client.ask(QUESTION)
        before = path.read_bytes()
        client.ask(FOLLOW_UP, thread_id=first.thread_id)
    after = path.read_bytes()
    assert after.startswith(before) and after.count(b"\n") == before.count(b"\n") + 1
    header, *records = [json.loads(line) for line in after.decode().splitlines()]
    assert header["alfa_cassette"] == 1
    assert [r["turn"] for r in records] == [
        {"question": QUESTION, "thread": "new"},
        {"question": FOLLOW_UP, "thread": {"after": [QUESTION]}},
    ]
    assert list(records[0]) == ["turn", "n", "thread_id", "message_id", "status", "elapsed", "calls", "streams"]
    events = records[0]["streams"][0]
    assert all(isinstance(t, float) for t, _, _ in events) and [e[0] for e in events] == sorted(e[0] for e in events)
    assert events[-1][1] == "task_status"
    assert not list(tmp_path.glob(".*.tmp")), "the temporary file is renamed into place"


def test_a_miss_in_none_mode_raises_at_once_without_the_network(canary_emulator, tmp_path, no_network) -> None:
    path = tmp_path / "c.alfa.jsonl"
    with recorded(canary_emulator, path) as client:
        client.ask(QUESTION)
    with offline(path, transport=no_network) as client, pytest.raises(alfa.CassetteMissError) as caught:
        client.ask("What is the P/E of AVGO?")
    assert str(caught.value).startswith(f"'What is the P/E of AVGO?' was never recorded in {path} (record_mode='none')")
    assert isinstance(caught.value, alfa.AlfaError)
    assert no_network.sent == []


def test_once_records_into_a_new_file_only(canary_emulator, tmp_path) -> None:
    path = tmp_path / "c.alfa.jsonl"
    with recorded(canary_emulator, path, record_mode="once") as client:
        client.ask(QUESTION)
        client.ask("Top 5 banks by twelve-month return")  # the file is this session's: still recording
    lines = path.read_text().splitlines()
    assert len(lines) == 3
    open_cassette(path).rewind()
    fresh = tmp_path / "copy.alfa.jsonl"
    fresh.write_text(path.read_text())  # a cassette that existed before the client
    with recorded(canary_emulator, fresh, record_mode="once") as client:
        client.ask(QUESTION)
        with pytest.raises(alfa.CassetteMissError, match=r"\(record_mode='once'\)"):
            client.ask("How have NVDA and AMD performed?")
    assert fresh.read_text() == path.read_text()


def test_new_episodes_replays_hits_and_records_misses(canary_emulator, tmp_path) -> None:
    path = tmp_path / "c.alfa.jsonl"
    with recorded(canary_emulator, path) as client:
        first = client.ask(QUESTION)
    open_cassette(path).rewind()
    with recorded(canary_emulator, path, record_mode="new_episodes") as client:
        same(client.ask(QUESTION), first)  # replayed: the same thread, not a new one
        other = client.ask("Top 5 banks by twelve-month return")
    with offline(path) as client:
        client.ask(QUESTION)
        same(client.ask("Top 5 banks by twelve-month return"), other)


def test_all_asks_again_and_records_over_the_old_record(canary_emulator, tmp_path) -> None:
    path = tmp_path / "c.alfa.jsonl"
    with recorded(canary_emulator, path) as client:
        first = client.ask(QUESTION)
    open_cassette(path).rewind()
    with recorded(canary_emulator, path, record_mode="all") as client:
        again = client.ask(QUESTION)
    assert again.thread_id != first.thread_id  # asked the service again
    lines = path.read_text().splitlines()
    assert len(lines) == 2 and again.thread_id in lines[1]
    with offline(path) as client:
        assert client.ask(QUESTION).thread_id == again.thread_id


def test_thread_management_replays_so_the_magic_flow_works_offline(canary_emulator, tmp_path, no_network) -> None:
    path = tmp_path / "c.alfa.jsonl"
    with recorded(canary_emulator, path) as client:
        thread = client.threads.create("Semiconductor research")
        first = client.ask(QUESTION, thread_id=thread.id)
        second = client.ask(FOLLOW_UP, thread_id=thread.id)
        listed = client.threads.list()
        history = client.threads.messages(thread.id)
    with offline(path, transport=no_network) as client:
        assert client.threads.create("Semiconductor research").id == thread.id
        same(client.ask(QUESTION, thread_id=thread.id), first)
        same(client.ask(FOLLOW_UP, thread_id=thread.id), second)
        assert [t.id for t in client.threads.list()] == [t.id for t in listed]
        assert [m.text for m in client.threads.messages(thread.id).messages] == [m.text for m in history.messages]
    assert no_network.sent == []


def test_a_refusal_is_recorded_and_replayed_as_the_same_error(canary_emulator, tmp_path) -> None:
    path = tmp_path / "c.alfa.jsonl"
    with recorded(canary_emulator, path) as client, pytest.raises(alfa.NotFoundError) as live:
        client.threads.messages("no-such-thread")
    with offline(path) as client, pytest.raises(alfa.NotFoundError) as replayed:
        client.threads.messages("no-such-thread")
    assert str(replayed.value) == str(live.value) and replayed.value.status_code == 404
    assert replayed.value.request_id == live.value.request_id is not None  # support can still trace it


def test_a_refusal_recorded_before_request_ids_replays_without_one(canary_emulator, tmp_path) -> None:
    path = tmp_path / "c.alfa.jsonl"
    with recorded(canary_emulator, path) as client, pytest.raises(alfa.NotFoundError):
        client.threads.messages("no-such-thread")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    for line in lines:
        line.get("error", {}).pop("request_id", None)
        for value in line.values():
            if isinstance(value, dict) and isinstance(value.get("error"), dict):
                value["error"].pop("request_id", None)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert "request_id" not in path.read_text()
    with offline(path) as client, pytest.raises(alfa.NotFoundError) as replayed:
        client.threads.messages("no-such-thread")
    assert replayed.value.request_id is None and replayed.value.status_code == 404


def test_the_key_is_never_written(canary_emulator, tmp_path) -> None:
    path = tmp_path / "c.alfa.jsonl"
    with recorded(canary_emulator, path) as client:
        answer = client.ask(QUESTION)
        client.threads.list()
        client.threads.rename(answer.thread_id, f"named after the key {CANARY}")  # the service echoes it back
        client.threads.list()
    text = path.read_text()
    assert CANARY not in text and "x-api-key" not in text.lower() and "authorization" not in text.lower()
    assert "[redacted]" in text


@pytest.mark.parametrize(
    ("content", "line", "said"),
    [
        (
            '{"alfa_cassette": 1}\n{"request": {"call": "GET /threads"}, "n": 1, "response": {}}\n{not json\n',
            3,
            "not valid JSON",
        ),
        ('{"alfa_cassette": 1}\n[1, 2]\n', 2, "a record is a JSON object"),
        ('{"alfa_cassette": 99}\n', 1, "cassette format 99"),
        ('{"hello": "world"}\n', 1, "not a cassette header"),
    ],
)
def test_a_broken_file_is_named_with_its_line_and_never_written_over(
    canary_emulator, tmp_path, content, line, said
) -> None:
    path = tmp_path / "broken.alfa.jsonl"
    path.write_text(content)
    for mode in ("once", "new_episodes", "all"):
        with recorded(canary_emulator, path, record_mode=mode) as client, pytest.raises(alfa.CassetteError) as caught:
            client.ask(QUESTION)
        assert f"{path}, line {line}: {said}" in str(caught.value)
        assert "left as it is" in str(caught.value)
    assert path.read_text() == content


def test_a_replay_at_the_recorded_pace_reports_every_change_as_live_did(canary_emulator, tmp_path) -> None:
    path = tmp_path / "c.alfa.jsonl"
    live_changes: list[object] = []
    with recorded(canary_emulator, path) as client:
        first = client.ask(QUESTION, on_event=lambda e, turn: live_changes.append(e))
    paced: list[object] = []
    with offline(path, replay_pace="recorded") as client:
        same(client.ask(QUESTION, on_event=lambda e, turn: paced.append(e)), first)
    instant: list[object] = []
    with offline(path) as client:
        same(client.ask(QUESTION, on_event=lambda e, turn: instant.append(e)), first)
    assert len(paced) == len(live_changes)
    assert 1 <= len(instant) < len(live_changes)  # the recorded events come at once: one change


def test_settings_resolve_the_cassette_and_mode_in_order(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ALFA_CASSETTE", str(tmp_path / "env.alfa.jsonl"))
    monkeypatch.setenv("ALFA_RECORD_MODE", "none")
    settings = alfa.AlfaClient(api_key="k").settings
    assert (settings.cassette, settings.record_mode) == (str(tmp_path / "env.alfa.jsonl"), "none")
    configured = {"cassette": "conf.alfa.jsonl", "record_mode": "all"}
    settings = alfa.AlfaClient._create(api_key="k", configured=configured).settings
    assert (settings.cassette, settings.record_mode) == ("conf.alfa.jsonl", "all")
    settings = alfa.AlfaClient._create(
        api_key="k", cassette="arg.jsonl", record_mode="new_episodes", configured=configured
    ).settings
    assert (settings.cassette, settings.record_mode) == ("arg.jsonl", "new_episodes")
    with pytest.raises(
        alfa.ConfigurationError, match="record_mode must be one of 'once', 'new_episodes', 'none', 'all'"
    ):
        alfa.AlfaClient(api_key="k", record_mode="sometimes")
    monkeypatch.delenv("ALFA_CASSETTE")
    monkeypatch.delenv("ALFA_RECORD_MODE")
    assert alfa.AlfaClient(api_key="k").settings.cassette is None


def test_a_cassette_path_that_cannot_be_read_or_written_is_a_cassette_error(
    tmp_path: Path, alfa_emulator: Emulator
) -> None:
    with alfa.AlfaClient(api_key="k", base_url=GONE, cassette=tmp_path, record_mode="none") as client:
        with pytest.raises(alfa.CassetteError, match="cannot be read as a cassette"):
            client.threads.list()
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    recording = {"cassette": blocked / "c.alfa.jsonl", "record_mode": "all"}
    with alfa.AlfaClient(api_key=alfa_emulator.api_key, base_url=alfa_emulator.base_url, **recording) as client:
        with pytest.raises(alfa.CassetteError, match="cannot be written there"):
            client.threads.list()
