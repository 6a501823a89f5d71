"""The channel on an httpx.MockTransport: whose credential goes where, the timeouts an attempt
gets (cut to the ask's deadline on an injected clock), the limiter's turn before a request, and
event streams, blocking and async."""

from __future__ import annotations

import asyncio
import dataclasses
import random

import httpx
import pytest

import alfa_notebook as alfa
from alfa_notebook._version import __version__
from alfa_notebook.wire import operations as ops
from alfa_notebook.wire.channel import AsyncChannel, SyncChannel, shown_url
from alfa_notebook.wire.events import MessageChunk, StreamClosed
from alfa_notebook.wire.limiter import Limiter, Rate
from alfa_notebook.wire.retry import backoff
from alfa_notebook.wire.settings import resolve_settings

BASE = "http://127.0.0.1:9"
THREADS = {"threads": []}


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def settings(**kw):
    fixed = {k: kw.pop(k) for k in ("connect_timeout",) if k in kw}
    resolved = resolve_settings(api_key=kw.pop("api_key", "k"), base_url=BASE, env={}, **kw)
    return dataclasses.replace(resolved, **fixed)


def sync(handler, **kw):
    channel_kw = {k: kw.pop(k) for k in ("headers", "limiter", "clock") if k in kw}
    return SyncChannel(settings(**kw), transport=httpx.MockTransport(handler), rng=random.Random(0), **channel_kw)


def async_(handler, **kw):
    channel_kw = {k: kw.pop(k) for k in ("headers", "limiter", "clock") if k in kw}
    return AsyncChannel(settings(**kw), transport=httpx.MockTransport(handler), rng=random.Random(0), **channel_kw)


class Recorder:
    """A service answering from a script, keeping every request it got."""

    def __init__(self, *responses: httpx.Response | Exception) -> None:
        self.script = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        outcome = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


@pytest.fixture
def slept(fake_sleep):
    delays: list[float] = []
    fake_sleep(delays.append)
    return delays


# -- the credential -------------------------------------------------------------------------------


def test_v1_sends_the_key_as_x_api_key_and_v2_as_a_bearer_token():
    v1 = Recorder(httpx.Response(200, json=THREADS))
    sync(v1).request(ops.list_threads())
    assert v1.requests[0].headers["x-api-key"] == "k" and "authorization" not in v1.requests[0].headers
    v2 = Recorder(httpx.Response(200, json=THREADS))
    sync(v2, api_version="v2").request(ops.list_threads())
    assert v2.requests[0].headers["authorization"] == "Bearer k" and "x-api-key" not in v2.requests[0].headers


def test_credential_headers_passed_by_the_caller_are_dropped_and_others_kept():
    service = Recorder(httpx.Response(200, json=THREADS))
    headers = {"Authorization": "Bearer stolen", "X-API-Key": "other", "X-Team": "quant"}
    sync(service, headers=headers).request(ops.list_threads())
    sent = service.requests[0].headers
    assert sent["x-api-key"] == "k" and "authorization" not in sent and sent["x-team"] == "quant"
    assert sent["user-agent"] == f"alfa-notebook/{__version__} httpx/{httpx.__version__}"


@pytest.mark.parametrize("elsewhere", ["http://127.0.0.1:10/x", "https://127.0.0.1:9/x", "http://127.0.0.2:9/x"])
def test_a_redirect_to_another_port_scheme_or_host_carries_no_credential(elsewhere):
    service = Recorder(httpx.Response(302, headers={"location": elsewhere}), httpx.Response(200, json=THREADS))
    sync(service).request(ops.list_threads())
    assert service.requests[0].headers["x-api-key"] == "k"
    assert service.requests[1].url == elsewhere and "x-api-key" not in service.requests[1].headers


