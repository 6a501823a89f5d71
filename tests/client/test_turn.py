"""The turn and the ask procedure, driven without I/O: every decision is visible here."""

import random

import pytest

from alfa_notebook.turn import steps
from alfa_notebook.turn.machine import Turn
from alfa_notebook.wire.errors import APIConnectionError, StreamInterruptedError
from alfa_notebook.wire.events import (
    MalformedEvent,
    MessageChunk,
    MessageComplete,
    StatusChanged,
    StreamClosed,
    WorkInProgress,
)
from alfa_notebook.wire.models import History, Message, Progress, Thread


def chunk(text, mid="m1", final=False):
    return MessageChunk(text, mid, final, {})


def message(text, mid="m1", citations=()):
    return MessageComplete(Message.from_raw({"message_id": mid, "message": text, "citations": list(citations)}), {})


def status(value, kind="task_status"):
    return StatusChanged(kind, value.lower(), None, {})


def test_chunks_assemble_then_message_is_authoritative():
    turn = Turn("q")
    for e in (WorkInProgress("Reading", {}), chunk("Hello "), chunk("wor"), chunk("ld", final=True)):
        turn.feed(e)
    assert turn.raw_text == "Hello world" and turn.logs == ["Reading"] and turn.status == "running"
    turn.feed(chunk("Hello "))  # a duplicated frame doubles the live text ...
    turn.feed(message("Hello world."))  # ... until the service's whole message replaces it
    assert turn.raw_text == "Hello world."
    turn.feed(status("Complete"))
    assert turn.done and turn.status == "complete"


def test_chunks_after_the_message_are_ignored():
    turn = Turn("q")
    turn.feed(message("Final."))
    assert not turn.feed(chunk("late "))
    assert turn.raw_text == "Final."


@pytest.mark.parametrize(
    "value,expected",
    [("Complete", "complete"), ("No_Results_Found", "no_results"), ("Cancelled", "cancelled"), ("Error", "error")],
)
def test_terminal_statuses(value, expected):
    turn = Turn("q")
    turn.feed(status(value))
    assert turn.done and turn.status == expected


def test_malformed_counted_not_fatal():
    turn = Turn("q")
    turn.feed(MalformedEvent("{", "not JSON"))
    assert len(turn.malformed) == 1 and not turn.done


def test_repeated_log_line_shown_once():
    turn = Turn("q")
    turn.feed(WorkInProgress("a", {}))
    turn.feed(WorkInProgress("a", {}))
    assert turn.logs == ["a"]


def test_reconcile_takes_the_reply_to_this_question():
    history = History(
        [
            Message("u0", "old question", True),
            Message("a0", "old answer", False),
            Message("u1", "q", True),
            Message("a1", "The full answer.", False),
        ],
        4,
        0,
    )
    turn = Turn("q")
    turn.feed(chunk("The fu", mid="a1"))
    turn.reconcile(history, "complete")
    assert turn.raw_text == "The full answer." and turn.done


class Script:
    """Performs effects from canned results, recording what the procedure asked for."""

    def __init__(self, events, progress=(), history=None):
        self.events = list(events)
        self.progress = list(progress)
        self.history = history
        self.log = []

    def run(self, procedure):
        gen = procedure.run()
        outcome = None
        while True:
            try:
                effect = gen.send(outcome)
            except StopIteration as done:
                return done.value
            self.log.append(type(effect).__name__)
            outcome = self.perform(effect)

    def perform(self, effect):
        if isinstance(effect, steps.Call):
            route = (effect.operation.method, effect.operation.route)
            self.log.append(route)
            if route == ("POST", "/threads"):
                return Thread("t1", effect.operation.json["thread_name"])
            if route == ("GET", "/threads/{id}/progress"):
                return self.progress.pop(0)
            if route == ("GET", "/threads/{id}/messages"):
                return self.history
            return None
        if isinstance(effect, steps.NextEvent):
            return self.events.pop(0)
        if isinstance(effect, steps.GetArtifacts):
            return {}
        return None


def procedure(question="q"):
    return steps.AskProcedure(question, None, clock=lambda: 0.0, rng=random.Random(0))


def test_stream_is_opened_before_the_message_is_posted():
    script = Script([chunk("Hi", final=True), message("Hi"), status("Complete")])
    result = script.run(procedure())
    assert script.log.index("OpenStream") < script.log.index(("POST", "/threads/{id}/messages"))
    assert result.turn.raw_text == "Hi" and result.turn.thread_id == "t1"


