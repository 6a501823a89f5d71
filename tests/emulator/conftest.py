"""Both flavours of the emulator's API over real loopback HTTP, from the plugin's session emulator."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from alfa_notebook.emulator import Emulator

from .wire import Alfa


@pytest.fixture(scope="session")
def v2_token(alfa_emulator: Emulator) -> str:
    return alfa_emulator.issue_token()


@pytest.fixture(params=["v1", "v2"])
def flavour(request: pytest.FixtureRequest) -> str:
    flavour: str = request.param
    return flavour


def flavour_client(emulator: Emulator, flavour: str, token: str, **kwargs: object) -> httpx.Client:
    if flavour == "v1":
        prefix, auth = "/client/v1", {"x-api-key": emulator.api_key}
    else:
        prefix, auth = "/v2", {"Authorization": f"Bearer {token}"}
    return httpx.Client(base_url=emulator.base_url + prefix, headers=auth, timeout=10, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def alfa(alfa_emulator: Emulator, flavour: str, v2_token: str) -> Iterator[Alfa]:
    """The threads API in one flavour (tests using it run once per flavour)."""
    with flavour_client(alfa_emulator, flavour, v2_token) as http:
        yield Alfa(http)


@pytest.fixture
def v1(alfa_emulator: Emulator) -> Iterator[Alfa]:
    """The v1 flavour only, for tests whose subject is not the flavour."""
    with flavour_client(alfa_emulator, "v1", "") as http:
        yield Alfa(http)
