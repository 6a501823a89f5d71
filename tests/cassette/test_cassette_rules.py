"""The cassette's rules, on the store and the tapes directly (no client, no service): which
recording a use of a key replays, what a request's identity holds, what is never written, and
what a failed write leaves behind."""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import io
import json
import os
import random
import types
from pathlib import Path

import pytest

from alfa_notebook.cassette import file
from alfa_notebook.cassette import replay as replay_module
from alfa_notebook.cassette.recording import AsyncTurnRecording, SyncTurnRecording, describe
from alfa_notebook.cassette.replay import AsyncTurnReplay
from alfa_notebook.cassette.store import REDACTED, Cassette, open_cassette
from alfa_notebook.cassette.tape import AsyncCassetteChannel, Binding, CassetteChannel, SyncTurnReplay
from alfa_notebook.turn.steps import AskProcedure, Burst
from alfa_notebook.wire import operations as ops
from alfa_notebook.wire.errors import (
    APIConnectionError,
    APIStatusError,
    CassetteError,
    CassetteMissError,
    ConfigurationError,
    NotFoundError,
)
from alfa_notebook.wire.events import MalformedEvent, MessageChunk, StreamClosed, from_payload


def recorded(path: Path, *records: dict) -> Cassette:
    """A cassette file holding ``records`` (as a past process wrote them), opened afresh."""
    file.write(path, file.header_line(), [file.dump(r) for r in records])
    return Cassette(path)


def test_a_key_used_more_often_than_recorded_replays_its_latest_recording(tmp_path):
    """A cell re-run after the recorded runs gets the answer the last run got, not the first."""
    key = {"question": "q", "thread": "new"}
    kept = {"status": "complete", "elapsed": 0.1, "calls": [], "streams": []}
    cassette = recorded(
        tmp_path / "c.alfa.jsonl",
        {"turn": key, "n": 1, "thread_id": "first", **kept},
        {"turn": key, "n": 2, "thread_id": "second", **kept},
    )
    said = [cassette.lookup("turn", key, "none", "q")[0]["thread_id"] for _ in range(3)]
    assert said == ["first", "second", "second"]


def test_query_parameters_are_part_of_a_requests_identity(tmp_path):
    """Two pages of one thread's messages are two recordings: replaying one for the other would
    show the wrong messages."""
    binding = Binding(Cassette(tmp_path / "c.alfa.jsonl"), "new_episodes", "instant")
    tape = binding.request(ops.list_messages("t1", start_index=0, limit_num=10))
    assert tape is not None and not tape.replaying
    tape.live.parse({"messages": [], "total_message_count": 0})
    replaying = Binding(Cassette(tmp_path / "c.alfa.jsonl"), "none", "instant")
    assert replaying.request(ops.list_messages("t1", start_index=0, limit_num=10)).replaying  # type: ignore[union-attr]
    with pytest.raises(CassetteMissError):
        replaying.request(ops.list_messages("t1", start_index=10, limit_num=10))


@pytest.mark.parametrize("secret", ['sk-"quoted"-key', "sk-back\\slash", "sk-tab\tkey", 'sk-clé-"à-moi"'])
def test_a_secret_is_redacted_however_json_escapes_it(tmp_path, secret):
    """A key with a quote, a backslash or a control character is written escaped (and its
    other letters as they are): that form never reaches the file either, not even in part."""
    path = tmp_path / "c.alfa.jsonl"
    cassette = Cassette(path)
    cassette.never_write(secret)
    cassette.save("request", {"call": "GET /x"}, 1, {"response": {"echo": f"Bearer {secret}."}}, replace=False)
    text = path.read_text(encoding="utf-8")
    assert secret not in text and json.dumps(secret, ensure_ascii=False)[1:-1] not in text
    assert json.loads(text.splitlines()[1])["response"] == {"echo": f"Bearer {REDACTED}."}


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "c.alfa.jsonl"
    file.write(path, file.header_line(), ['{"request":{"call":"GET /a"},"n":1}'])
    before = path.read_bytes()

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(CassetteError, match="could not be saved"):
        file.write(path, file.header_line(), ['{"request":{"call":"GET /b"},"n":1}'])
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_repeated_calls_in_a_replayed_turn_get_their_own_recorded_responses(tmp_path):
    """A turn that read the history twice (a reconnect, then the reconciliation) replays the
    two responses in order, not the first twice."""
    page = "GET " + ops.list_messages("t1").path
    record = {
        "turn": {"question": "q", "thread": "new"},
        "n": 1,
        "calls": [
            {"call": page, "response": {"messages": [], "total_message_count": 0}},
            {"call": page, "response": {"messages": [{"message_id": "m1", "message": "hi"}], "total_message_count": 1}},
        ],
        "streams": [],
    }
    binding = Binding(Cassette(tmp_path / "c.alfa.jsonl"), "none", "instant")
    replay = SyncTurnReplay(
        binding.cassette, record, AskProcedure("q", None, clock=lambda: 0.0, rng=random.Random(0)), paced=False
    )
    first = replay.request(ops.list_messages("t1"))
    second = replay.request(ops.list_messages("t1"))
    assert (first.total, second.total) == (0, 1)


TURN_BODY = {"thread_id": "t", "message_id": "m", "status": "complete", "elapsed": 0.5, "calls": [], "streams": []}


def test_two_writers_of_one_key_both_keep_their_answer(tmp_path):
    """Two processes that asked the same question for the first time: the second record follows
    the first (it replays on the second use), neither is lost; ``all`` replaces in place."""
    path = tmp_path / "c.alfa.jsonl"
    key = {"question": "q", "thread": "new"}
    mine, theirs = Cassette(path), Cassette(path)  # as two processes see one file
    assert mine.lookup("turn", key, "new_episodes", "q") == (None, 1)
    assert theirs.lookup("turn", key, "new_episodes", "q") == (None, 1)
    mine.save("turn", key, 1, {**TURN_BODY, "thread_id": "mine"}, replace=False)
    written = theirs.save("turn", key, 1, {**TURN_BODY, "thread_id": "theirs"}, replace=False)
    assert written["n"] == 2 and theirs.where(written) == f"{path}, line 3"
    later = Cassette(path)
    assert [later.lookup("turn", key, "none", "q")[0]["thread_id"] for _ in range(2)] == ["mine", "theirs"]
    assert later.where(later.find("turn", key)) == f"{path}, line 3"
    later.save("turn", key, 1, {**TURN_BODY, "thread_id": "again"}, replace=True)
    assert [json.loads(line)["thread_id"] for line in path.read_text().splitlines()[1:]] == ["again", "theirs"]


