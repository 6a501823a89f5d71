"""notebooks/quickstart.ipynb in JupyterLab, in headless Chromium, checked as a person sees it.

One JupyterLab and one emulator for the checks, which follow one another as a person would work:
ask and watch the answer stream; read the finished answer, its table and its sources, and click a
marker; ask again in the background and press Stop; ask for a wide table and a chart and read
them in a wide and a narrow window; save, shut the kernel down and reload; open an untrusted copy
(as on another machine), whose outputs JupyterLab sanitises. Screenshots of the streaming answer,
the finished one (light and dark theme), the sources with one card opened (light and dark), a
card opened from its marker, the wide table (wide and narrow window), the chart, the answer after
the reload and the untrusted chart go to ``build/screenshots/``. Last, the saved notebook as
nbconvert's HTML: a marker opens its card there too.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import nbformat
import pytest
from playwright.sync_api import Locator, Page, expect

from alfa_notebook.emulator import Emulator
from alfa_notebook.render.html import NO_PLOT

from .conftest import Lab
from .notebook import DARK, LIGHT, SHOWN, Notebook

pytestmark = [pytest.mark.browser, pytest.mark.long, pytest.mark.timeout(300)]

QUESTION_CELL = "%%alfa -o ans --df prices"
STOP_CELL = "%%alfa --background\nScreen all columns and chart the trend of revenue, with a memo"
ANSWER = ".jp-OutputArea-output .alfa-answer"
LIVE = ".jp-OutputArea-output .alfa-answer.alfa-live"
FINAL = ".jp-OutputArea-output .alfa-answer:not(.alfa-live)"
END_OF_ANSWER = "Emulator: synthetic sample data, not market data."
COLUMNS = ["#", "Security", "1Y return", "YTD return", "Price (USD)"]
WIDE_CELL = "%%alfa\nRun the stock screen"
CHART_CELL = "%%alfa\nCompare NVDA and AMD price trend over time"
CHART_TITLE = "Monthly close, 2024-06 to 2025-06"
VIEWPORT, WIDE, NARROW = ({"width": w, "height": 1600} for w in (1100, 1500, 700))
UNTRUSTED = "untrusted-copy.ipynb"


def test_quickstart_in_jupyterlab(page: Page, lab: Lab, browser_emulator: Emulator, screenshots: Path) -> None:
    notebook = Notebook(page, lab, "quickstart.ipynb").open()
    notebook.run_to_end(notebook.cell("%load_ext alfa_notebook"))
    question = notebook.cell(QUESTION_CELL)

    check_streaming(notebook, question, screenshots)
    final = check_final_output(notebook, question, screenshots)
    stopped = check_stop(notebook, question, browser_emulator)
    chart = check_wide_table_and_chart(notebook, stopped, screenshots)
    check_reload(notebook, final, screenshots)
    check_untrusted_copy(notebook, chart, screenshots)
    check_nbconvert_html(page, lab, screenshots)


def check_streaming(notebook: Notebook, cell: Locator, screenshots: Path) -> None:
    """A work-in-progress line shows before the first word; then the answer grows."""
    outputs = notebook.run(cell)
    log = notebook.page.wait_for_function(
        """(area) => {
            const live = area.querySelector('.alfa-answer.alfa-live');
            const log = live && live.querySelector('.alfa-live-log');
            const body = live && live.querySelector('.alfa-body');
            const shown = log && log.getClientRects().length > 0 && !/^›\\s*Started$/.test(log.innerText.trim());
            return shown && body.innerText.trim() === '' ? log.innerText.trim() : false;
        }""",
        arg=outputs.element_handle(),
    ).json_value()
    assert re.match(r"› (Identifying securities: QCOM|Fetching prices and returns for 5 stocks)", log), log

    first = read_growing(notebook, outputs, longer_than=0)
    second = read_growing(notebook, outputs, longer_than=len(first))
    assert second != first and len(second) > len(first), (first, second)

    read_growing(notebook, outputs, longer_than=400)  # a few paragraphs in, still streaming
    expect(cell.locator(LIVE).locator(".alfa-live-status")).to_contain_text("Answering")
    cell.screenshot(path=screenshots / "streaming.png")


def read_growing(notebook: Notebook, outputs: Locator, *, longer_than: int) -> str:
    """The live answer's text, once it is longer than ``longer_than`` characters. (The live view
    is drawn anew on every update, so it is looked up in the cell's output area at each poll.)"""
    return notebook.page.wait_for_function(
        """([area, n]) => {
            const body = area.querySelector('.alfa-answer.alfa-live .alfa-body');
            return body && body.innerText.length > n ? body.innerText : false;
        }""",
        arg=[outputs.element_handle(), longer_than],
    ).json_value()


