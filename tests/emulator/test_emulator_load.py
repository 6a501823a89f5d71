"""Load on one port: 200 open streams and 200 POSTs at once, every turn complete and intact."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from httpx_sse import aconnect_sse

from alfa_notebook.emulator import Emulator

from .wire import FOOTER, is_turn_end

pytestmark = pytest.mark.long

CONCURRENCY = 200


async def _one_turn(http: httpx.AsyncClient, index: int) -> str:
    created = await http.post("/threads", json={"thread_name": f"load {index}"})
    created.raise_for_status()
    thread_id = created.json()["thread_id"]
    async with aconnect_sse(http, "GET", f"/threads/stream/{thread_id}") as source:
        source.response.raise_for_status()
        sent = await http.post(f"/threads/{thread_id}/messages", data={"message": "Compare NVDA and AMD"})
        sent.raise_for_status()
        chunks: list[str] = []
        async for sse in source.aiter_sse():
            event = json.loads(sse.data)["event"]
            if event["event_type"] == "message_chunk":
                chunks.append(event["message_chunk"]["message"])
            elif event["event_type"] == "message":
                assert event["message"]["message"] == "".join(chunks)
            if is_turn_end(event):
                assert event["status"] == "Complete"
                return "".join(chunks)
    raise AssertionError("the stream ended before the turn")


def test_200_concurrent_streams_and_posts_on_one_port() -> None:
    with Emulator(chunk_delay=0.005) as emulator:

        async def run() -> list[str]:
            room = CONCURRENCY * 2 + 10  # a stream and a POST at once per turn
            async with httpx.AsyncClient(
                base_url=f"{emulator.base_url}/client/v1",
                headers={"x-api-key": emulator.api_key},
                # No connection kept for reuse: an idle one the server closes at the end of its 5 s
                # keep-alive while the client, seconds late on a loaded machine, picks it up fails
                # with ReadError (seen with a 2 s expiry on the client's clock). The load is the
                # emulator's to hold, not the keep-alive race's.
                limits=httpx.Limits(max_connections=room, max_keepalive_connections=0),
                timeout=httpx.Timeout(60, connect=10),
            ) as http:
                return await asyncio.gather(*(_one_turn(http, i) for i in range(CONCURRENCY)))

        texts = asyncio.run(run())
        state = emulator.state()
    assert len(texts) == CONCURRENCY and all(text.rstrip().endswith(FOOTER) for text in texts)
    assert state.thread_count == CONCURRENCY and state.user_message_count == CONCURRENCY
    assert all(t.answers == 1 and not t.running for t in state.threads)