def test_a_record_mode_decides_between_replaying_and_asking(tmp_path):
    path = tmp_path / "c.alfa.jsonl"
    key = {"question": "q", "thread": "new"}
    fresh = Cassette(path)
    assert fresh.lookup("turn", key, "once", "q") == (None, 1)  # a new file: once records
    fresh.save("turn", key, 1, TURN_BODY, replace=False)
    assert fresh.lookup("turn", key, "once", "q") == (None, 2)  # still this session's file
    existing = Cassette(path)
    assert existing.lookup("turn", key, "once", "q")[0]["thread_id"] == "t"
    assert existing.lookup("turn", key, "once", "q")[0]["thread_id"] == "t"  # beyond: the last one again
    with pytest.raises(CassetteMissError) as caught:
        existing.lookup("turn", {**key, "question": "other"}, "once", "'other'")
    assert str(caught.value) == (
        f"'other' was never recorded in {path} (record_mode='once'). Record it while the service is reachable: "
        "record_mode='new_episodes' (or ALFA_RECORD_MODE=new_episodes)."
    )
    assert existing.lookup("turn", key, "all", "q") == (None, 3)  # all asks again, whatever is recorded
    existing.rewind()
    assert existing.lookup("turn", key, "all", "q") == (None, 1)
    assert existing.lookup("turn", key, "new_episodes", "q") == (None, 2)  # beyond the recordings: asked


def test_a_cassette_deleted_while_in_use_is_recorded_again_from_the_start(tmp_path):
    path = tmp_path / "c.alfa.jsonl"
    key = {"question": "q", "thread": "new"}
    file.write(path, file.header_line(), [file.dump({"turn": key, "n": 1, **TURN_BODY})])
    cassette = Cassette(path)
    assert cassette.find("turn", key) is not None
    path.unlink()
    assert cassette.find("turn", key) is None
    cassette.rewind()
    assert cassette.lookup("turn", key, "once", "q") == (None, 1)  # once: the file is new again
    cassette.save("turn", key, 1, {**TURN_BODY, "thread_id": "new"}, replace=False)
    assert len(path.read_text().splitlines()) == 2


def test_a_record_the_cassette_did_not_hand_out_is_named_by_the_file_alone(tmp_path):
    cassette = Cassette(tmp_path / "c.alfa.jsonl")
    assert cassette.where({"request": {"call": "GET /x"}}) == str(tmp_path / "c.alfa.jsonl")


def test_a_follow_up_in_a_thread_the_cassette_did_not_see_start_is_keyed_by_what_was_asked(tmp_path):
    """A thread made elsewhere (another session, the web app) is known by its id until a
    question has been asked in it here; then by the questions, as a replay will see them."""
    cassette = Cassette(tmp_path / "c.alfa.jsonl")
    assert cassette.thread_key(None) == "new"
    assert cassette.thread_key("t9") == {"id": "t9"}
    cassette.asked("t9", "first")
    cassette.asked("t9", "second")
    cassette.asked(None, "unthreaded")
    assert cassette.thread_key("t9") == {"after": ["first", "second"]}
    cassette.thread_started("t9")
    assert cassette.thread_key("t9") == {"after": []}
    cassette.rewind()
    assert cassette.thread_key("t9") == {"id": "t9"}


@pytest.mark.parametrize(("secret", "redacted"), [("abcd", True), ("abc", False), ("", False), (None, False)])
def test_only_a_credential_of_four_characters_or_more_is_redacted(tmp_path, secret, redacted):
    """A short or empty key would redact every word it is part of."""
    path = tmp_path / "c.alfa.jsonl"
    cassette = Cassette(path)
    cassette.never_write(secret)
    record = cassette.save("request", {"call": "GET /x"}, 1, {"response": "xabcdx"}, replace=False)
    assert record["response"] == ("x[redacted]x" if redacted else "xabcdx")


def test_a_writer_that_cannot_take_the_lock_writes_nothing_and_says_who_holds_it(tmp_path, monkeypatch):
    from filelock import FileLock, Timeout

    path = tmp_path / "c.alfa.jsonl"
    file.write(path, file.header_line(), [])
    before = path.read_bytes()

    waited = []

    def held(self, *args, **kwargs):
        waited.append(self.timeout)
        raise Timeout(self.lock_file)

    monkeypatch.setattr(FileLock, "acquire", held)
    with pytest.raises(CassetteError) as caught:
        Cassette(path).save("request", {"call": "GET /x"}, 1, {"response": {}}, replace=False)
    assert str(caught.value) == (
        f"{path}: another process has been writing this cassette for 60 s (it holds {tmp_path}/.c.alfa.jsonl.lock); "
        "nothing was written. If no process is recording into it, delete that lock file."
    )
    assert path.read_bytes() == before and waited == [60]


