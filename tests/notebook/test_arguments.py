"""The magic checks its options by the rules the Python calls use, before anything is sent."""

from __future__ import annotations

import pytest

from alfa_notebook.emulator import Emulator

from .conftest import Shell


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ("%%alfa --timeout -1\nHow did NVDA do?", "--timeout must be a number of seconds above 0, not -1.0"),
        ("%%alfa --timeout 0\nHow did NVDA do?", "--timeout must be a number of seconds above 0, not 0.0"),
        ("%%alfa --timeout nan\nHow did NVDA do?", "--timeout must be a number of seconds above 0"),
        ("%alfa --timeout -1 How did NVDA do?", "--timeout must be a number of seconds above 0"),
        ("%%alfa --sources twitter=off\nHow did NVDA do?", "unknown source 'twitter'"),
        (
            "%%alfa --each t in names --concurrency 0\nHow did {{t}} do?",
            "--concurrency must be a whole number of at least 1",
        ),
        ("%%alfa --each t in names --timeout -5\nHow did {{t}} do?", "--timeout must be a number of seconds above 0"),
        ("%%alfa\nHow did {{odd}} do?", "the question holds a lone surrogate"),  # a file read with surrogateescape
        ("%%alfa\n" + "x" * 300_000, "the question is 300,000 bytes, over the limit of 262,144"),
    ],
)
def test_a_bad_option_fails_the_cell_before_anything_is_sent(
    shell: Shell, alfa_emulator: Emulator, cell: str, words: str
) -> None:
    shell.ns["names"], shell.ns["odd"] = ["NVDA", "AMD"], "\udcff"
    shell.ns["_alfa"] = "before"
    before = alfa_emulator.state().requests
    run = shell.run(cell)
    assert run.error is not None
    assert words in run.stderr + run.stdout
    assert alfa_emulator.state().requests == before
    assert shell.ns["_alfa"] == "before"


def test_a_configured_timeout_takes_the_same_rule(shell: Shell, caplog: pytest.LogCaptureFixture) -> None:
    """IPython's %config logs a refused value (as for any trait) and keeps the old one."""
    shell.run("%config AlfaMagics.timeout = 0")
    assert "AlfaMagics.timeout must be a number of seconds above 0, not 0.0" in caplog.text
    assert shell.magics.timeout is None
    assert shell.run("%config AlfaMagics.timeout = 30").error is None and shell.magics.timeout == 30
