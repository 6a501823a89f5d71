"""Emulator-only fault options: parsed from ``--fault KEY=VALUE`` and the ``X-Alfa-Emulator`` header.

Server-wide options (from the CLI) are the defaults; a request's header overrides them key by key.
Faults that would break every retry (the one-shot faults: ``status``, ``slow_first_byte``,
``reset_after_processing``, ``drop_after``, ``stall``) fire only for the first ``times`` matching
requests, counted per distinct option string, so a client's retry or reconnect with the same
header gets through; ``on=`` restricts them to the named endpoints (``endpoints.py``).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .defaults import CONTROL_HEADER
from .endpoints import NAMES, Endpoint, endpoint_of
from .ratelimit import RateLimiter, RateLimits, parse_rate_limits

DROP_CONNECTION = "alfa_emulator.drop_connection"
"""Scope key of a callable that resets the request's connection (set by the Emulator's server)."""


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError("must be >= 0")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not value >= 0:  # also rejects NaN
        raise ValueError("must be >= 0")
    return value


def _status(text: str) -> int:
    status = HTTPStatus(int(text))
    if status < 400:
        raise ValueError("must be an HTTP error status such as 429 or 503")
    return int(status)


def _busy_status(text: str) -> int:
    if text not in ("409", "400"):
        raise ValueError("must be 409 or 400")
    return int(text)


def _seconds_or_none(text: str) -> float | None:
    return None if text.lower() == "none" else _seconds(text)


def _endpoints(text: str) -> frozenset[str]:
    names = frozenset(name.strip() for name in text.split(",") if name.strip())
    unknown = sorted(names - set(NAMES))
    if unknown or not names:
        raise ValueError(f"unknown endpoint {', '.join(unknown) or '(none)'} (known: {', '.join(NAMES)})")
    return names


def _flag(text: str) -> bool:
    if text not in ("0", "1"):
        raise ValueError("must be 0 or 1")
    return text == "1"


_PARSERS: dict[str, Callable[[str], object]] = {
    "drop_after": _count,
    "stall": _seconds,
    "stall_after": _count,
    "slow_first_byte": _seconds,
    "status": _status,
    "retry_after": _seconds_or_none,
    "reset_after_processing": _flag,
    "on": _endpoints,
    "rate_limit": parse_rate_limits,
    "times": _count,
    "malformed": _count,
    "duplicate": _count,
    "ping": _seconds,
    "chunk_delay": _seconds,
    "words": _count,
    "error": _flag,
    "hostile": _flag,
    "settle_ms": _count,
    "history_lag_ms": _count,
    "busy_status": _busy_status,
    "tag": str,  # no effect: it makes an option string, and so its one-shot faults, distinct
}


@dataclass(frozen=True)
class Controls:
    """The options in force for one request (server-wide defaults merged with its header)."""

    drop_after: int | None = None
    stall: float | None = None
    stall_after: int = 0
    slow_first_byte: float | None = None
    status: int | None = None
    retry_after: float | None = 1.0
    """The ``Retry-After`` of an injected status; None (``retry_after=none``): no header."""
    reset_after_processing: bool = False
    """Let the endpoint run (a thread is created, a message accepted and its turn started), then
    reset the connection without a byte of response: the client cannot know the outcome."""
    on: frozenset[str] | None = None
    """The endpoints the one-shot faults apply to (None: every request)."""
    times: int = 1
    malformed: int = 0
    duplicate: int = 0
    ping: float = 15.0
    chunk_delay: float | None = None
    words: int | None = None
    error: bool = False
    hostile: bool = False
    """Hostile strings in every field emitted (:mod:`.hostile`): answers, logs, sources, names."""
    rate_limit: RateLimits | None = None
    """The account's rate limits (:mod:`.ratelimit`); None: unlimited."""
    settle_ms: int = 0
    """A real service's manner: the task still reads ``Running`` (and a new message is refused as
    busy) this long after its last event."""
    history_lag_ms: int = 0
    """A real service's manner: the history shows an answer this long after its turn ended."""
    busy_status: int = 409
    """How a busy thread refuses a message: 409, or 400 "Can't add messages ... while a run ... is active"."""
    tag: str = ""
    signature: str = ""
    """The canonical ``key=value;...`` string: the identity one-shot faults are counted by."""

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> Controls:
        """Validate raw options; raises ``ValueError`` naming the bad key."""
        values: dict[str, object] = {}
        for key, text in options.items():
            parser = _PARSERS.get(key)
            if parser is None:
                known = ", ".join(_PARSERS)
                raise ValueError(f"unknown emulator option {key!r} (known: {known})")
            try:
                values[key] = parser(text.strip())
            except ValueError as exc:
                raise ValueError(f"bad value for emulator option {key}={text!r}: {exc}") from None
        signature = ";".join(f"{key}={options[key].strip()}" for key in sorted(options))
        return cls(**values, signature=signature)  # type: ignore[arg-type]

    def options(self) -> dict[str, str]:
        """The raw options these controls were built from (for merging with a header)."""
        return dict(item.split("=", 1) for item in self.signature.split(";") if item)