def test_a_requests_identity_holds_its_body_form_and_file_contents(tmp_path):
    """Requests that differ in what they send are recorded apart: a rename to another name, a
    message with other text, a file with other bytes (an open file is known by its name)."""
    path = tmp_path / "c.alfa.jsonl"
    binding = Binding(Cassette(path), "new_episodes", "instant")
    sent = [
        (ops.rename_thread("t1", "Semis"), {"success": True}),
        (ops.send_message("t1", "hi", source_overrides={"news": False}), {"ok": 1}),
        (ops.upload("t1", b"one", "f.csv"), {"file_id": "f1"}),
        (ops.upload("t1", io.BytesIO(b"two"), "g.csv"), {"file_id": "f2"}),
        (ops.list_messages("t1", start_index=0), {"messages": [], "total_message_count": 0}),
    ]
    for op, body in sent:
        tape = binding.request(op)
        assert tape is not None and not tape.replaying
        tape.live.parse(body)
    keys = [json.loads(line)["request"] for line in path.read_text().splitlines()[1:]]
    assert keys == [
        {"call": "PATCH /threads/t1", "json": {"name": "Semis"}},
        {"call": "POST /threads/t1/messages", "data": {"message": "hi", "source_overrides": '{"news": false}'}},
        {
            "call": "POST /threads/t1/files",
            "files": {"file": {"name": "f.csv", "sha256": hashlib.sha256(b"one").hexdigest()}},
        },
        {"call": "POST /threads/t1/files", "files": {"file": "g.csv"}},
        {"call": "GET /threads/t1/messages", "params": {"start_index": 0}},
    ]
    replaying = Binding(Cassette(path), "none", "instant")
    assert replaying.request(ops.upload("t1", b"one", "f.csv")).replay() == "f1"  # type: ignore[union-attr]
    with pytest.raises(CassetteMissError, match=r"^'POST /threads/t1/files' was never recorded"):
        replaying.request(ops.upload("t1", b"other", "f.csv"))
    with pytest.raises(CassetteMissError, match=r"^'PATCH /threads/t1' was never recorded"):
        replaying.request(ops.rename_thread("t1", "Other"))
    with pytest.raises(CassetteMissError, match=r"^'POST /threads' was never recorded"):
        replaying.request(ops.create_thread(""))


def test_the_token_exchange_is_never_recorded(tmp_path):
    path = tmp_path / "c.alfa.jsonl"
    exchange = ops.Operation("POST", "/token", "/token", lambda body: body, json={"key": "k"}, authenticated=False)
    assert Binding(Cassette(path), "all", "instant").request(exchange) is None
    assert not path.exists()


def test_a_thread_created_live_or_replayed_is_known_by_its_questions(tmp_path):
    path = tmp_path / "c.alfa.jsonl"
    cassette = Cassette(path)
    tape = Binding(cassette, "new_episodes", "instant").request(ops.create_thread("Semis"))
    assert tape.live.parse({"thread_id": "t7"}).id == "t7"  # type: ignore[union-attr]
    assert cassette.thread_key("t7") == {"after": []}
    again = Cassette(path)
    assert Binding(again, "none", "instant").request(ops.create_thread("Semis")).replay().id == "t7"  # type: ignore[union-attr]
    assert again.thread_key("t7") == {"after": []}


def test_a_refusal_is_recorded_but_a_lost_connection_is_not(tmp_path):
    """A 404 is the service's answer and replays as such; a connection that broke said nothing."""
    path = tmp_path / "c.alfa.jsonl"
    binding = Binding(Cassette(path), "new_episodes", "instant")
    binding.request(ops.list_messages("gone")).failed(  # type: ignore[union-attr]
        NotFoundError("no such thread", status_code=404, request_id="req-1")
    )
    binding.request(ops.list_messages("flaky")).failed(APIConnectionError("reset"))  # type: ignore[union-attr]
    records = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    assert records == [
        {
            "request": {"call": "GET /threads/gone/messages", "params": {"start_index": 0}},
            "n": 1,
            "error": {"type": "NotFoundError", "status_code": 404, "message": "no such thread", "request_id": "req-1"},
        }
    ]
    replaying = Binding(Cassette(path), "none", "instant")
    with pytest.raises(NotFoundError) as caught:
        replaying.request(ops.list_messages("gone")).replay()  # type: ignore[union-attr]
    assert (caught.value.status_code, caught.value.request_id, caught.value.method) == (404, "req-1", "GET")
    assert caught.value.path == "/threads/{id}/messages"


def test_a_binding_says_its_file_and_mode_and_only_all_replaces(tmp_path):
    cassette = Cassette(tmp_path / "c.alfa.jsonl")
    assert repr(Binding(cassette, "none", "instant")) == f"<cassette {cassette.path} record_mode='none'>"
    assert [Binding(cassette, mode, "instant").replaces for mode in ("once", "new_episodes", "none", "all")] == [
        False,
        False,
        False,
        True,
    ]
    assert [Binding(cassette, "none", pace).paced for pace in ("instant", "recorded")] == [False, True]


def test_an_unknown_replay_pace_is_refused_by_name(tmp_path):
    import alfa_notebook as alfa

    with pytest.raises(ConfigurationError) as caught:
        alfa.AlfaClient(api_key="k", cassette=tmp_path / "c.alfa.jsonl", replay_pace="slow")
    assert str(caught.value) == "replay_pace must be 'instant' or 'recorded', not 'slow'."


def _batch_ask(tape, cassette, question, mode="new_episodes"):
    """One item of a batch: a turn looked up (and, when asked, recorded) inside the batch's count."""

    async def ask():
        key = {"question": question, "thread": "new"}
        record, n = cassette.lookup("turn", key, mode, question)
        if record is None:
            cassette.save("turn", key, n, TURN_BODY, replace=False)
        return n

    return tape.asking(ask)


def test_a_batch_replayed_whole_shows_its_recorded_time_and_one_that_asked_records_it(tmp_path):
    path = tmp_path / "c.alfa.jsonl"
    cassette = Cassette(path)
    binding = Binding(cassette, "new_episodes", "instant")
    questions = ["a", "b"]
    cassette.lookup("turn", {"question": "a", "thread": "new"}, "new_episodes", "a")  # used before, outside
    first = binding.batch(questions, None, [])
    assert [asyncio.run(_batch_ask(first, cassette, q)) for q in questions] == [1, 1]  # counted apart
    assert first.elapsed(2.34567, interrupted=False) == 2.346
    batch = [json.loads(line) for line in path.read_text().splitlines()[1:] if line.startswith('{"batch"')]
    assert [(b["batch"]["items"], len(b["batch"]["sha256"]), b["elapsed"]) for b in batch] == [(2, 32, 2.346)]
    again = binding.batch(questions, None, [])
    assert [asyncio.run(_batch_ask(again, cassette, q)) for q in questions] == [1, 1]  # replayed
    assert again.elapsed(9.0, interrupted=False) == 2.346
    other_sources = binding.batch(questions, {"news": False}, [])
    assert other_sources.elapsed(5.0, interrupted=False) == 5.0  # nothing recorded for it: as measured


