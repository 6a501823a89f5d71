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

BASE = "http://127.0.0.1:9"
MESSAGES = f"{BASE}/client/v1/threads/t/messages"


@pytest.fixture
def slept(monkeypatch):
    delays: list[float] = []
    monkeypatch.setattr("alfa_notebook.wire.transport.time.sleep", delays.append)
    return delays


def transport():
    return alfa.AlfaClient(api_key="k", base_url=BASE, rng=random.Random(0), max_retries=2)._transport


@respx.mock
def test_a_500_on_a_post_is_an_unknown_outcome_not_sent_again(slept):
    """The service failed while handling the question: it may have been asked already, so the
    transport does not send it again, and the error says the outcome is unknown (the ask
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
