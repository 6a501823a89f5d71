"""``%alfa cassette`` and ``%config AlfaMagics.cassette`` / ``record_mode``: a notebook's answers
recorded once and replayed with the service gone, blocking and ``--background``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from IPython.core.error import UsageError

from alfa_notebook.cassette import open_cassette
from alfa_notebook.notebook import recording, subcommands

from .conftest import Shell

QUESTION = "Compare NVDA and AMD revenue growth over the last 4 quarters"
FOLLOW_UP = "And how did their margins move?"
GONE = "http://127.0.0.1:9"  # nothing listens there


@pytest.fixture(autouse=True)
def no_cassette_from_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALFA_CASSETTE", raising=False)
    monkeypatch.delenv("ALFA_RECORD_MODE", raising=False)


def ok(shell: Shell, cell: str) -> str:
    run = shell.run(cell)
    assert run.error is None, run.stdout
    return run.stdout


def test_alfa_cassette_records_then_replays_with_the_service_gone(
    shell: Shell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "notebook.alfa.jsonl"
    assert ok(shell, f"%alfa cassette {path}").strip() == f"Cassette {path} (record_mode='once'): a new thread starts."
    ok(shell, f"%%alfa -o live\n{QUESTION}")
    ok(shell, f"%%alfa -o live_follow\n{FOLLOW_UP}")
    status = {line.split()[0]: line.split(None, 1)[1] for line in ok(shell, "%alfa status").splitlines()}
    assert status["cassette"] == f"{path}  (%config AlfaMagics.cassette)"
    assert status["record_mode"] == "once  (default)"

    monkeypatch.setenv("ALFA_BASE_URL", GONE)
    open_cassette(path).rewind()  # as a new kernel would find it
    ok(shell, f"%alfa cassette {path} none")
    assert shell.magics.record_mode == "none"
    ok(shell, f"%%alfa -o replayed\n{QUESTION}")
    ok(shell, f"%%alfa -o replayed_follow\n{FOLLOW_UP}")
    assert shell.ns["replayed"].to_dict() == shell.ns["live"].to_dict()
    assert shell.ns["replayed_follow"].to_dict() == shell.ns["live_follow"].to_dict()

    failed = shell.run("%%alfa\nA question never recorded")
    assert "'A question never recorded' was never recorded in" in failed.stdout
    failed = shell.run("%%alfa --new\nA new question never recorded")
    assert "A new thread for 'A new question never recorded' (POST /threads) was never recorded in" in failed.stdout
    assert (
        ok(shell, "%alfa cassette off").strip()
        == "No cassette: answers come from the service. `%alfa cassette PATH [MODE]` records them."
    )
    assert shell.magics.cassette is None


def test_the_subcommand_takes_a_path_and_a_mode() -> None:
    assert subcommands.recognise("cassette research.alfa.jsonl none")[1] == ("research.alfa.jsonl", "none")  # type: ignore[index]
    assert subcommands.recognise("cassette 'my research.alfa.jsonl'")[1] == ("my research.alfa.jsonl", None)  # type: ignore[index]
    assert subcommands.recognise("cassette")[1] is None  # type: ignore[index]
    with pytest.raises(UsageError, match=r"cassette PATH \[once \| new_episodes \| none \| all\]"):
        recording.parse("research.alfa.jsonl sometimes")


def test_config_traits_name_the_cassette(shell: Shell, tmp_path: Path) -> None:
    path = tmp_path / "c.alfa.jsonl"
    ok(shell, f"%config AlfaMagics.cassette = {str(path)!r}")
    ok(shell, "%config AlfaMagics.record_mode = 'new_episodes'")
    assert ok(shell, "%alfa cassette").strip() == f"Cassette {path} (record_mode='new_episodes')."
    ok(shell, f"%%alfa -o a\n{QUESTION}")
    assert path.exists() and QUESTION in path.read_text()


def test_background_answers_record_and_replay(
    shell: Shell, loop: asyncio.AbstractEventLoop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "background.alfa.jsonl"

    async def notebook(name: str) -> None:
        for cell in (
            f"%alfa cassette {path}",
            f"%%alfa --background -o pending\n{QUESTION}",
            f"{name} = await pending",
            f"%%alfa --background -o pending\n{FOLLOW_UP}",
            f"{name}_follow = await pending",
        ):
            run = await shell.run_async(cell)
            assert run.error is None, run.stdout

    loop.run_until_complete(notebook("live"))
    monkeypatch.setenv("ALFA_BASE_URL", GONE)
    monkeypatch.setenv("ALFA_RECORD_MODE", "none")
    open_cassette(path).rewind()
    ok(shell, "%alfa cassette off")
    loop.run_until_complete(notebook("replayed"))
    ns = shell.ns
    assert ns["replayed"].to_dict() == ns["live"].to_dict()
    assert ns["replayed_follow"].to_dict() == ns["live_follow"].to_dict()
    assert ns["replayed_follow"].thread_id == ns["live"].thread_id
