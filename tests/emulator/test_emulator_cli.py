"""``alfa-notebook emulator`` as a user runs it: a subprocess that prints how to connect."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys

import httpx
import pytest

from alfa_notebook.emulator.cli import is_loopback


def test_the_command_prints_the_url_serves_and_stops_on_ctrl_c() -> None:
    command = [sys.executable, "-m", "alfa_notebook", "emulator", "--port", "0", "--api-key", "cli-key"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        banner = "".join(iter(process.stdout.readline, "Press Ctrl-C to stop.\n"))
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", banner)
        assert match, banner
        base_url = match.group(1)
        assert "x-api-key: cli-key" in banner and "/oauth2/token" in banner and "curl " in banner
        assert "synthetic" in banner

        created = httpx.post(
            f"{base_url}/client/v1/threads", json={"thread_name": "cli"}, headers={"x-api-key": "cli-key"}
        )
        assert created.status_code == 200

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0


def test_rate_limit_on_the_command_line() -> None:
    command = [sys.executable, "-m", "alfa_notebook", "emulator", "--port", "0", "--rate-limit", "chat=1/min"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        banner = "".join(iter(process.stdout.readline, "Rate limits: chat=1/min\n"))
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", banner)
        assert match, banner
        api, headers = f"{match.group(1)}/client/v1", {"x-api-key": "alfa-emulator-key"}
        thread_id = httpx.post(f"{api}/threads", json={"thread_name": "cli"}, headers=headers).json()["thread_id"]
        url = f"{api}/threads/{thread_id}/messages"
        assert httpx.post(url, data={"message": "Compare NVDA and AMD"}, headers=headers).status_code == 200
        httpx.delete(f"{api}/threads/{thread_id}/task", headers=headers)
        refused = httpx.post(url, data={"message": "And banks?"}, headers=headers)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 59
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0


def test_a_bad_rate_limit_is_a_usage_error() -> None:
    command = [sys.executable, "-m", "alfa_notebook", "emulator", "--port", "0", "--rate-limit", "chat=5/fortnight"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "'5/fortnight' is not N/WINDOW" in result.stderr


def test_a_bad_fault_option_is_a_usage_error() -> None:
    command = [sys.executable, "-m", "alfa_notebook", "emulator", "--port", "0", "--fault", "bogus=1"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "unknown emulator option 'bogus'" in result.stderr


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("0.0.0.0", False), ("192.0.2.1", False)],
)
def test_non_loopback_hosts_are_recognised_for_the_warning(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def _started(*options: str) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "alfa_notebook", "emulator", "--port", "0", *options]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    banner = "".join(iter(process.stdout.readline, "Press Ctrl-C to stop.\n"))
    match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", banner)
    assert match, banner
    return process, match.group(1)


def test_a_client_that_leaves_mid_request_is_one_log_line_not_a_traceback() -> None:
    process, base_url = _started()
    with process:
        assert process.stderr is not None
        headers = {"x-api-key": "alfa-emulator-key"}
        thread_id = httpx.post(f"{base_url}/client/v1/threads", json={"thread_name": "x"}, headers=headers).json()[
            "thread_id"
        ]
        port = int(base_url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sock:  # a body announced, never finished
            sock.sendall(
                f"POST /client/v1/threads/{thread_id}/messages HTTP/1.1\r\nHost: x\r\nx-api-key: alfa-emulator-key\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nmessage=NVDA".encode()
            )
        seen = []
        for line in iter(process.stderr.readline, ""):  # until the server has met the disconnect
            seen.append(line)
            if "client left" in line or "Exception" in line:
                break
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        log = "".join(seen) + process.stderr.read()
    assert f"POST /client/v1/threads/{thread_id}/messages: the client left before its request was read" in log
    assert "Traceback" not in log and "ClientDisconnect" not in log


def test_one_sigterm_stops_the_emulator_gracefully_while_an_answer_streams() -> None:
    process, base_url = _started("--chunk-delay", "0.05")
    with process:
        assert process.stderr is not None
        headers = {"x-api-key": "alfa-emulator-key"}
        api = f"{base_url}/client/v1"
        thread_id = httpx.post(f"{api}/threads", json={"thread_name": "x"}, headers=headers).json()["thread_id"]
        with httpx.stream("GET", f"{api}/threads/stream/{thread_id}", headers=headers, timeout=30) as stream:
            httpx.post(f"{api}/threads/{thread_id}/messages", data={"message": "Compare NVDA and AMD"}, headers=headers)
            chunks = stream.iter_lines()
            next(line for line in chunks if "MessageChunk" in line or "message" in line)  # it is answering
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=15) == 0
        log = process.stderr.read()
    assert "Shutting down" in log and "Finished server process" in log  # the graceful path, not a cut-off


def test_one_sigterm_stops_an_emulator_whose_log_nobody_reads() -> None:
    """Its log pipe full, the server is stuck writing a line: one signal still ends the process."""
    process, base_url = _started()
    with process, httpx.Client(timeout=1) as client:
        long_path = f"{base_url}/client/v1/threads/{'x' * 8000}"  # each access-log line is 8 kB
        try:
            for _ in range(100):  # a pipe holds 64 kB: the server blocks after a few
                client.get(long_path, headers={"x-api-key": "alfa-emulator-key"})
        except httpx.TimeoutException:
            pass
        else:
            pytest.fail("the server never blocked on its log")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 1  # left behind its wedged thread, and said so by its status
