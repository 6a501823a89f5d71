"""The turn and the ask procedure on the paths where an answer is lost or doubled: a question asked
twice, a POST whose outcome is unknown, a thread whose creation went unanswered, a stream that
breaks near the end, an ask stopped early. Driven without I/O by a scripted service, in
milliseconds; each test names the behaviour a user would notice."""

from __future__ import annotations

import random
from datetime import datetime, timezone
from typing import Any

import pytest

from alfa_notebook.turn import steps
from alfa_notebook.turn.machine import Turn, thread_name
from alfa_notebook.wire.errors import AlfaError, APIConnectionError, BadRequestError
from alfa_notebook.wire.events import MessageChunk, MessageComplete, StatusChanged, WorkInProgress
from alfa_notebook.wire.models import Citation, History, Message, Progress, Thread

QUESTION = "Compare NVDA and AMD"
ASKED_AT = 1_800_000_000.0  # the wall clock when the ask began (service's scale)
POST_MESSAGE = "POST /threads/{id}/messages"
GET_MESSAGES = "GET /threads/{id}/messages"


def at(offset: float) -> datetime:
    """A service timestamp ``offset`` seconds from the ask's start."""
    return datetime.fromtimestamp(ASKED_AT + offset, tz=timezone.utc)


def unknown(what: str = "the connection broke") -> APIConnectionError:
    """A failure after the request may have reached the service: its outcome is unknown."""
    return APIConnectionError(what, processed=None)


def chunk(text: str, mid: str = "m1") -> MessageChunk:
    return MessageChunk(text, mid, False, {})


def complete(text: str, mid: str = "m1") -> MessageComplete:
    return MessageComplete(Message(mid, text, False), {})


def ended(status: str = "complete") -> StatusChanged:
    return StatusChanged("execution_status", status, None, {})


class Service:
    """Answers each effect from a script: ``calls`` maps "METHOD route" to the outcomes of its
    successive calls (the last one repeats); an outcome that is an exception is raised, as a
    runner throws it into the procedure. ``events`` are the stream's, in order; reading past
    them fails the test. ``log`` records what the procedure did."""

    def __init__(
        self, calls: dict[str, list[Any]] | None = None, events: list[Any] = (), artifacts: dict[str, Any] | None = None
    ) -> None:
        self.calls = {key: list(outcomes) for key, outcomes in (calls or {}).items()}
        self.events = list(events)
        self.artifacts = artifacts or {}
        self.log: list[str] = []
        self.sent: list[tuple[Any, ...]] = []  # each request as the service receives it
        self.published: list[Any] = []  # what the procedure told its follower, in order

    def perform(self, effect: object) -> Any:
        if len(self.log) > 100:
            raise AssertionError("the procedure goes round and round")
        if isinstance(effect, steps.Call):
            op = effect.operation
            key = f"{op.method} {op.route}"
            self.log.append(key)
            self.sent.append((op.method, op.path, op.params, op.data, op.json, op.files() if op.files else None))
            if key not in self.calls:
                raise AssertionError(f"the procedure called {key}, which the script does not answer")
            script = self.calls[key]
            outcome = script.pop(0) if len(script) > 1 else script[0]
            if isinstance(outcome, BaseException):
                if effect.recoverable and steps.is_recoverable(outcome):
                    return steps.Lost(outcome)
                raise outcome
            return outcome
        if isinstance(effect, steps.OpenStream):
            self.log.append("reopen" if effect.recovering else "open")
            self.sent.append(("stream", effect.thread_id))
            return None
        if isinstance(effect, steps.NextEvent):
            if effect.after is not None:
                self.published.append(effect.after.event)
            if not self.events:
                raise AssertionError("the procedure read the stream past its script")
            self.log.append("read")
            return self.events.pop(0)
        if isinstance(effect, steps.Publish):
            self.published.append(effect.event)
        if isinstance(effect, steps.GetArtifacts):
            self.sent.append(("artifacts", effect.thread_id, effect.artifact_ids, effect.message_id))
            return {i: self.artifacts[i] for i in effect.artifact_ids}
        return None

    def drive(self, generator: Any) -> Any:
        outcome: Any = None
        failure: AlfaError | None = None
        while True:
            try:
                effect = generator.throw(failure) if failure is not None else generator.send(outcome)
            except StopIteration as done:
                return done.value
            outcome, failure = None, None
            try:
                outcome = self.perform(effect)
            except AlfaError as exc:
                failure = exc


def procedure(thread_id: str | None = None, **options: Any) -> steps.AskProcedure:
    return steps.AskProcedure(
        QUESTION, thread_id, clock=lambda: 0.0, rng=random.Random(0), wall=lambda: ASKED_AT, **options
    )


def history(*messages: Message) -> History:
    return History(list(messages), len(messages), 0)


def asked(time: datetime | None = None, mid: str = "u1") -> Message:
    return Message(mid, QUESTION, True, time=time)


