"""Request checks that fail the way the real service (a FastAPI app) fails.

Errors are ``{"detail": "..."}`` and validation errors are 422 with FastAPI's list of
``{"type", "loc", "msg", "input"}``, so clients meet the shapes they will meet in production.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from starlette.datastructures import FormData, QueryParams, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

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


def json_string(field: str, value: str) -> None:
    """A form field that must hold a JSON document (``source_overrides``)."""
    try:
        json.loads(value)
    except ValueError as exc:
        raise RequestValidationError(
            [_error("json_invalid", ["body", field], "Invalid JSON", value, error=str(exc))]
        ) from None


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


HANDLERS: Mapping[Any, Any] = {
    RequestValidationError: on_validation_error,
    HTTPException: on_http_error,
}