def test_a_stopped_batch_records_no_time_and_a_failed_write_costs_only_the_time(tmp_path, monkeypatch):
    path = tmp_path / "c.alfa.jsonl"
    cassette = Cassette(path)
    binding = Binding(cassette, "new_episodes", "instant")
    stopped = binding.batch(["a"], None, [])
    asyncio.run(_batch_ask(stopped, cassette, "a"))
    assert stopped.elapsed(1.23456, interrupted=True) == 1.23456
    assert not any(line.startswith('{"batch"') for line in path.read_text().splitlines())
    full = binding.batch(["b"], None, [])
    asyncio.run(_batch_ask(full, cassette, "b"))

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.warns(UserWarning, match=r"^The batch's time was not recorded: .*could not be saved"):
        assert full.elapsed(1.23456, interrupted=False) == 1.23456


def test_a_record_read_before_another_process_wrote_is_still_named_by_its_line(tmp_path):
    """The file is read again when another process appends to it; the records read before stay
    the ones handed out, so a message about one (a damaged payload found while replaying it)
    still names its line."""
    path = tmp_path / "c.alfa.jsonl"
    key = {"question": "q", "thread": "new"}
    file.write(path, file.header_line(), [file.dump({"turn": key, "n": 1, **TURN_BODY})])
    mine = Cassette(path)
    record = mine.lookup("turn", key, "none", "q")[0]
    Cassette(path).save("turn", {**key, "question": "other"}, 1, TURN_BODY, replace=False)  # another process
    assert mine.find("turn", {**key, "question": "other"}) is not None  # read again
    assert mine.where(record) == f"{path}, line 2"


def test_every_client_of_a_process_counts_its_uses_in_one_cassette(tmp_path, monkeypatch):
    """The blocking client and the background ones name the file in their own words; a question
    asked by one is the second use for the other."""
    monkeypatch.chdir(tmp_path)
    key = {"question": "q", "thread": "new"}
    first = open_cassette("c.alfa.jsonl")
    assert open_cassette(tmp_path / "c.alfa.jsonl") is first
    assert [c.lookup("turn", key, "all", "q")[1] for c in (first, open_cassette("./c.alfa.jsonl"))] == [1, 2]


def test_a_cassette_in_a_missing_folder_is_named_and_nothing_is_written(tmp_path):
    path = tmp_path / "gone" / "c.alfa.jsonl"
    with pytest.raises(CassetteError) as caught:
        file.write(path, file.header_line(), [])
    assert str(caught.value) == f"{path}: the cassette cannot be written there: No such file or directory."
    assert not (tmp_path / "gone").exists()


def test_a_write_whose_temporary_file_vanished_still_fails_as_a_cassette_error(tmp_path, monkeypatch):
    """The folder emptied by a cleaner while the file was written: the failure is said, once."""
    path = tmp_path / "c.alfa.jsonl"

    def cleaned(src, dst):
        os.unlink(src)
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(os, "replace", cleaned)
    with pytest.raises(CassetteError, match="could not be saved: No such file or directory"):
        file.write(path, file.header_line(), [])
    assert list(tmp_path.iterdir()) == []


# -- a turn recorded, then replayed -----------------------------------------------------------

CHUNK = {"message_chunk": {"message": "Hi", "message_id": "m1"}}
DONE = {"event_type": "task_status", "task_status": {"status": "COMPLETE"}}


class Live:
    """A channel that answers requests with ``bodies`` (an exception is raised) and opens
    ``streams`` (lists of events; an exception in one breaks it there)."""

    def __init__(self, bodies, streams):
        self.bodies, self.streams = list(bodies), list(streams)

    def request(self, op, *, deadline=None):
        body = self.bodies.pop(0)
        if isinstance(body, Exception):
            raise body
        return op.parse(body)

    def open_stream(self, thread_id, *, deadline=None):
        def events(items):
            for item in items:
                if isinstance(item, Exception):
                    raise item
                yield item

        return events(self.streams.pop(0))


def procedure(question="q", thread_id=None):
    return AskProcedure(question, thread_id, clock=lambda: 0.0, rng=random.Random(0))


def ended(status="complete", thread_id="t1", elapsed=1.23456):
    """What finish() reads of an Answer."""
    return types.SimpleNamespace(status=status, thread_id=thread_id, message_id="m1", elapsed=elapsed)


def drain(stream):
    """A stream's items, a Burst as the list of its events."""
    return [list(item.events) if isinstance(item, Burst) else item for item in stream]


