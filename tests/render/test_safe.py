"""The escaping and sanitising helpers, one by one."""

from __future__ import annotations

import pytest

from alfa_notebook.render.safe import clean_html, esc, md_text, plain, safe_href, scrub_placeholders


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a?b=1&c=2",
        "http://x.example",
        "HTTPS://X.EXAMPLE/",
        "mailto:ir@example.com",
        " https://x.example ",
    ],
)
def test_safe_links_pass(url: str) -> None:
    assert safe_href(url) == url.strip()


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
        "java\nscript:alert(1)", "&#106;avascript:alert(1)", "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox(1)", "//evil.example/x", "/relative", "#anchor", "https:evil", "https://a\x00b",
        "ftp://x.example", "", None, 42,
    ],
)  # fmt: skip
def test_unsafe_links_are_refused(url: object) -> None:
    assert safe_href(url) is None


def test_spaces_inside_a_link_are_encoded() -> None:
    assert safe_href("https://x.example/a b") == "https://x.example/a%20b"


def test_esc_escapes_markup_quotes_and_dollars() -> None:
    assert esc("<a href=\"x\">'$5'</a>") == "&lt;a href=&quot;x&quot;&gt;&#x27;&#36;5&#x27;&lt;/a&gt;"


def test_md_text_is_literal_in_markdown() -> None:
    assert md_text("*a* _b_ `c` [d](e) <f> & $g | h\nnext") == r"\*a\* \_b\_ \`c\` \[d\](e) &lt;f> &amp; \$g \| h next"


def test_plain_shows_control_characters_instead_of_sending_them() -> None:
    assert plain("a\x1b[2Jb\x07\tc\nd\x9b") == "a\\x1b[2Jb\\x07\tc\nd\\x9b"


def test_scrub_keeps_offsets() -> None:
    assert scrub_placeholders("a\ue000b\ue00fc\ue010") == "a\ufffdb\ufffdc\ue010"


def test_clean_html_allow_list() -> None:
    dirty = (
        '<p onclick="x()" style="color:red" class="k">hi <a href="javascript:alert(1)">j</a> '
        '<a href="https://ok.example" target="_self">ok</a> <img src=x onerror=alert(1)></p>'
        "<script>alert(1)</script><style>p{}</style><iframe src=x></iframe><td align=right>1</td>"
    )
    assert clean_html(dirty) == (
        '<p>hi <a target="_blank" rel="noopener noreferrer">j</a> '
        '<a href="https://ok.example" target="_blank" rel="noopener noreferrer">ok</a> </p>1'
    )
    assert clean_html("<table><tr><td align=right>1</td><td align=evil>2</td></tr></table>") == (
        '<table><tbody><tr><td align="right">1</td><td>2</td></tr></tbody></table>'
    )


def test_plain_shows_bidi_controls_instead_of_sending_them() -> None:
    text = "ok \u202aa\u202bb\u202cc\u202dd\u202ee \u2066f\u2067g\u2068h\u2069 é ש"
    assert plain(text) == "ok \\u202aa\\u202bb\\u202cc\\u202dd\\u202ee \\u2066f\\u2067g\\u2068h\\u2069 é ש"


def test_html_links_that_are_relative_or_of_another_scheme_lose_their_target() -> None:
    """Behind markdown-it's own link check, the HTML cleaner keeps only absolute http(s) and
    mailto links: a relative link would resolve against the notebook server, ftp is no source."""
    html = clean_html(
        '<p><a href="/x">rel</a> <a href="ftp://host/f">ftp</a> <a href="https://ok.example/a">ok</a></p>'
    )
    assert html.count("href=") == 1 and 'href="https://ok.example/a"' in html