def test_without_a_key_nothing_is_sent_and_the_error_names_where_to_set_it():
    service = Recorder(httpx.Response(200, json=THREADS))
    channel = sync(service, api_key=None)
    with pytest.raises(alfa.ConfigurationError) as info:
        channel.request(ops.list_threads())
    assert str(info.value) == (
        "No Alfa credential for api_version='v1': set ALFA_API_KEY or INVESTING_ASSISTANT_API_KEY in the environment, or pass api_key=... "
        "to the client."
    )
    assert info.value.setting == "api_key"
    with pytest.raises(alfa.ConfigurationError):
        channel.open_stream("t1")
    with pytest.raises(alfa.ConfigurationError):
        asyncio.run(async_(service, api_key=None).request(ops.list_threads()))
    with pytest.raises(alfa.ConfigurationError):
        asyncio.run(async_(service, api_key=None).open_stream("t1"))
    assert service.requests == []


def test_shown_url_hides_a_user_and_password():
    assert shown_url("https://me:secret@alfa.example/x") == "https://alfa.example/x"
    assert shown_url("https://me@alfa.example:8443/a?b=1") == "https://alfa.example:8443/a?b=1"
    assert shown_url("https://alfa.example") == "https://alfa.example"


# -- timeouts and the deadline --------------------------------------------------------------------


def test_an_attempt_gets_the_configured_timeouts_and_a_stream_its_read_timeout():
    service = Recorder(httpx.Response(200, json=THREADS))
    channel = sync(service, timeout=30, connect_timeout=4, stream_read_timeout=90)
    channel.request(ops.list_threads())
    assert service.requests[0].extensions["timeout"] == {"connect": 4, "read": 30, "write": 30, "pool": 30}
    service.script = [httpx.Response(200, text="", headers={"content-type": "text/event-stream"})]
    channel.open_stream("t1").close()
    stream = service.requests[1]
    assert stream.extensions["timeout"] == {"connect": 4, "read": 90, "write": 30, "pool": 30}
    assert stream.headers["accept"] == "text/event-stream" and stream.headers["cache-control"] == "no-store"
    assert stream.url == f"{BASE}/client/v1/threads/stream/t1"


def test_a_redirected_stream_is_followed_with_its_credential_by_both_channels():
    moved = f"{BASE}/client/v1/threads/stream/t1/moved"
    sse = {"content-type": "text/event-stream"}
    service = Recorder(httpx.Response(307, headers={"location": moved}), httpx.Response(200, text="", headers=sse))
    sync(service).open_stream("t1").close()

    async def main() -> None:
        channel = async_(service)
        service.script = [httpx.Response(307, headers={"location": moved}), httpx.Response(200, text="", headers=sse)]
        await (await channel.open_stream("t1")).aclose()
        await channel.aclose()

    asyncio.run(main())
    assert [str(r.url) for r in service.requests] == [f"{BASE}/client/v1/threads/stream/t1", moved] * 2
    assert all(r.headers["x-api-key"] == "k" for r in service.requests)


def test_an_error_closing_the_pools_of_a_live_event_loop_is_raised():
    async def main() -> None:
        channel = async_(Recorder(httpx.Response(200, json=THREADS)))
        await channel.request(ops.list_threads())  # its pools are bound to this loop, still running

        async def broken() -> None:
            raise RuntimeError("the pool could not close")

        channel._http.aclose = broken  # type: ignore[method-assign]
        with pytest.raises(RuntimeError, match="the pool could not close"):
            await channel.aclose()

    asyncio.run(main())


def test_an_attempts_timeouts_end_at_the_deadline():
    clock = Clock()
    service = Recorder(httpx.Response(200, json=THREADS))
    channel = sync(service, timeout=30, connect_timeout=4, clock=clock)
    channel.request(ops.list_threads(), deadline=clock.now + 10)
    assert service.requests[0].extensions["timeout"] == {"connect": 4, "read": 10, "write": 10, "pool": 10}
    channel.request(ops.list_threads(), deadline=clock.now - 5)  # already past: the least there is
    assert service.requests[1].extensions["timeout"] == {"connect": 0.001, "read": 0.001, "write": 0.001, "pool": 0.001}


