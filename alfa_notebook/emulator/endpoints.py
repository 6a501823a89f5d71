"""The emulator's endpoints by name: the one table read by the routes (``api.py``), by fault
targeting (the ``on=`` option) and by the rate limiter (each endpoint's bucket).

The names are the handlers' names, so ``on=send_message`` is ``POST /threads/{id}/messages`` in
either flavour. Paths are relative to a flavour's prefix, except the token endpoint's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    bucket: str
    """The rate-limit bucket: ``chat`` (sending a message), ``threads`` (every other thread
    endpoint) or ``other`` (the non-thread endpoints)."""
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(self.path))
        object.__setattr__(self, "pattern", re.compile(regex))


CHAT, THREADS, OTHER = "chat", "threads", "other"
BUCKETS = (CHAT, THREADS, OTHER)

THREAD_ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("list_threads", "GET", "/threads", THREADS),
    Endpoint("create_thread", "POST", "/threads", THREADS),
    Endpoint("stream", "GET", "/threads/stream/{thread_id}", THREADS),
    Endpoint("rename_thread", "PATCH", "/threads/{thread_id}", THREADS),
    Endpoint("delete_thread", "DELETE", "/threads/{thread_id}", THREADS),
    Endpoint("list_messages", "GET", "/threads/{thread_id}/messages", THREADS),
    Endpoint("send_message", "POST", "/threads/{thread_id}/messages", CHAT),
    Endpoint("progress", "GET", "/threads/{thread_id}/progress", THREADS),
    Endpoint("cancel_task", "DELETE", "/threads/{thread_id}/task", THREADS),
    Endpoint("upload_file", "POST", "/threads/{thread_id}/files", THREADS),
    Endpoint("get_artifact", "GET", "/threads/{thread_id}/artifacts/{artifact_id}", THREADS),
)
TOKEN = Endpoint("token", "POST", "/oauth2/token", OTHER)

NAMES: tuple[str, ...] = (*(e.name for e in THREAD_ENDPOINTS), TOKEN.name)

_STREAM_ONLY = tuple(e for e in THREAD_ENDPOINTS if e.name == "stream")
_PREFIXES: tuple[tuple[str, tuple[Endpoint, ...]], ...] = (
    ("/client/v1", THREAD_ENDPOINTS),
    ("/v2", THREAD_ENDPOINTS),
    ("/client/assistant", _STREAM_ONLY),  # the stream's alias, as the public API listing names it
    ("", (TOKEN,)),
)


def endpoint_of(method: str, path: str) -> Endpoint | None:
    """The endpoint a request is for, or None when no route serves it."""
    for prefix, endpoints in _PREFIXES:
        if prefix and not path.startswith(prefix + "/"):
            continue
        rest = path[len(prefix) :]
        for endpoint in endpoints:
            if endpoint.method == method and endpoint.pattern.fullmatch(rest):
                return endpoint
    return None
