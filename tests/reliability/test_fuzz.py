"""Fuzzing every parser that reads service data: only ``AlfaError`` subclasses may escape.

Service data is untrusted and the client reads it liberally (docs/protocol.md): a malformed value is
skipped, read as missing, or refused with a typed error that says what was wrong, never a
``KeyError``, ``TypeError`` or ``RecursionError`` from deep inside. Covered here, with arbitrary
JSON and with well-formed data broken in one place:

* the SSE wire: arbitrary bytes through both clients' event streams, frames through
  :func:`alfa_notebook.wire.events.decode`, and decoded events through a :class:`~alfa_notebook.turn.machine.Turn`;
* the event and REST models (``*.from_raw``), and every REST endpoint's reading of a response of
  any status, headers and body;
* artifact markers in message text (:mod:`alfa_notebook.wire.markers`);
* table, chart and citation conversion (:mod:`alfa_notebook.results.frames`) and display formatting;
* rendering an answer whose citations and artifacts are arbitrary JSON (:mod:`alfa_notebook.render`).

``@example`` pins each bug these tests found (nesting past the recursion limit, bodies of the
wrong shape, non-object columns, non-list citation refs, ...), so they stay fixed.
"""

from __future__ import annotations

import asyncio
import copy
import json
import warnings
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import alfa_notebook as alfa
from alfa_notebook.render import answer_bundle, answer_text, live_html, live_text
from alfa_notebook.results import frames
from alfa_notebook.results.answer import Answer
from alfa_notebook.turn.machine import Turn
from alfa_notebook.wire import events, markers, models
from alfa_notebook.wire.errors import AlfaError

pytestmark = pytest.mark.long

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
DEEP = 5_000  # nesting far past Python's recursion limit (1000)
DEEP_ARRAY = "[" * DEEP + "]" * DEEP

# The words the service's JSON uses, so that arbitrary objects often look almost right.
KEYS = [
    "event", "event_type", "type", "message", "message_chunk", "message_id", "final_chunk", "log", "status",
    "task_status", "execution_status", "message_work_in_progress", "is_user_message", "message_time",
    "message_metadata", "citations", "tools_called", "thread_id", "thread_name", "threads", "created_at",
    "last_updated", "messages", "total_message_count", "start_index", "progress_data", "task_id", "success",
    "file_id", "artifact_id", "artifact", "output_type", "title", "columns", "rows", "name", "display_name",
    "col_type", "unit", "is_visible", "citation_refs", "cit_id", "row_index", "graph", "graph_type", "data",
    "points", "values", "dataset_id", "dataset_id_type", "x_val", "y_val", "x_axis_type", "y_axis_type",
    "index", "label", "value", "label_type", "index_type", "data_type", "symbol", "isin", "gbi_id", "val",
    "citation_id", "citation_type", "link", "url", "summary", "snippet", "source", "inline_offset",
    "snippet_highlight_start", "snippet_highlight_end", "published_at", "detail",
]  # fmt: skip
WORDS = [
    "message_chunk", "message", "task_status", "execution_status", "message_work_in_progress", "Complete",
    "Running", "Error", "Cancelled", "table", "graph", "text", "line", "bar", "pie", "string", "integer",
    "float", "percent", "currency", "stock", "date", "datetime", "quarter", "month", "year", "score",
    "boolean", "2024Q2", "2024-05", "2024-05-01T00:00:00Z", "https://example.com/a", "javascript:alert(1)",
    "<script>alert(1)</script>", "NA", "",
]  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(WORDS)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=6)
    ),
    max_leaves=30,
)
json_objects = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), json_values, max_size=8)


