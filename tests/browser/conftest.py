"""The servers and the browser of the end-to-end test: the emulator, JupyterLab, headless Chromium.

JupyterLab runs on loopback with a random token, in a temporary directory that holds a copy of the
notebook and every Jupyter setting and runtime directory, so nothing of the user's set-up leaks in
and nothing is left behind. Its kernels inherit ``ALFA_BASE_URL`` and ``ALFA_API_KEY`` from the
server's environment, as with ``make lab``. The browser is Debian's ``chromium``, driven by
Playwright (its own browser download does not work everywhere, and CI installs ``chromium``).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from alfa_notebook.emulator import Emulator

# Playwright's assertions wait 5 s by default; a loaded machine (a kernel, JupyterLab, the emulator
# and Chromium on two busy cores) takes longer to draw what a quiet one draws in a second. What is
# asserted does not change, only how long it may take to appear.
expect.set_options(timeout=30_000)

REPO = Path(__file__).parents[2]
SCREENSHOTS = REPO / "build" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
INSTALL_CHROMIUM = "sudo apt-get install chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHUNK_DELAY = 0.03
"""Seconds between the emulator's word chunks: an answer streams for a few seconds, and its
work-in-progress logs (eight chunk delays each) show before the first word."""
START_TIMEOUT = 60.0
LAB_SETTINGS = {
    # No news, no update checks (a closed network, and no toast over the notebook); the light theme.
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/apputils-extension/themes": {"theme": "JupyterLab Light", "adaptive-theme": False},
}
_ALFA_ENV = ("ALFA_API_KEY", "ALFA_ACCESS_TOKEN", "ALFA_BASE_URL", "ALFA_API_VERSION", "INVESTING_ASSISTANT_API_KEY",
             "INVESTING_ASSISTANT_BASE_URL", "ALFA_API_BASE_URL")  # fmt: skip


def chromium_executable() -> str:
    """Debian's chromium; in CI it must be there (``.ci/run`` installs it), elsewhere the test is
    skipped with the command that installs it."""
    found = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"The browser test needs chromium ({CHROMIUM}) and must run in CI: .ci/run installs it "
                    f"with `apt-get install -y chromium`; it is missing here.", pytrace=False)  # fmt: skip
    pytest.skip(f"The browser test needs Debian's chromium at {CHROMIUM}; install it with: {INSTALL_CHROMIUM}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Lab:
    """A running JupyterLab server: its address, token and the directory it serves."""

    base_url: str
    token: str
    root: Path
    process: subprocess.Popen[bytes]
    log: Path

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}?token={self.token}"

    def api(self, method: str, path: str) -> httpx.Response:
        response = httpx.request(
            method, f"{self.base_url}/api/{path}", headers={"Authorization": f"token {self.token}"}
        )
        response.raise_for_status()
        return response

    def shut_down_kernels(self) -> None:
        for kernel in self.api("GET", "kernels").json():
            self.api("DELETE", f"kernels/{kernel['id']}")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="module")
def browser_emulator() -> Iterator[Emulator]:
    with Emulator(chunk_delay=CHUNK_DELAY) as emulator:
        yield emulator


def _lab_environment(home: Path, emulator: Emulator) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _ALFA_ENV and not key.startswith("JUPYTER")}
    dirs = {
        "JUPYTER_CONFIG_DIR": "config",
        "JUPYTER_DATA_DIR": "data",
        "JUPYTER_RUNTIME_DIR": "runtime",
        "JUPYTERLAB_SETTINGS_DIR": "lab-settings",
        "JUPYTERLAB_WORKSPACES_DIR": "lab-workspaces",
        "IPYTHONDIR": "ipython",
    }
    for name, sub in dirs.items():
        (home / sub).mkdir()
        env[name] = str(home / sub)
    for plugin, values in LAB_SETTINGS.items():
        path = home / "lab-settings" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env.update(
        JUPYTER_PLATFORM_DIRS="1",
        ALFA_BASE_URL=emulator.base_url,
        ALFA_API_KEY=emulator.api_key,
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="module")
def lab(browser_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab serving a copy of notebooks/quickstart.ipynb, on loopback, token-protected."""
    home = tmp_path_factory.mktemp("lab")
    root = home / "root"
    root.mkdir()
    shutil.copy(REPO / "notebooks" / "quickstart.ipynb", root)
    port, token = free_port(), secrets.token_hex(16)
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser",
        f"--port={port}", "--port-retries=0", "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None",  # no announcements fetched
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",  # no PyPI look-ups
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, for the theme command
        "--ServerApp.terminals_enabled=False",
        "--allow-root",  # CI runs as root
    ]  # fmt: skip
    log = home / "jupyterlab.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, cwd=root, env=_lab_environment(home, browser_emulator), stdout=sink, stderr=subprocess.STDOUT
        )
    server = Lab(f"http://127.0.0.1:{port}", token, root, process, log)
    try:
        _wait_until_ready(server)
        yield server
    finally:
        _stop(server)


def _wait_until_ready(server: Lab) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"JupyterLab exited with {server.process.returncode}:\n{server.log_tail()}", pytrace=False)
        try:
            if httpx.get(f"{server.base_url}/api/status", params={"token": server.token}, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)  # polling interval, not synchronisation: the deadline bounds the wait
    pytest.fail(f"JupyterLab did not answer within {START_TIMEOUT:g} s:\n{server.log_tail()}", pytrace=False)


def _stop(server: Lab) -> None:
    """Shut the server down through its API (which stops its kernels), then make sure it is gone."""
    if server.process.poll() is None:
        try:
            server.api("POST", "shutdown")
            server.process.wait(timeout=15)
        except (httpx.HTTPError, subprocess.TimeoutExpired):
            server.process.terminate()
            try:
                server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()


@pytest.fixture(scope="session")
def chromium() -> str:
    """The browser's path; session-scoped, so a missing browser is reported before any server starts."""
    return chromium_executable()


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    """Headless Debian chromium, driven by Playwright, with a fresh profile."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A browser page tall enough for a whole answer, so a screenshot of its cell is not cut. When
    the test fails, the whole page is saved to ``build/screenshots/failed-<test>.png``."""
    context = browser.new_context(viewport={"width": 1100, "height": 1600}, device_scale_factor=1)
    context.set_default_timeout(30_000)
    opened = context.new_page()
    try:
        yield opened
        if request.node.stash.get(_FAILED, False):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            opened.screenshot(path=SCREENSHOTS / f"failed-{request.node.name}.png")
    finally:
        context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