def check_final_output(notebook: Notebook, cell: Locator, screenshots: Path) -> str:
    """The finished answer: a real table, collapsed citation cards, one of which opens on a click.
    Returns the answer's text, to compare after the reload."""
    final = cell.locator(FINAL)
    expect(final.locator(".alfa-sources")).to_be_visible(timeout=60_000)
    notebook.wait_done(cell)
    expect(cell.locator(ANSWER)).to_have_count(1)  # the live view was replaced, not added to
    expect(final.locator(".alfa-body")).to_contain_text(END_OF_ANSWER)
    text = final.locator(".alfa-body").inner_text()

    check_table(final.locator("table.alfa-table"))
    cards = check_cards_collapsed(final)
    cell.screenshot(path=screenshots / "final-light.png")

    open_card(with_link(cards))
    notebook.screenshot(final.locator(".alfa-sources"), screenshots / "card-light.png", margin=8)
    check_marker_opens_its_card(notebook, final, screenshots)

    notebook.set_theme(DARK)
    cell.screenshot(path=screenshots / "final-dark.png")
    notebook.screenshot(final.locator(".alfa-sources"), screenshots / "card-dark.png", margin=8)
    notebook.set_theme(LIGHT)
    return text


def check_table(table: Locator) -> None:
    """Laid out as a table: header and five rows, every column's cells one above the other."""
    expect(table).to_be_visible()
    expect(table.locator("thead th")).to_have_text(COLUMNS)
    expect(table.locator("tbody tr")).to_have_count(5)
    columns = table.evaluate(
        """(table) => [...table.rows].map(row => [...row.cells].map(cell => {
            const box = cell.getBoundingClientRect();
            return [Math.round(box.left), Math.round(box.right)];
        }))"""
    )
    assert all(row == columns[0] for row in columns), columns
    assert [right - left > 10 for left, right in columns[0]] == [True] * len(COLUMNS), columns
    assert table.evaluate("t => getComputedStyle(t).display") == "table"


def check_cards_collapsed(final: Locator) -> Locator:
    cards = final.locator(".alfa-sources details.alfa-card")
    expect(cards.first).to_be_visible()
    assert cards.count() >= 3
    for card in cards.all():
        expect(card.locator("summary")).to_be_visible()
        expect(card).not_to_have_attribute("open", "")
        expect(card.locator(".alfa-card-body")).to_be_hidden()
    return cards


def with_link(cards: Locator) -> Locator:
    """The first card with a snippet and a web link."""
    return cards.filter(has=cards.page.locator(".alfa-snippet")).filter(has=cards.page.locator(".alfa-link a")).first


def open_card(card: Locator) -> None:
    card.locator("summary").click()
    expect(card).to_have_attribute("open", "")
    expect(card.locator(".alfa-snippet")).to_be_visible()
    expect(card.locator(".alfa-snippet")).not_to_be_empty()
    link = card.locator(".alfa-link a")
    expect(link).to_be_visible()
    expect(link).to_have_attribute("href", re.compile(r"^https?://"))
    expect(link).to_have_text(re.compile(r"\S"))


def check_marker_opens_its_card(notebook: Notebook, final: Locator, screenshots: Path) -> None:
    """A click on an inline [n] opens card n, outlined, with its title in sight (no script: the
    link points into the collapsed card, which the browser opens to show it)."""
    marker = final.locator(".alfa-body sup.alfa-cite a").nth(2)
    number = marker.inner_text().strip("[]")
    card = final.locator("details.alfa-card").nth(int(number) - 1)
    expect(card).not_to_have_attribute("open", "")
    marker.click()
    expect(card).to_have_attribute("open", "")
    expect(card.locator(".alfa-card-body")).to_be_visible()
    expect(card.locator("summary")).to_be_in_viewport(ratio=1)
    summary_top = card.locator("summary").bounding_box()["y"]
    panel_top = notebook.page.locator(f"{SHOWN} .jp-WindowedPanel-outer").bounding_box()["y"]
    assert summary_top >= panel_top, (summary_top, panel_top)  # not scrolled under the toolbar
    assert card.evaluate("c => getComputedStyle(c).outlineStyle") == "solid"  # the card is highlighted
    notebook.page.screenshot(path=screenshots / "marker-opens-card.png")


