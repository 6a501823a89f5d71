"""Executing notebooks as a user's kernel would (nbclient), exporting them as nbconvert does, and
reading their outputs' HTML as a browser would (``html.parser``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import nbclient
import nbformat
import pytest

ENV = ("ALFA_API_KEY", "ALFA_ACCESS_TOKEN", "ALFA_BASE_URL", "ALFA_API_VERSION", "INVESTING_ASSISTANT_API_KEY",
       "INVESTING_ASSISTANT_BASE_URL", "ALFA_API_BASE_URL")  # fmt: skip


def notebook_of(*cells: str) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def execute(
    notebook: nbformat.NotebookNode, *, base_url: str, api_key: str, workdir: Path, name: str, timeout: int = 120
) -> Path:
    """Run ``notebook`` top to bottom in a fresh kernel whose environment holds the credentials
    (as ``make lab`` sets them), as nbconvert or papermill would, and save it as a user would:
    ``workdir/name.ipynb``. ``timeout`` bounds each cell."""
    with pytest.MonkeyPatch.context() as env:  # the kernel inherits the environment
        for variable in ENV:
            env.delenv(variable, raising=False)
        env.setenv("ALFA_BASE_URL", base_url)
        env.setenv("ALFA_API_KEY", api_key)
        env.setenv("JUPYTER_PLATFORM_DIRS", "1")
        client = nbclient.NotebookClient(
            notebook, kernel_name="python3", timeout=timeout, resources={"metadata": {"path": str(workdir)}}
        )
        client.execute()
    saved = workdir / f"{name}.ipynb"
    nbformat.write(notebook, saved)
    return saved


def export_html(path: Path) -> str:
    """The notebook as nbconvert's HTML export (the ``lab`` template) makes it."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_filename(str(path))
    return body


def outputs(notebook: nbformat.NotebookNode) -> Iterator[tuple[Any, Any]]:
    """Every (cell, output) of the code cells."""
    for cell in notebook.cells:
        if cell.cell_type == "code":
            for output in cell.outputs:
                yield cell, output


# -- what a browser would parse -----------------------------------------------------------------

EXECUTABLE_TAGS = {
    "script", "iframe", "object", "embed", "form", "frame", "frameset", "base", "meta", "link", "applet",
    "portal", "input", "button", "textarea", "select",
}  # fmt: skip
URL_ATTRIBUTES = {
    "href",
    "src",
    "xlink:href",
    "action",
    "formaction",
    "data",
    "poster",
    "background",
    "srcset",
    "ping",
    "srcdoc",
}
BAD_SCHEME = re.compile(r"(?:java|vb|live)script:|data:", re.I)
_URL_NOISE = re.compile("[\x00-\x20\x7f]+")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Markup:
    """Elements, attributes and text of an HTML fragment, as ``html.parser`` reads it."""

    tags: list[str] = field(default_factory=list)
    attributes: list[tuple[str, str, str]] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Everything that could run: executable elements, event handlers, script URLs."""
        found = [f"<{t}>" for t in self.tags if t in EXECUTABLE_TAGS]
        for tag, name, value in self.attributes:
            if name.startswith("on"):
                found.append(f"{name}= on <{tag}>")
            probe = _URL_NOISE.sub("", value)
            if (name in URL_ATTRIBUTES or name == "style") and BAD_SCHEME.search(probe):
                found.append(f"{name}={value[:60]!r} on <{tag}>")
            if name in URL_ATTRIBUTES and not probe.startswith(("http://", "https://", "mailto:", "#")):
                found.append(f"{name}={value[:60]!r} on <{tag}> (not an http(s)/mailto link)")
        return found


class _Reader(HTMLParser):
    def __init__(self, markup: Markup) -> None:
        super().__init__(convert_charrefs=True)
        self.markup = markup

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.markup.tags.append(tag)
        self.markup.attributes += [(tag, name.lower(), value or "") for name, value in attrs]

    def handle_data(self, data: str) -> None:
        self.markup.text.append(data)


def read_html(html: str) -> Markup:
    markup = Markup()
    reader = _Reader(markup)
    reader.feed(html)
    reader.close()
    return markup


class _OutputAreas(HTMLParser):
    """The HTML inside nbconvert's output areas (``jp-OutputArea-output``), one fragment each."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.areas: list[Markup] = []
        self._depth = 0  # open elements inside the current area (0: outside any)

    def _inside(self) -> Markup | None:
        return self.areas[-1] if self._depth else None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if not self._depth and tag == "div" and "jp-OutputArea-output" in classes:
            self.areas.append(Markup())
            self._depth = 1
            return
        area = self._inside()
        if area is None:
            return
        area.tags.append(tag)
        area.attributes += [(tag, name.lower(), value or "") for name, value in attrs]
        if tag not in _VOID:
            self._depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        area = self._inside()
        if area is not None:
            area.tags.append(tag)
            area.attributes += [(tag, name.lower(), value or "") for name, value in attrs]

    def handle_endtag(self, tag: str) -> None:
        if self._depth and tag not in _VOID:
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        area = self._inside()
        if area is not None:
            area.text.append(data)

    def handle_entityref(self, name: str) -> None:
        self.handle_data(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.handle_data(f"&#{name};")


def output_areas(page: str) -> list[Markup]:
    reader = _OutputAreas()
    reader.feed(page)
    reader.close()
    return reader.areas