# -- the turn ---------------------------------------------------------------------------------


def test_reconcile_takes_the_answer_to_the_latest_copy_of_a_question_asked_twice():
    """The same question asked again in one thread: the history's second answer is this turn's."""
    turn = Turn(QUESTION)
    record = history(
        asked(mid="u1"),
        Message("a1", "Last quarter's answer.", False),
        asked(mid="u2"),
        Message("a2", "Today's.", False),
    )
    turn.reconcile(record, "complete")
    assert turn.raw_text == "Today's." and turn.message_id == "a2"


def test_the_users_own_message_on_the_stream_is_not_part_of_the_answer():
    turn = Turn(QUESTION)
    turn.feed(MessageComplete(Message("u1", QUESTION, True), {}))
    turn.feed(chunk("NVDA grew faster."))
    turn.feed(complete("NVDA grew faster."))
    assert turn.raw_text == "NVDA grew faster." and turn.message_id == "m1"


def test_a_stopped_answer_keeps_only_the_citations_placed_in_the_text_that_arrived():
    turn = Turn(QUESTION)
    turn.feed(chunk("NVDA grew 94%"))
    turn.interrupt()
    cited = [
        Citation("in", "web", "In the text", inline_offset=5),
        Citation("past", "web", "Past the text", inline_offset=40),
        Citation("unplaced", "web", "Not placed", inline_offset=None),
    ]
    record = history(asked(), Message("m1", "NVDA grew 94% while AMD grew 18%. [stopped]", False, citations=cited))
    turn.keep_sources(record)
    assert turn.raw_text == "NVDA grew 94%"
    assert [c.id for c in turn.citations] == ["in", "unplaced"]


# -- a stream that breaks once the task has ended ---------------------------------------------


@pytest.mark.parametrize(
    "status,expected",
    [("complete", "complete"), ("cancelled", "cancelled"), ("error", "error"), ("no_results_found", "no_results")],
)
def test_a_task_that_ended_while_the_stream_was_down_is_reconciled_at_once(status, expected):
    """After the reconnect, the progress says the task is over, whatever its ending: the history
    gives the answer, and the stream is not read again (no event will ever come)."""
    service = Service(
        {
            "POST /threads": [Thread("t1", QUESTION)],
            POST_MESSAGE: [None],
            "GET /threads/{id}/progress": [Progress(status)],
            GET_MESSAGES: [history(asked(at(1)), Message("m1", "The whole answer.", False))],
        },
        events=[chunk("The wh"), steps.Lost(APIConnectionError("cut"))],
    )
    result = service.drive(procedure().run())
    assert (result.turn.status, result.turn.raw_text) == (expected, "The whole answer.")
    assert service.log[-2:] == ["GET /threads/{id}/progress", GET_MESSAGES]


# -- a POST whose outcome is unknown, settled from the service's record -------------------------


def _post_once_unknown(record: History) -> Service:
    return Service(
        {POST_MESSAGE: [unknown(), None], GET_MESSAGES: [record]},
        events=[complete("Answer."), ended()],
    )


def test_an_older_copy_of_the_question_is_not_taken_for_this_ones_delivery():
    """In a thread with history, the same question asked an hour ago is not this ask's: the
    question is sent again (else the old answer would pass for the new one, or none come)."""
    service = _post_once_unknown(history(asked(at(-3600)), Message("a0", "An hour-old answer.", False)))
    result = service.drive(procedure("t-old").run())
    assert service.log.count(POST_MESSAGE) == 2 and result.turn.raw_text == "Answer."


def test_a_copy_stamped_since_the_ask_began_is_this_ones_delivery_and_is_not_sent_twice():
    service = _post_once_unknown(history(asked(at(2))))
    service.drive(procedure("t-old").run())
    assert service.log.count(POST_MESSAGE) == 1


def test_a_copy_stamped_a_little_before_the_ask_by_a_service_clock_behind_ours_is_this_ones():
    service = _post_once_unknown(history(asked(at(-60))))
    service.drive(procedure("t-old").run())
    assert service.log.count(POST_MESSAGE) == 1


@pytest.mark.parametrize(
    "created",
    [-steps.CLOCK_SKEW, -60, 2],
    ids=["service-clock-at-the-skew", "service-clock-60s-behind", "after-the-ask"],
)
def test_a_thread_made_by_a_create_whose_answer_was_lost_is_adopted(created):
    """POST /threads broke after the service made the thread: the empty thread of that name, made
    since the ask began (its clock up to two minutes behind ours), is the ask's; no second thread."""
    service = Service(
        {
            "POST /threads": [unknown(), Thread("t-second", QUESTION)],
            "GET /threads": [[Thread("t-made", thread_name(QUESTION), created_at=at(created))]],
            GET_MESSAGES: [history()],
            POST_MESSAGE: [None],
        },
        events=[complete("Answer."), ended()],
    )
    result = service.drive(procedure().run())
    assert result.turn.thread_id == "t-made" and service.log.count("POST /threads") == 1


