"""``%%alfa`` and ``%alfa`` in a real IPython shell against the emulator (docs/notebook.md)."""

from __future__ import annotations

import pandas as pd
import pytest

from alfa_notebook import Answer
from alfa_notebook.notebook import asking
from alfa_notebook.notebook.live import Coalescer
from alfa_notebook.wire.events import MessageChunk
from alfa_notebook.wire.models import Message

from .conftest import Run, Shell

QUESTION = "Compare NVDA and AMD revenue growth over the last 4 quarters"


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def error_line(run: Run) -> str:
    """The cell's error, which follows whatever the cell printed before it failed."""
    assert "Traceback" not in run.stdout
    return [line for line in run.stdout.splitlines() if line.strip()][-1]


def history_of(shell: Shell, thread_id: str) -> list[Message]:
    return shell.magics.session.client().threads.messages(thread_id).messages


def test_out_df_and_underscore_alfa(shell: Shell) -> None:
    run = shell.run(f"%%alfa -o ans --df prices\n{QUESTION}")
    assert run.error is None
    ans = shell.ns["ans"]
    assert isinstance(ans, Answer) and ans.status == "complete" and ans.text
    assert shell.ns["_alfa"] is ans
    assert isinstance(shell.ns["prices"], pd.DataFrame)
    pd.testing.assert_frame_equal(shell.ns["prices"], ans.df)
    assert run.result.result is None  # the output is the display, not a repr of the Answer


def test_line_magic_asks_and_keeps_question_marks(shell: Shell) -> None:
    run = shell.run("%alfa -o short What's AMD's P/E, and why did it move -5%?")
    assert run.error is None, run.stdout
    assert shell.ns["short"].question == "What's AMD's P/E, and why did it move -5%?"
    assert shell.ns["short"].status == "complete"
    run = shell.run("answer_text = %alfa Why did NVDA rally?")
    assert run.error is None and shell.ns["_alfa"].question == "Why did NVDA rally?"


def test_interpolation_next_to_literal_braces(shell: Shell) -> None:
    shell.ns["pd"] = pd
    shell.run("sector = 'semiconductors'\nuniverse = pd.DataFrame({'ticker': ['NVDA', 'AMD'], 'weight': [0.6, 0.4]})")
    cell = (
        "%%alfa -o ans\n"
        "Top 3 performers in {{sector}}, also {{ sector }}; weights: {{universe}}\n"
        'Keep this JSON as is: {"filter": {"sector": "x"}}, a set {1, 2}, a template {{ 1 + 1 }} and {sector}.'
    )
    run = shell.run(cell)
    assert run.error is None, run.stdout
    sent = history_of(shell, shell.ns["ans"].thread_id)[0].text
    assert sent.startswith("Top 3 performers in semiconductors, also semiconductors; weights:\n\nDataFrame with 2 rows")
    assert "| 0 | NVDA | 0.6 |" in sent and "weight (float64)" in sent
    assert sent.endswith(
        'Keep this JSON as is: {"filter": {"sector": "x"}}, a set {1, 2}, a template {{ 1 + 1 }} and {sector}.'
    )


def test_unknown_name_is_a_short_error_naming_it(shell: Shell) -> None:
    run = shell.run("%%alfa\nHow is {{missing_variable}} doing?")
    assert run.error is not None
    line = one_line(run.stdout)
    assert line.startswith("NameError:") and "missing_variable" in line


def test_one_thread_per_kernel_until_new_or_thread(shell: Shell) -> None:
    first = shell.run("%%alfa -o a1\nCompare NVDA and AMD")
    second = shell.run("%%alfa -o a2\nAnd over time?")
    assert first.error is None and second.error is None
    a1, a2 = shell.ns["a1"], shell.ns["a2"]
    assert a1.thread_id == a2.thread_id == shell.magics.session.thread_id
    shell.run("%%alfa -o a3 --new\nTop 5 banks")
    a3 = shell.ns["a3"]
    assert a3.thread_id != a1.thread_id
    shell.run("%%alfa -o a4\nAnd their P/E?")
    assert shell.ns["a4"].thread_id == a3.thread_id
    # --thread takes an id or a name, and makes that thread current.
    shell.run(f"%%alfa -o a5 --thread {a1.thread_id}\nAnd AVGO?")
    assert shell.ns["a5"].thread_id == a1.thread_id == shell.magics.session.thread_id
    shell.run("%%alfa -o a6 -t 'Top 5 banks'\nAnd JPM?")
    assert shell.ns["a6"].thread_id == a3.thread_id
    assert [m.text for m in history_of(shell, a3.thread_id) if m.is_user] == [
        "Top 5 banks",
        "And their P/E?",
        "And JPM?",
    ]


