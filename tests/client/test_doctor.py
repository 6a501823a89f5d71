"""``alfa-notebook doctor`` against the emulator and against a deliberately deviant server: what it
reports, that nothing secret is in it, and that it exits non-zero when something is wrong."""

from __future__ import annotations

import json
import re
import uuid

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import alfa_notebook as alfa
from alfa_notebook import cli
from alfa_notebook.doctor import THREAD_NAME, diagnose, main

pytestmark = pytest.mark.long

_ENV = ("ALFA_API_KEY", "ALFA_ACCESS_TOKEN", "ALFA_BASE_URL", "ALFA_API_VERSION", "INVESTING_ASSISTANT_API_KEY",
        "INVESTING_ASSISTANT_BASE_URL", "ALFA_API_BASE_URL", "ALFA_CASSETTE", "ALFA_RATE_LIMIT", "ALFA_RATE_LIMIT_WAIT", "ALFA_MAX_ATTACHMENT_BYTES")  # fmt: skip


@pytest.fixture
def environment(monkeypatch, alfa_emulator):
    """The emulator's address and key in the environment, as a user's shell has them."""
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALFA_BASE_URL", alfa_emulator.base_url)
    monkeypatch.setenv("ALFA_API_KEY", alfa_emulator.api_key)
    return alfa_emulator


def doctor(capsys, *argv):
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_doctor_against_the_emulator_checks_every_read_endpoint_and_one_answer(environment, capsys):
    code, out = doctor(capsys, "--ask", "--json")
    report = json.loads(out)
    assert code == 0 and report["problems"] == 0 and report["deviations"] == 0
    settings = {s["name"]: (s["value"], s["from"]) for s in report["settings"]}
    assert settings["base_url"] == (environment.base_url, "$ALFA_BASE_URL")
    assert settings["api_key"] == ("set (not shown)", "$ALFA_API_KEY")
    assert settings["api_version"] == ("v1", "default")
    assert {c["name"]: c["ok"] for c in report["checks"]} == {
        "DNS": True,
        "TLS": None,
        "auth": True,
        "reads": True,
        "ask": True,
    }
    calls = {(c["method"], c["route"]): c for c in report["requests"]}
    for call in [
        ("GET", "/threads"),
        ("GET", "/threads/{id}/messages"),
        ("GET", "/threads/{id}/progress"),
        ("GET", "/threads/stream/{id}"),
        ("POST", "/threads"),
        ("POST", "/threads/{id}/messages"),
        ("DELETE", "/threads/{id}"),
    ]:
        assert calls[call]["status"] == 200 and calls[call]["ms"] >= 0
    assert all(uuid.UUID(c["request_id"]).version == 4 for c in report["requests"])
    assert len({c["request_id"] for c in report["requests"]}) == len(report["requests"])  # one per request
    ask = report["ask"]
    assert ask["statuses"] == ["Running", "Complete"] and ask["thread"] == "deleted" and ask["answer_chars"] > 0
    assert ask["event_types"]["message_chunk"] > 0 and ask["findings"] == []
    with alfa.AlfaClient() as client:
        assert THREAD_NAME not in {t.name for t in client.threads.list()}


def test_the_report_holds_no_key_and_no_answer_text_unless_asked(environment, capsys):
    _, with_text = doctor(capsys, "--ask", "--json", "--include-text")
    text = json.loads(with_text)["ask"]["text"]
    assert len(text) > 40
    _, as_json = doctor(capsys, "--ask", "--json")
    _, as_text = doctor(capsys, "--ask")
    for out in (as_json, as_text, with_text):
        assert environment.api_key not in out
    for out in (as_json, as_text):
        assert text[:40] not in out and "text" not in json.loads(as_json)["ask"]
    assert "✓ auth" in as_text and "0 problem(s), 0 deviation(s)" in as_text and "Requests" in as_text


def test_a_refused_key_fails_the_doctor_and_says_so(environment, monkeypatch, capsys):
    monkeypatch.setenv("ALFA_API_KEY", "not-the-key")
    code, out = doctor(capsys, "--ask")
    assert code == 1 and "✗ auth  the credential was refused (GET /threads: 401)" in out
    assert "POST" not in out  # nothing is asked with a credential the service refused
    assert "not-the-key" not in out


def test_no_key_fails_the_doctor_and_says_where_to_set_it(environment, monkeypatch, capsys):
    monkeypatch.delenv("ALFA_API_KEY")
    code, out = doctor(capsys)
    assert code == 1 and "✗ auth  no credential: set ALFA_API_KEY or INVESTING_ASSISTANT_API_KEY" in out
    assert re.search(r"^  api_key +missing: set ALFA_API_KEY", out, re.M)


def test_an_unreachable_service_fails_at_the_first_step(environment, monkeypatch, capsys):
    monkeypatch.setenv("ALFA_BASE_URL", "https://alfa.invalid")
    code, out = doctor(capsys)
    assert code == 1 and "✗ DNS   alfa.invalid does not resolve" in out and "auth" not in out.split("Checks")[1]


def test_the_command_line_runs_the_doctor(environment, capsys):
    assert cli.main(["doctor", "--json"]) == 0
    auth = json.loads(capsys.readouterr().out)["checks"][2]
    assert auth["name"] == "auth" and auth["ok"] is True


# -- a deliberately deviant server ---------------------------------------------------------------

SECRET_ANSWER = "The confidential answer text."

