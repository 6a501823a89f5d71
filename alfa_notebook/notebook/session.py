"""The kernel's conversation with Alfa: its current thread, and a client built from the settings.

Consecutive ``%%alfa`` cells continue one thread until ``--new``, ``--thread`` or ``%alfa new``.
A change of ``api_version``, ``base_url`` or ``api_key`` points at another service, so it drops the
client and forgets the thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .errors import short

if TYPE_CHECKING:  # the client (and httpx) is imported when first needed: %load_ext stays cheap
    from ..client import AlfaClient, AsyncAlfaClient
    from ..wire.models import Thread

Configured = Callable[[], Mapping[str, Any]]


class Session:
    """What ``%%alfa`` remembers between cells. ``configured`` returns the ``%config`` values."""

    def __init__(self, configured: Configured) -> None:
        self._configured = configured
        self._client: AlfaClient | None = None
        self.thread_id: str | None = None
        self.thread_name: str | None = None

    def client(self) -> AlfaClient:
        """The blocking client, built on first use from the settings of the moment."""
        if self._client is None:
            from ..client import AlfaClient

            self._client = AlfaClient._create(configured=self._configured())
        return self._client

    def async_client(self) -> AsyncAlfaClient:
        """A new awaitable client, for one background answer; the caller closes it.

        Not cached: an async HTTP pool belongs to the event loop it was opened on.
        """
        from ..client import AsyncAlfaClient

        return AsyncAlfaClient._create(configured=self._configured())

    def reset(self) -> None:
        """The settings changed: a new client next time, and no current thread."""
        if self._client is not None:
            self._client.close()
            self._client = None
        self.thread_id = self.thread_name = None

    def use(self, thread_id: str | None, name: str | None = None) -> None:
        self.thread_id, self.thread_name = thread_id, name

    def start_thread(self, name: str) -> str:
        """Create a thread now and make it current."""
        thread = self.client().threads.create(name)
        self.use(thread.id, name)
        return thread.id

    def thread_for(self, question: str) -> str:
        """The current thread, started (named after ``question``) if there is none yet."""
        from ..client import thread_name

        return self.thread_id or self.start_thread(thread_name(question))

    def resolve(self, id_or_name: str) -> Thread:
        """The thread whose id, or else whose name, is ``id_or_name``; an ambiguous name is an error."""
        wanted = id_or_name.strip()
        threads = self.client().threads.list()
        by_id = [t for t in threads if t.id == wanted]
        if by_id:
            return by_id[0]
        by_name = [t for t in threads if t.name == wanted] or [
            t for t in threads if (t.name or "").casefold() == wanted.casefold()
        ]
        if len(by_name) == 1:
            return by_name[0]
        if by_name:
            ids = ", ".join(t.id for t in by_name)
            raise short(LookupError(f"{len(by_name)} threads are named {wanted!r} ({ids}): pass the id instead."))
        raise short(LookupError(f"No thread has the id or name {wanted!r}; `%alfa threads` lists them."))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