def test_ambiguous_thread_name_lists_the_ids(shell: Shell) -> None:
    shell.run("%alfa new Twin name")
    one = shell.magics.session.thread_id
    shell.run("%alfa new Twin name")
    two = shell.magics.session.thread_id
    run = shell.run("%%alfa -t 'Twin name'\nAnything?")
    assert run.error is not None
    line = one_line(run.stdout)
    assert line.startswith("LookupError:") and one in line and two in line
    run = shell.run("%%alfa -t no-such-thread\nAnything?")
    assert "No thread has the id or name 'no-such-thread'" in one_line(run.stdout)


def test_wrong_key_fails_the_cell_with_one_line(shell: Shell) -> None:
    shell.run("%config AlfaMagics.api_key = 'not-the-key'")
    run = shell.run(f"%%alfa\n{QUESTION}")
    assert run.result.success is False
    line = one_line(run.stdout)
    assert line.startswith("AuthenticationError:") and "401" in line and "ALFA_API_KEY" in line
    assert "not-the-key" not in run.stdout
    # The full traceback when asked for.
    shell.run("%config AlfaMagics.short_errors = False")
    run = shell.run(f"%%alfa\n{QUESTION}")
    assert run.result.success is False and "Traceback" in run.stdout and "AuthenticationError" in run.stdout


def test_interrupt_mid_stream_keeps_the_partial_answer(slow_shell: Shell, monkeypatch: pytest.MonkeyPatch) -> None:
    """A KeyboardInterrupt arrives while chunks stream (as a kernel interrupt does in the main thread)."""

    class InterruptedAfterChunks(Coalescer):
        chunks = 0

        def __call__(self, event, turn):  # type: ignore[no-untyped-def]
            super().__call__(event, turn)
            if isinstance(event, MessageChunk):
                self.chunks += 1
                if self.chunks == 12:
                    raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(asking, "Coalescer", InterruptedAfterChunks)
        run = slow_shell.run(f"%%alfa -o part\n{QUESTION}")
    assert type(run.error) is KeyboardInterrupt
    assert error_line(run) == (
        "KeyboardInterrupt: interrupted; the question was cancelled on the server. `_alfa` holds the partial answer."
    )
    partial = slow_shell.ns["_alfa"]
    assert partial.status == "cancelled" and partial.text and partial.warnings == []
    assert "part" not in slow_shell.ns  # a failed cell assigns nothing but `_alfa`
    assert run.stdout.count(partial.text) == 1  # the terminal view shows it, once
    assert run.stdout.count("[Stopped] the answer is incomplete.") == 1  # labelled once, no bullet
    client = slow_shell.magics.session.client()
    assert client.threads.progress(partial.thread_id).status == "cancelled"
    assert history_of(slow_shell, partial.thread_id)[-1].text.endswith("User cancelled message")
    # The thread is free again.
    assert slow_shell.run("%%alfa\nAnd AVGO?").error is None


def test_empty_question_and_bad_options(shell: Shell) -> None:
    assert one_line(shell.run("%%alfa\n   \n").stderr).startswith("UsageError: Nothing to ask")
    run = shell.run("%%alfa --bogus\nHi")
    assert run.error is not None and "unrecognized arguments: --bogus; `%alfa help`" in run.stderr + run.stdout
    run = shell.run("%%alfa --new -t x\nHi")
    assert "exclude each other" in run.stderr + run.stdout
    run = shell.run("%%alfa -o not-a-name\nHi")
    assert "not a variable name" in run.stderr + run.stdout
    run = shell.run("%%alfa --timeout 0\nHi")
    assert "--timeout must be a number of seconds above 0" in run.stderr + run.stdout
    run = shell.run("%alfa -x What?")
    assert "unknown option '-x'" in run.stderr + run.stdout


def test_help_is_generated_from_the_parser(shell: Shell) -> None:
    doc = shell.ip.find_cell_magic("alfa").__doc__
    for option in ("-o NAME, --out NAME", "--df NAME", "-t ID_OR_NAME, --thread ID_OR_NAME", "--new", "--background",
                   "--static", "--timeout SECONDS", "--attach NAME"):  # fmt: skip
        assert option in doc
    for sub in (
        "help",
        "status",
        "threads",
        "new [NAME]",
        "use ID_OR_NAME",
        "history [N]",
        "cancel",
        "last",
        "version",
    ):
        assert sub in doc
    run = shell.run("%alfa help")
    assert "--background" in run.stdout
    assert "--background" in shell.run("%alfa").stdout


