"""``make demo``: the quickstart notebook, run headless against the local emulator.

Starts the emulator (synthetic data, loopback), executes ``notebooks/quickstart.ipynb`` with
nbclient the way nbconvert or papermill would, and mirrors it in the terminal as it runs: each
cell, the answers streaming in (work-in-progress lines, then the text as it grows), the final
answers with their tables and sources, the DataFrames. The executed notebook and an HTML copy are
written to ``build/``. Needs the ``dev`` extra (nbclient, ipykernel; nbconvert for the HTML copy).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "quickstart.ipynb"
BUILD = ROOT / "build"
MIME_JSON = "application/vnd.alfa.answer+json"
RULE = "─" * 72


class Mirror:
    """Writes what a notebook does to a terminal, from the kernel's messages as they arrive.

    An answer's live view is a display updated in place; its ``text/plain`` is the renderer's
    live text (status line, latest log line, a blank line, the answer so far), so new log lines
    and the growth of the answer are written as they come, and the final output once, whole.
    """

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._logs: list[str] = []
        self._body = ""

    def cell(self, source: str, number: int) -> None:
        self._logs, self._body = [], ""
        lines = source.splitlines() or [""]
        self.write(f"\nIn [{number}]: " + "\n        ".join(lines) + "\n")

    def display(self, data: dict[str, Any]) -> None:
        text = data.get("text/plain", "")
        if MIME_JSON in data:  # the final output of an answer
            self.write(("\n" if self._body else "") + f"{RULE}\n{text.rstrip()}\n{RULE}\n")
            self._logs, self._body = [], ""
            return
        head, _, body = text.partition("\n\n")
        if not self._body:  # log lines until the answer starts; then its text, unbroken
            for line in head.splitlines()[1:]:
                if line not in self._logs:
                    self._logs.append(line)
                    self.write(f"  {line}\n")
        body = body.rstrip("\n")
        if body.startswith(self._body) and len(body) > len(self._body):
            self.write(body[len(self._body) :])
            self._body = body

    def result(self, data: dict[str, Any]) -> None:
        self.write(data.get("text/plain", "").rstrip() + "\n")

    def stream(self, text: str) -> None:
        self.write(text)

    def write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()


def execute(notebook: Any, workdir: Path, mirror: Mirror) -> None:
    """Run every cell in a fresh kernel, mirroring its messages; raise on the first failing cell."""
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    class MirroredClient(NotebookClient):
        def process_message(self, msg: dict[str, Any], cell: Any, cell_index: int) -> Any:
            kind, content = msg["msg_type"], msg["content"]
            if kind in ("display_data", "update_display_data"):
                mirror.display(content.get("data", {}))
            elif kind == "execute_result":
                mirror.result(content.get("data", {}))
            elif kind == "stream":
                mirror.stream(content.get("text", ""))
            elif kind == "execute_input":
                mirror.cell(cell.source, content.get("execution_count") or cell_index)
            return super().process_message(msg, cell, cell_index)

    # IPC on a private path: no open TCP ports, and no warning about them from the kernel.
    kernel = KernelManager(kernel_name="python3", transport="ipc", ip=str(workdir / "kernel"))
    try:
        MirroredClient(notebook, km=kernel, timeout=120, resources={"metadata": {"path": str(workdir)}}).execute()
    finally:
        if kernel.has_kernel:
            kernel.shutdown_kernel()


def write_html(notebook: Any, path: Path) -> bool:
    try:
        from nbconvert import HTMLExporter
    except ImportError:
        return False
    body, _ = HTMLExporter().from_notebook_node(notebook)
    path.write_text(body, encoding="utf-8")
    return True


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(out: TextIO = sys.stdout) -> int:
    import nbformat
    from nbclient.exceptions import CellExecutionError

    from .emulator import Emulator

    BUILD.mkdir(exist_ok=True)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    mirror = Mirror(out)
    with Emulator(chunk_delay=0.01) as emulator, tempfile.TemporaryDirectory() as scratch:
        out.write(f"Alfa emulator (synthetic data, not market data) at {emulator.base_url}\n")
        out.write(f"Running {shown(NOTEBOOK)} headless, as nbconvert or papermill would.\n")
        # The kernel reads the service's address and key from the environment, as a user's would.
        os.environ.update(ALFA_BASE_URL=emulator.base_url, ALFA_API_KEY=emulator.api_key, JUPYTER_PLATFORM_DIRS="1")
        try:
            execute(notebook, Path(scratch), mirror)
        except CellExecutionError as error:
            out.write(f"\nThe notebook failed:\n{error}\n")
            return 1
    executed = BUILD / NOTEBOOK.name
    nbformat.write(notebook, executed)
    out.write(f"\nWrote {shown(executed)}")
    html = executed.with_suffix(".html")
    if write_html(notebook, html):
        out.write(f" and {shown(html)}")
    else:
        out.write(" (no HTML copy: nbconvert is not installed)")
    out.write(".\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
