"""A conversion warning that no test expects fails the test (``pytest.warns`` still sees them)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from alfa_notebook.results.frames import TableConversionWarning


@pytest.fixture(autouse=True)
def _unexpected_conversion_warnings_fail() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("error", TableConversionWarning)
        yield
