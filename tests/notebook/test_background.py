"""``--background``: scheduled on the running event loop, awaitable later, stoppable.

Cells run inside an event loop the test owns, with ``run_cell_async``, as ipykernel runs them;
top-level ``await`` then works as in a notebook.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pandas as pd
import pytest

from alfa_notebook import Answer
from alfa_notebook.notebook import sinks
from alfa_notebook.notebook.background import BackgroundAnswer

from .conftest import Shell
from .test_magics import error_line
from .test_sinks import WIDGET_VIEW, assert_final_output

QUESTION = "Compare NVDA and AMD revenue growth over the last 4 quarters"


@pytest.fixture
def streaming(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The sink of the next answer, and an event set once it shows some of the answer's text."""
    seen: dict[str, Any] = {"text": asyncio.Event()}
    choose = sinks.choose

    def recording(*args: Any, **kwargs: Any) -> Any:
        sink = seen["sink"] = choose(*args, **kwargs)
        show = sink.show

        def show_and_tell(turn: Any) -> None:
            show(turn)
            if turn.raw_text:
                seen["text"].set()

        sink.show = show_and_tell
        return sink

    monkeypatch.setattr(sinks, "choose", recording)
    return seen


def test_background_returns_at_once_and_a_later_cell_awaits_it(shell: Shell, loop: asyncio.AbstractEventLoop) -> None:
    async def notebook() -> None:
        run = await shell.run_async(f"%%alfa --background -o pending --df frame\n{QUESTION}")
        pending = shell.ns["pending"]
        assert run.error is None and isinstance(pending, BackgroundAnswer)
        assert run.result.result is None  # no `<BackgroundAnswer ...>` as Out[n], saved and soon stale
        assert pending.status == "streaming" and "frame" not in shell.ns  # nothing waited for the answer
        run = await shell.run_async("answer = await pending")
        assert run.error is None
        answer = shell.ns["answer"]
        assert isinstance(answer, Answer) and answer.status == "complete"
        assert answer is shell.ns["_alfa"] is pending.answer and pending.status == "done"
        assert isinstance(shell.ns["frame"], pd.DataFrame)
        # Awaiting again, after the end, gives the same answer; the thread continues.
        await shell.run_async("again = await pending")
        assert shell.ns["again"] is answer
        await shell.run_async("%%alfa -o follow\nAnd AVGO?")
        assert shell.ns["follow"].thread_id == answer.thread_id

    loop.run_until_complete(notebook())


def test_stop_button_cancels_on_the_server(
    slow_shell: Shell,
    loop: asyncio.AbstractEventLoop,
    streaming: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sinks, "in_kernel", lambda shell: True)  # a terminal shows no widget
    shell = slow_shell
    shell.run("%config AlfaMagics.display = 'widget'")

    async def notebook() -> None:
        run = await shell.run_async(f"%%alfa --background -o pending\n{QUESTION}")
        assert run.error is None
        await asyncio.wait_for(streaming["text"].wait(), 10)
        button = streaming["sink"].stop_button
        assert not button.disabled  # live: the kernel is free
        button._handle_button_msg(None, {"event": "click"}, [])  # what a click in the frontend sends
        run = await shell.run_async("answer = await pending")
        assert run.result.success is False
        assert type(run.error).__name__ == "Stopped"
        assert error_line(run) == "Stopped: " + (
            "The answer was stopped and its task cancelled on the server; `_alfa` holds what arrived."
        )
        partial = shell.ns["_alfa"]
        assert partial.status == "cancelled" and partial.text and shell.ns["pending"].status == "stopped"
        assert partial.warnings == []  # the output's label and the error line say it, once each
        client = shell.magics.session.client()
        assert client.threads.progress(partial.thread_id).status == "cancelled"
        assert client.threads.messages(partial.thread_id).messages[-1].text.endswith("User cancelled message")

    loop.run_until_complete(notebook())


def test_alfa_cancel_stops_the_background_answer_and_busy_threads_say_so(
    slow_shell: Shell, loop: asyncio.AbstractEventLoop, streaming: dict[str, Any]
) -> None:
    shell = slow_shell

    async def notebook() -> None:
        await shell.run_async(f"%%alfa --background -o pending\n{QUESTION}")
        await asyncio.wait_for(streaming["text"].wait(), 10)
        run = await shell.run_async("%%alfa\nAnd AVGO?")
        assert run.stderr.startswith("UsageError: An answer is still streaming in this thread")
        run = await shell.run_async("%alfa cancel")
        assert run.stdout.startswith("Stopping the background answer")
        run = await shell.run_async("await pending")
        assert error_line(run).startswith("Stopped:")
        assert shell.ns["_alfa"].status == "cancelled"
        assert "Nothing is running" in (await shell.run_async("%alfa cancel")).stdout

    loop.run_until_complete(notebook())


def test_background_with_a_display_handle_ends_static(
    slow_shell: Shell, loop: asyncio.AbstractEventLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sinks, "in_kernel", lambda shell: True)
    shell = slow_shell

    async def notebook() -> list[dict[str, Any]]:
        first = await shell.run_async(f"%%alfa --background --static -o pending\n{QUESTION}")
        later = await shell.run_async("answer = await pending")  # the task displays while this cell waits
        return first.outputs + later.outputs

    outputs = loop.run_until_complete(notebook())
    assert len({o["transient"]["display_id"] for o in outputs}) == 1
    assert_final_output(outputs[-1], shell.ns["answer"])
    assert all(WIDGET_VIEW not in o["data"] for o in outputs)


def test_background_needs_a_running_loop(shell: Shell) -> None:
    run = shell.run(f"%%alfa --background\n{QUESTION}")
    assert run.result.success is False
    assert run.stderr.startswith("UsageError: --background needs a running event loop")
    assert shell.magics.session.thread_id is None  # nothing was sent
