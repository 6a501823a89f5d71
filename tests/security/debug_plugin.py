"""A pytest plugin for a run of the client tests that ``test_secrets`` inspects afterwards.

Loaded with ``-p security.debug_plugin`` (``tests`` on ``PYTHONPATH``). It gives the session's
emulator a recognisable key (``ALFA_SECRET_CANARY``), and sends every log record of every logger,
at DEBUG, with its arguments and any exception, to the file ``ALFA_SECRET_LOG``.
"""

from __future__ import annotations

import hashlib
import logging
import os

import pytest


class _Everything(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"{super().format(record)} | args={record.args!r} | extra={record.__dict__!r}"


def pytest_configure(config: pytest.Config) -> None:
    from alfa_notebook.emulator import server

    server.DEFAULT_API_KEY = os.environ["ALFA_SECRET_CANARY"]  # what Emulator() uses when given no key
    start = server.Emulator.start

    def start_and_record(self: server.Emulator) -> server.Emulator:
        """Leave proof that the canary is in use: its digest, never the key itself."""
        with open(os.environ["ALFA_SECRET_LOG"] + ".keys", "a", encoding="utf-8") as proof:
            proof.write(hashlib.sha256(self.api_key.encode()).hexdigest() + "\n")
        return start(self)

    server.Emulator.start = start_and_record  # type: ignore[method-assign]
    handler = logging.FileHandler(os.environ["ALFA_SECRET_LOG"], encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(_Everything("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
