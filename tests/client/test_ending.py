"""How an ask ends (turn/ending.py), and both runners carrying it out, with a scripted service:
what is kept, what is cancelled on the server, what is raised, and that every generator is closed.
The same endings end to end against the emulator are in test_interrupt.py."""

from __future__ import annotations

import asyncio

import pytest

from alfa_notebook.asking import AskEvents, Asking
from alfa_notebook.turn import ending as endings
from alfa_notebook.turn.machine import Turn
from alfa_notebook.turn.runners import AsyncRunner, SyncRunner
from alfa_notebook.turn.steps import AskProcedure
from alfa_notebook.wire.errors import APIStatusError, APITimeoutError, StreamInterruptedError, TurnFailedError
from alfa_notebook.wire.events import MessageChunk, StatusChanged
from alfa_notebook.wire.models import History, Progress


class Broke(Exception):
    """The caller's code failed."""


ARTIFACT = '```{"type": "output_artifact", "artifact_id": "a1"}```'


def events(status="complete", artifact=False):
    chunks = [f"part {i} " for i in range(3)] + ([ARTIFACT] if artifact else [])
    return [MessageChunk(text, "m1", False, {}) for text in chunks] + [StatusChanged("task_status", status, None, {})]


class Service:
    """A scripted service: answers every call, streams ``events()``, and notes what it was asked."""

    def __init__(self, fail_post: Exception | None = None, ends: str = "complete", artifact: bool = False) -> None:
        self.calls: list[str] = []
        self.fail_post = fail_post
        self.ends = ends  # the task's status at the end of the stream
        self.artifact = artifact  # the answer shows an artifact, which cannot be fetched
        self.streams: list[Stream] = []

    def _answer(self, op):
        self.calls.append(f"{op.method} {op.route}")
        if op.method == "POST" and self.fail_post is not None:
            raise self.fail_post
        if op.method == "GET" and op.route.endswith("/messages"):
            return History([], 0, 0)
        if op.route.endswith("/artifacts/{artifact_id}"):
            raise APIStatusError("gone", status_code=404, method="GET", path=op.route)
        if op.method == "GET" and op.route.endswith("/progress"):  # a stop reads how the task ended
            return Progress("cancelled")
        return True

    def request(self, op, *, deadline=None):
        return self._answer(op)

    def open_stream(self, thread_id, *, deadline=None):
        self.streams.append(Stream(events(self.ends, self.artifact)))
        return self.streams[-1]

    @property
    def cancelled(self) -> bool:
        return "DELETE /threads/{id}/task" in self.calls


class Stream:
    def __init__(self, items):
        self._items = iter(items)
        self.closed = False

    def __next__(self):
        return next(self._items)

    def close(self):
        self.closed = True


class AsyncService(Service):
    async def request(self, op, *, deadline=None):
        return self._answer(op)

    async def open_stream(self, thread_id, *, deadline=None):
        self.streams.append(AsyncStream(events(self.ends, self.artifact)))
        return self.streams[-1]


class AsyncStream(Stream):
    async def __anext__(self):
        try:
            return next(self._items)
        except StopIteration:
            raise StopAsyncIteration from None

    async def aclose(self):
        self.closed = True


def follow(kind, service, leave=None, kept=None, procedure=None, keep=None):
    """Follow one ask in thread t1 with a runner of ``kind``; ``leave(event)`` may raise, or
    return True to leave the loop there. Returns what was kept (``(ending, result, error)`` each
    time, into ``kept`` if given, and handed to ``keep`` if given), and the procedure."""
    procedure = AskProcedure("q", "t1", clock=lambda: 0.0) if procedure is None else procedure
    kept = [] if kept is None else kept
    procedure.driven = []  # every generator of the procedure the runner drove
    for name in ("run", "stop"):
        made = getattr(procedure, name)
        setattr(procedure, name, lambda made=made: procedure.driven.append(made()) or procedure.driven[-1])

    def noted(how, result, error):
        kept.append((how, result, error))
        if keep is not None:
            keep(how, result, error)

    def body(event):
        return leave is not None and leave(event)

    if kind == "sync":
        with SyncRunner(service, procedure).following(noted) as events:
            for event in events:
                if body(event):
                    break
    else:

        async def main():
            async with AsyncRunner(service, procedure).following(noted) as events:
                async for event in events:
                    if body(event):
                        break

        asyncio.run(main())
    return kept, procedure


def chunk_seen(error=None):
    def leave(event):
        if isinstance(event, MessageChunk):
            if error is not None:
                raise error
            return True
        return False

    return leave


@pytest.fixture(params=["sync", "async"])
def kind(request):
    return request.param


def service_of(kind, **kw):
    return (Service if kind == "sync" else AsyncService)(**kw)


def test_complete_keeps_the_result_once_and_cancels_nothing(kind):
    service = service_of(kind)
    kept, procedure = follow(kind, service)
    assert [(how, error) for how, _, error in kept] == [(endings.COMPLETE, None)]
    assert kept[0][1].turn is procedure.turn and procedure.turn.status == "complete"
    assert not service.cancelled and all(s.closed for s in service.streams)


