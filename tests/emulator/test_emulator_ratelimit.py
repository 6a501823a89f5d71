"""Rate limits (docs/protocol.md, Rate limits): the spec, the sliding window, and 429s on the wire."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest

from alfa_notebook.emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Emulator
from alfa_notebook.emulator.ratelimit import (
    DOCUMENTED,
    Limit,
    RateLimiter,
    RateLimits,
    Refusal,
    SlidingWindow,
    parse_rate_limits,
)

from .wire import Alfa, controls

GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT = "urn:ietf:params:oauth:token-type:jwt"


# -- the spec -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "limits"),
    [
        ("chat=600/min", {"chat": Limit(600, 60)}),
        ("chat=5/2s, threads=100/1.5min", {"chat": Limit(5, 2), "threads": Limit(100, 90)}),
        ("other=3/h", {"other": Limit(3, 3600)}),
        ("documented", dict(DOCUMENTED)),
        ("documented,chat=600/min", {**DOCUMENTED, "chat": Limit(600, 60)}),
        ("off", {}),
        ("chat=1/min,off", {}),
    ],
)
def test_rate_limit_specs(spec: str, limits: dict[str, Limit]) -> None:
    assert parse_rate_limits(spec) == RateLimits(limits)


def test_the_documented_limits() -> None:
    assert str(parse_rate_limits("documented")) == "chat=1000/min,threads=10000/min,other=20/min"
    assert str(parse_rate_limits("chat=5/2s")) == "chat=5/2s"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("chats=1/min", "BUCKET one of chat, threads, other"),
        ("chat=5", "is not N/WINDOW"),
        ("chat=5/fortnight", "is not N/WINDOW"),
        ("chat=0/min", "must be positive"),
        ("chat=5/0s", "must be positive"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_rate_limits(spec)


# -- the window, on a fake clock ------------------------------------------------------------


def test_the_window_admits_exactly_n_in_any_w_seconds() -> None:
    window = SlidingWindow(Limit(3, 10.0))
    assert [window.admit(t) for t in (0.0, 1.0, 2.0)] == [None, None, None]
    assert window.admit(2.5) == pytest.approx(7.5), "until the first admission leaves the window"
    assert window.admit(9.999) == pytest.approx(0.001), "refusals are not counted"
    assert window.admit(10.0) is None, "a slot frees exactly W after its admission"
    assert window.admit(10.5) == pytest.approx(0.5)
    assert window.admit(11.0) is None and window.admit(12.0) is None
    assert window.admit(12.0) == pytest.approx(8.0)


def test_a_saturating_client_gets_n_per_window_and_never_more() -> None:
    """A client that retries exactly when told gets N requests per W, at the floor's pace."""
    now = 0.0
    limiter = RateLimiter(clock=lambda: now)
    limits = parse_rate_limits("chat=10/60s")
    admitted: list[float] = []
    while len(admitted) < 35:
        refusal = limiter.check(limits, "chat")
        if refusal is None:
            admitted.append(now)
        else:
            now += refusal.retry_after
    assert admitted[-1] == 180.0, "35 requests at 10 a minute: the last goes at 3 minutes, not later"
    assert all(sum(1 for t in admitted if start <= t < start + 60) <= 10 for start in admitted)


@pytest.mark.parametrize(("wait", "header"), [(0.001, 1), (0.5, 1), (1.0, 1), (1.01, 2), (59.3, 60)])
def test_retry_after_is_the_wait_rounded_up_to_whole_seconds(wait: float, header: int) -> None:
    assert Refusal("chat", Limit(1, 60), wait).retry_after == header


def test_unlimited_buckets_and_separate_limits() -> None:
    limiter = RateLimiter(clock=lambda: 0.0)
    one = parse_rate_limits("chat=1/min")
    assert limiter.check(one, "threads") is None and limiter.check(one, "threads") is None
    assert limiter.check(one, "chat") is None
    assert limiter.check(one, "chat") is not None
    assert limiter.check(parse_rate_limits("chat=2/min"), "chat") is None, "another limit, another window"


# -- on the wire ----------------------------------------------------------------------------


@pytest.fixture
def limited() -> Iterator[tuple[Emulator, Alfa]]:
    with Emulator(chunk_delay=0, rate_limit="chat=3/min") as emulator, _v1_client(emulator) as http:
        yield emulator, Alfa(http)


