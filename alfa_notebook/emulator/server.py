"""``Emulator``: the emulator app served by uvicorn on a loopback port, in a background thread."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType

import httpx
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from .app import create_app
from .auth import GRANT_TYPE, SUBJECT_TOKEN_TYPE
from .controls import DROP_CONNECTION, MANNERS, REALISTIC, Controls
from .defaults import (
    DEFAULT_API_KEY,
    DEFAULT_CHUNK_DELAY,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_HOST,
)
from .service import ServiceState, Settings

_START_TIMEOUT = 10.0
_GRACEFUL_SHUTDOWN = 2  # seconds (uvicorn takes whole seconds)
"""Seconds uvicorn waits for requests still running at shutdown (a slow_first_byte sleep, a stall)."""
_WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}
_BACKLOG = 2048
"""Pending connections the listening socket queues: hundreds of clients may connect at once."""
_STATE_TIMEOUT = 10.0


class _ConnectionAccess:
    """Outermost ASGI layer: gives the app a way to reset the request's connection
    (``scope[DROP_CONNECTION]``, for ``reset_after_processing``). uvicorn's ``send`` is a method
    of the request's cycle, which holds the connection's transport."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        transport = getattr(getattr(send, "__self__", None), "transport", None)
        if scope["type"] == "http" and isinstance(transport, asyncio.Transport):
            scope[DROP_CONNECTION] = lambda: _reset(transport)
        await self.app(scope, receive, send)


