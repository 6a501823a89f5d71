"""The terminal streams an answer's prose before its citations arrive, so the prose has no ``[n]``
markers: the sources printed after it say which words each number backs."""

from __future__ import annotations

from alfa_notebook.render.prepared import prepare_answer
from alfa_notebook.render.text import after_prose, cited_words
from alfa_notebook.render.walk import walk

from .conftest import cite, make_answer

TEXT = "NVDA rose 5% in June.\n\n- AMD fell, as its guidance disappointed investors who had hoped for more growth this year.\n"


def test_each_source_cited_in_the_prose_says_which_words_it_backs():
    first, second = TEXT.index(" in June") + len(" in June."), len(TEXT) - 1
    answer = make_answer(TEXT, citations=[cite(first, 1), cite(second, 2), cite(None, 3)])
    rest = after_prose(prepare_answer(answer, 20))
    lines = rest.splitlines()
    assert lines[lines.index("[1] Source 1 — example.com (web)") + 2] == "    cited for “NVDA rose 5% in June.”"
    quoted = lines[lines.index("[2] Source 2 — example.com (web)") + 2]
    assert quoted == "    cited for “…disappointed investors who had hoped for more growth this year.”"
    assert "[3] Source 3" in rest and rest.count("cited for") == 2  # no marker, nothing to quote


def test_the_quoted_words_show_control_characters_escaped():
    text = "Up \x1b[31m5% in June.\n"
    rest = after_prose(prepare_answer(make_answer(text, citations=[cite(len(text) - 1, 1)]), 20))
    assert "cited for “Up " in rest and "\x1b" not in rest


def test_words_are_quoted_only_for_markers_in_the_prose():
    assert cited_words(walk("No citations here.", [cite(None, 1)])) == {}
