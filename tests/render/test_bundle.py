"""The final output of real emulator answers and of hand-built ones: all four parts."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime

from IPython.core.formatters import DisplayFormatter

from alfa_notebook.render import MIME_JSON, answer_bundle, answer_text
from alfa_notebook.wire.models import Artifact

from .conftest import cite, make_answer, marker, table_artifact
from .hostile import assert_inert, audit


def test_bundle_parts_and_metadata(emulator_answers) -> None:
    answer = emulator_answers["compare"]
    data, metadata = answer_bundle(answer)
    assert set(data) == {"text/html", "text/markdown", "text/plain", MIME_JSON}
    alfa = metadata["alfa"]
    assert alfa["thread_id"] == answer.thread_id and alfa["message_id"] == answer.message_id
    assert alfa["artifact_ids"] == [a.id for a in answer.artifacts] and alfa["status"] == "complete"
    assert "time" not in alfa  # nothing that differs between two runs of a notebook
    json.dumps(metadata, allow_nan=False)


def test_json_part_round_trips(emulator_answers) -> None:
    answer = emulator_answers["trend"]
    payload = answer_bundle(answer)[0][MIME_JSON]
    assert json.loads(json.dumps(payload, allow_nan=False)) == payload
    assert payload["text"] == answer.text and payload["raw_text"] == answer.raw_text
    assert payload["citations"] == [dict(c.raw) for c in answer.citations]
    assert [a["id"] for a in payload["artifacts"]] == [a.id for a in answer.artifacts]
    assert {a["kind"] for a in payload["artifacts"]} == {"table", "chart"}
    assert payload["logs"] == answer.logs and payload["status"] == "complete"


def test_nan_and_dates_in_raw_fields_become_plain_json() -> None:
    artifact = Artifact.from_raw("j", {"value": float("nan"), "when": datetime(2025, 1, 2), "inf": float("inf")})
    payload = answer_bundle(make_answer(marker("j"), artifacts=[artifact]))[0][MIME_JSON]
    assert payload["artifacts"][0]["raw"] == {"value": None, "when": "2025-01-02T00:00:00", "inf": None}
    json.dumps(payload, allow_nan=False)


def test_tables_stand_in_place_of_their_markers(emulator_answers) -> None:
    answer = emulator_answers["compare"]
    html = answer_bundle(answer)[0]["text/html"]
    first, second = (html.index(f"<caption>{a.title}</caption>") for a in answer.artifacts)
    assert (
        html.index("Key figures") < first < html.index("Revenue and earnings") < second < html.index("What stands out")
    )
    assert "output_artifact" not in html
    shown = audit(html).visible
    assert "$125.62" in shown and "-3.5%" in shown and "+29.6%" in shown and "2025Q2" in shown
    assert "Market cap (USD bn)" in shown and "3,065.10" in shown and "USD bn" not in shown.replace("(USD bn)", "")


def test_tables_are_capped_with_a_footer(emulator_answers) -> None:
    answer = emulator_answers["screen"]
    data, _ = answer_bundle(answer, table_rows=5)
    table = re.search(r'<table class="alfa-table">.*?</table>', data["text/html"], re.S).group()
    assert table.count("<tr>") == 1 + 5
    note = (
        "5 of 41 rows · <code>_alfa.tables[0]</code> has all 41 · <code>%config AlfaMagics.table_rows = 41</code>"
        " shows them all here"
    )
    assert note in data["text/html"]
    assert note.replace("<code>", "`").replace("</code>", "`") in data["text/markdown"]
    assert note.replace("<code>", "").replace("</code>", "") in data["text/plain"]
    assert answer.tables[0].shape[0] == 41  # the data is never cut


def test_numbers_are_right_aligned_and_text_is_not() -> None:
    html = answer_bundle(make_answer(marker("t1"), artifacts=[table_artifact()]))[0]["text/html"]
    cells = audit(html).elements("th")
    assert [c.get("align") for c in cells] == [None, "right", "right", None]
    assert "—" in audit(html).visible  # a missing value


def test_cards_are_collapsed_with_badge_highlight_and_link(emulator_answers) -> None:
    answer = emulator_answers["compare"]
    html = answer_bundle(answer)[0]["text/html"]
    shown = assert_inert(html)
    cards = shown.elements("details", **{"class": "alfa-card"})
    assert len(cards) == len(answer.citations) + len(TABLE_ONLY_SOURCES) and all("open" not in c for c in cards)
    note = next(c for c in answer.citations if c.type == "custom_doc")
    start, end = note.highlight
    assert f"<mark>{note.snippet[start:end]}</mark>" in html
    web = next(c for c in answer.citations if c.type == "web")
    link = shown.elements("a", href=web.url)[0]
    assert link["rel"] == "noopener noreferrer" and link["target"] == "_blank"
    badges = re.findall(r"<span class=\"alfa-badge alfa-badge-(\w+)\"><bdi>(\w+)</bdi></span>", html)
    assert {b for _, b in badges} == {"document", "kpi", "filing", "earnings", "news", "web", "theme"}
    assert "7 articles" in html and "fetched 2025-06-29" in html
    assert "research.example.com" in html and "2025-06-28" in html  # publisher or domain, date


def test_markers_link_to_this_outputs_cards_only(emulator_answers) -> None:
    answer = emulator_answers["compare"]
    one, two = (assert_inert(answer_bundle(answer)[0]["text/html"]) for _ in range(2))
    ids_one = {a["name"] for a in one.elements("a") if "name" in a}
    ids_two = {a["name"] for a in two.elements("a") if "name" in a}
    assert not ids_one & ids_two  # one answer shown twice: no shared anchors
    hrefs = {a["href"][1:] for a in one.elements("a") if a.get("href", "").startswith("#")}
    assert hrefs == ids_one
    assert len(hrefs) == len(answer.citations) + len(TABLE_ONLY_SOURCES)


# The compare answer's tables cite sources the text does not (in cells); the others they cite
# (the price column's source, ...) are the text's, under other ids, and keep the text's numbers.
TABLE_ONLY_SOURCES = ["NVIDIA Corp.: valuation overview", "AMD share price, monthly close (synthetic)",
                      "AMD quarterly report (10-Q), 2025Q2", "AMD 2025Q2 earnings summary"]  # fmt: skip


def test_the_tables_sources_follow_the_texts(emulator_answers) -> None:
    answer = emulator_answers["compare"]
    data, _ = answer_bundle(answer)
    text = data["text/plain"]
    sources = text[text.index("\nSources\n") :]
    for n, title in enumerate(TABLE_ONLY_SOURCES, start=len(answer.citations) + 1):
        assert f"\n[{n}] {title} — " in sources
    assert re.search(r"\nNVDA +125\.62\[2\] ", text)  # NVDA's price cites the text's [2], not a copy of it
    titles = re.findall(r'<strong class="alfa-card-title"><bdi>(.*?)</bdi>', data["text/html"])
    assert len(titles) == len(set(titles))  # one card per source


def test_footer_carries_thread_message_and_elapsed(emulator_answers) -> None:
    answer = emulator_answers["compare"]
    data, _ = answer_bundle(answer)
    footer = re.search(r'<div class="alfa-footer">.*?</div>', data["text/html"], re.S).group()
    assert answer.thread_id in footer and answer.message_id in footer and " s" in footer
    assert answer.thread_id in data["text/markdown"] and answer.message_id in data["text/plain"]


def test_dollars_are_escaped_in_html_and_markdown(emulator_answers) -> None:
    data, _ = answer_bundle(emulator_answers["compare"])
    html = data["text/html"]
    assert "$" not in html and "&#36;125.62" in html
    assert 'class="alfa-answer tex2jax_ignore mathjax_ignore"' in html
    assert re.search(r"(?<!\\)\$", data["text/markdown"]) is None
    assert "\\$125.62" in data["text/markdown"]
    assert "$125.62" in data["text/plain"]


def test_dollars_in_code_stay_verbatim_in_markdown() -> None:
    markdown = answer_bundle(make_answer("Price $5 and `echo $HOME`"))[0]["text/markdown"]
    assert "Price \\$5 and `echo $HOME`" in markdown


def test_markdown_part_has_tables_sources_and_markers(emulator_answers) -> None:
    answer = emulator_answers["compare"]
    markdown = answer_bundle(answer)[0]["text/markdown"]
    assert (
        "| Security | Price (USD) | 1M return |" in markdown
        and "| NVDA | 125.62\\[2\\] |" in markdown
        and "|---|---:|---:|" in markdown
    )
    assert "**Sources**" in markdown and "1. **Emulator research note (synthetic)**" in markdown
    assert "<https://news.example.com/articles/" in markdown
    assert all(f"\\[{n}\\]" in markdown for n in range(1, len(answer.citations) + 1))
    assert "output_artifact" not in markdown


def test_plain_text_has_tables_and_numbered_sources(emulator_answers) -> None:
    answer = emulator_answers["compare"]
    text = answer_text(answer)
    assert text == answer_bundle(answer)[0]["text/plain"]
    assert "Security  Price (USD)  1M return" in text and "NVDA        125.62[2]      -3.5%" in text
    assert "\nSources\n[1] Emulator research note (synthetic) — 2025-05-31 (document)\n" in text
    assert "    https://research.example.com/companies/amd/valuation" in text
    assert "]NVDA" not in text and "output_artifact" not in text


def test_a_chart_is_drawn_with_its_data_below(emulator_answers) -> None:
    html = answer_bundle(emulator_answers["trend"])[0]["text/html"]
    svg = re.search(r"<svg.*?</svg>", html, re.S).group()
    assert svg.count("<polyline") == 2 and "<title>Monthly close, 2024-06 to 2025-06</title>" in svg
    assert ">NVDA</text>" in svg and ">AMD</text>" in svg and "&#36;" in svg  # legend, currency ticks
    labels = re.findall(r'<text x="[\d.]+" y="[\d.]+" text-anchor="\w+" [^>]*>(\d{4}-\d\d-\d\d)</text>', svg)
    assert labels == ["2024-06-30", "2024-09-30", "2024-12-31", "2025-03-31", "2025-06-30"]  # every 3 months
    assert "<details><summary>Data (20 of 26 rows)</summary>" in html
    chart_id = emulator_answers["trend"].artifacts[1].id
    assert f"<code>_alfa.artifact(&#x27;{chart_id}&#x27;).to_dataframe()</code> has all 26" in html
    assert "<th>Security</th><th>Date</th>" in html


def test_a_text_artifact_is_rendered_as_markdown(emulator_answers) -> None:
    html = answer_bundle(emulator_answers["memo"])[0]["text/html"]
    memo = re.search(r'<div class="alfa-artifact alfa-text">.*?</div></div>', html, re.S).group()
    assert "<strong>Research memo</strong>" in memo and "Leader: GOOGL at +7.3%" in memo
    assert "<em>Emulator: synthetic sample data" in memo


def test_json_missing_and_unplaced_artifacts_are_shown() -> None:
    blob = Artifact.from_raw("j1", {"title": "Blob", "payload": [1, 2]})
    extra = table_artifact("t9", title="Never placed")
    answer = make_answer(f"A.\n\n{marker('j1')}\n\n{marker('gone')}\n\nB.", artifacts=[blob, extra],
                         warnings=["Artifact gone could not be fetched: 404"])  # fmt: skip
    data, _ = answer_bundle(answer)
    html = data["text/html"]
    assert "<details><summary><bdi>Blob</bdi> (JSON)</summary><pre>{\n  &quot;title&quot;: &quot;Blob&quot;" in html
    assert "⚠ Artifact gone could not be fetched: 404" in html
    assert html.index("B.") < html.index("<caption>Never placed</caption>")
    assert "Never placed" in data["text/markdown"] and "Never placed" in data["text/plain"]


def test_a_table_that_does_not_convert_is_shown_as_json_with_the_reason() -> None:
    bad = Artifact.from_raw("t1", {"output_type": "table", "title": "Bad",
                                   "columns": [{"name": "n", "col_type": "integer"}], "rows": [["twelve"]]})  # fmt: skip
    html = answer_bundle(make_answer(marker("t1"), artifacts=[bad]))[0]["text/html"]
    assert "Could not be read as a table" in html and "twelve" in html


def test_a_cancelled_partial_answer_shows_its_status() -> None:
    answer = make_answer("Half an ans", status="cancelled", warnings=["User cancelled message"],
                         citations=[cite(4, 1)], elapsed=2.5)  # fmt: skip
    data, metadata = answer_bundle(answer)
    shown = assert_inert(data["text/html"])
    assert shown.elements("div", role="status")
    assert "Stopped: the answer is incomplete." in shown.visible and "User cancelled message" in shown.visible
    assert "Half[1] an ans" in data["text/plain"] and "[Stopped] the answer is incomplete." in data["text/plain"]
    assert "**Stopped:**" in data["text/markdown"] and "cancelled" in shown.visible
    assert metadata["alfa"]["status"] == "cancelled"


def test_an_error_with_no_text_still_renders() -> None:
    data, _ = answer_bundle(make_answer("", status="error", thread_id=None, message_id=None))
    shown = assert_inert(data["text/html"])
    assert "Failed: the answer is incomplete." in shown.visible and "No answer text." in shown.visible


def test_the_suggested_repr_mimebundle_displays_the_whole_output(emulator_answers) -> None:
    """The one-line ``Answer._repr_mimebundle_`` proposed for answer.py works with IPython."""
    answer = emulator_answers["compare"]

    class Shown:
        def _repr_mimebundle_(self, include=None, exclude=None):  # type: ignore[no-untyped-def]
            return answer_bundle(answer)

    data, metadata = DisplayFormatter().format(Shown())
    assert {"text/html", "text/markdown", "text/plain", MIME_JSON} <= set(data)
    assert metadata["alfa"]["message_id"] == answer.message_id


def test_importing_the_renderer_stays_cheap() -> None:
    code = "import sys, alfa_notebook.render; print([m for m in ('pandas', 'ipywidgets', 'markdown_it', 'nh3') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
