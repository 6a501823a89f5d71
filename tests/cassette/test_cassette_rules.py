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


@pytest.mark.parametrize("secret", ['sk-"quoted"-key', "sk-back\\slash", "sk-tab\tkey"])
def test_a_secret_is_redacted_however_json_escapes_it(tmp_path, secret):
    """A key with a quote, a backslash or a control character is written escaped: that form
    never reaches the file either."""
    path = tmp_path / "c.alfa.jsonl"
    cassette = Cassette(path)
    cassette.never_write(secret)
    cassette.save("request", {"call": "GET /x"}, 1, {"response": {"echo": f"Bearer {secret}"}}, replace=False)
    text = path.read_text(encoding="utf-8")
    assert secret not in text and json.dumps(secret)[1:-1] not in text
    assert REDACTED in text


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
