"""``ask(timeout=...)`` is a deadline for the whole answer, recovery and retries included.

Found by the fault campaign: seed 16 (a second stall, then a reconnect backoff slept 0.4 s past
the deadline) and seed 83 (the stream's first request timed out, was retried after a backoff, and
the message was posted after the deadline); the same path slept a whole ``Retry-After`` or
waited out a REST call's 60 s timeout, whatever the deadline.

The procedure is driven without I/O first: a fake clock advances by one read timeout on each
stalled read and by the length of each Sleep, so those tests are exact and instant. The channel
takes a clock too: its retry waits and per-attempt timeouts are checked against a fake one. Then
over the wire, against the emulator: the channel's own retries and timeouts stop at the deadline
too (what the user sees: the error, not how long it took, which a loaded machine stretches).
"""

from __future__ import annotations

import asyncio
import itertools
import random

import httpx
import pytest

import alfa_notebook as alfa
from alfa_notebook.emulator import CONTROL_HEADER
from alfa_notebook.turn import steps
from alfa_notebook.wire.channel import AsyncChannel, SyncChannel
from alfa_notebook.wire.errors import APIConnectionError, APITimeoutError
from alfa_notebook.wire.events import MessageChunk
from alfa_notebook.wire.models import Progress, Thread
from alfa_notebook.wire.operations import list_threads
from alfa_notebook.wire.settings import resolve_settings

READ_TIMEOUT = 0.6


class Clocked:
    """Performs the procedure's effects against a fake clock; records every Sleep's end."""

    def __init__(self, *, reconnect_fails: bool) -> None:
        self.now = 0.0
        self.reconnect_fails = reconnect_fails
        self.sleeps: list[tuple[float, float]] = []  # (start, end)
        self.chunks = 0

    def clock(self) -> float:
        return self.now

    def run(self, procedure: steps.AskProcedure) -> None:
        gen = procedure.run()
        outcome = None
        while True:
            try:
                effect = gen.send(outcome)
            except StopIteration:
                return
            outcome = self.perform(effect)

    def perform(self, effect: object) -> object:
        if isinstance(effect, steps.Sleep):
            self.sleeps.append((self.now, self.now + effect.seconds))
            self.now += effect.seconds
            return None
        if isinstance(effect, steps.NextEvent):
            if self.chunks == 0:  # one chunk, then the stream stalls forever
                self.chunks += 1
                return MessageChunk("partial ", "m1", False, {})
            self.now += READ_TIMEOUT
            return steps.Lost(APITimeoutError("The event stream sent nothing (ReadTimeout)."))
        if isinstance(effect, steps.OpenStream):
            if effect.recovering and self.reconnect_fails:
                return steps.Lost(APIConnectionError("refused"))
            return None
        if isinstance(effect, steps.Call):
            route = effect.operation.route
            if route == "/threads":
                return Thread("t1", "q")
            if route.endswith("/progress"):
                return Progress("running")
            return None
        return None


@pytest.mark.parametrize("timeout", [0.5, 1.0, 1.3, 2.0, 3.7])
@pytest.mark.parametrize("reconnect_fails", [False, True], ids=["stalls", "unreachable-then-polling"])
def test_no_wait_runs_past_the_deadline(timeout, reconnect_fails):
    driver = Clocked(reconnect_fails=reconnect_fails)
    procedure = steps.AskProcedure("q", None, clock=driver.clock, timeout=timeout, rng=random.Random(0))
    with pytest.raises(APITimeoutError, match="did not finish within"):
        driver.run(procedure)
    late = [(start, end) for start, end in driver.sleeps if end > timeout + 1e-9]
    assert not late, f"waits past the {timeout} s deadline: {late}"
    # It ends at most one read past the deadline (the read that was under way when time ran out).
    assert driver.now <= timeout + READ_TIMEOUT + 1e-9
    assert procedure.turn.raw_text == "partial "


# -- the channel on a fake clock: what a retry may wait, what an attempt may take ------------


class Service:
    """A scripted service: answers each request with the next response, records the request."""

    def __init__(self, *responses: httpx.Response) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.responses.pop(0)


