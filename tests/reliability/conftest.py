"""An emulator in its own process, and the campaign's summary line at the end of the run.

The reliability tests measure the client's process (file descriptors, threads, sockets, memory),
so the server runs in a child process started with the documented CLI: nothing it holds is
counted against the client, and its event loop does not compete for the client's GIL.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from alfa_notebook.emulator import DEFAULT_API_KEY

REPORT = "reliability"  # the user property tests/conftest.py reads
_BANNER = re.compile(r"listening on (http://\S+)")


@dataclass(frozen=True)
class EmulatorProcess:
    base_url: str
    api_key: str
    pid: int

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])


@pytest.fixture(scope="session")
def emulator_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """``alfa-notebook emulator --port 0 --chunk-delay 0`` in a child process. Its output goes to
    files, not pipes: a pipe nobody drains would block the server once its access log fills it."""
    logs = tmp_path_factory.mktemp("emulator-process")
    out, err = logs / "stdout.txt", logs / "stderr.txt"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "alfa_notebook", "emulator", "--port", "0", "--chunk-delay", "0"],
            stdout=stdout,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
        )
    try:
        base_url = _wait_for_banner(process, out, err)
        yield EmulatorProcess(base_url, DEFAULT_API_KEY, process.pid)
    finally:
        process.terminate()  # SIGTERM: the CLI stops the emulator cleanly
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _wait_for_banner(process: subprocess.Popen[bytes], out: Path, err: Path) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        match = _BANNER.search(out.read_text(errors="replace"))
        if match:
            return match.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"the emulator process did not start:\n{err.read_text(errors='replace')[-2000:]}")


@pytest.fixture
def reliability_report(request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """Lines for the terminal summary: they travel in the test's report (so they survive output
    capture and come back from pytest-xdist's workers), and tests/conftest.py prints them."""
    lines: list[str] = []
    yield lines
    request.node.user_properties.extend((REPORT, line) for line in lines)
