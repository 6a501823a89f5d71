"""A ``%alfa`` line, ``{{name}}`` interpolation and the ``?`` transformer, without a service."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from IPython.core.error import UsageError

from alfa_notebook.notebook import options, subcommands
from alfa_notebook.notebook.inputs import keep_question_marks
from alfa_notebook.notebook.interpolation import _FIELD, interpolate, summarize_frame
from alfa_notebook.notebook.magics import AlfaMagics

PARSER = AlfaMagics.alfa.parser


@pytest.mark.parametrize(
    ("line", "opts", "question"),
    [
        ("What's NVDA's P/E?", "", "What's NVDA's P/E?"),
        ("-o ans --df t Which fell -5% today?", "-o ans --df t", "Which fell -5% today?"),
        ('--new --timeout 30 How "big" is it?', "--new --timeout 30", 'How "big" is it?'),
        (
            "-t 'My research' --attach C:\\data\\q2.csv Summarize",
            "-t 'My research' --attach C:\\data\\q2.csv",
            "Summarize",
        ),
        ("--out=ans -oother  spaced   question ", "--out=ans -oother", "spaced   question"),
        ("--static -- -5% movers", "--static", "-5% movers"),
        ("--background", "--background", ""),
        ("", "", ""),
    ],
)
def test_split_takes_leading_options_and_leaves_the_question_untouched(line: str, opts: str, question: str) -> None:
    parsed = options.split(line, PARSER)
    assert (parsed.options, parsed.question) == (opts, question)


def test_unknown_leading_option_says_how_to_ask_anyway() -> None:
    with pytest.raises(UsageError, match=r"unknown option '-5%'.*`%alfa -- -5% movers`"):
        options.split("-5% movers", PARSER)


def test_parse_unquotes_and_keeps_backslashes() -> None:
    args = options.parse(PARSER, "-t 'My research' --attach C:\\data\\q2.csv --attach b.csv --timeout 2.5 -o x")
    assert args.thread == "My research" and args.attach == ["C:\\data\\q2.csv", "b.csv"]
    assert args.timeout == 2.5 and args.out == "x" and not args.new
    with pytest.raises(UsageError, match="No closing quotation"):
        options.parse(PARSER, "-t 'unbalanced")
    with pytest.raises(UsageError):
        options.parse(PARSER, "--timeout soon")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("help", ("help", None)),
        ("threads", ("threads", None)),
        ("history", ("history", None)),
        ("history 5", ("history", 5)),
        ("history of NVDA", None),
        ("status of AMD earnings", None),
        ("use 'My research'", ("use", "My research")),
        ("new", ("new", "")),
        ("new Semis deep dive", ("new", "Semis deep dive")),
        ("-- history 5", None),
        ("-o x history", None),
        ("Help me compare NVDA and AMD", None),
        ("NVDA", None),
    ],
)
def test_subcommands_are_recognised_only_in_their_own_shape(line: str, expected: tuple[str, object] | None) -> None:
    parsed = options.split(line, PARSER)
    found = None if parsed.options or parsed.explicit else subcommands.recognise(parsed.question)
    assert (found and (found[0].name, found[1])) == expected


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("histroy", "unknown subcommand 'histroy'; did you mean 'history'? To ask it as a question, write "
                    "`%alfa -- histroy`."),
        ("stauts", "unknown subcommand 'stauts'; did you mean 'status'?"),
        ("thread 3", "unknown subcommand 'thread'; did you mean 'threads'?"),
        ("history abc", "history takes a number above 0, as in `%alfa history 3`; not 'abc'."),
        ("history 0", "history takes a number above 0"),
        ("use", "use takes a thread's id or name"),
        ("status now", "status takes no argument; to ask a question, write `%alfa -- status now`."),
        ("doctor --ask what --now", "doctor takes [--ask [QUESTION]] [--json]"),  # an option: not a question
    ],
)  # fmt: skip
def test_typos_and_wrong_arguments_are_refused_not_asked(line: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        subcommands.recognise(line)
    assert str(info.value).startswith(message)


def test_the_subcommands_are_listed_once_and_the_help_lists_them_all() -> None:
    usage = subcommands.usages()
    assert usage == (
        "help | status | threads | new [NAME] | use ID_OR_NAME | history [N] | export PATH [--thread ID] | cancel"
        " | last | version"
        " | cassette [PATH [MODE] | off] | doctor [--ask [QUESTION]] [--json] [--include-text] [--timeout SECONDS]"
    )
    doc = " ".join(AlfaMagics.alfa.__doc__.split())
    assert "%alfa SUBCOMMAND help | status | threads | new [NAME] | use ID_OR_NAME | history [N] |" in doc


class Holder:
    class inner:
        value = 42


def test_interpolation_of_names_and_attributes() -> None:
    ns = {"sector": "banks", "holder": Holder(), "n": 3}
    text = "Top {{n}} {{ sector }} by {{holder.inner.value}}; {sector} {{ n + 1 }} {{.Name}} {{{n}}}"
    assert interpolate(text, ns) == "Top 3 banks by 42; {sector} {{ n + 1 }} {{.Name}} {3}"


def test_interpolation_errors_name_the_culprit() -> None:
    with pytest.raises(NameError, match=r"\{\{nope\}\} names no variable") as info:
        interpolate("a {{nope}}", {})
    assert info.value._render_traceback_()[0].startswith("NameError:")
    with pytest.raises(AttributeError, match="holder.inner has no attribute 'missing'"):
        interpolate("{{holder.inner.missing}}", {"holder": Holder()})
    with pytest.raises(NameError, match="special attributes"):
        interpolate("{{holder.__class__}}", {"holder": Holder()})


@given(st.text(alphabet="{}ab _.$%\"'\n1", max_size=60))
def test_text_without_a_field_is_never_changed(text: str) -> None:
    assume(_FIELD.search(text) is None)
    assert interpolate(text, {"a": "X", "b": "Y"}) == text


def test_a_dataframe_becomes_a_bounded_summary() -> None:
    wide = pd.DataFrame({f"column_{i}": ["x" * 500] * 2000 for i in range(300)})
    summary = interpolate("Look at {{wide}}", {"wide": wide})
    assert summary.startswith("Look at\n\nDataFrame with 2000 rows and 300 columns.")
    assert "and 280 more" in summary and len(summary) < 12_000
    small = pd.DataFrame({"ticker": ["NA", "A|B"], "weight": [0.5, None]}).astype({"ticker": "string"})
    assert summarize_frame(small).splitlines() == [
        "DataFrame with 2 rows and 2 columns.",
        "Columns (dtype): ticker (string), weight (float64).",
        "",
        "Rows:",
        "",
        "|  | ticker | weight |",
        "| --- | --- | --- |",
        "| 0 | NA | 0.5 |",
        "| 1 | A\\|B | nan |",
    ]
    assert interpolate("{{s}}", {"s": small["ticker"]}).startswith("DataFrame with 2 rows and 1 columns.")


def test_a_dataframe_mid_sentence_is_a_block_and_the_sentence_goes_on() -> None:
    frame = pd.DataFrame({"ticker": ["NVDA"], "weight": [0.1257302210933933], "price": [1234.56789]})
    frame = frame.astype({"ticker": "string"})
    text = interpolate("Given {{frame}} which is riskier?", {"frame": frame})
    assert text == (
        "Given\n\n"
        "DataFrame with 1 rows and 3 columns.\n"
        "Columns (dtype): ticker (string), weight (float64), price (float64).\n\n"
        "Rows:\n\n"
        "|  | ticker | weight | price |\n"
        "| --- | --- | --- | --- |\n"
        "| 0 | NVDA | 0.12573 | 1234.57 |\n\n"
        "which is riskier?"
    )


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("%alfa Why did NVDA rally?\n", "get_ipython().run_line_magic('alfa', 'Why did NVDA rally?')\n"),
        ("x = %alfa -o a What's up?", "x = get_ipython().run_line_magic('alfa', \"-o a What's up?\")"),
        ("if True:\n    %alfa Why?\n", "if True:\n    get_ipython().run_line_magic('alfa', 'Why?')\n"),
        ("%alfa?\n", "%alfa?\n"),
        ("%alfa status\n", "%alfa status\n"),
        ("%%alfa -o a\n%alfa Why?\n", "%%alfa -o a\n%alfa Why?\n"),
        ("%alfaother Why?\n", "%alfaother Why?\n"),
    ],
)
def test_question_marks_stay_questions(cell: str, expected: str) -> None:
    lines = cell.splitlines(keepends=True)
    assert "".join(keep_question_marks(lines)) == expected


def test_the_clients_python_hints_become_magic_hints() -> None:
    from alfa_notebook import Answer
    from alfa_notebook.notebook.errors import explain
    from alfa_notebook.wire.errors import APIConnectionError, ConflictError, StreamInterruptedError

    partial = Answer("q", "Half an answer", "error", "t1", "m1")
    broken = StreamInterruptedError("... `client.threads.messages(thread_id)` fetches the rest later.")
    assert explain(broken, partial) == (
        "StreamInterruptedError: the event stream broke and the service could not be reached to finish the "
        "answer. `_alfa` holds the partial answer. `%alfa history 1` shows the whole answer once the service is back."
    )
    busy = ConflictError("The thread is busy with another answer.", status_code=409)
    assert explain(busy, None) == (
        "ConflictError: The thread is busy with another answer. `%alfa cancel` stops what runs in the current "
        "thread, or ask with --new."
    )
    down = APIConnectionError("Could not reach the service (ConnectError).")
    assert explain(down, None).endswith("`%alfa status` checks the settings and the connection.")
    said = APIConnectionError("Could not reach the service. Check base_url (`%alfa status`).")
    assert explain(said, None).count("%alfa status") == 1
    assert explain(KeyboardInterrupt(), None) == "KeyboardInterrupt: interrupted before the question was sent."


def test_a_service_error_reads_in_magic_terms_on_one_inert_line() -> None:
    """What the client builds from a real 409 and 404 (service text, Python advice) shows in the
    magic as one line, the service's control characters visible, and only magic hints."""
    import httpx

    from alfa_notebook.notebook.errors import explain, short
    from alfa_notebook.wire import operations as ops
    from alfa_notebook.wire.outcomes import status_error

    op = ops.send_message("t1", "Why?")
    busy = status_error(httpx.Response(409, json={"detail": "busy\x1b[31mRED\nsecond line"}), op)
    line = short(busy, explain(busy, None))._render_traceback_()  # type: ignore[attr-defined]
    assert line == [
        "ConflictError: POST /threads/{id}/messages -> 409: busy\\x1b[31mRED second line. `%alfa cancel` stops "
        "what runs in the current thread, or ask with --new."
    ]
    gone = status_error(httpx.Response(404, json={"detail": "Thread not found"}), ops.progress("t1"))
    assert explain(gone, None) == (
        "NotFoundError: GET /threads/{id}/progress -> 404: Thread not found. `%alfa threads` lists the threads, "
        "`%alfa new` starts one."
    )


