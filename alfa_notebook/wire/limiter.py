"""The client's side of the service's rate limits: one limiter per client, shared by every ask,
batch and thread of it.

The service documents per-account limits: chat (sending a message) 1,000 requests a minute, the
other thread endpoints 10,000, the non-thread endpoints 20. The limiter lets one second's
worth of requests go at once and paces the rest evenly, so that at most N go in any window of the
limit's length: the service does not say how it counts (a sliding window, a fixed window, a token
bucket), and this is a schedule every reading admits. A leaky bucket that first allows a burst of
N, then N a minute, sends up to 2N in the first minute, which a sliding-window server refuses.

It learns the pace the service admits, as TCP learns a path's capacity: the configured limit is
a ceiling, not a promise (an account tier may have less, and two notebooks or a colleague's script
share the account's). A 429 pauses every request of the client to the same limit, not only the one
that met it, until its ``Retry-After`` has passed (the latest 429 says when: a later, shorter
``Retry-After`` shortens the pause); each limit is counted apart, so a 429 on chat does not hold a
cancel or a thread listing. A 429 also cuts the bucket's pace to 70 %, without a burst
(multiplicative decrease: the 429s that answer requests sent before the pause ends are the same
news, and cut it once); each answer admitted afterwards adds 2 % of the configured pace back
(additive increase), so the pace climbs linearly to the configured one unless the service refuses
again. Two clients of one account that each do this share the account's rate without knowing of
each other, as TCP flows share a link. The request that met the 429 is retried by the channel
in this limiter's first slot after the pause (not a pause later).

Why not aiolimiter, the well-kept asyncio leaky bucket: an ``AsyncLimiter`` belongs to one event
loop and is not thread-safe, while this limiter must be shared by the blocking client's calls (any
thread), its batches (on a private loop) and an async client's calls across ``asyncio.run()``s.
The arithmetic here is a few lines under a lock; waiting is done by the caller, with
``time.sleep`` or ``asyncio.sleep``.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .._public import publish
from .errors import ConfigurationError

CHAT, THREADS, OTHER = "chat", "threads", "other"
BUCKETS = (CHAT, THREADS, OTHER)

_UNITS = {"s": 1.0, "sec": 1.0, "second": 1.0, "min": 60.0, "minute": 60.0, "h": 3600.0, "hour": 3600.0}
_RATE = re.compile(r"(?P<requests>\d+(?:\.\d+)?)\s*/\s*(?P<count>\d+(?:\.\d+)?)?\s*(?P<unit>[a-z]+)")
_DECREASE = 0.7  # a 429 sets the bucket's pace to this share of what it was (multiplicative decrease)
_RECOVERY = 0.02  # each admitted answer then adds this share of the configured pace back (additive increase)
_SLOWEST = 0.01  # no pace below this share of the configured one


@dataclass(frozen=True)
class Rate:
    """``requests`` per ``per`` seconds."""

    requests: float
    per: float

    @property
    def burst(self) -> int:
        """Requests that may go at once: one second's worth (at least one)."""
        return max(1, int(self.requests / self.per))

    @property
    def interval(self) -> float:
        """Seconds between requests after the burst, such that the burst and the paced requests
        together stay within ``requests`` in any window of ``per`` seconds."""
        return self.per / max(self.requests - self.burst + 1, 1)

    def __str__(self) -> str:
        unit = "min" if self.per == 60 else "h" if self.per == 3600 else f"{self.per:g}s"
        return f"{self.requests:g}/{unit}"


RateLimits = Mapping[str, Rate]
DOCUMENTED: RateLimits = {CHAT: Rate(1000, 60.0), THREADS: Rate(10000, 60.0), OTHER: Rate(20, 60.0)}
"""The service's documented limits per account; an account tier may have others (``rate_limit=``)."""


def parse_rate_limit(spec: str | Mapping[str, float] | None) -> dict[str, Rate]:
    """The limits a ``rate_limit`` setting means.

    ``None`` or ``"documented"``: the documented limits. ``"off"``: none. ``"chat=600/min"``,
    ``"chat=600/min,threads=5000/min"`` (per ``s``, ``min``, ``h``, ``2s``, ...): those buckets
    changed, the others documented (``"off,chat=600/min"`` limits chat only). A mapping such as
    ``{"chat": 600}``: requests a minute.
    """
    limits = dict(DOCUMENTED)
    if spec is None:
        return limits
    if isinstance(spec, Mapping):
        for bucket, per_minute in spec.items():
            limits[_bucket(str(bucket), spec)] = _rate(float(per_minute), 60.0, spec)
        return limits
    for raw in str(spec).split(","):
        item = raw.strip().lower()
        if item in ("", "documented", "default"):
            continue
        if item in ("off", "none"):
            limits.clear()
            continue
        bucket, _, value = item.partition("=")  # no "=": no value, so no match
        match = _RATE.fullmatch(value.strip())
        unit = _UNITS.get(match.group("unit")) if match else None
        if match is None or unit is None:
            raise ConfigurationError(
                f"rate_limit {spec!r}: {raw.strip()!r} is not BUCKET=N/WINDOW such as 'chat=600/min' "
                f"(buckets: {', '.join(BUCKETS)}; or 'documented', or 'off')."
            )
        limits[_bucket(bucket.strip(), spec)] = _rate(
            float(match.group("requests")), float(match.group("count") or 1) * unit, spec
        )
    return limits


def _bucket(name: str, spec: object) -> str:
    if name not in BUCKETS:
        raise ConfigurationError(f"rate_limit {spec!r}: unknown bucket {name!r} (buckets: {', '.join(BUCKETS)}).")
    return name


