"""Labels, hidden columns, stocks, scores, citations and provenance of a converted table."""

from __future__ import annotations

import copy
import json
import pickle
from types import SimpleNamespace

import pandas as pd
import pytest
from table_builders import column, score, stock, table

from alfa_notebook.results.frames import (
    ArtifactKindError,
    TableConversionError,
    artifact_kind,
    artifact_to_dataframe,
    table_to_dataframe,
)


def test_labels_use_display_name_and_keep_the_original_name() -> None:
    frame = table_to_dataframe(
        table([column("ret_1d", "pct_delta", display_name="1D return"), column("px", "currency")], [[0.1, 2.0]])
    )
    assert list(frame.columns) == ["1D return", "px"]
    meta = frame.attrs["alfa_columns"]["1D return"]
    assert (meta["name"], meta["display_name"], meta["label"]) == ("ret_1d", "1D return", "1D return")


def test_hidden_columns_are_dropped_by_default_and_kept_on_request() -> None:
    artifact = table(
        [column("gbi_id", "integer", is_visible=False), column("Security", "stock")],
        [[714, stock("AAPL")]],
    )
    frame = table_to_dataframe(artifact)
    assert list(frame.columns) == ["Security"]
    assert frame.attrs["alfa_hidden_columns"] == ["gbi_id"]
    assert "gbi_id" not in frame.attrs["alfa_columns"]

    everything = table_to_dataframe(artifact, include_hidden=True)
    assert list(everything.columns) == ["gbi_id", "Security"]
    assert everything["gbi_id"].tolist() == [714]
    assert everything.attrs["alfa_columns"]["gbi_id"]["is_visible"] is False
    assert everything.attrs["alfa_hidden_columns"] == []


def test_a_hidden_column_with_bad_cells_does_not_fail_the_visible_frame() -> None:
    artifact = table([column("junk", "integer", is_visible=False), column("x", "float")], [["?", 1.0]])
    assert table_to_dataframe(artifact)["x"].tolist() == [1.0]
    with pytest.raises(TableConversionError, match="'junk'"):
        table_to_dataframe(artifact, include_hidden=True)


def test_duplicate_labels_get_read_csv_suffixes() -> None:
    frame = table_to_dataframe(
        table(
            [
                column("Return", "percent"),
                column("r2", "percent", display_name="Return"),
                column("Return.1", "string"),
                column("Return", "percent"),
            ],
            [[0.1, 0.2, "s", 0.3]],
        )
    )
    assert list(frame.columns) == ["Return", "Return.2", "Return.1", "Return.3"]
    assert frame["Return.2"].tolist() == [0.2]
    assert frame["Return.1"].tolist() == ["s"]
    assert [m["name"] for m in frame.attrs["alfa_columns"].values()] == ["Return", "r2", "Return.1", "Return"]


def test_a_column_without_any_name_is_an_error() -> None:
    with pytest.raises(TableConversionError, match="column 1 has neither a name nor a display_name"):
        table_to_dataframe(table([column("a", "integer"), {"col_type": "integer"}], [[1, 2]]))


def test_columns_and_rows_must_be_lists() -> None:
    with pytest.raises(TableConversionError, match="'rows'"):
        table_to_dataframe({"columns": [], "rows": "nope"})


def test_stock_cells_become_symbols_with_details_in_attrs() -> None:
    frame = table_to_dataframe(
        table(
            [column("Security", "stock", is_highlighted=True)],
            [[stock("NA", 1)], [stock(None, 2)], [stock(None, 3, isin="")], ["MSFT"], [None], [stock("NA", 1)]],
        )
    )
    assert frame["Security"].tolist()[:2] == ["NA", "US0000000025"]
    assert frame["Security"].isna().tolist() == [False, False, True, False, True, False]
    assert frame["Security"][3] == "MSFT"
    details = frame.attrs["alfa_stocks"]["Security"]
    assert list(details) == ["NA", "US0000000025"]
    assert details["NA"]["company_name"] == "NA Inc." and details["NA"]["gbi_id"] == 1
    assert frame.attrs["alfa_columns"]["Security"]["is_highlighted"] is True


def test_the_first_stock_wins_when_two_share_a_symbol() -> None:
    frame = table_to_dataframe(table([column("S", "stock")], [[stock("BHP", 1)], [stock("BHP", 2)]]))
    assert frame.attrs["alfa_stocks"]["S"]["BHP"]["gbi_id"] == 1


