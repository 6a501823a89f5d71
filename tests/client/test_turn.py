"""The turn and the ask procedure, driven without I/O: every decision is visible here."""

import random

import pytest

from alfa_notebook.turn import steps
from alfa_notebook.turn.machine import Turn
from alfa_notebook.wire.errors import AlfaError, APIConnectionError, StreamInterruptedError
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


def thread_history(*messages):
    """A thread's history as the service reads it back."""
    return History(list(messages), len(messages), 0)


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
    history = thread_history(
        Message("u0", "old question", True),
        Message("a0", "old answer", False),
        Message("u1", "q", True),
        Message("a1", "The full answer.", False),
    )
    turn = Turn("q")
    turn.feed(chunk("The fu", mid="a1"))
    turn.reconcile(history, "complete")
    assert turn.raw_text == "The full answer." and turn.done


class Clock:
    """The procedure's clock in these tests: time passes only when the procedure sleeps."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class Script:
    """Performs effects from canned results, recording what the procedure asked for. The last
    progress given is read again for as long as the procedure polls."""

    def __init__(self, events, progress=(), history=None):
        self.events = list(events)
        self.progress = list(progress)
        self.history = history
        self.log = []
        self.slept = 0.0

    def run(self, procedure):
        gen = procedure.run()
        clock = procedure._clock
        outcome = None
        failure = None
        while True:
            try:
                effect = gen.send(outcome) if failure is None else gen.throw(failure)
            except StopIteration as done:
                return done.value
            self.log.append(type(effect).__name__)
            if isinstance(effect, steps.Sleep):
                self.slept += effect.seconds
                if isinstance(clock, Clock):
                    clock.now += effect.seconds
            try:
                outcome, failure = self.perform(effect), None
            except AlfaError as exc:  # thrown into the procedure, as the runners do
                outcome, failure = None, exc

    def perform(self, effect):
        if isinstance(effect, steps.Call):
            route = (effect.operation.method, effect.operation.route)
            self.log.append(route)
            if route == ("POST", "/threads"):
                return Thread("t1", effect.operation.json["thread_name"])
            if route == ("GET", "/threads/{id}/progress"):
                return self.progress.pop(0) if len(self.progress) > 1 else self.progress[0]
            if route == ("GET", "/threads/{id}/messages"):
                return self.history.pop(0) if isinstance(self.history, list) else self.history
            return None
        if isinstance(effect, steps.NextEvent):
            return self.events.pop(0)
        if isinstance(effect, steps.GetArtifacts):
            return {}
        return None


def backoffs(log):
    """The waits before a reconnect (not those of a reattached thread's settling)."""
    return sum(1 for i, entry in enumerate(log[:-1]) if entry == "Sleep" and log[i + 1] == "OpenStream")


def procedure(question="q", thread_id=None, timeout=None):
    return steps.AskProcedure(question, thread_id, clock=Clock(), timeout=timeout, rng=random.Random(0))


def test_stream_is_opened_before_the_message_is_posted():
    script = Script([chunk("Hi", final=True), message("Hi"), status("Complete")])
    result = script.run(procedure())
    assert script.log.index("OpenStream") < script.log.index(("POST", "/threads/{id}/messages"))
    assert result.turn.raw_text == "Hi" and result.turn.thread_id == "t1"


def test_drop_then_reconnect_then_finished_meanwhile_reconciles_from_history():
    history = thread_history(Message("u", "q", True), Message("m1", "Hello world.", False))
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
    assert result.turn.raw_text == "a b" and backoffs(script.log) == 2


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
    history = thread_history(Message("u", "q", True), Message("m1", "Done.", False))
    script = Script(
        [chunk("a ")] + [steps.Lost(None)] * 10,
        progress=[Progress("running")] * 20 + [Progress("complete")],
        history=history,
    )
    result = script.run(procedure())
    assert result.turn.raw_text == "Done."
    reconnects = script.log.count("OpenStream") - 1
    assert reconnects == steps.MAX_RECONNECTS
    assert backoffs(script.log) == steps.MAX_RECONNECTS - 1


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
    assert backoffs(script.log) == 0
    assert script.log.count("OpenStream") == 1 + drops
    assert not result.turn.polling


def test_reconciling_without_the_question_in_the_history_takes_no_older_answer():
    history = thread_history(Message("u0", "an older question", True), Message("a0", "An older answer.", False))
    turn = Turn("this question")
    turn.feed(chunk("What arrived ", mid=None))
    turn.reconcile(history, "complete")
    assert turn.raw_text == "What arrived " and turn.citations == []


def test_reconciling_stops_at_the_next_question():
    history = thread_history(
        Message("u1", "q", True),
        Message("a1", "This turn's answer.", False),
        Message("u2", "a later question", True),
        Message("a2", "A later answer.", False),
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

    history = thread_history(Message("u", "q", True), Message("m1", "Hello world.", False))
    script = Script([chunk("Hello "), steps.Lost(None)], progress=[Progress("complete")], history=history)
    answer = Answer.from_result(script.run(procedure()))
    assert answer.warnings == [
        "The event stream broke 1 time(s); each time the client picked the answer up again from the service."
    ]


# -- a real service's manners: a thread that settles late, a history that lags ----------------------

BUSY_409 = "A task is already running in this thread; cancel it or wait"
BUSY_400 = "Can't add messages to thread t1 while a run run_7 is active."


def busy(status_code=409, detail=BUSY_409):
    from alfa_notebook.wire.errors import status_error_class

    return status_error_class(status_code)(
        f"POST /threads/{{id}}/messages -> {status_code}: {detail}",
        status_code=status_code,
        method="POST",
        path="/threads/{id}/messages",
        processed=False,
        detail=detail,
        request_id="req-1",
    )


class Posting(Script):
    """Answers each POST of the question with the next of ``posts`` (an error, or None: accepted)."""

    def __init__(self, events, posts, **kwargs):
        super().__init__(events, **kwargs)
        self.posts = list(posts)

    def perform(self, effect):
        if isinstance(effect, steps.Call) and effect.operation.route == "/threads/{id}/messages":
            if effect.operation.method == "POST":
                self.log.append(("POST", effect.operation.route))
                outcome = self.posts.pop(0)
                if outcome is not None:
                    raise outcome
                return None
        return super().perform(effect)

    @property
    def posted(self):
        return self.log.count(("POST", "/threads/{id}/messages"))


ANSWER = [chunk("Hi", final=True), message("Hi"), status("Complete")]


@pytest.mark.parametrize("refusal", [busy(409), busy(400, BUSY_400)], ids=["409", "400-run-active"])
def test_a_follow_up_that_meets_a_busy_thread_waits_for_it_to_settle_then_posts_once(refusal):
    settling = [Progress("running", task_id="task-1")] * 2 + [Progress("complete", task_id="task-1")]
    script = Posting(ANSWER, posts=[refusal, None], progress=settling)
    result = script.run(procedure(thread_id="t1", timeout=30))
    assert result.turn.raw_text == "Hi" and result.turn.status == "complete"
    assert script.posted == 2  # the first was refused, so not processed: the question is asked once
    assert script.log.count(("GET", "/threads/{id}/progress")) == 3
    assert script.slept < 1.0  # polled with short waits first: a settle of a moment costs a moment


def test_a_thread_busy_with_a_task_that_does_not_end_raises_thread_busy_error_and_posts_nothing_more():
    from alfa_notebook import ConflictError, ThreadBusyError

    proc = procedure(thread_id="t1", timeout=20)
    script = Posting(ANSWER, posts=[busy(400, BUSY_400)], progress=[Progress("running", task_id="task-9")])
    with pytest.raises(ThreadBusyError) as info:
        script.run(proc)
    error = info.value
    assert isinstance(error, ConflictError) and error.task_id == "task-9" and error.thread_id == "t1"
    assert "task-9" in str(error) and "client.threads.cancel('t1')" in str(error)
    assert error.request_id == "req-1" and error.processed is False
    assert script.posted == 1 and proc.posted is False  # so stopping the ask cancels nobody's task
    assert 19.0 <= script.slept <= 20.0  # it waited out the ask's deadline, no longer
    assert script.log.count(("GET", "/threads/{id}/progress")) < 30  # with backoff, not a spin


def test_a_4xx_that_is_not_busy_is_raised_at_once():
    from alfa_notebook.wire.errors import BadRequestError

    script = Posting(ANSWER, posts=[busy(400, "message: field required")], progress=[Progress("complete")])
    with pytest.raises(BadRequestError):
        script.run(procedure(thread_id="t1", timeout=20))
    assert script.posted == 1 and "Sleep" not in script.log


def test_a_reattached_thread_still_reading_running_after_its_task_ended_is_reconciled_not_read_for_ever():
    """The drop ate the last events; the service reads the task running a moment longer. Reading
    the reattached stream would wait for events that will never come (the script has none left)."""
    history = thread_history(Message("u", "q", True), Message("m1", "Hello world.", False))
    script = Script(
        [chunk("Hello "), steps.Lost(APIConnectionError("cut"))],
        progress=[Progress("running")] * 3 + [Progress("complete")],
        history=history,
    )
    result = script.run(procedure(timeout=30))
    assert result.turn.raw_text == "Hello world." and result.turn.status == "complete"
    assert script.slept < steps.RECONNECT_SETTLE


def test_a_history_that_lags_is_read_again_until_it_holds_the_answer():
    asked = [Message("u", "q", True)]
    lagging = thread_history(*asked)
    whole = thread_history(*asked, Message("m1", "Hello world, the whole answer.", False))
    script = Script(
        [chunk("Hello "), steps.Lost(APIConnectionError("cut"))],
        progress=[Progress("complete")],
        history=[lagging, lagging, lagging, whole],
    )
    result = script.run(procedure(timeout=30))
    assert result.turn.raw_text == "Hello world, the whole answer."
    assert script.log.count(("GET", "/threads/{id}/messages")) == 4


def test_a_history_that_never_shows_the_answer_is_given_up_on_at_the_deadline_keeping_what_arrived():
    lagging = thread_history(Message("u", "q", True))
    script = Script(
        [chunk("Hello "), steps.Lost(APIConnectionError("cut"))], progress=[Progress("complete")], history=lagging
    )
    result = script.run(procedure(timeout=5))
    assert result.turn.raw_text == "Hello " and result.turn.done
    assert script.slept <= 5.0


def test_busy_is_read_from_a_409_or_a_4xx_that_says_a_run_is_active_even_replayed_without_its_detail():
    from alfa_notebook.wire.errors import BadRequestError, RateLimitError

    replayed = BadRequestError(f"POST /threads/{{id}}/messages -> 400: {BUSY_400}", status_code=400)
    assert steps.is_busy(busy(409)) and steps.is_busy(busy(400, BUSY_400)) and steps.is_busy(replayed)
    assert not steps.is_busy(busy(400, "message: field required"))
    assert not steps.is_busy(RateLimitError("a task is running", status_code=429, detail="a task is running"))
    assert not steps.is_busy(APIConnectionError("a task is running"))


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
    calls = stop(stopped_at(("POST", "/threads")), threads=[made], history=thread_history())
    assert calls == [("GET", "/threads"), ("GET", "/threads/t9/messages"), ("DELETE", "/threads/t9")]
    assert stop(stopped_at(("POST", "/threads")), threads=[]) == [("GET", "/threads")]  # none was made


def test_stopped_while_its_question_was_posted_it_reads_the_record_before_cancelling():
    proc = stopped_at(("POST", "/threads/{id}/messages"))
    assert stop(proc, history=thread_history()) == [("GET", "/threads/t1/messages"), ("DELETE", "/threads/t1")]

    proc = stopped_at(("POST", "/threads/{id}/messages"))
    asked = thread_history(Message("u", "How did NVDA do?", True))
    calls = stop(proc, history=asked)
    assert calls[:2] == [("GET", "/threads/t1/messages"), ("DELETE", "/threads/t1/task")]


def test_a_turn_the_service_finished_before_the_cancel_came_is_complete():
    proc = stopped_at(("POST", "/threads/{id}/messages"))
    proc.posted = True
    proc.turn.feed(chunk("NVDA rose "))
    proc.turn.interrupt()
    record = thread_history(Message("u", "How did NVDA do?", True), Message("m1", "NVDA rose 4%.", False))
    stop(proc, history=record, ended=Progress("complete"))
    assert proc.turn.status == "complete" and proc.turn.raw_text == "NVDA rose 4%." and not proc.turn.interrupted

    proc = stopped_at(("POST", "/threads/{id}/messages"))
    proc.posted = True
    proc.turn.feed(chunk("NVDA rose "))
    proc.turn.interrupt()
    stop(proc, history=record, ended=Progress("cancelled"))
    assert proc.turn.status == "cancelled" and proc.turn.raw_text == "NVDA rose "


# -- what a follower sees, and what the answer says (each decision of the turn, one test) ----------


class Following(Script):
    """Also records each event published to whoever follows the ask (``on_event``, the live view)."""

    def __init__(self, events, **kwargs):
        super().__init__(events, **kwargs)
        self.published = []

    def perform(self, effect):
        change = effect.after if isinstance(effect, steps.NextEvent) else effect
        if isinstance(change, steps.Publish) and change.event is not None:
            self.published.append(change.event)
        return super().perform(effect)


def test_a_follower_is_told_of_each_change_and_of_nothing_that_changed_nothing():
    from alfa_notebook.wire.events import UnknownEvent

    reading, hello, whole, end = WorkInProgress("Reading", {}), chunk("Hel"), message("Hello."), status("Complete")
    garbled, novel = MalformedEvent("{", "not JSON"), UnknownEvent("future_event", {})
    events = [
        reading,
        WorkInProgress("Reading", {}),  # the same line again
        WorkInProgress("", {}),
        chunk(""),
        hello,
        MessageComplete(Message("u1", "q", True), {}),  # the user's own question, echoed
        whole,
        message("Hello."),  # the same message again
        garbled,
        novel,
        status("Running"),
        end,
    ]
    script = Following(events)
    result = script.run(procedure())
    assert script.published == [reading, hello, whole, end]
    turn = result.turn
    assert turn.events_received == len(events) and turn.malformed == [garbled] and turn.unknown == [novel]


def test_chunks_without_an_id_are_the_first_named_message_not_a_second_copy():
    turn = Turn("q")
    turn.feed(chunk("Hel", mid=None))
    turn.feed(chunk("lo", mid=None))
    turn.feed(message("Hello.", mid="m1"))
    assert turn.raw_text == "Hello." and turn.message_id == "m1"


def test_the_message_the_service_ended_the_turn_with_is_kept():
    from alfa_notebook.results.answer import Answer

    assert Answer.from_turn(Turn("q")).status_log is None
    turn = Turn("q")
    turn.feed(StatusChanged("execution_status", "running", "Searching filings", {}))
    turn.feed(StatusChanged("execution_status", "complete", "Analysis complete", {}))
    assert Answer.from_turn(turn).status_log == "Analysis complete"


def test_a_terminal_status_this_version_does_not_know_ends_the_turn_as_an_error():
    from alfa_notebook.results.answer import Answer

    turn = Turn("q")
    turn.end("Expired")
    assert turn.done and Answer.from_turn(turn).status == "error"


def test_a_saved_status_this_version_does_not_know_reads_incomplete():
    from alfa_notebook.turn.machine import answer_status

    for known in ("complete", "no_results", "cancelled", "error", "incomplete"):
        assert answer_status(known) == known
    assert answer_status("paused") == "incomplete" and answer_status(None) == "incomplete"


def test_an_interrupted_turn_claims_no_recovery_and_a_finished_one_stays_finished():
    from alfa_notebook.results.answer import Answer

    recovered = "The event stream broke 1 time(s); each time the client picked the answer up again from the service."
    stopped = Turn("q")
    stopped.recoveries = 1
    stopped.feed(chunk("Part "))
    stopped.interrupt()
    answer = Answer.from_turn(stopped)
    assert (answer.status, answer.raw_text, answer.warnings) == ("cancelled", "Part ", [])

    finished = Turn("q")
    finished.recoveries = 1
    finished.feed(message("All of it."))
    finished.feed(status("Complete"))
    finished.interrupt()  # the caller's code raised after the last event
    answer = Answer.from_turn(finished)
    assert (answer.status, answer.warnings) == ("complete", [recovered])


def test_a_new_turn_is_not_shown_reconnecting():
    from alfa_notebook.render.live import status_line

    assert "reconnecting" not in status_line(Turn("q"))


@pytest.mark.parametrize(
    "question,name",
    [
        ("x" * 60, "x" * 60),
        ("x" * 58 + " yz", "x" * 58 + "…"),
        ("   \n ", "Untitled"),
        ("ab " * 20 + "cd ef", "ab " * 19 + "ab…"),
        (
            "Compare the gross margins of NVDA, AMD and INTC over the last eight quarters",
            "Compare the gross margins of NVDA, AMD and INTC over the…",
        ),
    ],
)
def test_a_thread_is_named_after_its_question_up_to_sixty_characters_cut_at_a_word(question, name):
    assert steps.thread_name(question) == name


def test_a_reply_the_history_files_under_a_differently_worded_question_is_found_by_its_id():
    """The service may record the question otherwise than it was sent (a note about attached files,
    say): the id the stream gave finds the turn's replies all the same, all of them."""
    history = thread_history(
        Message("u1", "q\n\n[2 files attached]", True),
        Message("a1", "First part.", False),
        Message("a2", "Second part.", False),
        Message("u2", "a later question", True),
    )
    turn = Turn("q")
    turn.feed(chunk("First", mid="a1"))
    assert turn.replied_in(history)
    turn.reconcile(history, "complete")
    assert turn.raw_text == "First part.\n\nSecond part."


def test_unplaced_citations_of_a_later_message_stay_unplaced():
    turn = Turn("q")
    turn.feed(message("First.", mid="m1"))
    turn.feed(message("Second.", mid="m2", citations=[{"citation_type": "web", "name": "b"}]))
    assert [c.inline_offset for c in turn.citations] == [None]


def test_a_turn_the_service_found_nothing_for_before_the_cancel_came_is_its_answer():
    proc = stopped_at(("POST", "/threads/{id}/messages"))
    proc.posted = True
    proc.turn.feed(chunk("Search"))
    proc.turn.interrupt()
    record = thread_history(Message("u", "How did NVDA do?", True), Message("m1", "No results found.", False))
    stop(proc, history=record, ended=Progress("no_results_found"))
    assert proc.turn.status == "no_results" and proc.turn.raw_text == "No results found."
    assert not proc.turn.interrupted


def test_a_stopped_turn_keeps_what_arrived_with_the_sources_the_service_kept_for_it():
    """Message 1 arrived whole (its own sources stay), message 2 partly, message 3 not at all (it is
    not made up from the record); chunks without an id are the first message's."""
    from alfa_notebook.wire.models import Citation

    def cited(name, offset=0):
        return Citation(name, "web", name, inline_offset=offset)

    turn = Turn("q")
    turn.feed(MessageComplete(Message("m1", "One.", False, citations=[cited("streamed")]), {}))
    turn.feed(chunk("Tw", mid="m2"))
    turn.interrupt()
    record = thread_history(
        Message("u", "q", True),
        Message("m1", "One.", False, citations=[cited("recorded")]),
        Message("m2", "Two. [stopped]", False, citations=[cited("kept", 2)]),
        Message("m3", "Three.", False),
    )
    turn.keep_sources(record)
    assert turn.raw_text == "One.\n\nTw" and [c.id for c in turn.citations] == ["streamed", "kept"]

    anonymous = Turn("q")
    anonymous.feed(chunk("Tw", mid=None))
    anonymous.interrupt()
    anonymous.keep_sources(
        thread_history(Message("u", "q", True), Message("m2", "Two.", False, citations=[cited("kept")]))
    )
    assert anonymous.raw_text == "Tw" and [c.id for c in anonymous.citations] == ["kept"]


def test_a_stopped_turn_with_unnamed_chunks_and_a_named_message_loses_neither():
    turn = Turn("q")
    turn.feed(chunk("One", mid=None))
    turn.feed(chunk("Tw", mid="m2"))
    turn.interrupt()
    turn.keep_sources(thread_history(Message("u", "q", True), Message("m2", "Two.", False)))
    assert turn.raw_text == "One\n\nTw"


def test_a_stopped_turn_keeps_a_whole_messages_own_sources_and_gives_unnamed_chunks_after_it_theirs():
    """Message 1 arrived in chunks and then whole, message 2 in chunks without an id; the record
    files the question in other words (a note about attached files)."""
    from alfa_notebook.wire.models import Citation

    def cited(name, offset=0):
        return Citation(name, "web", name, inline_offset=offset)

    turn = Turn("q")
    turn.feed(chunk("One", mid="m1"))
    turn.feed(MessageComplete(Message("m1", "One.", False, citations=[cited("streamed")]), {}))
    turn.feed(chunk("Tw", mid=None))
    turn.interrupt()
    record = thread_history(
        Message("u", "q\n\n[1 file attached]", True),
        Message("m1", "One.", False, citations=[cited("recorded")]),
        Message("m2", "Two. [stopped]", False, citations=[cited("kept", 2)]),
    )
    turn.keep_sources(record)
    assert turn.raw_text == "One.\n\nTw" and [c.id for c in turn.citations] == ["streamed", "kept"]
