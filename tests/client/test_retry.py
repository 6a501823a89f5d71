"""Retry arithmetic and rules, with respx (no streaming here: that runs against the emulator)."""

import random

import httpx
import pytest
import respx

import alfa_notebook as alfa
from alfa_notebook.wire.retry import backoff, retry_after

BASE = "http://127.0.0.1:9"


@pytest.fixture
def slept(monkeypatch):
    delays = []
    monkeypatch.setattr("alfa_notebook.wire.channel.time.sleep", delays.append)
    return delays


def client(**kw):
    return alfa.AlfaClient._create(api_key="k", base_url=BASE, rng=random.Random(0), **kw)


def test_retry_after_forms():
    assert retry_after({"retry-after": "2"}) == 2
    assert retry_after({"retry-after": "1.5"}) == 1.5
    assert retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, now=1445412470) == 10
    assert retry_after({"retry-after": "soon"}) is None
    assert retry_after({}) is None


def test_backoff_bounds():
    rng = random.Random(1)
    for attempt in range(8):
        d = backoff(attempt, rng)
        cap = min(0.5 * 2**attempt, 8.0)
        assert 0.75 * cap <= d <= cap


@respx.mock
def test_429_then_success_honours_retry_after(slept):
    route = respx.get(f"{BASE}/client/v1/threads").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "3"}),
            httpx.Response(503, headers={"retry-after-ms": "100"}),
            httpx.Response(200, json={"threads": []}),
        ]
    )
    assert client().threads.list() == []
    assert route.call_count == 3 and slept == [3.0, 0.1]


@respx.mock
def test_a_retry_after_beyond_rate_limit_wait_raises_with_the_wait(slept):
    respx.get(f"{BASE}/client/v1/threads").mock(return_value=httpx.Response(429, headers={"Retry-After": "121"}))
    with pytest.raises(alfa.RateLimitError) as info:
        client().threads.list()
    assert info.value.retry_after == 121 and "121" in str(info.value) and slept == []


@respx.mock
def test_429s_are_retried_past_max_retries_while_the_service_answers(slept):
    """A 429 is the service's pacing, not a failure: max_retries does not count it."""
    route = respx.get(f"{BASE}/client/v1/threads").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "1"})] * 6
        + [httpx.Response(200, json={"threads": []})]
    )
    assert client(max_retries=2).threads.list() == []
    assert route.call_count == 7 and slept == pytest.approx([1.0] * 6, abs=0.05)


@respx.mock
def test_the_waits_429s_ask_for_are_bounded_in_all_by_rate_limit_wait(slept):
    route = respx.get(f"{BASE}/client/v1/threads").mock(return_value=httpx.Response(429, headers={"Retry-After": "50"}))
    with pytest.raises(alfa.RateLimitError):
        client(rate_limit_wait=120).threads.list()
    assert route.call_count == 3 and slept == pytest.approx([50.0, 50.0], abs=0.05)  # a third would make 150


@respx.mock
def test_max_retries_0_retries_no_429(slept):
    route = respx.get(f"{BASE}/client/v1/threads").mock(return_value=httpx.Response(429, headers={"Retry-After": "1"}))
    with pytest.raises(alfa.RateLimitError):
        client(max_retries=0).threads.list()
    assert route.call_count == 1 and slept == []


@respx.mock
def test_a_429_is_waited_out_only_within_the_asks_deadline(slept):
    import time

    from alfa_notebook.wire import operations as ops

    respx.get(f"{BASE}/client/v1/threads").mock(return_value=httpx.Response(429, headers={"Retry-After": "7"}))
    with pytest.raises(alfa.RateLimitError) as info:
        client()._channel.request(ops.list_threads(), deadline=time.monotonic() + 5)
    assert slept == [] and info.value.retry_after == 7


@respx.mock
def test_a_retry_after_a_429_goes_when_the_pause_ends_not_a_pause_later(slept):
    """The 429 pauses the limiter for its Retry-After; the request that met it takes the first slot
    after that pause, instead of waiting the Retry-After and then the pause again."""
    route = respx.get(f"{BASE}/client/v1/threads").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, json={"threads": []})]
    )
    assert client().threads.list() == []
    assert route.call_count == 2 and slept == [pytest.approx(2.0, abs=0.1)]


@respx.mock
def test_retries_are_bounded(slept):
    route = respx.get(f"{BASE}/client/v1/threads").mock(return_value=httpx.Response(503))
    with pytest.raises(alfa.ServiceUnavailableError):
        client(max_retries=2).threads.list()
    assert route.call_count == 3 and len(slept) == 2