def test_expand_stocks_adds_the_stock_fields_after_the_stock_column() -> None:
    frame = table_to_dataframe(
        table(
            [column("Security", "stock"), column("Security.isin", "string"), column("Px", "currency")],
            [[stock("AAPL", 714, country="US"), "clash", 1.0], [None, None, 2.0]],
        ),
        expand_stocks=True,
    )
    assert list(frame.columns) == [
        "Security", "Security.company_name", "Security.isin.1", "Security.gbi_id", "Security.sector",
        "Security.subindustry", "Security.exchange", "Security.security_type", "Security.country",
        "Security.isin", "Px",
    ]  # fmt: skip
    assert frame["Security.company_name"].tolist()[0] == "AAPL Inc."
    assert frame["Security.gbi_id"].dtype == "Int64"
    assert frame["Security.gbi_id"].tolist()[0] == 714
    assert frame["Security.isin.1"].dtype == "string"
    assert frame["Security.country"].dtype == object
    assert frame.loc[1, ["Security.company_name", "Security.gbi_id"]].isna().all()
    meta = frame.attrs["alfa_columns"]["Security.gbi_id"]
    assert (meta["source_column"], meta["stock_field"], meta["col_type"]) == ("Security", "gbi_id", "integer")


def test_expanded_stock_fields_of_the_wrong_type_name_the_column() -> None:
    with pytest.raises(TableConversionError, match=r"'Security\.gbi_id'.*row 0"):
        cell = {**stock("A"), "gbi_id": "x"}
        table_to_dataframe(table([column("Security", "stock")], [[cell]]), expand_stocks=True)


def test_score_cells_become_their_value() -> None:
    series = table_to_dataframe(
        table([column("Score", "score")], [[score(0.9, "model")], [score(None)], [None], [0.5]])
    )["Score"]
    assert series.dtype == "Float64"
    assert series.isna().tolist() == [False, True, True, False]
    assert series[[0, 3]].tolist() == [0.9, 0.5]


CITATIONS = [
    {"citation_id": "c1", "citation_type": "web", "name": "Exchange data", "link": "https://example.com"},
    {"citation_id": "c2", "citation_type": "company_filing", "name": "10-K", "summary": "..."},
    {"citation_id": "c3", "citation_type": "kpi", "name": "KPI"},
]


def cited_table() -> dict:
    return table(
        [
            column("Security", "stock", citation_refs=[{"cit_id": "c1", "row_index": None}]),
            column(
                "Revenue",
                "currency",
                unit="USD",
                citation_refs=[{"cit_id": "c2", "row_index": 1}, {"cit_id": "c3", "row_index": 1},
                               {"cit_id": "gone", "row_index": 0}],
            ),
        ],
        [[stock("AAPL"), 1.0], [stock("MSFT", 2), 2.0]],
        citations=CITATIONS,
    )  # fmt: skip


def test_citation_refs_resolve_against_the_table_citations() -> None:
    frame = table_to_dataframe(cited_table())
    columns = frame.attrs["alfa_columns"]
    assert columns["Security"]["citation_ids"] == ["c1"]
    assert columns["Revenue"]["citation_ids"] == []
    assert columns["Revenue"]["row_citation_ids"] == {"1": ["c2", "c3"], "0": ["gone"]}
    assert list(frame.attrs["alfa_citations"]) == ["c1", "c2", "c3"]
    assert frame.attrs["alfa_citations"]["c2"]["name"] == "10-K"


def test_citation_refs_resolve_to_the_callers_citation_objects_kept_as_json() -> None:
    richer = {**CITATIONS[2], "summary": "from the caller"}
    objects = {"c3": SimpleNamespace(id="c3", raw=richer)}
    frame = table_to_dataframe(cited_table(), citations=objects)
    assert frame.attrs["alfa_citations"]["c3"] == richer
    assert frame.attrs["alfa_citations"]["c2"] == CITATIONS[1]


