"""Settings resolve in one place: explicit argument, then notebook configuration, then
environment, then default. A value that is refused is reported with where it came from."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from .._public import publish
from .errors import ConfigurationError
from .limiter import DOCUMENTED, RateLimits, parse_rate_limit
from .source_overrides import source_overrides

ApiVersion = Literal["v1", "v2"]

DEFAULT_BASE_URLS: dict[str, str] = {
    "v1": "https://alfa.boosted.ai",
    "v2": "https://sandbox.api.boosted.ai",
}
PATH_PREFIXES: dict[str, str] = {"v1": "/client/v1", "v2": "/v2"}

# The first name is ours; the others are the names the official guides use.
ENV_KEYS: dict[str, tuple[str, ...]] = {
    "v1": ("ALFA_API_KEY", "INVESTING_ASSISTANT_API_KEY"),
    "v2": ("ALFA_ACCESS_TOKEN",),
}
ENV_BASE_URL = ("ALFA_BASE_URL", "INVESTING_ASSISTANT_BASE_URL", "ALFA_API_BASE_URL")
ENV_API_VERSION = ("ALFA_API_VERSION",)
ENV_CASSETTE = ("ALFA_CASSETTE",)
ENV_RECORD_MODE = ("ALFA_RECORD_MODE",)
ENV_RATE_LIMIT = ("ALFA_RATE_LIMIT",)
ENV_RATE_LIMIT_WAIT = ("ALFA_RATE_LIMIT_WAIT",)

ENV_SAVED_ROWS = ("ALFA_SAVED_ROWS",)
DEFAULT_SAVED_ROWS = 1000  # rows of each table an answer saved in a notebook keeps in its JSON part

ENV_MAX_ATTACHMENT_BYTES = ("ALFA_MAX_ATTACHMENT_BYTES",)
# The service's own limit on an uploaded file is not documented; files over this are refused
# before anything is sent (the emulator refuses the same size with a 413).
DEFAULT_MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024

# Named as vcrpy and pytest-recording name them; docs/cassettes.md says what each does.
RECORD_MODES = ("once", "new_episodes", "none", "all")
DEFAULT_RECORD_MODE = "once"

DEFAULT_TIMEOUT = 60.0  # seconds for a REST call
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_STREAM_READ_TIMEOUT = 45.0  # three of the service's 15 s keep-alive pings
DEFAULT_MAX_RETRIES = 2
DEFAULT_RATE_LIMIT_WAIT = 120.0  # seconds one request waits out 429s in all before it fails

ENV_MAX_QUESTION_BYTES = ("ALFA_MAX_QUESTION_BYTES",)
DEFAULT_MAX_QUESTION_BYTES = 256 * 1024
"""The longest question sent, in UTF-8 bytes. The service does not document its own limit, so
the client keeps one, refusing a longer question before anything is sent; the emulator refuses
longer ones with 413."""


class Secret:
    """A credential that never shows itself in a repr, a str or a log record."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The credential itself, for the one place that sends it (the channel)."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled")


@dataclass(frozen=True)
class Settings:
    """Every setting of a client, resolved once (argument, notebook configuration, environment,
    default) and then fixed: ``client.settings``. Its repr never shows the key."""

    api_version: ApiVersion
    base_url: str
    api_key: Secret | None = field(repr=False)
    timeout: float = DEFAULT_TIMEOUT
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    stream_read_timeout: float = DEFAULT_STREAM_READ_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    cassette: str | None = None  # a file of recorded turns to replay and record (None: always live)
    record_mode: str = DEFAULT_RECORD_MODE
    rate_limit: RateLimits = field(default_factory=lambda: dict(DOCUMENTED))
    """Requests per bucket the client keeps to (:mod:`.limiter`); empty: no limit."""
    rate_limit_wait: float = DEFAULT_RATE_LIMIT_WAIT
    """Seconds one request may wait out the service's 429s in all (their ``Retry-After``s) before
    it fails with ``RateLimitError``."""
    sources: Mapping[str, str | bool] | None = None  # default source_overrides of every ask()
    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES  # the largest file attach= sends
    max_question_bytes: int = DEFAULT_MAX_QUESTION_BYTES  # the longest question sent, in UTF-8
    origins: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    """Where each setting came from: ``"argument"``, ``"configuration"`` (``%config AlfaMagics``),
    an environment variable's name, or ``"default"``; a setting left unset is not listed."""

    @property
    def api_root(self) -> str:
        return self.base_url + PATH_PREFIXES[self.api_version]

    @property
    def has_key(self) -> bool:
        return bool(self.api_key)

    def key_env_names(self) -> tuple[str, ...]:
        return ENV_KEYS[self.api_version]

    def origin(self, name: str) -> str:
        """Where setting ``name`` came from, as a person would set it: ``argument``,
        ``%config AlfaMagics.NAME``, ``$ENV_VARIABLE`` or ``default``."""
        origin = self.origins.get(name, "default")
        if origin == "configuration":
            return f"%config AlfaMagics.{name}"
        return origin if origin in ("argument", "default") else f"${origin}"


