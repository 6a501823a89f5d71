"""pytest plugin (entry point ``pytest11``): test code that asks Alfa offline, from a cassette.

* the ``alfa_cassette`` fixture: every Alfa client the test makes (``AlfaClient()``,
  ``AsyncAlfaClient()``, the ``%%alfa`` magic) replays from, and records into,
  ``cassettes/<test module>/[<test class>.]<test name>.alfa.jsonl`` beside the test file (a test in a
  class is named with its class, as pytest-recording names its cassettes); it returns that path.
  ``@pytest.mark.alfa_cassette("name.alfa.jsonl")`` names the file instead (shared by tests,
  also by pytest-xdist workers recording at once: each write locks the file and merges).
* the ``--alfa-record-mode`` option: ``none`` by default (replay only, never the network: a test
  whose question was never recorded fails with CassetteMissError); ``once``, ``new_episodes`` or
  ``all`` to record, with the service (or the emulator) reachable.

Kept apart from the emulator's plugin, which imports nothing of the client.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from .wire.settings import RECORD_MODES

DEFAULT_MODE = "none"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("alfa-notebook")
    group.addoption(
        "--alfa-record-mode",
        choices=RECORD_MODES,
        default=None,
        help="How the alfa_cassette fixture uses its cassette: 'none' (default: replay only), 'once', "
        "'new_episodes' or 'all' (record, with the service reachable).",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "alfa_cassette(name): the file, under cassettes/<test module>/, that alfa_cassette uses"
    )


def cassette_path(request: pytest.FixtureRequest) -> Path:
    """``cassettes/<module>/[<class>.]<test>.alfa.jsonl`` beside the test file, or the marker's file
    name. The class is in the name so that two classes' tests of one name have a cassette each."""
    marker = request.node.get_closest_marker("alfa_cassette")
    folder = Path(request.node.path).parent / "cassettes" / Path(request.node.path).stem
    if marker is not None and marker.args:
        return folder / str(marker.args[0])
    test = request.node.name if request.cls is None else f"{request.cls.__name__}.{request.node.name}"
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", test).strip("-")
    return folder / f"{name}.alfa.jsonl"


@pytest.fixture
def alfa_cassette(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The test's cassette: every Alfa client made during the test replays from it and records
    into it, as ``--alfa-record-mode`` says (default ``none``). Returns its path."""
    from .cassette import open_cassette

    path = cassette_path(request)
    mode = request.config.getoption("--alfa-record-mode") or DEFAULT_MODE
    monkeypatch.setenv("ALFA_CASSETTE", str(path))
    monkeypatch.setenv("ALFA_RECORD_MODE", mode)
    open_cassette(path).rewind()  # each test replays its cassette from its first record
    yield path
