"""Every argument a user hands the client is checked here, once, before anything is sent.

``ask``, ``ask_many``, ``ask_events``, the clients' constructors and the magics call these
checks first, so a wrong argument never starts a thread, never becomes a batch of failed items,
and never fails later as an ``httpx`` or ``str`` error. A value of the wrong type raises
:class:`~.errors.ArgumentTypeError` (a ``TypeError`` too); a value out of range raises
:class:`~.errors.ConfigurationError` (a ``ValueError`` too). Both name the argument, as the
caller wrote it (``timeout``, or ``--timeout`` for the magic), and what it takes.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from numbers import Real
from typing import Any

from .errors import ArgumentTypeError, ConfigurationError
from .settings import DEFAULT_MAX_QUESTION_BYTES, Secret
from .source_overrides import source_overrides


def _kind(value: Any) -> str:
    return type(value).__name__


def seconds(value: Any, name: str = "timeout") -> float | None:
    """A duration: None (no limit) or a finite number of seconds above 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ArgumentTypeError(
            f"{name} takes a number of seconds above 0 (None: no limit), not {_kind(value)} {value!r}", setting=name
        )
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise ConfigurationError(f"{name} must be a number of seconds above 0, not {value!r}", setting=name)
    return number


def whole(value: Any, name: str, minimum: int = 0) -> int | None:
    """A whole number of at least ``minimum``, or None (the default)."""
    if value is None:
        return None
    message = f"{name} must be a whole number of at least {minimum}, not {_kind(value)} {value!r}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentTypeError(message, setting=name)
    if value < minimum:
        raise ConfigurationError(message, setting=name)
    return value


def question(value: Any, max_bytes: int = DEFAULT_MAX_QUESTION_BYTES, name: str = "question") -> str:
    """Text the service can take: a string, not blank, encodable as UTF-8, at most ``max_bytes``."""
    if not isinstance(value, str):
        raise ArgumentTypeError(f"{name} must be text (str), not {_kind(value)} {value!r:.60}", setting=name)
    if not value.strip():
        raise ConfigurationError(f"{name} is empty: ask Alfa something.", setting=name)
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError as error:
        raise ConfigurationError(
            f"{name} holds a lone surrogate {value[error.start]!r} at character {error.start}, which is not text "
            "and cannot be sent (it often comes from a file read with errors='surrogateescape'): remove or replace it",
            setting=name,
        ) from None
    if size > max_bytes:
        raise ConfigurationError(
            f"{name} is {size:,} bytes, over the limit of {max_bytes:,} (max_question_bytes, ALFA_MAX_QUESTION_BYTES): "
            "shorten it, or attach the data as a file",
            setting=name,
        )
    return value


def text(value: Any, name: str) -> str | None:
    """An optional non-blank string (a thread id, a thread's name)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ArgumentTypeError(f"{name} takes a string (or None), not {_kind(value)} {value!r}", setting=name)
    if not value.strip():
        raise ConfigurationError(f"{name} is empty: give a non-blank string, or None", setting=name)
    return value


def callback(value: Any, name: str = "on_event") -> None:
    if value is not None and not callable(value):
        raise ArgumentTypeError(
            f"{name} takes a function called as {name}(event, turn) (or None), not {_kind(value)} {value!r}",
            setting=name,
        )


def sources(value: Any, name: str = "sources") -> None:
    """Source overrides the service takes (:mod:`.source_overrides` says which)."""
    if value is not None and not isinstance(value, (str, Mapping)):
        raise ArgumentTypeError(
            f"{name} takes a dict such as {{'web_search': 'off'}} or text such as 'web=off', not {_kind(value)}",
            setting=name,
        )
    source_overrides(value)


def ask_arguments(
    question_: Any,
    *,
    max_bytes: int,
    thread_id: Any = None,
    timeout: Any = None,
    on_event: Any = None,
    sources_: Any = None,
    thread_name: Any = None,
) -> None:
    """Everything ``ask`` and ``ask_events`` take."""
    question(question_, max_bytes)
    text(thread_id, "thread_id")
    seconds(timeout)
    callback(on_event)
    sources(sources_)
    text(thread_name, "thread_name")


def batch_arguments(
    questions: list[str], *, max_bytes: int, concurrency: Any, timeout: Any = None, sources_: Any = None
) -> None:
    """Everything ``ask_many`` takes, for the whole batch at once: a wrong ``timeout`` is one
    error, not a batch of failed items."""
    for position, item in enumerate(questions):
        question(item, max_bytes, name=f"item {position}")
    whole(concurrency, "concurrency", minimum=1)
    seconds(timeout)
    sources(sources_)


def client_arguments(
    *,
    api_key: Any = None,
    timeout: Any = None,
    stream_read_timeout: Any = None,
    max_retries: Any = None,
    headers: Any = None,
    cassette: Any = None,
    max_question_bytes: Any = None,
) -> None:
    """Everything the clients' constructors take, before the settings are resolved."""
    if api_key is not None and not isinstance(api_key, (str, Secret)):
        raise ArgumentTypeError(  # never the value: it may be a key in the wrong place
            f"api_key takes a string (or None to read the environment), not {_kind(api_key)}", setting="api_key"
        )
    seconds(timeout)
    seconds(stream_read_timeout, "stream_read_timeout")
    whole(max_retries, "max_retries")
    whole(max_question_bytes, "max_question_bytes", minimum=1)
    if headers is not None:
        if not isinstance(headers, Mapping):
            raise ArgumentTypeError(f"headers takes a dict of str to str, not {_kind(headers)}", setting="headers")
        for key, value in headers.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise ArgumentTypeError(
                    f"headers takes str names and values; {key!r}: {_kind(value)} is not", setting="headers"
                )
    if cassette is not None and not isinstance(cassette, (str, os.PathLike)):
        raise ArgumentTypeError(
            f"cassette takes a file path (str or pathlib.Path), not {_kind(cassette)} {cassette!r}", setting="cassette"
        )