def _first_env(env: Mapping[str, str], names: tuple[str, ...]) -> tuple[str, str] | None:
    """The first of ``names`` set in ``env``: (its name, its value)."""
    for name in names:
        value = env.get(name, "").strip()
        if value:
            return name, value
    return None


def _pick(*candidates: Any) -> Any:
    return next((c for c in candidates if c is not None), None)


def _resolve(
    argument: Any, configured: Any, env: tuple[str, str] | None, default: Any = None
) -> tuple[Any, str | None]:
    """A setting's value and where it came from, in the documented order: ``"argument"``,
    ``"configuration"`` (the notebook's ``%config``), the environment variable's name, ``"default"``."""
    if argument is not None:
        return argument, "argument"
    if configured is not None:
        return configured, "configuration"
    if env is not None:
        return env[1], env[0]
    return default, None if default is None else "default"


def _from(source: str | None) -> str:
    """Where a value came from, as a message says it: ``ALFA_API_VERSION='v3'`` reads "from the
    environment variable ALFA_API_VERSION"."""
    if source == "argument":
        return "passed as an argument"
    if source == "configuration":
        return "from the notebook configuration (%config AlfaMagics)"
    if source == "default":
        return "the default"
    return f"from the environment variable {source}"


def resolve_settings(
    *,
    api_key: str | Secret | None = None,
    base_url: str | None = None,
    api_version: str | None = None,
    timeout: float | None = None,
    stream_read_timeout: float | None = None,
    max_retries: int | None = None,
    configured: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    allow_insecure: bool = False,
    cassette: str | os.PathLike[str] | None = None,
    record_mode: str | None = None,
    rate_limit: str | Mapping[str, float] | None = None,
    sources: Mapping[str, Any] | str | None = None,
    max_attachment_bytes: int | None = None,
    rate_limit_wait: float | None = None,
    max_question_bytes: int | None = None,
) -> Settings:
    """Resolve every setting, in the documented order, into one immutable ``Settings``.

    ``configured`` holds the notebook's ``%config AlfaMagics.*`` values (None where unset).
    """
    configured = configured or {}
    env = os.environ if env is None else env

    raw_version, version_from = _resolve(
        api_version, configured.get("api_version"), _first_env(env, ENV_API_VERSION), "v1"
    )
    version = str(raw_version).strip().lower()
    if version not in PATH_PREFIXES:
        raise ConfigurationError(
            f"api_version must be 'v1' or 'v2', not {raw_version!r} ({_from(version_from)}).",
            setting="api_version",
            source=version_from,
        )

    url, url_from = _resolve(
        base_url, configured.get("base_url"), _first_env(env, ENV_BASE_URL), DEFAULT_BASE_URLS[version]
    )
    url = _normalise_base_url(str(url), version, allow_insecure=allow_insecure, source=url_from)

    key, key_from = _resolve(api_key, configured.get("api_key"), _first_env(env, ENV_KEYS[version]))
    if isinstance(key, str):
        key = Secret(key.strip()) if key.strip() else None

    tape, tape_from = _resolve(cassette, configured.get("cassette"), _first_env(env, ENV_CASSETTE))
    raw_mode, mode_from = _resolve(
        record_mode, configured.get("record_mode"), _first_env(env, ENV_RECORD_MODE), DEFAULT_RECORD_MODE
    )
    mode = str(raw_mode).strip().lower()
    if mode not in RECORD_MODES:
        raise ConfigurationError(
            f"record_mode must be one of {', '.join(map(repr, RECORD_MODES))}, not {raw_mode!r} ({_from(mode_from)}).",
            setting="record_mode",
            source=mode_from,
        )

    raw_rate, rate_from = _resolve(rate_limit, configured.get("rate_limit"), _first_env(env, ENV_RATE_LIMIT))
    try:
        limits = parse_rate_limit(raw_rate)
    except ConfigurationError as error:
        message = f"{str(error).rstrip('.')} ({_from(rate_from)})."
        raise ConfigurationError(message, setting="rate_limit", source=rate_from) from None

    raw_wait, wait_from = _resolve(
        rate_limit_wait,
        configured.get("rate_limit_wait"),
        _first_env(env, ENV_RATE_LIMIT_WAIT),
        DEFAULT_RATE_LIMIT_WAIT,
    )
    try:
        wait = float(raw_wait)
    except (TypeError, ValueError):
        wait = -1.0
    if not 0 <= wait < float("inf"):
        raise ConfigurationError(
            f"rate_limit_wait must be a number of seconds, 0 or more, not {raw_wait!r} ({_from(wait_from)}).",
            setting="rate_limit_wait",
            source=wait_from,
        )

    timeout, timeout_from = _resolve(timeout, configured.get("timeout"), None, DEFAULT_TIMEOUT)
    origins = {
        "api_version": version_from,
        "base_url": url_from,
        "api_key": key_from,
        "timeout": timeout_from,
        "stream_read_timeout": "default" if stream_read_timeout is None else "argument",
        "max_retries": "default" if max_retries is None else "argument",
        "rate_limit": rate_from or "default",
        "rate_limit_wait": wait_from,
        "cassette": tape_from,
        "record_mode": mode_from,
        "sources": _resolve(sources, configured.get("sources") or None, None)[1],
        "max_attachment_bytes": _resolve(max_attachment_bytes, None, _first_env(env, ENV_MAX_ATTACHMENT_BYTES))[1],
        "max_question_bytes": _resolve(max_question_bytes, None, _first_env(env, ENV_MAX_QUESTION_BYTES))[1],
    }
    return Settings(
        api_version=version,  # type: ignore[arg-type]
        base_url=url,
        api_key=key,
        timeout=float(timeout),
        stream_read_timeout=float(_pick(stream_read_timeout, DEFAULT_STREAM_READ_TIMEOUT)),
        max_retries=int(_pick(max_retries, DEFAULT_MAX_RETRIES)),
        cassette=os.fspath(tape) if tape is not None and str(tape).strip() else None,
        record_mode=mode,
        rate_limit=limits,
        rate_limit_wait=wait,
        sources=source_overrides(_pick(sources, configured.get("sources") or None)),
        max_attachment_bytes=resolve_max_attachment_bytes(max_attachment_bytes, env),
        origins={name: origin for name, origin in origins.items() if origin is not None},
        max_question_bytes=_count(
            "max_question_bytes",
            "bytes",
            max_question_bytes,
            ENV_MAX_QUESTION_BYTES,
            DEFAULT_MAX_QUESTION_BYTES,
            env,
            minimum=1,
        ),
    )


