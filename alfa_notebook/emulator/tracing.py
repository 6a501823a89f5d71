"""Request tracing as Alfa Preview documents it: the ``x-request-id`` a caller sends comes back on
the response, success or error, and on an event stream in the headers before the first event.

A request without one (or with one the service would not take: over 128 characters, or other than
ASCII letters, digits, ``-`` and ``_``) gets a fresh UUID4, so every response carries an id.
"""

from __future__ import annotations

import re
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID = "x-request-id"
_VALID = re.compile(r"[A-Za-z0-9_-]{1,128}")


class RequestIdMiddleware:
    """Outermost layer: every response, whoever wrote it (a handler, an injected fault, a refusal
    of credentials or of the rate limit), carries the request's id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = Headers(scope=scope).get(REQUEST_ID, "")
        request_id = sent if _VALID.fullmatch(sent) else str(uuid.uuid4())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)
