"""pytest plugin (entry point ``pytest11``): the ``alfa_emulator`` fixtures, for testing notebooks
and code that talk to Alfa, offline.

Import-light on purpose: nothing of the server side is imported until a test asks for a fixture,
so installing alfa-notebook without its ``emulator`` extra never breaks pytest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .server import Emulator

PRESETS = ("default", "realistic")
"""The emulators ``alfa_service`` runs a test against: the kind one, and one with a real
service's manners (a task that settles late, a history that lags, busy as 400)."""


def _emulator(realistic: bool) -> Iterator[Emulator]:
    try:
        from . import Emulator
    except ImportError as exc:
        pytest.fail(str(exc), pytrace=False)
    with Emulator(chunk_delay=0, realistic=realistic) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def alfa_emulator() -> Iterator[Emulator]:
    """A running emulator shared by the session, streaming with no chunk delay.

    Use ``alfa_emulator.base_url`` with ``alfa_emulator.api_key`` (v1, ``x-api-key``) or
    ``alfa_emulator.issue_token()`` (v2, ``Authorization: Bearer``).
    """
    yield from _emulator(realistic=False)


@pytest.fixture(scope="session")
def alfa_emulator_realistic() -> Iterator[Emulator]:
    """As ``alfa_emulator``, with a real service's manners (``Emulator(realistic=True)``): code
    that passes against it does not rely on the emulator being kinder than the service."""
    yield from _emulator(realistic=True)


@pytest.fixture(params=PRESETS)
def alfa_service(request: pytest.FixtureRequest) -> Emulator:
    """``alfa_emulator``, then ``alfa_emulator_realistic``: a test using it runs against both."""
    emulator: Emulator = request.getfixturevalue(
        "alfa_emulator" if request.param == "default" else f"alfa_emulator_{request.param}"
    )
    return emulator
