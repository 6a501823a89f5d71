"""Per-account rate limits (docs/protocol.md, Rate limits), off unless asked for: ``--rate-limit`` or the
``rate_limit=`` emulator option.

The service documents three limits, "may be adjusted depending on account tier":

* chat: 1,000 requests a minute. The emulator's reading: sending a message
  (``POST /threads/{id}/messages``, the ``send_message`` endpoint) is the chat request.
* every other thread endpoint: 10,000 a minute (the stream counts once, when it connects);
* the non-thread endpoints: 20 a minute (in the emulator, only ``POST /oauth2/token``).

Each bucket is a sliding-window log: a request is admitted when fewer than N requests were
admitted in the last W seconds, so at most N pass in any window of W seconds, and a client that
saturates the limit gets exactly N per W. Refused requests are not counted. A refusal says, in
its ``Retry-After`` header, the whole seconds (rounded up, at least 1) until the oldest admitted
request leaves the window, so a client that waits that long finds a free slot unless another
request took it first. The emulator has one account: every request under the same limit for a
bucket shares that bucket's window, whatever its flavour or credentials.

Spec syntax: comma-separated ``BUCKET=N/WINDOW`` items, WINDOW being ``s``, ``min`` or ``h``
optionally preceded by a count (``600/min``, ``5/2s``, ``100/1.5min``); ``documented`` (the three
limits above, which later items may override: ``documented,chat=600/min``); ``off``.
"""

from __future__ import annotations

import math
import re
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .endpoints import BUCKETS, CHAT, OTHER, THREADS

_UNITS = {"s": 1.0, "sec": 1.0, "second": 1.0, "min": 60.0, "minute": 60.0, "h": 3600.0, "hour": 3600.0}
_ITEM = re.compile(r"(?P<requests>\d+)\s*/\s*(?P<count>\d+(?:\.\d+)?|\.\d+)?\s*(?P<unit>[a-z]+)")


@dataclass(frozen=True)
class Limit:
    requests: int
    window: float
    """Seconds."""

    def __str__(self) -> str:
        if self.window % 3600 == 0:
            count, unit = self.window / 3600, "h"
        elif self.window % 60 == 0:
            count, unit = self.window / 60, "min"
        else:
            count, unit = self.window, "s"
        return f"{self.requests}/{'' if count == 1 else f'{count:g}'}{unit}"

    def describe(self) -> str:
        return f"{self.requests:,} requests per {self.window:g} s"


DOCUMENTED: Mapping[str, Limit] = {CHAT: Limit(1000, 60.0), THREADS: Limit(10000, 60.0), OTHER: Limit(20, 60.0)}
"""The documented per-account limits (docs/protocol.md, Rate limits)."""


@dataclass(frozen=True)
class RateLimits:
    """The limit of each limited bucket; a bucket not listed is unlimited."""

    limits: Mapping[str, Limit] = field(default_factory=dict)

    def __str__(self) -> str:
        return ",".join(f"{bucket}={self.limits[bucket]}" for bucket in BUCKETS if bucket in self.limits) or "off"


def parse_rate_limits(spec: str) -> RateLimits:
    """``chat=600/min,threads=10000/min``, ``documented``, ``documented,chat=600/min`` or ``off``;
    raises ``ValueError`` saying what is wrong."""
    limits: dict[str, Limit] = {}
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        if item in ("documented", "default", "defaults"):
            limits.update(DOCUMENTED)
            continue
        if item in ("off", "none"):
            limits.clear()
            continue
        bucket, sep, value = item.partition("=")
        bucket = bucket.strip()
        if not sep or bucket not in BUCKETS:
            raise ValueError(
                f"{item!r} is not BUCKET=N/WINDOW with BUCKET one of {', '.join(BUCKETS)} (or 'documented', or 'off')"
            )
        match = _ITEM.fullmatch(value.strip().lower())
        unit = _UNITS.get(match.group("unit")) if match else None
        if match is None or unit is None:
            raise ValueError(f"{value.strip()!r} is not N/WINDOW, such as 600/min, 5/2s or 100/h")
        window = float(match.group("count") or 1) * unit
        requests = int(match.group("requests"))
        if requests < 1 or window <= 0:
            raise ValueError(f"{value.strip()!r}: the count and the window must be positive")
        limits[bucket] = Limit(requests, window)
    return RateLimits(limits)


class SlidingWindow:
    """At most ``limit.requests`` admissions in any ``limit.window`` seconds."""

    __slots__ = ("_admitted", "_limit")

    def __init__(self, limit: Limit) -> None:
        self._limit = limit
        self._admitted: deque[float] = deque()

    def admit(self, now: float) -> float | None:
        """None when admitted (and counted); otherwise the seconds until a slot frees."""
        admitted, window = self._admitted, self._limit.window
        while admitted and admitted[0] <= now - window:
            admitted.popleft()
        if len(admitted) < self._limit.requests:
            admitted.append(now)
            return None
        return admitted[0] + window - now


@dataclass(frozen=True)
class Refusal:
    bucket: str
    limit: Limit
    wait: float
    """Seconds until a slot frees (exact)."""

    @property
    def retry_after(self) -> int:
        """The ``Retry-After`` value: whole seconds, rounded up, at least 1."""
        return max(1, math.ceil(self.wait - 1e-9))

    @property
    def detail(self) -> str:
        return f"Rate limit exceeded: {self.bucket} allows {self.limit.describe()}; retry after {self.retry_after} s"


class RateLimiter:
    """The account's windows, one per bucket and limit. Runs on the server's event loop only."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[tuple[str, Limit], SlidingWindow] = {}

    def check(self, limits: RateLimits, bucket: str) -> Refusal | None:
        """Count a request to ``bucket``, or refuse it (then it is not counted)."""
        limit = limits.limits.get(bucket)
        if limit is None:
            return None
        window = self._windows.get((bucket, limit))
        if window is None:
            window = self._windows[(bucket, limit)] = SlidingWindow(limit)
        wait = window.admit(self._clock())
        return None if wait is None else Refusal(bucket, limit, wait)