def test_a_retry_that_would_end_past_the_deadline_is_not_begun(slept):
    clock = Clock()
    service = Recorder(httpx.Response(503, headers={"retry-after": "2"}), httpx.Response(200, json=THREADS))
    channel = sync(service, clock=clock)
    with pytest.raises(alfa.ServiceUnavailableError):
        channel.request(ops.list_threads(), deadline=clock.now + 2)  # a wait of 2 ends at the deadline
    assert len(service.requests) == 1 and slept == []
    service.script = [httpx.Response(503, headers={"retry-after": "2"}), httpx.Response(200, json=THREADS)]
    assert channel.request(ops.list_threads(), deadline=clock.now + 2.5) == []
    assert slept == [2.0]
    service.script = [httpx.ConnectError("refused"), httpx.Response(200, json=THREADS)]
    with pytest.raises(alfa.APIConnectionError):
        channel.request(ops.list_threads(), deadline=clock.now + 0.1)  # no backoff fits
    assert slept == [2.0]


def test_a_wait_longer_than_a_minute_is_not_slept_but_raised_saying_how_long(slept):
    service = Recorder(httpx.Response(503, headers={"retry-after": "61"}))
    with pytest.raises(alfa.ServiceUnavailableError) as info:
        sync(service).request(ops.list_threads())
    assert info.value.retry_after == 61 and len(service.requests) == 1 and slept == []
    service = Recorder(httpx.Response(503, headers={"retry-after": "60"}), httpx.Response(200, json=THREADS))
    assert sync(service).request(ops.list_threads()) == [] and slept == [60.0]


def test_connection_failures_are_retried_max_retries_times_then_raised(slept):
    service = Recorder(httpx.ConnectError("refused"))
    with pytest.raises(alfa.APIConnectionError) as info:
        sync(service, max_retries=2).request(ops.create_thread("x"))
    assert len(service.requests) == 3 and len(slept) == 2 and info.value.processed is False
    assert f"could not reach the service at {BASE} (ConnectError: refused)" in str(info.value)
    assert slept[1] > slept[0]  # backing off
    service = Recorder(httpx.ConnectError("refused"))
    with pytest.raises(alfa.APIConnectionError):
        sync(service, max_retries=0).request(ops.list_threads())
    assert len(service.requests) == 1


def test_an_idempotent_request_is_retried_after_a_read_timeout_a_post_is_not(slept):
    service = Recorder(httpx.ReadTimeout("slow"), httpx.Response(200, json=THREADS))
    assert sync(service).request(ops.list_threads()) == [] and len(service.requests) == 2
    service = Recorder(httpx.ReadTimeout("slow"), httpx.Response(200, json={"thread_id": "t"}))
    with pytest.raises(alfa.APITimeoutError):
        sync(service).request(ops.create_thread("x"))
    assert len(service.requests) == 1


# -- the limiter ----------------------------------------------------------------------------------


def test_a_request_waits_its_turn_once_and_its_answers_teach_the_limiter(slept):
    clock = Clock()
    limiter = Limiter({"threads": Rate(60, 60)}, max_pause=120, clock=clock)  # one a second
    service = Recorder(httpx.Response(503), httpx.Response(200, json=THREADS))
    channel = sync(service, limiter=limiter)
    channel.request(ops.list_threads())  # the first slot, at once; a retry keeps it
    assert len(service.requests) == 2 and len(slept) == 1  # only the backoff
    service.script = [httpx.Response(200, json=THREADS)]
    channel.request(ops.list_threads())
    assert slept[1] == pytest.approx(1.0)  # the next slot
    service.script = [httpx.Response(429, headers={"retry-after": "5"}), httpx.Response(200, json=THREADS)]
    channel.request(ops.list_threads())
    assert limiter.throttled == 1 and limiter.rate("threads") < 1.0  # the 429 slowed the pace
    assert limiter.paused("threads") == pytest.approx(5.0)  # every other request waits out its Retry-After
    # the retry goes in the first slot after the 5 s pause (its turn, at 2 s, is within it)
    assert slept[-1] == pytest.approx(5.0)


