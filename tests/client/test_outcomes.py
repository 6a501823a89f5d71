"""What a response or a failure tells the user: the typed error, its one line (what happened and
what to do), and what it says about the request (processed, retry_after, request id). Built from
httpx responses and exceptions, no network."""

from __future__ import annotations

import ssl

import httpx
import pytest

import alfa_notebook as alfa
from alfa_notebook.wire import operations as ops
from alfa_notebook.wire.outcomes import (
    connection_error,
    parse_body,
    parsed,
    response_request_id,
    sent_request_id,
    status_error,
    stream_error,
    tls_reason,
)

BASE = "https://alfa.example"


def sent(method="GET", url=f"{BASE}/client/v1/threads", request_id="req_sent"):
    return httpx.Request(method, url, headers={"x-request-id": request_id} if request_id else {})


def answer(code, *, request=None, **kw):
    return httpx.Response(code, request=request or sent(), **kw)


# -- status errors ------------------------------------------------------------------------------


def test_a_status_error_is_one_line_with_the_route_the_services_words_the_advice_and_the_id():
    error = status_error(answer(401, json={"detail": "Invalid key"}), ops.list_threads())
    assert isinstance(error, alfa.AuthenticationError)
    assert str(error) == (
        "GET /threads -> 401: Invalid key. Check the key: ALFA_API_KEY for v1, ALFA_ACCESS_TOKEN for v2 "
        "(and that api_version matches it). (request id req_sent)"
    )
    assert (error.status_code, error.method, error.path, error.request_id) == (401, "GET", "/threads", "req_sent")
    assert error.body == {"detail": "Invalid key"} and error.detail == "Invalid key"
    assert error.processed is False and error.retry_after is None


@pytest.mark.parametrize(
    "code,advice",
    [
        (403, "The credential is valid but not allowed to do this; check its scopes or the thread's owner."),
        (409, "The thread is busy with another answer: wait for it, or stop it with client.threads.cancel(thread_id)."),
        (422, "The request was malformed; this is probably a bug in alfa-notebook, please report it."),
    ],
)
def test_each_refusal_says_what_to_do(code, advice):
    error = status_error(answer(code, json={"detail": "no"}), ops.list_threads())
    assert error.advice == advice and str(error) == f"GET /threads -> {code}: no. {advice} (request id req_sent)"


def test_a_status_with_no_advice_and_no_detail_says_only_what_happened():
    error = status_error(answer(418, request=sent(request_id=None)), ops.list_threads())
    assert type(error) is alfa.APIStatusError and str(error) == "GET /threads -> 418"
    assert error.advice == "" and error.detail == "" and error.request_id is None and error.body is None


def test_a_429_says_how_long_to_wait_when_the_service_says_it():
    error = status_error(answer(429, headers={"retry-after": "3"}), ops.list_threads())
    assert isinstance(error, alfa.RateLimitError) and error.retry_after == 3.0 and error.processed is False
    assert error.advice == "Rate limited: retry in 3 s."
    assert status_error(answer(429), ops.list_threads()).advice == "Rate limited: wait a little and retry."


def test_a_server_error_says_to_retry_and_any_wait_asked_and_that_the_outcome_is_unknown():
    error = status_error(answer(500, headers={"retry-after": "5"}, text="boom"), ops.send_message("t", "hi"))
    assert type(error) is alfa.InternalServerError and error.processed is None and error.retry_after == 5.0
    assert str(error) == (
        "POST /threads/{id}/messages -> 500: boom. The service failed; retry shortly. It asked to wait 5 s. "
        "(request id req_sent)"
    )
    unavailable = status_error(answer(503), ops.list_threads())
    assert isinstance(unavailable, alfa.ServiceUnavailableError) and unavailable.processed is False
    assert unavailable.advice == "The service failed; retry shortly."
    assert status_error(answer(502), ops.list_threads()).processed is None


def test_a_404_where_nothing_answers_says_to_check_base_url_and_names_it():
    error = status_error(answer(404), ops.list_threads(), "http://localhost:8000")
    assert isinstance(error, alfa.NotFoundError)
    assert error.advice == (
        "Nothing answers at this address: check base_url (http://localhost:8000) and api_version; "
        "it should be the Alfa API's root, such as https://alfa.boosted.ai."
    )
    assert status_error(answer(404), ops.list_threads()).advice.startswith(
        "Nothing answers at this address: check base_url and"
    )


