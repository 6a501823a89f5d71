"""``%%alfa --each NAME in COLLECTION`` in a shell: one question per item, a Batch, one-line errors."""

from __future__ import annotations

import pandas as pd
import pytest

from alfa_notebook.results.batch import Batch


def test_each_over_a_dataframe_column_stores_the_batch_and_its_frame(shell):
    shell.ns["df"] = pd.DataFrame({"ticker": ["NVDA", "AMD"]})
    run = shell.run('%%alfa --each t in df["ticker"] -o calls --df summary --concurrency 2\nHow did {{t}} do?')
    assert run.error is None
    calls = shell.ns["calls"]
    assert isinstance(calls, Batch) and shell.ns["_alfa"] is calls
    assert calls.keys == ["NVDA", "AMD"]
    assert calls.questions == ["How did NVDA do?", "How did AMD do?"]
    assert list(shell.ns["summary"]["status"]) == ["complete", "complete"]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("%%alfa --each t in nowhere\nHow did {{t}} do?", "NameError: --each: no variable named 'nowhere'"),
        ("%%alfa --each t in empty\nHow did {{t}} do?", "ValueError: --each: empty is empty"),
        ("%%alfa --each t in names\nHow did it do?", "UsageError: --each t: the question never says {{t}}"),
        ("%%alfa --each t in frame.missing\nHow did {{t}} do?", "LookupError: --each: frame has no column 'missing'"),
        ("%%alfa --each t in names.missing\nHow did {{t}} do?", "TypeError: --each: names is a list, not a DataFrame"),
    ],
)
def test_each_errors_are_one_line(shell, cell, message):
    shell.ns.update(empty=[], names=["NVDA"], frame=pd.DataFrame({"ticker": ["NVDA"]}))
    run = shell.run(cell)
    assert run.error is not None
    lines = run.error._render_traceback_() if hasattr(run.error, "_render_traceback_") else run.stderr.splitlines()
    (line,) = [line for line in lines if line.strip()]
    assert line.startswith(message)


def test_an_interrupted_each_keeps_the_batch_in_alfa_and_stops_run_all(slow_shell, monkeypatch):
    shell = slow_shell

    class PressCtrlC:
        def update(self, tally):
            if tally.done:
                raise KeyboardInterrupt

        def finish(self, batch):
            pass

    monkeypatch.setattr("alfa_notebook.client._progress_view", lambda progress, total: PressCtrlC())
    shell.ns["names"] = ["NVDA", "AMD", "INTC", "AAPL"]
    shell.ns.pop("calls", None)
    run = shell.run("%%alfa --each t in names -o calls --concurrency 1\nHow did {{t}} do?")
    assert isinstance(run.error, KeyboardInterrupt)
    assert run.error._render_traceback_() == [
        "KeyboardInterrupt: the batch was stopped and its running items cancelled on the server; "
        "`_alfa` holds what was answered, `_alfa.retry_failed()` asks the rest."
    ]
    batch = shell.ns["_alfa"]
    assert "calls" not in shell.ns and batch.interrupted and len(batch) == 4
    assert batch[0].status == "complete" and batch[-1].status == "cancelled"


def test_config_rate_limit_sets_the_pace_of_the_notebooks_client(shell):
    from alfa_notebook.wire.errors import ConfigurationError
    from alfa_notebook.wire.limiter import Rate

    shell.run("%config AlfaMagics.rate_limit = 'chat=600/min'")
    assert shell.magics.session.client().limiter.limits["chat"] == Rate(600, 60)
    shell.run("%config AlfaMagics.rate_limit_wait = 30")
    assert shell.magics.session.client().settings.rate_limit_wait == 30
    shell.run("%config AlfaMagics.rate_limit_wait = None")
    shell.run("%config AlfaMagics.rate_limit = 'chat=fast'")
    with pytest.raises(
        ConfigurationError, match=r"'chat=fast' is not BUCKET=N/WINDOW .* \(from the notebook configuration"
    ):
        shell.magics.session.client()
    shell.run("%config AlfaMagics.rate_limit = None")


def test_a_batch_with_failed_items_fails_its_cell_and_assigns_only_alfa(failing_shell):
    shell = failing_shell
    shell.ns["names"] = ["NVDA", "AMD", "INTC"]
    for name in ("calls", "summary"):
        shell.ns.pop(name, None)
    run = shell.run("%%alfa --each t in names -o calls --df summary\nHow did {{t}} do?")
    assert type(run.error).__name__ == "BatchError"
    (line,) = run.error._render_traceback_()
    assert line.startswith("BatchError: 3 of 3 failed (TurnFailedError: ") and line.endswith(
        "): NVDA, AMD, INTC; `_alfa.retry_failed()` asks them again (--allow-errors keeps a partly failed batch)."
    )
    assert shell.ns["_alfa"].counts() == {"error": 3} and run.error.batch is shell.ns["_alfa"]
    assert "calls" not in shell.ns and "summary" not in shell.ns

    allowed = shell.run("%%alfa --each t in names -o calls --df summary --allow-errors\nHow did {{t}} do?")
    assert allowed.error is None
    assert shell.ns["calls"] is shell.ns["_alfa"] and list(shell.ns["summary"]["status"]) == ["error"] * 3


def test_allow_errors_is_refused_for_a_single_answer(shell):
    run = shell.run("%%alfa --allow-errors\nHow did NVDA do?")
    assert str(run.error).startswith("--allow-errors is for --each batches")


def test_a_ctrl_c_as_the_summary_is_drawn_still_leaves_the_batch_in_alfa(shell, monkeypatch):
    class PressedAtTheEnd:
        def update(self, tally):
            pass

        def finish(self, batch):
            raise KeyboardInterrupt

    monkeypatch.setattr("alfa_notebook.client._progress_view", lambda progress, total: PressedAtTheEnd())
    shell.ns["names"] = ["NVDA", "AMD"]
    shell.ns.pop("calls", None)
    run = shell.run("%%alfa --each t in names -o calls\nHow did {{t}} do?")
    assert isinstance(run.error, KeyboardInterrupt)
    assert run.error._render_traceback_() == ["KeyboardInterrupt: interrupted as the batch ended; `_alfa` holds it."]
    assert shell.ns["_alfa"].counts() == {"complete": 2} and "calls" not in shell.ns


def test_a_second_ctrl_c_leaves_the_batch_as_it_was_in_alfa(shell, monkeypatch):
    from alfa_notebook import Answer, client
    from alfa_notebook.many import Abandoned

    def second_ctrl_c(self, questions, **kwargs):
        cancelled = Answer(question="q", raw_text="", status="cancelled", thread_id=None, message_id=None)
        stopped = Abandoned()
        stopped.batch = Batch(["NVDA"], [cancelled], interrupted=True)
        raise stopped

    monkeypatch.setattr(client.AlfaClient, "ask_many", second_ctrl_c)
    shell.ns["names"] = ["NVDA"]
    run = shell.run("%%alfa --each t in names -o calls\nHow did {{t}} do?")
    assert isinstance(run.error, KeyboardInterrupt) and shell.ns["_alfa"] is run.error.batch
    assert run.error._render_traceback_() == [
        "KeyboardInterrupt: the batch was stopped without waiting for its running items' cancels; "
        "`_alfa` holds what was answered."
    ]
