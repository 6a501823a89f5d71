"""The emulator's real artifacts, fetched over HTTP on loopback, convert with every col_type."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pandas as pd
import pytest
from table_builders import ALL_COL_TYPES, EXPECTED_DTYPES

from alfa_notebook import emulator
from alfa_notebook.results.frames import (
    ArtifactKindError,
    artifact_kind,
    artifact_to_dataframe,
    chart_to_dataframe,
    table_to_dataframe,
)

QUESTION = "Screen all columns: revenue trend chart over time, and a summary memo"
ARTIFACT_MARKER = re.compile(r"""```[\s\S]*?"artifact_id"\s*:\s*"([^"]+)"[\s\S]*?```""")
TURN_TIMEOUT = 30.0


def _finished_answer(http: Any, thread_id: str) -> str:
    deadline = time.monotonic() + TURN_TIMEOUT
    while time.monotonic() < deadline:
        progress = http.get(f"/threads/{thread_id}/progress").json().get("progress_data")
        answers = [m for m in http.get(f"/threads/{thread_id}/messages").json()["messages"]
                   if not m["is_user_message"]]  # fmt: skip
        if answers and (progress is None or str(progress.get("status")).lower() != "running"):
            return answers[-1]["message"]
        time.sleep(0.05)
    raise AssertionError(f"the emulator's turn did not finish in {TURN_TIMEOUT} s")


@pytest.fixture(scope="module")
def artifacts() -> Iterator[dict[str, dict[str, Any]]]:
    """Every artifact of one emulator answer, by id, as ``GET .../artifacts/{id}`` returns it."""
    with (
        emulator.Emulator(chunk_delay=0) as emu,
        httpx.Client(base_url=f"{emu.base_url}/client/v1", headers={"x-api-key": emu.api_key}, timeout=10) as http,
    ):
        thread_id = http.post("/threads", json={"thread_name": "tables"}).json()["thread_id"]
        http.post(f"/threads/{thread_id}/messages", data={"message": QUESTION}).raise_for_status()
        ids = ARTIFACT_MARKER.findall(_finished_answer(http, thread_id))
        yield {aid: http.get(f"/threads/{thread_id}/artifacts/{aid}").json()["artifact"] for aid in ids}


def _tables(artifacts: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {aid: a for aid, a in artifacts.items() if artifact_kind(a) == "table"}


def test_the_emulators_tables_cover_every_col_type(artifacts: dict[str, dict[str, Any]]) -> None:
    declared = {c["col_type"] for t in _tables(artifacts).values() for c in t["columns"]}
    assert declared >= set(ALL_COL_TYPES)


def test_every_emulator_table_converts_to_its_declared_dtypes(artifacts: dict[str, dict[str, Any]]) -> None:
    for aid, artifact in _tables(artifacts).items():
        frame = table_to_dataframe(artifact, artifact_id=aid, include_hidden=True, expand_stocks=True)
        metas = frame.attrs["alfa_columns"]
        assert [m["position"] for m in metas.values() if m["source_column"] is None] == list(
            range(len(artifact["columns"]))
        )
        assert frame.shape[0] == len(artifact["rows"])
        for label, meta in metas.items():
            if meta["source_column"] is None:
                assert str(frame[label].dtype) == EXPECTED_DTYPES[meta["col_type"]], (aid, label)
        for j, column in enumerate(artifact["columns"]):
            label = next(label for label, m in metas.items() if m["position"] == j and m["source_column"] is None)
            raw = [row[j] for row in artifact["rows"]]
            assert frame[label].isna().tolist() == [cell is None for cell in raw], (aid, label)
            if column["col_type"] == "string":
                assert frame[label].dropna().tolist() == [cell for cell in raw if cell is not None]


def test_the_screen_keeps_the_na_ticker_and_leading_zero_cusips(artifacts: dict[str, dict[str, Any]]) -> None:
    screens = [
        a for a in _tables(artifacts).values() if {"stock", "string", "score"} <= {c["col_type"] for c in a["columns"]}
    ]
    assert screens, "the answer has no screen table"
    frame = table_to_dataframe(screens[0])
    stock_label = next(label for label, m in frame.attrs["alfa_columns"].items() if m["col_type"] == "stock")
    assert "NA" in frame[stock_label].tolist()
    assert frame.attrs["alfa_stocks"][stock_label]["NA"]["symbol"] == "NA"
    strings = [label for label, m in frame.attrs["alfa_columns"].items() if m["col_type"] == "string"]
    assert any(value.startswith("0") for label in strings for value in frame[label].dropna())


def test_the_emulators_chart_and_text_artifacts(artifacts: dict[str, dict[str, Any]]) -> None:
    kinds = {artifact_kind(a) for a in artifacts.values()}
    assert {"table", "chart", "text"} <= kinds
    for artifact in artifacts.values():
        if artifact_kind(artifact) == "chart":
            frame = chart_to_dataframe(artifact)
            assert list(frame.columns) == ["series", "x", "y"] and len(frame) > 0
            assert pd.api.types.is_datetime64_any_dtype(frame["x"]) or frame["x"].dtype != object
        if artifact_kind(artifact) == "text":
            with pytest.raises(ArtifactKindError, match=r"text artifact.*Artifact\.raw"):
                artifact_to_dataframe(artifact)
