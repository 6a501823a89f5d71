"""Fan-out of a thread's events to the listeners connected right now.

There is no replay, as on the real service: a frame published while nobody listens is gone. The
hub carries frames already encoded, so a turn pays for JSON once however many listen.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from types import TracebackType


class Listener:
    """One open stream's inbox; it receives only while inside ``with listener:``."""

    def __init__(self, hub: Hub, thread_id: str) -> None:
        self._hub = hub
        self.thread_id = thread_id
        self._pending: list[bytes] = []
        self._wakeup = asyncio.Event()
        self._closed = False

    def __enter__(self) -> Listener:
        self._hub.register(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._hub.unregister(self)

    def push(self, frame: bytes) -> None:
        self._pending.append(frame)
        self._wakeup.set()

    def close(self) -> None:
        self._closed = True
        self._wakeup.set()

    async def batches(self) -> AsyncIterator[list[bytes]]:
        """Everything published since the last batch, as soon as there is any; ends on close."""
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            batch, self._pending = self._pending, []
            if batch:
                yield batch
            if self._closed:
                return


class Hub:
    """Every listener of a thread gets every frame published to it after it connected."""

    def __init__(self) -> None:
        self._listeners: defaultdict[str, set[Listener]] = defaultdict(set)

    def listener(self, thread_id: str) -> Listener:
        """A listener for ``thread_id``, receiving from the moment it is entered."""
        return Listener(self, thread_id)

    def register(self, listener: Listener) -> None:
        self._listeners[listener.thread_id].add(listener)

    def unregister(self, listener: Listener) -> None:
        listeners = self._listeners.get(listener.thread_id)
        if listeners is not None:
            listeners.discard(listener)
            if not listeners:
                del self._listeners[listener.thread_id]

    def publish(self, thread_id: str, frame: bytes) -> None:
        for listener in self._listeners.get(thread_id, ()):
            listener.push(frame)

    def close(self, thread_id: str, farewell: bytes) -> None:
        """Send ``farewell`` to the thread's listeners and end their streams."""
        for listener in self._listeners.get(thread_id, ()):
            listener.push(farewell)
            listener.close()

    def close_all(self, farewell: bytes) -> None:
        for thread_id in list(self._listeners):
            self.close(thread_id, farewell)
