"""A real service's manners, switchable: a task that settles late, a history that lags, busy in
either reading, and the request id echoed (docs/emulator.md, "A real service's manners")."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
from httpx_sse import connect_sse

from alfa_notebook.emulator import Emulator
from alfa_notebook.emulator.controls import REALISTIC, Controls

from .wire import Alfa, final_message, wait_until

QUESTION = "Compare NVDA and AMD"


def test_with_a_settle_the_task_reads_running_after_its_last_event_and_a_message_is_refused_as_busy(
    alfa: Alfa,
) -> None:
    thread_id = alfa.new_thread()
    alfa.ask(thread_id, QUESTION, "settle_ms=60000")  # the turn's last event is in hand
    progress = alfa.progress(thread_id)
    assert progress is not None and progress["status"] == "Running"
    refused = alfa.send(thread_id, "And banks?")
    assert refused.status_code == 409 and "already running" in refused.json()["detail"]
    alfa.http.delete(f"/threads/{thread_id}/task").raise_for_status()  # a cancel ends the settle at once
    assert wait_until(lambda: (alfa.progress(thread_id) or {}).get("status") == "Complete")
    assert alfa.send(thread_id, "And banks?").status_code == 200


def test_a_busy_thread_can_refuse_in_the_other_reading_400_while_a_run_is_active(alfa: Alfa) -> None:
    thread_id = alfa.new_thread()
    alfa.ask(thread_id, QUESTION, "settle_ms=60000")
    task_id = alfa.progress(thread_id)["task_id"]  # type: ignore[index]
    refused = alfa.send(thread_id, "And banks?", "busy_status=400")
    assert refused.status_code == 400
    assert refused.json()["detail"] == f"Can't add messages to thread {thread_id} while a run {task_id} is active."
    alfa.http.delete(f"/threads/{thread_id}/task").raise_for_status()


def test_a_settle_ends_on_its_own_with_the_task_s_status(alfa: Alfa) -> None:
    thread_id = alfa.new_thread()
    alfa.ask(thread_id, QUESTION, "settle_ms=50")
    assert wait_until(lambda: (alfa.progress(thread_id) or {}).get("status") == "Complete")
    assert alfa.send(thread_id, "And banks?").status_code == 200


def test_with_a_history_lag_the_answer_shows_in_the_history_late(alfa: Alfa) -> None:
    thread_id = alfa.new_thread()
    answer = final_message(alfa.ask(thread_id, QUESTION, "history_lag_ms=60000"))
    shown = [m["message_id"] for m in alfa.history(thread_id)["messages"]]
    assert len(shown) == 1 and answer["message_id"] not in shown  # the question only, for a minute

    thread_id = alfa.new_thread()
    answer = final_message(alfa.ask(thread_id, QUESTION, "history_lag_ms=50"))
    assert wait_until(lambda: answer["message_id"] in [m["message_id"] for m in alfa.history(thread_id)["messages"]])


def test_the_request_id_sent_is_echoed_on_success_on_error_and_before_a_stream(alfa: Alfa) -> None:
    sent = str(uuid.uuid4())
    ok = alfa.http.get("/threads", headers={"x-request-id": sent})
    missing = alfa.http.get("/threads/no-such-thread/progress", headers={"x-request-id": sent})
    refused = alfa.http.get("/threads", headers={"x-request-id": sent, "x-api-key": "wrong", "Authorization": "x"})
    assert (ok.status_code, missing.status_code, refused.status_code) == (200, 404, 401)
    assert ok.headers["x-request-id"] == missing.headers["x-request-id"] == refused.headers["x-request-id"] == sent
    thread_id = alfa.new_thread()
    with connect_sse(alfa.http, "GET", f"/threads/stream/{thread_id}", headers={"x-request-id": sent}) as source:
        assert source.response.status_code == 200 and source.response.headers["x-request-id"] == sent


def test_a_request_without_a_usable_id_gets_a_fresh_one(alfa: Alfa) -> None:
    for headers in ({}, {"x-request-id": "not ok: spaces"}, {"x-request-id": "x" * 129}):
        echoed = alfa.http.get("/threads", headers=headers).headers["x-request-id"]
        assert uuid.UUID(echoed).version == 4


def test_the_realistic_preset_turns_every_manner_on_and_an_explicit_value_wins() -> None:
    emulator = Emulator(realistic=True, settle_ms=100)
    assert emulator.controls.settle_ms == 100
    assert emulator.controls.history_lag_ms == int(REALISTIC["history_lag_ms"]) > 0
    assert emulator.controls.busy_status == 400
    assert Emulator().controls == Controls()


@pytest.mark.parametrize("option", ["busy_status=418", "settle_ms=-1", "history_lag_ms=soon"])
def test_a_bad_manner_is_refused_naming_it(option: str) -> None:
    key = option.split("=")[0]
    with pytest.raises(ValueError, match=key):
        Controls.from_options(dict([option.split("=")]))


def test_the_command_line_realistic_preset_and_its_flags() -> None:
    command = [sys.executable, "-m", "alfa_notebook", "emulator", "--port", "0", "--realistic", "--settle-ms", "250"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        first = process.stdout.readline()
        process.terminate()  # as soon as it says it listens: a graceful stop all the same
        rest = process.stdout.read()  # to the end: the process has exited
        assert process.wait(timeout=10) == 0
    assert "listening on" in first
    assert "A real service's manners: settle_ms=250, history_lag_ms=1500, busy_status=400\n" in rest


def test_a_bad_busy_status_on_the_command_line_is_a_usage_error() -> None:
    command = [sys.executable, "-m", "alfa_notebook", "emulator", "--port", "0", "--busy-status", "418"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "--busy-status" in result.stderr


def test_the_service_state_counts_the_messages_refused_as_busy(alfa_emulator: Emulator, alfa: Alfa) -> None:
    thread_id = alfa.new_thread()
    alfa.ask(thread_id, QUESTION, "settle_ms=60000")
    assert alfa.send(thread_id, "And banks?").status_code == 409
    alfa.http.delete(f"/threads/{thread_id}/task").raise_for_status()
    state = alfa_emulator.state().thread(thread_id)
    assert state.questions == (QUESTION,) and state.busy_refusals == 1