def test_the_failed_cell_s_line_names_the_request_id_support_can_trace() -> None:
    import httpx

    from alfa_notebook.notebook.errors import explain
    from alfa_notebook.wire import operations as ops
    from alfa_notebook.wire.outcomes import status_error

    busy = status_error(
        httpx.Response(409, headers={"x-request-id": "req_7"}, json={"detail": "busy"}), ops.send_message("t1", "Why?")
    )
    assert explain(busy, None) == (
        "ConflictError: POST /threads/{id}/messages -> 409: busy. (request id req_7) `%alfa cancel` stops what "
        "runs in the current thread, or ask with --new."
    )
    gone = status_error(httpx.Response(404, headers={"x-request-id": "req_8"}), ops.list_threads())
    assert "(request id req_8)" in explain(gone, None)


def test_a_thread_busy_error_reads_in_magic_terms_naming_the_task() -> None:
    from alfa_notebook.notebook.errors import explain
    from alfa_notebook.wire.errors import ThreadBusyError

    busy = ThreadBusyError(
        "POST /threads/{id}/messages -> 400: thread t1 is busy with task k9, still running after 30 s; the "
        "question was not sent. Wait for it, or stop it with client.threads.cancel('t1'), then ask again.",
        status_code=400,
        method="POST",
        path="/threads/{id}/messages",
        request_id="req_9",
        detail="thread t1 is busy with task k9, still running after 30 s; the question was not sent",
        advice="Wait for it, or stop it with client.threads.cancel('t1'), then ask again.",
    )
    line = explain(busy, None)
    assert line.startswith("ThreadBusyError: POST /threads/{id}/messages -> 400: thread t1 is busy with task k9")
    assert "(request id req_9)" in line and "`%alfa cancel`" in line and "client." not in line