def test_a_404_on_a_thread_or_an_artifact_says_which_does_not_exist():
    thread = status_error(answer(404, json={"detail": "Thread not found"}), ops.progress("t1"), BASE)
    assert thread.advice == (
        "The thread does not exist (it may have been deleted); client.threads.list() lists your threads."
    )
    artifact = status_error(answer(404), ops.get_artifact("t1", "a1"), BASE)
    assert artifact.advice.startswith("The artifact does not exist (it may have been deleted)")


def test_validation_errors_name_each_field_without_the_body_prefix():
    body = {
        "detail": [
            {"loc": ["body", "input", "text"], "msg": "field required"},
            {"loc": ["query", 0], "msg": "bad"},
            {"msg": "no loc"},
            "plain",
        ]
    }
    error = status_error(answer(422, json=body), ops.list_threads())
    assert error.detail == "input.text: field required; query.0: bad; : no loc; plain"


def test_the_services_words_are_cut_to_200_characters():
    assert status_error(answer(400, json={"detail": "x" * 200}), ops.list_threads()).detail == "x" * 200
    long = status_error(answer(400, json={"detail": "x" * 201}), ops.list_threads()).detail
    assert long == "x" * 199 + "…"
    assert status_error(answer(400, json={"error": "odd"}), ops.list_threads()).detail == "{'error': 'odd'}"


def test_a_body_that_is_not_json_is_kept_as_its_first_500_characters():
    assert parse_body(answer(500, text="<html>" + "x" * 600)) == ("<html>" + "x" * 600)[:500]
    assert parse_body(answer(500, content=b"")) is None
    assert parse_body(answer(200, json=[1])) == [1]
    deep = "[" * 100_000 + "]" * 100_000
    assert parse_body(answer(200, text=deep)) == deep[:500]


def test_a_body_of_another_shape_than_documented_is_a_typed_error_pointing_at_base_url():
    with pytest.raises(alfa.APIError) as info:
        parsed(ops.create_thread("x"), answer(200, text="<html>proxy</html>"))
    assert str(info.value) == (
        "POST /threads -> 200, but the response is not what the API documents (TypeError). "
        "Check base_url: is it the Alfa API's root?"
    )
    assert (info.value.method, info.value.path) == ("POST", "/threads")
    assert parsed(ops.create_thread("x"), answer(200, json={"thread_id": "t9"})).id == "t9"


# -- request ids ----------------------------------------------------------------------------------


def test_the_request_id_is_the_echoed_one_else_the_one_sent_else_none():
    assert response_request_id(answer(500, headers={"x-request-id": "svc"})) == "svc"
    assert response_request_id(answer(500)) == "req_sent"
    assert response_request_id(httpx.Response(500)) is None  # no request behind it
    assert sent_request_id(httpx.ReadError("reset", request=sent())) == "req_sent"
    assert sent_request_id(httpx.ReadError("reset")) is None


# -- connection errors ---------------------------------------------------------------------------


def test_a_connect_timeout_was_never_sent_and_says_it_was_connecting():
    error = connection_error(httpx.ConnectTimeout("slow", request=sent()), ops.list_threads(), BASE)
    assert type(error) is alfa.APITimeoutError and error.processed is False and error.request_id == "req_sent"
    assert str(error) == (
        "GET /threads timed out (ConnectTimeout) connecting. The service is slow or unreachable; retry, or "
        "allow more time: AlfaClient(timeout=...), ask(..., timeout=...). (request id req_sent)"
    )
    assert (error.method, error.path) == ("GET", "/threads")


def test_a_read_timeout_may_have_been_acted_on_and_says_it_was_waiting():
    error = connection_error(httpx.ReadTimeout("slow", request=sent()), ops.send_message("t", "hi"), BASE)
    assert type(error) is alfa.APITimeoutError and error.processed is None
    assert "timed out (ReadTimeout) waiting for the response." in str(error)


def test_a_refused_connection_says_it_could_not_reach_the_service_at_the_address():
    error = connection_error(httpx.ConnectError("refused", request=sent()), ops.list_threads(), BASE)
    assert type(error) is alfa.APIConnectionError and error.processed is False
    assert (error.method, error.path, error.request_id) == ("GET", "/threads", "req_sent")
    assert str(error) == (
        f"GET /threads could not reach the service at {BASE} (ConnectError: refused). "
        "Check the network and base_url. (request id req_sent)"
    )
    unnamed = connection_error(httpx.ConnectError("refused"), ops.list_threads())
    assert (
        str(unnamed)
        == "GET /threads could not reach the service (ConnectError: refused). Check the network and base_url."
    )


