"""The pytest plugin: the ``alfa_cassette`` fixture records with ``--alfa-record-mode`` and
replays offline by default. (The magic's ``%alfa cassette`` is tested in tests/notebook.)"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import textwrap
from pathlib import Path

from .conftest import GONE

QUESTION = "Compare NVDA and AMD revenue growth over the last 4 quarters"


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


def test_two_classes_tests_of_one_name_have_a_cassette_each(tmp_path) -> None:
    """The class is in the cassette's name (as pytest-recording names its cassettes): otherwise the
    second class's test would replay the first one's answers."""
    (tmp_path / "test_mine.py").write_text(
        textwrap.dedent(
            """
            class TestNvda:
                def test_growth(self, alfa_cassette):
                    assert alfa_cassette.name == "TestNvda.test_growth.alfa.jsonl"

            class TestAmd:
                def test_growth(self, alfa_cassette):
                    assert alfa_cassette.name == "TestAmd.test_growth.alfa.jsonl"

            def test_growth(alfa_cassette):
                assert alfa_cassette.name == "test_growth.alfa.jsonl"
            """
        )
    )
    ran = _pytest(tmp_path)
    assert ran.returncode == 0 and "3 passed" in ran.stdout, ran.stdout + ran.stderr
