"""Fault injection, by the X-Alfa-Emulator header and server-wide, observed on the wire."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from alfa_notebook.emulator import Emulator

from .wire import FOOTER, Alfa, controls, final_message, of_type, streamed_text, wait_until


@pytest.fixture
def private() -> Iterator[Alfa]:
    """The v1 API of an emulator of the test's own: one-shot faults are counted per option
    string for the emulator's lifetime, so sharing the session's would couple tests."""
    with Emulator(chunk_delay=0) as emulator:
        headers = {"x-api-key": emulator.api_key}
        with httpx.Client(base_url=f"{emulator.base_url}/client/v1", headers=headers) as http:
            yield Alfa(http)


def _raw_lines(api: Alfa, thread_id: str, question: str, options: str) -> list[str]:
    """Every line of the stream during one turn asked with ``options``, until it ends."""
    with api.http.stream("GET", f"/threads/stream/{thread_id}") as response:
        api.send(thread_id, question, options).raise_for_status()
        lines = []
        for line in response.iter_lines():
            lines.append(line)
            if '"execution_status"' in line:
                return lines
    raise AssertionError("stream ended early")


def _data(lines: list[str]) -> list[str]:
    return [line[len("data: ") :] for line in lines if line.startswith("data: ")]


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def test_drop_after_breaks_the_body_then_a_retry_gets_through(private: Alfa) -> None:
    thread_id = private.new_thread()
    received = []
    with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
        with private.stream(thread_id, "drop_after=4") as listening:
            private.send(thread_id, "Compare NVDA and AMD").raise_for_status()
            for sse in listening.frames:
                received.append(sse)
    assert len(received) == 4
    wait_until(lambda: (p := private.progress(thread_id)) and p["status"] == "Complete")
    with private.stream(thread_id, "drop_after=4") as listening:  # the same header again: not dropped
        private.send(thread_id, "And banks?").raise_for_status()
        assert len(of_type(listening.turn(), "message")) == 1


def test_stall_sends_nothing_not_even_pings(private: Alfa) -> None:
    thread_id = private.new_thread()
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        with private.stream(thread_id, "stall=3;ping=0.05", timeout=httpx.Timeout(5, read=0.5)) as listening:
            next(listening.frames)
    assert time.monotonic() - started < 2.5


def test_stall_after_some_events(private: Alfa) -> None:
    thread_id = private.new_thread()
    received = []
    with (
        pytest.raises(httpx.ReadTimeout),
        private.stream(thread_id, "stall=3;stall_after=2;ping=0.05", timeout=httpx.Timeout(5, read=0.5)) as listening,
    ):
        private.send(thread_id, "Compare NVDA and AMD").raise_for_status()
        for sse in listening.frames:
            received.append(sse)
    assert len(received) == 2


def test_slow_first_byte_delays_the_response_once(private: Alfa) -> None:
    def timed() -> float:
        started = time.monotonic()
        private.http.get("/threads", headers=controls("slow_first_byte=0.6")).raise_for_status()
        return time.monotonic() - started

    assert timed() >= 0.6
    assert timed() < 0.6


@pytest.mark.parametrize("status", [429, 503])
def test_error_status_with_retry_after_for_the_first_k(private: Alfa, status: int) -> None:
    options = controls(f"status={status};times=2;retry_after=3")
    responses = [private.http.get("/threads", headers=options) for _ in range(3)]
    assert [r.status_code for r in responses] == [status, status, 200]
    assert [r.headers.get("Retry-After") for r in responses[:2]] == ["3", "3"]
    assert "detail" in responses[0].json()


def test_malformed_frames_among_the_events(v1: Alfa) -> None:
    lines = _raw_lines(v1, v1.new_thread(), "Compare NVDA and AMD", "malformed=3")
    broken = [data for data in _data(lines) if not _is_json(data)]
    assert len(broken) == 3
    events = [json.loads(data)["event"] for data in _data(lines) if _is_json(data)]
    assert streamed_text(events) == final_message(events)["message"]


def test_duplicated_frames_come_twice_in_a_row(v1: Alfa) -> None:
    data = _data(_raw_lines(v1, v1.new_thread(), "Compare NVDA and AMD", "duplicate=4"))
    repeats = [i for i in range(1, len(data)) if data[i] == data[i - 1]]
    assert len(repeats) == 4
    deduplicated = [json.loads(d)["event"] for i, d in enumerate(data) if i not in repeats]
    assert streamed_text(deduplicated) == final_message(deduplicated)["message"]


def test_ping_comments_at_the_asked_interval(v1: Alfa) -> None:
    thread_id = v1.new_thread()
    with v1.http.stream("GET", f"/threads/stream/{thread_id}", headers=controls("ping=0.05")) as response:
        line = next(response.iter_lines())
    assert line.startswith(": ping")


def test_words_pads_the_answer_for_benchmarks(v1: Alfa) -> None:
    events = v1.ask(v1.new_thread(), "Compare NVDA and AMD", "words=3000")
    chunks = of_type(events, "message_chunk")
    assert 3000 <= len(chunks) <= 3010
    assert streamed_text(events).rstrip().endswith(FOOTER)


def test_error_ends_the_turn_with_status_error(v1: Alfa) -> None:
    thread_id = v1.new_thread()
    events = v1.ask(thread_id, "Compare NVDA and AMD", "error=1")
    assert 0 < len(of_type(events, "message_chunk")) < 10
    assert not of_type(events, "message")
    assert [(e["event_type"], e["status"]) for e in events[-2:]] == [
        ("task_status", "Error"),
        ("execution_status", "Error"),
    ]
    progress = v1.progress(thread_id)
    assert progress is not None and progress["status"] == "Error"


def test_unknown_or_bad_options_are_400(v1: Alfa) -> None:
    for options in ("bogus=1", "drop_after=many", "status=200"):
        response = v1.http.get("/threads", headers=controls(options))
        assert response.status_code == 400 and "detail" in response.json()


def test_server_wide_faults_apply_without_a_header() -> None:
    with Emulator(chunk_delay=0, faults={"status": 503, "times": 1}) as emulator:
        url, headers = f"{emulator.base_url}/client/v1/threads", {"x-api-key": emulator.api_key}
        assert [httpx.get(url, headers=headers).status_code for _ in range(2)] == [503, 200]
