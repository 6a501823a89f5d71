"""Tables as an analyst reads them, and their sources down to the cell, in all three outputs."""

from __future__ import annotations

import re

from alfa_notebook.render import answer_bundle
from alfa_notebook.wire.models import Artifact

from .conftest import cite, make_answer, marker
from .hostile import assert_inert


def _source(cit_id: str, name: str) -> dict[str, object]:
    return {"citation_id": cit_id, "citation_type": "web", "name": name, "link": f"https://example.com/{cit_id}"}


def _cited_table() -> Artifact:
    return Artifact.from_raw("t1", {
        "output_type": "table",
        "title": "Cited",
        "citations": [_source("tc", "Table source"), _source("cc", "Column source"), _source("cell", "Cell source"),
                      _source("c1", "Source 1")],
        "columns": [
            {"name": "Ticker", "col_type": "string"},
            {"name": "Revenue", "col_type": "float_with_unit", "unit": "USD mn", "citation_refs": [{"cit_id": "cc"}]},
            {"name": "Growth", "col_type": "percent",
             "citation_refs": [{"cit_id": "c1", "row_index": 0}, {"cit_id": "cell", "row_index": 1}]},
        ],
        "rows": [["A", 1111.0, 0.301], ["B", 2.5, -0.1]],
    })  # fmt: skip


def _cited_answer():  # type: ignore[no-untyped-def]
    # The text cites c1 ([1]); the table cites c1 again in a cell, and three sources of its own.
    return make_answer(f"Revenue grew.\n\n{marker('t1')}", citations=[cite(7, 1)], artifacts=[_cited_table()])


def _ref(n: int) -> str:
    return (
        f'<sup class="alfa-cite"><a href="#alfa-src-[0-9a-f]+(?:-\\d+)?-{n}" hidden="hidden">\\[{n}\\]</a>'
        f'<span class="alfa-cite-n">\\[{n}\\]</span></sup>'
    )


def test_a_tables_citations_are_numbered_with_the_answers_and_shown_in_html() -> None:
    html = answer_bundle(_cited_answer())[0]["text/html"]
    shown = assert_inert(html)
    assert re.search(f"<caption>Cited{_ref(2)}</caption>", html)  # the table's own
    assert re.search(f'<th class="alfa-num" align="right">Revenue \\(USD mn\\){_ref(3)}</th>', html)  # a column's
    assert re.search(f'<td class="alfa-num alfa-nowrap" align="right">\\+30.1%{_ref(1)}</td>', html)  # the text's
    assert re.search(f'<td class="alfa-num alfa-nowrap" align="right">-10.0%{_ref(4)}</td>', html)  # a cell's
    titles = [t for t in re.findall(r'<strong class="alfa-card-title"><bdi>(.*?)</bdi>', html)]
    assert titles == ["Source 1", "Table source", "Column source", "Cell source"]  # c1 once
    cards = {a["name"].rsplit("-", 1)[1] for a in shown.elements("a") if "name" in a}
    assert cards == {"1", "2", "3", "4"}


def test_a_tables_citations_in_markdown_and_text() -> None:
    data, _ = answer_bundle(_cited_answer())
    markdown, text = data["text/markdown"], data["text/plain"]
    assert "**Cited**\\[2\\]" in markdown
    assert "| Ticker | Revenue (USD mn)\\[3\\] | Growth |" in markdown
    assert "| A | 1,111.00 | +30.1%\\[1\\] |" in markdown and "| B | 2.50 | -10.0%\\[4\\] |" in markdown
    assert "4. **Cell source** — _web_, example.com <https://example.com/cell>" in markdown
    lines = text.splitlines()
    start = lines.index("Cited[2]")
    assert lines[start + 1 : start + 5] == [
        "Ticker  Revenue (USD mn)[3]     Growth",
        "------  -------------------  ---------",
        "A                  1,111.00  +30.1%[1]",
        "B                      2.50  -10.0%[4]",
    ]
    assert "[4] Cell source — example.com (web)" in text


def test_units_go_in_the_header_and_changes_are_signed() -> None:
    table = Artifact.from_raw("t1", {
        "output_type": "table",
        "columns": [
            {"name": "Employees", "col_type": "integer_with_unit", "unit": "employees"},
            {"name": "Price", "col_type": "currency", "unit": "EUR"},
            {"name": "Gross margin", "col_type": "percent"},
            {"name": "1Y return", "col_type": "percent"},
            {"name": "Revenue YoY", "col_type": "pct_delta"},
            {"name": "EPS change QoQ", "col_type": "delta", "unit": "USD"},
        ],
        "rows": [[61000, 1234.5, 0.45, 0.301, 0.235, 0.38], [900, -3.0, 0.0, -0.2, -0.01, -0.05]],
    })  # fmt: skip
    text = answer_bundle(make_answer(marker("t1"), artifacts=[table]))[0]["text/plain"]
    assert text.splitlines()[:4] == [
        "Employees  Price (EUR)  Gross margin  1Y return  Revenue YoY  EPS change QoQ (USD)",
        "---------  -----------  ------------  ---------  -----------  --------------------",
        "   61,000     1,234.50         45.0%     +30.1%       +23.5%                 +0.38",
        "      900        -3.00          0.0%     -20.0%        -1.0%                 -0.05",
    ]


def test_the_notes_call_the_answer_by_the_name_given() -> None:
    rows = [[f"T{i}", 1.0, 0.1] for i in range(30)]
    table = Artifact.from_raw("t1", {"output_type": "table", "columns": [
        {"name": "Ticker", "col_type": "string"}, {"name": "P/E", "col_type": "float"},
        {"name": "Yield", "col_type": "percent"}], "rows": rows})  # fmt: skip
    text = answer_bundle(make_answer(marker("t1"), artifacts=[table]), table_rows=2, name="ans")[0]["text/plain"]
    assert "2 of 30 rows · ans.tables[0] has all 30 · %config AlfaMagics.table_rows = 30 shows them all here" in text
    assert "T0      1.00  10.0%" in text  # a yield is a level: unsigned