def test_async_a_request_waits_its_turn_and_after_a_429_its_slot_after_the_pause(slept):
    clock = Clock()
    limiter = Limiter({"threads": Rate(60, 60)}, max_pause=120, clock=clock)
    service = Recorder(httpx.Response(200, json=THREADS))
    channel = async_(service, limiter=limiter)

    async def calls():
        await channel.request(ops.list_threads())
        await channel.request(ops.list_threads())
        service.script = [httpx.Response(429, headers={"retry-after": "5"}), httpx.Response(200, json=THREADS)]
        await channel.request(ops.list_threads())
        service.script = [httpx.Response(502), httpx.Response(200, json=THREADS)]
        await channel.request(ops.list_threads())
        await channel.aclose()

    asyncio.run(calls())
    assert slept[0] == pytest.approx(1.0)  # the second request's turn
    assert slept[2] == pytest.approx(5.0)  # the 429's retry: the first slot after the pause
    assert limiter.throttled == 1 and len(service.requests) == 6
    assert limiter.paused("threads") == pytest.approx(5.0)


def test_async_failures_are_typed_and_retried_as_the_blocking_ones(slept):
    service = Recorder(httpx.ConnectError("refused"))
    channel = async_(service, max_retries=1)
    with pytest.raises(alfa.APIConnectionError) as info:
        asyncio.run(channel.request(ops.create_thread("x")))
    assert len(service.requests) == 2 and len(slept) == 1 and info.value.processed is False
    service = Recorder(httpx.Response(404, json={"detail": "Thread not found"}))
    with pytest.raises(alfa.NotFoundError, match="Thread not found"):
        asyncio.run(async_(service).request(ops.progress("t1")))


# -- event streams --------------------------------------------------------------------------------

FRAMES = (
    ": ping\n\n"
    "data: \n\n"
    'data: {"message_chunk": {"message": "Hel", "message_id": "m1"}}\n\n'
    'data: {"message_chunk": {"message": "lo", "message_id": "m1"}, "final_chunk": true}\n\n'
    "event: close\ndata: \n\n"
)


class Streamed(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that arrives as a stream (httpx reads an in-memory one at once)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __iter__(self):
        yield self.data

    async def __aiter__(self):
        yield self.data


def sse(body: str | bytes = FRAMES, **headers: str) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"content-type": "text/event-stream", **headers})


def test_a_stream_yields_its_events_skipping_pings_and_empty_frames():
    with sync(Recorder(sse())).open_stream("t1") as stream:
        events = list(stream)
    assert events[:2] == [MessageChunk("Hel", "m1", False, {}), MessageChunk("lo", "m1", True, {})]
    assert isinstance(events[2], StreamClosed) and len(events) == 3
    assert stream.response.is_closed


def test_a_stream_that_is_not_an_event_stream_is_a_typed_error_with_the_request_id():
    stream = sync(Recorder(httpx.Response(200, text="<html>", headers={"x-request-id": "r1"}))).open_stream("t1")
    with pytest.raises(alfa.APIConnectionError, match=r"The event stream broke \(SSEError\). \(request id r1\)"):
        next(stream)


def test_a_refused_stream_is_retried_then_opened(slept):
    service = Recorder(httpx.Response(503), sse())
    with sync(service).open_stream("t1") as stream:
        assert isinstance(next(stream), MessageChunk)
    assert len(service.requests) == 2


def test_async_a_stream_yields_its_events_and_a_broken_one_is_typed(slept):
    service = Recorder(httpx.Response(503), sse())

    async def read():
        async with await async_(service).open_stream("t1") as stream:
            events = [event async for event in stream]
        broken = await async_(
            Recorder(sse("<html>", **{"content-type": "text/html", "x-request-id": "r2"}))
        ).open_stream("t1")
        with pytest.raises(alfa.APIConnectionError, match=r"^The event stream broke \(SSEError\). \(request id r2\)$"):
            await broken.__anext__()
        await broken.aclose()
        return stream, events

    stream, events = asyncio.run(read())
    assert [e.text for e in events if isinstance(e, MessageChunk)] == ["Hel", "lo"]
    assert isinstance(events[-1], StreamClosed) and stream.response.is_closed
    assert service.requests[1].headers["accept"] == "text/event-stream"


# -- the debug log --------------------------------------------------------------------------------


