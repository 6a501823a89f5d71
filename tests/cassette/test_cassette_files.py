"""A cassette file is shared (committed, recorded into by several processes) and edited by hand:
no writer loses an answer, the file keeps its permissions, a batch resumes in the same process as
in a new one, and a damaged record is a CassetteError naming the file, the line and the field."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import alfa_notebook as alfa
from alfa_notebook.cassette import file, open_cassette
from alfa_notebook.cassette.store import Cassette
from alfa_notebook.emulator import Emulator

from .conftest import GONE, NoNetwork

QUESTION = "Compare NVDA and AMD revenue growth over the last 4 quarters"

WRITER = """
import sys, alfa_notebook as alfa
base_url, path, name, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
questions = [f"{name}: what is the P/E of company {i}?" for i in range(count)]
with alfa.AlfaClient(api_key="{key}", base_url=base_url, cassette=path, record_mode="new_episodes") as client:
    batch = client.ask_many(questions, concurrency=8, progress=False)
print(sum(a.status == "complete" for a in batch))
for a in batch:
    print(a.message_id)
"""


def test_two_processes_recording_into_one_cassette_lose_no_answer(canary_emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "shared.alfa.jsonl"
    script = tmp_path / "writer.py"
    script.write_text(WRITER.replace("{key}", canary_emulator.api_key))
    count = 40
    writers = [
        subprocess.Popen(
            [sys.executable, str(script), canary_emulator.base_url, str(path), name, str(count)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("first", "second")
    ]
    reported = []
    for writer in writers:
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
        complete, *message_ids = out.split()
        assert int(complete) == count
        reported += message_ids
    turns = [json.loads(line) for line in path.read_text().splitlines()[1:] if '"turn"' in line[:8]]
    assert sorted(t["message_id"] for t in turns) == sorted(reported)
    assert not list(tmp_path.glob(".*.tmp"))


def recorded(emulator: Emulator, path: Path, **kw: object) -> alfa.AlfaClient:
    return alfa.AlfaClient(api_key=emulator.api_key, base_url=emulator.base_url, cassette=path, **kw)  # type: ignore[arg-type]


def test_a_batch_run_again_in_the_same_process_replays_what_it_answered(
    canary_emulator: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "batch.alfa.jsonl"
    questions = [f"What is the P/E of company {i}?" for i in range(6)]
    with recorded(canary_emulator, path, record_mode="new_episodes") as client:
        first = client.ask_many(questions[:2], progress=False)  # as a batch stopped after two items
        again = client.ask_many(questions, progress=False)  # run again in the same kernel
    assert [a.message_id for a in again[:2]] == [a.message_id for a in first]  # replayed, not asked again
    turns = [json.loads(line) for line in path.read_text().splitlines()[1:] if '"turn"' in line[:8]]
    assert sorted(t["turn"]["question"] for t in turns) == sorted(questions) and {t["n"] for t in turns} == {1}


def test_a_replayed_batch_shows_the_recorded_time(canary_emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "batch.alfa.jsonl"
    questions = [f"What is the P/E of company {i}?" for i in range(3)]
    with recorded(canary_emulator, path) as client:
        live = client.ask_many(questions, progress=False)
    open_cassette(path).rewind()
    with alfa.AlfaClient(api_key="x", base_url=GONE, cassette=path, record_mode="none") as client:
        replayed = client.ask_many(questions, progress=False)
    assert replayed.elapsed == live.elapsed == round(live.elapsed, 3)
    assert replayed._repr_mimebundle_() == live._repr_mimebundle_()


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_a_new_cassette_honours_the_umask_and_an_existing_one_keeps_its_mode(
    canary_emulator: Emulator, tmp_path: Path, umask: int
) -> None:
    old = os.umask(umask)
    try:
        new = tmp_path / "new.alfa.jsonl"
        with recorded(canary_emulator, new) as client:
            client.threads.list()
        assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~umask
        kept = tmp_path / "kept.alfa.jsonl"
        kept.write_text(new.read_text())
        kept.chmod(0o640)
        with recorded(canary_emulator, kept, record_mode="new_episodes") as client:
            client.threads.create("kept")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640 and len(kept.read_text().splitlines()) == 3
    finally:
        os.umask(old)


HEADER = '{"alfa_cassette":1}'
GOOD_REQUEST = '{"request":{"call":"GET /threads"},"n":1,"response":{"threads":[]}}'


def turn_line(**change: object) -> str:
    record: dict[str, object] = {
        "turn": {"question": "q", "thread": "new"}, "n": 1, "thread_id": "t", "message_id": "m",
        "status": "complete", "elapsed": 1.0, "calls": [], "streams": [],
    }  # fmt: skip
    record.update(change)
    return json.dumps(record)


@pytest.mark.parametrize(
    ("line", "said"),
    [
        (turn_line(n="1"), "'n' must be a whole number from 1, not '1'"),
        (turn_line(n=0), "'n' must be a whole number from 1, not 0"),
        (turn_line(turn={"question": 3, "thread": "new"}), "'turn.question' must be text, not int"),
        (turn_line(turn={"question": "q", "thread": {"after": "q"}}), "'turn.thread' must be"),
        (
            turn_line(status="done"),
            "'status' must be one of complete, no_results, cancelled, error, incomplete, not 'done'",
        ),
        (turn_line(elapsed="1 s"), "'elapsed' must be a number of seconds"),
        (turn_line(calls=[{"call": "GET /x"}]), "'calls[0]' has neither 'response' nor 'error'"),
        (turn_line(calls=[{"call": "x", "response": {}}]), "'calls[0].call' must be a method and a path"),
        (turn_line(calls=[{"call": "GET /x", "error": {"status_code": "x"}}]), "'calls[0].error.status_code'"),
        (turn_line(streams=[[[0.1, "message_chunk"]]]), "'streams[0][0]' must be [seconds, event type, payload]"),
        (turn_line(streams=[[[0.1, "message_chunk", "hi"]]]), "'streams[0][0][2]' must be an object, not str"),
        (turn_line(streams=[[[0.1, None, {}]]]), "'streams[0][0][2]' must be a mark"),
        (turn_line(streams=[[[-1, "message_chunk", {}]]]), "'streams[0][0][0]' must be seconds"),
        ('{"request":{"call":"GET /threads"},"n":1}', "'request' has neither 'response' nor 'error'"),
        ('{"turn":{},"request":{},"n":1}', "not a cassette record (it needs one 'turn', 'request' or 'batch' key"),
        ('{"batch":{"items":2},"n":1,"elapsed":1}', "'batch' must be"),
    ],
)
def test_a_damaged_record_is_a_cassette_error_naming_the_file_line_and_field(
    tmp_path: Path, line: str, said: str
) -> None:
    path = tmp_path / "damaged.alfa.jsonl"
    content = f"{HEADER}\n{GOOD_REQUEST}\n{line}\n"
    path.write_text(content)
    with alfa.AlfaClient(api_key="x", base_url=GONE, cassette=path, record_mode="none") as client:
        with pytest.raises(alfa.CassetteError) as caught:
            client.threads.list()
    assert f"{path}, line 3: {said}" in str(caught.value)
    assert path.read_text() == content


def test_blank_lines_are_ignored(tmp_path: Path, no_network: NoNetwork) -> None:
    path = tmp_path / "blank.alfa.jsonl"
    path.write_text(f"\n{HEADER}\n\n{GOOD_REQUEST}\n\n  \n")
    with alfa.AlfaClient(api_key="x", base_url=GONE, cassette=path, record_mode="none", transport=no_network) as c:
        assert c.threads.list() == []
    assert no_network.sent == []


def test_a_miss_names_the_question_a_new_thread_was_for(tmp_path: Path, no_network: NoNetwork) -> None:
    path = tmp_path / "c.alfa.jsonl"
    path.write_text(f"{HEADER}\n")
    with alfa.AlfaClient(api_key="x", base_url=GONE, cassette=path, record_mode="none", transport=no_network) as c:
        with pytest.raises(alfa.CassetteMissError) as caught:
            c.threads.create("What is the P/E of AVGO?")
    assert str(caught.value).startswith(
        f"A new thread for 'What is the P/E of AVGO?' (POST /threads) was never recorded in {path}"
    )


def test_a_record_mode_without_a_cassette_warns_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from alfa_notebook.cassette import tape

    monkeypatch.delenv("ALFA_CASSETTE", raising=False)
    monkeypatch.setenv("ALFA_RECORD_MODE", "none")
    monkeypatch.setattr(tape, "_warned_mode_alone", False)
    import warnings

    monkeypatch.delenv("ALFA_RECORD_MODE")  # not set at all
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alfa.AlfaClient(api_key="k").close()
    monkeypatch.setenv("ALFA_RECORD_MODE", " ")  # set to nothing: no mode to apply
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alfa.AlfaClient(api_key="k").close()
    monkeypatch.setenv("ALFA_RECORD_MODE", "none")
    with pytest.warns(UserWarning) as caught:
        alfa.AlfaClient(api_key="k").close()
    assert [str(w.message) for w in caught] == [
        "ALFA_RECORD_MODE is set but no cassette is: every question goes to the service. Set ALFA_CASSETTE (or "
        "%alfa cassette PATH) to record and replay, or unset ALFA_RECORD_MODE."
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alfa.AlfaClient(api_key="k").close()


# -- a fuzz over damaged records ----------------------------------------------------------------


@pytest.fixture(scope="module")
def recording(canary_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A cassette with a turn (a table, citations) and thread requests, as text."""
    path = tmp_path_factory.mktemp("fuzz") / "good.alfa.jsonl"
    with recorded(canary_emulator, path) as client:
        answer = client.ask(QUESTION)
        client.threads.messages(answer.thread_id)
    return path.read_text()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def _places(value: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every place in a JSON value, as the keys and indexes that lead to it."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _places(item, (*path, index))
    return found


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_damage_to_a_record_is_a_cassette_error_or_replays(recording: str, data: st.DataObject) -> None:
    header, *lines = recording.splitlines()
    which = data.draw(st.integers(0, len(lines) - 1), label="line")
    record = json.loads(lines[which])
    places = [p for p in _places(record) if p]
    place = data.draw(st.sampled_from(places), label="place")
    holder = record
    for step in place[:-1]:
        holder = holder[step]
    if data.draw(st.booleans(), label="delete") and isinstance(holder, dict):
        del holder[place[-1]]
    else:
        holder[place[-1]] = data.draw(JSON, label="value")
    lines[which] = json.dumps(record)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "damaged.alfa.jsonl"
        path.write_text("\n".join([header, *lines]) + "\n")
        with alfa.AlfaClient(
            api_key="x", base_url=GONE, cassette=path, record_mode="none", max_retries=0, transport=NoNetwork()
        ) as client:
            try:
                answer = client.ask(QUESTION)
                client.threads.messages(answer.thread_id or "t")
            except alfa.CassetteError:
                pass


def test_a_status_changed_by_hand_is_not_replayed_as_it_is(recording: str, tmp_path: Path) -> None:
    header, *lines = recording.splitlines()
    turn = next(i for i, line in enumerate(lines) if line.startswith('{"turn"'))
    record = json.loads(lines[turn])
    assert record["status"] == "complete"
    record["status"] = "error"
    lines[turn] = json.dumps(record)
    path = tmp_path / "edited.alfa.jsonl"
    path.write_text("\n".join([header, *lines]) + "\n")
    with alfa.AlfaClient(api_key="x", base_url=GONE, cassette=path, record_mode="none") as client:
        with pytest.raises(alfa.CassetteError) as caught:
            client.ask(QUESTION)
    assert str(caught.value) == (
        f"{path}, line {turn + 2}: 'status' says 'error', but the recorded events end 'complete'. Fix that line, or "
        "record the turn again (record_mode='all')."
    )


def test_a_stopped_batch_run_again_in_the_same_process_asks_only_the_rest(tmp_path: Path, monkeypatch) -> None:
    class PressCtrlC:
        """The progress view of a user who presses Ctrl-C once two items are done."""

        def update(self, tally) -> None:  # type: ignore[no-untyped-def]
            if tally.done >= 2:
                raise KeyboardInterrupt

        def finish(self, batch) -> None:  # type: ignore[no-untyped-def]
            pass

    path = tmp_path / "resumed.alfa.jsonl"
    questions = [f"How did company {i} do?" for i in range(5)]
    with Emulator(chunk_delay=0.005) as emulator, recorded(emulator, path, record_mode="new_episodes") as client:
        monkeypatch.setattr("alfa_notebook.client._progress_view", lambda progress, total: PressCtrlC())
        stopped = client.ask_many(questions, concurrency=1)
        monkeypatch.undo()
        answered = {a.question: a.message_id for a in stopped if a.status == "complete"}
        assert stopped.interrupted and 2 <= len(answered) < len(questions)
        again = client.ask_many(questions, concurrency=4, progress=False)
    assert all(a.status == "complete" for a in again)
    assert {q: again.get(q).message_id for q in answered} == answered  # replayed, not asked again
    turns = [json.loads(line) for line in path.read_text().splitlines()[1:] if '"turn"' in line[:8]]
    assert sorted(t["turn"]["question"] for t in turns) == sorted(questions) and {t["n"] for t in turns} == {1}


def test_an_event_that_does_not_decode_is_named_by_its_line_and_field(recording: str, tmp_path: Path) -> None:
    header, *lines = recording.splitlines()
    turn = next(i for i, line in enumerate(lines) if line.startswith('{"turn"'))
    record = json.loads(lines[turn])
    at = next(i for i, entry in enumerate(record["streams"][0]) if entry[1] == "message_chunk")
    record["streams"][0][at][2] = {"message_chunk": 5}
    lines[turn] = json.dumps(record)
    path = tmp_path / "edited.alfa.jsonl"
    path.write_text("\n".join([header, *lines]) + "\n")
    for pace in ("instant", "recorded"):
        open_cassette(path).rewind()
        with (
            alfa.AlfaClient(api_key="x", base_url=GONE, cassette=path, record_mode="none", replay_pace=pace) as client,
            pytest.raises(alfa.CassetteError) as caught,
        ):
            client.ask(QUESTION)
        assert str(caught.value).startswith(
            f"{path}, line {turn + 2}: 'streams[0][{at}][2]' is not a message_chunk event's payload (AttributeError"
        )


# -- the record format, read directly ---------------------------------------------------------

LEFT = "The file was left as it is: fix that line, or delete the file to record it again."
TURN: dict[str, object] = {
    "turn": {"question": "q", "thread": "new"}, "n": 1, "thread_id": "t", "message_id": "m",
    "status": "complete", "elapsed": 1.0, "calls": [], "streams": [],
}  # fmt: skip
MARK = '({"closed": true}, {"lost": true} or {"malformed": ...})'
THREAD = '\'turn.thread\' must be "new", {"id": ...} or {"after": [questions]}, not '
BATCH = '\'batch\' must be {"items": count, "sha256": digest of its questions}'


def turn(**change: object) -> dict[str, object]:
    return {**TURN, **change}


def streamed(*entries: object) -> dict[str, object]:
    return turn(streams=[list(entries)])


def called(*calls: object) -> dict[str, object]:
    return turn(calls=list(calls))


@pytest.mark.parametrize(
    "record",
    [
        turn(n=1, elapsed=0, thread_id=None, message_id=None),
        turn(turn={"question": "q", "thread": {"id": "t1"}}),
        turn(turn={"question": "q", "thread": {"after": []}}),
        turn(turn={"question": "q", "thread": {"after": ["first", "second"]}, "source_overrides": {}}),
        *(turn(status=status) for status in ("complete", "no_results", "cancelled", "error", "incomplete")),
        called(
            {"call": "GET /threads/t/messages", "response": {"messages": []}},
            {"call": "POST /threads", "error": {"status_code": 100}},
            {"call": "DELETE /x", "error": {"status_code": 599, "type": "APIStatusError", "message": "gone"}},
        ),
        turn(
            streams=[
                [[0, "message_chunk", {"text": "hi"}], [0.5, None, {"closed": True}]],
                [[1, None, {"lost": True}]],
                [[2, None, {"malformed": "{oops", "reason": "not JSON"}]],
            ]
        ),
        {"request": {"call": "GET /threads", "params": {"limit": 1}}, "n": 2, "response": None},
        {"request": {"call": "GET /threads"}, "n": 1, "error": {"status_code": 404, "message": "no"}},
        {"batch": {"items": 0, "sha256": "ab"}, "n": 1, "elapsed": 0},
    ],
)
def test_every_form_a_record_may_take_is_read_as_written(tmp_path: Path, record: dict[str, object]) -> None:
    """Each shape the recorder writes (and a hand edit may keep) is read back as it is."""
    path = tmp_path / "c.alfa.jsonl"
    path.write_text(f"{HEADER}\n{json.dumps(record)}\n")
    read = file.read(path)
    assert read.records == [record] and read.numbers == [2] and read.header == HEADER
    assert file.kind_of(record) == next(iter(record))


@pytest.mark.parametrize(
    ("record", "said"),
    [
        ({"n": 1}, "not a cassette record (it needs one 'turn', 'request' or 'batch' key)"),
        ({**TURN, "batch": {}}, "not a cassette record (it needs one 'turn', 'request' or 'batch' key)"),
        (turn(turn=["q"]), "'turn' must be an object, not list"),
        ({"request": None, "n": 1}, "'request' must be an object, not null"),
        ({"batch": "b", "n": 1}, "'batch' must be an object, not str"),
        ({k: v for k, v in TURN.items() if k != "n"}, "'n' must be a whole number from 1, not None"),
        (turn(n=True), "'n' must be a whole number from 1, not True"),
        (turn(n=-1), "'n' must be a whole number from 1, not -1"),
        (turn(n=1.0), "'n' must be a whole number from 1, not 1.0"),
        (turn(turn={"thread": "new"}), "'turn.question' must be text, not null"),
        (turn(turn={"question": "q", "thread": "old"}), THREAD + "'old'"),
        (turn(turn={"question": "q"}), THREAD + "None"),
        (turn(turn={"question": "q", "thread": {"id": 3}}), THREAD + "{'id': 3}"),
        (turn(turn={"question": "q", "thread": {"id": "t", "after": []}}), THREAD + "{'id': 't', 'after': []}"),
        (turn(turn={"question": "q", "thread": {"after": [1]}}), THREAD + "{'after': [1]}"),
        (
            turn(turn={"question": "q", "thread": {"after": []}, "source_overrides": []}),
            "'turn.source_overrides' must be an object",
        ),
        (turn(thread_id=3), "'thread_id' must be text or null, not int"),
        (turn(message_id=["m"]), "'message_id' must be text or null, not list"),
        (turn(status=None), "'status' must be one of complete, no_results, cancelled, error, incomplete, not None"),
        (turn(elapsed=-0.001), "'elapsed' must be a number of seconds, not -0.001"),
        (turn(elapsed=True), "'elapsed' must be a number of seconds, not True"),
        (turn(elapsed=float("nan")), "'elapsed' must be a number of seconds, not nan"),
        (turn(calls={}), "'calls' must be a list, not dict"),
        (turn(calls=None), "'calls' must be a list, not null"),
        (called(3), "'calls[0]' must be an object, not int"),
        (
            called({"call": "GET/x", "response": {}}),
            "'calls[0].call' must be a method and a path, as \"GET /threads\", not 'GET/x'",
        ),
        (
            called({"call": 5, "response": {}}),
            "'calls[0].call' must be a method and a path, as \"GET /threads\", not 5",
        ),
        (
            called({"call": "GET /a", "response": {}}, {"call": "GET /b"}),
            "'calls[1]' has neither 'response' nor 'error'",
        ),
        (called({"call": "GET /a", "error": "boom"}), "'calls[0].error' must be an object, not str"),
        (
            called({"call": "GET /a", "error": {"status_code": 99}}),
            "'calls[0].error.status_code' must be an HTTP status, not 99",
        ),
        (
            called({"call": "GET /a", "error": {"status_code": 600}}),
            "'calls[0].error.status_code' must be an HTTP status, not 600",
        ),
        (
            called({"call": "GET /a", "error": {"status_code": True}}),
            "'calls[0].error.status_code' must be an HTTP status, not True",
        ),
        (called({"call": "GET /a", "error": {}}), "'calls[0].error.status_code' must be an HTTP status, not None"),
        (
            called({"call": "GET /a", "error": {"status_code": 500, "message": 3}}),
            "'calls[0].error' must have a text 'type' and 'message'",
        ),
        (
            called({"call": "GET /a", "error": {"status_code": 500, "type": None}}),
            "'calls[0].error' must have a text 'type' and 'message'",
        ),
        (turn(streams={}), "'streams' must be a list, not dict"),
        (turn(streams=[[], 3]), "'streams[1]' must be a list of events, not int"),
        (streamed([0, "x"]), "'streams[0][0]' must be [seconds, event type, payload], not [0, 'x']"),
        (streamed("event"), "'streams[0][0]' must be [seconds, event type, payload], not 'event'"),
        (streamed([0, "x", {}], [-1, "x", {}]), "'streams[0][1][0]' must be seconds since the turn began, not -1"),
        (streamed([True, "x", {}]), "'streams[0][0][0]' must be seconds since the turn began, not True"),
        (streamed([0, 3, {}]), "'streams[0][0][1]' must be an event type or null, not int"),
        (streamed([0, "x", None]), "'streams[0][0][2]' must be an object, not null"),
        (streamed([0, None, {}]), f"'streams[0][0][2]' must be a mark {MARK}"),
        (streamed([0, None, {"closed": 1}]), f"'streams[0][0][2]' must be a mark {MARK}"),
        (streamed([0, None, {"lost": "yes"}]), f"'streams[0][0][2]' must be a mark {MARK}"),
        ({"request": {"call": "GET /a"}, "n": 1}, "'request' has neither 'response' nor 'error'"),
        (
            {"request": {"call": "a"}, "n": 1, "response": {}},
            "'request.call' must be a method and a path, as \"GET /threads\", not 'a'",
        ),
        (
            {"request": {"call": "GET /a"}, "n": 1, "error": {"status_code": 0}},
            "'request.error.status_code' must be an HTTP status, not 0",
        ),
        ({"batch": {"items": 2}, "n": 1, "elapsed": 1}, BATCH),
        ({"batch": {"sha256": "ab"}, "n": 1, "elapsed": 1}, BATCH),
        ({"batch": {"items": True, "sha256": "ab"}, "n": 1, "elapsed": 1}, BATCH),
        ({"batch": {"items": 2, "sha256": "ab"}, "n": 1}, "'elapsed' must be a number of seconds, not None"),
        (
            {"batch": {"items": 2, "sha256": "ab"}, "n": 1, "elapsed": -1},
            "'elapsed' must be a number of seconds, not -1",
        ),
    ],
)
def test_each_damage_is_named_by_its_field_and_the_file_is_left_alone(
    tmp_path: Path, record: dict[str, object], said: str
) -> None:
    """The first thing wrong with a record, in words that lead to the field, after a blank line
    (which counts in the line number, as in an editor)."""
    path = tmp_path / "c.alfa.jsonl"
    content = f"{HEADER}\n\n{json.dumps(record)}\n"
    path.write_text(content)
    with pytest.raises(alfa.CassetteError) as caught:
        file.read(path)
    assert str(caught.value) == f"{path}, line 3: {said}. {LEFT}"
    assert path.read_text() == content


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"", "{path} is empty, not a cassette (no header line). " + LEFT),
        (b"\n  \n", "{path} is empty, not a cassette (no header line). " + LEFT),
        (
            b'\n{"alfa_cassette":1}\n\xff\n',
            "{path} is not a cassette: it is not UTF-8 text (invalid start byte). " + LEFT,
        ),
        (b'\n{"about":"x"}\n', "{path}, line 2: not a cassette header (no 'alfa_cassette' version). " + LEFT),
        (
            b'{"alfa_cassette":"1"}\n',
            "{path}, line 1: cassette format '1', but this alfa-notebook reads format 1: upgrade alfa-notebook, "
            "or record the cassette again. " + LEFT,
        ),
        (b'{"alfa_cassette":1}\n{"n":\n', "{path}, line 2: not valid JSON (Expecting value). " + LEFT),
        (
            b'{"alfa_cassette":1}\n' + b"[" * 100_000 + b"\n",
            "{path}, line 2: not valid JSON (maximum recursion depth exceeded while decoding a JSON array from a "
            "unicode string). " + LEFT,
        ),
        (b'{"alfa_cassette":1}\n"turn"\n', "{path}, line 2: a record is a JSON object, not str. " + LEFT),
        (b"[1]\n", "{path}, line 1: a record is a JSON object, not list. " + LEFT),
    ],
)
def test_a_file_that_is_not_a_cassette_is_named_and_left_alone(tmp_path: Path, content: bytes, said: str) -> None:
    path = tmp_path / "c.alfa.jsonl"
    path.write_bytes(content)
    with pytest.raises(alfa.CassetteError) as caught:
        file.read(path)
    assert str(caught.value) == said.format(path=path)
    assert path.read_bytes() == content


