"""The notebook's way in (``%alfa cassette``, ``%config AlfaMagics.*``) and the pytest plugin."""

from __future__ import annotations

import asyncio
import importlib.metadata
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from alfa_notebook.cassette import open_cassette

from .conftest import GONE

QUESTION = "Compare NVDA and AMD revenue growth over the last 4 quarters"
ENV = ("ALFA_API_KEY", "ALFA_ACCESS_TOKEN", "ALFA_BASE_URL", "ALFA_API_VERSION", "ALFA_CASSETTE", "ALFA_RECORD_MODE")


@pytest.fixture
def ip(canary_emulator, monkeypatch) -> Iterator[InteractiveShell]:
    from IPython.testing.globalipapp import get_ipython

    shell = get_ipython()
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALFA_BASE_URL", canary_emulator.base_url)
    monkeypatch.setenv("ALFA_API_KEY", canary_emulator.api_key)
    shell.run_line_magic("load_ext", "alfa_notebook")
    try:
        yield shell
    finally:
        shell.run_line_magic("unload_ext", "alfa_notebook")
        shell.config.pop("AlfaMagics", None)


def run(ip: InteractiveShell, cell: str) -> str:
    with capture_output() as captured:
        result = ip.run_cell(cell)
    assert result.error_in_exec is None and result.error_before_exec is None, captured.stdout
    return captured.stdout


def test_alfa_cassette_records_then_replays_with_the_service_gone(ip, tmp_path, monkeypatch) -> None:
    path = tmp_path / "notebook.alfa.jsonl"
    said = run(ip, f"%alfa cassette {path}")
    assert said.strip() == f"Cassette {path} (record_mode='once'): a new thread starts."
    run(ip, f"%%alfa -o live\n{QUESTION}")
    assert "cassette" in run(ip, "%alfa status")

    monkeypatch.setenv("ALFA_BASE_URL", GONE)
    open_cassette(path).rewind()
    run(ip, f"%alfa cassette {path} none")
    assert ip.run_line_magic("config", "AlfaMagics.record_mode") == "none"
    run(ip, f"%%alfa -o replayed\n{QUESTION}")
    live, replayed = ip.user_ns["live"], ip.user_ns["replayed"]
    assert replayed.to_dict() == live.to_dict()

    with capture_output():
        failed = ip.run_cell("%%alfa\nA question never recorded")
    assert "was never recorded in" in str(failed.error_in_exec)
    run(ip, "%alfa cassette off")
    assert ip.run_line_magic("config", "AlfaMagics.cassette") is None


def test_config_traits_name_the_cassette(ip, tmp_path) -> None:
    path = tmp_path / "c.alfa.jsonl"
    run(ip, f"%config AlfaMagics.cassette = {str(path)!r}")
    run(ip, "%config AlfaMagics.record_mode = 'new_episodes'")
    assert run(ip, "%alfa cassette").strip() == f"Cassette {path} (record_mode='new_episodes')."
    run(ip, f"%%alfa -o a\n{QUESTION}")
    assert path.exists() and QUESTION in path.read_text()


def _pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    registered = any(
        e.value == "alfa_notebook.pytest_plugin" for e in importlib.metadata.entry_points(group="pytest11")
    )
    plugin = [] if registered else ["-p", "alfa_notebook.pytest_plugin"]
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugin, "--rootdir", str(tmp_path)]
    return subprocess.run([*command, *args, str(tmp_path)], capture_output=True, text=True, timeout=120, cwd=tmp_path)


def test_the_pytest_plugin_records_with_an_option_and_replays_offline_by_default(canary_emulator, tmp_path) -> None:
    (tmp_path / "test_mine.py").write_text(
        textwrap.dedent(
            f"""
            import alfa_notebook as alfa

            def test_my_research(alfa_cassette):
                answer = alfa.AlfaClient().ask({QUESTION!r})
                assert answer.tables and answer.status == "complete"
                assert alfa_cassette.name == "test_my_research.alfa.jsonl"
            """
        )
    )
    env_setup = f"import os\nos.environ['ALFA_API_KEY'] = {canary_emulator.api_key!r}\n"
    (tmp_path / "conftest.py").write_text(env_setup + f"os.environ['ALFA_BASE_URL'] = {canary_emulator.base_url!r}\n")
    recorded = _pytest(tmp_path, "--alfa-record-mode=once")
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    cassette = tmp_path / "cassettes" / "test_mine" / "test_my_research.alfa.jsonl"
    assert cassette.exists()

    (tmp_path / "conftest.py").write_text(env_setup + f"os.environ['ALFA_BASE_URL'] = {GONE!r}\n")
    replayed = _pytest(tmp_path)  # default: none, and the service is gone
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr

    cassette.unlink()
    missing = _pytest(tmp_path)
    assert missing.returncode == 1 and "CassetteMissError" in missing.stdout
    assert "record_mode='none'" in missing.stdout


async def run_async(ip: InteractiveShell, cell: str) -> None:
    with capture_output() as captured:
        result = await ip.run_cell_async(cell, store_history=True, transformed_cell=ip.transform_cell(cell))
    assert result.error_in_exec is None and result.error_before_exec is None, captured.stdout


def test_background_answers_record_and_replay(ip, tmp_path, monkeypatch) -> None:
    path = tmp_path / "background.alfa.jsonl"

    async def notebook(name: str) -> None:
        await run_async(ip, f"%alfa cassette {path}")
        await run_async(ip, f"%%alfa --background -o pending\n{QUESTION}")
        await run_async(ip, f"{name} = await pending")
        await run_async(ip, "%%alfa --background -o pending\nAnd how did their margins move?")
        await run_async(ip, f"{name}_follow = await pending")

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(notebook("live"))
        monkeypatch.setenv("ALFA_BASE_URL", GONE)
        monkeypatch.setenv("ALFA_RECORD_MODE", "none")
        open_cassette(path).rewind()
        ip.run_line_magic("alfa", "cassette off")
        loop.run_until_complete(notebook("replayed"))
    finally:
        loop.close()
    ns = ip.user_ns
    assert ns["replayed"].to_dict() == ns["live"].to_dict()
    assert ns["replayed_follow"].to_dict() == ns["live_follow"].to_dict()
    assert ns["replayed_follow"].thread_id == ns["live"].thread_id
