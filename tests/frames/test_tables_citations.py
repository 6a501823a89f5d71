"""citations_to_dataframe: one row per citation, common columns first, then raw fields."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pandas as pd
import pytest

from alfa_notebook.results.frames import TableConversionWarning, citations_to_dataframe

COMMON = ["id", "type", "title", "url", "published", "snippet", "inline_offset"]

MIXED = [
    {
        "citation_id": "n1",
        "citation_type": "news_development",
        "source_category": "News",
        "name": "Chip demand surges",
        "inline_offset": 12,
        "summary": "Demand rose.",
        "last_updated_at": "2024-01-15T09:30:00Z",
        "is_snippet": False,
        "num_articles": 4,
        "development_start": "2024-01-10T00:00:00Z",
    },
    {
        "citation_id": "w1",
        "citation_type": "web",
        "name": "Company IR",
        "link": "https://example.com/ir",
        "last_fetched_at": "2024-02-01T08:00:00+00:00",
        "snippet_highlight_start": 3,
        "snippet_highlight_end": 9,
        "inline_offset": None,
    },
    {
        "citation_id": "d1",
        "citation_type": "custom_doc",
        "name": "Notes.pdf",
        "is_snippet": True,
        "custom_doc_id": "00042",
        "chunk_id": "007",
    },
    {"citation_id": "x1", "citation_type": "hologram", "name": "Future source", "glow": {"level": 3}},
]


def test_mixed_citation_types_including_an_unknown_one() -> None:
    frame = citations_to_dataframe(MIXED)
    assert list(frame.columns[: len(COMMON)]) == COMMON
    assert list(frame.columns[len(COMMON) :]) == [
        "source_category", "last_updated_at", "is_snippet", "num_articles", "development_start",
        "last_fetched_at", "snippet_highlight_start", "snippet_highlight_end", "custom_doc_id",
        "chunk_id", "glow",
    ]  # fmt: skip
    assert frame["id"].tolist() == ["n1", "w1", "d1", "x1"]
    assert frame["type"].tolist() == ["news_development", "web", "custom_doc", "hologram"]
    assert frame["url"].tolist()[1] == "https://example.com/ir"
    assert frame["published"][0] == pd.Timestamp("2024-01-15T09:30:00Z")
    assert frame["inline_offset"].tolist()[0] == 12 and frame["inline_offset"].isna()[1]
    assert frame["custom_doc_id"][2] == "00042"
    assert frame["glow"][3] == {"level": 3}
    assert {
        "id": "string", "published": "datetime64[us, UTC]", "inline_offset": "Int64", "num_articles": "Int64",
        "is_snippet": "boolean", "development_start": "datetime64[us, UTC]", "glow": "object",
    }.items() <= {k: str(v) for k, v in frame.dtypes.items()}.items()  # fmt: skip


def test_citation_objects_use_their_attributes_and_raw_extras() -> None:
    raw = MIXED[0]
    citation = SimpleNamespace(
        id="n1", type="news_development", title="Chip demand surges", url=None, snippet="Demand rose.",
        published=datetime(2024, 1, 15, 9, 30, tzinfo=timezone.utc), inline_offset=12, raw=raw,
    )  # fmt: skip
    frame = citations_to_dataframe([citation])
    assert frame.loc[0, COMMON].tolist()[:3] == ["n1", "news_development", "Chip demand surges"]
    assert frame.loc[0, "published"] == pd.Timestamp("2024-01-15T09:30:00Z")
    assert frame.loc[0, "num_articles"] == 4


def test_the_clients_citation_model() -> None:
    from alfa_notebook.wire import models

    frame = citations_to_dataframe(models.parse_citations(MIXED))
    assert frame["id"].tolist() == ["n1", "w1", "d1", "x1"]
    assert frame["title"].tolist()[3] == "Future source"


def test_a_field_of_an_unexpected_type_stays_object_with_a_warning() -> None:
    with pytest.warns(TableConversionWarning, match="num_articles"):
        frame = citations_to_dataframe(
            [{"citation_id": "a", "num_articles": "many"}, {"citation_id": "b", "num_articles": 2}]
        )
    assert frame["num_articles"].tolist() == ["many", 2]


def test_no_citations_gives_the_common_columns() -> None:
    frame = citations_to_dataframe([])
    assert list(frame.columns) == COMMON
    assert frame.shape == (0, len(COMMON))


def test_a_citation_field_that_does_not_fit_its_type_stays_object_with_a_warning() -> None:
    raw = {"id": "c1", "type": "news", "title": "t", "url": "https://x.example", "num_articles": "many"}
    with pytest.warns(TableConversionWarning, match="kept as object dtype"):
        frame = citations_to_dataframe([raw])
    assert frame["num_articles"].tolist() == ["many"] and frame["num_articles"].dtype == object
