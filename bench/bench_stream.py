"""Streaming: ``ask()`` on a 20,000-chunk answer against a minimal httpx-sse loop reading the same
stream from the same emulator (PRODUCT.md §7, bar 1.3x). Both sides create a thread, open the
stream, post the question and read to the terminal status; ``ask()`` also fetches the artifacts."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

import httpx
from httpx_sse import aconnect_sse, connect_sse

import alfa_notebook as alfa
from alfa_notebook.emulator import Emulator

from ._util import median_ms

BAR = 1.3
QUESTION = "Compare NVDA and AMD revenue growth over the last 4 quarters"


def raw_loop(emu: Emulator, headers: dict[str, str]) -> int:
    """What a careful user would write by hand: the baseline."""
    auth = {"x-api-key": emu.api_key, **headers}
    with httpx.Client(base_url=f"{emu.base_url}/client/v1", headers=auth, timeout=60) as http:
        thread_id = http.post("/threads", json={"thread_name": "bench"}).json()["thread_id"]
        chunks = 0
        with connect_sse(http, "GET", f"/threads/stream/{thread_id}") as source:
            http.post(f"/threads/{thread_id}/messages", data={"message": QUESTION}).raise_for_status()
            for sse in source.iter_sse():
                if not sse.data:
                    continue
                event = json.loads(sse.data)["event"]
                if event.get("event_type") == "message_chunk":
                    chunks += 1
                elif event.get("event_type") in ("task_status", "execution_status") and event.get("status") == "Complete":
                    return chunks
    raise RuntimeError("stream ended before Complete")


async def raw_async_loop(emu: Emulator, headers: dict[str, str]) -> int:
    """The same baseline with httpx's async client, to measure the async client against."""
    auth = {"x-api-key": emu.api_key, **headers}
    async with httpx.AsyncClient(base_url=f"{emu.base_url}/client/v1", headers=auth, timeout=60) as http:
        thread_id = (await http.post("/threads", json={"thread_name": "bench"})).json()["thread_id"]
        chunks = 0
        async with aconnect_sse(http, "GET", f"/threads/stream/{thread_id}") as source:
            (await http.post(f"/threads/{thread_id}/messages", data={"message": QUESTION})).raise_for_status()
            async for sse in source.aiter_sse():
                if not sse.data:
                    continue
                event = json.loads(sse.data)["event"]
                if event.get("event_type") == "message_chunk":
                    chunks += 1
                elif event.get("event_type") in ("task_status", "execution_status") and event.get("status") == "Complete":
                    return chunks
    raise RuntimeError("stream ended before Complete")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    headers = {"X-Alfa-Emulator": f"words={args.words};chunk_delay=0"}

    with Emulator(chunk_delay=0) as emu:
        client = alfa.AlfaClient(api_key=emu.api_key, base_url=emu.base_url, headers=headers)
        aclient_loop = asyncio.new_event_loop()
        aclient = alfa.AsyncAlfaClient(api_key=emu.api_key, base_url=emu.base_url, headers=headers)
        chunks = raw_loop(emu, headers)

        baseline = median_ms(lambda: raw_loop(emu, headers), repeat=args.repeat)
        sync_ms = median_ms(lambda: client.ask(QUESTION), repeat=args.repeat)
        async_baseline = median_ms(lambda: aclient_loop.run_until_complete(raw_async_loop(emu, headers)), repeat=args.repeat)
        async_ms = median_ms(lambda: aclient_loop.run_until_complete(aclient.ask(QUESTION)), repeat=args.repeat)
        client.close()
        aclient_loop.run_until_complete(aclient.aclose())
        aclient_loop.close()

    ok = True
    for name, base, ms in (("sync ask()", baseline, sync_ms), ("async ask()", async_baseline, async_ms)):
        ratio = ms / base
        verdict = "PASS" if ratio <= BAR else "MISS"
        ok &= verdict == "PASS"
        print(f"streaming: {chunks} chunks  raw httpx-sse loop {base:.0f} ms  {name} {ms:.0f} ms  ratio {ratio:.2f} (bar {BAR}x) {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