def test_a_turn_replays_the_calls_refusals_events_and_ends_it_recorded(tmp_path):
    path = tmp_path / "c.alfa.jsonl"
    cassette = Cassette(path)
    key = {"question": "q", "thread": "new"}
    live = Live(
        [{"ok": 1}, NotFoundError("gone", status_code=404)],
        [
            [from_payload("message_chunk", CHUNK), MalformedEvent("{oops", "not JSON"), StreamClosed()],
            [from_payload("message_chunk", CHUNK), APIConnectionError("reset")],
        ],
    )
    recording = SyncTurnRecording(cassette, False, key, 1, procedure(), live)  # type: ignore[arg-type]
    assert recording.request(ops.send_message("t1", "q")) == {"ok": 1}
    with pytest.raises(NotFoundError):
        recording.request(ops.list_messages("t1"))
    first = recording.open_stream("t1")
    assert [type(e).__name__ for e in first] == ["MessageChunk", "MalformedEvent", "StreamClosed"]
    first.close()
    with pytest.raises(APIConnectionError):
        list(recording.open_stream("t1"))
    answer = recording.finish(ended())  # type: ignore[arg-type]
    assert answer.elapsed == 1.235

    record = json.loads(path.read_text().splitlines()[1])
    assert {k: v for k, v in record.items() if k != "streams"} == {
        "turn": key,
        "n": 1,
        "thread_id": "t1",
        "message_id": "m1",
        "status": "complete",
        "elapsed": 1.235,
        "calls": [
            {"call": "POST /threads/t1/messages", "response": {"ok": 1}},
            {
                "call": "GET /threads/t1/messages",
                "error": {"type": "NotFoundError", "status_code": 404, "message": "gone"},
            },
        ],
    }
    assert [[entry[1:] for entry in stream] for stream in record["streams"]] == [
        [
            ["message_chunk", CHUNK],
            [None, {"malformed": "{oops", "reason": "not JSON"}],
            [None, {"closed": True}],
            [None, {"lost": True}],
        ],
        [["message_chunk", CHUNK], [None, {"lost": True}]],
    ]
    times = [entry[0] for stream in record["streams"] for entry in stream]
    assert times == sorted(times) and all(round(t, 4) == t for t in times)
    assert cassette.thread_key("t1") == {"after": ["q"]}  # the thread it started, and what was asked

    again = Cassette(path)
    replay = SyncTurnReplay(again, again.lookup("turn", key, "none", "q")[0], procedure(), paced=False)
    assert replay.request(ops.send_message("t1", "q")) == {"ok": 1}
    with pytest.raises(NotFoundError) as refused:
        replay.request(ops.list_messages("t1"))
    assert (refused.value.message, refused.value.request_id) == ("gone", None)
    assert drain(replay.open_stream("t1")) == [
        [from_payload("message_chunk", CHUNK), MalformedEvent("{oops", "not JSON")],
        StreamClosed(),
    ]
    assert drain(replay.open_stream("t1")) == [[from_payload("message_chunk", CHUNK)]]  # then it broke
    assert drain(replay.open_stream("t1")) == []  # a stream the turn never opened
    assert replay.request(ops.cancel("t1")) is True  # cancelling a replay: nothing runs anywhere
    with pytest.raises(CassetteError) as caught:
        replay.request(ops.progress("t1"))
    assert str(caught.value) == (
        f"The recorded turn 'q' in {path} made no GET /threads/{{id}}/progress call, which its replay needs: record "
        "it again (record_mode='all')."
    )
    assert replay.finish(ended(elapsed=9.0)).elapsed == 1.235  # type: ignore[arg-type]
    assert again.thread_key("t1") == {"after": ["q"]}
    rerun = SyncTurnReplay(again, again.lookup("turn", key, "none", "q")[0], procedure(), paced=False)
    rerun.finish(ended())  # type: ignore[arg-type]  # the cell run again: the same thread, begun again
    assert again.thread_key("t1") == {"after": ["q"]}


def test_a_follow_up_recorded_in_a_known_thread_adds_its_question(tmp_path):
    cassette = Cassette(tmp_path / "c.alfa.jsonl")
    cassette.thread_started("t1")
    cassette.asked("t1", "first")
    recording = SyncTurnRecording(cassette, False, {"question": "q"}, 1, procedure("q", "t1"), Live([], []))  # type: ignore[arg-type]
    recording.finish(ended())  # type: ignore[arg-type]
    assert cassette.thread_key("t1") == {"after": ["first", "q"]}
    replay = SyncTurnReplay(cassette, cassette.find("turn", {"question": "q"}), procedure("q", "t1"), paced=False)  # type: ignore[arg-type]
    replay.finish(ended())  # type: ignore[arg-type]
    assert cassette.thread_key("t1") == {"after": ["first", "q", "q"]}


def test_a_recording_with_a_refusal_that_carries_a_request_id_keeps_it(tmp_path):
    refusal = NotFoundError("gone", status_code=404, request_id="req-9")
    assert describe(refusal) == {"type": "NotFoundError", "status_code": 404, "message": "gone", "request_id": "req-9"}


@pytest.mark.parametrize(
    ("said", "kind", "message"),
    [
        ({"type": "ThreadBusyError", "status_code": 400, "message": "busy"}, "ThreadBusyError", "busy"),
        ({"type": "NoSuchError", "status_code": 502}, "InternalServerError", ""),
        ({"type": "ConfigurationError", "status_code": 404, "message": "m"}, "NotFoundError", "m"),
        ({"status_code": 418, "request_id": 5}, "APIStatusError", ""),
    ],
)
def test_a_recorded_refusal_replays_as_its_error_or_the_one_its_status_means(tmp_path, said, kind, message):
    path = tmp_path / "c.alfa.jsonl"
    file.write(path, file.header_line(), [file.dump({"request": {"call": "GET /threads"}, "n": 1, "error": said})])
    tape = Binding(Cassette(path), "none", "instant").request(ops.list_threads())
    with pytest.raises(APIStatusError) as caught:
        tape.replay()  # type: ignore[union-attr]
    error = caught.value
    assert (type(error).__name__, error.status_code, error.message, error.request_id) == (
        kind,
        said["status_code"],
        message,
        None,
    )
    assert (error.method, error.path) == ("GET", "/threads")


def test_a_recorded_response_that_does_not_parse_is_named_by_its_line_and_field(tmp_path):
    path = tmp_path / "c.alfa.jsonl"
    file.write(
        path, file.header_line(), ["", file.dump({"request": {"call": "GET /threads"}, "n": 1, "response": [1]})][1:]
    )
    tape = Binding(Cassette(path), "none", "instant").request(ops.list_threads())
    with pytest.raises(CassetteError) as caught:
        tape.replay()  # type: ignore[union-attr]
    assert str(caught.value) == (
        f"{path}, line 2: 'response' is not the response GET /threads gives (AttributeError: 'list' object has no "
        "attribute 'get'). Fix that line, or record the turn again (record_mode='all')."
    )


