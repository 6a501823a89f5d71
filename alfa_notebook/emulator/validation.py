"""Request checks that fail the way the real service (a FastAPI app) fails.

Errors are ``{"detail": "..."}`` and validation errors are 422 with FastAPI's list of
``{"type", "loc", "msg", "input"}``, so clients meet the shapes they will meet in production.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from starlette.datastructures import FormData, QueryParams, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from .sources import SOURCE_KEYS, UPDATE_DEFAULT, VALUES, SourceOverrides

JSON = dict[str, Any]


class RequestValidationError(Exception):
    def __init__(self, errors: list[JSON]) -> None:
        super().__init__(errors)
        self.errors = errors


def _error(kind: str, loc: list[str | int], msg: str, value: Any, **ctx: Any) -> JSON:
    error: JSON = {"type": kind, "loc": loc, "msg": msg, "input": value}
    if ctx:
        error["ctx"] = ctx
    return error


def missing(where: str, field: str, value: Any = None) -> JSON:
    return _error("missing", [where, field], "Field required", value)


async def json_object(request: Request) -> JSON:
    """The request's JSON body, which must be an object."""
    raw = await request.body()
    if not raw:
        raise RequestValidationError([_error("missing", ["body"], "Field required", None)])
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise RequestValidationError(
            [_error("json_invalid", ["body", 0], "JSON decode error", {}, error=str(exc))]
        ) from None
    if not isinstance(body, dict):
        raise RequestValidationError(
            [
                _error(
                    "model_attributes_type",
                    ["body"],
                    "Input should be a valid dictionary or object to extract fields from",
                    body,
                )
            ]
        )
    return body


def required_string(body: JSON, field: str) -> str:
    """A required string field of a JSON body."""
    if field not in body:
        raise RequestValidationError([missing("body", field, body)])
    value = body[field]
    if not isinstance(value, str):
        raise RequestValidationError([_error("string_type", ["body", field], "Input should be a valid string", value)])
    return value


def form_fields(form: FormData, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, str]:
    """Text form fields: all ``required`` ones present, files refused where text is expected."""
    errors = [missing("body", field) for field in required if field not in form]
    values: dict[str, str] = {}
    for field in (*required, *optional):
        value = form.get(field)
        if isinstance(value, UploadFile):
            errors.append(_error("string_type", ["body", field], "Input should be a valid string", value.filename))
        elif value is not None:
            values[field] = value
    if errors:
        raise RequestValidationError(errors)
    return values


def form_file(form: FormData, field: str) -> UploadFile:
    value = form.get(field)
    if value is None:
        raise RequestValidationError([missing("body", field)])
    if not isinstance(value, UploadFile):
        raise RequestValidationError(
            [_error("value_error", ["body", field], "Value error, Expected UploadFile, received: <class 'str'>", value)]
        )
    return value


def _json_document(field: str, value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError as exc:
        raise RequestValidationError(
            [_error("json_invalid", ["body", field], "Invalid JSON", value, error=str(exc))]
        ) from None


_TRUE = {"true", "1", "yes", "on", "t", "y"}
_FALSE = {"false", "0", "no", "off", "f", "n"}


def _lax_bool(value: Any) -> bool | None:
    """A boolean as pydantic's lax mode reads one (None: not a boolean)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    return None


def _bool_error(loc: list[Any], value: Any) -> JSON:
    return _error("bool_parsing", loc, "Input should be a valid boolean, unable to interpret input", value)


def form_bool(field: str, value: str) -> bool:
    """A boolean form field (``true``/``false``, ``1``/``0``, ...)."""
    parsed = _lax_bool(value)
    if parsed is None:
        raise RequestValidationError([_bool_error(["body", field], value)])
    return parsed


def source_overrides(field: str, value: str) -> SourceOverrides:
    """The ``source_overrides`` form field: a JSON string holding an object whose keys are the
    source keys (each ``"all_sources"`` or ``"off"``) and ``update_default_settings`` (boolean).
    Every problem is reported at once, each with the key it is about in its ``loc``."""
    document = _json_document(field, value)
    if not isinstance(document, dict):
        raise RequestValidationError(
            [_error("dict_type", ["body", field], "Input should be a valid dictionary", document)]
        )
    errors: list[JSON] = []
    settings: dict[str, str] = {}
    update_default: bool | None = None
    expected = " or ".join(f"'{v}'" for v in VALUES)
    for key, item in document.items():
        loc = ["body", field, key]
        if key == UPDATE_DEFAULT:
            parsed = _lax_bool(item)
            if parsed is None:
                errors.append(_bool_error(loc, item))
            else:
                update_default = parsed
        elif key not in SOURCE_KEYS:
            errors.append(_error("extra_forbidden", loc, "Extra inputs are not permitted", item))
        elif item not in VALUES:
            errors.append(_error("literal_error", loc, f"Input should be {expected}", item, expected=expected))
        else:
            settings[key] = item
    if errors:
        raise RequestValidationError(errors)
    return SourceOverrides(settings, update_default)


def query_count(query: QueryParams, field: str) -> int | None:
    """An optional non-negative integer query parameter (None when absent)."""
    raw = query.get(field)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise RequestValidationError(
            [
                _error(
                    "int_parsing",
                    ["query", field],
                    "Input should be a valid integer, unable to parse string as an integer",
                    raw,
                )
            ]
        ) from None
    if value < 0:
        raise RequestValidationError(
            [_error("greater_than_equal", ["query", field], "Input should be greater than or equal to 0", raw, ge=0)]
        )
    return value


def query_datetime(query: QueryParams, field: str) -> datetime | None:
    """An optional ISO 8601 datetime; a naive one is taken as UTC."""
    raw = query.get(field)
    if raw is None or raw == "":
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise RequestValidationError(
            [_error("datetime_from_date_parsing", ["query", field], "Input should be a valid datetime or date", raw)]
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": exc.errors}, status_code=422)


async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's errors (404, 405, ...) as JSON ``detail``, like FastAPI's."""
    assert isinstance(exc, HTTPException)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


CLIENT_CLOSED_REQUEST = 499
"""nginx's status for a request whose client left before it was answered; never sent to anyone."""

log = logging.getLogger("alfa_notebook.emulator")


async def on_client_disconnect(request: Request, exc: Exception) -> Response:
    """A client that leaves while its request body is read (a timeout, Ctrl-C, a closed kernel)
    is ordinary: one line in the log, not an ASGI traceback."""
    assert isinstance(exc, ClientDisconnect)
    log.info("%s %s: the client left before its request was read", request.method, request.url.path)
    return Response(status_code=CLIENT_CLOSED_REQUEST)


HANDLERS: Mapping[Any, Any] = {
    RequestValidationError: on_validation_error,
    HTTPException: on_http_error,
    ClientDisconnect: on_client_disconnect,
}
