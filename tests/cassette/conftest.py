"""Cassettes recorded from an emulator whose key is a canary, and replayed with the service gone."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from alfa_notebook.emulator import Emulator

CANARY = "sk-canary-7f3a9c1e5b2d4f60-never-written"
GONE = "http://127.0.0.1:9"  # nothing listens there: a client pointed at it can only replay


@pytest.fixture(scope="session")
def canary_emulator() -> Iterator[Emulator]:
    with Emulator(api_key=CANARY, chunk_delay=0) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def realistic_canary_emulator() -> Iterator[Emulator]:
    with Emulator(api_key=CANARY, chunk_delay=0, realistic=True) as emulator:
        yield emulator


@pytest.fixture(params=["default", "realistic"])
def canary_service(request: pytest.FixtureRequest) -> Emulator:
    """``canary_emulator``, then one with a real service's manners (docs/emulator.md)."""
    name = "canary_emulator" if request.param == "default" else "realistic_canary_emulator"
    emulator: Emulator = request.getfixturevalue(name)
    return emulator


class NoNetwork(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """An HTTP transport that counts what is sent through it and answers nothing."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(f"{request.method} {request.url.path}")
        raise httpx.ConnectError("no network in this test", request=request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self.handle_request(request)


@pytest.fixture
def no_network() -> NoNetwork:
    return NoNetwork()
