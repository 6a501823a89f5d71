"""The live-view bench's bar counts what the live view promises (no timing here: a fake clock)."""

from __future__ import annotations

from alfa_notebook.notebook.live import Coalescer
from alfa_notebook.turn.machine import Turn
from alfa_notebook.wire.events import MessageChunk, WorkInProgress
from bench.bench_live import updates_allowed


def _stream(chunks: int, seconds: float) -> int:
    """Publications of a Coalescer over ``chunks`` text chunks spread evenly over ``seconds``."""
    now = [0.0]
    live = Coalescer(lambda turn: None, clock=lambda: now[0])
    turn = Turn("Q?")
    event = WorkInProgress(log="Working", raw={})
    turn.feed(event)
    live(event, turn)  # the first change: work in progress
    for i in range(chunks):
        now[0] = seconds * (i + 1) / chunks
        chunk = MessageChunk(text="word ", message_id="m", final=False, raw={})
        turn.feed(chunk)
        live(chunk, turn)
    live.close()
    return live.publications


def test_a_fast_stream_on_a_quiet_machine_is_within_the_bar() -> None:
    """4,984 chunks in 0.06 s: the first change and the first words, nothing else."""
    assert _stream(4_984, 0.06) == 2
    assert updates_allowed(0.06) == 2


def test_a_paced_stream_is_within_the_bar_and_a_view_per_chunk_is_not() -> None:
    assert _stream(2_000, 2.0) == 21
    assert updates_allowed(2.0) == 22
    assert updates_allowed(0.3) == 5  # 0.3 / 0.1 is 2.9999999999999996 in floats
    assert 2_000 > updates_allowed(2.0)  # a view that drew every chunk would miss