def only_alfa_errors(call: Callable[[], Any]) -> Any:
    """Run ``call``; an ``AlfaError`` is an answer, anything else fails the test."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # TableConversionWarning for unknown col_types, by design
            return call()
    except AlfaError as exc:
        return exc


# -- the SSE wire ---------------------------------------------------------------------------------


def _frame(value: Any) -> str:
    return f"data: {json.dumps(value)}\n\n"


wire_pieces = st.one_of(
    st.binary(max_size=40),
    st.text(max_size=40).map(str.encode),
    json_values.map(lambda v: _frame({"event": v}).encode()),
    json_objects.map(lambda v: _frame(v).encode()),
    st.sampled_from(
        [b": ping\r\n\r\n", b"event: close\ndata: {}\n\n", b"data:\n\n", b"\r", b"\n", b"id: 1\n", b"retry: x\n"]
    ),
)


def _stream_response(chunks: list[bytes], headers: dict[str, str]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=headers, content=iter(chunks))

    return httpx.MockTransport(handler)


def _async_stream_response(chunks: list[bytes], headers: dict[str, str]) -> httpx.MockTransport:
    async def body():
        for chunk in chunks:
            yield chunk

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=headers, content=body())

    return httpx.MockTransport(handler)


ENCODINGS = st.sampled_from([None, None, "gzip", "deflate", "br", "identity", "zstd", "x-unknown"])
CONTENT_TYPES = st.sampled_from(
    [
        "text/event-stream",
        "text/event-stream; charset=utf-8",
        "text/event-stream; charset=latin-1",
        "text/html",
        "application/json",
    ]
)


@FUZZ
@given(st.lists(wire_pieces, max_size=12), CONTENT_TYPES, ENCODINGS)
@example([DEEP_ARRAY.encode(), b"\n\n"], "text/event-stream", None)
@example([b"data: " + DEEP_ARRAY.encode() + b"\n\n"], "text/event-stream", None)
@example([b'data: {"event": ' + DEEP_ARRAY.encode() + b"}\n\n"], "text/event-stream", None)
@example([b"data: \xff\xfe\x00 not utf-8\n\n", "data: \u2028\u2029\x85\n\n".encode()], "text/event-stream", None)
@example([b"data: {}\n\n"], "text/event-stream", "gzip")  # httpx.DecodingError escaped mid-stream
def test_any_bytes_on_the_stream_give_events_or_a_typed_error(chunks, content_type, encoding):
    """Both clients' event streams read any bytes as typed events, or end with an AlfaError."""
    headers = {"content-type": content_type, **({"content-encoding": encoding} if encoding else {})}

    def read_sync() -> list[events.Event]:
        client = alfa.AlfaClient(
            api_key="k", base_url="http://127.0.0.1:9", transport=_stream_response(chunks, headers), max_retries=0
        )
        with client, client.stream("t1") as stream:
            return list(stream)

    async def read_async() -> list[events.Event]:
        transport = _async_stream_response(chunks, headers)
        async with (
            alfa.AsyncAlfaClient(
                api_key="k", base_url="http://127.0.0.1:9", transport=transport, max_retries=0
            ) as client,
            client.stream("t1") as stream,
        ):
            return [event async for event in stream]

    for read in (read_sync, lambda: asyncio.run(read_async())):
        result = only_alfa_errors(read)
        if not isinstance(result, AlfaError):
            assert all(isinstance(e, events.Event.__args__) for e in result)  # type: ignore[attr-defined]
            turn = Turn("q")
            for event in result:
                turn.feed(event)
            assert isinstance(turn.raw_text, str) and isinstance(turn.citations, list)


@FUZZ
@given(
    st.text(max_size=12) | st.sampled_from(["", "message", "close", "task_status"]),
    st.text(max_size=80) | json_values.map(json.dumps),
)
@example("message", DEEP_ARRAY)
@example("message", '{"event": ' + DEEP_ARRAY + "}")
@example("message", '{"event": {"event_type": "message", "message": {"citations": 5, "message_metadata": []}}}')
def test_decode_never_raises(sse_event, data):
    event = events.decode(sse_event, data)
    assert event is None or isinstance(event, events.Event.__args__)  # type: ignore[attr-defined]


@FUZZ
@given(st.lists(st.sampled_from(list(events._DECODERS)) | st.text(max_size=8), min_size=1, max_size=10), st.data())
def test_a_turn_takes_any_sequence_of_events(types, data):
    """Known event types with arbitrary fields, in any order, fed to a Turn: its state stays readable."""
    turn = Turn("q")
    for event_type in types:
        payload = {**data.draw(json_objects), "event_type": event_type}
        event = events.decode(data.draw(st.sampled_from(["", "message", event_type])), json.dumps({"event": payload}))
        if event is not None:
            turn.feed(event)
    assert isinstance(turn.raw_text, str)
    assert all(c.inline_offset is None or isinstance(c.inline_offset, int) for c in turn.citations)
    assert isinstance(turn.artifact_ids, list)
    Answer.from_turn(turn).text  # noqa: B018 - it must read


# -- models and REST responses --------------------------------------------------------------------


@FUZZ
@given(json_objects)
@example({"messages": 5, "start_index": [1]})
@example({"messages": [{"message": 1, "citations": {"a": 1}, "message_metadata": 3}], "start_index": "²"})
@example({"progress_data": {"status": [], "log": {}}})
def test_models_read_any_object(raw):
    """``from_raw`` is liberal: any JSON object reads, with wrong or missing fields as None/empty."""
    for model in (models.Thread, models.Citation, models.Message, models.History, models.Progress):
        parsed = model.from_raw(raw)
        repr(parsed)
    artifact = models.Artifact.from_raw("a1", raw)
    assert artifact.kind in ("table", "chart", "text", "json")
    artifact.title  # noqa: B018
    models.parse_citations(raw.get("citations"))


