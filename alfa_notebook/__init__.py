"""Boosted.ai's Alfa research assistant in Jupyter.

    import alfa_notebook as alfa
    answer = alfa.AlfaClient().ask("Compare NVDA and AMD revenue growth")

Names are loaded on first use, so ``import alfa_notebook`` stays cheap: pandas, ipywidgets and
the HTTP stack are imported only when needed.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._public import exports as _exports
from ._version import __version__ as __version__


def __getattr__(name: str) -> Any:
    if name == "__all__":
        return ["__version__", *_exports()]
    module = _exports().get(name)
    if module is None:
        raise AttributeError(f"module 'alfa_notebook' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(["__version__", *_exports()])


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext alfa_notebook``: the ``%%alfa`` and ``%alfa`` magics (IPython is imported only now)."""
    from .notebook import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext alfa_notebook`` (and ``%reload_ext``)."""
    from .notebook import unload_ipython_extension as unload

    unload(ipython)


if TYPE_CHECKING:  # the one list of public names; see _public.exports()
    from .answer import Answer as Answer
    from .batch import Batch as Batch
    from .client import AlfaClient as AlfaClient
    from .client import AsyncAlfaClient as AsyncAlfaClient
    from .credentials import exchange_token as exchange_token
    from .errors import (
        AlfaError as AlfaError,
    )
    from .errors import (
        APIConnectionError as APIConnectionError,
    )
    from .errors import (
        APIError as APIError,
    )
    from .errors import (
        APIStatusError as APIStatusError,
    )
    from .errors import (
        APITimeoutError as APITimeoutError,
    )
    from .errors import (
        AuthenticationError as AuthenticationError,
    )
    from .errors import (
        BadRequestError as BadRequestError,
    )
    from .errors import (
        CassetteError as CassetteError,
    )
    from .errors import (
        CassetteMissError as CassetteMissError,
    )
    from .errors import (
        ConfigurationError as ConfigurationError,
    )
    from .errors import (
        ConflictError as ConflictError,
    )
    from .errors import (
        InternalServerError as InternalServerError,
    )
    from .errors import (
        NoSuchTableError as NoSuchTableError,
    )
    from .errors import (
        NotFoundError as NotFoundError,
    )
    from .errors import (
        OptionalDependencyError as OptionalDependencyError,
    )
    from .errors import (
        PermissionDeniedError as PermissionDeniedError,
    )
    from .errors import (
        RateLimitError as RateLimitError,
    )
    from .errors import (
        ServiceUnavailableError as ServiceUnavailableError,
    )
    from .errors import (
        StreamInterruptedError as StreamInterruptedError,
    )
    from .errors import (
        TLSError as TLSError,
    )
    from .errors import (
        TurnFailedError as TurnFailedError,
    )
    from .errors import (
        UnprocessableEntityError as UnprocessableEntityError,
    )
    from .limiter import Limiter as Limiter
    from .load import load_answers as load_answers
    from .models import (
        Artifact as Artifact,
    )
    from .models import (
        Citation as Citation,
    )
    from .models import (
        History as History,
    )
    from .models import (
        Message as Message,
    )
    from .models import (
        Progress as Progress,
    )
    from .models import (
        Thread as Thread,
    )
    from .settings import Secret as Secret
    from .settings import Settings as Settings
    from .turn import Turn as Turn
