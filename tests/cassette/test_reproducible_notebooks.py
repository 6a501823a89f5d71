"""The shipped notebooks recorded once, then run twice more with the service gone: every output of
every cell is the same, byte for byte, in all three saved files, batches (``--each``) included.

The replays use the recording's mode (``once``: a cassette that exists is only replayed), since
``%alfa status`` says which mode is in force.

Streams are compared coalesced, as nbconvert's ``coalesce_streams`` does: a loaded kernel may send
one ``print`` as two stdout messages, which the saved file keeps as two outputs. That split is
the kernel's, not the package's; the text printed is the same."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbconvert.preprocessors import CoalesceStreamsPreprocessor
from security.notebooks import execute

import alfa_notebook as alfa
from alfa_notebook.emulator import Emulator
from alfa_notebook.results.batch import Batch

pytestmark = pytest.mark.long

NOTEBOOKS = Path(__file__).parents[2] / "notebooks"
NAMES = ["quickstart", "dataframes", "threads-and-files", "universe"]


def run(name: str, base_url: str, api_key: str, workdir: Path, cassette: Path, mode: str) -> Path:
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ALFA_CASSETTE", str(cassette))
        env.setenv("ALFA_RECORD_MODE", mode)
        return execute(notebook, base_url=base_url, api_key=api_key, workdir=workdir, name=name, timeout=60)


def outputs(path: Path) -> list[str]:
    """Each code cell's outputs and execution count, as the saved file holds them, with
    consecutive stream outputs of one stream joined into one."""
    notebook, _ = CoalesceStreamsPreprocessor().preprocess(nbformat.read(path, as_version=4), {})
    return [
        json.dumps([c["execution_count"], c["outputs"]], sort_keys=True)
        for c in notebook["cells"]
        if c["cell_type"] == "code"
    ]


def test_a_print_split_into_two_stream_messages_compares_equal_to_one(tmp_path: Path) -> None:
    """What a loaded kernel does to one ``print``: the comparison must not see it."""
    one, two = nbformat.v4.new_notebook(), nbformat.v4.new_notebook()
    one.cells = [nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output("stream", name="stdout", text="a\nb\n")])]
    two.cells = [
        nbformat.v4.new_code_cell(
            outputs=[
                nbformat.v4.new_output("stream", name="stdout", text="a\n"),
                nbformat.v4.new_output("stream", name="stdout", text="b\n"),
            ]
        )
    ]
    other = nbformat.v4.new_notebook()
    other.cells = [nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output("stream", name="stdout", text="a\nc\n")])]
    for name, notebook in {"one": one, "two": two, "other": other}.items():
        nbformat.write(notebook, tmp_path / f"{name}.ipynb")
    assert outputs(tmp_path / "one.ipynb") == outputs(tmp_path / "two.ipynb")
    assert outputs(tmp_path / "one.ipynb") != outputs(tmp_path / "other.ipynb")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    cassettes = tmp_path_factory.mktemp("cassettes")
    saved: dict[str, list[Path]] = {name: [] for name in NAMES}
    with Emulator(chunk_delay=0) as emulator:
        base_url, api_key = emulator.base_url, emulator.api_key
        for name in NAMES:
            workdir = tmp_path_factory.mktemp(f"{name}-recorded")
            saved[name].append(run(name, base_url, api_key, workdir, cassettes / f"{name}.alfa.jsonl", "once"))
    # The emulator is stopped: nothing answers at base_url any more.
    for attempt in ("first", "second"):
        for name in NAMES:
            workdir = tmp_path_factory.mktemp(f"{name}-{attempt}")
            saved[name].append(run(name, base_url, api_key, workdir, cassettes / f"{name}.alfa.jsonl", "once"))
    return saved


@pytest.mark.parametrize("name", NAMES)
def test_replays_are_byte_identical_to_each_other_and_to_the_recording(runs: dict[str, list[Path]], name: str) -> None:
    recorded, first, second = (outputs(path) for path in runs[name])
    assert not any('"output_type": "error"' in cell for cell in recorded)
    assert first == second, first_difference(first, second)
    assert first == recorded, first_difference(recorded, first)


def first_difference(a: list[str], b: list[str]) -> str:
    """The first code cell whose outputs differ, as a diff a reader can act on."""
    import difflib

    for number, (x, y) in enumerate(zip(a, b)):
        if x != y:
            lines = difflib.unified_diff(x.split("\\n"), y.split("\\n"), lineterm="", n=2)
            return f"code cell {number} differs:\n" + "\n".join(lines)[:4000]
    return f"{len(a)} code cells against {len(b)}"


@pytest.mark.parametrize("name", NAMES)
def test_load_answers_reads_every_answer_of_the_replayed_notebook(runs: dict[str, list[Path]], name: str) -> None:
    found = alfa.load_answers(runs[name][1])
    answers = [a for item in found for a in (item if isinstance(item, Batch) else [item])]
    assert answers and all(a.status == "complete" and a.text and a.thread_id for a in answers)
    if name == "universe":  # the --each cell, then `calls` shown as a value
        assert [type(item).__name__ for item in found[:1]] == ["Batch"]
        assert found[0].keys == ["NVDA", "AMD", "INTC", "AAPL"] and found[0].concat_tables(0).shape[0] > 0


@pytest.mark.parametrize("name", NAMES)
def test_no_cell_keeps_an_empty_output(runs: dict[str, list[Path]], name: str) -> None:
    """Streams coalesced first: a loaded kernel may send a printed line's newline as a stream
    message of its own, which is the kernel's split, not an output of the package's."""
    for path in runs[name]:
        notebook, _ = CoalesceStreamsPreprocessor().preprocess(nbformat.read(path, as_version=4), {})
        for cell in notebook["cells"]:
            for output in cell.get("outputs", ()):
                parts = [output["text"]] if "text" in output else list((output.get("data") or {"-": "x"}).values())
                shown = ["".join(p) if isinstance(p, list) else str(p) for p in parts]
                assert any(p.strip() for p in shown), f"{path.name}: an empty output in {cell['source'][:60]!r}"