@FUZZ
@given(json_values)
def test_artifacts_and_citation_lists_read_any_value(raw):
    artifact = models.Artifact.from_raw("a1", raw)
    assert artifact.kind in ("table", "chart", "text", "json")
    assert all(isinstance(c, models.Citation) for c in models.parse_citations(raw))


ENDPOINTS: dict[str, Callable[[alfa.AlfaClient], Any]] = {
    "list": lambda c: c.threads.list(),
    "create": lambda c: c.threads.create("name"),
    "rename": lambda c: c.threads.rename("t1", "name"),
    "delete": lambda c: c.threads.delete("t1"),
    "messages": lambda c: c.threads.messages("t1"),
    "progress": lambda c: c.threads.progress("t1"),
    "cancel": lambda c: c.threads.cancel("t1"),
    "upload": lambda c: c.threads.upload("t1", b"a,b\n1,2\n", "f.csv"),
    "artifact": lambda c: c.threads.artifact("t1", "a1"),
}

bodies = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    json_objects.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=60),
    st.sampled_from([b"", b"<html>proxy</html>", DEEP_ARRAY.encode(), b'{"threads": ' + DEEP_ARRAY.encode() + b"}"]),
)
statuses = st.sampled_from([200, 200, 200, 201, 204, 301, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504, 599])
retry_afters = (
    st.none()
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "1",
            "-5",
            "1e400",
            "nan",
            "inf",
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "Mon, 01 Jan 99999 00:00:00 GMT",
            "Fri, 31 Dec 9999 23:59:59 +9999",
        ]
    )
)


@FUZZ
@given(st.sampled_from(sorted(ENDPOINTS)), statuses, bodies, retry_afters, retry_afters, ENCODINGS)
@example("list", 200, b"null", None, None, None)  # every parse used to fail on a body that is not an object
@example("create", 200, b"{}", None, None, None)  # a thread without an id used to fail later, untyped
@example("messages", 200, b'{"messages": 5, "start_index": "x"}', None, None, None)
@example("list", 200, DEEP_ARRAY.encode(), None, None, None)  # RecursionError in response.json()
@example("progress", 429, b"{}", "Mon, 01 Jan 99999 00:00:00 GMT", "nan", None)
@example("artifact", 301, b"{}", None, None, None)  # a redirect loop: httpx.TooManyRedirects escaped
@example("list", 200, b"{}", None, None, "gzip")  # a body that is not what it says: httpx.DecodingError escaped
def test_every_endpoint_reads_any_response(endpoint, status, body, retry_after, retry_after_ms, encoding):
    headers: dict[str, str | bytes] = {"content-type": "application/json"}
    if encoding is not None:
        headers["content-encoding"] = encoding
    if retry_after is not None:  # as bytes on the wire: httpx decodes what the server sent
        headers["retry-after"] = retry_after.encode("utf-8", "replace").replace(b"\r", b"").replace(b"\n", b"")
    if retry_after_ms is not None:
        headers["retry-after-ms"] = retry_after_ms.encode("utf-8", "replace").replace(b"\r", b"").replace(b"\n", b"")

    def handler(request: httpx.Request) -> httpx.Response:
        if status in (301,):  # a redirect to nowhere else: the same answer again, httpx gives up
            headers["location"] = str(request.url)
        return httpx.Response(status, headers=headers, content=body)

    client = alfa.AlfaClient(
        api_key="k", base_url="http://127.0.0.1:9", transport=httpx.MockTransport(handler), max_retries=0
    )
    with client:
        only_alfa_errors(lambda: ENDPOINTS[endpoint](client))


@FUZZ
@given(statuses, bodies, ENCODINGS)
@example(200, b"{}", None)  # KeyError escaped
@example(200, b"<html>login</html>", None)  # JSONDecodeError escaped
@example(200, b'{"access_token": {"not": "a token"}}', None)
@example(200, b"{}", "gzip")
def test_token_exchange_reads_any_response(status, body, encoding):
    import respx

    headers = {"content-type": "application/json", **({"content-encoding": encoding} if encoding else {})}
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post("http://127.0.0.1:9/oauth2/token")
        route.mock(
            side_effect=lambda request: httpx.Response(status, headers=headers, content=body)
        )  # built in send, as on the wire
        token = only_alfa_errors(
            lambda: alfa.exchange_token(  # reading, not retrying, is under test: no waits between tries
                "partner.jwt", client_id="id", client_secret="secret", base_url="http://127.0.0.1:9", max_retries=0
            )
        )
    assert isinstance(token, (AlfaError, alfa.Secret)), token
    if isinstance(token, alfa.Secret):
        assert token.reveal() == json.loads(body)["access_token"]


