import json

from hypothesis import given
from hypothesis import strategies as st

from alfa_notebook.wire import markers


def block(obj):
    return "```" + json.dumps(obj) + "```"


def test_artifact_marker_anywhere_in_text():
    text = (
        "Intro "
        + block({"type": "output_artifact", "artifact_id": "a1"})
        + " middle\n"
        + block({"type": "output_artifact", "artifact_id": "a2"})
        + "end"
    )
    assert markers.artifact_ids(text) == ["a1", "a2"]
    assert markers.plain_text(text) == "Intro  middle\nend"


def test_stock_object_reads_as_its_symbol():
    text = "Buy " + block({"type": "stock", "gbi_id": 1, "symbol": "NVDA"}) + " now"
    assert markers.plain_text(text) == "Buy NVDA now"
    assert markers.artifact_ids(text) == []


def test_code_blocks_that_are_not_objects_stay():
    text = "```python\nprint({'a': 1})\n``` and ```{not json}```"
    assert markers.plain_text(text) == text


def test_repeated_marker_counted_once():
    b = block({"type": "output_artifact", "artifact_id": "a1"})
    assert markers.artifact_ids(b + b) == ["a1"]


def test_spans_point_into_raw_text():
    text = "x" + block({"type": "output_artifact", "artifact_id": "a"}) + "y"
    obj = next(p for p in markers.split(text) if isinstance(p, markers.InlineObject))
    assert text[obj.start : obj.end].startswith("```{") and text[obj.end :] == "y"


@given(st.text())
def test_split_loses_nothing(text):
    pieces = markers.split(text)
    assert "".join(p if isinstance(p, str) else text[p.start : p.end] for p in pieces) == text