def check_stop(notebook: Notebook, after: Locator, emulator: Emulator) -> Locator:
    """``--background``: a click on Stop ends the answer as cancelled and keeps what arrived."""
    cell = notebook.add_cell_below(after, STOP_CELL)
    outputs = notebook.run(cell)
    stop = cell.get_by_role("button", name="Stop")
    expect(stop).to_be_enabled()
    partial = read_growing(notebook, outputs, longer_than=150)
    stop.click()

    final = cell.locator(FINAL)
    expect(final.locator(".alfa-status-cancelled")).to_be_visible()
    expect(final.locator(".alfa-status-cancelled")).to_contain_text("Stopped")
    expect(final.locator(".alfa-footer")).to_contain_text("cancelled")
    expect(stop).to_have_count(0)
    kept = final.locator(".alfa-body").inner_text()
    assert kept.split()[:20] == partial.split()[:20], (partial, kept)
    assert END_OF_ANSWER not in kept

    thread = re.search(r"thread (\S+)", final.locator(".alfa-footer").inner_text()).group(1)
    progress = httpx.get(
        f"{emulator.base_url}/client/v1/threads/{thread}/progress", headers={"x-api-key": emulator.api_key}
    ).json()["progress_data"]
    assert progress["status"] == "Cancelled", progress
    return cell


def check_wide_table_and_chart(notebook: Notebook, after: Locator, screenshots: Path) -> Locator:
    """A wide table uses the cell's whole width and scrolls sideways, in a wide window and in a
    narrow one, where nothing else overflows; a chart is drawn with its data below. Returns the
    chart's cell."""
    wide = notebook.add_cell_below(after, WIDE_CELL)
    notebook.run_to_end(wide)
    output = wide.locator(".jp-OutputArea-output").filter(has=notebook.page.locator(".alfa-answer"))
    scroller = wide.locator(FINAL).locator(".alfa-table-wrap").first
    expect(scroller).to_be_visible()
    notebook.page.set_viewport_size(WIDE)
    widths = scroller.evaluate(
        """(wrap) => {
            const out = wrap.closest('.jp-OutputArea-output'), style = getComputedStyle(out);
            const room = out.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
            return {wrap: wrap.clientWidth, scroll: wrap.scrollWidth, room: Math.round(room)};
        }"""
    )
    assert widths["wrap"] > 960 and widths["wrap"] >= widths["room"] - 1, widths  # the whole width, not 960 px
    assert widths["scroll"] > widths["wrap"], widths  # the rest is a scroll away
    expect(wide.locator(FINAL).locator("table.alfa-table thead th")).to_have_count(17)
    notebook.screenshot(output, screenshots / "wide-table.png")

    notebook.page.set_viewport_size(NARROW)
    overflow = output.evaluate(
        """(out) => [...out.querySelectorAll('.alfa-answer, .alfa-answer *')]
            .filter(e => !e.closest('.alfa-table-wrap') && !e.closest('pre'))
            .filter(e => e.getBoundingClientRect().right > out.getBoundingClientRect().right + 0.5)
            .map(e => e.tagName + '.' + e.className)"""
    )
    assert overflow == [], overflow  # nothing sticks out of the output in a narrow window...
    assert output.evaluate("o => o.scrollWidth <= o.clientWidth")
    assert scroller.evaluate("w => w.scrollWidth > w.clientWidth")  # ...the table scrolls instead
    notebook.screenshot(output, screenshots / "wide-table-narrow.png")
    notebook.page.set_viewport_size(VIEWPORT)

    chart = notebook.add_cell_below(wide, CHART_CELL)
    notebook.run_to_end(chart)
    drawn = chart.locator(FINAL).locator(".alfa-chart").first
    expect(drawn.locator("svg.alfa-chart-svg")).to_be_visible()
    expect(drawn.locator(".alfa-no-plot")).to_be_hidden()  # the note is for where the chart is not drawn
    expect(drawn.locator("details > summary")).to_have_text("Data (20 of 26 rows)")
    notebook.screenshot(drawn, screenshots / "chart.png", margin=8)
    return chart


