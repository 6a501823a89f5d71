"""``%%alfa --each NAME in COLLECTION`` in a shell: one question per item, a Batch, one-line errors."""

from __future__ import annotations

import pandas as pd
import pytest
from IPython.core.error import UsageError

from alfa_notebook.notebook import each
from alfa_notebook.results.answer import Answer
from alfa_notebook.results.batch import Batch, BatchError


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


# -- the --each pieces on their own (no shell, no service) -------------------------------------


def one_line(error: BaseException) -> str:
    return error._render_traceback_()[0] if hasattr(error, "_render_traceback_") else str(error)


@pytest.mark.parametrize(
    "words", [["t", "in"], ["t", "of", "names"], ["1t", "in", "names"], ["t", "in", "names", "x"]], ids=" ".join
)
def test_each_takes_name_in_collection_and_nothing_else(words):
    with pytest.raises(UsageError) as info:
        each.parse(words)
    assert str(info.value) == (
        f"--each takes NAME in COLLECTION, as in `--each ticker in universe`, not {' '.join(words)!r}."
    )


def test_each_reads_a_variable_or_one_column_and_evaluates_nothing():
    frame = pd.DataFrame({"ticker": ["NVDA", "AMD"], "my col": ["x", "y"]})
    namespace = {"names": ("NVDA",), "frame": frame, "series": frame["ticker"], "index": pd.Index(["I"]), "col": "c"}
    assert each.parse(["t", "in", "frame.ticker"]) == ("t", "frame.ticker")
    assert each.resolve(" names ", namespace) == ["NVDA"]
    assert each.resolve("series", namespace) == each.resolve("frame.ticker", namespace) == ["NVDA", "AMD"]
    assert each.resolve("frame['ticker']", namespace) == each.resolve('frame[ "ticker" ]', namespace)
    assert each.resolve("frame[my col]", namespace) == ["x", "y"] and each.resolve("index", namespace) == ["I"]
    for source in ("frame.ticker.upper()", "__import__('os')", "names + names", "2"):
        with pytest.raises(UsageError) as info:
            each.resolve(source, namespace)
        assert str(info.value) == (
            f"--each: {source!r} is not a variable or a DataFrame column (write `universe`, `df.ticker` or "
            '`df["ticker"]`).'
        )


@pytest.mark.parametrize(
    ("source", "error", "line"),
    [
        (
            "nowhere",
            NameError,
            "NameError: --each: no variable named 'nowhere' in the notebook; define it in a cell above.",
        ),
        ("names.ticker", TypeError, "TypeError: --each: names is a list, not a DataFrame: it has no column 'ticker'."),
        ("frame.price", LookupError, "LookupError: --each: frame has no column 'price' (its columns: ticker, 2)."),
        (
            "number",
            TypeError,
            "TypeError: --each: number is a int; it must be a list, tuple, pandas Series or Index, or a DataFrame column.",
        ),
        ("empty", ValueError, "ValueError: --each: empty is empty: there is nothing to ask about."),
    ],
)
def test_each_says_in_one_line_why_a_collection_cannot_be_asked_about(source, error, line):
    namespace = {"names": ["NVDA"], "frame": pd.DataFrame({"ticker": ["NVDA"], 2: [1]}), "number": 3, "empty": []}
    with pytest.raises(error) as info:
        each.resolve(source, namespace)
    assert one_line(info.value) == line


def test_each_fills_the_template_once_per_item_and_the_rest_from_the_notebook():
    template = "  How did {{ t }} do in {{year}}, against {{t}}? \n"
    assert each.questions("t", template, ["NVDA", 7], {"year": 2024}) == [
        "How did NVDA do in 2024, against NVDA?",
        "How did 7 do in 2024, against 7?",
    ]
    with pytest.raises(UsageError) as info:
        each.questions("t", "How did {{ticker}} do?", ["NVDA"], {})
    assert str(info.value) == (
        "--each t: the question never says {{t}}, so every item would be asked the same thing; "
        "put {{t}} where each item goes."
    )


def item(status: str) -> Answer:
    return Answer(question="q", raw_text="", status=status, thread_id=None, message_id=None)


@pytest.mark.parametrize("allow_errors", [False, True])
def test_a_batch_that_completed_goes_to_alfa_out_and_df(allow_errors):
    batch, namespace = Batch(["NVDA", "AMD"], [item("complete"), item("no_results")]), {}
    each.deliver(lambda: batch, namespace, out="calls", df="summary", allow_errors=allow_errors)
    assert namespace["_alfa"] is batch and namespace["calls"] is batch
    assert list(namespace["summary"]["status"]) == ["complete", "no_results"]
    each.deliver(lambda: batch, (only := {}), out=None, df=None, allow_errors=False)
    assert only == {"_alfa": batch}


def test_a_failed_batch_fails_the_cell_unless_errors_are_allowed():
    batch = Batch(["NVDA", "AMD"], [item("complete"), item("error")])
    namespace: dict = {}
    with pytest.raises(BatchError) as info:
        each.deliver(lambda: batch, namespace, out="calls", df="summary", allow_errors=False)
    assert info.value.batch is batch and namespace == {"_alfa": batch}
    assert one_line(info.value) == (
        "BatchError: 1 of 2 failed: AMD; `_alfa.retry_failed()` asks them again "
        "(--allow-errors keeps a partly failed batch)."
    )
    each.deliver(lambda: batch, namespace, out="calls", df=None, allow_errors=True)
    assert namespace == {"_alfa": batch, "calls": batch}


def test_an_interrupted_batch_is_a_keyboard_interrupt_even_with_errors_allowed():
    batch = Batch(["NVDA", "AMD"], [item("complete"), item("cancelled")], interrupted=True)
    namespace: dict = {}
    with pytest.raises(KeyboardInterrupt) as info:
        each.deliver(lambda: batch, namespace, out="calls", df="summary", allow_errors=True)
    assert namespace == {"_alfa": batch}
    assert one_line(info.value) == (
        "KeyboardInterrupt: the batch was stopped and its running items cancelled on the server; "
        "`_alfa` holds what was answered, `_alfa.retry_failed()` asks the rest."
    )


def test_a_ctrl_c_with_no_batch_goes_on_as_it_came():
    namespace: dict = {}

    def stopped_early() -> Batch:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as info:
        each.deliver(stopped_early, namespace, out="calls", df=None, allow_errors=False)
    assert namespace == {} and not hasattr(info.value, "_render_traceback_")
