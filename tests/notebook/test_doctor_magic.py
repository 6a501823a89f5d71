"""``%alfa doctor``: the command line's doctor, with the notebook's own settings."""

from __future__ import annotations

import json

import pytest
from IPython.core.error import UsageError

from .conftest import Shell


def test_alfa_doctor_reports_the_notebook_settings_and_where_they_came_from(shell: Shell) -> None:
    shell.run('%config AlfaMagics.rate_limit = "chat=30/10s"')
    run = shell.run("%alfa doctor --json")
    assert run.error is None, run.stdout + run.stderr
    report = json.loads(run.stdout)
    settings = {s["name"]: (s["value"], s["from"]) for s in report["settings"]}
    assert settings["rate_limit"] == (
        "chat 30/10 s, threads 10000/60 s, other 20/60 s",
        "%config AlfaMagics.rate_limit",
    )
    assert settings["api_key"] == ("set (not shown)", "$ALFA_API_KEY")
    assert report["problems"] == 0


def test_alfa_doctor_asks_and_prints_a_summary(shell: Shell) -> None:
    run = shell.run('%alfa doctor --ask "What is AMD\'s ticker?"')
    assert run.error is None, run.stdout + run.stderr
    assert 'Ask "What is AMD\'s ticker?"' in run.stdout and "0 problem(s)" in run.stdout


@pytest.mark.parametrize("line", ["%alfa doctor --bogus", "%alfa doctor --timeout soon", "%alfa doctor --base-url x"])
def test_alfa_doctor_refuses_what_it_does_not_take_before_asking_anything(shell: Shell, line: str) -> None:
    run = shell.run(line)
    assert isinstance(run.error, UsageError) and "takes [--ask [QUESTION]] [--json]" in str(run.error)
    assert shell.ns.get("_alfa") is None  # nothing was asked


def test_alfa_doctor_runs_in_a_kernel_whose_event_loop_is_running(shell: Shell, loop) -> None:
    run = loop.run_until_complete(shell.run_async("%alfa doctor --json"))  # as ipykernel runs a cell
    assert run.error is None, run.stdout + run.stderr
    assert json.loads(run.stdout)["problems"] == 0