def test_a_written_record_is_one_compact_utf8_line_in_the_order_it_was_built(tmp_path: Path) -> None:
    """A cassette is committed and diffed: text stays readable (no \\u escapes) and a record is
    the same line every time it is written."""
    path = tmp_path / "c.alfa.jsonl"
    cassette = Cassette(path)
    cassette.save(
        "request", {"call": "GET /x", "params": {"q": "Über"}}, 1, {"response": {"b": 1, "a": "€"}}, replace=False
    )
    assert path.read_text(encoding="utf-8").splitlines() == [
        file.header_line(),
        '{"request":{"call":"GET /x","params":{"q":"Über"}},"n":1,"response":{"b":1,"a":"€"}}',
    ]
    assert json.loads(file.header_line()) == file.HEADER


ASCII_LOCALE = """
import sys
from alfa_notebook.cassette.store import Cassette
cassette = Cassette(__import__("pathlib").Path(sys.argv[1]))
print(cassette.lookup("turn", {"question": "Qu'en est-il de l'\\u00e9t\\u00e9 ?", "thread": "new"}, "none", "q")[0]["thread_id"])
cassette.save("request", {"call": "GET /x"}, 1, {"response": "d\\u00e9j\\u00e0"}, replace=False)
"""


def test_a_cassette_is_utf8_whatever_the_locale(tmp_path: Path) -> None:
    """A cassette recorded on one machine replays on another whose locale is not UTF-8 (Windows,
    a bare container), and what that machine records is UTF-8 too."""
    path = tmp_path / "c.alfa.jsonl"
    record = turn(turn={"question": "Qu'en est-il de l'été ?", "thread": "new"})
    file.write(path, HEADER, [json.dumps(record, ensure_ascii=False)])
    env = {**os.environ, "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0", "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run([sys.executable, "-c", ASCII_LOCALE, str(path)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["t"]
    assert file.read(path).records[-1] == {"request": {"call": "GET /x"}, "n": 1, "response": "déjà"}


def test_a_folder_is_not_a_cassette(tmp_path: Path) -> None:
    with pytest.raises(alfa.CassetteError) as caught:
        file.read(tmp_path)
    assert str(caught.value) == f"{tmp_path} cannot be read as a cassette: Is a directory."


def test_a_record_edited_with_its_key_in_another_order_still_replays(tmp_path: Path) -> None:
    path = tmp_path / "c.alfa.jsonl"
    path.write_text(f"{HEADER}\n{json.dumps(turn(turn={'thread': 'new', 'question': 'q'}))}\n")
    record, n = Cassette(path).lookup("turn", {"question": "q", "thread": "new"}, "none", "'q'")
    assert record is not None and record["thread_id"] == "t" and n == 1


def test_a_temporary_file_left_by_a_crashed_writer_does_not_stop_the_next_write(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "c.alfa.jsonl"
    stray = tmp_path / f".{path.name}.aaaa.tmp"
    stray.write_text("a crashed writer's half")
    names = iter(["aaaa", "aaaa", "bbbb"])
    monkeypatch.setattr(file.secrets, "token_hex", lambda n: next(names))
    file.write(path, file.header_line(), [GOOD_REQUEST])
    assert path.read_text() == f"{file.header_line()}\n{GOOD_REQUEST}\n"
    assert stray.read_text() == "a crashed writer's half"


def test_the_temporary_file_is_made_beside_the_cassette_and_renamed_into_place(tmp_path: Path, monkeypatch) -> None:
    """A rename within one folder is atomic; the name says whose it is if a crash leaves it."""
    path = tmp_path / "c.alfa.jsonl"
    renamed = []
    replace = os.replace
    monkeypatch.setattr(os, "replace", lambda src, dst: (renamed.append((Path(src), Path(dst))), replace(src, dst)))
    file.write(path, file.header_line(), [])
    [(src, dst)] = renamed
    assert src.parent == tmp_path and re.fullmatch(r"\.c\.alfa\.jsonl\.[0-9a-f]{8}\.tmp", src.name) and dst == path


def test_a_folder_crowded_with_temporary_names_is_a_cassette_error(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "c.alfa.jsonl"
    (tmp_path / f".{path.name}.aaaa.tmp").write_text("")
    monkeypatch.setattr(file.secrets, "token_hex", lambda n: "aaaa")
    with pytest.raises(alfa.CassetteError) as caught:
        file.write(path, file.header_line(), [])
    assert str(caught.value) == f"{path}: the cassette cannot be written there: no free temporary name beside {path}."
    assert not path.exists()
