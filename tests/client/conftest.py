"""Clients of both flavours and both kinds (sync and async) against the emulator on loopback."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import threading
import time

import pytest

import alfa_notebook as alfa
from alfa_notebook.emulator.defaults import CONTROL_HEADER, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET


class Driven:
    """One test body for both clients: awaitables are run on a loop the test owns."""

    def __init__(self, client, loop):
        self.client = client
        self._loop = loop

    def run(self, value):
        return self._loop.run_until_complete(value) if inspect.isawaitable(value) else value

    def ask(self, question, **kw):
        return self.run(self.client.ask(question, **kw))

    def threads(self, method, *args, **kw):
        return self.run(getattr(self.client.threads, method)(*args, **kw))

    @property
    def is_async(self):
        return isinstance(self.client, alfa.AsyncAlfaClient)


@pytest.fixture(scope="session")
def v2_token(alfa_emulator):
    return alfa.exchange_token(
        "partner.signed.jwt",
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        base_url=alfa_emulator.base_url,
    )


@pytest.fixture(params=["v1", "v2"])
def flavour(request):
    return request.param


_tags = itertools.count()


def _clients(kind, emulator, flavour, token):
    """A factory of clients of one ``kind`` for ``emulator``, and the closing of what it made."""
    loop = asyncio.new_event_loop()
    made = []

    def make(controls: str | None = None, **kw) -> Driven:
        key = emulator.api_key if flavour == "v1" else token
        cls = alfa.AlfaClient if kind == "sync" else alfa.AsyncAlfaClient
        headers = {CONTROL_HEADER: f"{controls};tag={next(_tags)}"} if controls else None
        driven = Driven(cls(api_key=key, base_url=emulator.base_url, api_version=flavour, headers=headers, **kw), loop)
        made.append(driven)
        return driven

    yield make
    for driven in made:
        driven.run(driven.client.aclose() if driven.is_async else driven.client.close())
    # As asyncio.run() does: a stream closed part-way leaves httpx's async generators for the
    # loop to finalise, which it must do before it closes.
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


@pytest.fixture(params=["sync", "async"])
def make_client(request, alfa_emulator, flavour, v2_token):
    """Clients whose emulator controls are their own: the emulator fires a one-shot fault once
    per distinct option string, so each client's string carries a unique tag."""
    yield from _clients(request.param, alfa_emulator, flavour, v2_token)


@pytest.fixture(params=["sync", "async"])
def make_service_client(request, alfa_service, flavour):
    """As ``make_client``, against the default emulator and then the realistic one (a task that
    settles late, a history that lags, busy as 400): for the scenarios a user meets first."""
    token = alfa_service.issue_token() if flavour == "v2" else None
    yield from _clients(request.param, alfa_service, flavour, token)


@pytest.fixture
def client(make_client):
    return make_client()


@pytest.fixture
def service_client(make_service_client):
    return make_service_client()


@pytest.fixture
def fake_sleep(monkeypatch):
    """``install(fake)``: ``time.sleep`` and ``asyncio.sleep`` call ``fake(seconds)`` instead of
    waiting, on this test's thread only; a thread an earlier test left running still sleeps for
    real (so it neither spins nor shows in this test's record)."""
    here, real_sleep, real_asleep = threading.current_thread(), time.sleep, asyncio.sleep

    def install(fake):
        def sleep(seconds):
            return fake(seconds) if threading.current_thread() is here else real_sleep(seconds)

        async def asleep(seconds, result=None):
            if threading.current_thread() is not here:
                return await real_asleep(seconds, result)
            fake(seconds)
            return result

        monkeypatch.setattr(time, "sleep", sleep)
        monkeypatch.setattr(asyncio, "sleep", asleep)

    return install