def test_a_connection_lost_after_sending_says_so_and_that_the_outcome_is_unknown():
    error = connection_error(httpx.ReadError("reset", request=sent()), ops.send_message("t", "hi"), BASE)
    assert error.processed is None
    assert str(error).startswith(f"POST /threads/{{id}}/messages lost the connection to the service at {BASE}")


# -- TLS --------------------------------------------------------------------------------------------


def _handshake_failure(reason: str) -> httpx.ConnectError:
    error = httpx.ConnectError("handshake failed", request=sent())
    error.__cause__ = ssl.SSLError(1, f"{reason} (_ssl.c:1000)")
    return error


def test_an_untrusted_certificate_names_openssls_reason_and_ssl_cert_file():
    failure = _handshake_failure("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate")
    error = connection_error(failure, ops.list_threads(), BASE)
    assert type(error) is alfa.TLSError and error.processed is False and error.request_id == "req_sent"
    assert error.reason == "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"
    assert (error.method, error.path) == ("GET", "/threads")
    assert str(error) == (
        f"GET /threads: the TLS handshake with {BASE} failed: {error.reason}. Its certificate is not one the "
        "client trusts. If the service is reached through a corporate proxy or has a private certificate "
        "authority, set the environment variable SSL_CERT_FILE to a PEM file holding that CA's certificate, "
        "then make a new client. (request id req_sent)"
    )


@pytest.mark.parametrize("reason", ["[SSL: WRONG_VERSION_NUMBER] wrong version number", "[SSL] record layer failure"])
def test_https_to_a_plain_http_server_says_to_use_http(reason):
    error = connection_error(_handshake_failure(reason), ops.list_threads())
    assert "the TLS handshake failed" in str(error)
    assert (
        "The server at this address does not speak TLS: if it is plain HTTP, base_url should start with http://"
        in str(error)
    )


def test_another_tls_failure_points_at_base_url_and_ssl_cert_file():
    error = connection_error(_handshake_failure("[SSL: SSLV3_ALERT_HANDSHAKE_FAILURE] alert"), ops.list_threads())
    assert str(error).endswith(
        "Check base_url, and SSL_CERT_FILE if a private certificate authority is involved. (request id req_sent)"
    )


def test_tls_reason_reads_the_chain_of_causes_and_stops_on_a_loop():
    plain = httpx.ConnectError("refused")
    assert tls_reason(plain) is None
    looped = httpx.ConnectError("refused")
    other = OSError("reset")
    looped.__context__, other.__context__ = other, looped
    assert tls_reason(looped) is None
    nameless = httpx.ConnectError("x")
    nameless.__context__ = ssl.SSLError(1, "(_ssl.c:1)")  # no words but where
    assert tls_reason(nameless) == "SSLError"
    assert tls_reason(httpx.ConnectError("[SSL: X] y")) == "[SSL: X] y"  # OpenSSL's words in the text only
    deep = httpx.ConnectError("x")
    middle = OSError("y")
    deep.__cause__, middle.__context__ = middle, ssl.SSLError(1, "[SSL: Z] z (_ssl.c:42)")
    assert tls_reason(deep) == "[SSL: Z] z"


# -- broken streams -------------------------------------------------------------------------------


def test_a_stream_that_went_quiet_is_a_timeout_naming_the_read_timeout():
    error = stream_error(httpx.ReadTimeout("quiet"), request_id="req_s")
    assert type(error) is alfa.APITimeoutError
    assert str(error) == (
        "The event stream sent nothing for longer than the read timeout (ReadTimeout). (request id req_s)"
    )
    assert (error.method, error.path, error.request_id) == ("GET", "/threads/stream/{id}", "req_s")


def test_a_stream_that_broke_says_how():
    error = stream_error(httpx.RemoteProtocolError("cut"), "/r", "req_s")
    assert type(error) is alfa.APIConnectionError
    assert str(error) == "The event stream broke (RemoteProtocolError). (request id req_s)"
    assert (error.method, error.path, error.request_id) == ("GET", "/r", "req_s")
    assert str(stream_error(ValueError("x"))) == "The event stream broke (ValueError)."
