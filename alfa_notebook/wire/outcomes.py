"""What came back, as the caller reads it: a response body parsed into its operation's result, or
an error status or an httpx failure as the typed error (with what to do) it means.
"""

from __future__ import annotations

import re
import ssl
from typing import Any, TypeVar

import httpx

from . import errors
from .errors import with_request_id
from .operations import Operation
from .retry import (
    retry_after,
    status_processed,
    was_sent,
)

T = TypeVar("T")


REQUEST_ID = "x-request-id"


def response_request_id(response: httpx.Response) -> str | None:
    """The id the service knows a response's request by: the one it echoed, else the one sent."""
    echoed: str | None = response.headers.get(REQUEST_ID)
    if echoed:
        return echoed
    try:
        sent: str | None = response.request.headers.get(REQUEST_ID)
    except RuntimeError:  # a response built without a request (a test's stand-in)
        return None
    return sent


def sent_request_id(error: httpx.RequestError) -> str | None:
    """The id a request that got no response was sent with."""
    try:
        sent: str | None = error.request.headers.get(REQUEST_ID)
    except RuntimeError:  # raised before a request existed
        return None
    return sent


def parse_body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
        return response.text[:500] or None


def parsed(op: Operation[T], response: httpx.Response) -> T:
    """The operation's reading of a successful response; a body of another shape than the API
    documents (HTML from a proxy, a list for an object, a missing id) is a typed error."""
    try:
        return op.parse(parse_body(response))
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise errors.APIError(
            f"{op.method} {op.route} -> {response.status_code}, but the response is not what the API "
            f"documents ({type(exc).__name__}). Check base_url: is it the Alfa API's root?",
            method=op.method,
            path=op.route,
        ) from exc


def _detail(body: Any) -> str:
    """The service's own explanation, shortened: FastAPI writes ``{"detail": ...}``."""
    detail = body.get("detail", body) if isinstance(body, dict) else body
    if isinstance(detail, list):  # validation errors: [{"loc": [...], "msg": ...}]
        detail = "; ".join(
            f"{'.'.join(str(x) for x in d.get('loc', []) if x != 'body')}: {d.get('msg')}"
            if isinstance(d, dict)
            else str(d)
            for d in detail
        )
    text = "" if detail is None else str(detail)
    return text if len(text) <= 200 else text[:199] + "…"


_ADVICE = {
    401: "Check the key: ALFA_API_KEY for v1, ALFA_ACCESS_TOKEN for v2 (and that api_version matches it).",
    403: "The credential is valid but not allowed to do this; check its scopes or the thread's owner.",
    409: "The thread is busy with another answer: wait for it, or stop it with client.threads.cancel(thread_id).",
    422: "The request was malformed; this is probably a bug in alfa-notebook, please report it.",
}


def _not_found_advice(op: Operation[Any], base_url: str | None) -> str:
    """A 404 on a route without an id means nothing answers there: the address is wrong. On a
    route with one, that thread or artifact is unknown to the service."""
    if "{" not in op.route:
        where = f" ({base_url})" if base_url else ""
        return (
            f"Nothing answers at this address: check base_url{where} and api_version; "
            "it should be the Alfa API's root, such as https://alfa.boosted.ai."
        )
    what = "artifact" if "artifact" in op.route else "thread"
    return f"The {what} does not exist (it may have been deleted); client.threads.list() lists your threads."


def status_error(response: httpx.Response, op: Operation[Any], base_url: str | None = None) -> errors.APIStatusError:
    code = response.status_code
    body = parse_body(response)
    wait = retry_after(response.headers)
    detail = _detail(body)
    if code == 429:
        advice = f"Rate limited: retry in {wait:g} s." if wait is not None else "Rate limited: wait a little and retry."
    elif code == 404:
        advice = _not_found_advice(op, base_url)
    elif code >= 500:
        advice = "The service failed; retry shortly." + (f" It asked to wait {wait:g} s." if wait is not None else "")
    else:
        advice = _ADVICE.get(code, "")
    request_id = response_request_id(response)
    message = (
        f"{op.method} {op.route} -> {code}" + (f": {detail}" if detail else "") + (f". {advice}" if advice else "")
    )
    return errors.status_error_class(code)(
        with_request_id(message, request_id),
        status_code=code,
        body=body,
        method=op.method,
        path=op.route,
        request_id=request_id,
        retry_after=wait,
        processed=status_processed(code),
        detail=detail,
        advice=advice,
    )


