"""Every endpoint once: its request and how its answer is read. Both flavours share the paths
after their prefix; only authentication differs, and that is the channel's business."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Generic, TypeVar
from urllib.parse import quote

from .models import Artifact, History, Progress, Thread

T = TypeVar("T")

FileInput = str | os.PathLike[str] | bytes | IO[bytes]


@dataclass(frozen=True)
class Upload:
    """A file an ask sends to its thread before the question: read whole beforehand, so that every
    check happens before anything is sent and a retried request sends the same bytes."""

    name: str  # the file name the service sees, e.g. "holdings.csv"
    content: bytes = field(repr=False)
    origin: str  # what it was made from, for the user: "DataFrame holdings", "file q2.pdf"

    @property
    def digest(self) -> str:
        """The content's SHA-256, by which a cassette tells one upload from another."""
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class Operation(Generic[T]):
    method: str
    path: str  # after the flavour's prefix, ids quoted (an absolute URL for calls outside the API root)
    route: str  # the path template, for logs that must not carry ids or queries
    parse: Callable[[Any], T]
    params: Mapping[str, Any] | None = None
    json: Any = None
    data: Mapping[str, str] | None = None
    files: Callable[[], Mapping[str, Any]] | None = field(default=None, repr=False)
    idempotent: bool = True
    authenticated: bool = True  # False only for the token exchange, which obtains the credential


def _seg(value: str) -> str:
    """Path segments are quoted so an id can never walk to another endpoint."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"an id must be a non-empty string, not {value!r}")
    return quote(value, safe="")


def _success(body: Any) -> bool:
    return bool(body.get("success", True)) if isinstance(body, Mapping) else True


def list_threads() -> Operation[list[Thread]]:
    return Operation(
        "GET",
        "/threads",
        "/threads",
        lambda b: [Thread.from_raw(t) for t in b.get("threads", []) if isinstance(t, Mapping)],
    )


def create_thread(name: str) -> Operation[Thread]:
    return Operation(
        "POST", "/threads", "/threads", lambda b: _created(name, b), json={"thread_name": name}, idempotent=False
    )


def _created(name: str, body: Any) -> Thread:
    thread = Thread.from_raw({"thread_name": name, **body})
    if not thread.id:  # every later call needs it: refuse here, where the service is to blame
        raise ValueError("the new thread has no thread_id")
    return thread


def rename_thread(thread_id: str, name: str) -> Operation[bool]:
    return Operation("PATCH", f"/threads/{_seg(thread_id)}", "/threads/{id}", _success, json={"name": name})


def delete_thread(thread_id: str) -> Operation[bool]:
    return Operation("DELETE", f"/threads/{_seg(thread_id)}", "/threads/{id}", _success)


def list_messages(
    thread_id: str,
    *,
    start_index: int = 0,
    limit_num: int | None = None,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
) -> Operation[History]:
    params: dict[str, Any] = {"start_index": start_index}
    if limit_num is not None:
        params["limit_num"] = limit_num
    for key, value in (("start", start), ("end", end)):
        if value is not None:
            params[key] = value.isoformat() if isinstance(value, datetime) else value
    return Operation(
        "GET", f"/threads/{_seg(thread_id)}/messages", "/threads/{id}/messages", History.from_raw, params=params
    )


def send_message(thread_id: str, text: str, *, source_overrides: Mapping[str, Any] | None = None) -> Operation[Any]:
    data = {"message": text}
    if source_overrides is not None:
        data["source_overrides"] = json.dumps(source_overrides)  # the API wants a JSON string
    return Operation(
        "POST",
        f"/threads/{_seg(thread_id)}/messages",
        "/threads/{id}/messages",
        lambda b: b,
        data=data,
        idempotent=False,
    )


def progress(thread_id: str) -> Operation[Progress]:
    return Operation("GET", f"/threads/{_seg(thread_id)}/progress", "/threads/{id}/progress", Progress.from_raw)


def cancel(thread_id: str) -> Operation[bool]:
    # Cancelling twice is harmless, so it is retried like a read.
    return Operation("DELETE", f"/threads/{_seg(thread_id)}/task", "/threads/{id}/task", _success)


def upload(thread_id: str, file: FileInput, filename: str | None = None) -> Operation[str]:
    files = _file_part(file, filename)
    return Operation(
        "POST",
        f"/threads/{_seg(thread_id)}/files",
        "/threads/{id}/files",
        lambda b: str(b.get("file_id", "")),
        files=files,
        idempotent=False,
    )


def _file_part(file: FileInput, filename: str | None) -> Callable[[], Mapping[str, Any]]:
    """A factory, so the body can be rebuilt if the request is sent again."""
    if isinstance(file, (str, os.PathLike)):
        path = Path(file)
        if path.is_dir():
            raise IsADirectoryError(f"{str(path)!r} is a directory: attach one file (zip the folder to send it all).")
        if not path.is_file():
            raise FileNotFoundError(f"No file to attach at {str(path)!r}.")
        return lambda: {"file": (filename or path.name, path.read_bytes())}
    if isinstance(file, bytes):
        return lambda: {"file": (filename or "upload.bin", file)}
    name = filename or Path(getattr(file, "name", "upload.bin")).name
    return lambda: {"file": (name, file)}


def get_artifact(thread_id: str, artifact_id: str, *, message_id: str | None = None) -> Operation[Artifact]:
    return Operation(
        "GET",
        f"/threads/{_seg(thread_id)}/artifacts/{_seg(artifact_id)}",
        "/threads/{id}/artifacts/{artifact_id}",
        lambda b: Artifact.from_raw(
            str(b.get("artifact_id") or artifact_id), b.get("artifact", b), thread_id=thread_id, message_id=message_id
        ),
    )


def stream_path(thread_id: str) -> str:
    return f"/threads/stream/{_seg(thread_id)}"
