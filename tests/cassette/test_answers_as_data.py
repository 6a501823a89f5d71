"""Answers as data: to_dict/from_dict/to_json lossless, load_answers from a saved notebook, and a
saved output that grows with what is shown, not with the data."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import pytest

import alfa_notebook as alfa
from alfa_notebook.render import MIME_JSON, answer_bundle
from alfa_notebook.results.batch import Batch
from alfa_notebook.wire.models import Artifact, Citation

MARKER = '```{{"type": "output_artifact", "artifact_id": "{}"}}```'


def big_table(rows: int) -> Artifact:
    raw = {
        "output_type": "table",
        "title": "Daily closes",
        "columns": [
            {"name": "Security", "col_type": "string"},
            {"name": "Date", "col_type": "date"},
            {"name": "Close", "col_type": "currency", "unit": "USD"},
            {"name": "Return", "col_type": "percent"},
            {"name": "Volume", "col_type": "integer"},
        ],
        "rows": [
            [f"TICK{i % 500}", f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}", 100 + i * 0.01, (i % 97) / 1000, i * 10]
            for i in range(rows)
        ],  # fmt: skip
        "citations": [],
    }
    return Artifact.from_raw("closes", raw, thread_id="thread-1", message_id="message-2")


def sample(rows: int = 3) -> alfa.Answer:
    web = Citation.from_raw({"citation_id": "c1", "citation_type": "web", "name": "Reuters", "link": "https://reuters.com/x",
                             "summary": "Revenue rose", "inline_offset": 5, "extra_field": {"kept": [1, 2]}})  # fmt: skip
    by_hand = Citation(id="c2", type="news", title="Filed", published=datetime(2025, 3, 1, tzinfo=timezone.utc))
    return alfa.Answer(
        question="How did NVDA close?",
        raw_text=f"First message.\n\nNVDA rose. {MARKER.format('closes')}",
        status="complete",
        thread_id="thread-1",
        message_id="message-2",
        citations=[dataclasses.replace(web, inline_offset=21), by_hand],
        artifacts=[big_table(rows)],
        logs=["Looking up prices", "Computing returns"],
        elapsed=3.25,
        tools_called={"prices": {"calls": 2}},
        warnings=["Artifact x could not be fetched: 404"],
        status_log="Done",
    )


def test_to_dict_is_json_and_from_dict_gives_the_same_answer_back() -> None:
    answer = sample()
    data = json.loads(answer.to_json())
    assert data == json.loads(json.dumps(answer.to_dict()))
    back = alfa.Answer.from_dict(data)
    assert back.to_dict() == answer.to_dict()
    assert back.text == "First message.\n\nNVDA rose." and back.raw_text == answer.raw_text
    assert [c.inline_offset for c in back.citations] == [21, None]  # the offset in the whole answer, not the raw one
    assert back.citations[0].raw["extra_field"] == {"kept": [1, 2]}
    assert back.citations[1].published == datetime(2025, 3, 1, tzinfo=timezone.utc)
    assert back.artifacts[0].raw == answer.artifacts[0].raw and back.artifacts[0].message_id == "message-2"
    assert (back.elapsed, back.logs, back.warnings, back.status_log) == (3.25, answer.logs, answer.warnings, "Done")
    assert back.tables[0].equals(answer.tables[0]) and back.cut_tables == {}


def test_from_dict_refuses_what_is_not_an_answer() -> None:
    with pytest.raises(
        ValueError, match=r"^not an answer's dict \(Answer\.to_dict\(\) makes one\): it has no 'raw_text'"
    ):
        alfa.Answer.from_dict({"text": "hello"})


def test_the_saved_dict_reads_without_the_library() -> None:
    """What a notebook saves (application/vnd.alfa.answer+json) says its format and holds the text
    as shown and each artifact's kind and title, for a reader without alfa_notebook (jq, a dashboard)."""
    answer = sample()
    data = json.loads(answer.to_json())
    assert data["format"] == 1
    assert data["text"] == answer.text == "First message.\n\nNVDA rose."
    assert {key: data["artifacts"][0][key] for key in ("id", "kind", "title")} == {
        "id": "closes",
        "kind": "table",
        "title": "Daily closes",
    }


def test_a_minimal_dict_reads_as_an_answer_to_no_question() -> None:
    back = alfa.Answer.from_dict({"raw_text": "Hello."})
    assert (back.question, back.status, back.text) == ("", "complete", "Hello.")
    assert (back.citations, back.artifacts, back.attachments, back.warnings) == ([], [], [], [])


