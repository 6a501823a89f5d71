"""The cassette's rules, on the store and the tapes directly (no client, no service): which
recording a use of a key replays, what a request's identity holds, what is never written, and
what a failed write leaves behind."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

from alfa_notebook.cassette import file
from alfa_notebook.cassette.store import REDACTED, Cassette
from alfa_notebook.cassette.tape import Binding, SyncTurnReplay
from alfa_notebook.turn.steps import AskProcedure
from alfa_notebook.wire import operations as ops
from alfa_notebook.wire.errors import CassetteError, CassetteMissError


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
    assert written["n"] == 2
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
    with pytest.raises(CassetteMissError, match=r"^'other' was never recorded in .* \(record_mode='once'\)"):
        existing.lookup("turn", {**key, "question": "other"}, "once", "'other'")
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

    def held(self, *args, **kwargs):
        raise Timeout(self.lock_file)

    monkeypatch.setattr(FileLock, "acquire", held)
    with pytest.raises(CassetteError) as caught:
        Cassette(path).save("request", {"call": "GET /x"}, 1, {"response": {}}, replace=False)
    assert str(caught.value) == (
        f"{path}: another process has been writing this cassette for 60 s (it holds {tmp_path}/.c.alfa.jsonl.lock); "
        "nothing was written. If no process is recording into it, delete that lock file."
    )
    assert path.read_bytes() == before