@pytest.mark.parametrize("refusal", [429, 503])
@respx.mock
def test_a_refused_post_is_sent_again_as_a_get_would_be(slept, refusal):
    """429 and 503 mean the service did not act on the request: resending cannot ask twice."""
    route = respx.post(f"{BASE}/client/v1/threads/t/messages").mock(
        side_effect=[httpx.Response(refusal, headers={"Retry-After": "2"}), httpx.Response(503), httpx.Response(200)]
    )
    from alfa_notebook.wire import operations as ops

    client()._channel.request(ops.send_message("t", "hi"))
    assert route.call_count == 3 and slept[0] == 2.0


@pytest.mark.parametrize("gateway", [502, 504])
@respx.mock
def test_a_post_whose_outcome_is_unknown_is_not_resent_by_the_transport(slept, gateway):
    """A gateway error may come after the service acted: the ask procedure settles it."""
    route = respx.post(f"{BASE}/client/v1/threads/t/messages").mock(return_value=httpx.Response(gateway))
    from alfa_notebook.wire import operations as ops

    with pytest.raises(alfa.InternalServerError) as info:
        client()._channel.request(ops.send_message("t", "hi"))
    assert route.call_count == 1 and slept == []
    assert info.value.processed is None


@respx.mock
def test_a_refusal_says_the_request_was_not_processed(slept):
    respx.post(f"{BASE}/client/v1/threads").mock(return_value=httpx.Response(429, headers={"Retry-After": "600"}))
    with pytest.raises(alfa.RateLimitError) as info:
        client().threads.create("x")
    assert info.value.processed is False and info.value.retry_after == 600


@respx.mock
def test_connect_error_is_retried_even_for_a_post(slept):
    route = respx.post(f"{BASE}/client/v1/threads").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json={"thread_id": "t1"})]
    )
    assert client().threads.create("x").id == "t1"
    assert route.call_count == 2


@respx.mock
def test_read_timeout_on_a_post_is_not_retried(slept):
    route = respx.post(f"{BASE}/client/v1/threads").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(alfa.APITimeoutError):
        client().threads.create("x")
    assert route.call_count == 1


@respx.mock
def test_status_errors_are_typed_and_actionable(slept):
    respx.get(f"{BASE}/client/v1/threads/nope/progress").mock(
        return_value=httpx.Response(404, json={"detail": "Thread not found"})
    )
    respx.get(f"{BASE}/client/v1/threads").mock(
        return_value=httpx.Response(401, json={"detail": "Invalid or missing API key"})
    )
    c = client()
    with pytest.raises(alfa.NotFoundError, match="Thread not found.*threads"):
        c.threads.progress("nope")
    with pytest.raises(alfa.AuthenticationError, match="ALFA_API_KEY"):
        c.threads.list()


@respx.mock
def test_credential_only_sent_to_the_configured_origin():
    respx.get(f"{BASE}/client/v1/threads").mock(
        return_value=httpx.Response(302, headers={"location": "http://127.0.0.2:9/elsewhere"})
    )
    elsewhere = respx.get("http://127.0.0.2:9/elsewhere").mock(return_value=httpx.Response(200, json={"threads": []}))
    client().threads.list()
    assert "x-api-key" not in elsewhere.calls.last.request.headers


@respx.mock
def test_ids_cannot_walk_to_another_endpoint():
    route = respx.get(f"{BASE}/client/v1/threads/..%2Fthreads/progress").mock(
        return_value=httpx.Response(200, json={"progress_data": None})
    )
    client().threads.progress("../threads")
    assert route.called


@respx.mock
def test_a_429_without_retry_after_is_backed_off_more_each_time_within_rate_limit_wait(slept):
    """A service that throttles without saying for how long is not asked again every second for
    ever: the waits grow, and the request fails once they would add up past rate_limit_wait."""
    route = respx.get(f"{BASE}/client/v1/threads").mock(return_value=httpx.Response(429))
    with pytest.raises(alfa.RateLimitError):
        client(rate_limit_wait=20, rate_limit="off").threads.list()
    rng, asked = random.Random(0), []  # the client's: the same jitter
    while sum(asked) + (wait := backoff(len(asked), rng)) <= 20:
        asked.append(wait)
    # 0.5 s doubled each time (the first two within the 1 s pause every 429 puts on the limiter)
    assert slept[2:] == pytest.approx(asked[2:]) and slept[:2] == pytest.approx([1.0, 1.0], abs=0.05)
    assert route.call_count == len(asked) + 1 == 6


@respx.mock
def test_429_waits_that_add_up_to_exactly_rate_limit_wait_are_waited(slept):
    route = respx.get(f"{BASE}/client/v1/threads").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "60"})] * 2
        + [httpx.Response(200, json={"threads": []})]
    )
    assert client(rate_limit_wait=120).threads.list() == []
    assert route.call_count == 3 and slept == pytest.approx([60.0, 60.0], abs=0.05)