def test_a_citation_built_by_hand_comes_back_whole() -> None:
    full = Citation(
        id="c3", type="filing", title="10-K", url="https://sec.gov/x", snippet="Revenue rose 5%",
        published=datetime(2025, 3, 1, tzinfo=timezone.utc), inline_offset=4, highlight=(8, 15), source="SEC",
    )  # fmt: skip
    bare = Citation(id=None, type="news", title=None)
    answer = alfa.Answer(question="Q", raw_text="NVDA rose.", status="complete", thread_id="t", message_id="m",
                         citations=[full, bare])  # fmt: skip
    data = json.loads(answer.to_json())
    assert data["citations"][0]["inline_offset"] == 4  # where the service puts it, for a reader without the library
    back = alfa.Answer.from_dict(data)
    assert back.citations == [full, bare]
    assert back.citations[0].snippet[slice(*back.citations[0].highlight)] == "rose 5%"


def test_citations_at_their_own_offsets_come_back_at_them() -> None:
    web = Citation.from_raw({"citation_id": "c1", "citation_type": "web", "name": "Reuters", "inline_offset": 4})
    answer = alfa.Answer(question="Q", raw_text="NVDA rose.", status="complete", thread_id="t", message_id="m",
                         citations=[web])  # fmt: skip
    back = alfa.Answer.from_dict(json.loads(answer.to_json()))
    assert [(c.id, c.inline_offset) for c in back.citations] == [("c1", 4)]


def test_attachments_and_an_artifact_of_another_message_come_back() -> None:
    """A table of another thread's message keeps its ids: the note about its cut rows names where
    to fetch them all."""
    earlier = Artifact.from_raw("earlier", big_table(30).raw, thread_id="thread-0", message_id="message-1")
    answer = dataclasses.replace(sample(), artifacts=[big_table(3), earlier], attachments=["holdings.csv", "q2.pdf"])
    back = alfa.Answer.from_dict(json.loads(json.dumps(answer.to_dict(max_rows=20))))
    assert back.attachments == ["holdings.csv", "q2.pdf"]
    assert [(a.id, a.thread_id, a.message_id) for a in back.artifacts] == [
        ("closes", "thread-1", "message-2"),
        ("earlier", "thread-0", "message-1"),
    ]
    assert back.cut_tables == {"earlier": 30}
    assert "client.threads.artifact('thread-0', 'earlier')" in back.warnings[-1]


def test_a_table_of_exactly_the_rows_kept_is_not_called_cut() -> None:
    back = alfa.Answer.from_dict(sample(rows=10).to_dict(max_rows=10))
    assert back.cut_tables == {} and len(back.tables[0]) == 10
    assert not any("rows were saved" in w for w in back.warnings)


def save_notebook(path: Path, *answers: alfa.Answer) -> Path:
    notebook = nbformat.v4.new_notebook()
    for answer in answers:
        data, metadata = answer_bundle(answer)
        cell = nbformat.v4.new_code_cell(f"%%alfa\n{answer.question}")
        cell.outputs = [nbformat.v4.new_output("display_data", data=data, metadata=metadata)]
        notebook.cells.append(cell)
        notebook.cells.append(nbformat.v4.new_code_cell("1 + 1"))
    nbformat.write(notebook, path)
    return path


def test_load_answers_reads_a_saved_notebook_back_in_cell_order(tmp_path) -> None:
    one, two = sample(), alfa.Answer.from_dict({**sample().to_dict(), "question": "Second?", "message_id": "m3"})
    answers = alfa.load_answers(save_notebook(tmp_path / "saved.ipynb", one, two))
    assert [a.question for a in answers] == ["How did NVDA close?", "Second?"]
    assert answers[0].to_dict() == one.to_dict()
    frame = answers[0].tables[0]
    assert str(frame["Close"].dtype) == "Float64" and str(frame["Date"].dtype) == "datetime64[us]"


def test_a_100000_row_answer_saves_under_a_mebibyte_and_says_what_was_cut(tmp_path) -> None:
    answer = sample(rows=100_000)
    path = save_notebook(tmp_path / "big.ipynb", answer)
    assert path.stat().st_size < 2**20
    (loaded,) = alfa.load_answers(path)
    assert len(loaded.tables[0]) == 1_000 and loaded.cut_tables == {"closes": 100_000}
    assert loaded.tables[0].iloc[:5].equals(answer.tables[0].iloc[:5])
    assert any("1,000 of its 100,000 rows were saved" in w for w in loaded.warnings)
    assert loaded.text == answer.text and loaded.to_dict()["artifacts"][0]["rows_total"] == 100_000


