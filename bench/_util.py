"""Helpers shared by the benchmarks: timing, interleaving, an emulator in its own process, verdicts."""

from __future__ import annotations

import contextlib
import gc
import os
import re
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from alfa_notebook.emulator.defaults import DEFAULT_API_KEY


@dataclass
class Timing:
    """One side of an interleaved comparison: wall and CPU times of each repetition, in seconds."""

    wall: list[float]
    cpu: list[float]

    @property
    def wall_ms(self) -> float:
        return statistics.median(self.wall) * 1000

    @property
    def cpu_ms(self) -> float:
        return statistics.median(self.cpu) * 1000


def interleaved(
    sides: dict[str, Callable[[], Any]],
    *,
    repeat: int,
    warmup: int = 1,
    after: Callable[[], Any] | None = None,
) -> dict[str, Timing]:
    """Time every side ``repeat`` times in turn (A B A B ...), so drift of the machine affects all
    sides alike; each try starts from a collected heap, and ``after()`` (untimed) tidies up after
    each. CPU time is this process's only (a server in another process is not counted)."""
    for _ in range(warmup):
        for run in sides.values():
            run()
            if after is not None:
                after()
    timings = {name: Timing([], []) for name in sides}
    for _ in range(repeat):
        for name, run in sides.items():
            gc.collect()
            cpu, wall = time.process_time(), time.perf_counter()
            run()
            timings[name].wall.append(time.perf_counter() - wall)
            timings[name].cpu.append(time.process_time() - cpu)
            if after is not None:
                after()
    return timings


def peak_mib(run: Callable[[], Any]) -> float:
    """Peak memory traced while ``run()`` executes, in MiB (timed separately: tracing is slow)."""
    gc.collect()
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


@dataclass
class RemoteEmulator:
    """An emulator served by another process: what a client needs to reach it."""

    base_url: str
    api_key: str = DEFAULT_API_KEY


_LISTENING = re.compile(r"listening on (http://\S+)")


@contextlib.contextmanager
def emulator_process(chunk_delay: float = 0.0) -> Iterator[RemoteEmulator]:
    """``alfa-notebook emulator --port 0`` in a child process, so the server's work runs on its own
    interpreter (and core) instead of competing for this process's GIL with the client measured.
    The port is read from the banner's first line."""
    command = [sys.executable, "-m", "alfa_notebook", "emulator", "--port", "0", "--chunk-delay", str(chunk_delay)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        found = _LISTENING.search(line)
        if found is None:
            raise RuntimeError(f"the emulator did not start: {line!r}")
        yield RemoteEmulator(found.group(1))
    finally:
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()


@dataclass
class Figure:
    """One line of the summary: a measured figure, its bar and whether it is met (None: no bar)."""

    name: str
    value: str
    bar: str = ""
    ok: bool | None = None

    @property
    def verdict(self) -> str:
        return "" if self.ok is None else "PASS" if self.ok else "MISS"


def report(figures: list[Figure]) -> int:
    """Print the figures as a table; the exit status is 1 when any bar is missed."""
    width = max(len(f.name) for f in figures)
    bwidth = max(len(f.bar) for f in figures)
    for f in figures:
        print(f"  {f.verdict or '-':<4}  {f.name:<{width}}  {f.bar:<{bwidth}}  {f.value}", flush=True)
    return 1 if any(f.ok is False for f in figures) else 0


def machine() -> str:
    """The machine in one line: cores, CPU model, Python."""
    model = "unknown CPU"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores, {model}, Python {sys.version.split()[0]}"
