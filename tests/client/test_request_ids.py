"""Request tracing: every attempt carries a fresh ``x-request-id``, and the id the service knows a
failed request by is on the error, in its message and in the debug log."""

from __future__ import annotations

import logging
import random
import uuid

import httpx
import pytest
import respx

import alfa_notebook as alfa

BASE = "http://127.0.0.1:9"


def uuid4(text):
    return uuid.UUID(text).version == 4 and str(uuid.UUID(text)) == text


@pytest.fixture
def no_sleep(monkeypatch):
    monkeypatch.setattr("alfa_notebook.wire.channel.time.sleep", lambda seconds: None)


@pytest.mark.parametrize("api_version", ["v1", "v2"])
@respx.mock
def test_every_attempt_carries_a_fresh_uuid4_retries_included(api_version, no_sleep):
    route = respx.get(url__regex=r".*/threads$").mock(
        side_effect=[httpx.Response(503), httpx.Response(502)] + [httpx.Response(200, json={"threads": []})] * 2
    )
    with alfa.AlfaClient._create(api_key="k", base_url=BASE, api_version=api_version, rng=random.Random(0)) as client:
        client.threads.list()
        client.threads.list()  # another call: another id
    ids = [call.request.headers["x-request-id"] for call in route.calls]
    assert len(ids) == 4 and len(set(ids)) == 4 and all(uuid4(i) for i in ids)


@respx.mock
def test_an_error_from_a_service_that_does_not_echo_carries_the_id_sent():
    route = respx.get(f"{BASE}/client/v1/threads").mock(return_value=httpx.Response(401, json={"detail": "no"}))
    with alfa.AlfaClient(api_key="k", base_url=BASE) as client, pytest.raises(alfa.AuthenticationError) as info:
        client.threads.list()
    sent = route.calls.last.request.headers["x-request-id"]
    assert info.value.request_id == sent and str(info.value).endswith(f"(request id {sent})")


@respx.mock
def test_the_echoed_id_wins_over_the_one_sent():
    respx.get(f"{BASE}/client/v1/threads").mock(
        return_value=httpx.Response(403, headers={"x-request-id": "svc_42"}, json={"detail": "no"})
    )
    with alfa.AlfaClient(api_key="k", base_url=BASE) as client, pytest.raises(alfa.PermissionDeniedError) as info:
        client.threads.list()
    assert info.value.request_id == "svc_42" and "(request id svc_42)" in str(info.value)


@respx.mock
def test_a_request_that_got_no_answer_names_the_id_it_was_sent_with(no_sleep):
    route = respx.get(f"{BASE}/client/v1/threads").mock(side_effect=httpx.ReadError("reset"))
    with alfa.AlfaClient(api_key="k", base_url=BASE, max_retries=0) as client:
        with pytest.raises(alfa.APIConnectionError) as info:
            client.threads.list()
    sent = route.calls.last.request.headers["x-request-id"]
    assert info.value.request_id == sent and f"(request id {sent})" in str(info.value)


@respx.mock
def test_each_attempt_s_debug_line_names_its_request_id(caplog, no_sleep):
    route = respx.get(f"{BASE}/client/v1/threads").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json={"threads": []})]
    )
    with caplog.at_level(logging.DEBUG, logger="alfa_notebook"):
        with alfa.AlfaClient._create(api_key="k", base_url=BASE, rng=random.Random(0)) as client:
            client.threads.list()
    lines = [r.getMessage() for r in caplog.records if "/threads" in r.getMessage()]
    ids = [call.request.headers["x-request-id"] for call in route.calls]
    assert len(lines) == 2 and all(f"request id {i}" in line for i, line in zip(ids, lines))


def test_against_the_emulator_a_failed_ask_s_error_carries_the_echoed_id(make_client):
    driven = make_client("status=503;retry_after=none;on=send_message", max_retries=0)
    with pytest.raises(alfa.ServiceUnavailableError) as info:
        driven.ask("Compare NVDA and AMD", timeout=30)
    assert uuid4(info.value.request_id) and f"(request id {info.value.request_id})" in str(info.value)
