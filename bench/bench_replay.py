"""Replay: ``ask()`` answered from a cassette holding a recorded 20,000-chunk turn, against the
in-memory floor (bar 1.2x).

Run from the repository root: ``python -m bench.bench_replay [--words N] [--repeat K]``.

The turn is recorded once from the emulator (in its own process). The floor is the least work a
replay can do: the recorded events, already in memory, decoded by the stream's decoders and fed
to a ``Turn``, the artifacts parsed, the ``Answer`` built; no I/O, no client, no procedure.
``ask()`` replays the same record through the client: the cassette's lookup, the ask procedure
and its runner, the same decoders, ``Turn`` and ``Answer``. The cassette file is read once, when
first used, as in a notebook session; reading it is shown apart (cold), with no bar. A third
figure, also without a bar, is the floor from events decoded beforehand (``Turn.feed`` and the
Answer alone), to show what decoding costs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import alfa_notebook as alfa
from alfa_notebook.cassette import file as cassette_file
from alfa_notebook.cassette import open_cassette
from alfa_notebook.turn.machine import Turn
from alfa_notebook.wire.events import Event, from_payload
from alfa_notebook.wire.models import Artifact

from ._util import Figure, emulator_process, interleaved, report
from .bench_stream import QUESTION, WORDS, control

BAR = 1.2
GONE = "http://127.0.0.1:9"  # nothing answers there: the replay cannot reach a service


def record(path: Path, words: int) -> dict[str, Any]:
    """Record one turn of ``words`` chunks into ``path``; returns its record."""
    with emulator_process() as emu:
        kw: dict[str, Any] = {"headers": control(words), "cassette": path, "record_mode": "all"}
        with alfa.AlfaClient(api_key=emu.api_key, base_url=emu.base_url, **kw) as client:
            client.ask(QUESTION)
    _, _, records = cassette_file.read(path)
    return records[0]


def _artifacts(record: dict[str, Any], thread_id: str | None, message_id: str | None) -> list[Artifact]:
    return [
        Artifact.from_raw(
            c["call"].rsplit("/", 1)[1], c["response"].get("artifact"), thread_id=thread_id, message_id=message_id
        )
        for c in record["calls"]
        if "/artifacts/" in c["call"]
    ]


def floor(record: dict[str, Any]) -> alfa.Answer:
    """The recorded events decoded and fed to a Turn, the artifacts parsed, the Answer built."""
    turn = Turn(QUESTION, record["thread_id"])
    feed = turn.feed
    for entries in record["streams"]:
        for entry in entries:
            if entry[1] is not None:
                feed(from_payload(entry[1], entry[2]))
    return alfa.Answer.from_turn(turn, _artifacts(record, turn.thread_id, turn.message_id))


def floor_typed(record: dict[str, Any], events: list[Event]) -> alfa.Answer:
    turn = Turn(QUESTION, record["thread_id"])
    feed = turn.feed
    for event in events:
        feed(event)
    return alfa.Answer.from_turn(turn, _artifacts(record, turn.thread_id, turn.message_id))


def measure(words: int, repeat: int) -> list[Figure]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "replay.alfa.jsonl"
        record_ = record(path, words)
        chunks = sum(1 for entries in record_["streams"] for e in entries if e[1] == "message_chunk")
        size = path.stat().st_size
        events = [from_payload(e[1], e[2]) for entries in record_["streams"] for e in entries if e[1] is not None]
        cassette = open_cassette(path)
        client = alfa.AlfaClient(api_key="unused", base_url=GONE, cassette=path, record_mode="none")

        def replay() -> alfa.Answer:
            cassette.rewind()
            return client.ask(QUESTION)

        def cold() -> alfa.Answer:
            path.touch()  # a changed file is read again: the cold replay reads and parses it
            return replay()

        expected = floor(record_)
        assert replay().raw_text == expected.raw_text and replay().tables[0].equals(expected.tables[0])
        timings = interleaved(
            {
                "floor": lambda: floor(record_),
                "replay": replay,
                "typed": lambda: floor_typed(record_, events),
                "cold": cold,
            },
            repeat=repeat,
        )
        client.close()

    f, r, t, c = (timings[k] for k in ("floor", "replay", "typed", "cold"))
    ratio = r.wall_ms / f.wall_ms
    return [
        Figure(
            f"replay, ask() from a cassette vs the in-memory floor ({chunks:,} chunks)",
            f"{r.wall_ms:.1f} / {f.wall_ms:.1f} ms = {ratio:.2f}x",
            f"bar {BAR}x",
            ratio <= BAR,
        ),
        Figure(
            "replay, reading the cassette too (cold) vs the floor",
            f"{c.wall_ms:.1f} / {f.wall_ms:.1f} ms = {c.wall_ms / f.wall_ms:.2f}x  ({size / 2**20:.1f} MiB file)",
            "reported",
        ),
        Figure(
            "replay floor, events decoded beforehand (Turn.feed + Answer only)",
            f"{t.wall_ms:.1f} ms; ask() is {r.wall_ms / t.wall_ms:.2f}x that",
            "reported",
        ),
    ]


def run(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--words", type=int, default=WORDS)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    return measure(args.words, args.repeat)


def main(argv: list[str] | None = None) -> int:
    return report(run(argv))


if __name__ == "__main__":
    sys.exit(main())
