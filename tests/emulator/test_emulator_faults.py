"""Fault injection, by the X-Alfa-Emulator header and server-wide, observed on the wire."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from alfa_notebook.emulator import Emulator

from .wire import FOOTER, Alfa, controls, final_message, of_type, streamed_text, wait_until


@pytest.fixture
def own_emulator() -> Iterator[Emulator]:
    """An emulator of the test's own: one-shot faults are counted per option string for the
    emulator's lifetime, so sharing the session's would couple tests; and its state is the test's."""
    with Emulator(chunk_delay=0) as emulator:
        yield emulator


@pytest.fixture
def private(own_emulator: Emulator) -> Iterator[Alfa]:
    """The v1 API of the test's own emulator."""
    headers = {"x-api-key": own_emulator.api_key}
    with httpx.Client(base_url=f"{own_emulator.base_url}/client/v1", headers=headers) as http:
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
    """A ping every 0.05 s would keep a 0.5 s read timeout from ever firing: it fires."""
    thread_id = private.new_thread()
    with pytest.raises(httpx.ReadTimeout):
        with private.stream(thread_id, "stall=3;ping=0.05", timeout=httpx.Timeout(5, read=0.5)) as listening:
            next(listening.frames)


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
    """The first response is held back 30 s (its 0.3 s read timeout fires); the second, with the
    same header, is not (its 10 s timeout does not: a margin no loaded machine eats)."""
    options = controls("slow_first_byte=30")
    with pytest.raises(httpx.ReadTimeout):
        private.http.get("/threads", headers=options, timeout=httpx.Timeout(10, read=0.3))
    private.http.get("/threads", headers=options, timeout=httpx.Timeout(10)).raise_for_status()


@pytest.mark.parametrize("status", [429, 502, 503, 504])
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


# -- faults on the POSTs, targeted with on= ------------------------------------------------------


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_a_status_fault_on_create_thread_creates_nothing(own_emulator: Emulator, private: Alfa, status: int) -> None:
    options = controls(f"status={status};on=create_thread;retry_after=none")
    refused = private.http.post("/threads", json={"thread_name": "refused"}, headers=options)
    assert refused.status_code == status and "Retry-After" not in refused.headers
    assert refused.json() == {
        "detail": {502: "Bad Gateway", 504: "Gateway Timeout"}.get(status, refused.json()["detail"])
    }
    assert own_emulator.state().thread_count == 0
    again = private.http.post("/threads", json={"thread_name": "retried"}, headers=options)
    assert again.status_code == 200
    assert [t.name for t in own_emulator.state().threads] == ["retried"]


def test_a_status_fault_on_send_message_accepts_nothing(own_emulator: Emulator, private: Alfa) -> None:
    thread_id = private.new_thread()
    options = "status=503;on=send_message;retry_after=2"
    refused = private.send(thread_id, "Compare NVDA and AMD", options)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "2"
    assert own_emulator.state().user_message_count == 0 and private.progress(thread_id) is None
    assert private.send(thread_id, "Compare NVDA and AMD", options).status_code == 200
    assert own_emulator.state().thread(thread_id).questions == ("Compare NVDA and AMD",)


def test_on_spares_the_other_endpoints_and_their_count(private: Alfa) -> None:
    """A client sends one header on every request: only the named endpoint is hit, and the
    other requests do not use up the fault's ``times``."""
    options = controls("status=503;on=send_message;times=1")
    assert private.http.get("/threads", headers=options).status_code == 200
    created = private.http.post("/threads", json={"thread_name": "t"}, headers=options)
    assert created.status_code == 200
    thread_id = created.json()["thread_id"]
    assert private.http.get(f"/threads/{thread_id}/progress", headers=options).status_code == 200
    sent = private.http.post(
        f"/threads/{thread_id}/messages", data={"message": "Compare NVDA and AMD"}, headers=options
    )
    assert sent.status_code == 503


def test_on_names_several_endpoints_and_stream_faults_follow_it(private: Alfa) -> None:
    thread_id = private.new_thread()
    options = "drop_after=1;on=create_thread,send_message"
    with private.stream(thread_id, options) as listening:  # the stream is not targeted: no drop
        private.send(thread_id, "Compare NVDA and AMD").raise_for_status()
        assert of_type(listening.turn(), "message")


def test_reset_after_processing_on_create_thread(own_emulator: Emulator, private: Alfa) -> None:
    options = controls("reset_after_processing=1;on=create_thread")
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        private.http.post("/threads", json={"thread_name": "unknown outcome"}, headers=options)
    assert [t.name for t in own_emulator.state().threads] == ["unknown outcome"], "the thread was created"
    retried = private.http.post("/threads", json={"thread_name": "second"}, headers=options)
    assert retried.status_code == 200, "one-shot: the retry gets its answer"
    assert own_emulator.state().thread_count == 2, "so a blind retry makes a second thread"


def test_reset_after_processing_on_send_message(own_emulator: Emulator, private: Alfa) -> None:
    thread_id = private.new_thread()
    with private.stream(thread_id) as listening:
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            private.send(thread_id, "Compare NVDA and AMD", "reset_after_processing=1;on=send_message")
        events = listening.turn()  # the message was accepted and its turn ran
    assert final_message(events)["message"].rstrip().endswith(FOOTER)
    state = own_emulator.state().thread(thread_id)
    assert state.questions == ("Compare NVDA and AMD",) and state.answers == 1
    assert private.history(thread_id)["total_message_count"] == 2


def test_reset_after_processing_sends_not_a_byte(own_emulator: Emulator) -> None:
    """On the raw socket: the connection ends (reset) with nothing received."""
    import socket

    body = '{"thread_name": "raw"}'
    request = (
        "POST /client/v1/threads HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"x-api-key: {own_emulator.api_key}\r\nX-Alfa-Emulator: reset_after_processing=1\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()
    with socket.create_connection((own_emulator.host, own_emulator.port), timeout=5) as sock:
        sock.sendall(request)
        try:
            received = sock.recv(1024)
        except ConnectionResetError:
            received = b""
    assert received == b""
    assert [t.name for t in own_emulator.state().threads] == ["raw"]


def test_unknown_endpoint_in_on_is_400(v1: Alfa) -> None:
    response = v1.http.get("/threads", headers=controls("status=503;on=create_threads"))
    assert response.status_code == 400
    assert "unknown endpoint create_threads" in response.json()["detail"]
    assert "create_thread" in response.json()["detail"]


def test_retry_after_none_sends_no_header_and_fractions_are_kept(private: Alfa) -> None:
    none = private.http.get("/threads", headers=controls("status=429;retry_after=none"))
    assert none.status_code == 429 and "Retry-After" not in none.headers
    half = private.http.get("/threads", headers=controls("status=429;retry_after=0.5"))
    assert half.headers["Retry-After"] == "0.5"