def test_the_debug_log_names_route_status_time_attempt_and_request_id_never_the_thread_or_key(caplog, slept):
    import itertools
    import logging

    ticks = itertools.count(0.0, 1.0)  # each reading of the channel's clock a second after the last

    service = Recorder(
        httpx.ConnectError("refused"), httpx.Response(503), httpx.Response(200, json={"progress_data": None})
    )
    with caplog.at_level(logging.DEBUG, logger="alfa_notebook"):
        sync(service, api_key="sk-secret", clock=lambda: next(ticks)).request(ops.progress("thread-secret"))
    lines = [r.getMessage() for r in caplog.records if r.name == "alfa_notebook"]
    ids = [request.headers["x-request-id"] for request in service.requests]
    assert len(lines) == 3
    assert lines[0] == f"GET /threads/{{id}}/progress failed: ConnectError (attempt 1, request id {ids[0]})"
    assert lines[1] == f"GET /threads/{{id}}/progress -> 503 in 1000 ms (attempt 2, request id {ids[1]})"
    assert lines[2] == f"GET /threads/{{id}}/progress -> 200 in 1000 ms (attempt 3, request id {ids[2]})"
    assert not any("secret" in line for line in lines)


# -- what the sync and async channels share -------------------------------------------------------


def run_both(make_service, scenario, make_limiter=None, **kw):
    """``scenario(call, service)`` on a blocking and an async channel, each with a service and a
    limiter of its own; ``call(method, *args)`` calls the channel's method and returns its result."""
    results = []
    for flavour in ("sync", "async"):
        service = make_service()
        limiter = {"limiter": make_limiter()} if make_limiter else {}
        channel = (sync if flavour == "sync" else async_)(service, **limiter, **kw)

        def call(method, *args, channel=channel, flavour=flavour, **kwargs):
            result = getattr(channel, method)(*args, **kwargs)
            return asyncio.run(result) if flavour == "async" else result

        results.append(scenario(call, service))
    return results


def waits_of_one_listing(slept):
    """A ``run_both`` scenario: the pauses one listing of the threads waited, on either channel."""

    def scenario(call, service):
        slept.clear()
        assert call("request", ops.list_threads()) == []
        return list(slept)

    return scenario


def test_a_429_without_retry_after_is_retried_after_the_pause_it_puts_on_every_request(slept):
    """The retry goes in the limiter's first slot after the pause (1 s when the service says no
    more), not after its own shorter backoff, which would send it into the pause."""

    for waits in run_both(
        lambda: Recorder(httpx.Response(429), httpx.Response(200, json=THREADS)),
        waits_of_one_listing(slept),
        make_limiter=lambda: Limiter({}, max_pause=60, clock=Clock()),
    ):
        assert waits == [pytest.approx(1.0)]


def test_a_question_waits_its_turn_in_the_chat_limit(slept):
    def scenario(call, service):
        slept.clear()
        call("request", ops.send_message("t", "one"))
        call("request", ops.send_message("t", "two"))
        return list(slept)

    for waits in run_both(
        lambda: Recorder(httpx.Response(200, json={})),
        scenario,
        make_limiter=lambda: Limiter({"chat": Rate(60, 60)}, max_pause=60, clock=Clock()),
    ):
        assert waits == [pytest.approx(1.0)]


def test_the_injected_randomness_decides_the_backoff(slept):
    expected = random.Random(0)
    schedule = [backoff(0, expected), backoff(1, expected)]

    def scenario(call, service):
        slept.clear()
        with pytest.raises(alfa.APIConnectionError):
            call("request", ops.list_threads())
        return list(slept)

    for waits in run_both(lambda: Recorder(httpx.ConnectError("refused")), scenario, max_retries=2):
        assert waits == schedule


def test_a_refused_stream_says_what_the_service_said(slept):
    def scenario(call, service):
        with pytest.raises(alfa.BadRequestError) as info:
            call("open_stream", "t1")
        return str(info.value)

    def refusal():  # a body still to be read, as a stream's response is
        body = Streamed(b'{"detail": "thread t1 has no run"}')
        return Recorder(httpx.Response(400, headers={"content-type": "application/json"}, stream=body))

    for message in run_both(refusal, scenario):
        assert message.startswith("GET /threads/stream/{id} -> 400: thread t1 has no run (request id ")


