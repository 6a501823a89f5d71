"""An untrusted notebook: the output as JupyterLab's sanitiser leaves it still reads well."""

from __future__ import annotations

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
    assert "Security Price (USD)[2] 1M return YTD return 1Y return Market cap (USD bn) Pays dividend" in lines
    assert "Sources" in lines
    assert "[1] document Emulator research note (synthetic) — 2025-05-31" in lines  # a card's summary
