"""The live views: one coalescing driver, and sinks that end in a static, widget-free output."""

from __future__ import annotations

import io
import threading
from typing import Any

import pytest
from IPython.utils.capture import capture_output

from alfa_notebook import AlfaClient
from alfa_notebook.emulator import CONTROL_HEADER, Emulator
from alfa_notebook.notebook import sinks
from alfa_notebook.notebook.live import Coalescer
from alfa_notebook.render import MIME_JSON, live_text
from alfa_notebook.turn.machine import Turn
from alfa_notebook.wire.events import MessageChunk, WorkInProgress

from .conftest import Shell

QUESTION = "Compare NVDA and AMD revenue growth over the last 4 quarters"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
FINAL_MIMES = {"text/html", "text/markdown", "text/plain", MIME_JSON}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def chunk(text: str) -> MessageChunk:
    return MessageChunk(text, "m1", False, {})


def test_first_change_and_first_words_at_once_then_bounded_by_time_not_chunks() -> None:
    clock, published = Clock(), []
    live = Coalescer(lambda turn: published.append(clock.now), clock=clock)
    turn = Turn("q")
    live(None, turn)
    assert published == [0.0]
    clock.now = 0.02
    turn.feed(WorkInProgress("Screening", {}))
    live(None, turn)  # a log line inside the interval waits ...
    assert published == [0.0]
    clock.now = 0.03
    turn.feed(chunk("First "))
    live(None, turn)  # ... the first words of the answer do not
    assert published == [0.0, 0.03]
    for _ in range(20_000):  # 20,000 chunks in two seconds
        clock.now += 0.0001
        turn.feed(chunk("w "))
        live(None, turn)
    assert 21 <= len(published) <= 22
    assert all(b - a >= 0.1 - 1e-9 for a, b in zip(published[1:], published[2:]))


def test_a_late_change_is_published_when_the_interval_ends_on_a_loop() -> None:
    clock, published, timers = Clock(), [], []

    class Timer:
        def __init__(self, delay: float, callback: Any) -> None:
            self.delay, self.callback, self.cancelled = delay, callback, False
            timers.append(self)

        def cancel(self) -> None:
            self.cancelled = True

    live = Coalescer(lambda turn: published.append(list(turn.logs)), clock=clock, call_later=Timer, tick=None)
    turn = Turn("q")
    turn.feed(WorkInProgress("Screening", {}))
    live(None, turn)
    clock.now = 0.03
    turn.feed(WorkInProgress("Fetching prices", {}))
    live(None, turn)  # then silence: without the timer this line would wait for the next event
    assert published == [["Screening"]] and len(timers) == 1 and timers[0].delay == pytest.approx(0.07)
    clock.now = 0.1
    timers[0].callback()
    assert published[-1] == ["Screening", "Fetching prices"]
    clock.now = 0.15
    live(None, turn)
    live.close()
    assert timers[-1].cancelled and len(published) == 2


def test_the_clock_keeps_counting_while_nothing_arrives() -> None:
    """With no event at all after the first, the ticker redraws the view, its clock moving on."""
    clock, seen, enough = Clock(), [], threading.Event()

    def publish(turn: Turn) -> None:
        seen.append(live_text(turn).splitlines()[0])
        clock.now += 1.0  # the next redraw happens a second later, on the clock the turn reads
        if len(seen) == 3:
            enough.set()

    live = Coalescer(publish, clock=clock, tick=0.01)
    turn = Turn("q", "t1", clock=clock)
    live(None, turn)  # the only event
    assert enough.wait(30)
    live.close()
    assert seen[:3] == ["○ Waiting for Alfa · thread t1 · 0.0 s", "○ Waiting for Alfa · thread t1 · 1.0 s",
                        "○ Waiting for Alfa · thread t1 · 2.0 s"]  # fmt: skip
    count = len(seen)
    live(None, turn)  # closed: nothing more
    assert len(seen) == count


def test_a_stalled_stream_keeps_the_live_clock_moving(alfa_emulator: Emulator) -> None:
    """A real stall of 1.5 s after the first events: the view is redrawn while no event comes."""
    seen: list[tuple[int, str]] = []
    live = Coalescer(lambda turn: seen.append((turn.events_received, live_text(turn).splitlines()[0])))
    header = {CONTROL_HEADER: "stall=1.5;stall_after=3;tag=live-clock"}
    with AlfaClient(api_key=alfa_emulator.api_key, base_url=alfa_emulator.base_url, headers=header) as client:
        client.ask("Compare NVDA and AMD", on_event=live)
    live.close()
    redraws = [(a, b) for a, b in zip(seen, seen[1:]) if a[0] == b[0] and a[1] != b[1]]
    assert redraws, seen  # same events received, a later clock


def test_terminal_prints_the_answer_once_prose_then_what_it_did_not_show(slow_shell: Shell) -> None:
    shell = slow_shell
    run = shell.run(f"%%alfa -o ans\n{QUESTION}")
    out, answer = run.stdout, shell.ns["ans"]
    assert out.startswith("… ")  # the work-in-progress lines come first
    assert sinks.TerminalSink.RULE not in out
    first_line = answer.text.splitlines()[0]
    assert out.count(first_line) == 1  # the prose, streamed, is not printed again
    assert out.count("Sources\n[1] ") == 1 and out.count("Performance snapshot") == 1
    assert out.index(answer.text.splitlines()[-1]) < out.index("Sources\n")
    assert out.rstrip().endswith(f"message {answer.message_id} · {answer.elapsed:.1f} s")


