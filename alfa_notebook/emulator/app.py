"""The emulator's ASGI app: both flavours of the threads API and the token endpoint on one port.

=====================================  ==========================================
``/client/v1/...``                     v1, ``x-api-key``
``/v2/...``                            v2, ``Authorization: Bearer`` from below
``POST /oauth2/token``                 the token exchange (docs/protocol.md, Flavours)
``/client/assistant/threads/stream/``  the stream's alias (the path the public API listing names), v1 auth
=====================================  ==========================================

Both flavours share one store of threads. Middleware, outermost first: the request id's echo
(:mod:`.tracing`), the emulator controls (faults, :mod:`.controls`), then per mount the credentials, then the rate limits (only requests
with valid credentials count against the account).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .api import ThreadsApi
from .auth import V1_DETAIL, V2_DETAIL, RequireCredential
from .controls import ControlsMiddleware, RateLimitMiddleware
from .service import Service, Settings
from .tracing import RequestIdMiddleware
from .validation import HANDLERS


class _CountRequests:
    """Outermost: counts every HTTP request into ``service.requests`` (``Emulator.state()``)."""

    def __init__(self, app: ASGIApp, *, service: Service) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.service.requests += 1
        await self.app(scope, receive, send)


def create_app(settings: Settings | None = None) -> Starlette:
    """A fresh emulator (its own threads and tokens); ``app.state.service`` drives it."""
    service = Service(settings or Settings())
    api = ThreadsApi(service)
    credentials = service.credentials
    limited = Middleware(RateLimitMiddleware, limiter=service.limiter)
    api_key = [Middleware(RequireCredential, accepts=credentials.accepts_api_key, detail=V1_DETAIL), limited]
    bearer = [
        Middleware(RequireCredential, accepts=credentials.accepts_bearer, detail=V2_DETAIL, challenge="Bearer"),
        limited,
    ]
    stream_alias = Route("/threads/stream/{thread_id}", api.stream, methods=["GET"])
    app = Starlette(
        routes=[
            # endpoints.TOKEN; mounted so that the rate limit applies to it
            Mount(
                "/oauth2",
                routes=[Route("/token", credentials.exchange_token, methods=["POST"])],
                middleware=[limited],
            ),
            Mount("/client/v1", routes=api.routes(), middleware=api_key),
            Mount("/v2", routes=api.routes(), middleware=bearer),
            Mount("/client/assistant", routes=[stream_alias], middleware=api_key),
        ],
        middleware=[
            Middleware(_CountRequests, service=service),
            Middleware(RequestIdMiddleware),
            Middleware(ControlsMiddleware, defaults=service.settings.faults, book=service.faults),
        ],
        exception_handlers=HANDLERS,
    )
    app.state.service = service
    return app
