"""The SSE stream: a turn's events in order, no replay, fan-out, cancel, close."""

from __future__ import annotations

import threading
import time

import httpx

from alfa_notebook.emulator import Emulator

from .wire import FOOTER, Alfa, final_message, of_type, streamed_text, wait_until

CANCELLED = "\n\nUser cancelled message"


def test_a_turn_streams_in_the_documented_order(alfa: Alfa) -> None:
    events = alfa.ask(alfa.new_thread(), "Compare NVDA and AMD")
    kinds = [e["event_type"] for e in events]
    assert events[0] == {"event_type": "task_status", "status": "Running", "log": "Started"}
    assert kinds[-4:] == ["message_chunk", "message", "task_status", "execution_status"]
    assert events[-2] == {"event_type": "task_status", "status": "Complete", "log": "Analysis complete"}
    assert events[-1] == {"event_type": "execution_status", "status": "Complete"}

    first_chunk, final_chunk = kinds.index("message_chunk"), len(kinds) - 4
    logs = [i for i, kind in enumerate(kinds) if kind == "message_work_in_progress"]
    assert 3 <= len(logs) <= 6
    assert any(i < first_chunk for i in logs) and any(first_chunk < i < final_chunk for i in logs)
    assert all(e["log"] for e in of_type(events, "message_work_in_progress"))

    chunks = of_type(events, "message_chunk")
    assert [c["final_chunk"] for c in chunks] == [False] * (len(chunks) - 1) + [True]
    assert chunks[-1]["message_chunk"]["message"] == ""
    message = final_message(events)
    assert {c["message_chunk"]["message_id"] for c in chunks} == {message["message_id"]}
    assert all(len(c["message_chunk"]["message"].split()) == 1 for c in chunks[:-1]), "word-level chunks"

    text = message["message"]
    assert text == streamed_text(events)
    assert message["is_user_message"] is False and message["message_time"].endswith("Z")
    assert message["message_metadata"]["tools_called"]
    citations = message["message_metadata"]["citations"]
    assert citations and all(0 < c["inline_offset"] <= len(text) for c in citations)
    assert "$" in text and "### " in text and "**" in text and "\n- " in text
    assert text.rstrip().endswith(FOOTER)


def test_progress_reports_the_latest_log_while_running(v1: Alfa) -> None:
    thread_id = v1.new_thread()
    with v1.stream(thread_id) as listening:
        v1.send(thread_id, "Compare NVDA and AMD", "chunk_delay=0.05").raise_for_status()
        events = listening.until(lambda events: events[-1]["event_type"] == "message_chunk")
        progress = v1.progress(thread_id)
        assert progress is not None
        latest_log = of_type(events, "message_work_in_progress")[-1]["log"]
        assert (progress["status"], progress["log"]) == ("Running", latest_log)
        v1.http.delete(f"/threads/{thread_id}/task").raise_for_status()
        listening.turn()
    final = v1.progress(thread_id)
    assert final is not None and final["status"] == "Cancelled" and final["task_id"] == progress["task_id"]


def test_events_emitted_before_connecting_are_not_replayed(v1: Alfa) -> None:
    thread_id = v1.new_thread()
    v1.send(thread_id, "Compare NVDA and AMD").raise_for_status()
    wait_until(lambda: (p := v1.progress(thread_id)) and p["status"] == "Complete")
    earlier_answer = v1.history(thread_id)["messages"][-1]

    events = v1.ask(thread_id, "Top 3 banks")
    assert events[0] == {"event_type": "task_status", "status": "Running", "log": "Started"}
    message = final_message(events)
    assert message["message_id"] != earlier_answer["message_id"]
    ids = {c["message_chunk"]["message_id"] for c in of_type(events, "message_chunk")}
    assert ids == {message["message_id"]}
    assert streamed_text(events) == message["message"] == v1.history(thread_id)["messages"][-1]["message"]


def test_every_listener_gets_every_event(alfa: Alfa) -> None:
    thread_id = alfa.new_thread()
    with alfa.stream(thread_id) as first, alfa.stream(thread_id) as second:
        alfa.send(thread_id, "Top 5 semiconductors trend").raise_for_status()
        assert first.turn() == second.turn()


def test_cancel_mid_stream_keeps_the_partial_answer(alfa: Alfa) -> None:
    thread_id = alfa.new_thread()
    with alfa.stream(thread_id) as listening:
        alfa.send(thread_id, "Compare NVDA and AMD", "chunk_delay=0.02").raise_for_status()
        seen = listening.until(lambda events: len(of_type(events, "message_chunk")) == 5)
        assert alfa.http.delete(f"/threads/{thread_id}/task").json() == {"success": True}
        events = seen + listening.turn()

    chunks = of_type(events, "message_chunk")
    assert chunks[-1]["message_chunk"]["message"] == CANCELLED and chunks[-1]["final_chunk"] is True
    partial = "".join(c["message_chunk"]["message"] for c in chunks[:-1])
    message = final_message(events)
    assert message["message"] == partial + CANCELLED == streamed_text(events)
    assert FOOTER not in partial, "cancelled before the end"
    assert [e["status"] for e in events[-2:]] == ["Cancelled", "Cancelled"]
    assert [e["event_type"] for e in events[-2:]] == ["task_status", "execution_status"]
    assert alfa.history(thread_id)["messages"][-1]["message"] == partial + CANCELLED
    progress = alfa.progress(thread_id)
    assert progress is not None and progress["status"] == "Cancelled"


def test_deleting_a_thread_closes_its_streams(alfa: Alfa) -> None:
    thread_id = alfa.new_thread()
    with alfa.stream(thread_id) as listening:
        alfa.http.delete(f"/threads/{thread_id}").raise_for_status()
        received = list(listening.frames)  # ends: the server closed the stream cleanly
    assert [sse.event for sse in received] == ["close"]


def test_stopping_the_emulator_ends_open_streams_and_its_thread() -> None:
    threads_before = set(threading.enumerate())
    emulator = Emulator(chunk_delay=0.05).start()
    headers = {"x-api-key": emulator.api_key}
    with httpx.Client(base_url=f"{emulator.base_url}/client/v1", headers=headers) as http:
        thread_id = Alfa(http).new_thread()
        Alfa(http).send(thread_id, "Compare NVDA and AMD").raise_for_status()
        with Alfa(http).stream(thread_id) as listening:
            emulator.stop()
            received = list(listening.frames)
    assert received[-1].event == "close"
    assert set(threading.enumerate()) <= threads_before


def test_stopping_wakes_a_server_asleep_on_a_clock_that_jumped(monkeypatch) -> None:
    """The server's event loop sleeps until its next timer, read on ``time.monotonic``: a clock
    that jumped back while it computed that sleep (another test's fake clock, in one process) left
    it asleep for hours, and ``stop()`` waited on it for ever. Stopping wakes it."""
    emulator = Emulator().start()
    ran, asleep = threading.Event(), threading.Event()

    def jumped_back() -> float:
        if ran.is_set() and threading.current_thread().name == "alfa-emulator":
            asleep.set()  # the loop's next reading: the one its sleep is computed from
        return 0.0

    monkeypatch.setattr(time, "monotonic", jumped_back)
    emulator._server.loop.call_soon_threadsafe(ran.set)  # type: ignore[union-attr]
    assert asleep.wait(10)
    monkeypatch.undo()
    assert emulator.stop(timeout=10), "the server's thread is still asleep"
