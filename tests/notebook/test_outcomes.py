"""How a ``%%alfa`` cell ends: complete, no results, failed, stopped, out of time; what it assigns,
what it shows, and the one line that says what happened."""

from __future__ import annotations

import warnings

import pandas as pd

from alfa_notebook.emulator import Emulator
from alfa_notebook.notebook.magics import KEY_IN_CELL
from alfa_notebook.wire.errors import APIConnectionError, APITimeoutError, AttachmentError, TurnFailedError

from .conftest import Shell

QUESTION = "Compare NVDA and AMD revenue growth over the last 4 quarters"


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_an_errored_turn_fails_the_cell_keeps_the_partial_answer_and_assigns_only_underscore_alfa(
    failing_shell: Shell,
) -> None:
    failing_shell.run("prices = 'kept'\nans = 'kept too'")
    run = failing_shell.run(f"%%alfa -o ans --df prices\n{QUESTION}")
    assert run.result.success is False
    assert type(run.error) is TurnFailedError  # the real class, not a wrapper
    partial = failing_shell.ns["_alfa"]
    assert partial.status == "error" and partial.text and partial.text in run.stdout  # on screen
    assert failing_shell.ns["prices"] == "kept" and failing_shell.ns["ans"] == "kept too"
    assert lines(run.stdout)[-1] == (
        "TurnFailedError: Alfa ended the answer with an error (Emulated failure (error=1)). `_alfa` holds the "
        "partial answer. Ask again, or rephrase the question."
    )
    # Said once: a label on the output, the reason in the error line, no bullet repeating either.
    assert run.stdout.count("[Failed] the answer is incomplete.") == 1
    assert "Emulated failure" not in run.stdout.replace(lines(run.stdout)[-1], "")
    assert partial.warnings == []


def test_no_results_is_an_outcome_with_a_notice_out_assigned_df_not(shell: Shell) -> None:
    """The emulator ends a question its data cannot answer with No_Results_Found."""
    shell.run("prices = 'kept'")
    run = shell.run("%%alfa --new -o nothing --df prices\nWhat is the weather in Paris?")
    assert run.error is None, run.stdout
    assert shell.ns["nothing"].status == "no_results" and shell.ns["_alfa"] is shell.ns["nothing"]
    assert shell.ns["prices"] == "kept"
    assert "[No results] Alfa found no data to answer this question; try asking it another way." in run.stdout
    assert "alfa: no results, so `prices` was left as it was." in run.stdout


def test_the_error_names_its_real_class_in_one_line(shell: Shell) -> None:
    shell.run("%config AlfaMagics.base_url = 'http://127.0.0.1:9'")
    run = shell.run("%%alfa\nAnything?")
    assert type(run.error) is APIConnectionError
    (line,) = lines(run.stdout)
    assert line.startswith("APIConnectionError: ") and "Traceback" not in run.stdout
    shell.run("%config AlfaMagics.short_errors = False")
    run = shell.run("%%alfa\nAnything?")
    assert "Traceback" in run.stdout and "APIConnectionError" in run.stdout


def test_a_timeout_with_nothing_received_says_so_once(silent_shell: Shell) -> None:
    silent_shell.ns.pop("late", None)
    run = silent_shell.run("%%alfa -o late --timeout 1\nCompare NVDA and AMD")
    assert type(run.error) is APITimeoutError
    assert lines(run.stdout) == [
        "APITimeoutError: No answer arrived within 1 s (the timeout); the question was cancelled on the server. "
        "For long questions raise --timeout or `%config AlfaMagics.timeout`."
    ]
    assert "late" not in silent_shell.ns and silent_shell.ns["_alfa"].status == "cancelled"


def test_a_key_typed_in_a_cell_gets_one_clean_line(shell: Shell) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = shell.run("%config AlfaMagics.api_key = 'typed-in-a-cell'")
    assert caught == [] and run.stdout == ""
    assert run.stderr == KEY_IN_CELL + "\n"
    assert KEY_IN_CELL.startswith("Note: a key typed in a cell is saved with the notebook")


def test_df_is_the_first_table_of_an_answer_with_two(shell: Shell) -> None:
    run = shell.run(f"%%alfa -o ans --df table\n{QUESTION}")
    assert run.error is None
    ans = shell.ns["ans"]
    assert [a.title for a in ans.artifacts] == ["Performance snapshot", "Quarterly revenue and earnings"]
    assert list(shell.ns["table"].columns) == [
        "Security", "Price", "1M return", "YTD return", "1Y return", "Market cap", "Pays dividend"
    ]  # fmt: skip
    pd.testing.assert_frame_equal(ans.df, shell.ns["table"])
    assert list(ans.tables[1].columns)[:2] == ["Security", "Quarter"]


def test_a_subcommand_typo_is_refused_before_any_thread_or_query(shell: Shell, alfa_emulator: Emulator) -> None:
    threads = shell.magics.session.client().threads
    before = len(threads.list())
    run = shell.run("%alfa histroy")
    assert run.error is not None
    assert "unknown subcommand 'histroy'; did you mean 'history'?" in run.stderr
    run = shell.run("%alfa history abc")
    assert "history takes a number above 0" in run.stderr
    run = shell.run("%%alfa --bogus\nHi")
    assert "unrecognized arguments: --bogus; `%alfa help` lists the options." in run.stderr
    run = shell.run("%%alfa --new --attach no-such-file.csv\nReview my file")
    assert type(run.error) is AttachmentError
    assert lines(run.stdout) == ["AttachmentError: --attach no-such-file.csv does not exist: no such file."]
    assert len(threads.list()) == before and "_alfa" not in shell.ns


def test_history_shows_whole_exchanges_with_questions_rendered(shell: Shell) -> None:
    shell.ns["weights"] = pd.DataFrame({"ticker": ["NVDA", "AMD"], "weight": [0.6, 0.4]})
    shell.run("%%alfa --new\nCompare NVDA and AMD")
    shell.run("%%alfa -o second\nGiven {{weights}} which is riskier?")
    run = shell.run("%alfa history 1")
    assert run.error is None and len(run.outputs) == 2
    question, answer = (o["data"] for o in run.outputs)
    assert question["text/plain"].startswith("You: Given")
    assert "<table>" in question["text/html"] and "| NVDA |" not in question["text/html"]
    assert run.outputs[1]["metadata"]["alfa"]["message_id"] == shell.ns["second"].message_id
    assert " s\n" not in answer["text/plain"].splitlines()[-1] + "\n"  # no made-up timing
    assert answer["text/plain"].rstrip().splitlines()[-1].startswith("Alfa · thread ")
    run = shell.run("%alfa history 5")
    kinds = ["q" if "You:" in o["data"]["text/plain"][:4] else "a" for o in run.outputs]
    assert kinds == ["q", "a", "q", "a"]


def test_status_and_threads_read_well(shell: Shell) -> None:
    shell.run("%alfa new Research log")
    thread_id = shell.magics.session.thread_id
    status = shell.run("%alfa status").stdout
    assert "display        auto (here: plain text)\n" in status
    assert "→" not in status and "%alfa status" not in status
    run = shell.run("%alfa threads")
    frame = run.result.result
    assert thread_id in frame["id"].tolist()  # the frame keeps the full ids
    shown = repr(frame)
    assert thread_id not in shown and thread_id[:8] + "…" in shown
    assert type(frame.head(1)) is pd.DataFrame
