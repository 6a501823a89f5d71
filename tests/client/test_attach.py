"""``ask(question, attach=[...])``: what the notebook holds, sent to the thread before the question.

Unit tests read the files ``attachments`` makes (their bytes are what the service reads) and drive
the sans-I/O procedure with a scripted performer; end-to-end tests ask the emulator, which reads an
uploaded CSV or Parquet file and answers from its content, so an answer that names the file's
stocks and summarises its columns shows the bytes arrived whole.
"""

from __future__ import annotations

import asyncio
import io
import random

import httpx
import matplotlib
import pandas as pd
import pytest
from test_turn import Script, chunk, message, status

import alfa_notebook as alfa
from alfa_notebook.attachments import uploads
from alfa_notebook.turn import steps
from alfa_notebook.wire.errors import APIStatusError, AttachmentError, OptionalDependencyError
from alfa_notebook.wire.operations import Upload
from alfa_notebook.wire.settings import DEFAULT_MAX_ATTACHMENT_BYTES

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (after the backend is chosen)

LIMIT = DEFAULT_MAX_ATTACHMENT_BYTES


@pytest.fixture
def sent() -> list[httpx.Request]:
    return []


@pytest.fixture
def no_network(sent: list[httpx.Request]) -> httpx.MockTransport:
    """Records every request and answers none."""

    def refuse(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        raise httpx.ConnectError("no network in this test", request=request)

    return httpx.MockTransport(refuse)


def holdings() -> pd.DataFrame:
    """A ticker "NA" and CUSIPs with leading zeros: what a careless CSV round trip breaks."""
    return pd.DataFrame(
        {"ticker": ["NA", "NVDA", "AMD"], "cusip": ["00724F101", "67066G104", "007903107"], "weight": [0.2, 0.5, 0.3]}
    )


# -- the files made from notebook objects ---------------------------------------------------------


def test_a_frame_is_sent_as_csv_with_its_text_intact_and_a_default_index_left_out() -> None:
    (made,) = uploads([("holdings.csv", holdings())], limit=LIMIT)
    assert made.name == "holdings.csv"
    assert made.content.decode() == ("ticker,cusip,weight\nNA,00724F101,0.2\nNVDA,67066G104,0.5\nAMD,007903107,0.3\n")
    assert made.origin == "a DataFrame, 3 rows × 3 columns"


def test_a_meaningful_index_and_missing_values_are_kept() -> None:
    frame = holdings().set_index("ticker")
    frame.loc["AMD", "weight"] = None
    (made,) = uploads(frame, limit=LIMIT)
    assert made.name == "table.csv"
    assert made.content.decode().splitlines() == [
        "ticker,cusip,weight",
        "NA,00724F101,0.2",
        "NVDA,67066G104,0.5",
        "AMD,007903107,",
    ]


def test_a_series_becomes_a_one_column_file_named_after_it() -> None:
    series = pd.Series([1.5, 2.5], index=pd.Index(["NA", "AMD"], name="ticker"), name="weight")
    (made,) = uploads([series], limit=LIMIT)
    assert made.content.decode() == "ticker,weight\nNA,1.5\nAMD,2.5\n"


def test_a_parquet_name_keeps_the_dtypes() -> None:
    frame = holdings().astype({"weight": "float32"})
    (made,) = uploads({"holdings.parquet": frame}, limit=LIMIT)
    back = pd.read_parquet(io.BytesIO(made.content))
    pd.testing.assert_frame_equal(back, frame)


def test_bytes_paths_and_figures(tmp_path) -> None:
    report = tmp_path / "q2 report.pdf"
    report.write_bytes(b"%PDF-1.7 ...")
    figure, axes = plt.subplots()
    axes.plot([1, 2, 3])
    made = uploads([b"raw,bytes\n", report, str(report), ("chart.png", figure)], limit=LIMIT)
    plt.close(figure)
    assert [m.name for m in made] == ["attachment.bin", "q2 report.pdf", "q2 report-2.pdf", "chart.png"]
    assert made[1].content == made[2].content == b"%PDF-1.7 ..."
    assert made[3].content.startswith(b"\x89PNG\r\n\x1a\n")


def test_a_variable_names_its_file_and_says_where_it_came_from() -> None:
    from alfa_notebook.attachments import upload

    made = upload(holdings(), variable="holdings", limit=LIMIT)
    assert made.name == "holdings.csv"
    assert made.origin == "the variable holdings: a DataFrame, 3 rows × 3 columns"


@pytest.mark.parametrize(
    ("attach", "says"),
    [
        (object(), "attach: item 0 (object) cannot be sent: a builtins.object is not a DataFrame"),
        (pd.DataFrame({"ticker": []}), "attach: item 0 (DataFrame) is an empty DataFrame (0 rows × 1 columns)"),
        ([b"ok", b""], "attach: item 1 (bytes) is empty (0 bytes): nothing to send."),
        ("no/such/file.csv", "attach: no/such/file.csv does not exist: no such file."),
        (
            {"big.csv": pd.DataFrame({"x": range(1000)})},
            "attach: big.csv is 3.8 KiB, over the limit of 1,000 bytes (max_attachment_bytes",
        ),
    ],
)
def test_what_cannot_be_sent_is_refused_naming_the_item(attach, says) -> None:
    with pytest.raises(AttachmentError) as caught:
        uploads(attach, limit=1000)
    assert str(caught.value).startswith(says)
    assert isinstance(caught.value, alfa.ConfigurationError)


def test_a_directory_or_an_unreadable_path_is_refused_naming_it(tmp_path) -> None:
    with pytest.raises(AttachmentError) as caught:
        uploads(tmp_path, limit=LIMIT)
    assert str(caught.value) == f"attach: {tmp_path} is a directory; attach one file."
    inside_a_file = tmp_path / "notes.txt" / "q2.csv"
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(AttachmentError) as caught:
        uploads([inside_a_file], limit=LIMIT)
    assert str(caught.value) == f"attach: {inside_a_file} cannot be read (Not a directory)."


@pytest.mark.parametrize(
    ("size", "limit", "says"),
    [
        (1024, 1023, "is 1.0 KiB, over the limit of 1,023 bytes"),
        (1_000_000, 500_000, "is 976.6 KiB, over the limit of 488.3 KiB"),
        (1_572_864, 2**20, "is 1.5 MiB, over the limit of 1.0 MiB"),
    ],
)
def test_a_size_over_the_limit_is_said_in_the_unit_that_reads_best(size, limit, says) -> None:
    with pytest.raises(AttachmentError) as caught:
        uploads({"big.bin": b"x" * size}, limit=limit)
    assert str(caught.value) == (
        f"attach: big.bin {says} "
        "(max_attachment_bytes, or ALFA_MAX_ATTACHMENT_BYTES, raises it if the service accepts more)."
    )


def test_a_file_of_exactly_the_limit_is_sent_and_a_renamed_one_says_its_name(tmp_path) -> None:
    from alfa_notebook.attachments import upload

    report = tmp_path / "report.pdf"
    report.write_bytes(b"x" * 100)
    (made,) = uploads({"q2.pdf": report}, limit=100)
    assert (made.name, made.content) == ("q2.pdf", b"x" * 100)
    with pytest.raises(
        AttachmentError, match=r"^attach: holdings is 74 bytes as holdings.csv, over the limit of 50 bytes"
    ):
        upload(holdings(), variable="holdings", limit=50)


def _png_size(content: bytes) -> tuple[int, int]:
    assert content.startswith(b"\x89PNG\r\n\x1a\n")
    return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")


def test_a_matplotlib_figure_is_sent_as_a_png_cropped_to_what_it_draws() -> None:
    """Whatever the notebook's own savefig settings: a user who saves SVGs still sends a PNG."""
    figure, axes = plt.subplots(figsize=(6.4, 4.8), dpi=100)
    axes.plot([1, 2, 3])
    with matplotlib.rc_context({"savefig.format": "svg", "savefig.bbox": None}):
        (made,) = uploads([("chart.png", figure)], limit=LIMIT)
    plt.close(figure)
    width, height = _png_size(made.content)
    assert width < 640 and height < 480  # no margin around the axes
    assert made.origin == "a matplotlib figure"


class PlotlyFigure:
    """Stands in for a plotly figure (plotly is not a dependency): ``to_image`` draws with kaleido
    in one of plotly's formats, in the user's default format when none is given, or raises
    ValueError as plotly does when kaleido is missing."""

    __module__ = "plotly.graph_objs._figure"
    FORMATS = {"png": b"\x89PNG\r\n\x1a\n-plotly", "svg": b"<svg/>", "jpeg": b"\xff\xd8"}

    def __init__(self, kaleido: bool = True, default_format: str = "svg") -> None:
        self.kaleido, self.default_format = kaleido, default_format

    def to_image(self, format: str | None = None) -> bytes:  # noqa: A002 (plotly's name)
        if not self.kaleido:
            raise ValueError('Image export using the "kaleido" engine requires the kaleido package')
        if (format or self.default_format) not in self.FORMATS:
            raise ValueError(f"Invalid format '{format}'")
        return self.FORMATS[format or self.default_format]


def test_a_plotly_figure_is_sent_as_a_png_or_says_what_to_install() -> None:
    (made,) = uploads([PlotlyFigure()], limit=LIMIT)
    assert (made.name, made.content, made.origin) == ("figure.png", PlotlyFigure.FORMATS["png"], "a plotly figure")
    with pytest.raises(OptionalDependencyError) as caught:
        uploads({"returns.png": PlotlyFigure(kaleido=False)}, limit=LIMIT)
    assert str(caught.value).startswith(
        "returns.png is a plotly figure, and drawing it as PNG needs kaleido: pip install kaleido ("
    )


def test_names_made_unique_keep_their_extension_and_origin() -> None:
    made = uploads(
        [
            ("q2.report.pdf", b"a"),
            ("q2.report.pdf", b"b"),
            ("notes", b"c"),
            ("notes", b"d"),
            (".env", b"e"),
            (".env", b"f"),
        ],
        limit=LIMIT,
    )
    assert [m.name for m in made] == ["q2.report.pdf", "q2.report-2.pdf", "notes", "notes-2", ".env", ".env-2"]
    assert {m.origin for m in made} == {"1 bytes"}


def test_a_variable_attached_from_the_magic_is_named_in_its_error() -> None:
    from alfa_notebook.attachments import upload

    with pytest.raises(AttachmentError) as caught:
        upload(pd.DataFrame(), variable="holdings", limit=LIMIT)
    assert str(caught.value).startswith("attach: holdings is an empty DataFrame")
    with pytest.raises(AttachmentError) as caught:
        upload(object(), limit=LIMIT)
    assert str(caught.value).startswith("attach: item 0 (object) cannot be sent")


def test_an_empty_file_is_refused_and_a_file_says_where_it_came_from(tmp_path) -> None:
    empty, report = tmp_path / "empty.csv", tmp_path / "report.csv"
    empty.write_bytes(b"")
    report.write_bytes(b"a\n1\n")
    with pytest.raises(AttachmentError) as caught:
        uploads([empty], limit=LIMIT)
    assert str(caught.value) == f"attach: {empty} is empty (0 bytes): nothing to send."
    assert uploads([report], limit=LIMIT)[0].origin == f"the file {report}"


def test_an_unnamed_series_and_a_frame_named_without_an_extension_are_csv() -> None:
    (series,) = uploads([pd.Series([1.5, 2.5])], limit=LIMIT)
    assert (series.name, series.content, series.origin) == (
        "table.csv",
        b"value\n1.5\n2.5\n",
        "a Series, 2 rows × 1 columns",
    )
    (frame,) = uploads({"holdings": holdings()}, limit=LIMIT)
    assert frame.name == "holdings.csv" and frame.content.startswith(b"ticker,cusip,weight\n")


def test_an_index_that_is_not_the_default_is_kept_in_csv_and_parquet() -> None:
    """Tickers as an unnamed index, or rows sliced from a larger frame, are data the service sees."""
    weights = pd.DataFrame({"weight": [0.5, 0.3]}, index=["NVDA", "AMD"])
    (made,) = uploads([weights], limit=LIMIT)
    assert made.content == b",weight\nNVDA,0.5\nAMD,0.3\n"
    import pyarrow.parquet as pq

    (sliced,) = uploads({"tail.parquet": holdings().iloc[1:]}, limit=LIMIT)
    assert pq.read_table(io.BytesIO(sliced.content)).num_columns == 4  # the rows' positions too, as in CSV


def test_an_axes_or_an_object_that_only_looks_like_a_figure_is_refused() -> None:
    figure, axes = plt.subplots()
    with pytest.raises(AttachmentError, match="a matplotlib.axes._axes.Axes is not a DataFrame"):
        uploads([axes], limit=LIMIT)
    plt.close(figure)

    class Drawing:
        def to_image(self, format: str = "png") -> bytes:  # noqa: A002
            return b"\x89PNG"

    with pytest.raises(
        AttachmentError,
        match="Drawing is not a DataFrame, a Series, a matplotlib or plotly figure, bytes, or a file's path.$",
    ):
        uploads([Drawing()], limit=LIMIT)


def test_parquet_without_pyarrow_says_what_to_install(monkeypatch) -> None:
    import builtins

    real = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name == "pyarrow":
            raise ImportError("No module named 'pyarrow'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    with pytest.raises(OptionalDependencyError, match="pip install pyarrow"):
        uploads({"h.parquet": holdings()}, limit=LIMIT)


# -- the procedure: uploads before the question, in the same thread --------------------------------


def procedure(uploads_=()):
    return steps.AskProcedure("q", None, clock=lambda: 0.0, rng=random.Random(0), uploads=uploads_)


FILES = (Upload("a.csv", b"x\n1\n", "a"), Upload("b.png", b"\x89PNG", "b"))


def test_files_are_uploaded_to_the_new_thread_before_the_stream_and_the_question() -> None:
    script = Script([chunk("Hi", final=True), message("Hi"), status("Complete")])
    result = script.run(procedure(FILES))
    routes = [entry for entry in script.log if isinstance(entry, tuple)]
    assert routes[:4] == [
        ("POST", "/threads"),
        ("POST", "/threads/{id}/files"),
        ("POST", "/threads/{id}/files"),
        ("POST", "/threads/{id}/messages"),
    ]
    assert script.log.index("OpenStream") < script.log.index(("POST", "/threads/{id}/messages"))
    assert result.turn.attached == ["a.csv", "b.png"]


class Refusing(Script):
    """Performs as the runners do (a failed call is thrown into the procedure); uploads fail."""

    def run(self, procedure):
        gen, outcome, error = procedure.run(), None, None
        while True:
            try:
                effect = gen.throw(error) if error is not None else gen.send(outcome)
            except StopIteration as done:
                return done.value
            self.log.append(type(effect).__name__)
            try:
                outcome, error = self.perform(effect), None
            except APIStatusError as failed:
                outcome, error = None, failed

    def perform(self, effect):
        if isinstance(effect, steps.Call) and effect.operation.route == "/threads/{id}/files":
            self.log.append(("POST", "/threads/{id}/files"))
            raise APIStatusError("File too large", status_code=413, method="POST", path="/threads/{id}/files")
        return super().perform(effect)


def test_a_failed_upload_asks_nothing_and_leaves_no_thread_it_made() -> None:
    script = Refusing([])
    with pytest.raises(APIStatusError):
        script.run(procedure(FILES))
    routes = [entry for entry in script.log if isinstance(entry, tuple)]
    assert ("POST", "/threads/{id}/messages") not in routes
    assert routes[-1] == ("DELETE", "/threads/{id}")


def test_a_thread_given_is_not_deleted_when_an_upload_fails() -> None:
    script = Refusing([])
    asked = steps.AskProcedure("q", "t9", clock=lambda: 0.0, rng=random.Random(0), uploads=FILES)
    with pytest.raises(APIStatusError):
        script.run(asked)
    routes = [entry for entry in script.log if isinstance(entry, tuple)]
    assert routes == [("POST", "/threads/{id}/files")]  # no thread made, none deleted, nothing asked


# -- end to end against the emulator --------------------------------------------------------------


def test_the_answer_reads_the_attached_frame(make_client) -> None:
    client = make_client()
    answer = client.ask("What do you make of my holdings?", attach=[("holdings.csv", holdings())])
    assert answer.status == "complete" and answer.attachments == ["holdings.csv"]
    assert "Your file lists 3 stocks: NA, NVDA and AMD." in answer.text
    summary = answer.tables[0]
    assert summary.attrs["alfa_title"] == "holdings.csv: the columns of your file"
    firsts = dict(zip(summary["Column"], summary["First value"]))
    assert firsts["ticker"] == "NA" and firsts["cusip"] == "00724F101"  # as the file holds them
    cited = [c for c in answer.citations if c.type == "custom_doc"]
    assert [c.title for c in cited] == ["holdings.csv"]
    assert "attached holdings.csv" in answer.to_text()


def test_a_parquet_file_is_read_too(make_client) -> None:
    answer = make_client().ask("Review my holdings", attach={"holdings.parquet": holdings()})
    assert "Your file lists 3 stocks: NA, NVDA and AMD." in answer.text


@pytest.mark.parametrize("attach", [[object()], [pd.DataFrame()], [("big.csv", holdings())]])
def test_nothing_is_sent_for_an_attachment_refused(no_network: httpx.MockTransport, sent, attach) -> None:
    blocking = alfa.AlfaClient(
        api_key="k", base_url="http://127.0.0.1:9", transport=no_network, max_attachment_bytes=10
    )
    with pytest.raises(AttachmentError):
        blocking.ask("Review my file", attach=attach)
    with pytest.raises(AttachmentError):
        blocking.ask_many(["Review my file"], attach=attach, progress=False)

    async def asynchronous() -> None:
        async with alfa.AsyncAlfaClient(
            api_key="k", base_url="http://127.0.0.1:9", transport=no_network, max_attachment_bytes=10
        ) as client:
            with pytest.raises(AttachmentError):
                await client.ask("Review my file", attach=attach)
            with pytest.raises(AttachmentError):
                await client.ask_many(["Review my file"], attach=attach, progress=False)

    asyncio.run(asynchronous())
    assert sent == []


def test_the_emulator_refuses_a_file_over_the_default_limit(make_client) -> None:
    client = make_client(max_attachment_bytes=LIMIT + 10)
    thread = client.threads("create", "too big")
    with pytest.raises(APIStatusError) as caught:
        client.threads("upload", thread.id, b"x" * (LIMIT + 1), "big.bin")
    assert caught.value.status_code == 413


def test_ask_many_sends_one_attachment_to_every_item(alfa_emulator) -> None:
    with alfa.AlfaClient(api_key=alfa_emulator.api_key, base_url=alfa_emulator.base_url) as client:
        batch = client.ask_many(
            ["Review my holdings", "Rank my holdings"], attach={"holdings.csv": holdings()}, progress=False
        )
    assert [a.attachments for a in batch] == [["holdings.csv"], ["holdings.csv"]]
    assert all("Your file lists 3 stocks" in a.text for a in batch)
    assert len({a.thread_id for a in batch}) == 2
