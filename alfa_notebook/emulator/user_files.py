"""Files a user attached to a thread, read as data: a CSV or Parquet file becomes rows and columns
that the engine answers from (its size, its columns, a summary table built from the values, the
stocks it lists), so the demo and the tests show the attach-then-ask loop end to end.

Values are read as the text the file holds (a ticker ``NA`` and a CUSIP ``00724F101`` stay as they
are); a column is numeric when every non-empty value parses as a number. Parquet needs pyarrow;
without it a Parquet file is described by its size only, as any other binary file is.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from typing import Any

from .artifacts import Column, table
from .store import Attachment

JSON = dict[str, Any]

MAX_ROWS = 100_000  # rows read from one file; the rest are counted, not kept
_TICKER_COLUMNS = ("ticker", "symbol", "tickers", "symbols", "stock")


@dataclass(frozen=True)
class UserTable:
    """An attached file's table: its column names and its rows as text (None: an empty field)."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str | None, ...], ...]

    def values(self, column: int) -> list[str]:
        return [row[column] for row in self.rows if column < len(row) and row[column] not in (None, "")]  # type: ignore[misc]

    def numbers(self, column: int) -> list[float] | None:
        """The column's values as numbers, or None when one of them is not a number."""
        found = []
        for value in self.values(column):
            try:
                number = float(value.replace(",", ""))
            except ValueError:
                return None
            if math.isfinite(number):
                found.append(number)
        return found or None

    def tickers(self) -> list[str]:
        """The values of the column that names stocks (``ticker``, ``symbol``...), in order."""
        for index, name in enumerate(self.columns):
            if name.strip().lower() in _TICKER_COLUMNS:
                return [value.strip() for value in self.values(index)]
        return []

    @property
    def shape(self) -> str:
        return f"{len(self.rows):,} rows × {len(self.columns):,} columns"

    def summary(self) -> JSON:
        """A table artifact with one row per column of the file: its kind, how many values it has,
        and for a numeric column its minimum, mean and maximum, for a text one its first value."""
        rows = []
        for index, name in enumerate(self.columns):
            values = self.values(index)
            numbers = self.numbers(index)
            if numbers:
                kind, low, mean, high = "number", min(numbers), round(sum(numbers) / len(numbers), 6), max(numbers)
                example = None
            else:
                kind, low, mean, high = "text", None, None, None
                example = values[0] if values else None
            rows.append([name, kind, len(values), len(set(values)), low, mean, high, example])
        columns = [
            Column("Column", "string"),
            Column("Kind", "string"),
            Column("Values", "integer"),
            Column("Distinct", "integer"),
            Column("Min", "float"),
            Column("Mean", "float"),
            Column("Max", "float"),
            Column("First value", "string"),
        ]
        return table(f"{self.name}: the columns of your file", columns, rows)


def read_table(attachment: Attachment) -> UserTable | None:
    """The attachment as a table when it is a CSV or a Parquet file that can be read, else None."""
    name = attachment.name.lower()
    if name.endswith(".parquet"):
        return _parquet(attachment)
    if name.endswith((".csv", ".tsv")) or attachment.content_type in ("text/csv", "text/tab-separated-values"):
        return _csv(attachment)
    return None


def _csv(attachment: Attachment) -> UserTable | None:
    text = attachment.text()
    if not text.strip():
        return None
    delimiter = "\t" if attachment.name.lower().endswith(".tsv") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
        rows = [tuple(field or None for field in row) for _, row in zip(range(MAX_ROWS), reader) if row]
    except (csv.Error, StopIteration):
        return None
    return UserTable(attachment.name, tuple(header), tuple(rows))


def _parquet(attachment: Attachment) -> UserTable | None:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        return None
    try:
        frame = pq.read_table(io.BytesIO(attachment.content))
    except Exception:  # a damaged or foreign file: described by its size, as any binary file
        return None
    columns = tuple(frame.column_names)
    data = frame.slice(0, MAX_ROWS).to_pylist()
    rows = tuple(tuple(None if row[c] is None else str(row[c]) for c in columns) for row in data)
    return UserTable(attachment.name, columns, rows)