async def _reset(transport: asyncio.Transport) -> None:
    """Close with a TCP RST (linger 0) and nothing sent; let uvicorn see the connection lost
    before the app returns, so it does not try to answer 500 on it."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    for _ in range(2):
        await asyncio.sleep(0)


class _Server(uvicorn.Server):
    """uvicorn with three additions: ``ready`` is set once it listens (or failed to), open streams
    and turns are ended before it drains connections (SSE streams would otherwise hold them), and
    ``exit_soon()`` stops it from another thread at once."""

    def __init__(self, config: uvicorn.Config, before_shutdown: Callable[[], Awaitable[None]]) -> None:
        super().__init__(config)
        self.ready = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._before_shutdown = before_shutdown

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        try:
            await super().startup(sockets=sockets)
        finally:
            self.ready.set()

    def exit_soon(self) -> None:
        """Tell the server to stop, and wake its event loop to see it: uvicorn reads
        ``should_exit`` on a timer, and a loop asleep until a timer computed on a clock that jumped
        (a fake clock another thread installed for a moment) would not see it for hours."""
        self.should_exit = True
        if self.loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: the server has stopped
                self.loop.call_soon_threadsafe(lambda: None)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await self._before_shutdown()
        await super().shutdown(sockets=sockets)


class Emulator:
    """A local Alfa server on loopback, for demos, tests and offline notebooks.

    ``with Emulator() as emu:`` starts it on a free port; ``emu.base_url`` and ``emu.api_key``
    serve the v1 flavour, ``emu.issue_token()`` returns a bearer token for v2. ``faults`` sets
    server-wide fault options (the keys of docs/protocol.md's "Emulator controls", for example
    ``{"drop_after": 5, "times": 2}``); ``rate_limit`` the account's rate limits (for example
    ``"chat=600/min"`` or ``"documented"``; docs/emulator.md). ``realistic=True`` gives it a real
    service's manners (a task that settles late, a history that lags, busy as 400); ``settle_ms``,
    ``history_lag_ms`` and ``busy_status`` set each. ``state()`` shows what the service holds
    (threads, their questions, running turns), for tests that count what a fault let through.
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = 0,
        api_key: str | None = None,
        *,
        chunk_delay: float = DEFAULT_CHUNK_DELAY,
        faults: Mapping[str, object] | None = None,
        rate_limit: str | None = None,
        realistic: bool = False,
        settle_ms: int | None = None,
        history_lag_ms: int | None = None,
        busy_status: int | None = None,
    ) -> None:
        self.host = host
        self._port = port
        options = dict(REALISTIC) if realistic else {}
        options.update({key: str(value) for key, value in (faults or {}).items()})
        manners = dict(zip(MANNERS, (settle_ms, history_lag_ms, busy_status)))
        options.update({key: str(value) for key, value in manners.items() if value is not None})
        if rate_limit is not None:
            options["rate_limit"] = rate_limit
        self._settings = Settings(
            api_key=api_key or DEFAULT_API_KEY,
            client_id=DEFAULT_CLIENT_ID,
            client_secret=DEFAULT_CLIENT_SECRET,
            chunk_delay=chunk_delay,
            faults=Controls.from_options(options),
        )
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._state: Callable[[], ServiceState] | None = None

    @property
    def api_key(self) -> str:
        return self._settings.api_key

    @property
    def client_id(self) -> str:
        return self._settings.client_id

    @property
    def client_secret(self) -> str:
        return self._settings.client_secret

    @property
    def port(self) -> int:
        """The port listened on (chosen by the OS when 0 was asked for)."""
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return self._port

    @property
    def base_url(self) -> str:
        host = _WILDCARDS.get(self.host, self.host)
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def start(self) -> Emulator:
        """Listen and serve; returns once the server accepts connections."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listener = socket.create_server((self.host, self._port), family=family, backlog=_BACKLOG)
        # create_server leaves proto 0, and asyncio sets TCP_NODELAY only on sockets whose proto
        # is IPPROTO_TCP: without it, Nagle holds each response's body until the client's delayed
        # ACK (~40 ms) on every request of a kept-alive connection after the first.
        listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, fileno=listener.detach())
        self._port = listener.getsockname()[1]
        app = create_app(self._settings)
        config = uvicorn.Config(
            _ConnectionAccess(app),
            lifespan="off",
            ws="none",
            log_config=None,
            backlog=_BACKLOG,
            limit_concurrency=None,  # no 503s under load: hundreds of open streams are normal
            timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN,
        )
        server = _Server(config, before_shutdown=app.state.service.shutdown)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, name="alfa-emulator", daemon=True)
        thread.start()
        if not server.ready.wait(_START_TIMEOUT) or not server.started:
            server.exit_soon()
            thread.join(_START_TIMEOUT)
            listener.close()
            raise RuntimeError(f"the Alfa emulator failed to start on {self.host}:{self._port}")
        self._server, self._thread = server, thread
        self._state = app.state.service.state
        return self

    def request_stop(self) -> None:
        """Ask the server to stop (end open streams and running turns, then close) and return at
        once: safe in a signal handler, which must not raise into a ``join`` (on CPython before
        3.13, an exception raised inside ``Thread.join`` marks the thread stopped while it runs)."""
        if self._server is not None:
            self._server.exit_soon()

    def stop(self, timeout: float | None = None) -> bool:
        """End open streams and running turns, then stop the server and its thread; returns whether
        it stopped within ``timeout`` seconds (None: wait as long as it takes)."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return True
        server.exit_soon()
        thread.join(timeout)
        if thread.is_alive():
            return False
        self._server = self._thread = None
        self._state = None
        return True

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the server stops, or ``timeout`` seconds; returns whether it has stopped."""
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def state(self) -> ServiceState:
        """A snapshot of the threads the service holds (their questions, answers, running turns)
        and the account's default sources, taken on the server's event loop."""
        server, state = self._server, self._state
        if server is None or server.loop is None or state is None:
            raise RuntimeError("the emulator is not running")

        async def snapshot() -> ServiceState:
            return state()

        return asyncio.run_coroutine_threadsafe(snapshot(), server.loop).result(_STATE_TIMEOUT)

    def issue_token(self, scope: str = "thread") -> str:
        """A v2 bearer token, obtained through the emulator's own ``POST /oauth2/token``."""
        response = httpx.post(
            f"{self.base_url}/oauth2/token",
            data={
                "grant_type": GRANT_TYPE,
                "subject_token": "emulator-user",
                "subject_token_type": SUBJECT_TOKEN_TYPE,
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "scope": scope,
            },
        )
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def controls(self) -> Controls:
        """The server-wide options in force (faults, rate limits, a real service's manners)."""
        return self._settings.faults

    def __repr__(self) -> str:
        where = self.base_url if self._server is not None else "stopped"
        return f"<Emulator {where}>"