# -- artifact markers -----------------------------------------------------------------------------

marker_texts = st.lists(
    st.one_of(
        st.text(max_size=20),
        st.sampled_from(["```", "```json", "{", "}", '"type": ', '"output_artifact"', '"artifact_id": "a1"', "\n"]),
        json_values.map(lambda v: f"```{json.dumps(v)}```"),
        json_objects.map(lambda v: f"```json\n{json.dumps({**v, 'type': 'output_artifact'})}\n```"),
    ),
    max_size=12,
).map("".join)


@FUZZ
@given(marker_texts)
@example("```{" + '"type": "x", "a": ' + DEEP_ARRAY + "}```")
@example('```{"type": "output_artifact", "artifact_id": "half')
def test_markers_split_any_text_without_losing_a_character(text):
    pieces = markers.split(text)
    rebuilt = "".join(p if isinstance(p, str) else text[p.start : p.end] for p in pieces)
    assert rebuilt == text
    ids = markers.artifact_ids(text)
    assert all(isinstance(i, str) and i for i in ids) and len(ids) == len(set(ids))
    assert isinstance(markers.plain_text(text), str)


# -- tables, charts, citations --------------------------------------------------------------------

TABLE = {
    "output_type": "table", "title": "T", "citations": [{"citation_id": "c1", "name": "n"}],
    "columns": [
        {"name": "S", "col_type": "stock", "citation_refs": ["c1", {"cit_id": "c1", "row_index": 0}]},
        {"name": "R", "col_type": "percent", "unit": "x"},
        {"name": "Q", "col_type": "quarter"},
        {"name": "D", "col_type": "datetime", "is_visible": False},
    ],
    "rows": [[{"symbol": "A", "isin": "I", "gbi_id": 1}, 0.5, "2024Q1", "2024-05-01T00:00:00Z"], ["B", None, "2024Q2", None]],
}  # fmt: skip
LINE = {"output_type": "graph", "graph": {"graph_type": "line", "x_axis_type": "string", "y_axis_type": "float",
        "data": [{"dataset_id": "a", "dataset_id_type": "string", "points": [{"x_val": "x", "y_val": 1.0}]}]}}  # fmt: skip
BAR = {"output_type": "graph", "graph": {"graph_type": "bar", "index_type": "string", "label_type": "string",
       "data_type": "float", "data": [{"index": "i", "values": [{"label": "l", "value": 2.0}]}]}}  # fmt: skip
PIE = {"output_type": "graph", "title": "P", "graph": {"graph_type": "pie", "label_type": "string", "data_type": "float",
       "data": [{"label": "l", "value": 2.0, "citation_refs": ["c1", {"cit_id": "c1"}]}]}}  # fmt: skip
WELL_FORMED = {"table": TABLE, "line": LINE, "bar": BAR, "pie": PIE}


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if path else []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, inner in items:
        found += _paths(inner, (*path, key))
    return found


def _with(value: Any, path: tuple[Any, ...], replacement: Any) -> Any:
    changed = copy.deepcopy(value)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = replacement
    return changed


BREAKS = [(name, path) for name, artifact in WELL_FORMED.items() for path in _paths(artifact)]


def _convert_everything(artifact: Any) -> None:
    for expand in (False, True):
        frame = only_alfa_errors(
            lambda: frames.artifact_to_dataframe(artifact, expand_stocks=expand, include_hidden=expand)
        )
        if not isinstance(frame, AlfaError):
            only_alfa_errors(lambda: frames.format_frame(frame))
    if isinstance(artifact, dict):
        only_alfa_errors(lambda: frames.table_to_dataframe(artifact))
        only_alfa_errors(lambda: frames.chart_to_dataframe(artifact))
    only_alfa_errors(lambda: models.Artifact.from_raw("a1", artifact).to_dataframe())


@FUZZ
@given(st.sampled_from(BREAKS), json_values)
@example(("table", ("columns", 0)), [2, 2, ""])  # a column that is not an object
@example(("table", ("citations",)), 5)  # citations that are not a list
@example(("table", ("columns", 0, "citation_refs")), True)
@example(("table", ("columns", 0, "citation_refs", 1, "row_index")), "WF")
@example(("table", ("columns", 0, "citation_refs", 1, "row_index")), float("inf"))
@example(("line", ("graph", "data")), -1)
@example(("line", ("graph", "data", 0, "dataset_id_type")), {"unhashable": True})
@example(("pie", ("graph", "data", 0, "citation_refs")), -1)
def test_a_well_formed_artifact_broken_in_one_place_converts_or_says_why(broken, value):
    name, path = broken
    _convert_everything(_with(WELL_FORMED[name], path, value))


