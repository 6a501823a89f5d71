"""``%alfa cassette [PATH [MODE] | off]``: record the notebook's answers into a cassette, replay them.

Setting the cassette changes the ``cassette`` and ``record_mode`` settings of the magics (as
``%config AlfaMagics.cassette`` would), which gives the next question a new client, and a new thread.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from IPython.core.error import UsageError

from ..wire.settings import RECORD_MODES, resolve_settings

if TYPE_CHECKING:
    from .host import Host

OFF = "off"
USAGE = f"cassette PATH [{' | '.join(RECORD_MODES)}], or cassette {OFF}"


def parse(rest: str) -> tuple[str, str | None] | None:
    """``(path or "off", mode or None)``; None to say which cassette is in use."""
    try:
        words = shlex.split(rest)
    except ValueError as exc:
        raise UsageError(f"{USAGE}: {exc}") from None
    if not words:
        return None
    mode = words.pop() if len(words) == 2 and words[-1] in RECORD_MODES else None
    if len(words) != 1 or (words[0] == OFF and mode is not None):
        raise UsageError(f"%alfa {USAGE}; not {rest!r}. Quote a path with spaces.")
    return words[0], mode


def cassette(magics: Host, argument: tuple[str, str | None] | None) -> None:
    if argument is not None:
        path, mode = argument
        magics.cassette = None if path == OFF else path
        if mode is not None:
            magics.record_mode = mode
    settings = resolve_settings(configured=magics.configured())
    if settings.cassette is None:
        print("No cassette: answers come from the service. `%alfa cassette PATH [MODE]` records them.")
    elif argument is None:
        print(f"Cassette {settings.cassette} (record_mode={settings.record_mode!r}).")
    else:
        print(f"Cassette {settings.cassette} (record_mode={settings.record_mode!r}): a new thread starts.")
