"""Whatever the byte framing, the same events come out: random chunk boundaries, CR, LF and CRLF
line endings, comments and pings anywhere, empty frames, unknown event types."""

from __future__ import annotations

import json

import httpx
from httpx_sse import EventSource
from hypothesis import given, settings
from hypothesis import strategies as st

from alfa_notebook.wire.events import decode

texts = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00\ufeff\u2028\u2029\x85"), max_size=12
)
payloads = st.one_of(
    st.builds(
        lambda t, m, f: {
            "event_type": "message_chunk",
            "message_chunk": {"message": t, "message_id": m},
            "final_chunk": f,
        },
        texts,
        texts,
        st.booleans(),
    ),
    st.builds(lambda t: {"event_type": "message_work_in_progress", "log": t}, texts),
    st.builds(
        lambda s: {"event_type": "task_status", "status": s}, st.sampled_from(["Running", "Complete", "CANCELLED"])
    ),
    st.builds(
        lambda t, n: {"event_type": t, "n": n}, st.sampled_from(["artifact_ready", "quick_thoughts"]), st.integers()
    ),
)
noise = st.sampled_from([": ping", ":", ": keep-alive " + "x" * 5, "data:", "data: ", "retry: 3000"])


@st.composite
def wire(draw):
    """Events, their SSE bytes with noise between frames, and the bytes cut at random places."""
    events = draw(st.lists(payloads, max_size=8))
    eol = draw(st.sampled_from(["\n", "\r", "\r\n"]))
    parts = []
    for payload in events:
        for _ in range(draw(st.integers(0, 2))):
            parts.append(draw(noise) + eol + eol)
        data = json.dumps({"event": payload}, ensure_ascii=draw(st.booleans()))
        parts.append(f"data: {data}{eol}{eol}")
    body = "".join(parts).encode()
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=10)))
    chunks = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)])]
    return events, chunks


def decoded(chunks):
    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=iter(chunks))
    out = []
    for sse in EventSource(response).iter_sse():
        event = decode(sse.event, sse.data)
        if event is not None:
            out.append(event)
    return out


@settings(max_examples=300, deadline=None)
@given(wire())
def test_same_events_out_whatever_the_framing(case):
    events, chunks = case
    expected = [decode("message", json.dumps({"event": p})) for p in events]
    assert decoded(chunks) == expected
    assert [getattr(e, "raw", None) for e in decoded(chunks)] == [getattr(e, "raw", None) for e in expected]
