"""Cassettes: record Alfa's answers once, replay them anywhere (offline, in CI, byte for byte).

``AlfaClient(cassette="research.alfa.jsonl", record_mode="once")``, or ``ALFA_CASSETTE`` and
``ALFA_RECORD_MODE``. :mod:`.file` is the file format, :mod:`.store` the records of one file and
every decision of a record mode, :mod:`.tape` the channel that replays or records each turn and
request. docs/cassettes.md describes the format.
"""

from __future__ import annotations

from ..wire.settings import RECORD_MODES
from .store import Cassette, open_cassette
from .tape import PACES, AsyncCassetteChannel, Binding, CassetteChannel, binding

__all__ = [
    "PACES",
    "RECORD_MODES",
    "AsyncCassetteChannel",
    "Binding",
    "Cassette",
    "CassetteChannel",
    "binding",
    "open_cassette",
]