def test_an_older_empty_thread_of_the_same_name_is_not_adopted():
    service = Service(
        {
            "POST /threads": [unknown(), Thread("t-second", QUESTION)],
            "GET /threads": [[Thread("t-yesterday", thread_name(QUESTION), created_at=at(-86400))]],
            POST_MESSAGE: [None],
        },
        events=[complete("Answer."), ended()],
    )
    result = service.drive(procedure().run())
    assert result.turn.thread_id == "t-second" and service.log.count("POST /threads") == 2


def test_a_thread_is_kept_while_its_questions_outcome_is_unknown():
    """The POST broke and the record could not be read: the question may be running there, so
    the thread the ask made is not deleted (its answer can be read later)."""
    service = Service(
        {
            "POST /threads": [Thread("t1", QUESTION)],
            POST_MESSAGE: [unknown()],
            GET_MESSAGES: [APIConnectionError("down", processed=False)],
            "DELETE /threads/{id}": [True],
        }
    )
    proc = procedure()
    with pytest.raises(APIConnectionError, match="the connection broke"):
        service.drive(proc.run())
    assert "DELETE /threads/{id}" not in service.log and proc.turn.thread_id == "t1" and proc.posted is None


def test_a_thread_the_question_never_reached_is_deleted():
    service = Service(
        {
            "POST /threads": [Thread("t1", QUESTION)],
            POST_MESSAGE: [BadRequestError("refused", status_code=400, processed=False)],
            "DELETE /threads/{id}": [True],
        }
    )
    with pytest.raises(BadRequestError):
        service.drive(procedure().run())
    assert "DELETE /threads/{id}" in service.log


# -- stopping ---------------------------------------------------------------------------------


def test_stopping_an_ask_that_never_posted_leaves_the_threads_running_task_alone():
    """Interrupted before its question was sent, in a thread where another answer is running:
    cancelling the thread's task would stop that other answer."""
    service = Service({"DELETE /threads/{id}/task": [True], GET_MESSAGES: [history()]})
    result = service.drive(procedure("t-busy").stop())
    assert service.log == [] and result.turn.raw_text == ""


def test_stopping_an_ask_whose_question_was_posted_cancels_its_task():
    service = Service(
        {
            "DELETE /threads/{id}/task": [True],
            "GET /threads/{id}/progress": [Progress("cancelled")],  # how the task ended: what was kept
            GET_MESSAGES: [history()],
        }
    )
    proc = procedure("t1")
    proc.posted = True
    service.drive(proc.stop())
    assert service.log == ["DELETE /threads/{id}/task", "GET /threads/{id}/progress", GET_MESSAGES]


# -- the whole ask as the service receives it ---------------------------------------------------


def marker(artifact_id: str) -> str:
    return f'```{{"type": "output_artifact", "artifact_id": "{artifact_id}"}}```'


def test_an_ask_sends_its_files_then_its_question_with_its_sources_to_its_thread_and_fetches_its_artifacts():
    from alfa_notebook.results.answer import Answer
    from alfa_notebook.wire.models import Artifact
    from alfa_notebook.wire.operations import Upload

    table, broken = Artifact("tbl-1", {"columns": ["a"], "rows": [[1]]}), AlfaError("gone")
    service = Service(
        {"POST /threads": [Thread("t1", QUESTION)], "POST /threads/{id}/files": ["f1"], POST_MESSAGE: [None]},
        events=[complete(f"See {marker('tbl-1')} and {marker('tbl-2')}"), ended()],
        artifacts={"tbl-1": table, "tbl-2": broken},
    )
    upload = Upload("holdings.csv", b"ticker\nNVDA\n", "file holdings.csv")
    result = service.drive(procedure(uploads=[upload], source_overrides={"web": False}).run())
    assert service.sent == [
        ("POST", "/threads", None, None, {"thread_name": QUESTION}, None),
        ("POST", "/threads/t1/files", None, None, None, {"file": ("holdings.csv", b"ticker\nNVDA\n")}),
        ("stream", "t1"),
        ("POST", "/threads/t1/messages", None, {"message": QUESTION, "source_overrides": '{"web": false}'}, None, None),
        ("artifacts", "t1", ("tbl-1", "tbl-2"), "m1"),
    ]
    assert service.published[0] is None  # the follower is told the question went, before any event
    assert (result.artifacts, result.artifact_errors) == ([table], {"tbl-2": broken})
    assert Answer.from_result(result).attachments == ["holdings.csv"]


def test_a_question_whose_post_never_answers_is_sent_at_most_three_times_reading_the_latest_page_between():
    service = Service({POST_MESSAGE: [unknown()], GET_MESSAGES: [history()]})
    with pytest.raises(APIConnectionError):
        service.drive(procedure("t-old").run())
    assert service.log.count(POST_MESSAGE) == 1 + steps.MAX_RESENDS
    reads = [s for s in service.sent if s[:2] == ("GET", "/threads/t-old/messages")]
    assert len(reads) == steps.MAX_RESENDS and {r[2]["limit_num"] for r in reads} == {steps.HISTORY_PAGE}


