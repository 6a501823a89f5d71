"""What a table must not change on its way to a DataFrame or a saved notebook: an integer past
2**53, a label that already names its unit, and the row count of a table cut twice."""

from __future__ import annotations

import pytest

import alfa_notebook as alfa
from alfa_notebook.wire.models import Artifact


def table(columns: list[dict], rows: list[list]) -> Artifact:
    raw = {"output_type": "table", "title": "t", "columns": columns, "rows": rows, "citations": []}
    return Artifact.from_raw("tbl", raw, thread_id="thread-1", message_id="m1")


@pytest.mark.parametrize("backend", ["numpy_nullable", "pyarrow"])
def test_integers_past_2_to_the_53_keep_every_digit(backend):
    """Share counts and ids beyond 9,007,199,254,740,992 are not rounded through a float."""
    big = [2**53 + 1, -(2**62) - 3, 12]
    frame = table([{"name": "Shares", "col_type": "integer"}], [[v] for v in big]).to_dataframe(dtype_backend=backend)
    assert [int(v) for v in frame["Shares"]] == big


def test_units_in_the_label_are_not_written_twice():
    columns = [
        {"name": "Market cap (USD bn)", "col_type": "currency", "unit": "USD bn"},
        {"name": "Price", "col_type": "currency", "unit": "USD"},
    ]
    frame = table(columns, [[1.5, 2.0]]).to_dataframe(units="label")
    assert list(frame.columns) == ["Market cap (USD bn)", "Price (USD)"]


def test_a_cut_answer_saved_again_remembers_the_table_s_whole_size():
    """Saved with 3 of 10 rows, read back, saved again with 2: the note says 2 of 10, not of 3."""
    rows = [[i] for i in range(10)]
    answer = alfa.Answer(
        question="q",
        raw_text='```{"type": "output_artifact", "artifact_id": "tbl"}```',
        status="complete",
        thread_id="thread-1",
        message_id="m1",
        artifacts=[table([{"name": "N", "col_type": "integer"}], rows)],
    )
    once = alfa.Answer.from_dict(answer.to_dict(max_rows=3))
    twice = alfa.Answer.from_dict(once.to_dict(max_rows=2))
    assert twice.cut_tables == {"tbl": 10}
    assert any("2 of its 10 rows" in w for w in twice.warnings)
    again = alfa.Answer.from_dict(once.to_dict(max_rows=5))  # no cut this time: still a part of 10
    assert again.cut_tables == {"tbl": 10}
