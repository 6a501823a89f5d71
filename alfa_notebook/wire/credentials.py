"""The v2 credential: an OAuth 2.0 token exchange, sent through the channel like every call."""

from __future__ import annotations

from typing import Any

from .._public import publish
from . import operations as ops
from .channel import SyncChannel
from .settings import Secret, resolve_settings


def exchange_token(
    subject_token: str,
    *,
    client_id: str,
    client_secret: str,
    base_url: str = "https://sandbox.api.boosted.ai",
    scope: str | None = "thread",
    timeout: float = 30.0,
    max_retries: int | None = None,
) -> Secret:
    """OAuth 2.0 token exchange (RFC 8693) for the v2 API: a partner JWT in, an access token out.

    Retried as the clients retry (a 429 or 503 was not processed); ``max_retries`` as for them."""
    data = {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "subject_token": subject_token,
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "client_id": client_id,
        "client_secret": client_secret,
    }
    if scope:
        data["scope"] = scope
    settings = resolve_settings(base_url=base_url, api_version="v2", timeout=timeout, max_retries=max_retries, env={})
    op = ops.Operation(
        "POST",
        f"{settings.base_url}/oauth2/token",
        "/oauth2/token",
        _access_token,
        data=data,
        idempotent=False,
        authenticated=False,
    )
    channel = SyncChannel(settings)
    try:
        return channel.request(op)
    finally:
        channel.close()


def _access_token(body: Any) -> Secret:
    token = body["access_token"]
    if not isinstance(token, str) or not token.strip():
        raise ValueError("no access_token in the response")
    return Secret(token)


publish(__name__)  # last: the public names above report alfa_notebook as their module
