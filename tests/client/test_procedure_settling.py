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
from alfa_notebook.wire.events import MessageChunk, MessageComplete, StatusChanged
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

    def __init__(self, calls: dict[str, list[Any]] | None = None, events: list[Any] = ()) -> None:
        self.calls = {key: list(outcomes) for key, outcomes in (calls or {}).items()}
        self.events = list(events)
        self.log: list[str] = []

    def perform(self, effect: object) -> Any:
        if isinstance(effect, steps.Call):
            key = f"{effect.operation.method} {effect.operation.route}"
            self.log.append(key)
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
            return None
        if isinstance(effect, steps.NextEvent):
            if not self.events:
                raise AssertionError("the procedure read the stream past its script")
            self.log.append("read")
            return self.events.pop(0)
        if isinstance(effect, steps.GetArtifacts):
            return {}
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


def procedure(thread_id: str | None = None) -> steps.AskProcedure:
    return steps.AskProcedure(QUESTION, thread_id, clock=lambda: 0.0, rng=random.Random(0), wall=lambda: ASKED_AT)


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


@pytest.mark.parametrize("created", [-60, 2], ids=["service-clock-60s-behind", "after-the-ask"])
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
