"""Decoding is liberal: every frame shape the client accepts (docs/protocol.md, The stream; the SSE
``event:`` field, a top-level type, a payload keyed by the event name) gives the same typed event."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alfa_notebook.wire.events import (
    MalformedEvent,
    MessageChunk,
    MessageComplete,
    StatusChanged,
    StreamClosed,
    UnknownEvent,
    WorkInProgress,
    decode,
)


def frame(payload):
    return json.dumps({"event": payload})


def test_documented_chunk_frame():
    event = decode(
        "message",
        frame(
            {
                "event_type": "message_chunk",
                "message_chunk": {"message": "Tesla ", "message_id": "m1"},
                "final_chunk": False,
            }
        ),
    )
    assert event == MessageChunk("Tesla ", "m1", False, {})


@pytest.mark.parametrize(
    "data,sse_name",
    [
        (
            {
                "event": {
                    "event_type": "message_chunk",
                    "message_chunk": {"message": "x", "message_id": "m", "final_chunk": True},
                }
            },
            "message",
        ),
        ({"event": {"message_chunk": {"message": "x", "message_id": "m"}, "final_chunk": True}}, "message"),
        ({"message_chunk": {"message": "x", "message_id": "m"}, "final_chunk": True}, "message"),
        ({"message_chunk": {"message": "x", "message_id": "m"}, "final_chunk": True}, "message_chunk"),
        (
            {"type": "message_chunk", "message_chunk": {"message": "x", "message_id": "m"}, "final_chunk": True},
            "message",
        ),
    ],
)
def test_final_chunk_and_type_found_wherever_they_sit(data, sse_name):
    event = decode(sse_name, json.dumps(data))
    assert isinstance(event, MessageChunk)
    assert (event.text, event.message_id, event.final) == ("x", "m", True)


def test_type_from_the_sse_event_field():
    event = decode("message_work_in_progress", json.dumps({"log": "Reading filings"}))
    assert event == WorkInProgress("Reading filings", {})


def test_message_event_with_metadata_and_citations():
    payload = {
        "event_type": "message",
        "message": {
            "message_id": "m1",
            "message": "Done.",
            "message_metadata": {
                "tools_called": {"screen_stocks": []},
                "citations": [{"citation_type": "web", "name": "A", "link": "https://a.example/x"}],
            },
        },
    }
    event = decode("message", frame(payload))
    assert isinstance(event, MessageComplete)
    assert event.message.text == "Done."
    assert event.message.tools_called == {"screen_stocks": []}
    assert event.message.citations[0].url == "https://a.example/x"
    assert event.message.citations[0].source == "a.example"


@pytest.mark.parametrize("status", ["Complete", "COMPLETE", "complete", "Cancelled", "ERROR", "No_Results_Found"])
def test_terminal_statuses_compare_case_insensitively(status):
    event = decode("message", frame({"event_type": "execution_status", "status": status}))
    assert isinstance(event, StatusChanged) and event.terminal


def test_running_status_is_not_terminal():
    event = decode("message", frame({"event_type": "task_status", "status": "Running", "log": "Started"}))
    assert isinstance(event, StatusChanged) and not event.terminal and event.log == "Started"


@pytest.mark.parametrize("data", ["", "   ", "\n"])
def test_empty_data_is_no_event(data):
    assert decode("message", data) is None


def test_close_event():
    assert decode("close", "") == StreamClosed()


def test_unknown_event_is_kept():
    event = decode("message", frame({"event_type": "artifact_ready", "artifact_id": "a1"}))
    assert isinstance(event, UnknownEvent)
    assert event.event_type == "artifact_ready" and event.raw["artifact_id"] == "a1"


@pytest.mark.parametrize(
    "data", ["{not json", "[1, 2]", '"text"', '{"event": {"event_type": "message_chunk", "message_chunk": 5}}']
)
def test_malformed_frames_are_reported_not_raised(data):
    assert isinstance(decode("message", data), MalformedEvent)


@given(st.text(), st.text())
def test_decode_never_raises(sse_name, data):
    decode(sse_name, data)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
        max_leaves=20,
    )
)
def test_decode_of_any_json_never_raises(value):
    decode("message", json.dumps({"event": value}))
    decode("message", json.dumps(value))


def test_the_snippet_highlight_end_is_inclusive_on_the_wire():
    """The wire's ``snippet_highlight_end`` is the index of the last highlighted character; the
    model holds the span as Python's half-open [start, end)."""
    from alfa_notebook.wire.models import Citation

    snippet = "Revenue rose 12% in Q2."
    citation = Citation.from_raw(
        {"citation_type": "web", "summary": snippet, "snippet_highlight_start": 8, "snippet_highlight_end": 15}
    )
    assert citation.highlight == (8, 16)
    assert snippet[slice(*citation.highlight)] == "rose 12%"
