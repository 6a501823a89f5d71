"""Hooks for the whole suite that must run where results are gathered: in pytest-xdist's
controller as well as in a plain run (a folder's conftest.py is loaded by the workers only)."""

from __future__ import annotations

import pytest

REPORT = "reliability"
"""The user property under which a test's ``reliability_report`` lines travel in its report."""

_reported: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    """pytest-xdist's loadfile hands out the files with the most tests first unless told not to,
    which would undo the order below (the long files are mostly files of one or two tests)."""
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files marked ``long`` first: pytest-xdist hands out whole files in this order, and a
    long file begun near the end keeps the run waiting on one worker while the others are idle."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "teardown":
        _reported.extend(str(line) for key, line in report.user_properties if key == REPORT)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fault campaign's outcome and the load numbers, printed whatever the capture mode."""
    if _reported:
        terminalreporter.write_sep("-", "reliability")
        for line in _reported:
            terminalreporter.write_line(line)
