"""A notebook open in JupyterLab, driven as a person drives it: click a cell, Shift+Enter, read.

Every wait is Playwright's own (``expect`` and ``wait_for_function`` poll until a deadline), never
a fixed sleep.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

from .conftest import Lab

LIGHT, DARK = "JupyterLab Light", "JupyterLab Dark"
_DONE_PROMPT = re.compile(r"^\[\d+\]:$")
SHOWN = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook in front: another one may be open behind


class Notebook:
    def __init__(self, page: Page, lab: Lab, name: str) -> None:
        self.page = page
        self.lab = lab
        self.name = name

    # -- the page ---------------------------------------------------------------------------------

    def open(self) -> Notebook:
        """Open the notebook, wait for its kernel, and give it the whole width of the window."""
        self.page.goto(self.lab.url(f"lab/tree/{self.name}"))
        return self.ready()

    def reload(self) -> Notebook:
        self.page.reload()
        return self.ready()

    def ready(self) -> Notebook:
        expect(self.page.locator(f"{SHOWN} .jp-Notebook .jp-Cell").first).to_be_visible(timeout=60_000)
        self.page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell")
        self.page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
        self.wait_idle()
        return self

    def wait_idle(self, timeout: float = 60_000) -> None:
        """Until the notebook's kernel is attached, connected and idle. (The toolbar's indicator
        reads "idle" before a kernel is attached, and a cell run then is silently dropped.)"""
        self.page.wait_for_function(
            """() => {
                const panel = window.jupyterapp.shell.currentWidget;
                const kernel = panel && panel.sessionContext && panel.sessionContext.session
                    && panel.sessionContext.session.kernel;
                return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
            }""",
            timeout=timeout,
        )
        expect(self.page.locator(f"{SHOWN} .jp-Notebook-ExecutionIndicator")).to_have_attribute("data-status", "idle")

    def command(self, command: str, args: dict[str, Any] | None = None) -> None:
        self.page.evaluate("([id, args]) => window.jupyterapp.commands.execute(id, args)", [command, args or {}])

    def set_theme(self, theme: str) -> None:
        """Switch the theme and wait until the notebook is painted in it (dark or light background)."""
        self.command("apputils:change-theme", {"theme": theme})
        self.page.wait_for_function(
            """([name, dark]) => {
                if (document.body.dataset.jpThemeName !== name) return false;
                const [r, g, b] = getComputedStyle(document.querySelector('.jp-Notebook')).backgroundColor
                    .match(/[\\d.]+/g).map(Number);
                return (0.2126 * r + 0.7152 * g + 0.0722 * b < 128) === dark;
            }""",
            arg=[theme, theme == DARK],
        )
        expect(self.page.locator("#jupyterlab-splash")).to_have_count(0)  # shown while a theme loads

    def screenshot(self, locator: Locator, path: Path, *, margin: int = 0) -> None:
        """``locator`` as it is on screen, with ``margin`` pixels of its surroundings."""
        locator.evaluate("e => e.scrollIntoView({block: 'center'})")  # its surroundings on screen too
        box = locator.bounding_box()
        assert box is not None, f"{locator} is not on screen"
        clip = {"x": box["x"] - margin, "y": box["y"] - margin,
                "width": box["width"] + 2 * margin, "height": box["height"] + 2 * margin}  # fmt: skip
        self.page.screenshot(path=path, clip=clip)

    def save(self) -> None:
        """Ctrl+S, then wait until the tab no longer shows unsaved changes."""
        self.page.locator(f"{SHOWN} .jp-Notebook").first.click(position={"x": 5, "y": 5})
        self.page.keyboard.press("Escape")
        self.page.keyboard.press("Control+s")
        expect(self.page.locator(".lm-TabBar-tab.jp-mod-current")).not_to_have_class(re.compile(r"jp-mod-dirty"))
        self.page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty")

    # -- cells ------------------------------------------------------------------------------------

    def cell(self, source: str) -> Locator:
        """The one code cell whose source contains ``source``."""
        cells = self.page.locator(f"{SHOWN} .jp-Notebook .jp-CodeCell").filter(
            has=self.page.locator(".jp-InputArea-editor", has_text=source)
        )
        expect(cells).to_have_count(1)
        return cells

    def run(self, cell: Locator) -> Locator:
        """Click into ``cell`` and press Shift+Enter; returns its output area."""
        editor = cell.locator(".jp-InputArea-editor .cm-content")
        editor.scroll_into_view_if_needed()
        editor.click()
        expect(cell).to_have_class(re.compile(r"\bjp-mod-active\b"))
        expect(editor).to_be_focused()
        self.page.keyboard.press("Shift+Enter")
        expect(cell.locator(".jp-InputPrompt")).not_to_have_text("[ ]:")  # "[*]:" or already "[n]:"
        return cell.locator(".jp-OutputArea")

    def run_to_end(self, cell: Locator, timeout: float = 60_000) -> Locator:
        outputs = self.run(cell)
        self.wait_done(cell, timeout)
        return outputs

    def wait_done(self, cell: Locator, timeout: float = 60_000) -> None:
        """Until the cell's prompt shows an execution count instead of ``[*]``."""
        expect(cell.locator(".jp-InputPrompt")).to_have_text(_DONE_PROMPT, timeout=timeout)

    def add_cell_below(self, cell: Locator, source: str) -> Locator:
        """A new code cell under ``cell``, with ``source`` typed into it."""
        cell.locator(".jp-InputPrompt").click()  # selects the cell, command mode
        self.page.keyboard.press("Escape")
        self.page.keyboard.press("b")  # a new cell below, selected
        self.page.keyboard.press("Enter")  # edit it
        editor = self.page.locator(f"{SHOWN} .jp-Notebook .jp-Cell.jp-mod-active .cm-content")
        expect(editor).to_be_focused()
        self.page.keyboard.type(source)
        return self.cell(source.splitlines()[-1])
