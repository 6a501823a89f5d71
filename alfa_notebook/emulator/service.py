"""The emulator's behaviour behind its HTTP surface: threads, listeners, turns, credentials."""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass, field

from . import hostile
from .auth import Credentials
from .controls import Controls, FaultBook
from .defaults import DEFAULT_API_KEY, DEFAULT_CHUNK_DELAY, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from .engine import compose_answer, pad_to_words
from .events import CLOSE_FRAME
from .hub import Hub
from .market import sample_data
from .store import StoredMessage, Thread, ThreadStore, new_id, utc_now
from .turn import Turn


@dataclass(frozen=True)
class Settings:
    api_key: str = DEFAULT_API_KEY
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    chunk_delay: float = DEFAULT_CHUNK_DELAY
    faults: Controls = field(default_factory=Controls)
    """Server-wide fault options (``--fault``); a request's header overrides them."""


class Service:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.threads = ThreadStore()
        self.hub = Hub()
        self.faults = FaultBook()
        self.credentials = Credentials(
            api_key=settings.api_key,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
        )

    def start_turn(self, thread: Thread, question: str, controls: Controls) -> StoredMessage:
        """Record the user's message and start answering it; returns the recorded message."""
        earlier = thread.user_questions()
        asked = StoredMessage(message_id=new_id(), text=question, is_user=True, time=utc_now())
        thread.append(asked)
        files = hostile.files(thread.files) if controls.hostile else thread.files
        answer = compose_answer(question, earlier=earlier, files=files, data=sample_data())
        if controls.words:
            answer = pad_to_words(answer, controls.words)
        if controls.hostile:
            answer = hostile.answer(answer)
        thread.artifacts.update(answer.artifacts)
        chunk_delay = self.settings.chunk_delay if controls.chunk_delay is None else controls.chunk_delay
        thread.turn = Turn(
            thread,
            answer,
            publish=functools.partial(self.hub.publish, thread.thread_id),
            chunk_delay=chunk_delay,
            controls=controls,
        )
        thread.turn.start()
        return asked

    async def delete_thread(self, thread: Thread) -> None:
        self.threads.remove(thread.thread_id)
        if thread.turn is not None:
            await thread.turn.abort()
        self.hub.close(thread.thread_id, CLOSE_FRAME)

    async def shutdown(self) -> None:
        """End every stream and turn, so the server's connections can drain at once."""
        self.hub.close_all(CLOSE_FRAME)
        await asyncio.gather(*(thread.turn.abort() for thread in self.threads if thread.turn is not None))