def test_a_replay_at_the_recorded_pace_gives_each_event_at_its_time(tmp_path, monkeypatch):
    """Paced, each event comes alone, once its recorded time has come (a clock the test moves)."""
    now = [100.0]
    waits: list[float] = []

    def sleep(seconds):
        waits.append(round(seconds, 6))
        now[0] += seconds

    async def asleep(seconds):
        sleep(seconds)

    monkeypatch.setattr(replay_module, "time", types.SimpleNamespace(monotonic=lambda: now[0], sleep=sleep))
    monkeypatch.setattr(replay_module, "asyncio", types.SimpleNamespace(sleep=asleep))
    record = {
        "turn": {"question": "q", "thread": "new"},
        "n": 1,
        "status": "complete",
        "elapsed": 2.0,
        "calls": [],
        "streams": [[[0.5, "message_chunk", CHUNK], [1.5, "task_status", DONE], [1.5, None, {"closed": True}]]],
    }
    cassette = Cassette(tmp_path / "c.alfa.jsonl")
    replay = SyncTurnReplay(cassette, record, procedure(), paced=True)
    events = list(replay.open_stream("t1"))
    assert [type(e).__name__ for e in events] == ["MessageChunk", "StatusChanged", "StreamClosed"]
    assert waits == [0.5, 1.0]

    async def replayed():
        stream = await AsyncTurnReplay(cassette, record, procedure(), paced=True).open_stream("t1")
        return [event async for event in stream]

    waits.clear()
    now[0] = 200.0
    assert [type(e).__name__ for e in asyncio.run(replayed())] == ["MessageChunk", "StatusChanged", "StreamClosed"]
    assert waits == [0.5, 1.0]


def test_a_closed_replay_stream_gives_nothing_more(tmp_path):
    record = {"streams": [[[0, "message_chunk", CHUNK], [0.1, "message_chunk", CHUNK]]], "calls": []}
    cassette = Cassette(tmp_path / "c.alfa.jsonl")
    stream = SyncTurnReplay(cassette, record, procedure(), paced=True).open_stream("t1")
    assert isinstance(next(stream), MessageChunk)
    stream.close()
    assert list(stream) == []

    async def closed():
        stream = await AsyncTurnReplay(cassette, record, procedure(), paced=False).open_stream("t1")
        await stream.aclose()
        return [event async for event in stream]

    assert asyncio.run(closed()) == []


def test_a_batchs_identity_is_fixed_so_older_cassettes_keep_their_times(tmp_path):
    """The digest of a batch's questions, sources and attachments is written in cassettes: the
    same batch must give the same digest in every version (text as it is, keys sorted, any
    source value as its text, a question with an undecodable byte too)."""
    path = tmp_path / "c.alfa.jsonl"
    key = {"items": 2, "sha256": "304384e551f97d814240fba8b65230dd"}
    file.write(path, file.header_line(), [file.dump({"batch": key, "n": 1, "elapsed": 4.5})])
    questions = ["Qu'en est-il de l'été ?", "bad \udcff byte"]
    sources = {"web": True, "news": False, "since": datetime.date(2026, 1, 2)}
    tape = Binding(Cassette(path), "none", "instant").batch(questions, sources, ["ab" * 32])
    assert tape.elapsed(1.0, interrupted=False) == 4.5


def test_a_refusal_in_record_mode_all_takes_the_place_of_the_old_answer(tmp_path):
    path = tmp_path / "c.alfa.jsonl"
    file.write(path, file.header_line(), [file.dump({"request": {"call": "GET /threads"}, "n": 1, "response": {}})])
    tape = Binding(Cassette(path), "all", "instant").request(ops.list_threads())
    tape.failed(NotFoundError("gone", status_code=404))  # type: ignore[union-attr]
    assert [json.loads(line).get("error", {}).get("status_code") for line in path.read_text().splitlines()[1:]] == [404]


class LiveThreads:
    """The service behind a cassette channel: answers ``bodies`` in turn, an exception raised."""

    def __init__(self, *bodies):
        self.bodies, self.sent, self.deadlines = list(bodies), [], []

    def request(self, op, *, deadline=None):
        self.sent.append(f"{op.method} {op.path}")
        self.deadlines.append(deadline)
        body = self.bodies.pop(0)
        if isinstance(body, Exception):
            raise body
        return op.parse(body)

    def open_stream(self, thread_id, *, deadline=None):
        self.deadlines.append(deadline)
        return f"the live stream of {thread_id}"


class AsyncLiveThreads(LiveThreads):
    async def request(self, op, *, deadline=None):  # type: ignore[override]
        return LiveThreads.request(self, op, deadline=deadline)

    async def open_stream(self, thread_id, *, deadline=None):  # type: ignore[override]
        return LiveThreads.open_stream(self, thread_id, deadline=deadline)