def test_the_rows_kept_are_a_setting(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ALFA_SAVED_ROWS", "10")
    data, _ = answer_bundle(sample(rows=50))
    assert len(data[MIME_JSON]["artifacts"][0]["raw"]["rows"]) == 10
    data, _ = answer_bundle(sample(rows=50), saved_rows=20)
    assert len(data[MIME_JSON]["artifacts"][0]["raw"]["rows"]) == 20
    monkeypatch.setenv("ALFA_SAVED_ROWS", "many")
    with pytest.raises(alfa.ConfigurationError, match="ALFA_SAVED_ROWS"):
        answer_bundle(sample())


def test_an_answer_renders_the_same_ids_in_a_fresh_process_and_never_the_time() -> None:
    import subprocess
    import sys

    script = (
        "import json, alfa_notebook as alfa\n"
        "from alfa_notebook.render import answer_bundle\n"
        "a = alfa.Answer(question='Q', raw_text='Hello [1].', status='complete', thread_id='t', message_id='m')\n"
        "print(json.dumps(answer_bundle(a), sort_keys=True))\n"
    )
    runs = [
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout for _ in "ab"
    ]
    assert runs[0] == runs[1]
    data, metadata = json.loads(runs[0])
    assert set(metadata["alfa"]) == {"thread_id", "message_id", "artifact_ids", "status", "elapsed"}


def test_one_answer_shown_twice_in_a_kernel_never_shares_element_ids() -> None:
    answer = alfa.Answer(question="Q", raw_text="Same.", status="complete", thread_id="t", message_id="m-twice")
    first, second = answer_bundle(answer)[0]["text/html"], answer_bundle(answer)[0]["text/html"]
    ids = [re.search(r'id="(alfa-[^"]+)"', html).group(1) for html in (first, second)]  # type: ignore[union-attr]
    assert ids[0] != ids[1] and ids[1] == ids[0] + "-2"


# -- a saved batch ------------------------------------------------------------------------------


def sample_batch(rows: int = 3) -> Batch:
    answers = [
        alfa.Answer.from_dict({**sample(rows).to_dict(), "question": f"How did {t} close?", "message_id": f"m-{t}"})
        for t in ("NVDA", "AMD")
    ]
    failed = alfa.Answer(question="How did INTC close?", raw_text="", status="error", thread_id=None, message_id=None)
    failed.error = alfa.RateLimitError("slow down", status_code=429)
    return Batch(["NVDA", "AMD", "INTC"], [*answers, failed], elapsed=4.512)


def save_cells(path: Path, *shown: alfa.Answer | Batch) -> Path:
    notebook = nbformat.v4.new_notebook()
    for item in shown:
        data, metadata = item._repr_mimebundle_()
        cell = nbformat.v4.new_code_cell("%%alfa ...")
        cell.outputs = [nbformat.v4.new_output("display_data", data=data, metadata=metadata)]
        notebook.cells.append(cell)
    nbformat.write(notebook, path)
    return path


def test_load_answers_reads_a_saved_batch_back_as_a_batch_in_cell_order(tmp_path) -> None:
    single, batch = sample(), sample_batch()
    loaded = alfa.load_answers(save_cells(tmp_path / "saved.ipynb", single, batch, single))
    assert [type(x).__name__ for x in loaded] == ["Answer", "Batch", "Answer"]
    back = loaded[1]
    assert isinstance(back, Batch)
    assert back.keys == ["NVDA", "AMD", "INTC"] and back.elapsed == 4.512 and not back.interrupted
    assert [a.to_dict() for a in back] == [a.to_dict() for a in batch]
    assert back.to_dataframe().equals(batch.to_dataframe())  # the failed item's error too, as text
    assert back.to_dataframe()["error"].tolist()[-1] == "RateLimitError: slow down"
    assert back.concat_tables(0).equals(batch.concat_tables(0))
    with pytest.raises(RuntimeError, match="cannot ask again"):
        back.retry_failed()


def test_a_saved_batch_keeps_the_rows_a_single_answer_keeps(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ALFA_SAVED_ROWS", "10")
    path = save_cells(tmp_path / "big.ipynb", sample_batch(rows=20_000))
    assert path.stat().st_size < 2**20  # two 20,000-row answers
    (batch,) = alfa.load_answers(path)
    assert isinstance(batch, Batch)
    assert [len(a.tables[0]) for a in batch[:2]] == [10, 10] and batch[0].cut_tables == {"closes": 20_000}


def test_a_retry_with_nothing_failed_says_so_in_one_line_and_asks_nothing(capsys) -> None:
    asked: list[list[str]] = []

    def rerun(questions: list[str], keys: list[object]) -> Batch:
        asked.append(questions)
        return Batch(keys, [])

    answers = [alfa.Answer(question="Q", raw_text="A", status="complete", thread_id="t", message_id="m")]
    batch = Batch(["k"], answers, rerun=rerun)
    assert batch.retry_failed() is batch and asked == []
    assert capsys.readouterr().out == "Alfa: nothing to retry: no item failed.\n"

    async def later(questions: list[str], keys: list[object]) -> Batch:
        return rerun(questions, keys)

    awaited = Batch(["k"], answers, rerun=later)
    assert asyncio.run(awaited.retry_failed()) is awaited and asked == []