def resolve_saved_rows(explicit: int | None = None, env: Mapping[str, str] | None = None) -> int:
    """Rows of each table a saved answer keeps: the argument, else ``ALFA_SAVED_ROWS``, else 1,000."""
    return _count("saved_rows", "rows", explicit, ENV_SAVED_ROWS, DEFAULT_SAVED_ROWS, env)


def resolve_max_attachment_bytes(explicit: int | None = None, env: Mapping[str, str] | None = None) -> int:
    """The largest file ``attach=`` sends: the argument, else ``ALFA_MAX_ATTACHMENT_BYTES``, else 25 MiB."""
    return _count(
        "max_attachment_bytes", "bytes", explicit, ENV_MAX_ATTACHMENT_BYTES, DEFAULT_MAX_ATTACHMENT_BYTES, env
    )


def _count(
    setting: str,
    unit: str,
    explicit: int | None,
    names: tuple[str, ...],
    default: int,
    env: Mapping[str, str] | None,
    *,
    minimum: int = 0,
) -> int:
    """A whole number, at least ``minimum``, resolved as every setting is."""
    value, source = _resolve(explicit, None, _first_env(os.environ if env is None else env, names), default)
    return _whole_number(setting, value, source, minimum=minimum, unit=unit)


def _whole_number(name: str, value: Any, source: str | None, *, minimum: int, unit: str) -> int:
    """A whole-number setting (an argument, or the environment's text), at least ``minimum``."""
    try:
        number = int(value) if not isinstance(value, (bool, float)) else minimum - 1
    except (TypeError, ValueError):
        number = minimum - 1
    if number < minimum:
        raise ConfigurationError(
            f"{name} must be a whole number of {unit}, {minimum} or more, not {value!r} ({_from(source)}).",
            setting=name,
            source=source,
        )
    return number


def _normalise_base_url(url: str, version: str, *, allow_insecure: bool, source: str | None = None) -> str:
    try:
        parts = urlsplit(url.strip())
        hostname = parts.hostname
    except ValueError:  # a malformed IPv6 literal or port
        parts, hostname = urlsplit(""), None
    if parts.scheme not in ("http", "https") or not hostname:
        raise ConfigurationError(
            f"base_url must be an http(s) URL such as {DEFAULT_BASE_URLS[version]!r}, not {url!r} ({_from(source)}).",
            setting="base_url",
            source=source,
        )
    if parts.scheme == "http" and not allow_insecure and not _is_loopback(hostname):
        raise ConfigurationError(
            f"base_url {url!r} ({_from(source)}) is plain http to another machine, which would send the key "
            "across the network in clear text. Use https, or pass allow_insecure=True if you really mean it.",
            setting="base_url",
            source=source,
        )
    path = parts.path.rstrip("/")
    prefix = PATH_PREFIXES[version]
    if path.endswith(prefix):  # people paste the prefixed URL from the docs
        path = path[: -len(prefix)]
    return f"{parts.scheme}://{parts.netloc}{path}"


def _is_loopback(host: str) -> bool:
    """Only this machine may be spoken to in plain HTTP: a private address (10.x, 172.16-31.x,
    192.168.x, fc00::/7) is another machine on the network, as any host name may be."""
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


publish(__name__)  # last: the public names above report alfa_notebook as their module