def test_a_post_out_of_time_is_not_settled_from_the_record():
    service = Service({POST_MESSAGE: [unknown()]})
    with pytest.raises(APIConnectionError):
        service.drive(procedure("t-old", timeout=0).run())
    assert service.log == ["open", POST_MESSAGE]


def test_another_question_asked_since_is_not_taken_for_this_ones_delivery():
    """The latest question in the record is another's: this one did not get there, so it is sent
    again (taking it as delivered would wait for an answer that never comes)."""
    record = history(asked(at(1)), Message("a1", "Answer.", False), Message("u2", "Another question", True, time=at(2)))
    service = _post_once_unknown(record)
    service.drive(procedure("t-old").run())
    assert service.log.count(POST_MESSAGE) == 2


def test_a_copy_stamped_at_the_edge_of_the_clock_skew_is_this_ones():
    service = _post_once_unknown(history(asked(at(-steps.CLOCK_SKEW))))
    service.drive(procedure("t-old").run())
    assert service.log.count(POST_MESSAGE) == 1


def test_a_thread_whose_create_never_answers_is_asked_for_three_times_at_most():
    service = Service({"POST /threads": [unknown()], "GET /threads": [[]]})
    with pytest.raises(APIConnectionError):
        service.drive(procedure().run())
    assert service.log.count("POST /threads") == 1 + steps.MAX_RESENDS


def test_of_the_empty_threads_a_lost_create_may_have_made_the_newest_is_adopted_looking_at_three_at_most():
    name = thread_name(QUESTION)
    made = [
        Thread("t-undated", name),
        Thread("t-first", name, created_at=at(-steps.CLOCK_SKEW)),
        Thread("t-newest", name, created_at=at(5)),
        Thread("t-second", name, created_at=at(2)),
    ]
    service = Service(
        {"POST /threads": [unknown()], "GET /threads": [made], GET_MESSAGES: [history()], POST_MESSAGE: [None]},
        events=[complete("Answer."), ended()],
    )
    result = service.drive(procedure().run())
    assert result.turn.thread_id == "t-newest"
    assert service.sent[2] == (
        "GET",
        "/threads/t-newest/messages",
        {"start_index": 0, "limit_num": 1},
        None,
        None,
        None,
    )

    busy = [history(asked())] * 3 + [history()]  # the three newest hold a question; the undated one is empty
    service = Service(
        {"POST /threads": [unknown(), Thread("t-new", QUESTION)], "GET /threads": [made], GET_MESSAGES: busy},
    )
    service.calls[POST_MESSAGE] = [None]
    service.events = [complete("Answer."), ended()]
    result = service.drive(procedure().run())
    assert result.turn.thread_id == "t-new" and service.log.count(GET_MESSAGES) == 3


def test_a_thread_the_question_never_reached_is_deleted_and_named_nowhere():
    from alfa_notebook.results.answer import Answer

    service = Service(
        {
            "POST /threads": [Thread("t1", QUESTION)],
            POST_MESSAGE: [BadRequestError("refused", status_code=400, processed=False)],
            "DELETE /threads/{id}": [True],
        }
    )
    proc = procedure()
    with pytest.raises(BadRequestError):
        service.drive(proc.run())
    assert Answer.from_turn(proc.turn).thread_id is None


# -- polling, once reconnecting failed ------------------------------------------------------------


def _unreachable_stream(progress: list[Any]) -> Service:
    class Down(Service):
        def perform(self, effect: object) -> Any:
            if isinstance(effect, steps.OpenStream) and effect.recovering:
                self.log.append("reopen")
                self.sent.append(("stream", effect.thread_id))
                return steps.Lost(APIConnectionError("refused"))
            return super().perform(effect)

    return Down(
        {POST_MESSAGE: [None], "GET /threads/{id}/progress": progress, GET_MESSAGES: [history(asked(at(1)), WHOLE)]},
        events=[chunk("The wh"), steps.Lost(APIConnectionError("cut"))],
    )


WHOLE = Message("m1", "The whole answer.", False)


@pytest.mark.parametrize("status,expected", [("cancelled", "cancelled"), (None, "complete")])
def test_a_task_followed_by_polling_is_polled_with_growing_waits_and_ended_from_the_record(status, expected):
    running = Progress("running")
    service = _unreachable_stream([running, steps.Lost(APIConnectionError("blip")), running, running, running])
    service.calls["GET /threads/{id}/progress"] += [running, running, Progress(status)]
    waits: list[float] = []
    service.perform = _noting_waits(service.perform, waits)  # type: ignore[method-assign]
    result = service.drive(procedure("t1", timeout=600).run())
    assert (result.turn.status, result.turn.raw_text) == (expected, "The whole answer.")
    assert service.log.count("reopen") == steps.MAX_RECONNECTS
    assert ("stream", "t1") in service.sent and ("stream", None) not in service.sent
    polling = waits[steps.MAX_RECONNECTS - 1 :]  # after the backoffs between reconnects
    assert polling == pytest.approx([1.0, 1.5, 2.25, 3.375, 5.0, 5.0, 5.0])