def check_reload(notebook: Notebook, text: str, screenshots: Path) -> None:
    """Saved, kernel shut down, page reloaded: the answer, its table and sources are still there."""
    notebook.save()
    kernels = {k["id"] for k in notebook.lab.api("GET", "kernels").json()}
    notebook.lab.shut_down_kernels()
    saved = nbformat.read(notebook.lab.root / notebook.name, as_version=4)
    assert any("<table" in o.get("data", {}).get("text/html", "") for c in saved.cells for o in c.get("outputs", []))

    notebook.reload()
    assert not kernels & {k["id"] for k in notebook.lab.api("GET", "kernels").json()}, "the old kernel still runs"

    question = notebook.cell(QUESTION_CELL)
    final = question.locator(FINAL)
    expect(final.locator(".alfa-body")).to_have_text(text, use_inner_text=True)
    check_table(final.locator("table.alfa-table"))
    open_card(with_link(check_cards_collapsed(final)))
    question.screenshot(path=screenshots / "reloaded.png")

    stopped = notebook.cell(STOP_CELL.splitlines()[-1]).locator(FINAL)
    expect(stopped.locator(".alfa-status-cancelled")).to_be_visible()
    expect(stopped.locator(".alfa-body")).not_to_be_empty()


def check_untrusted_copy(notebook: Notebook, chart: Locator, screenshots: Path) -> None:
    """The saved notebook, changed outside JupyterLab as on another machine, opens untrusted:
    JupyterLab sanitises its outputs. The chart gives way to a note and its data, the answer's
    text, table and citation cards still read well, and no stylesheet or axis labels show as text."""
    saved = nbformat.read(notebook.lab.root / notebook.name, as_version=4)
    saved.metadata["copied"] = True  # a changed notebook loses its signature: untrusted
    nbformat.write(saved, notebook.lab.root / UNTRUSTED)
    copy = Notebook(notebook.page, notebook.lab, UNTRUSTED).open()
    cell = copy.cell(CHART_CELL.splitlines()[-1])
    answer = cell.locator(ANSWER)
    expect(answer).to_have_count(1)
    expect(answer.locator("style")).to_have_count(0)  # sanitised
    expect(answer.locator("svg")).to_have_count(0)
    chart_box = answer.locator(".alfa-chart")
    expect(chart_box.locator(".alfa-no-plot")).to_have_text(NO_PLOT)
    expect(chart_box.locator(".alfa-plot")).to_be_hidden()
    expect(chart_box.locator("details > summary")).to_have_text("Data (20 of 26 rows)")
    shown = chart_box.inner_text()
    assert "NVDAAMD" not in shown and "$120.00" not in shown, shown  # no run-on labels
    assert shown.splitlines()[0].strip() == CHART_TITLE, shown
    expect(answer.locator("table.alfa-table").first).to_be_visible()
    expect(answer.locator("details.alfa-card").first).to_be_visible()
    assert "{" not in answer.inner_text()  # no stylesheet as text
    copy.screenshot(chart_box, screenshots / "untrusted-chart.png", margin=8)


def check_nbconvert_html(page: Page, lab: Lab, screenshots: Path) -> None:
    """The saved notebook as nbconvert's HTML, in the browser: a click on a marker opens its card
    there too (no script of ours; the browser opens the card that holds the link's target)."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_filename(str(lab.root / "quickstart.ipynb"))
    path = lab.root / "quickstart.html"
    path.write_text(body, encoding="utf-8")
    page.goto(path.as_uri())
    final = page.locator(".alfa-answer").first
    marker = final.locator(".alfa-body sup.alfa-cite a").nth(2)
    card = final.locator("details.alfa-card").nth(int(marker.inner_text().strip("[]")) - 1)
    expect(card).not_to_have_attribute("open", "")
    marker.click()
    expect(card).to_have_attribute("open", "")
    expect(card.locator("summary")).to_be_in_viewport(ratio=1)
    assert card.evaluate("c => getComputedStyle(c).outlineStyle") == "solid"
    page.screenshot(path=screenshots / "nbconvert-marker-opens-card.png")
