"""A faithful local Alfa server: both flavours of the threads API over real HTTP and SSE.

It answers from a bundled SYNTHETIC sample data set (see ``data/sample_data.json``), never from
market data, and can inject faults (docs/protocol.md, "Emulator controls")::

    from alfa_notebook.emulator import Emulator

    with Emulator() as emu:
        emu.base_url, emu.api_key   # v1: x-api-key
        emu.issue_token()           # v2: Authorization: Bearer ...

The server side needs the ``emulator`` extra; importing this package does not, so the pytest
plugin and the CLI can explain what is missing instead of failing on import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .defaults import (
    CONTROL_HEADER,
    DEFAULT_API_KEY,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    EXTRA_HINT,
)

if TYPE_CHECKING:
    from .app import create_app
    from .server import Emulator
    from .service import Settings

__all__ = [
    "CONTROL_HEADER",
    "DEFAULT_API_KEY",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "Emulator",
    "Settings",
    "create_app",
]

_LAZY = {"Emulator": ".server", "Settings": ".service", "create_app": ".app"}
_SERVER_DEPENDENCIES = {"starlette", "uvicorn", "sse_starlette", "multipart", "python_multipart"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        module = importlib.import_module(_LAZY[name], __name__)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in _SERVER_DEPENDENCIES:
            raise ImportError(EXTRA_HINT) from exc
        raise
    return getattr(module, name)
