"""The emulator reads an attached CSV or Parquet file as data and answers from what it holds."""

from __future__ import annotations

import io

import pandas as pd

from alfa_notebook.emulator.defaults import MAX_UPLOAD_BYTES
from alfa_notebook.emulator.store import Attachment
from alfa_notebook.emulator.user_files import read_table
from alfa_notebook.wire.settings import DEFAULT_MAX_ATTACHMENT_BYTES


def attachment(name: str, content: bytes, content_type: str = "application/octet-stream") -> Attachment:
    return Attachment(file_id="f1", name=name, content_type=content_type, content=content)


def test_a_csv_is_read_as_the_text_it_holds() -> None:
    table = read_table(attachment("h.csv", b"ticker,cusip,weight\nNA,00724F101,0.4\nAMD,,1e-1\n"))
    assert table is not None
    assert table.columns == ("ticker", "cusip", "weight")
    assert table.rows == (("NA", "00724F101", "0.4"), ("AMD", None, "1e-1"))
    assert table.tickers() == ["NA", "AMD"] and table.shape == "2 rows × 3 columns"
    assert table.numbers(2) == [0.4, 0.1] and table.numbers(1) is None


def test_the_summary_describes_each_column_from_its_values() -> None:
    table = read_table(attachment("h.csv", b"ticker,weight\nNA,0.4\nAMD,0.2\nNA,0.6\n"))
    summary = table.summary()
    assert summary["title"] == "h.csv: the columns of your file"
    assert summary["rows"] == [
        ["ticker", "text", 3, 2, None, None, None, "NA"],
        ["weight", "number", 3, 3, 0.2, 0.4, 0.6, None],
    ]


def test_a_parquet_file_is_read_too() -> None:
    buffer = io.BytesIO()
    pd.DataFrame({"symbol": ["NVDA", "NA"], "shares": [10, 20]}).to_parquet(buffer, index=False)
    table = read_table(attachment("h.parquet", buffer.getvalue()))
    assert table is not None and table.rows == (("NVDA", "10"), ("NA", "20")) and table.tickers() == ["NVDA", "NA"]


def test_other_files_are_not_tables() -> None:
    assert read_table(attachment("memo.txt", b"Q2 memo")) is None
    assert read_table(attachment("broken.parquet", b"not parquet")) is None
    assert read_table(attachment("empty.csv", b"")) is None


def test_the_emulator_refuses_what_the_client_would_not_send() -> None:
    assert MAX_UPLOAD_BYTES == DEFAULT_MAX_ATTACHMENT_BYTES