def tls_reason(error: BaseException) -> str | None:
    """OpenSSL's words for a failed handshake (``[SSL: CERTIFICATE_VERIFY_FAILED] certificate
    verify failed: self-signed certificate``), found in the chain of causes; None if not TLS."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLError):
            return re.sub(r"\s*\(_ssl\.c:\d+\)$", "", str(current)) or type(current).__name__
        current = current.__cause__ or current.__context__
    text = str(error)
    return text if "[SSL" in text else None


def _tls_advice(reason: str) -> str:
    if "WRONG_VERSION_NUMBER" in reason or "record layer failure" in reason:
        return (
            "The server at this address does not speak TLS: if it is plain HTTP, base_url should start "
            "with http:// (allowed for this machine only)."
        )
    if "CERTIFICATE_VERIFY_FAILED" in reason:
        return (
            "Its certificate is not one the client trusts. If the service is reached through a corporate "
            "proxy or has a private certificate authority, set the environment variable SSL_CERT_FILE to a "
            "PEM file holding that CA's certificate, then make a new client."
        )
    return "Check base_url, and SSL_CERT_FILE if a private certificate authority is involved."


def connection_error(
    error: httpx.RequestError, op: Operation[Any], base_url: str | None = None
) -> errors.APIConnectionError:
    processed = False if not was_sent(error) else None
    request_id = sent_request_id(error)
    if isinstance(error, httpx.TimeoutException):
        phase = "connecting" if isinstance(error, httpx.ConnectTimeout) else "waiting for the response"
        return errors.APITimeoutError(
            with_request_id(
                f"{op.method} {op.route} timed out ({type(error).__name__}) {phase}. The service is slow or "
                "unreachable; retry, or allow more time: AlfaClient(timeout=...), ask(..., timeout=...).",
                request_id,
            ),
            method=op.method,
            path=op.route,
            processed=processed,
            request_id=request_id,
        )
    reason = tls_reason(error)
    if reason is not None:
        where = f" with {base_url}" if base_url else ""
        return errors.TLSError(
            with_request_id(
                f"{op.method} {op.route}: the TLS handshake{where} failed: {reason}. {_tls_advice(reason)}",
                request_id,
            ),
            reason=reason,
            method=op.method,
            path=op.route,
            request_id=request_id,
        )
    where = f" at {base_url}" if base_url else ""
    happened = "could not reach the service" if processed is False else "lost the connection to the service"
    return errors.APIConnectionError(
        with_request_id(
            f"{op.method} {op.route} {happened}{where} ({type(error).__name__}: {error}). "
            "Check the network and base_url.",
            request_id,
        ),
        method=op.method,
        path=op.route,
        processed=processed,
        request_id=request_id,
    )


def stream_error(
    error: Exception, route: str = "/threads/stream/{id}", request_id: str | None = None
) -> errors.APIConnectionError:
    """A stream that broke after it was open: timed out, cut off, or not an event stream at all."""
    if isinstance(error, httpx.TimeoutException):
        return errors.APITimeoutError(
            with_request_id(
                f"The event stream sent nothing for longer than the read timeout ({type(error).__name__}).",
                request_id,
            ),
            method="GET",
            path=route,
            request_id=request_id,
        )
    return errors.APIConnectionError(
        with_request_id(f"The event stream broke ({type(error).__name__}).", request_id),
        method="GET",
        path=route,
        request_id=request_id,
    )