DEVIANT_STREAM = [
    {"event_type": "task_status", "status": "Running", "log": "Started"},
    {"event_type": "heartbeat", "beat": 1},
    {"event_type": "message_chunk", "message_chunk": {"message": SECRET_ANSWER, "message_id": "m1", "tokens": 5}, "final_chunk": True},
    {"event_type": "message", "message": {"message_id": "m1", "message": SECRET_ANSWER}},
    {"event_type": "task_status", "status": "Finished", "log": "done"},
]  # fmt: skip


def deviant_app() -> Starlette:
    """A service that differs from the protocol as a real one might: an unknown event type, an
    unknown field, a status word not in the protocol. It echoes request ids and sends rate-limit
    headers, as the real service may."""

    def answer(request: Request, body: object, **kw: object) -> Response:
        response = JSONResponse(body, **kw) if not isinstance(body, Response) else body
        response.headers["x-request-id"] = request.headers.get("x-request-id", "")
        response.headers["x-ratelimit-remaining"] = "41"
        return response

    async def threads(request: Request) -> Response:
        if request.method == "POST":
            return answer(request, {"thread_id": "t1"})
        return answer(request, {"threads": [{"thread_id": "t0", "thread_name": "private name"}]})

    async def messages(request: Request) -> Response:
        if request.method == "POST":
            return answer(request, {"success": True, "message_id": "u1"})
        return answer(request, {"messages": [], "total_message_count": 0, "start_index": 0})

    async def stream(request: Request) -> Response:
        body = "".join(f"data: {json.dumps({'event': e})}\r\n\r\n" for e in DEVIANT_STREAM)
        return answer(request, Response(body, media_type="text/event-stream"))

    async def progress(request: Request) -> Response:
        return answer(request, {"progress_data": {"status": "Finished", "log": "done", "task_id": "k"}})

    async def thread(request: Request) -> Response:
        return answer(request, {"success": True})

    return Starlette(
        routes=[
            Route("/client/v1/threads", threads, methods=["GET", "POST"]),
            Route("/client/v1/threads/stream/{id}", stream),
            Route("/client/v1/threads/{id}/messages", messages, methods=["GET", "POST"]),
            Route("/client/v1/threads/{id}/progress", progress),
            Route("/client/v1/threads/{id}", thread, methods=["DELETE"]),
        ]
    )


def test_a_deviant_server_shows_as_deviations_and_problems(monkeypatch):
    monkeypatch.setenv("ALFA_API_KEY", "deviant-key")
    report = diagnose(
        ask="q", base_url="http://127.0.0.1:9", api_version="v1", transport=httpx.ASGITransport(deviant_app())
    )
    findings = {(f.level, f.what) for f in report.stream.findings}
    assert findings == {
        ("deviation", "unknown event type 'heartbeat' (the client passes it on, unread)"),
        ("deviation", "message_chunk with an unknown field message_chunk.message_chunk.tokens"),
        ("problem", "task_status with a status word not in the protocol: 'Finished'"),
        ("problem", "no task_status ended the turn (the client waits for one, or its deadline)"),
    }
    assert report.problems == 3  # the two above, and the ask that did not end
    assert all(c.echoed == c.request_id for c in report.calls)
    assert report.rate_limits["x-ratelimit-remaining"].startswith("41 (")
    out = report.to_text() + report.to_json()
    assert SECRET_ANSWER not in out and "deviant-key" not in out and "private name" not in out
    assert "(echoed)" in report.to_text() and "x-ratelimit-remaining: 41" in report.to_text()


def test_a_proxy_in_the_environment_is_named_but_its_address_is_not_shown(environment, monkeypatch, capsys):
    monkeypatch.setenv("HTTPS_PROXY", "http://me:s3cret@proxy.example:3128")  # not used for http://
    code, out = doctor(capsys)
    assert code == 0 and "- proxy HTTPS_PROXY set: requests may go through it" in out
    assert "s3cret" not in out and "proxy.example" not in out


def test_doctor_with_a_v2_token(environment, monkeypatch, v2_token, capsys):
    monkeypatch.delenv("ALFA_API_KEY")
    monkeypatch.setenv("ALFA_API_VERSION", "v2")
    monkeypatch.setenv("ALFA_ACCESS_TOKEN", v2_token.reveal())
    code, out = doctor(capsys, "--ask", "--json")
    report = json.loads(out)
    assert code == 0 and report["problems"] == 0 and v2_token.reveal() not in out
    settings = {s["name"]: (s["value"], s["from"]) for s in report["settings"]}
    assert settings["api_key"] == ("set (not shown)", "$ALFA_ACCESS_TOKEN")
    assert settings["api_version"] == ("v2", "$ALFA_API_VERSION")


@pytest.fixture(scope="module")
def hostile_emulator():
    """An emulator whose every string (answers, logs, thread names) carries the hostile corpus."""
    from alfa_notebook.emulator import Emulator

    with Emulator(chunk_delay=0, faults={"hostile": 1}) as emulator:
        yield emulator


def test_nothing_hostile_the_service_sends_reaches_the_report(hostile_emulator, monkeypatch, capsys):
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALFA_BASE_URL", hostile_emulator.base_url)
    monkeypatch.setenv("ALFA_API_KEY", hostile_emulator.api_key)
    with alfa.AlfaClient() as client:
        client.threads.create("a thread named <script>alert(1)</script>\x1b[31m")
    code, out = doctor(capsys, "--ask")
    _, as_json = doctor(capsys, "--ask", "--json")
    assert code == 0
    for report in (out, as_json):
        assert "<script" not in report and "\x1b" not in report and "\x00" not in report
