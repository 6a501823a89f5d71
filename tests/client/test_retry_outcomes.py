"""What a failed request says about the service's state, and so whether it may be sent again:
a 500 on a POST may have been acted on, a request that waited for a pooled connection was never
sent, and a failed TLS handshake fails the same way every time (with respx, no network)."""

from __future__ import annotations

import random

import httpx
import pytest
import respx

import alfa_notebook as alfa
from alfa_notebook.wire import operations as ops
from alfa_notebook.wire.retry import retry_after, should_retry_status, status_processed

BASE = "http://127.0.0.1:9"
MESSAGES = f"{BASE}/client/v1/threads/t/messages"


@pytest.fixture
def slept(monkeypatch):
    delays: list[float] = []
    monkeypatch.setattr("alfa_notebook.wire.channel.time.sleep", delays.append)
    return delays


def transport():
    return alfa.AlfaClient._create(api_key="k", base_url=BASE, rng=random.Random(0), max_retries=2)._channel


@respx.mock
def test_a_500_on_a_post_is_an_unknown_outcome_not_sent_again(slept):
    """The service failed while handling the question: it may have been asked already, so the
    channel does not send it again, and the error says the outcome is unknown (the ask
    procedure then reads the record before any resend)."""
    route = respx.post(MESSAGES).mock(return_value=httpx.Response(500, json={"detail": "boom"}))
    with pytest.raises(alfa.InternalServerError) as info:
        transport().request(ops.send_message("t", "hi"))
    assert route.call_count == 1 and slept == []
    assert info.value.processed is None


@respx.mock
def test_a_pool_timeout_never_sent_the_request_so_a_post_is_retried(slept):
    route = respx.post(MESSAGES).mock(side_effect=[httpx.PoolTimeout("no free connection"), httpx.Response(200)])
    transport().request(ops.send_message("t", "hi"))
    assert route.call_count == 2


@respx.mock
def test_a_pool_timeout_that_lasts_says_the_question_was_not_processed(slept):
    respx.post(MESSAGES).mock(side_effect=httpx.PoolTimeout("no free connection"))
    with pytest.raises(alfa.APITimeoutError) as info:
        transport().request(ops.send_message("t", "hi"))
    assert info.value.processed is False


@respx.mock
def test_a_failed_tls_handshake_is_not_retried(slept):
    """A certificate the client does not trust is refused the same way on every attempt: one
    attempt, a TLSError naming OpenSSL's reason, no waiting."""

    # httpx's ConnectError carries OpenSSL's words, as a real handshake failure does.
    failure = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed (_ssl.c:1000)")
    route = respx.get(f"{BASE}/client/v1/threads").mock(side_effect=failure)
    with pytest.raises(alfa.TLSError, match="CERTIFICATE_VERIFY_FAILED"):
        transport().request(ops.list_threads())
    assert route.call_count == 1 and slept == []


@pytest.mark.parametrize(
    "headers,wait",
    [
        ({"retry-after": "0.25"}, 0.25),  # under a second: kept, not rounded up
        ({"retry-after": "-5"}, 0.0),  # a negative wait is no wait
        ({"retry-after-ms": "-5"}, 0.0),
        ({"retry-after-ms": "soon", "retry-after": "2"}, 2.0),  # an unreadable -ms falls back
        ({"retry-after": "nan"}, None),  # no wait a client can keep
        ({"retry-after": "inf"}, None),
        ({"retry-after-ms": "inf"}, None),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),  # a date passed: at once
        ({"retry-after": "Wed, 21 Oct 2015 07:28:30 GMT"}, 30.0),
        ({"retry-after": "0 JAN 10000 0:0"}, None),  # out of range: no date
    ],
)
def test_the_wait_a_service_asks_for_is_read_as_it_means(headers, wait):
    assert retry_after(headers, now=1445412480) == wait


@pytest.mark.parametrize("status,processed", [(400, False), (408, False), (499, False), (500, None), (503, False)])
def test_what_an_error_status_says_about_the_request(status, processed):
    assert status_processed(status) is processed


@pytest.mark.parametrize("status", [408, 429, 503])
def test_a_refused_request_is_retried_whatever_its_method(status):
    assert should_retry_status(status, idempotent=False) and should_retry_status(status, idempotent=True)


@pytest.mark.parametrize("status", [500, 501, 400, 404])
def test_a_failure_that_is_no_refusal_or_gateway_is_not_retried(status):
    assert not should_retry_status(status, idempotent=True)


def test_a_date_in_retry_after_counts_from_now():
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert retry_after({"retry-after": "Fri, 01 Jan 2100 00:00:00 GMT"}) > 365 * 24 * 3600