def _rate(requests: float, per: float, spec: object) -> Rate:
    if not (requests > 0 and per > 0):
        raise ConfigurationError(f"rate_limit {spec!r}: a rate must be a positive number of requests.")
    return Rate(requests, per)


def bucket_of(method: str, route: str) -> str:
    """The limit a request counts against: sending a message is chat, any other ``/threads``
    route a thread endpoint, the rest (the token exchange) non-thread."""
    if method == "POST" and route == "/threads/{id}/messages":
        return CHAT
    return THREADS if route.startswith("/threads") else OTHER


class Limiter:
    """When each request may go. Thread-safe and loop-free: :meth:`reserve` claims a slot and says
    how long to wait for it; :meth:`wait` and :meth:`await_turn` do the waiting.

    Each bucket is a GCRA (the leaky bucket as a meter): a burst of :attr:`Rate.burst` requests,
    then one every :attr:`Rate.interval`; together never more than the rate's requests in any
    window of its length. What the service answers moves the pace below that (:meth:`observe`)."""

    def __init__(self, limits: RateLimits, *, max_pause: float, clock: Callable[[], float] = time.monotonic) -> None:
        """``max_pause``: the longest ``Retry-After`` the channel waits for (the ``rate_limit_wait``
        setting; a longer one is raised to the caller, so it pauses nothing)."""
        self.limits = dict(limits)
        self._clock = clock
        self._max_pause = max_pause
        self._lock = threading.Lock()
        self._interval = {bucket: rate.interval for bucket, rate in self.limits.items()}
        self._burst = {bucket: rate.burst for bucket, rate in self.limits.items()}
        self._due: dict[str, float] = {}  # each bucket's theoretical arrival time
        self._paused_until: dict[str, float] = {}  # per bucket: until when a 429 holds it
        self._slowed_until: dict[str, float] = {}  # 429s before this answer the pace already slowed
        self.throttled = 0  # 429s met: how often the service said we went too fast

    def reserve(self, bucket: str) -> float:
        """Claim ``bucket``'s next slot; the seconds until it (0: go now)."""
        with self._lock:
            now = self._clock()
            start = max(now, self._paused_until.get(bucket, 0.0))
            interval = self._interval.get(bucket)
            if interval is None:
                return start - now
            due = max(self._due.get(bucket, start), start)
            slot = max(start, due - (self._burst[bucket] - 1) * interval)
            self._due[bucket] = max(due, slot) + interval
            return slot - now

    def paused(self, bucket: str | None = None) -> float:
        """Seconds left of the pause a 429 put on ``bucket`` (None: on any bucket; 0: none in
        force). A batch's progress view reads it to say why nothing moves."""
        with self._lock:
            until = (
                max(self._paused_until.values(), default=0.0) if bucket is None else self._paused_until.get(bucket, 0.0)
            )
            return max(0.0, until - self._clock())

    def wait(self, bucket: str) -> None:
        """Block until a request to ``bucket`` may go; a pause that began meanwhile is waited out
        and the request queued again, once."""
        for _ in range(2):
            delay = self.reserve(bucket)
            if delay > 0:
                time.sleep(delay)
            paused = self.paused(bucket)
            if not paused:
                return
            time.sleep(paused)

    async def await_turn(self, bucket: str) -> None:
        """:meth:`wait`, awaitable."""
        import asyncio  # here, not at the top: the settings import this module, and %load_ext them

        for _ in range(2):
            delay = self.reserve(bucket)
            if delay > 0:
                await asyncio.sleep(delay)
            paused = self.paused(bucket)
            if not paused:
                return
            await asyncio.sleep(paused)

    def observe(self, bucket: str, status: int, retry_after: float | None) -> None:
        """Learn from a response. A 429 pauses every request to ``bucket`` for its ``Retry-After``
        (1 s if it gives none; the latest 429 sets the pause, longer or shorter; a wait longer than
        the channel keeps is no pause: the request fails saying how long) and cuts ``bucket``'s
        pace to 70 %, without a burst (the 429s that answer requests sent before the pause ends are
        the same news, and cut it once). Each admitted answer then adds 2 % of the configured pace
        back, up to it (which brings the burst back)."""
        if status != 429 and self._interval.get(bucket) == self._configured(bucket):
            return  # the hot path: nothing to learn
        with self._lock:
            now = self._clock()
            interval, configured = self._interval.get(bucket), self._configured(bucket)
            if status == 429:
                self.throttled += 1
                wait = 1.0 if retry_after is None else retry_after
                if wait > self._max_pause:  # not waited for: the request fails, saying how long
                    return
                self._paused_until[bucket] = now + wait
                if interval is not None and configured is not None and now >= self._slowed_until.get(bucket, 0.0):
                    self._burst[bucket] = 1
                    self._interval[bucket] = min(interval / _DECREASE, configured / _SLOWEST)
                    self._slowed_until[bucket] = now + wait
            elif interval is not None and configured is not None and status < 400:
                self._interval[bucket] = max(configured, 1 / (1 / interval + _RECOVERY / configured))
                if self._interval[bucket] == configured:  # back to its pace: its burst too
                    self._burst[bucket] = self.limits[bucket].burst

    def _configured(self, bucket: str) -> float | None:
        rate = self.limits.get(bucket)
        return None if rate is None else rate.interval

    def rate(self, bucket: str) -> float | None:
        """The pace ``bucket`` is held to now, in requests a second (None: unlimited)."""
        interval = self._interval.get(bucket)
        return None if interval is None else 1.0 / interval

    def __repr__(self) -> str:
        limits = ", ".join(f"{b}={r}" for b, r in self.limits.items()) or "off"
        return f"<Limiter {limits}>"


publish(__name__)  # last: the public names above report alfa_notebook as their module
