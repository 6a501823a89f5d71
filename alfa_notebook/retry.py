"""When to retry a request and how long to wait: pure arithmetic, shared by both clients.

Rules (client-anchors §8.2): a request that provably never left is always retried; an idempotent
one also on 408/429/502/503/504 and on a connection that broke before the answer; a message POST
never twice. ``Retry-After`` is honoured up to :data:`MAX_RETRY_AFTER`; a longer wait is not slept
in a notebook but raised, with ``retry_after`` saying how long.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Mapping

import httpx

MAX_RETRY_AFTER = 60.0
RETRYABLE_STATUSES = frozenset({408, 429, 502, 503, 504})
# Errors raised before a single byte of the request was sent.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds the server asked us to wait, from ``retry-after-ms`` or ``Retry-After``."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return _seconds(float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return _seconds(float(value))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_tz(value)
        when = None if parsed is None else email.utils.mktime_tz(parsed)
    except (ValueError, OverflowError, IndexError):  # a date out of range ("0 JAN 10000 0:0") is no date
        return None
    return None if when is None else max(when - (time.time() if now is None else now), 0.0)


def _seconds(value: float) -> float:
    """A wait the server asked for: never negative; "nan" or "inf" is no wait the client can keep."""
    if not math.isfinite(value):
        raise ValueError(value)
    return max(value, 0.0)


def backoff(attempt: int, rng: random.Random, *, base: float = 0.5, cap: float = 8.0) -> float:
    """Exponential backoff with jitter: ``min(base * 2**attempt, cap)`` times U(0.75, 1)."""
    return min(base * 2**attempt, cap) * rng.uniform(0.75, 1.0)


def should_retry_error(error: httpx.RequestError, *, idempotent: bool) -> bool:
    return isinstance(error, _NOT_SENT) or (
        idempotent and isinstance(error, (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError))
    )


NOT_PROCESSED = frozenset({429, 503})  # the service refused the request: resending cannot repeat it


def should_retry_status(status_code: int, *, idempotent: bool) -> bool:
    return status_code in NOT_PROCESSED or (idempotent and status_code in RETRYABLE_STATUSES)