def test_drop_then_reconnect_then_finished_meanwhile_reconciles_from_history():
    history = History([Message("u", "q", True), Message("m1", "Hello world.", False)], 2, 0)
    script = Script(
        [chunk("Hello "), steps.Lost(APIConnectionError("cut"))],
        progress=[Progress("complete")],
        history=history,
    )
    result = script.run(procedure())
    assert result.turn.raw_text == "Hello world." and result.turn.status == "complete"
    # The first reconnect is immediate: no Sleep between the drop and the second OpenStream.
    assert script.log.count("OpenStream") == 2 and "Sleep" not in script.log


def test_repeated_reconnect_failures_back_off():
    class FlakyOpen(Script):
        opens = 0

        def perform(self, effect):
            if isinstance(effect, steps.OpenStream) and effect.recovering:
                self.opens += 1
                if self.opens < 3:
                    return steps.Lost(APIConnectionError("refused"))
            return super().perform(effect)

    script = FlakyOpen(
        [chunk("a "), steps.Lost(None), message("a b"), status("Complete")], progress=[Progress("running")]
    )
    result = script.run(procedure())
    assert result.turn.raw_text == "a b" and script.log.count("Sleep") == 2


def test_server_close_is_treated_like_a_drop():
    script = Script([chunk("a "), StreamClosed(), message("a b"), status("Complete")], progress=[Progress("running")])
    result = script.run(procedure())
    assert result.turn.raw_text == "a b"


class Unreachable(Script):
    """The service is gone once the stream breaks: reconnects and progress polls all fail."""

    def perform(self, effect):
        if isinstance(effect, steps.OpenStream) and effect.recovering:
            return steps.Lost(APIConnectionError("down"))
        if isinstance(effect, steps.Call) and effect.operation.route.endswith("/progress"):
            assert effect.recoverable
            return steps.Lost(APIConnectionError("down"))
        return super().perform(effect)


def test_polling_gives_up_with_a_typed_error_keeping_the_partial_turn():
    proc = procedure()
    with pytest.raises(StreamInterruptedError):
        Unreachable([chunk("partial "), steps.Lost(None)]).run(proc)
    assert proc.turn.raw_text == "partial "


def test_thread_name_is_the_question_on_one_line():
    assert steps.thread_name("  Compare\nNVDA and AMD ") == "Compare NVDA and AMD"
    long = steps.thread_name("word " * 40)
    assert len(long) <= 61 and long.endswith("…")


def test_a_stream_cut_again_and_again_backs_off_then_polls():
    """A stream that opens and closes at once, forever, must not spin against the server."""
    history = History([Message("u", "q", True), Message("m1", "Done.", False)], 2, 0)
    script = Script(
        [chunk("a ")] + [steps.Lost(None)] * 10,
        progress=[Progress("running")] * 3 + [Progress("complete")] * 2,
        history=history,
    )
    result = script.run(procedure())
    assert result.turn.raw_text == "Done."
    reconnects = script.log.count("OpenStream") - 1
    assert reconnects == steps.MAX_RECONNECTS
    assert script.log.count("Sleep") >= steps.MAX_RECONNECTS - 1


def test_citation_offsets_count_in_the_joined_text_of_several_messages():
    turn = Turn("q")
    turn.feed(message("First.", mid="m1", citations=[{"citation_type": "web", "name": "a", "inline_offset": 5}]))
    turn.feed(message("Second.", mid="m2", citations=[{"citation_type": "web", "name": "b", "inline_offset": 6}]))
    assert turn.raw_text == "First.\n\nSecond."
    assert [turn.raw_text[: c.inline_offset] for c in turn.citations] == ["First", "First.\n\nSecond"]


def test_a_received_event_resets_the_failure_count_so_each_drop_reconnects_at_once():
    """A stream that drops after every chunk is picked up again at once each time: no backoff,
    no fallback to polling, because every reconnect delivered an event."""
    drops = 5  # more than MAX_RECONNECTS: without the reset, the third drop would back off
    events = []
    for word in ("a ", "b ", "c ", "d ", "e "):
        events += [chunk(word), steps.Lost(APIConnectionError("cut"))]
    events += [message("a b c d e f"), status("Complete")]
    script = Script(events, progress=[Progress("running")] * drops)
    result = script.run(procedure())
    assert result.turn.raw_text == "a b c d e f" and result.turn.status == "complete"
    assert "Sleep" not in script.log
    assert script.log.count("OpenStream") == 1 + drops
    assert script.log.count(("GET", "/threads/{id}/progress")) == drops  # one check per reconnect, no polling


def test_reconciling_without_the_question_in_the_history_takes_no_older_answer():
    history = History([Message("u0", "an older question", True), Message("a0", "An older answer.", False)], 2, 0)
    turn = Turn("this question")
    turn.feed(chunk("What arrived ", mid=None))
    turn.reconcile(history, "complete")
    assert turn.raw_text == "What arrived " and turn.citations == []


