"""Hand-built artifacts for the table tests, shaped as the service sends tables (docs/protocol.md,
Artifacts)."""

from __future__ import annotations

from typing import Any

import alfa_notebook as alfa
from alfa_notebook.wire.models import Artifact

ALL_COL_TYPES = (
    "integer", "integer_with_unit", "float", "float_with_unit", "currency", "delta", "percent",
    "pct_delta", "score", "boolean", "string", "stock", "date", "datetime", "quarter", "month",
    "year",
)  # fmt: skip

EXPECTED_DTYPES = {
    "integer": "Int64",
    "integer_with_unit": "Int64",
    "float": "Float64",
    "float_with_unit": "Float64",
    "currency": "Float64",
    "delta": "Float64",
    "percent": "Float64",
    "pct_delta": "Float64",
    "score": "Float64",
    "boolean": "boolean",
    "string": "string",
    "stock": "string",
    "date": "datetime64[us]",
    "datetime": "datetime64[us, UTC]",
    "quarter": "period[Q-DEC]",
    "month": "period[M]",
    "year": "period[Y-DEC]",
}


def column(name: str, col_type: str | None, **extra: Any) -> dict[str, Any]:
    """A column object with the backend's defaults."""
    return {
        "name": name,
        "col_type": col_type,
        "unit": None,
        "is_highlighted": False,
        "citation_refs": [],
        "display_name": None,
        "is_visible": True,
        "original_order": None,
        **extra,
    }


def table(columns: list[dict[str, Any]], rows: list[list[Any]], **extra: Any) -> dict[str, Any]:
    return {
        "output_type": "table",
        "title": "Test table",
        "columns": columns,
        "rows": rows,
        "citations": [],
        **extra,
    }


def stock(symbol: str | None, gbi_id: int = 714, **extra: Any) -> dict[str, Any]:
    return {
        "gbi_id": gbi_id,
        "symbol": symbol,
        "company_name": f"{symbol or 'Unlisted'} Inc.",
        "isin": f"US{gbi_id:09d}5",
        "sector": "Information Technology",
        "subindustry": "Technology Hardware",
        "exchange": "NASDAQ",
        "security_type": "Common Stock",
        **extra,
    }


def score(val: float | None, source: str | None = None) -> dict[str, Any]:
    return {"val": val, "source": source, "sub_scores": []}


# One valid non-null cell per col_type, and what the frame must hold for it.
SAMPLE_CELLS: dict[str, Any] = {
    "integer": 42,
    "integer_with_unit": -7,
    "float": 1.5,
    "float_with_unit": 2.25,
    "currency": 1234.5,
    "delta": -3.0,
    "percent": 0.25,
    "pct_delta": 0.031,
    "score": score(0.87, "analyst"),
    "boolean": True,
    "string": "NA",
    "stock": stock("NA"),
    "date": "2024-05-01",
    "datetime": "2024-05-01T13:45:10.123456Z",
    "quarter": "2024Q2",
    "month": "2024-05",
    "year": "2024",
}

# A cell of the wrong type for each col_type.
WRONG_CELLS: dict[str, Any] = {
    "integer": "12",
    "integer_with_unit": 1.5,
    "float": "1.5",
    "float_with_unit": True,
    "currency": {"amount": 1},
    "delta": [1.0],
    "percent": "25%",
    "pct_delta": "0.1",
    "score": {"val": "high"},
    "boolean": 1,
    "string": 1,
    "stock": 714,
    "date": "not a date",
    "datetime": 1714571110,
    "quarter": "2024-05",
    "month": "2024Q2",
    "year": 2024,
}


def answer_with(key: str, artifact: dict) -> alfa.Answer:
    """A complete answer to ``key?`` that shows ``artifact`` (a table), as a batch item's."""
    return alfa.Answer(
        question=f"{key}?",
        raw_text='```{"type": "output_artifact", "artifact_id": "t"}```',
        status="complete",
        thread_id=f"thread-{key}",
        message_id=f"message-{key}",
        artifacts=[Artifact.from_raw("t", artifact)],
    )
