"""One hierarchy under :class:`AlfaError`, named like the well-known API SDKs' exceptions.

Every message says once what happened and what to do next, in terms of the Python API (the
magics translate for notebook users from the facts the errors carry as attributes). No message,
``repr`` or attribute ever holds the credential: errors carry the method and the route of the
request, never its headers. docs/errors.md describes the hierarchy and the retry rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from .._public import publish

if TYPE_CHECKING:
    import pandas as pd

    from .models import Artifact, Citation


class PartialAnswer(Protocol):
    """What an error carries of the turn it ended: an :class:`~alfa_notebook.Answer`, described
    here by the fields a handler reads, so that the errors (the bottom layer) need not import the
    results layer above them. Every ``answer`` attribute holds an ``Answer`` at run time."""

    @property
    def question(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def thread_id(self) -> str | None: ...
    @property
    def message_id(self) -> str | None: ...
    @property
    def raw_text(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def citations(self) -> Sequence[Citation]: ...
    @property
    def artifacts(self) -> Sequence[Artifact]: ...
    @property
    def logs(self) -> Sequence[str]: ...
    @property
    def warnings(self) -> Sequence[str]: ...
    @property
    def status_log(self) -> str | None: ...
    @property
    def elapsed(self) -> float: ...
    @property
    def ok(self) -> bool: ...
    @property
    def tables(self) -> Sequence[pd.DataFrame]: ...


class AlfaError(Exception):
    """Base of every error alfa_notebook raises.

    ``answer`` holds the partial :class:`~alfa_notebook.Answer` when the error ended a turn, so
    nothing that was already received is lost.
    """

    answer: PartialAnswer | None = None
    thread_id: str | None = None
    """The thread the failed call or turn belongs to, when there is one."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickle rebuilds an exception as ``cls(*args)``, and ``args`` lacks the keyword-only
        # arguments (``status_code``...): rebuild it without ``__init__``, then restore its attributes.
        return (_rebuilt, (type(self), self.args), self.__dict__)


def _rebuilt(cls: type[AlfaError], args: tuple[Any, ...]) -> AlfaError:
    return cls.__new__(cls, *args)


class ConfigurationError(AlfaError, ValueError):
    """A setting is missing or invalid (no key, unknown api_version, insecure base URL).

    ``setting`` names the setting (``"api_version"``); ``source`` says where its value came from:
    ``"argument"``, ``"configuration"`` (the notebook's ``%config``), an environment variable's
    name such as ``"ALFA_API_VERSION"``, ``"default"``, or None when the setting has no value.
    """

    def __init__(self, message: str, *, setting: str | None = None, source: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting
        self.source = source


class AttachmentError(ConfigurationError):
    """Something given to ``attach=`` (or ``--attach``) cannot be sent: an unsupported object, an
    empty frame, a missing file, or more than the client's ``max_attachment_bytes``. Raised before
    anything is sent, so no thread is made; ``attachment`` names the item."""

    def __init__(self, reason: str, *, attachment: str) -> None:
        super().__init__(f"attach: {attachment} {reason}", setting="attach", source="argument")
        self.attachment = attachment
        self.reason = reason  # what is wrong, after the item's name: "is an empty DataFrame ..."


class OptionalDependencyError(AlfaError, ImportError):
    """A feature needs a package that is not installed; the message names what to install."""


class NoSuchTableError(AlfaError, LookupError):
    """The answer has no table at that position or with that title; the message lists them."""


class APIError(AlfaError):
    """Something went wrong talking to the service."""

    processed: bool | None = None
    """False when the service provably did not act on the request (it was never sent, or the
    service refused it before processing: 4xx, 429, 503), so sending it again is safe; None when
    it may have (the connection broke after sending, a gateway error, a read timeout)."""

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        path: str | None = None,
        processed: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.path = path
        self.processed = processed


class APIConnectionError(APIError):
    """The service could not be reached, or the connection broke."""


class TLSError(APIConnectionError):
    """The TLS handshake failed: an untrusted certificate (self-signed, a corporate proxy's CA),
    or an ``https://`` address that speaks plain HTTP. ``reason`` is OpenSSL's own words."""

    def __init__(self, message: str, *, reason: str, method: str | None = None, path: str | None = None) -> None:
        super().__init__(message, method=method, path=path, processed=False)
        self.reason = reason


class APITimeoutError(APIConnectionError):
    """The service did not answer within the timeout."""


class StreamInterruptedError(APIConnectionError):
    """The event stream broke and neither reconnecting nor polling could finish the turn; the
    turn may still be running on the service (``thread_id`` says where)."""


class APIStatusError(APIError):
    """The service answered with an error status."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: Any = None,
        method: str | None = None,
        path: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        processed: bool | None = None,
        detail: str = "",
        advice: str = "",
    ) -> None:
        super().__init__(message, method=method, path=path, processed=processed)
        self.status_code = status_code
        self.body = body
        self.request_id = request_id
        self.retry_after = retry_after
        self.detail = detail  # what the service said, shortened
        self.advice = advice  # what to do, in Python terms (the magics say it in theirs)


class BadRequestError(APIStatusError):
    """400."""


class AuthenticationError(APIStatusError):
    """401: the key or token is missing, wrong or expired."""


class PermissionDeniedError(APIStatusError):
    """403."""


class NotFoundError(APIStatusError):
    """404: unknown thread or artifact."""


class ConflictError(APIStatusError):
    """409: the thread is busy with another task."""


class UnprocessableEntityError(APIStatusError):
    """422: the request was malformed."""


class RateLimitError(APIStatusError):
    """429. ``retry_after`` says how many seconds to wait."""


class InternalServerError(APIStatusError):
    """5xx."""


class ServiceUnavailableError(InternalServerError):
    """503. ``retry_after`` says how many seconds to wait, when the service said."""


class TurnFailedError(AlfaError):
    """The service ended the turn with an error status; ``answer`` holds what arrived."""


class CassetteError(AlfaError):
    """A cassette file cannot be used: not a cassette, a line broken by hand, a newer format.

    The message names the file and the line; the file is never overwritten while it is broken.
    """


class CassetteMissError(CassetteError):
    """The cassette has no record of this question (or request), and its record mode forbids
    asking the service for it (``none``, or ``once`` with a cassette that already existed)."""


STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
    503: ServiceUnavailableError,
}


def status_error_class(status_code: int) -> type[APIStatusError]:
    if status_code in STATUS_ERRORS:
        return STATUS_ERRORS[status_code]
    return InternalServerError if status_code >= 500 else APIStatusError


publish(__name__)  # last: the public names above report alfa_notebook as their module
