"""HTTP for both clients: credentials, retries, error mapping, event streams.

The credential is added by a request hook, which httpx runs for every request it sends, redirects
included, and only when the request goes to the configured origin: a redirect elsewhere never
carries it, and it never sits in a client's default headers. Logs carry method, route template,
status, timing and the request id: no thread ids, queries, other headers or bodies.

Every attempt carries a fresh ``x-request-id`` (a UUID4: a retry is told apart from the attempt it
repeats). The service echoes it, on errors too, so the id on an error (``.request_id``, and in its
message) is what the service's logs know the request by.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable, Generator, Iterator, Mapping
from typing import Any, TypeVar, cast

import httpx
from httpx_sse import EventSource, SSEError

from . import errors
from .events import Event, decode
from .limiter import Limiter, bucket_of
from .operations import Operation, stream_path
from .outcomes import (
    REQUEST_ID,
    connection_error,
    parsed,
    response_request_id,
    sent_request_id,
    status_error,
    stream_error,
    tls_reason,
)
from .retry import (
    MAX_RETRY_AFTER,
    backoff,
    retry_after,
    should_retry_error,
    should_retry_status,
    throttled_delay,
)
from .settings import Settings

logger = logging.getLogger("alfa_notebook")

T = TypeVar("T")

_SENSITIVE = ("authorization", "x-api-key")
# One "send" step of an attempt plan; its outcome is a response or the channel error it raised.
_SEND = object()


def _auth_header(settings: Settings) -> tuple[str, str] | None:
    if settings.api_key is None:
        return None
    if settings.api_version == "v1":
        return "x-api-key", settings.api_key.reveal()
    return "authorization", f"Bearer {settings.api_key.reveal()}"


class _Credentials:
    """Adds the credential to requests for one origin, and strips it from any other."""

    def __init__(self, settings: Settings) -> None:
        self._origin = httpx.URL(settings.base_url)
        self._header = _auth_header(settings)

    def apply(self, request: httpx.Request) -> None:
        for name in _SENSITIVE:
            request.headers.pop(name, None)
        url = request.url
        if self._header and (url.scheme, url.host, url.port) == (
            self._origin.scheme,
            self._origin.host,
            self._origin.port,
        ):
            request.headers[self._header[0]] = self._header[1]


class _ChannelBase:
    """What the sync and async transports share: requests, retry decisions, error mapping."""

    def __init__(
        self,
        settings: Settings,
        *,
        headers: Mapping[str, str] | None = None,
        rng: random.Random | None = None,
        limiter: Limiter | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        # The scale of every ``deadline`` (the ask procedure's clock): injectable, so the deadline
        # rules are tested on a fake clock instead of against the wall.
        self._clock = clock
        self.limiter = (
            limiter if limiter is not None else Limiter(settings.rate_limit, max_pause=settings.rate_limit_wait)
        )
        # A credential among the caller's headers is never a default header of the clients: each
        # request would lose it (_Credentials), but the client objects would still hold it.
        self._headers = {k: v for k, v in (headers or {}).items() if k.lower() not in _SENSITIVE}
        self._rng = rng or random.Random()
        self._credentials = _Credentials(settings)

    @property
    def _address(self) -> str:
        return shown_url(self.settings.base_url)

    def _client_options(self, *, streams: bool = False) -> dict[str, Any]:
        """Streams and REST calls have a pool each, so neither can starve the other: an ask holds
        its stream while it posts, and with one shared pool of N, N asks holding streams would wait
        for ever for a connection to post on. The stream pool is unbounded (one connection per
        running ask: the caller's concurrency bounds it); a REST call never holds one connection
        while it waits for another, so its bounded pool always drains. Every request is built by
        the REST client (base URL, headers) with its attempt's timeouts (``_timed_request``): the
        stream client only sends."""
        if streams:
            return {"follow_redirects": True, "limits": httpx.Limits(max_connections=None, max_keepalive_connections=0)}
        return {
            "base_url": self.settings.api_root,
            "follow_redirects": True,
            "headers": {"user-agent": _user_agent(), **self._headers},
            "limits": httpx.Limits(max_connections=100, max_keepalive_connections=20),
        }

    def _stream_timeout(self) -> httpx.Timeout:
        s = self.settings
        return httpx.Timeout(s.timeout, connect=s.connect_timeout, read=s.stream_read_timeout)

    def _rest_timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self.settings.timeout, connect=self.settings.connect_timeout)

    def _require_key(self) -> None:
        if self.settings.api_key is None:
            names = " or ".join(self.settings.key_env_names())
            raise errors.ConfigurationError(
                f"No Alfa credential for api_version={self.settings.api_version!r}: set {names} in the "
                "environment, or pass api_key=... to the client.",
                setting="api_key",
            )

    def _retry_plan(
        self, op: Operation[Any], deadline: float | None = None
    ) -> Generator[object | float, Any, httpx.Response]:
        """The retry plan of one request: yields ``_SEND`` or a delay, receives each outcome.

        With a ``deadline`` (on the channel's clock), no wait that would end past it is begun: the
        error at hand is raised instead. A 429 is the service's pacing, not a failure: its retries
        do not count against ``max_retries`` (:func:`.retry.throttled_delay` bounds them)."""
        attempt = 0
        throttled, waited = 0, 0.0  # 429s met, and the seconds they asked to wait in all
        while True:
            started = self._clock()
            outcome = yield _SEND
            retries_left = attempt < self.settings.max_retries
            if isinstance(outcome, httpx.RequestError):  # TransportError, DecodingError, TooManyRedirects
                logger.debug(
                    "%s %s failed: %s (attempt %d, request id %s)",
                    op.method,
                    op.route,
                    type(outcome).__name__,
                    attempt + 1,
                    sent_request_id(outcome),
                )
                # A failed TLS handshake fails the same way every time: it is not retried.
                if retries_left and should_retry_error(outcome, idempotent=op.idempotent) and not tls_reason(outcome):
                    delay = backoff(attempt, self._rng)
                    if self._in_time(delay, deadline):
                        yield delay
                        attempt += 1
                        continue
                raise connection_error(outcome, op, self._address) from outcome
            response: httpx.Response = outcome
            logger.debug(
                "%s %s -> %d in %.0f ms (attempt %d, request id %s)",
                op.method,
                op.route,
                response.status_code,
                (self._clock() - started) * 1000,
                attempt + 1,
                response_request_id(response),
            )
            if response.status_code < 400:
                return response
            wait = retry_after(response.headers)
            if response.status_code == 429 and self.settings.max_retries > 0:
                paced = throttled_delay(wait, throttled, waited, self.settings.rate_limit_wait, self._rng)
                if paced is not None and self._in_time(paced, deadline):
                    yield paced
                    throttled, waited = throttled + 1, waited + paced
                    continue
                raise status_error(response, op, self._address)
            if (
                retries_left
                and should_retry_status(response.status_code, idempotent=op.idempotent)
                and (wait or 0) <= MAX_RETRY_AFTER
            ):
                delay = backoff(attempt, self._rng) if wait is None else wait
                if self._in_time(delay, deadline):
                    yield delay
                    attempt += 1
                    continue
            raise status_error(response, op, self._address)

    def _timed_request(self, op: Operation[Any], deadline: float | None, *, stream: bool = False) -> httpx.Request:
        """One attempt's request; its timeouts end at the ``deadline`` at the latest."""
        timeout = self._cut(self._stream_timeout() if stream else self._rest_timeout(), deadline)
        headers = {REQUEST_ID: str(uuid.uuid4())}  # a new one per attempt, retries included
        if stream:
            headers.update({"accept": "text/event-stream", "cache-control": "no-store"})
        return build_request(self.http, op, timeout=timeout, headers=headers)  # type: ignore[attr-defined]

    def _in_time(self, delay: float, deadline: float | None) -> bool:
        return deadline is None or self._clock() + delay < deadline

    def _cut(self, timeout: httpx.Timeout, deadline: float | None) -> httpx.Timeout:
        """``timeout`` with each phase cut to the time left before ``deadline``: an attempt never
        outlasts the answer it serves."""
        if deadline is None:
            return timeout
        left = max(deadline - self._clock(), 0.001)
        return httpx.Timeout(**{phase: left if t is None else min(t, left) for phase, t in timeout.as_dict().items()})

    def _retry_wait(self, bucket: str, outcome: Any, delay: float) -> float:
        """The wait before a retry: the plan's ``delay``, or after a 429, until the request's slot
        in the limiter's queue behind the pause (retries must not all go at once when it ends)."""
        if isinstance(outcome, httpx.Response) and outcome.status_code == 429:
            return max(delay, self.limiter.reserve(bucket))
        return delay

    def _observe(self, bucket: str, response: httpx.Response) -> None:
        """Tell the client's limiter what the service said of its pace."""
        self.limiter.observe(bucket, response.status_code, retry_after(response.headers))

    def _stream_operation(self, thread_id: str) -> Operation[None]:
        return Operation("GET", stream_path(thread_id), "/threads/stream/{id}", lambda b: None)


def build_request(client: httpx.Client | httpx.AsyncClient, op: Operation[Any], **extra: Any) -> httpx.Request:
    """``op`` as an httpx request of ``client`` (``extra``: headers, timeout), the one way the
    channel and the doctor turn an operation into a request."""
    return client.build_request(
        op.method,
        op.path,
        params=op.params,
        json=op.json,
        data=op.data,
        files=op.files() if op.files else None,
        **extra,
    )


def shown_url(base_url: str) -> str:
    """A URL as messages and reprs show it: without any user or password it may hold."""
    return str(httpx.URL(base_url).copy_with(userinfo=b""))


def _user_agent() -> str:
    from .._version import __version__

    return f"alfa-notebook/{__version__} httpx/{httpx.__version__}"


class SyncChannel(_ChannelBase):
    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
        rng: random.Random | None = None,
        limiter: Limiter | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(settings, headers=headers, rng=rng, limiter=limiter, clock=clock)
        hooks = {"request": [self._credentials.apply]}
        self.http = httpx.Client(transport=transport, event_hooks=hooks, **self._client_options())
        self.streams = httpx.Client(transport=transport, event_hooks=hooks, **self._client_options(streams=True))

    def request(self, op: Operation[T], *, deadline: float | None = None) -> T:
        if op.authenticated:
            self._require_key()
        response = self._send(op, lambda: self.http.send(self._timed_request(op, deadline)), deadline)
        return parsed(op, response)

    def _send(self, op: Operation[Any], send: Any, deadline: float | None = None) -> httpx.Response:
        plan = self._retry_plan(op, deadline)
        bucket, first = bucket_of(op.method, op.route), True
        outcome: Any = None
        while True:
            try:
                step = plan.send(outcome)
            except StopIteration as done:
                response: httpx.Response = done.value
                return response
            if step is _SEND:
                if first:  # a retry keeps its first attempt's slot (after a 429 it queues again: _retry_wait)
                    self.limiter.wait(bucket)
                    first = False
                try:
                    outcome = send()
                except httpx.RequestError as exc:
                    outcome = exc
                else:
                    self._observe(bucket, outcome)
                    if outcome.status_code >= 400:
                        outcome.read()
                        outcome.close()
            else:
                time.sleep(self._retry_wait(bucket, outcome, cast(float, step)))
                outcome = None

    def open_stream(self, thread_id: str, *, deadline: float | None = None) -> SyncEventStream:
        self._require_key()
        op = self._stream_operation(thread_id)
        response = self._send(
            op, lambda: self.streams.send(self._timed_request(op, deadline, stream=True), stream=True), deadline
        )
        return SyncEventStream(response)

    def close(self) -> None:
        self.http.close()
        self.streams.close()


class SyncEventStream:
    """An open event stream: iterate for typed events (pings and empty frames skipped)."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._sse = EventSource(response).iter_sse()

    def __iter__(self) -> Iterator[Event]:
        return self

    def __next__(self) -> Event:
        while True:
            try:
                sse = next(self._sse)
            except (httpx.RequestError, SSEError) as exc:  # a body that breaks, or is not what it says
                raise stream_error(exc, request_id=response_request_id(self.response)) from exc
            event = decode(sse.event, sse.data)
            if event is not None:
                return event

    def close(self) -> None:
        self.response.close()

    def __enter__(self) -> SyncEventStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncChannel(_ChannelBase):
    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
        rng: random.Random | None = None,
        limiter: Limiter | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(settings, headers=headers, rng=rng, limiter=limiter, clock=clock)
        self._transport = transport
        self._http = self._new_client()
        self._streams = self._new_client(streams=True)
        self._loop: asyncio.AbstractEventLoop | None = None

    def _new_client(self, *, streams: bool = False) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=self._transport,
            event_hooks={"request": [self._apply_credentials]},
            **self._client_options(streams=streams),
        )

    def _bind(self) -> None:
        """Keep the HTTP clients of the running event loop. Pooled connections belong to the loop
        that opened them, so a client used again under another loop (a second ``asyncio.run()``)
        starts fresh pools instead of failing with "Event loop is closed"."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not in a coroutine: nothing to bind to yet
            return
        if self._loop is None:
            self._loop = loop
        elif loop is not self._loop:
            logger.debug("event loop changed: starting new connection pools")
            # the old pools died with their loop
            self._http, self._streams, self._loop = self._new_client(), self._new_client(streams=True), loop

    @property
    def http(self) -> httpx.AsyncClient:
        """The REST client of the running event loop."""
        self._bind()
        return self._http

    @property
    def streams(self) -> httpx.AsyncClient:
        """The event streams' client of the running event loop."""
        self._bind()
        return self._streams

    async def _apply_credentials(self, request: httpx.Request) -> None:
        self._credentials.apply(request)

    async def request(self, op: Operation[T], *, deadline: float | None = None) -> T:
        if op.authenticated:
            self._require_key()
        response = await self._send(op, lambda: self.http.send(self._timed_request(op, deadline)), deadline)
        return parsed(op, response)

    async def _send(self, op: Operation[Any], send: Any, deadline: float | None = None) -> httpx.Response:
        plan = self._retry_plan(op, deadline)
        bucket, first = bucket_of(op.method, op.route), True
        outcome: Any = None
        while True:
            try:
                step = plan.send(outcome)
            except StopIteration as done:
                response: httpx.Response = done.value
                return response
            if step is _SEND:
                if first:  # a retry keeps its first attempt's slot (after a 429 it queues again: _retry_wait)
                    await self.limiter.await_turn(bucket)
                    first = False
                try:
                    outcome = await send()
                except httpx.RequestError as exc:
                    outcome = exc
                else:
                    self._observe(bucket, outcome)
                    if outcome.status_code >= 400:
                        await outcome.aread()
                        await outcome.aclose()
            else:
                await asyncio.sleep(self._retry_wait(bucket, outcome, cast(float, step)))
                outcome = None

    async def open_stream(self, thread_id: str, *, deadline: float | None = None) -> AsyncEventStream:
        self._require_key()
        op = self._stream_operation(thread_id)
        response = await self._send(
            op, lambda: self.streams.send(self._timed_request(op, deadline, stream=True), stream=True), deadline
        )
        return AsyncEventStream(response)

    async def aclose(self) -> None:
        """Close the pools this transport holds, under whichever event loop opened them: not through
        ``http``/``streams``, which under another loop would open fresh pools and close those. Pools
        of a loop that has closed since cannot be closed through it; each is still closed as far as
        it can be, and its sockets are freed as that loop's transports are collected."""
        for client in (self._http, self._streams):
            try:
                await client.aclose()
            except RuntimeError:
                if self._loop is None or not self._loop.is_closed():
                    raise
                logger.debug("the pools' event loop has closed: their sockets are freed as it is collected")


class AsyncEventStream:
    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._sse = EventSource(response).aiter_sse()

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        while True:
            try:
                sse = await self._sse.__anext__()
            except (httpx.RequestError, SSEError) as exc:  # a body that breaks, or is not what it says
                raise stream_error(exc, request_id=response_request_id(self.response)) from exc
            event = decode(sse.event, sse.data)
            if event is not None:
                return event

    async def aclose(self) -> None:
        # The event parser is an async generator over the response's bytes: closed here, at once,
        # not left to the garbage collector, which may find it after its event loop has closed.
        # (Still being read by another task, it is ended by closing the response.)
        with contextlib.suppress(RuntimeError):
            await self._sse.aclose()
        await self.response.aclose()

    async def __aenter__(self) -> AsyncEventStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
