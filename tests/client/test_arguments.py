"""Every argument is checked before anything is sent: a typed error naming the argument and
what it takes, and no request reaches the service (the emulator counts what it receives)."""

from __future__ import annotations

import json
import math
import sys

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import alfa_notebook as alfa
from alfa_notebook.emulator.defaults import MAX_QUESTION_BYTES
from alfa_notebook.wire import arguments
from alfa_notebook.wire.settings import DEFAULT_MAX_QUESTION_BYTES

Q = "What is NVDA's price?"

BAD_ASKS = [
    # (call's arguments, the error, words the message holds); the error's .setting names the argument
    ((Q,), {"timeout": -1}, alfa.ConfigurationError, "timeout must be a number of seconds above 0"),
    ((Q,), {"timeout": 0}, alfa.ConfigurationError, "timeout must be a number of seconds above 0"),
    ((Q,), {"timeout": float("nan")}, alfa.ConfigurationError, "timeout must be"),
    (
        (Q,),
        {"timeout": "5"},
        alfa.ArgumentTypeError,
        "timeout takes a number of seconds above 0 (None: no limit), not str '5'",
    ),
    (
        (Q,),
        {"on_event": 1},
        alfa.ArgumentTypeError,
        "on_event takes a function called as on_event(event, turn) (or None), not int 1",
    ),
    ((Q,), {"thread_id": 123}, alfa.ArgumentTypeError, "thread_id takes a string (or None), not int 123"),
    ((Q,), {"thread_id": " "}, alfa.ConfigurationError, "thread_id is empty"),
    ((Q,), {"sources": {"twitter": "off"}}, alfa.ConfigurationError, "unknown source 'twitter'"),
    (
        (Q,),
        {"sources": 3},
        alfa.ArgumentTypeError,
        "sources takes a dict such as {'web_search': 'off'} or text such as 'web=off', not int",
    ),
    ((Q,), {"thread_name": 5}, alfa.ArgumentTypeError, "thread_name takes a string"),
    ((123,), {}, alfa.ArgumentTypeError, "question must be text (str), not int 123"),
    (("  ",), {}, alfa.ConfigurationError, "question is empty"),
    (
        ("price of \ud800 NVDA",),
        {},
        alfa.ConfigurationError,
        "lone surrogate '\\ud800' at character 9, which is not text and cannot be sent",
    ),
    (
        ("x" * 5_000_000,),
        {},
        alfa.ConfigurationError,
        "question is 5,000,000 bytes, over the limit of 262,144 (max_question_bytes, ALFA_MAX_QUESTION_BYTES): shorten it, or attach the data as a file",
    ),
]


def _requests(emulator) -> int:
    return emulator.state().requests


@pytest.mark.parametrize(("args", "kwargs", "error", "words"), BAD_ASKS)
def test_a_bad_argument_of_ask_is_refused_before_anything_is_sent(
    alfa_emulator, make_client, args, kwargs, error, words
):
    client = make_client()
    before = _requests(alfa_emulator)
    with pytest.raises(error) as raised:
        client.ask(*args, **kwargs)
    assert words in str(raised.value)
    _names_the_argument(raised.value, next(iter(kwargs), "question"))
    assert _requests(alfa_emulator) == before


def _names_the_argument(error: BaseException, name: str) -> None:
    """The error's ``.setting`` names the argument (the sources' own check names the source)."""
    if "unknown source" not in str(error):
        assert getattr(error, "setting", None) == name


def test_ask_events_takes_the_same_check(alfa_emulator):
    client = alfa.AsyncAlfaClient(api_key=alfa_emulator.api_key, base_url=alfa_emulator.base_url)
    with pytest.raises(alfa.ConfigurationError, match="timeout must be"):
        client.ask_events(Q, timeout=-1)


def test_a_wrong_type_is_a_type_error_too():
    error = alfa.ArgumentTypeError("timeout takes a number of seconds", setting="timeout")
    assert isinstance(error, TypeError) and isinstance(error, ValueError) and isinstance(error, alfa.AlfaError)
    assert error.setting == "timeout"


BAD_BATCHES = [
    ({"sources": {"twitter": "off"}}, alfa.ConfigurationError, "unknown source 'twitter'"),
    ({"timeout": -5}, alfa.ConfigurationError, "timeout must be a number of seconds above 0"),
    ({"timeout": "x"}, alfa.ArgumentTypeError, "timeout takes a number of seconds"),
    ({"concurrency": "2"}, alfa.ArgumentTypeError, "concurrency must be a whole number of at least 1"),
]