def test_subcommands(shell: Shell) -> None:
    run = shell.run("%alfa version")
    assert run.stdout.startswith("alfa-notebook ")

    run = shell.run("%alfa last")
    assert "No answer yet" in run.stdout
    assert "nothing to cancel" in shell.run("%alfa cancel").stdout

    run = shell.run("%alfa new Research log")
    assert "is now current" in run.stdout
    thread_id = shell.magics.session.thread_id
    shell.run(f"%%alfa -o ans\n{QUESTION}")
    assert shell.ns["ans"].thread_id == thread_id

    run = shell.run("%alfa threads")
    frame = run.result.result
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == ["id", "name", "created", "updated", "current"]
    mine = frame[frame["id"] == thread_id]
    assert mine["name"].tolist() == ["Research log"] and mine["current"].tolist() == [True]
    assert frame["current"].sum() == 1

    run = shell.run("%alfa last")
    data = run.final()["data"]
    assert shell.ns["ans"].text.splitlines()[0] in data["text/plain"]

    run = shell.run("%alfa history 1")
    assert run.error is None and len(run.outputs) == 2
    question, answer = run.outputs
    assert question["data"]["text/plain"] == f"You: {QUESTION}"
    assert answer["metadata"]["alfa"]["message_id"] == shell.ns["ans"].message_id
    assert "<table" in answer["data"]["text/html"] and "<details" in answer["data"]["text/html"]  # artifacts fetched

    assert "Nothing is running" in shell.run("%alfa cancel").stdout

    run = shell.run("%alfa new")
    assert "next question starts a new thread" in run.stdout and shell.magics.session.thread_id is None
    run = shell.run("%alfa use Research log")
    assert shell.magics.session.thread_id == thread_id and "is now current" in run.stdout
    run = shell.run(f"%alfa use {thread_id}")
    assert shell.magics.session.thread_id == thread_id

    run = shell.run("%alfa status")
    assert run.error is None
    for expected in ("api_version", "v1", "base_url", "$ALFA_BASE_URL", "key", "✓ set  ($ALFA_API_KEY)",
                     "✓ reachable, key accepted", thread_id):  # fmt: skip
        assert expected in run.stdout
    assert shell.magics.session.client().settings.api_key.reveal() not in run.stdout


def test_status_reports_a_refused_key_and_an_unreachable_service(shell: Shell) -> None:
    shell.run("%config AlfaMagics.api_key = 'not-the-key'")
    run = shell.run("%alfa status")
    assert "✓ set  (%config AlfaMagics.api_key)" in run.stdout and "key was refused (401)" in run.stdout
    assert "not-the-key" not in run.stdout
    shell.run("%config AlfaMagics.base_url = 'http://127.0.0.1:9'")
    status = shell.run("%alfa status").stdout
    assert "✗ unreachable" in status and "%alfa status" not in status


def test_a_subcommand_word_can_start_a_question(shell: Shell) -> None:
    run = shell.run("%alfa -- history of NVDA prices")
    assert run.error is None and shell.ns["_alfa"].question == "history of NVDA prices"
    run = shell.run("%alfa status of AMD's earnings")
    assert run.error is None and shell.ns["_alfa"].question == "status of AMD's earnings"


def test_attach_uploads_before_asking(shell: Shell, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "holdings.csv"
    pd.DataFrame({"ticker": ["NVDA", "AMD"], "shares": [10, 20]}).to_csv(path, index=False)
    run = shell.run(f"%%alfa -o ans --new --attach {path}\nSummarize my holdings")
    assert run.error is None, run.stdout
    assert "holdings.csv" in shell.ns["ans"].text
    run = shell.run(f"%%alfa --attach {tmp_path}\nAnd now?")
    assert one_line(run.stdout) == f"AttachmentError: --attach {tmp_path} is a directory; attach one file."


def test_timeout_stops_the_answer(slow_shell: Shell) -> None:
    run = slow_shell.run(f"%%alfa --timeout 0.3\n{QUESTION}")
    assert run.result.success is False
    assert error_line(run).startswith("APITimeoutError: ") and "0.3 s (the timeout)" in error_line(run)
    assert slow_shell.ns["_alfa"].status == "cancelled"


def test_changing_the_service_forgets_the_thread(shell: Shell, alfa_emulator) -> None:  # type: ignore[no-untyped-def]
    shell.run(f"%%alfa\n{QUESTION}")
    assert shell.magics.session.thread_id is not None
    shell.run(f"%config AlfaMagics.base_url = '{alfa_emulator.base_url}/'")
    assert shell.magics.session.thread_id is None
