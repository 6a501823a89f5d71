"""Emulator-only fault options: parsed from ``--fault KEY=VALUE`` and the ``X-Alfa-Emulator`` header.

Server-wide options (from the CLI) are the defaults; a request's header overrides them key by key.
Faults that would break every retry fire only for the first ``times`` matching requests, counted
per distinct option string, so a client's retry or reconnect with the same header gets through.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .defaults import CONTROL_HEADER


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
    "retry_after": _seconds,
    "times": _count,
    "malformed": _count,
    "duplicate": _count,
    "ping": _seconds,
    "chunk_delay": _seconds,
    "words": _count,
    "error": _flag,
    "hostile": _flag,
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
    retry_after: float = 1.0
    times: int = 1
    malformed: int = 0
    duplicate: int = 0
    ping: float = 15.0
    chunk_delay: float | None = None
    words: int | None = None
    error: bool = False
    hostile: bool = False
    """Hostile strings in every field emitted (:mod:`.hostile`): answers, logs, sources, names."""
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

    def claim(self, controls: Controls, fault: str) -> bool:
        """Whether ``fault`` (set in ``controls``) applies to this request; counts it if so."""
        if getattr(controls, fault) is None:
            return False
        key = (controls.signature, fault)
        if self._fired[key] >= controls.times:
            return False
        self._fired[key] += 1
        return True


class ControlsMiddleware:
    """Resolves each request's controls into ``request.state.controls`` and applies the faults
    that act before any endpoint runs: a slow first byte and an injected error status."""

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
        scope.setdefault("state", {})["controls"] = controls
        if controls.slow_first_byte and self.book.claim(controls, "slow_first_byte"):
            await asyncio.sleep(controls.slow_first_byte)
        if controls.status and self.book.claim(controls, "status"):
            await _injected_error(controls)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _injected_error(controls: Controls) -> JSONResponse:
    assert controls.status is not None
    retry_after = controls.retry_after
    header = str(int(retry_after)) if retry_after.is_integer() else str(retry_after)
    detail = HTTPStatus(controls.status).phrase
    return JSONResponse({"detail": detail}, status_code=controls.status, headers={"Retry-After": header})


def stream_faults(controls: Controls, book: FaultBook) -> Controls:
    """The controls of a stream GET, without the one-shot stream faults already spent."""
    return dataclasses.replace(
        controls,
        drop_after=controls.drop_after if book.claim(controls, "drop_after") else None,
        stall=controls.stall if book.claim(controls, "stall") else None,
    )
