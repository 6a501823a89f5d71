"""Plain httpx and httpx-sse helpers for driving the emulator in tests (deliberately not the
alfa_notebook client, so these tests pin the wire, not the client's reading of it)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx
from httpx_sse import EventSource, connect_sse

from alfa_notebook.emulator import CONTROL_HEADER

JSON = dict[str, Any]
T = TypeVar("T")

TERMINAL = {"complete", "cancelled", "error", "no_results_found"}
FOOTER = "_Emulator: synthetic sample data, not market data._"


def controls(options: str | None) -> dict[str, str]:
    return {CONTROL_HEADER: options} if options else {}


def is_turn_end(event: JSON) -> bool:
    return event["event_type"] == "execution_status" and event["status"].lower() in TERMINAL


class Listening:
    """An open stream, read event by event across several calls."""

    def __init__(self, source: EventSource) -> None:
        self.source = source
        self.frames = source.iter_sse()

    def until(self, stop: Callable[[list[JSON]], bool]) -> list[JSON]:
        """Events up to and including the one after which ``stop(events so far)`` holds."""
        events: list[JSON] = []
        for sse in self.frames:
            events.append(json.loads(sse.data)["event"])
            if stop(events):
                return events
        raise AssertionError(f"the stream ended first: {events[-3:]}")

    def turn(self) -> list[JSON]:
        """The rest of the current turn, up to and including its terminal ``execution_status``."""
        return self.until(lambda events: is_turn_end(events[-1]))


def of_type(events: list[JSON], event_type: str) -> list[JSON]:
    return [e for e in events if e["event_type"] == event_type]


def streamed_text(events: list[JSON]) -> str:
    return "".join(e["message_chunk"]["message"] for e in of_type(events, "message_chunk"))


def final_message(events: list[JSON]) -> JSON:
    (event,) = of_type(events, "message")
    message: JSON = event["message"]
    return message


def wait_until(probe: Callable[[], T], *, timeout: float = 5.0) -> T:
    """Poll observable state until ``probe`` returns something truthy, or fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s (last: {value!r})")
        time.sleep(0.01)


class Alfa:
    """One flavour of the emulator's threads API, over a plain ``httpx.Client``."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def new_thread(self, name: str = "test") -> str:
        response = self.http.post("/threads", json={"thread_name": name})
        response.raise_for_status()
        thread_id: str = response.json()["thread_id"]
        return thread_id

    @contextmanager
    def stream(self, thread_id: str, options: str | None = None, **kwargs: Any) -> Iterator[Listening]:
        """Open (the 200 is in hand on entry, so nothing sent afterwards can be missed)."""
        with connect_sse(
            self.http, "GET", f"/threads/stream/{thread_id}", headers=controls(options), **kwargs
        ) as source:
            source.response.raise_for_status()
            yield Listening(source)

    def send(self, thread_id: str, message: str, options: str | None = None) -> httpx.Response:
        return self.http.post(f"/threads/{thread_id}/messages", data={"message": message}, headers=controls(options))

    def ask(self, thread_id: str, question: str, options: str | None = None) -> list[JSON]:
        with self.stream(thread_id) as listening:
            self.send(thread_id, question, options).raise_for_status()
            return listening.turn()

    def answer(self, question: str, *, thread_id: str | None = None, options: str | None = None) -> JSON:
        """The ``message`` event of ``question``, asked in ``thread_id`` or a fresh thread."""
        return final_message(self.ask(thread_id or self.new_thread(), question, options))

    def progress(self, thread_id: str) -> JSON | None:
        progress: JSON | None = self.http.get(f"/threads/{thread_id}/progress").json()["progress_data"]
        return progress

    def history(self, thread_id: str, **params: Any) -> JSON:
        response = self.http.get(f"/threads/{thread_id}/messages", params=params)
        response.raise_for_status()
        body: JSON = response.json()
        return body

    def artifact(self, thread_id: str, artifact_id: str) -> JSON:
        response = self.http.get(f"/threads/{thread_id}/artifacts/{artifact_id}")
        response.raise_for_status()
        artifact: JSON = response.json()["artifact"]
        return artifact

    def artifacts_of(self, thread_id: str, text: str) -> list[JSON]:
        """The artifacts announced in ``text``, fetched, in order of announcement."""
        return [
            self.artifact(thread_id, artifact_id) for artifact_id in announced(text, "output_artifact", "artifact_id")
        ]


def inline_objects(text: str) -> list[JSON]:
    """Every ```` ```{...}``` ```` object in a message, parsed."""
    return [json.loads(body) for body in re.findall(r"```(\{.*?\})```", text)]


def announced(text: str, kind: str, key: str) -> list[str]:
    return [obj[key] for obj in inline_objects(text) if obj.get("type") == kind]
