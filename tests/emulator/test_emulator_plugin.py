"""The pytest plugin: a working fixture, and an import that never needs the server extra."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import httpx

from alfa_notebook.emulator import Emulator

BLOCK_SERVER_EXTRA = (
    "import sys\nfor name in ('starlette', 'uvicorn', 'sse_starlette'):\n    sys.modules[name] = None\n"
)


def test_the_fixture_is_a_running_emulator(alfa_emulator: Emulator) -> None:
    response = httpx.get(f"{alfa_emulator.base_url}/client/v1/threads", headers={"x-api-key": alfa_emulator.api_key})
    assert response.status_code == 200


def test_the_plugin_imports_without_the_server_extra() -> None:
    script = BLOCK_SERVER_EXTRA + textwrap.dedent(
        """
        import alfa_notebook.emulator.pytest_plugin
        try:
            from alfa_notebook.emulator import Emulator
        except ImportError as exc:
            print(exc)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "pip install 'alfa-notebook[emulator]'" in result.stdout


def test_the_fixture_explains_a_missing_extra(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(BLOCK_SERVER_EXTRA)
    (tmp_path / "test_uses_fixture.py").write_text("def test_it(alfa_emulator):\n    pass\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stdout
    assert "pip install 'alfa-notebook[emulator]'" in result.stdout


def test_alfa_service_runs_a_test_against_the_default_and_the_realistic_emulator(tmp_path: Path) -> None:
    (tmp_path / "test_both.py").write_text(
        textwrap.dedent(
            """
            def test_it(alfa_service):
                print("manners", alfa_service.controls.settle_ms, alfa_service.controls.busy_status)
            """
        )
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-s",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout
    assert "manners 0 409" in result.stdout and "manners 400 400" in result.stdout
    assert "2 passed" in result.stdout
