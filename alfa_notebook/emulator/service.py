"""The emulator's behaviour behind its HTTP surface: threads, listeners, turns, credentials.

The service owns the running turns (one at most per thread, by thread id); the store's records
know nothing of them, so ``store`` depends on nothing and ``turn`` on the store, not back.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

from . import hostile
from .auth import Credentials
from .controls import Controls, FaultBook
from .defaults import DEFAULT_API_KEY, DEFAULT_CHUNK_DELAY, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from .engine import compose_answer
from .events import CLOSE_FRAME
from .hub import Hub
from .market import sample_data
from .padding import pad_to_words
from .ratelimit import RateLimiter
from .sources import ALL_ON, NO_OVERRIDES, SourceOverrides, Sources
from .store import StoredMessage, Thread, ThreadStore, new_id, utc_now
from .turn import Turn


@dataclass(frozen=True)
class Settings:
    api_key: str = DEFAULT_API_KEY
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    chunk_delay: float = DEFAULT_CHUNK_DELAY
    faults: Controls = field(default_factory=Controls)
    """Server-wide fault options (``--fault``, ``--rate-limit``); a request's header overrides them."""


@dataclass(frozen=True)
class ThreadState:
    """One thread as the service holds it (for tests and demos: :meth:`Emulator.state`)."""

    thread_id: str
    name: str
    questions: tuple[str, ...]
    """The user's messages, oldest first."""
    answers: int
    """How many assistant messages the history holds."""
    running: bool
    """Whether a turn is running in it."""
    busy_refusals: int = 0
    """Messages refused as busy: with the questions, every POST of a message the thread met."""


@dataclass(frozen=True)
class ServiceState:
    threads: tuple[ThreadState, ...]
    """Oldest first."""
    default_sources: Mapping[str, str]
    """The account's default source settings (``update_default_settings`` changes them)."""
    requests: int = 0
    """HTTP requests received so far, on every route, whatever their outcome: a test that an
    argument is refused before anything is sent compares it before and after."""

    @property
    def thread_count(self) -> int:
        return len(self.threads)

    @property
    def user_message_count(self) -> int:
        return sum(len(t.questions) for t in self.threads)

    def thread(self, thread_id: str) -> ThreadState:
        return next(t for t in self.threads if t.thread_id == thread_id)


class Service:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.threads = ThreadStore()
        self.turns: dict[str, Turn] = {}
        """The running turn of each busy thread, by thread id."""
        self.hub = Hub()
        self.faults = FaultBook()
        self.limiter = RateLimiter()
        self.default_sources: Sources = ALL_ON
        self.requests = 0
        self.credentials = Credentials(
            api_key=settings.api_key,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
        )

    def running(self, thread: Thread) -> Turn | None:
        return self.turns.get(thread.thread_id)

    def start_turn(
        self,
        thread: Thread,
        question: str,
        controls: Controls,
        overrides: SourceOverrides = NO_OVERRIDES,
    ) -> StoredMessage:
        """Record the user's message and start answering it; returns the recorded message."""
        sources = self.default_sources.overridden(overrides.settings)
        if overrides.update_default:
            self.default_sources = sources
        earlier = thread.user_questions()
        asked = StoredMessage(message_id=new_id(), text=question, is_user=True, time=utc_now())
        thread.append(asked)
        files = hostile.files(thread.files) if controls.hostile else thread.files
        answer = compose_answer(question, earlier=earlier, files=files, data=sample_data(), sources=sources)
        if controls.words:
            answer = pad_to_words(answer, controls.words)
        if controls.hostile:
            answer = hostile.answer(answer)
        thread.artifacts.update(answer.artifacts)
        chunk_delay = self.settings.chunk_delay if controls.chunk_delay is None else controls.chunk_delay
        turn = Turn(
            thread,
            answer,
            publish=functools.partial(self.hub.publish, thread.thread_id),
            chunk_delay=chunk_delay,
            controls=controls,
            on_end=functools.partial(self._forget, thread.thread_id),
        )
        self.turns[thread.thread_id] = turn
        turn.start()
        return asked

    def _forget(self, thread_id: str, turn: Turn) -> None:
        if self.turns.get(thread_id) is turn:
            del self.turns[thread_id]

    async def delete_thread(self, thread: Thread) -> None:
        self.threads.remove(thread.thread_id)
        turn = self.running(thread)
        if turn is not None:
            await turn.abort()
        self.hub.close(thread.thread_id, CLOSE_FRAME)

    async def shutdown(self) -> None:
        """End every stream and turn, so the server's connections can drain at once."""
        self.hub.close_all(CLOSE_FRAME)
        await asyncio.gather(*(turn.abort() for turn in list(self.turns.values())))

    def state(self) -> ServiceState:
        return ServiceState(
            threads=tuple(
                ThreadState(
                    thread_id=t.thread_id,
                    name=t.name,
                    questions=tuple(t.user_questions()),
                    answers=sum(1 for m in t.messages if not m.is_user),
                    running=t.thread_id in self.turns,
                    busy_refusals=t.busy_refusals,
                )
                for t in self.threads
            ),
            default_sources=self.default_sources.as_json(),
            requests=self.requests,
        )