def _noting_waits(perform: Any, waits: list[float]) -> Any:
    def noting(effect: object) -> Any:
        if isinstance(effect, steps.Sleep):
            waits.append(effect.seconds)
        return perform(effect)

    return noting


def test_polling_gives_up_after_five_failed_polls_saying_where_to_look():
    from alfa_notebook.wire.errors import StreamInterruptedError

    last = APIConnectionError("still down")
    failures = [APIConnectionError(f"down {i}") for i in range(steps.MAX_POLL_FAILURES - 1)] + [last]
    service = _unreachable_stream(failures)
    with pytest.raises(StreamInterruptedError) as info:
        service.drive(procedure("t1").run())
    assert service.log.count("GET /threads/{id}/progress") == steps.MAX_POLL_FAILURES
    error = info.value
    assert str(error) == (
        "The event stream broke and the service could not be reached to follow the answer to its end; it may "
        "still be running there. What had arrived is in the error's .answer; later, client.threads.messages('t1') "
        "reads the whole answer and client.threads.progress('t1') says whether it is finished."
    )
    assert (error.method, error.path, error.__cause__) == ("GET", "/threads/{id}/progress", last)


# -- out of time, busy threads, stopping -----------------------------------------------------------


class Clocked(Service):
    """Time passes as the procedure sleeps, and at each read of the stream by ``per_read`` seconds."""

    def __init__(self, *args: Any, per_read: float = 0.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now, self.per_read = 0.0, per_read
        self.waits: list[float] = []

    def perform(self, effect: object) -> Any:
        if isinstance(effect, steps.Sleep):
            self.waits.append(effect.seconds)
            self.now += effect.seconds
        if isinstance(effect, steps.NextEvent):
            self.now += self.per_read
        return super().perform(effect)

    def procedure(self, thread_id: str | None = "t1", **options: Any) -> steps.AskProcedure:
        return steps.AskProcedure(
            QUESTION, thread_id, clock=lambda: self.now, rng=random.Random(0), wall=lambda: ASKED_AT, **options
        )


@pytest.mark.parametrize(
    "events,said",
    [
        ([], "Nothing of the answer had arrived."),
        ([chunk("NVDA ")], "What had arrived is in the error's .answer."),
        ([WorkInProgress("Reading filings", {})], "What had arrived is in the error's .answer."),
    ],
    ids=["nothing", "text", "a log line"],
)
def test_an_ask_out_of_time_says_whether_anything_arrived(events, said):
    from alfa_notebook.wire.errors import APITimeoutError

    running = StatusChanged("execution_status", "running", None, {})
    service = Clocked({POST_MESSAGE: [None]}, events=[*events, running], per_read=10.0)
    with pytest.raises(APITimeoutError) as info:
        service.drive(service.procedure(timeout=5).run())
    assert str(info.value) == (
        f"The answer did not finish within 5 s. {said} For long questions, raise the timeout: ask(..., timeout=...)."
    )


def test_reconnecting_backs_off_by_the_retry_schedule_and_the_live_view_says_so():
    from alfa_notebook.render.live import status_line
    from alfa_notebook.wire.retry import backoff

    seen: list[str] = []

    class Down(Clocked):
        def perform(self, effect: object) -> Any:
            if isinstance(effect, steps.OpenStream) and effect.recovering:
                seen.append(status_line(proc.turn))
                self.log.append("reopen")
                return steps.Lost(APIConnectionError("refused"))
            if isinstance(effect, steps.Call) and effect.operation.route.endswith("/progress"):
                seen.append(status_line(proc.turn))
            return super().perform(effect)

    service = Down(
        {
            POST_MESSAGE: [None],
            "GET /threads/{id}/progress": [Progress("complete")],
            GET_MESSAGES: [history(asked(at(1)), WHOLE)],
        },
        events=[chunk("The wh"), steps.Lost(APIConnectionError("cut"))],
    )
    proc = service.procedure()
    result = service.drive(proc.run())
    rng = random.Random(0)
    assert service.waits[: steps.MAX_RECONNECTS - 1] == [backoff(0, rng), backoff(1, rng)]
    assert service.log.count("reopen") == steps.MAX_RECONNECTS
    assert [line.split(" · ")[1] for line in seen] == [
        "reconnecting, attempt 1",
        "reconnecting, attempt 2",
        "reconnecting, attempt 3",
        "stream lost, following the task by polling",
    ]
    assert result.turn.raw_text == "The whole answer."


def test_a_reconnected_stream_is_no_longer_shown_reconnecting_and_each_drop_is_counted():
    from alfa_notebook.render.live import status_line
    from alfa_notebook.results.answer import Answer

    seen: list[str] = []

    class Watching(Clocked):
        def perform(self, effect: object) -> Any:
            if isinstance(effect, steps.NextEvent):
                seen.append(status_line(proc.turn))
            return super().perform(effect)

    running = Progress("running")
    service = Watching(
        {POST_MESSAGE: [None], "GET /threads/{id}/progress": [running]},
        events=[chunk("a "), steps.Lost(None), chunk("b "), steps.Lost(None), complete("a b c"), ended()],
    )
    proc = service.procedure()
    answer = Answer.from_result(service.drive(proc.run()))
    assert not any("reconnecting" in line for line in seen)
    assert answer.warnings == [
        "The event stream broke 2 time(s); each time the client picked the answer up again from the service."
    ]


def test_a_history_that_lags_is_read_again_soon_and_given_up_on_only_at_the_deadline():
    lagging = history(asked(at(1)))
    service = Clocked(
        {
            POST_MESSAGE: [None],
            "GET /threads/{id}/progress": [Progress("complete")],
            GET_MESSAGES: [lagging] * 3 + [history(asked(at(1)), WHOLE)],
        },
        events=[chunk("The wh"), steps.Lost(APIConnectionError("cut"))],
    )
    result = service.drive(service.procedure(timeout=30).run())
    assert result.turn.raw_text == "The whole answer." and service.waits == pytest.approx([0.1, 0.15, 0.225])
    assert {s[2]["limit_num"] for s in service.sent if s[:2] == ("GET", "/threads/t1/messages")} == {steps.HISTORY_PAGE}

    service = Clocked(
        {POST_MESSAGE: [None], "GET /threads/{id}/progress": [Progress("complete")], GET_MESSAGES: [lagging]},
        events=[chunk("The wh"), steps.Lost(APIConnectionError("cut"))],
    )
    result = service.drive(service.procedure(timeout=5).run())
    assert result.turn.raw_text == "The wh" and sum(service.waits) == pytest.approx(5.0)


def busy_refusal(status_code: int = 409, detail: str = "Conflict") -> Any:
    from alfa_notebook.wire.errors import status_error_class

    return status_error_class(status_code)(
        f"POST /threads/{{id}}/messages -> {status_code}: {detail}",
        status_code=status_code,
        body={"detail": detail},
        method="POST",
        path="/threads/{id}/messages",
        processed=False,
        detail=detail,
        request_id="req-7",
    )


def test_a_busy_thread_is_given_a_moment_before_it_is_asked_and_a_failed_read_of_it_is_read_again():
    service = Clocked(
        {
            POST_MESSAGE: [busy_refusal(), None],
            "GET /threads/{id}/progress": [APIConnectionError("blip"), Progress("running"), Progress("complete")],
        },
        events=[complete("Answer."), ended()],
    )
    result = service.drive(service.procedure(timeout=60).run())
    assert result.turn.raw_text == "Answer." and service.log.count(POST_MESSAGE) == 2
    assert service.waits == pytest.approx([0.1, 0.15, 0.225])  # a wait before each read


def test_a_thread_busy_until_the_deadline_says_how_long_it_waited_in_the_services_words():
    from alfa_notebook import ThreadBusyError

    service = Clocked({POST_MESSAGE: [busy_refusal()], "GET /threads/{id}/progress": [APIConnectionError("down")]})
    service.now = 100.0  # the clock's scale starts anywhere
    with pytest.raises(ThreadBusyError) as info:
        service.drive(service.procedure(timeout=20).run())
    error = info.value
    detail = "thread t1 is busy with a task, still running after 20 s; the question was not sent"
    advice = "Wait for it, or stop it with client.threads.cancel('t1'), then ask again."
    assert (error.status_code, error.body, error.method, error.path) == (
        409,
        {"detail": "Conflict"},
        "POST",
        "/threads/{id}/messages",
    )
    assert (error.detail, error.advice, error.task_id) == (detail, advice, None)
    assert str(error).startswith(f"POST /threads/{{id}}/messages -> 409: {detail}. {advice}") and "req-7" in str(error)


def test_a_thread_met_busy_twice_waits_on_where_it_left_off():
    service = Clocked(
        {
            POST_MESSAGE: [busy_refusal(), busy_refusal(), None],
            "GET /threads/{id}/progress": [Progress("complete"), Progress("complete")],
        },
        events=[complete("Answer."), ended()],
    )
    service.drive(service.procedure(timeout=60).run())
    assert service.log.count(POST_MESSAGE) == 3 and service.waits == pytest.approx([0.1, 0.15])


def test_busy_is_a_409_whatever_it_says_and_never_a_5xx():
    from alfa_notebook.wire.errors import InternalServerError

    assert steps.is_busy(busy_refusal(409, "Conflict"))
    said = "A task is already running in this thread"
    assert not steps.is_busy(InternalServerError(said, status_code=500, detail=said))


def test_stopping_an_ask_that_had_not_begun_touches_nothing():
    service = Service()
    result = service.drive(procedure().stop())
    assert service.log == [] and result.artifacts == [] and result.artifact_errors == {}


def test_stopping_an_ask_whose_post_was_out_in_an_older_thread_cancels_its_task_at_once():
    service = Service(
        {
            POST_MESSAGE: [None],
            "DELETE /threads/{id}/task": [True],
            "GET /threads/{id}/progress": [Progress("cancelled")],
            GET_MESSAGES: [history()],
        }
    )
    proc = procedure("t-old")
    proc.posted = None  # stopped while its POST was out
    service.drive(proc.stop())
    assert service.log[0] == "DELETE /threads/{id}/task"


def test_stopping_an_ask_whose_question_went_cancels_its_task_and_keeps_its_thread():
    from alfa_notebook.results.answer import Answer

    for posts, records in (([None], [history()]), ([unknown(), None], [history(asked())])):
        service = Service(
            {
                "POST /threads": [Thread("t1", QUESTION)],
                POST_MESSAGE: posts,
                GET_MESSAGES: records,
                "DELETE /threads/{id}/task": [True],
                "GET /threads/{id}/progress": [Progress("cancelled")],
            },
            events=[chunk("NVDA "), complete("NVDA rose."), ended()],
        )
        proc = procedure()
        service.drive(proc.run())
        service.log.clear()
        service.drive(proc.stop())
        assert service.log[0] == "DELETE /threads/{id}/task" and "DELETE /threads/{id}" not in service.log
        assert Answer.from_turn(proc.turn).thread_id == "t1"


def test_a_task_polled_to_a_progress_with_no_status_waits_for_a_lagging_history():
    service = _unreachable_stream([Progress(None)])
    service.calls[GET_MESSAGES] = [history(asked(at(1))), history(asked(at(1)), WHOLE)]
    result = service.drive(procedure("t1", timeout=600).run())
    assert (result.turn.status, result.turn.raw_text) == ("complete", "The whole answer.")


def test_stopping_while_the_question_was_posted_to_a_new_thread_reads_the_latest_page_of_its_record():
    service = Service(
        {
            GET_MESSAGES: [history(asked())],
            "DELETE /threads/{id}/task": [True],
            "GET /threads/{id}/progress": [Progress("cancelled")],
        }
    )
    proc = procedure("t1")
    proc.created_thread, proc.posted = True, None
    service.drive(proc.stop())
    assert service.sent[0] == ("GET", "/threads/t1/messages", {"start_index": 0, "limit_num": 10}, None, None, None)
    assert service.log[1] == "DELETE /threads/{id}/task"


def test_a_stopped_ask_reads_the_latest_page_and_fetches_the_artifacts_that_arrived_from_its_thread():
    from alfa_notebook.wire.models import Artifact

    table = Artifact("tbl-1", {"columns": ["a"], "rows": [[1]]})
    calls = {"DELETE /threads/{id}/task": [True], "GET /threads/{id}/progress": [Progress("cancelled")]}
    service = Service({**calls, GET_MESSAGES: [history()]}, artifacts={"tbl-1": table})
    proc = procedure("t1")
    proc.posted = True
    proc.turn.feed(chunk(f"See {marker('tbl-1')}"))
    result = service.drive(proc.stop())
    assert service.sent[-2:] == [
        ("GET", "/threads/t1/messages", {"start_index": 0, "limit_num": 10}, None, None, None),
        ("artifacts", "t1", ("tbl-1",), "m1"),
    ]
    assert result.artifacts == [table]


def test_a_stop_after_the_timeout_cancels_without_asking_how_the_task_ended():
    service = Service({"DELETE /threads/{id}/task": [True], GET_MESSAGES: [history()]})
    proc = procedure("t1", timeout=0)
    proc.posted = True
    service.drive(proc.stop())
    assert service.log == ["DELETE /threads/{id}/task", GET_MESSAGES]


def test_an_ask_stopped_while_its_thread_was_made_keeps_its_turn():
    from alfa_notebook.results.answer import Answer

    class Interrupting(Service):
        def perform(self, effect: object) -> Any:
            if isinstance(effect, steps.Call) and (effect.operation.method, effect.operation.route) == (
                "POST",
                "/threads",
            ):
                raise KeyboardInterrupt
            return super().perform(effect)

    service = Interrupting({"GET /threads": [[]]})
    proc = procedure()
    with pytest.raises(KeyboardInterrupt):
        service.drive(proc.run())
    result = service.drive(proc.stop())
    assert Answer.from_result(result).question == QUESTION and service.log == ["GET /threads"]


def test_a_stop_after_the_new_thread_was_deleted_looks_for_no_other_thread():
    """The question timed out unsent and its new thread was deleted: stopping has nothing left to do."""
    from alfa_notebook.wire.errors import APITimeoutError

    service = Service(
        {
            "POST /threads": [Thread("t1", QUESTION)],
            POST_MESSAGE: [APITimeoutError("too slow", processed=False)],
            "DELETE /threads/{id}": [True],
        }
    )
    proc = procedure()
    with pytest.raises(APITimeoutError):
        service.drive(proc.run())
    service.log.clear()
    service.drive(proc.stop())
    assert service.log == []


def test_a_thread_is_named_as_asked_and_an_answer_takes_the_time_the_procedure_took():
    from alfa_notebook.results.answer import Answer

    service = Clocked(
        {
            "POST /threads": [Thread("t1", "Semis review")],
            POST_MESSAGE: [None],
            "GET /threads/{id}/progress": [Progress("complete")],
            GET_MESSAGES: [history(asked(at(1)), WHOLE)],
        },
        events=[steps.Lost(APIConnectionError("dropped before the first event"))],
    )
    service.now, service.per_read = 100.0, 2.5  # the clock's scale starts anywhere; reading took 2.5 s
    result = service.drive(service.procedure(None, name="Semis review", timeout=60).run())
    assert service.sent[0][4] == {"thread_name": "Semis review"}
    assert result.turn.raw_text == "The whole answer." and service.log.count("reopen") == 1
    assert Answer.from_result(result).elapsed == 2.5


def test_events_read_at_once_from_a_recording_are_fed_in_order_and_published_once():
    from alfa_notebook.wire.events import StatusChanged as Status

    last = ended()
    service = Service(
        {POST_MESSAGE: [None]},
        events=[steps.Burst(iter([chunk("NVDA "), complete("NVDA rose."), last, chunk("after the end")]))],
    )
    result = service.drive(procedure("t1").run())
    assert result.turn.raw_text == "NVDA rose." and result.turn.status == "complete"
    assert service.published == [None, last] and isinstance(last, Status)


def test_a_burst_publishes_its_last_final_chunk_even_one_that_changed_nothing():
    """A recorded stream read at once: its last final chunk is what the follower is told of (the
    message is whole), an event that changes nothing (a repeated status) is passed over, and a
    burst of such events tells the follower nothing."""
    running = StatusChanged("execution_status", "running", None, {})
    whole = MessageChunk("", "m1", True, {})  # the final mark of a message already read
    last = ended()
    service = Service(
        {POST_MESSAGE: [None]},
        events=[
            steps.Burst(iter([running])),  # nothing new: nothing to tell
            steps.Burst(iter([running, chunk("NVDA rose."), whole, running])),
            steps.Burst(iter([last])),
        ],
    )
    result = service.drive(procedure("t1").run())
    assert result.turn.raw_text == "NVDA rose." and result.turn.status == "complete"
    assert service.published == [None, whole, last]


def test_a_burst_stops_at_the_turn_s_end_and_what_follows_is_not_read_into_it():
    last = ended()
    late = MessageChunk(" and more.", "m1", True, {})
    service = Service({POST_MESSAGE: [None]}, events=[steps.Burst(iter([chunk("NVDA rose."), last, late]))])
    result = service.drive(procedure("t1").run())
    assert result.turn.raw_text == "NVDA rose." and service.published == [None, last]


class Sleeps(Service):
    """The scripted service, noting each wait the procedure asks for."""

    def perform(self, effect: object) -> Any:
        if isinstance(effect, steps.Sleep):
            self.log.append("sleep")
        return super().perform(effect)


def test_events_read_after_a_reconnect_reset_its_backoff_so_the_next_drop_is_mended_at_once():
    """Each drop followed by events is a first drop again: reconnected without a wait."""
    drop = steps.Lost(APIConnectionError("the stream broke"))
    service = Sleeps(
        {POST_MESSAGE: [None], "GET /threads/{id}/progress": [Progress(None)]},  # read on each reattach
        events=[
            chunk("NVDA "),
            drop,
            steps.Burst(iter([chunk("rose ")])),
            drop,
            steps.Burst(iter([chunk("again."), ended()])),
        ],
    )
    result = service.drive(procedure("t1").run())
    assert result.turn.raw_text == "NVDA rose again." and result.turn.status == "complete"
    assert service.log.count("reopen") == 2 and "sleep" not in service.log


def test_stopping_a_new_thread_whose_question_never_got_there_deletes_it_and_keeps_the_turn():
    from alfa_notebook.results.answer import Answer

    service = Service({GET_MESSAGES: [history()], "DELETE /threads/{id}": [True]})
    proc = procedure("t1")
    proc.created_thread, proc.posted = True, None
    proc.turn.feed(chunk(""))
    answer = Answer.from_result(service.drive(proc.stop()))
    assert service.log == [GET_MESSAGES, "DELETE /threads/{id}"] and answer.question == QUESTION
    assert answer.thread_id is None