def test_chat_is_sending_a_message_and_the_fourth_is_429(limited: tuple[Emulator, Alfa]) -> None:
    emulator, api = limited
    threads = [api.new_thread() for _ in range(4)]
    assert [api.send(t, "Compare NVDA and AMD").status_code for t in threads[:3]] == [200, 200, 200]
    refused = api.send(threads[3], "Compare NVDA and AMD")
    assert refused.status_code == 429
    assert 58 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json() == {
        "detail": f"Rate limit exceeded: chat allows 3 requests per 60 s; retry after {refused.headers['Retry-After']} s"
    }
    assert emulator.state().user_message_count == 3, "a refused message is not recorded"
    for _ in range(20):  # every other thread endpoint is another bucket, unlimited here
        assert api.http.get("/threads").status_code == 200
    assert api.new_thread()


def test_only_requests_with_valid_credentials_count(limited: tuple[Emulator, Alfa]) -> None:
    _, api = limited
    thread_id = api.new_thread()
    for _ in range(5):
        response = api.http.post(
            f"/threads/{thread_id}/messages", data={"message": "x"}, headers={"x-api-key": "wrong"}
        )
        assert response.status_code == 401
    assert api.send(thread_id, "Compare NVDA and AMD").status_code == 200


def test_the_header_option_limits_its_requests(private_v1: tuple[Emulator, Alfa]) -> None:
    _, api = private_v1
    options = controls("rate_limit=threads=2/min")
    assert [api.http.get("/threads", headers=options).status_code for _ in range(3)] == [200, 200, 429]
    assert api.http.get("/threads").status_code == 200, "requests without the option are not limited"


def test_the_documented_limits_on_the_token_endpoint() -> None:
    form = {
        "grant_type": GRANT,
        "subject_token": "partner.jwt",
        "subject_token_type": JWT,
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
    }
    with Emulator(chunk_delay=0, rate_limit="documented") as emulator:
        statuses = [httpx.post(f"{emulator.base_url}/oauth2/token", data=form).status_code for _ in range(21)]
    assert statuses == [200] * 20 + [429], "non-thread endpoints: 20 a minute"


@pytest.fixture
def private_v1() -> Iterator[tuple[Emulator, Alfa]]:
    with Emulator(chunk_delay=0) as emulator, _v1_client(emulator) as http:
        yield emulator, Alfa(http)


def _v1_client(emulator: Emulator) -> httpx.Client:
    return httpx.Client(base_url=f"{emulator.base_url}/client/v1", headers={"x-api-key": emulator.api_key}, timeout=10)


async def _send_honouring_retry_after(http: httpx.AsyncClient, thread_id: str) -> int:
    attempts = 0
    while True:
        attempts += 1
        response = await http.post(f"/threads/{thread_id}/messages", data={"message": "Compare NVDA and AMD"})
        if response.status_code != 429:
            response.raise_for_status()
            return attempts
        await asyncio.sleep(float(response.headers["Retry-After"]))


def test_a_client_honouring_retry_after_gets_every_message_in_and_never_more_than_the_limit() -> None:
    """30 messages at 10 per 2 s from 10 senders, each sending its next as soon as the last is
    accepted: every one gets in by waiting as Retry-After says, and the times the service gave the
    accepted messages never put 11 in one 2 s window (how close to the limit's floor a client gets
    is measured in bench/, not asserted here)."""
    count, per_window, window = 30, 10, 2.0
    with Emulator(chunk_delay=0, rate_limit=f"chat={per_window}/{window:g}s") as emulator:

        async def run() -> tuple[list[str], list[int]]:
            async with httpx.AsyncClient(
                base_url=f"{emulator.base_url}/client/v1",
                headers={"x-api-key": emulator.api_key},
                limits=httpx.Limits(max_connections=per_window, max_keepalive_connections=per_window),
                timeout=30,
            ) as http:
                threads = [
                    (await http.post("/threads", json={"thread_name": f"t{i}"})).json()["thread_id"]
                    for i in range(count)
                ]

                async def sender(mine: list[str]) -> list[int]:
                    return [await _send_honouring_retry_after(http, thread_id) for thread_id in mine]

                per_sender = await asyncio.gather(*(sender(threads[i::per_window]) for i in range(per_window)))
                return threads, [a for attempts in per_sender for a in attempts]

        threads, attempts = asyncio.run(run())
        assert emulator.state().user_message_count == count
        with _v1_client(emulator) as http:
            times = sorted(
                # "...Z": fromisoformat reads the Z from Python 3.11 only
                datetime.fromisoformat(m["message_time"].replace("Z", "+00:00")).timestamp()
                for thread_id in threads
                for m in http.get(f"/threads/{thread_id}/messages").json()["messages"]
                if m["is_user_message"]
            )
    assert max(attempts) >= 2, "the limit was reached"
    assert len(times) == count
    # the service's clock, not the test's: the 11th accepted message after any is a window later
    assert all(times[i + per_window] - times[i] >= window - 0.01 for i in range(count - per_window))