def test_a_failure_of_the_service_is_kept_as_far_as_it_got_and_cancels_nothing(kind):
    refused = APIStatusError("refused", status_code=400, method="POST", path="/threads/{id}/messages")
    service, kept = service_of(kind, fail_post=refused), []
    with pytest.raises(APIStatusError):
        follow(kind, service, kept=kept)
    assert kept == [(endings.FAILED, None, refused)]
    assert not service.cancelled and all(s.closed for s in service.streams)


@pytest.mark.parametrize(
    "error", [Broke("on_event failed"), KeyboardInterrupt(), APITimeoutError("out of time")], ids=type
)
def test_an_exception_while_following_cancels_on_the_server_keeps_twice_and_goes_on(kind, error):
    service, kept = service_of(kind), []
    with pytest.raises(type(error)):
        follow(kind, service, chunk_seen(error), kept)
    # kept first from the turn (in case the stop is cut short), then with what the stop read
    assert [(result is None, raised) for _, result, raised in kept] == [(True, error), (False, error)]
    assert kept[0][0].stop_within is not None and kept[1][1].turn.status == "cancelled"
    assert service.cancelled and all(s.closed for s in service.streams)


def test_leaving_the_loop_early_without_an_exception_is_an_interrupt(kind):
    service = service_of(kind)
    kept, procedure = follow(kind, service, chunk_seen())
    assert [how for how, _, _ in kept] == [endings.INTERRUPTED, endings.INTERRUPTED]
    assert kept[0][1] is None and kept[1][1].turn is procedure.turn
    assert procedure.turn.status == "cancelled" and procedure.turn.raw_text == "part 0 "
    assert service.cancelled and all(s.closed for s in service.streams)
    assert len(procedure.driven) == 2 and all(
        g.gi_frame is None for g in procedure.driven
    )  # closed, not left to the GC


@pytest.mark.parametrize(
    "error,finished,expected",
    [
        (None, True, endings.COMPLETE),
        (None, False, endings.INTERRUPTED),
        (KeyboardInterrupt(), False, endings.INTERRUPTED),
        (asyncio.CancelledError(), False, endings.INTERRUPTED),
        (GeneratorExit(), False, endings.INTERRUPTED),
        (Broke(), False, endings.INTERRUPTED),
        (APITimeoutError("late"), False, endings.OUT_OF_TIME),
        (StreamInterruptedError("broke", method="GET", path="/x"), False, endings.FAILED),
    ],
    ids=repr,
)
def test_how_an_ask_ends(error, finished, expected):
    turn = Turn("q", "t1")
    assert endings.ending(turn, error, finished) is expected
    assert (turn.status == "cancelled") == (expected.stop_within is not None)


def test_a_timeout_after_the_turn_ended_stops_nothing():
    turn = Turn("q", "t1")
    turn.end("complete")
    assert endings.ending(turn, APITimeoutError("late"), finished=False) is endings.FAILED
    assert turn.status == "complete"


class Tape:
    """A cassette's turn: notes the answers it was asked to write."""

    def __init__(self) -> None:
        self.written: list = []

    def finish(self, answer) -> None:
        self.written.append(answer)


class Client:
    """What a client keeps of an ask (``last_answer``, the note of a complete one), through an
    :class:`~alfa_notebook.asking.Asking` as the clients make it."""

    def __init__(self, tape=None) -> None:
        self.remembered: list = []
        self.completed: list = []
        self.procedure = AskProcedure("q", "t1", clock=lambda: 0.0)
        self.asking = Asking(self.procedure, tape, remember=self.remembered.append, completed=self.completed.append)

    def ask(self, kind, service, leave=None):
        return follow(kind, service, leave, procedure=self.procedure, keep=self.asking.keep)


def test_a_complete_answer_is_kept_noted_and_written_to_the_cassette_once(kind):
    tape = Tape()
    client = Client(tape)
    client.ask(kind, service_of(kind, artifact=True))
    answer = client.asking.answer
    assert answer.status == "complete" and answer.raw_text == "part 0 part 1 part 2 " + ARTIFACT
    assert answer.warnings == ["Artifact a1 could not be fetched: gone"]  # what the fetch met is kept
    assert client.remembered == [answer] and client.completed == [answer] and tape.written == [answer]


def test_an_answer_the_service_ended_in_error_is_kept_and_raised_but_not_noted_as_a_success(kind):
    tape = Tape()
    client = Client(tape)
    with pytest.raises(TurnFailedError) as raised:
        client.ask(kind, service_of(kind, ends="failed"))
    answer = client.asking.answer
    assert answer.status == "error" and raised.value.answer is answer and raised.value.thread_id == "t1"
    assert client.remembered == [answer]
    assert tape.written == [answer]  # a replay gives the same failure back


@pytest.mark.parametrize("error", [KeyboardInterrupt(), Broke("on_event failed")], ids=type)
def test_an_interrupted_answer_is_kept_on_the_exception_and_never_written_as_complete(kind, error):
    tape = Tape()
    client = Client(tape)
    with pytest.raises(type(error)) as raised:
        client.ask(kind, service_of(kind), chunk_seen(error))
    answer = client.asking.answer
    assert answer.status == "cancelled" and answer.raw_text == "part 0 "
    assert raised.value.answer is answer and client.remembered[-1] is answer
    assert client.completed == [] and tape.written == []


