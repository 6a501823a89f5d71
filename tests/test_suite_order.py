"""The suite's own scheduling (tests/conftest.py): under pytest-xdist, the files marked ``long``
are handed out first, so that the run does not end waiting on one worker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def test_a_file_marked_long_runs_before_files_with_more_tests(tmp_path):
    (tmp_path / "conftest.py").write_text((HERE / "conftest.py").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    long: a long file\n", encoding="utf-8")
    record = tmp_path / "order.txt"
    test = "def test_{n}():\n    with open({record!r}, 'a') as f:\n        f.write('{file}\\n')\n"
    many = "".join(test.format(n=n, record=str(record), file="many") for n in range(4))
    (tmp_path / "test_a_many.py").write_text(many, encoding="utf-8")
    long = "import pytest\npytestmark = pytest.mark.long\n" + test.format(n=0, record=str(record), file="long")
    (tmp_path / "test_z_long.py").write_text(long, encoding="utf-8")

    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "1", "--dist", "loadfile", "-p", "no:cacheprovider"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert run.returncode == 0, run.stdout + run.stderr
    assert record.read_text().split() == ["long", "many", "many", "many", "many"]