def test_terminal_escapes_control_and_bidi_characters_as_they_stream() -> None:
    out = io.StringIO()
    sink = sinks.TerminalSink(table_rows=5, out=out)
    turn = Turn("q")
    turn.feed(WorkInProgress("log \u202eevil", {}))
    sink.show(turn)
    turn.feed(chunk("Price \x1b[31mred\x1b[0m and \u2066isolated\u2069 text. "))
    sink.show(turn)
    assert out.getvalue() == "… log \\u202eevil\nPrice \\x1b[31mred\\x1b[0m and \\u2066isolated\\u2069 text. "


def test_stable_prose_holds_back_an_unfinished_inline_object() -> None:
    text = 'Revenue grew.\n\n```{"type": "output_artifact", "artifact_id": "a1"}```\n\nMore ```{"type": "out'
    assert sinks.stable_prose(text) == "Revenue grew.\n\nMore "


@pytest.fixture
def chosen(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The sinks the magic chooses, for a look at them afterwards."""
    made: list[Any] = []
    choose = sinks.choose

    def recording(*args: Any, **kwargs: Any) -> Any:
        made.append(choose(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(sinks, "choose", recording)
    return made


def assert_final_output(publication: dict[str, Any], answer: Any) -> None:
    data, metadata = publication["data"], publication["metadata"]
    assert set(data) >= FINAL_MIMES and WIDGET_VIEW not in data
    assert metadata["alfa"]["message_id"] == answer.message_id and metadata["alfa"]["thread_id"] == answer.thread_id
    assert data[MIME_JSON]["text"] == answer.text


def test_display_handle_is_updated_in_place_and_ends_static(slow_shell: Shell, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sinks, "in_kernel", lambda shell: True)
    run = slow_shell.run(f"%%alfa --static -o ans\n{QUESTION}")
    assert run.error is None
    answer = slow_shell.ns["ans"]
    first, *updates = run.outputs
    display_id = first["transient"]["display_id"]
    assert not first["update"] and set(first["data"]) == {"text/html", "text/plain"}
    assert updates and all(u["update"] and u["transient"]["display_id"] == display_id for u in updates)
    assert len(run.outputs) <= answer.elapsed / 0.1 + 2  # bounded by time, not by the answer's words
    assert_final_output(updates[-1], answer)
    assert all(WIDGET_VIEW not in o["data"] for o in run.outputs)


def test_widget_view_is_replaced_by_the_static_output(
    shell: Shell, chosen: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sinks, "in_kernel", lambda shell: True)
    shell.run("%config AlfaMagics.display = 'widget'")
    run = shell.run(f"%%alfa -o ans\n{QUESTION}")
    assert run.error is None
    first, *_, last = run.outputs
    assert WIDGET_VIEW in first["data"] and last["update"]
    assert last["transient"]["display_id"] == first["transient"]["display_id"]
    assert_final_output(last, shell.ns["ans"])
    sink = chosen[-1]
    assert isinstance(sink, sinks.WidgetSink)
    assert sink.stop_button.disabled and "interrupt the kernel" in sink.stop_button.tooltip  # dead while blocking
    assert sink.stop_button.comm is None  # the widgets were closed


def test_auto_display_picks_by_shell_and_mode(ipython: Any) -> None:
    class ZMQInteractiveShell:  # stands for ipykernel's shell, by name as the check is
        pass

    def chosen(mode: str, shell: Any, background: bool = False) -> type:
        stop = (lambda: None) if background else None
        return type(sinks.choose(mode, shell, question="q", table_rows=5, on_stop=stop))

    kernel = ZMQInteractiveShell()
    assert chosen("auto", kernel) is sinks.HandleSink  # blocking: a Stop button could not work
    assert chosen("auto", kernel, background=True) is sinks.WidgetSink
    assert chosen("static", kernel, background=True) is sinks.HandleSink
    assert chosen("widget", kernel) is sinks.WidgetSink
    assert chosen("auto", ipython) is chosen("auto", ipython, background=True) is sinks.TerminalSink
    assert chosen("static", ipython) is sinks.TerminalSink
    assert chosen("widget", ipython) is sinks.TerminalSink  # a terminal would print the widget's repr


def test_terminal_sink_writes_nothing_for_an_empty_partial_answer() -> None:
    out = io.StringIO()
    sinks.TerminalSink(table_rows=5, out=out).finish(None)
    assert out.getvalue() == ""


def test_the_widget_view_uses_the_output_areas_line_height_and_font(shell: Shell) -> None:
    """An HTML widget's own 28 px line height would make the live view jump when the output replaces it."""
    sink = sinks.WidgetSink("A question?", table_rows=5)
    turn = Turn("A question?", "t1")
    turn.feed(chunk("Some words."))
    with capture_output():
        sink.show(turn)
    value = sink._html.value
    assert value.startswith('<div style="line-height:var(--jp-content-line-height,1.6);font-size:var(--jp-content')
    assert "A question?" in value and "Some words." in value
    with capture_output():
        sink.finish(None)