def test_an_error_without_a_thread_is_told_the_asks_thread_and_one_with_its_own_keeps_it(kind):
    client = Client()
    late = APITimeoutError("out of time")
    with pytest.raises(APITimeoutError):
        client.ask(kind, service_of(kind), chunk_seen(late))
    assert late.thread_id == "t1" and late.answer is client.asking.answer

    elsewhere = StreamInterruptedError("broke", method="GET", path="/x")
    elsewhere.thread_id = "t0"
    client = Client()
    with pytest.raises(StreamInterruptedError):
        client.ask(kind, service_of(kind), chunk_seen(elsewhere))
    assert elsewhere.thread_id == "t0" and elsewhere.answer is client.asking.answer


def ask_events(service, client):
    return AskEvents(AsyncRunner(service, client.procedure), client.asking)


def test_leaving_an_ask_events_block_early_has_cancelled_and_kept_the_answer_by_the_next_line():
    service, client = AsyncService(), Client()

    async def main():
        async with ask_events(service, client) as events:
            async for event in events:
                if isinstance(event, MessageChunk):
                    break
        return events

    events = asyncio.run(main())
    assert service.cancelled and all(s.closed for s in service.streams)
    assert events.answer is client.remembered[-1] and events.answer.status == "cancelled"
    assert events.answer.raw_text == "part 0 " and client.completed == []


def test_an_ask_events_block_left_while_its_iterator_is_still_held_ends_the_ask_on_leaving():
    service, client = AsyncService(), Client()

    async def main():
        async with ask_events(service, client) as events:
            iterator = aiter(events)
            while not isinstance(await anext(iterator), MessageChunk):
                pass
            assert events.turn is client.procedure.turn and events.turn.raw_text == "part 0 "
        return events, iterator

    events, _ = asyncio.run(main())
    assert service.cancelled
    assert events.answer is not None and events.answer.status == "cancelled"


def test_a_bare_async_for_left_early_is_ended_once_aclose_returns():
    service, client = AsyncService(), Client()

    async def main():
        events = ask_events(service, client)
        async for event in events:
            if isinstance(event, MessageChunk):
                break
        await events.aclose()
        return events

    events = asyncio.run(main())
    assert service.cancelled and events.answer is not None and events.answer.status == "cancelled"


def test_ask_events_followed_to_the_end_keep_the_whole_answer_and_cannot_be_followed_again():
    service, client = AsyncService(), Client()

    async def main():
        async with ask_events(service, client) as events:
            chunks = [e async for e in events if isinstance(e, MessageChunk)]
            with pytest.raises(RuntimeError) as twice:
                aiter(events)
            assert str(twice.value) == (
                "An ask's events can be followed once: call client.ask_events() again to ask again."
            )
        return events, chunks

    events, chunks = asyncio.run(main())
    assert len(chunks) == 3 and not service.cancelled
    assert events.answer.status == "complete" and client.completed == [events.answer]


def test_ask_events_never_followed_ask_nothing():
    service, client = AsyncService(), Client()

    async def main():
        async with ask_events(service, client) as events:
            pass
        return events

    assert asyncio.run(main()).answer is None and service.calls == []


def test_a_stop_left_running_by_a_second_cancellation_fails_unseen():
    """A second cancellation (a second Ctrl-C) stops waiting for the server's cancel, which goes on;
    if it then fails (the caller has closed its client meanwhile), nobody waits for it any more:
    asyncio must not print it as a task exception that was never retrieved."""
    import gc

    class ClosedMeanwhile(AsyncService):
        async def request(self, op, *, deadline=None):
            if op.method == "DELETE":
                self.calls.append(f"{op.method} {op.route}")
                await self.closed_meanwhile.wait()
                raise RuntimeError("Cannot send a request, as the client has been closed.")
            return self._answer(op)

    service, kept, reported = ClosedMeanwhile(), [], []

    async def main():
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: reported.append(context["message"]))
        service.closed_meanwhile = asyncio.Event()
        procedure = AskProcedure("q", "t1", clock=lambda: 0.0)

        async def ask():
            async with AsyncRunner(service, procedure).following(lambda *k: kept.append(k)) as events:
                async for event in events:
                    if isinstance(event, MessageChunk):
                        raise Broke("on_event failed")  # the first: the runner stops the task

        asking = asyncio.ensure_future(ask())
        while not service.cancelled:
            await asyncio.sleep(0)
        asking.cancel()  # the second
        with pytest.raises(asyncio.CancelledError):
            await asking
        service.closed_meanwhile.set()
        while len(asyncio.all_tasks()) > 1:
            await asyncio.sleep(0)
        gc.collect()

    asyncio.run(main())
    assert [(how.stop_within is not None, result, type(error)) for how, result, error in kept] == [(True, None, Broke)]
    assert reported == []
