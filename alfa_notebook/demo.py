"""``make demo``: the emulator on loopback, one question streamed to the terminal, its table and
its sources. Needs the ``emulator`` extra."""

from __future__ import annotations

import sys

from .client import AlfaClient
from .events import Event, MessageChunk, WorkInProgress
from .turn import Turn

QUESTION = "Compare NVDA and AMD revenue growth over the last 4 quarters"


def _follow(out) -> callable:
    shown = 0

    def on_event(event: Event | None, turn: Turn) -> None:
        nonlocal shown
        if isinstance(event, WorkInProgress):
            out.write(f"  … {event.log}\n")
        elif isinstance(event, MessageChunk):
            text = turn.raw_text
            out.write(text[shown:])
            shown = len(text)
        out.flush()

    return on_event


def main(out=sys.stdout) -> int:
    from .emulator import Emulator

    with Emulator(chunk_delay=0.01) as emu, AlfaClient(api_key=emu.api_key, base_url=emu.base_url) as client:
        out.write(f"Alfa emulator (synthetic data) at {emu.base_url}\n\n>>> {QUESTION}\n\n")
        answer = client.ask(QUESTION, on_event=_follow(out))
        out.write(f"\n\n--- {answer.status} in {answer.elapsed:.1f} s, thread {answer.thread_id}\n")
        for artifact in answer.artifacts:
            out.write(f"\n[{artifact.kind}] {artifact.title or artifact.id}\n")
            if artifact.kind == "table":
                frame = artifact.to_dataframe()
                out.write(frame.head(10).to_string() + "\n")
                out.write(", ".join(f"{c}: {t}" for c, t in frame.dtypes.items()) + "\n")
        out.write("\nSources:\n")
        for n, citation in enumerate(answer.citations, 1):
            out.write(f"  [{n}] {citation.type}: {citation.title} {citation.url or ''}\n")
    return 0 if answer.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