def test_provenance_is_in_attrs_and_survives_pandas_operations() -> None:
    frame = table_to_dataframe(cited_table(), artifact_id="a1", thread_id="t1", message_id="m1")
    attrs = frame.attrs
    assert (attrs["alfa_kind"], attrs["alfa_artifact_id"], attrs["alfa_thread_id"]) == ("table", "a1", "t1")
    assert (attrs["alfa_message_id"], attrs["alfa_title"]) == ("m1", "Test table")
    derived = frame.head(1).sort_values("Revenue")
    assert derived.attrs == attrs
    assert copy.deepcopy(attrs) == attrs


def test_attrs_are_read_only_copies_never_aliases_of_the_artifact() -> None:
    artifact = cited_table()
    frame = table_to_dataframe(artifact)
    details = frame.attrs["alfa_stocks"]["Security"]["AAPL"]
    assert details == artifact["rows"][0][0] and details is not artifact["rows"][0][0]
    with pytest.raises(TypeError, match="read-only"):
        details["symbol"] = "changed"
    with pytest.raises(TypeError, match="read-only"):
        frame.attrs["alfa_citations"]["c1"].update(name="changed")
    editable = dict(details)
    editable["symbol"] = "changed"
    assert artifact["rows"][0][0]["symbol"] == "AAPL"


def test_attrs_cost_nothing_to_copy_and_survive_pickle_and_json() -> None:
    artifact = table(
        [column("Security", "stock"), column("Px", "currency")],
        [[stock(f"S{i}", i), float(i)] for i in range(5_000)],
        citations=CITATIONS,
    )
    frame = table_to_dataframe(artifact)
    assert len(frame.attrs["alfa_stocks"]["Security"]) == 5_000
    copied = copy.deepcopy(frame.attrs)
    assert copied == frame.attrs and copied["alfa_stocks"] is frame.attrs["alfa_stocks"]
    assert pickle.loads(pickle.dumps(frame)).attrs == frame.attrs
    assert json.loads(json.dumps(frame.attrs, default=str))["alfa_columns"]["Px"]["unit"] is None


@pytest.mark.parametrize(
    ("artifact", "kind"),
    [
        ({"output_type": "table", "columns": [], "rows": []}, "table"),
        ({"columns": [], "rows": []}, "table"),
        ({"output_type": "graph", "graph": {}}, "chart"),
        ({"graph": {"graph_type": "pie"}}, "chart"),
        ({"output_type": "text", "val": "hello"}, "text"),
        ({"output_type": "layout"}, "json"),
        ({"whatever": 1}, "json"),
        ([1, 2], "json"),
        ("text", "json"),
    ],
)
def test_artifact_kind(artifact: object, kind: str) -> None:
    assert artifact_kind(artifact) == kind


def test_artifact_to_dataframe_takes_provenance_from_an_artifact_object() -> None:
    raw = cited_table()
    citation_objects = [SimpleNamespace(id=c["citation_id"], raw=c) for c in CITATIONS]
    artifact = SimpleNamespace(id="a9", raw=raw, thread_id="t9", message_id="m9", citations=citation_objects)
    frame = artifact_to_dataframe(artifact, expand_stocks=True)
    assert (frame.attrs["alfa_artifact_id"], frame.attrs["alfa_thread_id"]) == ("a9", "t9")
    assert frame.attrs["alfa_citations"]["c1"] == CITATIONS[0]
    assert "Security.isin" in frame.columns


@pytest.mark.parametrize(
    ("raw", "kind"), [({"output_type": "text", "title": "Summary", "val": "..."}, "text"), ({"x": 1}, "json")]
)
def test_text_and_json_artifacts_have_no_dataframe(raw: dict, kind: str) -> None:
    with pytest.raises(ArtifactKindError, match=rf"artifact 'a1'.* is a {kind} artifact.*Artifact\.raw"):
        artifact_to_dataframe(SimpleNamespace(id="a1", raw=raw, citations=[]))
    with pytest.raises(TypeError):
        artifact_to_dataframe(raw)


def test_the_clients_artifact_model_converts_through_this_module() -> None:
    from alfa_notebook.wire import models

    artifact = models.Artifact.from_raw("a1", cited_table(), thread_id="t1", message_id="m1")
    frame = artifact.to_dataframe()
    assert isinstance(frame, pd.DataFrame)
    assert frame.attrs["alfa_artifact_id"] == "a1"
    assert frame.attrs["alfa_citations"]["c2"]["name"] == "10-K"
    assert frame.alfa.citations(row=1, column="Revenue")[0].title == "10-K"
