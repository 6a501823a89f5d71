"""pytest plugin (entry point ``pytest11``): the ``alfa_emulator`` fixture, for testing
notebooks and code that talk to Alfa, offline.

Import-light on purpose: nothing of the server side is imported until a test asks for the
fixture, so installing alfa-notebook without its ``emulator`` extra never breaks pytest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .server import Emulator


@pytest.fixture(scope="session")
def alfa_emulator() -> Iterator[Emulator]:
    """A running emulator shared by the session, streaming with no chunk delay.

    Use ``alfa_emulator.base_url`` with ``alfa_emulator.api_key`` (v1, ``x-api-key``) or
    ``alfa_emulator.issue_token()`` (v2, ``Authorization: Bearer``).
    """
    try:
        from . import Emulator
    except ImportError as exc:
        pytest.fail(str(exc), pytrace=False)
    with Emulator(chunk_delay=0) as emulator:
        yield emulator
