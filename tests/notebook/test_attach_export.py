"""``%%alfa --attach NAME`` sends what the notebook holds; ``%alfa export PATH`` takes the thread out."""

from __future__ import annotations

import json

import matplotlib
import pandas as pd

import alfa_notebook as alfa

from .conftest import Shell

matplotlib.use("Agg")


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def holdings() -> pd.DataFrame:
    return pd.DataFrame({"ticker": ["NA", "NVDA"], "cusip": ["00724F101", "67066G104"], "weight": [0.4, 0.6]})


def test_a_variable_is_sent_as_a_file_named_after_it(shell: Shell) -> None:
    shell.ns["holdings"] = holdings()
    run = shell.run("%%alfa -o ans --new --attach holdings\nWhat do you make of my holdings?")
    assert run.error is None, run.stdout
    assert (
        lines(run.stdout)[0] == "alfa: attached holdings.csv (the variable holdings: a DataFrame, 2 rows × 3 columns)"
    )
    answer = shell.ns["ans"]
    assert answer.attachments == ["holdings.csv"]
    assert "Your file lists 2 stocks: NA and NVDA." in answer.text
    firsts = dict(zip(answer.tables[0]["Column"], answer.tables[0]["First value"]))
    assert firsts["ticker"] == "NA" and firsts["cusip"] == "00724F101"  # the file's text, intact


def test_a_name_that_is_a_variable_and_a_file_sends_the_variable_and_says_so(
    shell: Shell, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "holdings").write_text("ticker\nAMD\n")
    shell.ns["holdings"] = holdings()
    run = shell.run("%%alfa --new --attach holdings\nReview my holdings")
    assert run.error is None
    assert "(the variable holdings: a DataFrame, 2 rows × 3 columns)" in run.stdout
    assert "Your file lists 2 stocks: NA and NVDA." in shell.ns["_alfa"].text


def test_several_attachments_of_every_kind(shell: Shell, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    import matplotlib.pyplot as plt

    report = tmp_path / "memo.txt"
    report.write_text("Q2 memo\n")
    figure, axes = plt.subplots()
    axes.plot([1, 2])
    shell.ns.update(
        weights=holdings().set_index("ticker")["weight"], chart=figure, raw=b"a,b\n1,2\n", memo=Path(report)
    )
    run = shell.run(
        f"%%alfa -o ans --new --attach weights --attach chart --attach raw --attach memo --attach {report}\nReview these"
    )
    plt.close(figure)
    assert run.error is None, run.stdout
    assert shell.ns["ans"].attachments == ["weights.csv", "chart.png", "raw", "memo.txt", "memo-2.txt"]


def test_what_cannot_be_sent_fails_the_cell_before_any_thread(shell: Shell) -> None:
    threads = alfa.AlfaClient()
    before = len(threads.threads.list())
    shell.ns.update(empty=pd.DataFrame({"ticker": []}), thing=object())
    for name, says in (
        ("empty", "AttachmentError: --attach empty is an empty DataFrame (0 rows × 1 columns): nothing to send."),
        ("thing", "AttachmentError: --attach thing cannot be sent: a builtins.object is not a DataFrame"),
    ):
        run = shell.run(f"%%alfa --new --attach {name}\nReview my file")
        assert run.result.success is False
        assert lines(run.stdout)[-1].startswith(says)
    assert len(threads.threads.list()) == before and "_alfa" not in shell.ns


def test_each_sends_the_attachment_to_every_item(shell: Shell) -> None:
    shell.ns.update(holdings=holdings(), names=["NA", "NVDA"])
    run = shell.run("%%alfa --each t in names --attach holdings\nHow does {{t}} fit my holdings?")
    assert run.error is None, run.stdout
    assert [a.attachments for a in shell.ns["_alfa"]] == [["holdings.csv"], ["holdings.csv"]]


def test_export_writes_the_current_thread_or_another(shell: Shell, tmp_path) -> None:  # type: ignore[no-untyped-def]
    shell.ns["holdings"] = holdings()
    shell.run("%%alfa --new --attach holdings\nWhat do you make of my holdings?")
    first = shell.ns["_alfa"]
    shell.run("%%alfa\nAnd their returns?")
    shell.run("%%alfa --new\nCompare NVDA and AMD")
    run = shell.run(f"%alfa export {tmp_path / 'now.md'}")
    assert lines(run.stdout) == [f"Exported thread {shell.ns['_alfa'].thread_id} to {tmp_path / 'now.md'}."]
    assert "## 1. Compare NVDA and AMD" in (tmp_path / "now.md").read_text()
    run = shell.run(f"%alfa export {tmp_path / 'first.ipynb'} --thread {first.thread_id}")
    assert run.error is None, run.stdout
    cells = json.loads((tmp_path / "first.ipynb").read_text())["cells"]
    assert [c["source"].splitlines()[-1] for c in cells if c["cell_type"] == "code"][1:] == [
        "What do you make of my holdings?",
        "And their returns?",
    ]
    assert [a.attachments for a in alfa.load_answers(tmp_path / "first.ipynb")] == [["holdings.csv"], []]


def test_export_refuses_what_it_cannot_write(shell: Shell) -> None:
    run = shell.run("%alfa export notes.pdf")
    assert run.result.success is False and "export writes .md, .html or .ipynb files, not 'notes.pdf'." in run.stderr
    run = shell.run("%alfa export the NVDA numbers to me")  # several words that are no export: a question
    assert run.error is None and shell.ns["_alfa"].question == "export the NVDA numbers to me"
