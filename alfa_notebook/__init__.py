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
    from .client import AlfaClient as AlfaClient
    from .client import AsyncAlfaClient as AsyncAlfaClient
    from .results.answer import Answer as Answer
    from .results.batch import Batch as Batch
    from .results.batch import BatchError as BatchError
    from .results.frames.accessor import NotAnAlfaFrameError as NotAnAlfaFrameError
    from .results.frames.coltypes import ArtifactKindError as ArtifactKindError
    from .results.frames.coltypes import TableConversionError as TableConversionError
    from .results.frames.coltypes import TableConversionWarning as TableConversionWarning
    from .results.load import load_answers as load_answers
    from .turn.machine import Turn as Turn
    from .wire.credentials import exchange_token as exchange_token
    from .wire.errors import (
        AlfaError as AlfaError,
    )
    from .wire.errors import (
        APIConnectionError as APIConnectionError,
    )
    from .wire.errors import (
        APIError as APIError,
    )
    from .wire.errors import (
        APIStatusError as APIStatusError,
    )
    from .wire.errors import (
        APITimeoutError as APITimeoutError,
    )
    from .wire.errors import (
        ArgumentTypeError as ArgumentTypeError,
    )
    from .wire.errors import (
        AttachmentError as AttachmentError,
    )
    from .wire.errors import (
        AuthenticationError as AuthenticationError,
    )
    from .wire.errors import (
        BadRequestError as BadRequestError,
    )
    from .wire.errors import (
        CassetteError as CassetteError,
    )
    from .wire.errors import (
        CassetteMissError as CassetteMissError,
    )
    from .wire.errors import (
        ConfigurationError as ConfigurationError,
    )
    from .wire.errors import (
        ConflictError as ConflictError,
    )
    from .wire.errors import (
        InternalServerError as InternalServerError,
    )
    from .wire.errors import (
        NoSuchTableError as NoSuchTableError,
    )
    from .wire.errors import (
        NotFoundError as NotFoundError,
    )
    from .wire.errors import (
        OptionalDependencyError as OptionalDependencyError,
    )
    from .wire.errors import (
        PermissionDeniedError as PermissionDeniedError,
    )
    from .wire.errors import (
        RateLimitError as RateLimitError,
    )
    from .wire.errors import (
        ServiceUnavailableError as ServiceUnavailableError,
    )
    from .wire.errors import (
        StreamInterruptedError as StreamInterruptedError,
    )
    from .wire.errors import (
        ThreadBusyError as ThreadBusyError,
    )
    from .wire.errors import (
        TLSError as TLSError,
    )
    from .wire.errors import (
        TurnFailedError as TurnFailedError,
    )
    from .wire.errors import (
        UnprocessableEntityError as UnprocessableEntityError,
    )
    from .wire.limiter import Limiter as Limiter
    from .wire.models import (
        Artifact as Artifact,
    )
    from .wire.models import (
        Citation as Citation,
    )
    from .wire.models import (
        History as History,
    )
    from .wire.models import (
        Message as Message,
    )
    from .wire.models import (
        Progress as Progress,
    )
    from .wire.models import (
        Thread as Thread,
    )
    from .wire.settings import Secret as Secret
    from .wire.settings import Settings as Settings