def _request(kind: str, service: Service, *, now: float, deadline: float) -> object:
    settings = resolve_settings(api_key="k", base_url="https://alfa.example", env={}, max_retries=3)
    clock = lambda: now  # noqa: E731
    if kind == "sync":
        transport = SyncChannel(settings, transport=httpx.MockTransport(service), clock=clock)
        try:
            return transport.request(list_threads(), deadline=deadline)
        finally:
            transport.close()

    async def main() -> object:
        transport = AsyncChannel(settings, transport=httpx.MockTransport(service), clock=clock)
        try:
            return await transport.request(list_threads(), deadline=deadline)
        finally:
            await transport.aclose()

    return asyncio.run(main())


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_retry_after_that_ends_past_the_deadline_is_not_waited_but_raised(kind):
    service = Service(httpx.Response(503, headers={"Retry-After": "5"}), httpx.Response(200, json={"threads": []}))
    with pytest.raises(alfa.ServiceUnavailableError, match="5 s"):
        _request(kind, service, now=100.0, deadline=101.0)
    assert len(service.requests) == 1


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_retry_after_that_ends_before_the_deadline_is_waited_and_retried(kind):
    service = Service(httpx.Response(503, headers={"Retry-After": "0"}), httpx.Response(200, json={"threads": []}))
    assert _request(kind, service, now=100.0, deadline=101.0) == []
    assert len(service.requests) == 2


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_each_timeout_of_an_attempt_ends_at_the_deadline(kind):
    """0.25 s left on the channel's clock: connect, read, write and pool all end then."""
    service = Service(httpx.Response(200, json={"threads": []}))
    _request(kind, service, now=100.0, deadline=100.25)
    assert set(service.requests[0].extensions["timeout"].values()) == {0.25}


# -- over the wire: the channel's own retries and waits stop at the deadline too --------------


_tags = itertools.count()


def _ask(kind: str, emulator, controls: str, *, timeout: float, precreate: bool) -> BaseException:
    """Ask with ``controls`` on every request; return what it raised."""
    settings = {"api_key": emulator.api_key, "base_url": emulator.base_url, "stream_read_timeout": 0.5}
    header = {CONTROL_HEADER: f"{controls};tag=deadline-{next(_tags)}"}

    if kind == "sync":
        with alfa.AlfaClient(**settings) as plain, alfa.AlfaClient(**settings, headers=header) as client:
            thread = plain.threads.create("deadline").id if precreate else None
            with pytest.raises(alfa.AlfaError) as info:
                client.ask("INTC", thread_id=thread, timeout=timeout)
            return info.value

    async def main() -> BaseException:
        async with (
            alfa.AsyncAlfaClient(**settings) as plain,
            alfa.AsyncAlfaClient(**settings, headers=header) as client,
        ):
            thread = (await plain.threads.create("deadline")).id if precreate else None
            with pytest.raises(alfa.AlfaError) as info:
                await client.ask("INTC", thread_id=thread, timeout=timeout)
            return info.value

    return asyncio.run(main())


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_retry_after_longer_than_the_time_left_is_not_waited(emulator_process, kind):
    """A 503 asking for 5 s on the stream's first request, with 1 s to go: a typed error naming the
    503 and its wait, instead of five seconds of sleep (the 503 is one-shot: after the wait, the
    retry would have been answered)."""
    error = _ask(kind, emulator_process, "status=503;retry_after=5", timeout=1.0, precreate=True)
    assert isinstance(error, alfa.ServiceUnavailableError) and "503" in str(error) and "5 s" in str(error)
    assert isinstance(error.answer, alfa.Answer)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_slow_rest_call_is_cut_at_the_deadline(emulator_process, kind):
    """The thread's creation answers after 3 s (a REST call, whose own timeout is 60 s): the ask
    still ends at its 1 s deadline, with a timeout error naming the call (uncut, the call would
    have been answered after 3 s)."""
    error = _ask(kind, emulator_process, "slow_first_byte=3", timeout=1.0, precreate=False)
    assert isinstance(error, alfa.APITimeoutError) and "POST /threads" in str(error)
    assert isinstance(error.answer, alfa.Answer)