@pytest.mark.parametrize(("kwargs", "error", "words"), BAD_BATCHES)
def test_a_bad_argument_of_ask_many_is_one_error_before_any_item_starts(
    alfa_emulator, make_client, kwargs, error, words
):
    client = make_client()
    before = _requests(alfa_emulator)
    with pytest.raises(error, match=words) as raised:
        client.run(client.client.ask_many(["NVDA price?", "AMD price?"], progress=False, **kwargs))
    _names_the_argument(raised.value, next(iter(kwargs)))
    assert _requests(alfa_emulator) == before
    assert client.client.last_batch is None


@pytest.mark.parametrize(
    ("items", "words"),
    [
        (["NVDA?", 3], "item 1 must be text (str), not int 3"),
        (["NVDA?", ""], "item 1 is empty"),
        (["x" * (MAX_QUESTION_BYTES + 1)], "item 0 is 262,145 bytes"),
    ],
)
def test_every_item_of_a_batch_is_checked_before_any_starts(alfa_emulator, make_client, items, words):
    client = make_client()
    before = _requests(alfa_emulator)
    with pytest.raises(alfa.ConfigurationError) as raised:
        client.run(client.client.ask_many(items, progress=False))
    assert words in str(raised.value)
    assert _requests(alfa_emulator) == before


BAD_CLIENTS = [
    ({"api_key": 123}, alfa.ArgumentTypeError, "api_key takes a string (or None to read the environment), not int"),
    ({"api_key": b"sk-live-0123"}, alfa.ArgumentTypeError, "not bytes"),
    ({"cassette": 123}, alfa.ArgumentTypeError, "cassette takes a file path (str or pathlib.Path), not int 123"),
    ({"timeout": -1}, alfa.ConfigurationError, "timeout must be a number of seconds above 0"),
    ({"stream_read_timeout": 0}, alfa.ConfigurationError, "stream_read_timeout must be"),
    ({"max_retries": -1}, alfa.ConfigurationError, "max_retries must be a whole number of at least 0"),
    ({"max_retries": "2"}, alfa.ArgumentTypeError, "max_retries must be a whole number of at least 0"),
    ({"headers": {"x": 1}}, alfa.ArgumentTypeError, "headers takes str names and values; 'x': int"),
    ({"headers": [("x", "1")]}, alfa.ArgumentTypeError, "headers takes a dict of str to str, not list"),
    ({"max_question_bytes": 0}, alfa.ConfigurationError, "max_question_bytes must be a whole number of at least 1"),
]


@pytest.mark.parametrize("cls", [alfa.AlfaClient, alfa.AsyncAlfaClient])
@pytest.mark.parametrize(("kwargs", "error", "words"), BAD_CLIENTS)
def test_a_bad_argument_of_a_client_is_refused_when_it_is_made(alfa_emulator, cls, kwargs, error, words):
    before = _requests(alfa_emulator)
    options = {"api_key": alfa_emulator.api_key, "base_url": alfa_emulator.base_url, **kwargs}
    with pytest.raises(error) as raised:
        cls(**options)
    assert words in str(raised.value)
    assert "sk-live" not in str(raised.value)  # a key given as bytes is still a key
    _names_the_argument(raised.value, next(iter(kwargs)))
    assert _requests(alfa_emulator) == before


def test_good_arguments_are_taken_as_given(make_client) -> None:
    """A function for on_event is called with each event; a thread's name and sources are taken."""
    seen: list[str] = []
    answer = make_client().ask(
        Q, on_event=lambda event, turn: seen.append(type(event).__name__), thread_name="Prices", sources="web=off"
    )
    assert answer.ok and seen


def test_headers_given_are_sent_with_every_request() -> None:
    sent: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        raise httpx.ConnectError("no network in this test", request=request)

    client = alfa.AlfaClient(
        api_key="k", base_url="http://127.0.0.1:9", transport=httpx.MockTransport(refuse),
        headers={"X-Desk": "quant"}, max_retries=0,
    )  # fmt: skip
    with client, pytest.raises(alfa.AlfaError):
        client.ask(Q)
    assert sent and all(request.headers["X-Desk"] == "quant" for request in sent)


def test_a_batch_item_over_the_clients_question_limit_is_refused(alfa_emulator, make_client) -> None:
    client = make_client(max_question_bytes=10)
    before = _requests(alfa_emulator)
    with pytest.raises(alfa.ConfigurationError, match="item 1 is 11 bytes, over the limit of 10"):
        client.run(client.client.ask_many(["NVDA?", "x" * 11], progress=False))
    assert _requests(alfa_emulator) == before


