"""A real IPython shell with ``%load_ext alfa_notebook``, talking to the session's emulator."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from IPython.core.interactiveshell import ExecutionResult, InteractiveShell
from IPython.utils.capture import capture_output

from alfa_notebook.emulator import Emulator

_ENV = ("ALFA_API_KEY", "ALFA_ACCESS_TOKEN", "ALFA_BASE_URL", "ALFA_API_VERSION", "INVESTING_ASSISTANT_API_KEY",
        "INVESTING_ASSISTANT_BASE_URL", "ALFA_API_BASE_URL")  # fmt: skip


@dataclass
class Run:
    """What one cell did: its result, what it printed, and what it displayed."""

    result: ExecutionResult
    stdout: str
    stderr: str
    outputs: list[dict[str, Any]]  # display publications: data, metadata, transient, update

    @property
    def error(self) -> BaseException | None:
        return self.result.error_in_exec or self.result.error_before_exec

    def final(self) -> dict[str, Any]:
        """The last publication: what the cell's display shows once it is over."""
        assert self.outputs, "the cell displayed nothing"
        return self.outputs[-1]


class Shell:
    """Runs cells in the test shell and records their output."""

    def __init__(self, ip: InteractiveShell) -> None:
        self.ip = ip

    @property
    def ns(self) -> dict[str, Any]:
        return self.ip.user_ns

    @property
    def magics(self) -> Any:
        return self.ip.magics_manager.registry["AlfaMagics"]

    def run(self, cell: str) -> Run:
        with capture_output() as captured:
            result = self.ip.run_cell(cell, store_history=True)
        return self._run(result, captured)

    async def run_async(self, cell: str) -> Run:
        """Run a cell as ipykernel does, inside the running event loop (top-level ``await`` works)."""
        with capture_output() as captured:
            result = await self.ip.run_cell_async(
                cell, store_history=True, transformed_cell=self.ip.transform_cell(cell)
            )
        return self._run(result, captured)

    @staticmethod
    def _run(result: ExecutionResult, captured: Any) -> Run:
        outputs = [dict(o) for o in captured._outputs]
        return Run(result, captured.stdout, captured.stderr, outputs)


@pytest.fixture(scope="session")
def ipython() -> InteractiveShell:
    from IPython import get_ipython
    from IPython.testing.globalipapp import start_ipython

    started = start_ipython()  # None when a process runs pytest twice (mutmut): the shell is already up
    return started if started is not None else get_ipython()


def _environment(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> None:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALFA_BASE_URL", emulator.base_url)
    monkeypatch.setenv("ALFA_API_KEY", emulator.api_key)


@pytest.fixture
def shell(ipython: InteractiveShell, alfa_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Shell]:
    """The extension freshly loaded into a namespace of its own, credentials from the environment,
    as in a user's kernel. Whatever a test before this one left (a worker of pytest-xdist runs the
    files in any order) is cleared first: the extension unloaded, the user's names reset."""
    _environment(monkeypatch, alfa_emulator)
    if "alfa_notebook" in ipython.extension_manager.loaded:
        ipython.run_line_magic("unload_ext", "alfa_notebook")
    ipython.reset(new_session=False)
    ipython.run_line_magic("load_ext", "alfa_notebook")
    try:
        yield Shell(ipython)
    finally:
        ipython.run_line_magic("unload_ext", "alfa_notebook")
        ipython.config.pop("AlfaMagics", None)
        ipython.user_ns.pop("_alfa", None)


@pytest.fixture(scope="session")
def slow_emulator() -> Iterator[Emulator]:
    """An emulator whose answers take a second or two, for stopping one while it streams."""
    with Emulator(chunk_delay=0.01) as emulator:
        yield emulator


@pytest.fixture
def slow_shell(shell: Shell, slow_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Shell:
    return _on(shell, slow_emulator, monkeypatch)


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop to run cells in, as ipykernel does."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.run_until_complete(loop.shutdown_asyncgens())  # as asyncio.run() does before it closes
    loop.close()


@pytest.fixture(scope="session")
def failing_emulator() -> Iterator[Emulator]:
    """An emulator that ends every answer with Error after a few chunks (``error=1``)."""
    with Emulator(chunk_delay=0, faults={"error": 1}) as emulator:
        yield emulator


@pytest.fixture
def failing_shell(shell: Shell, failing_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Shell:
    return _on(shell, failing_emulator, monkeypatch)


@pytest.fixture(scope="session")
def silent_emulator() -> Iterator[Emulator]:
    """An emulator whose first event stream sends nothing at all for 3 s (``stall=3``)."""
    with Emulator(chunk_delay=0, faults={"stall": 3}) as emulator:
        yield emulator


@pytest.fixture
def silent_shell(shell: Shell, silent_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Shell:
    return _on(shell, silent_emulator, monkeypatch)


def _on(shell: Shell, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Shell:
    """``shell`` pointed at ``emulator`` (the environment is read when the client is made)."""
    _environment(monkeypatch, emulator)
    return shell
