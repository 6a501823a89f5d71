"""Boosted.ai's Alfa research assistant in Jupyter.

    import alfa_notebook as alfa
    answer = alfa.AlfaClient().ask("Compare NVDA and AMD revenue growth")

Names are loaded on first use, so ``import alfa_notebook`` stays cheap: pandas, ipywidgets and
the HTTP stack are imported only when needed.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._version import __version__

_EXPORTS = {
    "AlfaClient": "client",
    "AsyncAlfaClient": "client",
    "exchange_token": "credentials",
    "Answer": "answer",
    "Artifact": "models",
    "Citation": "models",
    "Message": "models",
    "History": "models",
    "Progress": "models",
    "Thread": "models",
    "Turn": "turn",
    "Secret": "settings",
    "Settings": "settings",
    "AlfaError": "errors",
    "ConfigurationError": "errors",
    "APIError": "errors",
    "APIConnectionError": "errors",
    "APITimeoutError": "errors",
    "StreamInterruptedError": "errors",
    "APIStatusError": "errors",
    "BadRequestError": "errors",
    "AuthenticationError": "errors",
    "PermissionDeniedError": "errors",
    "NotFoundError": "errors",
    "ConflictError": "errors",
    "UnprocessableEntityError": "errors",
    "RateLimitError": "errors",
    "InternalServerError": "errors",
    "ServiceUnavailableError": "errors",
    "TurnFailedError": "errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'alfa_notebook' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext alfa_notebook``: the ``%%alfa`` and ``%alfa`` magics (IPython is imported only now)."""
    from .notebook import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext alfa_notebook`` (and ``%reload_ext``)."""
    from .notebook import unload_ipython_extension as unload

    unload(ipython)


if TYPE_CHECKING:
    from .answer import Answer
    from .client import AlfaClient, AsyncAlfaClient
    from .credentials import exchange_token
    from .errors import (
        AlfaError,
        APIConnectionError,
        APIError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        ConfigurationError,
        ConflictError,
        InternalServerError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitError,
        ServiceUnavailableError,
        StreamInterruptedError,
        TurnFailedError,
        UnprocessableEntityError,
    )
    from .models import Artifact, Citation, History, Message, Progress, Thread
    from .settings import Secret, Settings
    from .turn import Turn
