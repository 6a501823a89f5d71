"""One coalescing driver for every live view: updates bounded by time, not by chunk count.

The client calls ``on_event`` for every visible change of the turn, which for a long answer is
thousands of times. The driver publishes the first change at once, and the first words of the
answer at once too (they usually follow the "working" view by less than an interval, and they are
what the user waits for); then at most once every
``interval`` seconds: a change inside the interval only marks the view stale, and the next change
after it publishes the whole state. Rendering therefore costs about ten renders a second however
finely the service chunks the text. :meth:`Coalescer.close` ends it; the sink's final output
replaces whatever was published last.

Blocking asks need no thread for this: the clock is read in ``on_event``. Without a timer a change
that arrives just after a publication waits for the next event (or the end); on the kernel's event
loop (``--background``) ``call_later`` publishes it when the interval ends.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..events import Event
from ..turn import Turn

INTERVAL = 0.1  # seconds: about ten updates a second

CallLater = Callable[[float, Callable[[], None]], Any]


class Coalescer:
    """``on_event`` for :meth:`AlfaClient.ask` that calls ``publish(turn)`` at a bounded rate."""

    def __init__(
        self,
        publish: Callable[[Turn], None],
        *,
        interval: float = INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        call_later: CallLater | None = None,
    ) -> None:
        self._publish = publish
        self._interval = interval
        self._clock = clock
        self._call_later = call_later
        self._last: float | None = None  # when the view was last published
        self._stale: Turn | None = None  # a turn whose latest change is not on screen yet
        self._timer: Any = None
        self._closed = False
        self._text_shown = False  # whether a publication has shown some of the answer's text
        self.publications = 0
        self.turn: Turn | None = None  # the turn followed, once an event came

    def __call__(self, event: Event | None, turn: Turn) -> None:
        self.turn = turn
        if self._closed:
            return
        now = self._clock()
        first_words = not self._text_shown and bool(turn.raw_text)
        if first_words or self._last is None or now - self._last >= self._interval:
            self._emit(turn, now)
            return
        self._stale = turn
        if self._call_later is not None and self._timer is None:
            self._timer = self._call_later(self._interval - (now - self._last), self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if self._stale is not None and not self._closed:
            self._emit(self._stale, self._clock())

    def _emit(self, turn: Turn, now: float) -> None:
        self._stale = None
        self._last = now
        self._text_shown = self._text_shown or bool(turn.raw_text)
        self.publications += 1
        self._publish(turn)

    def close(self) -> None:
        """Publish nothing more: the final output takes over."""
        self._closed = True
        self._stale = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
