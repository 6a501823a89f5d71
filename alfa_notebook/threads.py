"""Thread management, ``client.threads``: list, create, rename, delete, read, cancel, upload,
one class per client kind, each call one operation sent through the client's caller.
"""

from __future__ import annotations

from datetime import datetime

from .turn.runners import AsyncCaller, SyncCaller
from .wire import operations as ops
from .wire.models import Artifact, History, Progress, Thread


class Threads:
    """Thread management: ``client.threads.list()``, ``.create(name)``, ..."""

    def __init__(self, caller: SyncCaller) -> None:
        self._t = caller

    def list(self) -> list[Thread]:
        return self._t.request(ops.list_threads())

    def create(self, name: str) -> Thread:
        return self._t.request(ops.create_thread(name))

    def rename(self, thread_id: str, name: str) -> bool:
        return self._t.request(ops.rename_thread(thread_id, name))

    def delete(self, thread_id: str) -> bool:
        return self._t.request(ops.delete_thread(thread_id))

    def messages(
        self,
        thread_id: str,
        start_index: int = 0,
        limit_num: int | None = None,
        *,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
    ) -> History:
        return self._t.request(
            ops.list_messages(thread_id, start_index=start_index, limit_num=limit_num, start=start, end=end)
        )

    def progress(self, thread_id: str) -> Progress:
        return self._t.request(ops.progress(thread_id))

    def cancel(self, thread_id: str) -> bool:
        return self._t.request(ops.cancel(thread_id))

    def upload(self, thread_id: str, file: ops.FileInput, filename: str | None = None) -> str:
        """Attach a file (a path, bytes or a binary file object) to the thread; returns its id."""
        return self._t.request(ops.upload(thread_id, file, filename))

    def artifact(self, thread_id: str, artifact_id: str) -> Artifact:
        return self._t.request(ops.get_artifact(thread_id, artifact_id))


class AsyncThreads:
    """Thread management, awaitable."""

    def __init__(self, caller: AsyncCaller) -> None:
        self._t = caller

    async def list(self) -> list[Thread]:
        return await self._t.request(ops.list_threads())

    async def create(self, name: str) -> Thread:
        return await self._t.request(ops.create_thread(name))

    async def rename(self, thread_id: str, name: str) -> bool:
        return await self._t.request(ops.rename_thread(thread_id, name))

    async def delete(self, thread_id: str) -> bool:
        return await self._t.request(ops.delete_thread(thread_id))

    async def messages(
        self,
        thread_id: str,
        start_index: int = 0,
        limit_num: int | None = None,
        *,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
    ) -> History:
        return await self._t.request(
            ops.list_messages(thread_id, start_index=start_index, limit_num=limit_num, start=start, end=end)
        )

    async def progress(self, thread_id: str) -> Progress:
        return await self._t.request(ops.progress(thread_id))

    async def cancel(self, thread_id: str) -> bool:
        return await self._t.request(ops.cancel(thread_id))

    async def upload(self, thread_id: str, file: ops.FileInput, filename: str | None = None) -> str:
        return await self._t.request(ops.upload(thread_id, file, filename))

    async def artifact(self, thread_id: str, artifact_id: str) -> Artifact:
        return await self._t.request(ops.get_artifact(thread_id, artifact_id))
