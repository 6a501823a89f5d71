"""One listener's SSE response, with the stream faults applied on the wire.

sse-starlette does the framing, the pings and the disconnect handling. Two faults need control
below it, so every ASGI message passes through a valve:

* ``stall``: the valve shuts for S seconds, holding back events *and* pings, as a hung upstream
  would; a client sees silence, not keep-alives.
* ``drop_after``: after N events the valve swallows everything, including the end of the chunked
  body, so uvicorn closes the socket on an incomplete response: the client sees a broken
  transfer, never a clean end of stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from sse_starlette import EventSourceResponse
from starlette.types import Message, Receive, Scope, Send

from .controls import Controls
from .events import SEPARATOR
from .hub import Listener


class ThreadEventStream(EventSourceResponse):
    def __init__(self, listener: Listener, controls: Controls) -> None:
        self._listener = listener
        self._drop_after = controls.drop_after
        self._stall = controls.stall
        self._stall_after = controls.stall_after
        self._open = asyncio.Event()
        self._open.set()
        self._dropped = False
        super().__init__(self._frames(), ping=controls.ping, sep=SEPARATOR)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Registered before the headers go out: once a client sees the 200, it misses nothing.
        with self._listener:
            await super().__call__(scope, receive, self._through_valve(send))

    def _through_valve(self, send: Send) -> Send:
        async def send_unless_held(message: Message) -> None:
            await self._open.wait()
            if not self._dropped:
                await send(message)

        return send_unless_held

    async def _frames(self) -> AsyncIterator[bytes]:
        sent = 0
        if await self._fault_due(sent):
            return
        async for batch in self._listener.batches():
            while batch:
                room = self._room(sent) or len(batch)
                head, batch = batch[:room], batch[room:]
                yield b"".join(head)
                sent += len(head)
                if await self._fault_due(sent):
                    return

    def _room(self, sent: int) -> int | None:
        """How many events may go out before the next fault fires (None: no fault ahead)."""
        stall_at = self._stall_after if self._stall is not None else None
        ahead = [at - sent for at in (self._drop_after, stall_at) if at is not None and at > sent]
        return min(ahead, default=None)

    async def _fault_due(self, sent: int) -> bool:
        """Fire the faults due after ``sent`` events; True when the stream must end (dropped)."""
        if self._stall is not None and sent == self._stall_after:
            self._open.clear()
            try:
                await asyncio.sleep(self._stall)
            finally:
                self._open.set()
            self._stall = None
        if self._drop_after is not None and sent >= self._drop_after:
            self._dropped = True
            return True
        return False