def test_reconciling_stops_at_the_next_question():
    history = History(
        [
            Message("u1", "q", True),
            Message("a1", "This turn's answer.", False),
            Message("u2", "a later question", True),
            Message("a2", "A later answer.", False),
        ],
        4,
        0,
    )
    by_id, by_question = Turn("q"), Turn("q")
    by_id.feed(chunk("This", mid="a1"))
    by_id.reconcile(history, "complete")
    by_question.reconcile(history, "complete")
    assert by_id.raw_text == by_question.raw_text == "This turn's answer."


def test_an_unrecovered_stream_says_where_to_look_and_claims_no_recovery():
    from alfa_notebook.results.answer import Answer

    proc = procedure()
    with pytest.raises(StreamInterruptedError) as info:
        Unreachable([chunk("partial "), steps.Lost(None)]).run(proc)
    message = str(info.value)
    assert "client.threads.messages('t1')" in message and "client.threads.progress('t1')" in message
    assert "%alfa" not in message
    answer = Answer.from_turn(proc.turn)
    assert answer.status == "incomplete" and not answer.ok
    assert answer.warnings == []  # the error says what happened; nothing claims a recovery


def test_a_recovered_stream_says_so_once():
    from alfa_notebook.results.answer import Answer

    history = History([Message("u", "q", True), Message("m1", "Hello world.", False)], 2, 0)
    script = Script([chunk("Hello "), steps.Lost(None)], progress=[Progress("complete")], history=history)
    answer = Answer.from_result(script.run(procedure()))
    assert answer.warnings == [
        "The event stream broke 1 time(s); each time the client picked the answer up again from the service."
    ]


def stopped_at(route):
    """A procedure interrupted while the request to ``route`` was out (a Ctrl-C, a cancelled task)."""
    proc = procedure("How did NVDA do?")
    gen = proc.run()
    outcome = None
    while True:
        effect = gen.send(outcome)
        if isinstance(effect, steps.Call) and (effect.operation.method, effect.operation.route) == route:
            return proc
        outcome = Thread("t1", "How did NVDA do?") if isinstance(effect, steps.Call) else None


CANCELLED = Progress("cancelled")


def stop(proc, threads=(), history=None, ended=CANCELLED):
    """Run ``proc.stop()`` against a service holding ``threads`` and ``history``; the calls it made."""
    calls, gen, outcome = [], proc.stop(), None
    while True:
        try:
            effect = gen.send(outcome)
        except StopIteration:
            return calls
        calls.append((effect.operation.method, effect.operation.path) if isinstance(effect, steps.Call) else effect)
        route = effect.operation.route if isinstance(effect, steps.Call) else None
        outcome = {"/threads": list(threads), "/threads/{id}/messages": history, "/threads/{id}/progress": ended}.get(
            route
        )


def test_stopped_while_its_thread_was_made_it_deletes_the_thread_the_service_made():
    made = Thread("t9", "How did NVDA do?")
    calls = stop(stopped_at(("POST", "/threads")), threads=[made], history=History([], 0, 0))
    assert calls == [("GET", "/threads"), ("GET", "/threads/t9/messages"), ("DELETE", "/threads/t9")]
    assert stop(stopped_at(("POST", "/threads")), threads=[]) == [("GET", "/threads")]  # none was made


def test_stopped_while_its_question_was_posted_it_reads_the_record_before_cancelling():
    proc = stopped_at(("POST", "/threads/{id}/messages"))
    assert stop(proc, history=History([], 0, 0)) == [("GET", "/threads/t1/messages"), ("DELETE", "/threads/t1")]

    proc = stopped_at(("POST", "/threads/{id}/messages"))
    asked = History([Message("u", "How did NVDA do?", True)], 1, 0)
    calls = stop(proc, history=asked)
    assert calls[:2] == [("GET", "/threads/t1/messages"), ("DELETE", "/threads/t1/task")]


def test_a_turn_the_service_finished_before_the_cancel_came_is_complete():
    proc = stopped_at(("POST", "/threads/{id}/messages"))
    proc.posted = True
    proc.turn.feed(chunk("NVDA rose "))
    proc.turn.interrupt()
    record = History([Message("u", "How did NVDA do?", True), Message("m1", "NVDA rose 4%.", False)], 2, 0)
    stop(proc, history=record, ended=Progress("complete"))
    assert proc.turn.status == "complete" and proc.turn.raw_text == "NVDA rose 4%." and not proc.turn.interrupted

    proc = stopped_at(("POST", "/threads/{id}/messages"))
    proc.posted = True
    proc.turn.feed(chunk("NVDA rose "))
    proc.turn.interrupt()
    stop(proc, history=record, ended=Progress("cancelled"))
    assert proc.turn.status == "cancelled" and proc.turn.raw_text == "NVDA rose "
