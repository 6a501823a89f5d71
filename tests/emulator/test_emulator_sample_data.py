"""The bundled sample data: labelled synthetic, identifiers well formed."""

from __future__ import annotations

import json
from importlib import resources

import pytest

RAW = json.loads(resources.files("alfa_notebook.emulator").joinpath("data/sample_data.json").read_text("utf-8"))


def _cusip_check_digit(base: str) -> str:
    total = 0
    for position, char in enumerate(base):
        value = int(char) if char.isdigit() else ord(char) - ord("A") + 10
        value *= 2 if position % 2 else 1
        total += value // 10 + value % 10
    return str((10 - total % 10) % 10)


def _isin_check_digit(base: str) -> str:
    digits = "".join(str(int(char, 36)) for char in base)
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value // 10 + value % 10
    return str((10 - total % 10) % 10)


def test_the_data_says_it_is_synthetic() -> None:
    assert "SYNTHETIC" in RAW["_notice"] and "NOT market data" in RAW["_notice"]


def test_the_universe_has_the_expected_names() -> None:
    symbols = {stock["symbol"] for stock in RAW["stocks"]}
    assert {"AAPL", "MSFT", "NVDA", "AMD", "AVGO", "INTC", "JPM", "BAC", "XOM", "NA"} <= symbols
    assert len(RAW["quarters"]) == 8 and len(RAW["months"]) == 13


@pytest.mark.parametrize("stock", RAW["stocks"], ids=lambda stock: stock["symbol"])
def test_identifiers_are_well_formed(stock: dict[str, object]) -> None:
    cusip, isin = str(stock["cusip"]), str(stock["isin"])
    assert _cusip_check_digit(cusip[:8]) == cusip[8]
    assert _isin_check_digit(isin[:11]) == isin[11] and isin[2:11] == cusip
