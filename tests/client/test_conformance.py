"""The stream checked against the protocol (wire/conformance.py), fed frames without I/O."""

from __future__ import annotations

import json

from alfa_notebook.wire.conformance import check_stream


def frame(**event):
    return ("", json.dumps({"event": event}))


def documented(status="Complete"):
    """A turn exactly as docs/protocol.md lays it out."""
    return [
        frame(event_type="task_status", status="Running", log="Started"),
        frame(event_type="message_work_in_progress", log="Screening"),
        frame(
            event_type="message_chunk", message_chunk={"message": "Apple is ", "message_id": "m1"}, final_chunk=False
        ),
        frame(event_type="message_chunk", message_chunk={"message": "AAPL.", "message_id": "m1"}, final_chunk=True),
        frame(
            event_type="message",
            message={
                "message_id": "m1",
                "message": "Apple is AAPL.",
                "is_user_message": False,
                "message_time": "2026-01-01T00:00:00Z",
                "message_metadata": {"tools_called": {}, "citations": []},
            },
        ),
        frame(event_type="task_status", status=status, log="done"),
        frame(event_type="execution_status", status=status),
    ]


def whats(check):
    return [(f.level, f.what, f.frame) for f in check.findings]


def test_the_documented_stream_has_no_finding():
    check = check_stream(documented())
    assert check.findings == [] and check.ended and check.text == "Apple is AAPL."
    assert check.statuses == ["Running", "Complete"] and check.types["message_chunk"] == 2


def test_unknown_events_and_fields_are_deviations_the_client_reads_past():
    frames = documented()
    frames.insert(1, frame(event_type="heartbeat", n=1))
    frames[3] = frame(
        event_type="message_chunk",
        message_chunk={"message": "Apple is ", "message_id": "m1", "confidence": 0.9},
        final_chunk=False,
        seq=3,
    )
    check = check_stream(frames)
    assert whats(check) == [
        ("deviation", "unknown event type 'heartbeat' (the client passes it on, unread)", 2),
        ("deviation", "message_chunk with an unknown field message_chunk.seq", 4),
        ("deviation", "message_chunk with an unknown field message_chunk.message_chunk.confidence", 4),
    ]


def test_a_status_word_not_in_the_protocol_is_a_problem_and_the_turn_never_ends():
    check = check_stream(documented(status="Finished"))
    assert [w for _, w, _ in whats(check)] == [
        "task_status with a status word not in the protocol: 'Finished'",
        "execution_status with a status word not in the protocol: 'Finished'",
        "no task_status ended the turn (the client waits for one, or its deadline)",
    ]
    assert {f.level for f in check.findings} == {"problem"} and not check.ended


def test_missing_fields_frames_that_are_not_json_and_another_frame_shape():
    frames = [
        frame(event_type="task_status", log="Started"),  # no status
        ("", "not json"),
        ("", json.dumps({"event_type": "message_work_in_progress", "log": "x"})),  # not wrapped in "event"
        *documented()[1:],
    ]
    levels = {what: level for level, what, _ in whats(check_stream(frames))}
    assert levels["task_status without its field task_status.status"] == "problem"
    assert levels["a frame that is not JSON (the client skips it)"] == "problem"
    assert levels['a frame not shaped {"event": {...}} (the client reads it all the same)'] == "deviation"


def test_the_order_of_events_is_checked():
    frames = documented()
    frames = [
        frames[1],
        frames[0],
        frames[2],
        frames[4],
        frames[3],
        frames[6],
        frames[5],
        frame(event_type="message_work_in_progress", log="late"),
    ]
    whats_ = [w for _, w, _ in whats(check_stream(frames))]
    assert "the stream began with message_work_in_progress, not task_status Running" in whats_
    assert "a message before its final chunk" in whats_
    assert "a chunk after its message's final chunk" not in whats_
    assert "execution_status ended before task_status did" in whats_
    assert "message_work_in_progress after the task's final status" in whats_


def test_names_the_service_sent_are_shown_escaped_and_short():
    hostile = "\x1b[31m" + "x" * 100
    check = check_stream([frame(event_type=hostile), *documented()])
    what = check.findings[0].what
    assert "\x1b" not in what and "\\x1b" in what and len(what) < 120


def test_the_final_task_status_is_recognised_for_a_reader_to_stop_after():
    from alfa_notebook.wire.conformance import ends_task

    frames = documented()
    assert [ends_task(data) for _, data in frames] == [False] * 5 + [True, False]
    assert not ends_task("not json") and not ends_task(frames[0][1].replace("Running", "Finished"))