@FUZZ
@given(json_values | json_objects)
def test_any_json_as_an_artifact_converts_or_says_why(artifact):
    _convert_everything(artifact)


@FUZZ
@given(st.lists(json_objects | json_values, max_size=6))
def test_citations_frame_of_any_citations(raw):
    only_alfa_errors(lambda: frames.citations_to_dataframe(raw))
    only_alfa_errors(lambda: frames.citations_to_dataframe(models.parse_citations(raw)))


# -- rendering ------------------------------------------------------------------------------------


@FUZZ
@given(
    marker_texts,
    st.lists(json_objects, max_size=4),
    st.lists(json_values | json_objects, max_size=4),
    st.sampled_from(["complete", "cancelled", "error"]),
)
def test_any_answer_renders(text, raw_citations, raw_artifacts, status):
    marked = text + "".join(
        f'```{{"type": "output_artifact", "artifact_id": "a{i}"}}```' for i in range(len(raw_artifacts))
    )
    answer = Answer(
        question="q", raw_text=marked, status=status, thread_id="t", message_id="m",
        citations=models.parse_citations(raw_citations),
        artifacts=[models.Artifact.from_raw(f"a{i}", raw) for i, raw in enumerate(raw_artifacts)],
    )  # fmt: skip
    bundle = only_alfa_errors(lambda: answer_bundle(answer))
    assert not isinstance(bundle, AlfaError), f"rendering raised {bundle!r}"
    data, _ = bundle
    json.dumps(data["application/vnd.alfa.answer+json"], allow_nan=False)  # plain JSON, as promised
    only_alfa_errors(lambda: answer_text(answer))
    turn = Turn("q", "t")
    turn.feed(
        events.decode(
            "message", json.dumps({"event": {"event_type": "message_chunk", "message_chunk": {"message": marked}}})
        )
    )
    only_alfa_errors(lambda: live_html(turn, question=text))
    only_alfa_errors(lambda: live_text(turn))


@pytest.mark.parametrize("deep", [DEEP_ARRAY, '{"a": ' * 3000 + "1" + "}" * 3000])
def test_nesting_past_the_recursion_limit_is_a_malformed_event_not_a_crash(deep):
    """Regression: json raised RecursionError (not ValueError) and it escaped decode, the marker
    parser and the REST body reader. Whether json reads this depth depends on the Python (3.13's
    does): the property is that each returns, with the text or what it parsed."""
    assert isinstance(events.decode("message", deep), (events.MalformedEvent, events.UnknownEvent))
    (piece,) = markers.split('```{"type": "x", "v": ' + deep + "}```")
    assert isinstance(piece, str) and piece.startswith("```") or getattr(piece, "type", None) == "x"
    response = httpx.Response(200, content=deep.encode(), headers={"content-type": "application/json"})
    from alfa_notebook.wire.outcomes import parse_body

    assert isinstance(parse_body(response), (str, list, dict))


def _deepest_json() -> Any:
    """The most deeply nested array ``json.loads`` accepts here: what a service can make a client
    hold. (Run outside hypothesis, which raises the recursion limit while it runs a test.)"""
    depth = 2_000
    while True:
        try:
            return json.loads("[" * depth + "]" * depth)
        except RecursionError:
            depth -= 50


def test_json_as_deep_as_the_parser_accepts_still_renders_and_converts():
    """Regression: the renderer walked artifacts and citations recursively and raised RecursionError
    at about half the depth the JSON parser accepts (the answer's output failed as a whole)."""
    deep = _deepest_json()
    marker = '```{"type": "output_artifact", "artifact_id": "a0"}```'
    answer = Answer(
        question="q", raw_text=f"Text {marker}", status="complete", thread_id="t", message_id="m",
        citations=models.parse_citations([{"name": "c", "extra": deep}]),
        artifacts=[models.Artifact.from_raw("a0", {"title": "t", "payload": deep})],
    )  # fmt: skip
    data, _ = answer_bundle(answer)
    json.dumps(data["application/vnd.alfa.answer+json"])
    assert "nested too deeply" in data["text/html"]
    answer_text(answer)
    only_alfa_errors(answer.citations_frame)
    table = {"columns": [{"name": "a", "col_type": "string"}], "rows": [[deep]]}
    assert isinstance(only_alfa_errors(lambda: frames.table_to_dataframe(table)), frames.TableConversionError)