def test_a_stream_is_opened_only_within_the_deadline_and_its_timeouts_end_there(slept):
    clock = Clock()

    def scenario(call, service):
        with pytest.raises(alfa.ServiceUnavailableError):
            call("open_stream", "t1", deadline=clock.now + 2)  # its retry would end at the deadline
        service.script = [sse()]
        stream = call("open_stream", "t1", deadline=clock.now + 10)
        return len(service.requests), service.requests[-1].extensions["timeout"], stream

    for requests, timeout, _ in run_both(
        lambda: Recorder(httpx.Response(503, headers={"retry-after": "2"})), scenario, clock=clock, timeout=30
    ):
        assert requests == 2 and slept == []
        assert timeout == {"connect": 5, "read": 10, "write": 10, "pool": 10}


def test_async_requests_keep_to_the_deadline_as_blocking_ones_do(slept):
    clock = Clock()

    def scenario(call, service):
        call("request", ops.list_threads(), deadline=clock.now + 10)
        cut = service.requests[-1].extensions["timeout"]
        service.script = [httpx.Response(503, headers={"retry-after": "2"})]
        with pytest.raises(alfa.ServiceUnavailableError):
            call("request", ops.list_threads(), deadline=clock.now + 2)
        return cut

    for cut in run_both(lambda: Recorder(httpx.Response(200, json=THREADS)), scenario, clock=clock, timeout=30):
        assert cut == {"connect": 5, "read": 10, "write": 10, "pool": 10}
    assert slept == []


def test_a_retry_keeps_the_slot_its_first_attempt_waited_for(slept):
    for waits in run_both(
        lambda: Recorder(httpx.Response(502), httpx.Response(200, json=THREADS)),
        waits_of_one_listing(slept),
        make_limiter=lambda: Limiter({"threads": Rate(1, 60)}, max_pause=60, clock=Clock()),
    ):
        assert len(waits) == 1 and waits[0] < 1  # its backoff only: not the next slot, a minute on


def test_an_async_stream_closed_while_another_task_reads_it_ends_that_read():
    """A stop (Ctrl-C, a cancelled batch item) closes a stream another task is still reading: the
    close must not fail, and the reader must end instead of waiting for ever."""

    class Held(httpx.AsyncByteStream):
        def __init__(self) -> None:
            self.closed = asyncio.Event()

        async def __aiter__(self):
            yield b'data: {"message_chunk": {"message": "Hel"}}\n\n'
            await self.closed.wait()  # the service sends nothing more

        async def aclose(self) -> None:
            self.closed.set()

    async def scenario():
        body = Held()
        response = httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=body)
        stream = await async_(Recorder(response)).open_stream("t1")
        assert (await stream.__anext__()).text == "Hel"
        reader = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0)  # the reader now waits inside the event parser
        await stream.aclose()
        with pytest.raises((StopAsyncIteration, alfa.APIConnectionError)):
            await reader  # (a reader left waiting would hang here: pytest-timeout ends it)
        return body

    assert asyncio.run(scenario()).closed.is_set()


def test_one_retry_allowed_still_waits_out_every_429(slept):
    """max_retries=0 turns 429 retries off; any other number leaves them to rate_limit_wait."""
    service = Recorder(*[httpx.Response(429, headers={"retry-after": "1"})] * 3, httpx.Response(200, json=THREADS))
    assert sync(service, max_retries=1).request(ops.list_threads()) == [] and len(service.requests) == 4


def test_a_listing_sends_its_query_and_an_upload_its_file():
    service = Recorder(httpx.Response(200, json={"messages": []}))
    channel = sync(service)
    channel.request(ops.list_messages("t1", limit_num=5))
    assert service.requests[0].url.params["limit_num"] == "5"
    service.script = [httpx.Response(200, json={"file_id": "f1"})]
    assert channel.request(ops.upload("t1", b"a,b\n1,2\n", "holdings.csv")) == "f1"
    body = service.requests[1].read()
    assert b'filename="holdings.csv"' in body and b"a,b\n1,2\n" in body


def test_a_404_where_nothing_answers_names_the_address_to_check():
    with pytest.raises(alfa.NotFoundError, match=r"check base_url \(http://127\.0\.0\.1:9\)"):
        sync(Recorder(httpx.Response(404))).request(ops.list_threads())