MANNERS = ("settle_ms", "history_lag_ms", "busy_status")
"""The options that give the emulator a real service's manners (each off by default)."""
REALISTIC: Mapping[str, str] = {"settle_ms": "400", "history_lag_ms": "1500", "busy_status": "400"}
"""``--realistic``: a real service's manners, at plausible values (docs/emulator.md)."""


def parse_options(text: str) -> dict[str, str]:
    """Split ``key=value;key=value`` (the header's and ``--fault``'s syntax) into a mapping."""
    options: dict[str, str] = {}
    for item in text.split(";"):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"emulator option {item.strip()!r} is not KEY=VALUE")
        options[key.strip()] = value.strip()
    return options


def controls_for(defaults: Controls, header: str | None) -> Controls:
    """The controls of a request: the server-wide defaults overridden by its header."""
    if not header:
        return defaults
    return Controls.from_options({**defaults.options(), **parse_options(header)})


class FaultBook:
    """Remembers how often each one-shot fault has fired, per option string."""

    def __init__(self) -> None:
        self._fired: Counter[tuple[str, str]] = Counter()

    def claim(self, controls: Controls, fault: str, endpoint: Endpoint | None) -> bool:
        """Whether ``fault`` (set in ``controls``) applies to this request to ``endpoint``;
        counts it if so."""
        value = getattr(controls, fault)
        if value is None or value is False:
            return False
        if controls.on is not None and (endpoint is None or endpoint.name not in controls.on):
            return False
        key = (controls.signature, fault)
        if self._fired[key] >= controls.times:
            return False
        self._fired[key] += 1
        return True


class ControlsMiddleware:
    """Resolves each request's controls into ``request.state.controls`` (and its endpoint into
    ``request.state.endpoint``) and applies the faults that act around the endpoint: a slow first
    byte, an injected error status, and a reset after processing."""

    def __init__(self, app: ASGIApp, *, defaults: Controls, book: FaultBook) -> None:
        self.app = app
        self.defaults = defaults
        self.book = book

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            controls = controls_for(self.defaults, Headers(scope=scope).get(CONTROL_HEADER))
        except ValueError as exc:
            await JSONResponse({"detail": str(exc)}, status_code=400)(scope, receive, send)
            return
        endpoint = endpoint_of(scope["method"], scope["path"])
        state = scope.setdefault("state", {})
        state["controls"], state["endpoint"] = controls, endpoint
        if controls.slow_first_byte and self.book.claim(controls, "slow_first_byte", endpoint):
            await asyncio.sleep(controls.slow_first_byte)
        if controls.status and self.book.claim(controls, "status", endpoint):
            await _injected_error(controls)(scope, receive, send)
            return
        if (
            controls.reset_after_processing
            and endpoint is not None
            and endpoint.name != "stream"  # a stream never finishes processing: see drop_after
            and self.book.claim(controls, "reset_after_processing", endpoint)
        ):
            await self.app(scope, receive, _discard)
            await _drop_connection(scope)
            return
        await self.app(scope, receive, send)


async def _discard(message: Message) -> None:
    pass


async def _drop_connection(scope: Scope) -> None:
    drop: Callable[[], Awaitable[None]] | None = scope.get(DROP_CONNECTION)
    if drop is None:
        raise RuntimeError("reset_after_processing needs the Emulator's server (uvicorn)")
    await drop()


def _injected_error(controls: Controls) -> JSONResponse:
    assert controls.status is not None
    headers = {} if controls.retry_after is None else {"Retry-After": _header_seconds(controls.retry_after)}
    detail = HTTPStatus(controls.status).phrase
    return JSONResponse({"detail": detail}, status_code=controls.status, headers=headers)


def _header_seconds(seconds: float) -> str:
    return str(int(seconds)) if seconds.is_integer() else str(seconds)


class RateLimitMiddleware:
    """Refuses a request with 429 when its bucket's limit is spent (:mod:`.ratelimit`). Mounted
    after authentication: only requests with valid credentials count against the account."""

    def __init__(self, app: ASGIApp, *, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope.get("state", {})
        controls: Controls | None = state.get("controls")
        endpoint: Endpoint | None = state.get("endpoint")
        if scope["type"] == "http" and controls is not None and controls.rate_limit and endpoint is not None:
            refusal = self.limiter.check(controls.rate_limit, endpoint.bucket)
            if refusal is not None:
                response = JSONResponse(
                    {"detail": refusal.detail},
                    status_code=429,
                    headers={"Retry-After": str(refusal.retry_after)},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def stream_faults(controls: Controls, book: FaultBook, endpoint: Endpoint | None) -> Controls:
    """The controls of a stream GET, without the one-shot stream faults already spent."""
    return dataclasses.replace(
        controls,
        drop_after=controls.drop_after if book.claim(controls, "drop_after", endpoint) else None,
        stall=controls.stall if book.claim(controls, "stall", endpoint) else None,
    )
