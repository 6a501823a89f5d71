"""An untrusted notebook: the output as JupyterLab's sanitiser leaves it still reads well."""

from __future__ import annotations

import re

from alfa_notebook.render import answer_bundle
from alfa_notebook.render.html import NO_PLOT

from .lab_sanitizer import reading, sanitize


def test_a_chart_gives_way_to_a_note_and_its_data(emulator_answers) -> None:
    html = sanitize(answer_bundle(emulator_answers["trend"])[0]["text/html"])
    assert "<svg" not in html and "<style" not in html
    lines = reading(html)
    title = lines.index("Monthly close, 2024-06 to 2025-06")
    assert lines[title + 1 : title + 3] == [NO_PLOT, "Data (20 of 26 rows)"]
    assert not any("NVDAAMD" in line or "$120.00" in line for line in lines)  # no run-on axis labels
    assert "<table" in html and "<th>Security</th><th>Date</th>" in html  # the data, kept


def test_the_note_is_hidden_where_the_chart_is_drawn(emulator_answers) -> None:
    html = answer_bundle(emulator_answers["trend"])[0]["text/html"]
    assert '<div class="alfa-plot" hidden="hidden"><svg' in html
    assert ".alfa-answer:has(>style) .alfa-plot[hidden]{display:block}" in html  # this output's stylesheet
    assert ".alfa-answer:has(>style) .alfa-no-plot{display:none}" in html


def test_the_whole_answer_reads_as_text_without_its_stylesheet(emulator_answers) -> None:
    lines = reading(sanitize(answer_bundle(emulator_answers["compare"])[0]["text/html"]))
    assert not any("{" in line for line in lines)  # no stylesheet shown as text
    assert "Security Price (USD) 1M return YTD return 1Y return Market cap (USD bn) Pays dividend" in lines
    assert "Sources" in lines
    assert "[1] document Emulator research note (synthetic) — 2025-05-31" in lines  # a card's summary


def test_a_marker_reads_as_plain_text_where_its_link_would_lead_nowhere(emulator_answers) -> None:
    """The sanitiser strips the card's ``<a name>`` target: a link left visible would do nothing,
    so the reader sees ``[n]``, the number of a card in the Sources below, and no link."""
    html = sanitize(answer_bundle(emulator_answers["compare"])[0]["text/html"])
    assert 'name="alfa-src-' not in html  # the targets are gone, as in JupyterLab
    visible = reading(html)
    assert "NVDA 125.62[2] -3.5% -8.2% -16.8%[6] 3,065.10[10] True" in visible  # markers in a table
    assert any(line.endswith("(-16.8%).[6]") for line in visible)  # a marker in the prose
    links = re.findall(r"<a [^>]*>", html)
    assert links and all("hidden" in link for link in links if 'href="#' in link)  # every dead link hidden


def test_the_stylesheet_shows_the_link_instead_of_the_text(emulator_answers) -> None:
    html = answer_bundle(emulator_answers["compare"])[0]["text/html"]
    assert ".alfa-answer:has(>style) .alfa-cite a[hidden]{display:inline}" in html
    assert ".alfa-answer:has(>style) .alfa-cite-n{display:none}" in html
