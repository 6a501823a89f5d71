"""Who may call: the v1 API key, v2 bearer tokens and the OAuth 2.0 token exchange (docs/protocol.md, Flavours).

The exchange checks the form like the real endpoint (grant type, subject token type, partner
credentials) but does not verify the subject JWT: any non-empty string is accepted.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .defaults import TOKEN_LIFETIME_SECONDS
from .validation import form_fields

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
SUBJECT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
ISSUED_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
DEFAULT_SCOPE = "thread"

V1_DETAIL = "Invalid or missing API key"
V2_DETAIL = "Invalid or missing bearer token"


class Credentials:
    def __init__(self, *, api_key: str, client_id: str, client_secret: str) -> None:
        self._api_key = api_key
        self._client_id = client_id
        self._client_secret = client_secret
        self._token_expiry: dict[str, float] = {}

    def accepts_api_key(self, headers: Headers) -> bool:
        return secrets.compare_digest(headers.get("x-api-key", ""), self._api_key)

    def accepts_bearer(self, headers: Headers) -> bool:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        expiry = self._token_expiry.get(token.strip())
        return scheme.lower() == "bearer" and expiry is not None and expiry > time.monotonic()

    async def exchange_token(self, request: Request) -> JSONResponse:
        """``POST /oauth2/token``."""
        fields = form_fields(
            await request.form(),
            required=("grant_type", "subject_token", "subject_token_type", "client_id", "client_secret"),
            optional=("scope",),
        )
        if fields["grant_type"] != GRANT_TYPE:
            return _oauth_error(400, "unsupported_grant_type", f"grant_type must be '{GRANT_TYPE}'")
        if fields["subject_token_type"] != SUBJECT_TOKEN_TYPE:
            return _oauth_error(400, "invalid_request", f"subject_token_type must be '{SUBJECT_TOKEN_TYPE}'")
        if not fields["subject_token"]:
            return _oauth_error(400, "invalid_request", "subject_token must not be empty")
        if not (
            secrets.compare_digest(fields["client_id"], self._client_id)
            and secrets.compare_digest(fields["client_secret"], self._client_secret)
        ):
            return _oauth_error(401, "invalid_client", "Invalid client credentials")
        token = secrets.token_urlsafe(32)
        self._token_expiry[token] = time.monotonic() + TOKEN_LIFETIME_SECONDS
        return JSONResponse(
            {
                "access_token": token,
                "expires_in": TOKEN_LIFETIME_SECONDS,
                "issued_token_type": ISSUED_TOKEN_TYPE,
                "scope": fields.get("scope") or DEFAULT_SCOPE,
                "token_type": "Bearer",
            }
        )


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    """RFC 6749 ``error``/``error_description``, plus the ``detail`` the rest of the API uses."""
    return JSONResponse(
        {"detail": description, "error": error, "error_description": description},
        status_code=status,
    )


class RequireCredential:
    """Refuses requests whose headers ``accepts`` rejects, with 401 and the flavour's detail."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        accepts: Callable[[Headers], bool],
        detail: str,
        challenge: str | None = None,
    ) -> None:
        self.app = app
        self.accepts = accepts
        self.detail = detail
        self.challenge = challenge

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.accepts(Headers(scope=scope)):
            headers = {"WWW-Authenticate": self.challenge} if self.challenge else None
            raise HTTPException(401, self.detail, headers=headers)
        await self.app(scope, receive, send)
