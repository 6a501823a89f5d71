"""When to retry a request and how long to wait: pure arithmetic, shared by both clients.

The rules (docs/errors.md): a request the service provably did not process is retried whatever
its method: one that never left (the connection was refused or timed out), or one refused with
408, 429 or 503. A request whose outcome is unknown (the connection broke after sending, 502, 504,
a read timeout) is retried only when it is idempotent; a POST in that state is settled by the ask
procedure, which looks at the service's record before sending anything again (``steps.py``).
``Retry-After`` is honoured up to :data:`MAX_RETRY_AFTER`; a longer wait is not slept in a
notebook but raised, with ``retry_after`` saying how long.

A 429 is different: the service is answering, only asking the client to slow down. It is retried
however many times it comes (``max_retries`` does not count it) while the waits it asks for add up
to no more than the ``rate_limit_wait`` setting (default 120 s), and within an ask's deadline: a
batch then finishes every item against a limit lower than configured or shared with another
process, and a service that asks for longer is raised to the caller, saying how long.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Mapping

import httpx

MAX_RETRY_AFTER = 60.0
NOT_PROCESSED_STATUSES = frozenset({408, 429, 503})
"""The service refused the request before acting on it: safe to send again, whatever the method."""
UNKNOWN_OUTCOME_STATUSES = frozenset({502, 504})
"""A gateway gave up: the service behind it may or may not have acted on the request."""
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


def throttled_delay(
    wait: float | None, throttled: int, waited: float, bound: float, rng: random.Random
) -> float | None:
    """The wait before retrying a request refused with 429, the ``throttled``-th in a row after
    ``waited`` seconds of such waits: its ``Retry-After``, else a backoff. None when that would
    take the waits past ``bound`` seconds in all: the request then fails."""
    delay = backoff(throttled, rng) if wait is None else wait
    return delay if waited + delay <= bound else None


def _seconds(value: float) -> float:
    """A wait the server asked for: never negative; "nan" or "inf" is no wait the client can keep."""
    if not math.isfinite(value):
        raise ValueError(value)
    return max(value, 0.0)


def backoff(attempt: int, rng: random.Random, *, base: float = 0.5, cap: float = 8.0) -> float:
    """Exponential backoff with jitter: ``min(base * 2**attempt, cap)`` times U(0.75, 1)."""
    return min(base * 2.0**attempt, cap) * rng.uniform(0.75, 1.0)


def was_sent(error: httpx.RequestError) -> bool:
    """Whether any of the request may have reached the service before ``error``."""
    return not isinstance(error, _NOT_SENT)


def status_processed(status_code: int) -> bool | None:
    """What an error status says about the request: False, not processed (a client error, or
    refused as in :data:`NOT_PROCESSED_STATUSES`); None, it may have been (a server error)."""
    return False if status_code < 500 or status_code in NOT_PROCESSED_STATUSES else None


def should_retry_error(error: httpx.RequestError, *, idempotent: bool) -> bool:
    return not was_sent(error) or (
        idempotent and isinstance(error, (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError))
    )


def should_retry_status(status_code: int, *, idempotent: bool) -> bool:
    return status_code in NOT_PROCESSED_STATUSES or (idempotent and status_code in UNKNOWN_OUTCOME_STATUSES)