@pytest.mark.parametrize("kind", ["blocking", "awaitable"])
def test_thread_requests_through_a_cassette_are_asked_once_and_replayed_after(tmp_path, kind):
    path = tmp_path / "c.alfa.jsonl"
    exchange = ops.Operation("POST", "/token", "/token", lambda body: body["token"], authenticated=False)

    def channel(live, mode):
        binding = Binding(Cassette(path), mode, "instant")
        if kind == "blocking":
            chan = CassetteChannel(live, binding)
            return (
                lambda op: chan.request(op, deadline=5.0),
                lambda thread_id: chan.open_stream(thread_id, deadline=6.0),
            )
        achan = AsyncCassetteChannel(live, binding)
        return (
            lambda op: asyncio.run(achan.request(op, deadline=5.0)),
            lambda thread_id: asyncio.run(achan.open_stream(thread_id, deadline=6.0)),
        )

    live = (LiveThreads if kind == "blocking" else AsyncLiveThreads)(
        {"threads": [{"thread_id": "t1", "thread_name": "Semis"}]},
        NotFoundError("gone", status_code=404),
        {"token": "secret-token"},
        {"token": "secret-token"},
    )
    request, open_stream = channel(live, "new_episodes")
    assert [t.id for t in request(ops.list_threads())] == ["t1"]
    with pytest.raises(NotFoundError):
        request(ops.list_messages("gone"))
    assert request(exchange) == "secret-token"
    assert open_stream("t1") == "the live stream of t1"  # a raw feed is the service's, never recorded
    assert live.sent == ["GET /threads", "GET /threads/gone/messages", "POST /token"]
    assert live.deadlines == [5.0, 5.0, 5.0, 6.0]  # each within the caller's deadline

    request, _ = channel(live, "none")
    assert [t.id for t in request(ops.list_threads())] == ["t1"]
    with pytest.raises(NotFoundError):
        request(ops.list_messages("gone"))
    assert request(exchange) == "secret-token"  # the token exchange always goes to the service
    assert live.sent[3:] == ["POST /token"]
    assert "secret-token" not in path.read_text()


def test_a_malformed_frame_recorded_without_its_reason_replays_with_none(tmp_path):
    record = {"calls": [], "streams": [[[0, None, {"malformed": "{oops"}], [0, None, {"lost": True}]]]}
    replay = SyncTurnReplay(Cassette(tmp_path / "c.alfa.jsonl"), record, procedure(), paced=False)
    assert drain(replay.open_stream("t1")) == [[MalformedEvent("{oops", "")]]


def test_a_long_parse_error_is_cut_in_the_message_about_a_damaged_response(tmp_path):
    path = tmp_path / "c.alfa.jsonl"
    file.write(path, file.header_line(), [file.dump({"request": {"call": "GET /n"}, "n": 1, "response": "x" * 100})])
    number = ops.Operation("GET", "/n", "/n", int)
    with pytest.raises(CassetteError) as caught:
        Binding(Cassette(path), "none", "instant").request(number).replay()  # type: ignore[union-attr]
    said = "invalid literal for int() with base 10: '" + "x" * 100
    assert str(caught.value) == (
        f"{path}, line 2: 'response' is not the response GET /n gives (ValueError: {said[:80]}). Fix that line, or "
        "record the turn again (record_mode='all')."
    )


class AsyncLive:
    """``Live``, awaitable, noting the deadline each call was given."""

    def __init__(self, bodies, streams):
        self.sync, self.deadlines, self.closed = Live(bodies, streams), [], False

    async def request(self, op, *, deadline=None):
        self.deadlines.append(deadline)
        return self.sync.request(op)

    async def open_stream(self, thread_id, *, deadline=None):
        self.deadlines.append(deadline)
        events = self.sync.open_stream(thread_id)
        live = self

        class Stream:
            def __aiter__(self):
                return self

            async def __anext__(self):
                try:
                    return next(events)
                except StopIteration:
                    raise StopAsyncIteration from None

            async def aclose(self):
                live.closed = True

        return Stream()


def test_an_awaitable_turn_is_recorded_within_its_deadline_over_the_old_record(tmp_path):
    path = tmp_path / "c.alfa.jsonl"
    key = {"question": "q", "thread": "new"}
    file.write(path, file.header_line(), [file.dump({"turn": key, "n": 1, **TURN_BODY, "thread_id": "old"})])
    cassette = Cassette(path)
    live = AsyncLive(
        [{"ok": 1}, NotFoundError("gone", status_code=404)],
        [[from_payload("message_chunk", CHUNK), StreamClosed()], [APIConnectionError("reset")]],
    )
    recording = AsyncTurnRecording(cassette, True, key, 1, procedure(), live)  # type: ignore[arg-type]

    async def turn():
        assert await recording.request(ops.send_message("t1", "q"), deadline=5.0) == {"ok": 1}
        with pytest.raises(NotFoundError):
            await recording.request(ops.list_messages("t1"), deadline=6.0)
        stream = await recording.open_stream("t1", deadline=7.0)
        events = [event async for event in stream]
        await stream.aclose()
        with pytest.raises(APIConnectionError):
            [event async for event in await recording.open_stream("t1", deadline=8.0)]
        return events

    events = asyncio.run(turn())
    assert [type(e).__name__ for e in events] == ["MessageChunk", "StreamClosed"] and live.closed
    assert live.deadlines == [5.0, 6.0, 7.0, 8.0]
    recording.finish(ended(thread_id="new"))  # type: ignore[arg-type]
    [record] = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    assert record["thread_id"] == "new" and [c["call"] for c in record["calls"]] == [
        "POST /threads/t1/messages",
        "GET /threads/t1/messages",
    ]
    assert record["calls"][1]["error"]["status_code"] == 404
    assert [[entry[1:] for entry in stream] for stream in record["streams"]] == [
        [["message_chunk", CHUNK], [None, {"closed": True}], [None, {"lost": True}]],
        [[None, {"lost": True}]],
    ]
    assert all(isinstance(entry[0], float) for stream in record["streams"] for entry in stream)


def test_a_blocking_recording_passes_each_deadline_to_the_service(tmp_path):
    deadlines = []

    class Timed(Live):
        def request(self, op, *, deadline=None):
            deadlines.append(deadline)
            return super().request(op)

        def open_stream(self, thread_id, *, deadline=None):
            deadlines.append(deadline)
            return super().open_stream(thread_id)

    live = Timed([{"ok": 1}], [[]])
    recording = SyncTurnRecording(Cassette(tmp_path / "c.alfa.jsonl"), False, {"question": "q"}, 1, procedure(), live)  # type: ignore[arg-type]
    recording.request(ops.send_message("t1", "q"), deadline=5.0)
    list(recording.open_stream("t1", deadline=6.0))
    assert deadlines == [5.0, 6.0]