def test_the_question_limit_is_a_setting_with_an_environment_variable(alfa_emulator, monkeypatch):
    assert DEFAULT_MAX_QUESTION_BYTES == MAX_QUESTION_BYTES  # the emulator refuses what the client would
    monkeypatch.setenv("ALFA_MAX_QUESTION_BYTES", "10")
    client = alfa.AlfaClient(api_key=alfa_emulator.api_key, base_url=alfa_emulator.base_url)
    assert client.settings.max_question_bytes == 10
    with pytest.raises(alfa.ConfigurationError, match="question is 11 bytes, over the limit of 10"):
        client.ask("x" * 11)
    monkeypatch.setenv("ALFA_MAX_QUESTION_BYTES", "lots")
    with pytest.raises(alfa.ConfigurationError, match="environment variable ALFA_MAX_QUESTION_BYTES"):
        alfa.AlfaClient(api_key=alfa_emulator.api_key, base_url=alfa_emulator.base_url)


def test_the_emulator_refuses_a_question_over_the_limit_with_413(alfa_emulator):
    """A client set above the default meets a clear refusal, not the form parser's 400."""
    client = alfa.AlfaClient(
        api_key=alfa_emulator.api_key, base_url=alfa_emulator.base_url, max_question_bytes=2 * MAX_QUESTION_BYTES
    )
    with client, pytest.raises(alfa.APIStatusError) as raised:
        client.ask("x" * (MAX_QUESTION_BYTES + 1))
    assert raised.value.status_code == 413
    assert f"the limit is {MAX_QUESTION_BYTES} bytes" in str(raised.value)


def test_a_question_at_the_limit_is_asked(alfa_emulator):
    with alfa.AlfaClient(api_key=alfa_emulator.api_key, base_url=alfa_emulator.base_url) as client:
        answer = client.ask("NVDA price " + "x" * (MAX_QUESTION_BYTES - len("NVDA price ")))
    assert answer.ok


@given(st.one_of(st.none(), st.floats(allow_nan=True), st.integers(), st.text(max_size=3), st.booleans()))
def test_seconds_takes_exactly_the_finite_positive_numbers(value):
    good = value is None or (not isinstance(value, (bool, str)) and math.isfinite(float(value)) and float(value) > 0)
    if good:
        assert arguments.seconds(value) == (None if value is None else float(value))
    else:
        expected = alfa.ArgumentTypeError if isinstance(value, (bool, str)) else alfa.ConfigurationError
        with pytest.raises(expected, match="^timeout "):
            arguments.seconds(value)


@given(st.one_of(st.integers(), st.floats(), st.text(max_size=2), st.booleans()), st.integers(0, 3))
def test_whole_takes_exactly_the_ints_at_or_above_the_minimum(value, minimum):
    if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
        assert arguments.whole(value, "n", minimum) == value
    else:
        with pytest.raises(alfa.ConfigurationError, match=f"^n must be a whole number of at least {minimum}"):
            arguments.whole(value, "n", minimum)


@given(st.text(max_size=40))
def test_a_question_is_refused_exactly_when_it_is_blank_or_not_utf8(text):
    try:
        text.encode("utf-8")
        sendable = bool(text.strip())
    except UnicodeEncodeError:
        sendable = False
    if sendable:
        assert arguments.question(text) == text
    else:
        with pytest.raises(alfa.ConfigurationError):
            arguments.question(text)


def test_to_df_takes_a_table_position(make_client):
    answer = make_client().ask("NVDA and AMD share price, monthly close")
    assert answer.tables
    with pytest.raises(alfa.ArgumentTypeError, match="i \\(a table's position, 0 for the first\\) must be a whole"):
        answer.to_dataframe("0")
    with pytest.raises(alfa.ConfigurationError, match="not int -1"):
        answer.to_dataframe(-1)
    with pytest.raises(alfa.NoSuchTableError):
        answer.to_dataframe(len(answer.tables))


def test_the_pyarrow_backend_without_pyarrow_names_what_to_install(make_client, monkeypatch):
    answer = make_client().ask("NVDA and AMD share price, monthly close")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if it were not installed
    with pytest.raises(alfa.OptionalDependencyError, match="pip install pyarrow"):
        answer.to_dataframe(dtype_backend="pyarrow")


@pytest.mark.parametrize(
    ("content", "words"),
    [("# A README\n", "is not JSON"), (json.dumps({"cells": 3}), "JSON without a list of cells"), ("[]", "without")],
)
def test_load_answers_says_a_file_is_not_a_notebook(tmp_path, content, words):
    path = tmp_path / "README.md"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(alfa.ConfigurationError, match="load_answers reads a saved Jupyter notebook") as raised:
        alfa.load_answers(path)
    assert words in str(raised.value) and "README.md" in str(raised.value)
