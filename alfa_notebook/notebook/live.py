"""One coalescing driver for every live view: updates bounded by time, not by chunk count.

The client calls ``on_event`` for every visible change of the turn, which for a long answer is
thousands of times. The driver publishes the first change at once, and the first words of the
answer at once too (they usually follow the "working" view by less than an interval, and they are
what the user waits for); then at most once every ``interval`` seconds: a change inside the
interval only marks the view stale, and the next change or tick after it publishes the whole
state. Rendering therefore costs about ten renders a second however finely the service chunks the
text. :meth:`Coalescer.close` ends it; the sink's final output replaces whatever was published last.

A ticker keeps the view alive while nothing arrives: every ``tick`` seconds without a
publication it publishes the turn again, so the clock keeps counting through a stalled stream and
the status line can say that the client is reconnecting. Blocking asks tick on a small daemon
thread (the kernel's main thread is busy reading the stream); ``--background`` asks tick with the
event loop's ``call_later``, on the loop's own thread. Ticks and changes share the one budget.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable
from typing import Any

from ..turn.machine import Turn
from ..wire.events import Event

INTERVAL = 0.1  # seconds: about ten updates a second
TICK = 0.5  # seconds without a publication after which the view is redrawn anyway

CallLater = Callable[[float, Callable[[], None]], Any]


class Coalescer:
    """``on_event`` for :meth:`AlfaClient.ask` that calls ``publish(turn)`` at a bounded rate."""

    def __init__(
        self,
        publish: Callable[[Turn], None],
        *,
        interval: float = INTERVAL,
        tick: float | None = TICK,
        clock: Callable[[], float] = time.monotonic,
        call_later: CallLater | None = None,
    ) -> None:
        self._publish = publish
        self._interval = interval
        self._tick = tick
        self._clock = clock
        self._call_later = call_later
        self._lock = threading.RLock()  # the ticker thread and the caller's thread take turns
        self._last: float | None = None  # when the view was last published
        self._stale: Turn | None = None  # a turn whose latest change is not on screen yet
        self._timer: Any = None
        self._ticker: Any = None
        self._closed = False
        self._text_shown = False  # whether a publication has shown some of the answer's text
        self.publications = 0
        self.turn: Turn | None = None  # the turn followed, once an event came

    def __call__(self, event: Event | None, turn: Turn) -> None:
        with self._lock:
            self.turn = turn
            if self._closed:
                return
            now = self._clock()
            first_words = not self._text_shown and bool(turn.raw_text)
            if first_words or self._last is None or now - self._last >= self._interval:
                self._emit(turn, now)
            else:
                self._stale = turn
                if self._call_later is not None and self._timer is None:
                    self._timer = self._call_later(self._interval - (now - self._last), self._on_timer)
            if self._ticker is None and self._tick is not None:
                self._ticker = self._start_ticker(self._tick)

    def _on_timer(self) -> None:
        with self._lock:
            self._timer = None
            if self._stale is not None and not self._closed:
                self._emit(self._stale, self._clock())

    def _on_tick(self) -> None:
        """Redraw if nothing was published for a tick: the clock moves, a reconnect shows."""
        with self._lock:
            if self._closed or self.turn is None or self._last is None:
                return
            if self._clock() - self._last < (self._tick or 0) * 0.9:
                return
            try:
                self._emit(self._stale or self.turn, self._clock())
            except RuntimeError:  # the caller's thread changed the turn mid-render: the next tick shows it
                pass

    def _start_ticker(self, every: float) -> Any:
        if self._call_later is not None:
            return _LoopTicker(self._call_later, every, self._on_tick)
        return _ThreadTicker(every, self._on_tick)

    def _emit(self, turn: Turn, now: float) -> None:
        self._stale = None
        self._last = now
        self._text_shown = self._text_shown or bool(turn.raw_text)
        self.publications += 1
        self._publish(turn)

    def close(self) -> None:
        """Publish nothing more: the final output takes over."""
        with self._lock:
            self._closed = True
            self._stale = None
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            ticker, self._ticker = self._ticker, None
        if ticker is not None:  # outside the lock: a tick in progress may be waiting for it
            ticker.cancel()


class _ThreadTicker:
    """Calls ``tick`` every ``every`` seconds on a daemon thread until cancelled.

    The thread runs in a copy of the caller's context, so output it publishes belongs to the same
    cell as the caller's (ipykernel keeps the cell's parent message in a context variable).
    """

    def __init__(self, every: float, tick: Callable[[], None]) -> None:
        self._stop = threading.Event()
        context = contextvars.copy_context()

        def run() -> None:
            while not self._stop.wait(every):
                context.run(tick)

        self._thread = threading.Thread(target=run, name="alfa-live-ticker", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join()


class _LoopTicker:
    """Calls ``tick`` every ``every`` seconds with the event loop's ``call_later`` until cancelled."""

    def __init__(self, call_later: CallLater, every: float, tick: Callable[[], None]) -> None:
        self._call_later = call_later
        self._every = every
        self._tick = tick
        self._handle = call_later(every, self._run)

    def _run(self) -> None:
        self._tick()
        if self._handle is not None:
            self._handle = self._call_later(self._every, self._run)

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
