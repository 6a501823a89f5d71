"""Load: 20 concurrent asks on one async client, then 200 sequential asks on one sync client, in
one process. Afterwards nothing is left behind (file descriptors, threads, sockets to the
emulator, connections in the client's pool), and memory does not grow with the number of asks.

The emulator runs in another process (``emulator_process``), so every descriptor, thread, socket
and byte measured here is the client's.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import threading
import tracemalloc
from dataclasses import dataclass

import psutil
import pytest

import alfa_notebook as alfa

pytestmark = pytest.mark.long

QUESTION = "INTC"
CONCURRENT = 20
SEQUENTIAL = 200
WARM_UP = 10


@dataclass(frozen=True)
class Resources:
    fds: int
    threads: int
    sockets: int  # ESTABLISHED TCP connections from this process to the emulator

    @classmethod
    def now(cls, port: int) -> Resources:
        gc.collect()
        sockets = [
            c
            for c in psutil.Process().net_connections(kind="tcp")
            if c.status == psutil.CONN_ESTABLISHED and c.raddr and c.raddr.port == port
        ]
        return cls(len(os.listdir("/proc/self/fd")), threading.active_count(), len(sockets))


def _pool(client: alfa.AlfaClient | alfa.AsyncAlfaClient):
    return client._channel.http._transport._pool  # httpcore's connection pool


@pytest.fixture(scope="module")
def clean_text(emulator_process) -> str:
    with alfa.AlfaClient(api_key=emulator_process.api_key, base_url=emulator_process.base_url) as client:
        return client.ask(QUESTION).raw_text


def test_concurrent_async_asks_leave_nothing_behind(emulator_process, clean_text, reliability_report):
    port = emulator_process.port
    before = Resources.now(port)

    async def main() -> tuple[list[alfa.Answer], int, int, int]:
        async with alfa.AsyncAlfaClient(api_key=emulator_process.api_key, base_url=emulator_process.base_url) as client:
            answers = await asyncio.gather(*(client.ask(QUESTION) for _ in range(CONCURRENT)))
            pool = _pool(client)
            busy = sum(1 for c in pool.connections if not c.is_idle())  # a response never closed
            kept = Resources.now(port).sockets  # idle keep-alive connections, at most the pool's limit
        return answers, busy, kept, len(pool.connections)

    answers, busy, kept, pooled_after_close = asyncio.run(main())
    after = Resources.now(port)

    assert [a.status for a in answers] == ["complete"] * CONCURRENT
    assert all(a.raw_text == clean_text for a in answers)
    assert len({a.thread_id for a in answers}) == CONCURRENT  # twenty turns, not one answer seen twenty times
    assert busy == 0, f"{busy} connections still busy once every ask returned"
    assert kept <= 20  # httpx's max_keepalive_connections
    assert pooled_after_close == 0
    assert after == before, f"before {before}, after {after}"
    reliability_report.append(
        f"load: {CONCURRENT} concurrent async asks: {kept} keep-alive sockets while open, "
        f"fds {before.fds}->{after.fds}, threads {before.threads}->{after.threads}, sockets {before.sockets}->{after.sockets}"
    )


@pytest.mark.timeout(240)
def test_sequential_sync_asks_do_not_grow(emulator_process, clean_text, reliability_report):
    port = emulator_process.port
    before = Resources.now(port)
    checkpoints: dict[int, tuple[int, Resources]] = {}
    with alfa.AlfaClient(api_key=emulator_process.api_key, base_url=emulator_process.base_url) as client:
        for _ in range(WARM_UP):  # lazy imports, caches and the pool settle first
            client.ask(QUESTION)
        tracemalloc.start()
        try:
            gc.collect()
            checkpoints[0] = (tracemalloc.get_traced_memory()[0], Resources.now(port))
            for i in range(1, SEQUENTIAL + 1):
                answer = client.ask(QUESTION)
                assert answer.status == "complete" and answer.raw_text == clean_text, f"ask {i}"
                del answer
                if i % 100 == 0:
                    gc.collect()
                    checkpoints[i] = (tracemalloc.get_traced_memory()[0], Resources.now(port))
        finally:
            tracemalloc.stop()
        busy = sum(1 for c in _pool(client).connections if not c.is_idle())
    after = Resources.now(port)

    (m0, r0), (m100, r100), (m200, r200) = checkpoints[0], checkpoints[100], checkpoints[SEQUENTIAL]
    first, second = m100 - m0, m200 - m100
    assert busy == 0
    # Memory: the second hundred asks add no more than noise, and the whole run stays small.
    assert second < 256 * 1024, f"the second 100 asks grew memory by {second / 1024:.0f} KiB"
    assert m200 - m0 < 1024 * 1024, f"200 asks grew memory by {(m200 - m0) / 1024:.0f} KiB"
    # Descriptors and threads: flat while asking, and back to the start afterwards. Established
    # sockets: never more than the kept-alive REST connection (the stream's is closed per ask); the
    # server may close an idle one meanwhile (its keep-alive timeout, reached on a loaded machine),
    # so their number is bounded, not constant.
    assert (r0.fds, r0.threads) == (r100.fds, r100.threads) == (r200.fds, r200.threads), f"{r0} / {r100} / {r200}"
    assert max(r0.sockets, r100.sockets, r200.sockets) <= 1, f"{r0} / {r100} / {r200}"
    assert after == before, f"before {before}, after {after}"
    reliability_report.append(
        f"load: {SEQUENTIAL} sequential sync asks: traced memory +{first / 1024:.0f} KiB over the first 100, "
        f"+{second / 1024:.0f} KiB over the next 100; fds {r0.fds}/{r100.fds}/{r200.fds}, "
        f"sockets {r0.sockets}/{r100.sockets}/{r200.sockets}; after close: {after}"
    )


STREAMS = 120  # more than the REST pool's 100 connections


def test_a_client_holds_more_streams_at_once_than_its_rest_pool_has_connections(emulator_process):
    """A batch at concurrency 120 holds 120 event streams at once: the stream pool has no bound of
    its own (a bounded one would make the 101st wait for a connection until it timed out)."""
    port = emulator_process.port
    options = {"api_key": emulator_process.api_key, "base_url": emulator_process.base_url, "timeout": 5}
    with alfa.AlfaClient(**options) as client, contextlib.ExitStack() as held:
        thread = client.threads.create("streams")
        for _ in range(STREAMS):
            held.enter_context(client.stream(thread.id))
        sync_open = Resources.now(port).sockets

    async def main(client: alfa.AsyncAlfaClient) -> int:
        async with contextlib.AsyncExitStack() as held:
            thread = await client.threads.create("streams")
            await asyncio.gather(*(held.enter_async_context(client.stream(thread.id)) for _ in range(STREAMS)))
            return Resources.now(port).sockets

    client = alfa.AsyncAlfaClient(**options)
    async_open = [asyncio.run(main(client)), asyncio.run(main(client))]  # the second loop gets pools of its own
    asyncio.run(client.aclose())
    assert sync_open >= STREAMS and min(async_open) >= STREAMS, (sync_open, async_open)