def test_a_batch_run_again_records_its_new_time_in_place_of_the_old(tmp_path):
    path = tmp_path / "c.alfa.jsonl"
    cassette = Cassette(path)
    binding = Binding(cassette, "all", "instant")
    for measured in (1.5, 2.5):
        tape = binding.batch(["a"], None, [])
        asyncio.run(_batch_ask(tape, cassette, "a", "all"))
        tape.elapsed(measured, interrupted=False)
    batches = [json.loads(line) for line in path.read_text().splitlines()[1:] if line.startswith('{"batch"')]
    assert [(b["n"], b["elapsed"]) for b in batches] == [(1, 2.5)]


def test_a_turn_recorded_in_a_new_thread_starts_that_threads_questions(tmp_path):
    """Even when the service hands back an id the cassette has seen: what was asked there
    before belongs to another conversation."""
    cassette = Cassette(tmp_path / "c.alfa.jsonl")
    cassette.asked("t1", "old")
    recording = SyncTurnRecording(cassette, False, {"question": "q"}, 1, procedure(), Live([], []))  # type: ignore[arg-type]
    recording.finish(ended(thread_id="t1"))  # type: ignore[arg-type]
    assert cassette.thread_key("t1") == {"after": ["q"]}


def test_a_turn_call_that_does_not_parse_is_named_by_its_line_and_call(tmp_path):
    path = tmp_path / "c.alfa.jsonl"
    call = {"call": "GET /threads/t1/messages", "response": [1]}
    file.write(
        path,
        file.header_line(),
        [file.dump({"turn": {"question": "q", "thread": "new"}, "n": 1, **TURN_BODY, "calls": [call]})],
    )
    cassette = Cassette(path)
    replay = SyncTurnReplay(
        cassette, cassette.find("turn", {"question": "q", "thread": "new"}), procedure(), paced=False
    )  # type: ignore[arg-type]
    with pytest.raises(CassetteError) as caught:
        replay.request(ops.list_messages("t1"))
    assert str(caught.value).startswith(
        f"{path}, line 2: 'calls[0].response' is not the response GET /threads/{{id}}/messages gives (AttributeError"
    )


def test_an_instant_replay_never_waits(tmp_path, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(replay_module, "time", types.SimpleNamespace(monotonic=lambda: 0.0, sleep=waits.append))
    record = {
        "calls": [],
        "streams": [[[0.5, "message_chunk", CHUNK], [9, None, {"closed": True}], [9, None, {"lost": True}]]],
    }
    replay = SyncTurnReplay(Cassette(tmp_path / "c.alfa.jsonl"), record, procedure(), paced=False)
    assert drain(replay.open_stream("t1")) == [[from_payload("message_chunk", CHUNK)], StreamClosed()]
    assert waits == []


def test_an_awaitable_turn_keeps_the_bindings_pace_and_mode(tmp_path, monkeypatch):
    """Through the awaitable client, ``record_mode='all'`` records over the old answer and
    ``replay_pace='recorded'`` waits for each event's time, as through the blocking one."""
    path = tmp_path / "c.alfa.jsonl"
    key = {"question": "q", "thread": "new"}
    stream = [[0.5, "message_chunk", CHUNK], [0.5, None, {"closed": True}]]
    file.write(path, file.header_line(), [file.dump({"turn": key, "n": 1, **TURN_BODY, "streams": [stream]})])
    cassette = Cassette(path)
    recording = Binding(cassette, "all", "instant").async_turn(procedure(), AsyncLive([], []))  # type: ignore[arg-type]
    recording.finish(ended(thread_id="again"))  # type: ignore[arg-type]
    assert [json.loads(line)["thread_id"] for line in path.read_text().splitlines()[1:]] == ["again"]

    waits: list[float] = []

    async def asleep(seconds):
        waits.append(seconds)

    monkeypatch.setattr(replay_module, "time", types.SimpleNamespace(monotonic=lambda: 0.0, sleep=waits.append))
    monkeypatch.setattr(replay_module, "asyncio", types.SimpleNamespace(sleep=asleep))
    file.write(path, file.header_line(), [file.dump({"turn": key, "n": 1, **TURN_BODY, "streams": [stream]})])
    replay = Binding(Cassette(path), "none", "recorded").async_turn(procedure(), AsyncLive([], []))  # type: ignore[arg-type]

    async def events():
        return [event async for event in await replay.open_stream("t1")]

    assert [type(e).__name__ for e in asyncio.run(events())] == ["MessageChunk", "StreamClosed"]
    assert waits == [0.5, 0.5]  # (a clock that stands still)


def test_a_turns_identity_holds_its_sources_and_the_content_of_its_attachments(tmp_path):
    """The same question with other sources or another file is another question: replaying one
    for the other would show an answer to what was not asked."""
    path = tmp_path / "c.alfa.jsonl"
    upload = ops.Upload("holdings.csv", b"AAPL,10", "DataFrame holdings")

    def asked(sources, content):
        return AskProcedure(
            "q",
            None,
            clock=lambda: 0.0,
            rng=random.Random(0),
            source_overrides=sources,
            uploads=[ops.Upload("holdings.csv", content, "DataFrame holdings")],
        )

    recording = Binding(Cassette(path), "new_episodes", "instant").sync_turn(
        asked({"news": False}, b"AAPL,10"), Live([], [])
    )  # type: ignore[arg-type]
    recording.finish(ended())  # type: ignore[arg-type]
    assert json.loads(path.read_text().splitlines()[1])["turn"] == {
        "question": "q",
        "source_overrides": {"news": False},
        "thread": "new",
        "attach": [{"name": "holdings.csv", "sha256": upload.digest}],
    }
    replaying = Binding(Cassette(path), "none", "instant")
    assert isinstance(replaying.sync_turn(asked({"news": False}, b"AAPL,10"), Live([], [])), SyncTurnReplay)  # type: ignore[arg-type]
    for other in (asked({"news": True}, b"AAPL,10"), asked({"news": False}, b"MSFT,5")):
        with pytest.raises(CassetteMissError):
            replaying.sync_turn(other, Live([], []))  # type: ignore[arg-type]
