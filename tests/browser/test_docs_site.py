"""The documentation site, opened from the disk as the README says (``build/site/index.html``), works
with no network: page links open pages, search finds them, diagrams are drawn, and nothing is
fetched from the internet.

The site is built afresh (``mkdocs build``, a few seconds) into a temporary directory, so the test
checks this checkout's ``mkdocs.yml`` and pages, not whatever ``build/site`` held.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route

REPO = Path(__file__).parents[2]

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)],
        cwd=REPO, env=env, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return out


@pytest.fixture
def offline(page: Page) -> Iterator[list[str]]:
    """The page with every request that is not for a local file refused, and recorded."""
    left: list[str] = []

    def refuse(route: Route) -> None:
        left.append(route.request.url)
        route.abort("internetdisconnected")

    page.context.route("http://**/*", refuse)
    page.context.route("https://**/*", refuse)
    page.context.on("request", lambda r: None if r.url.startswith(("file:", "data:", "blob:")) else left.append(r.url))
    yield left


def test_the_site_works_from_file_urls_without_the_internet(site: Path, page: Page, offline: list[str]):
    page.set_viewport_size({"width": 1400, "height": 1000})  # wide enough for the navigation sidebar
    page.goto((site / "index.html").as_uri())
    assert page.title().startswith("alfa-notebook")

    # A navigation link opens a page (with .html), not a directory listing.
    page.locator(".md-sidebar--primary a.md-nav__link:visible", has_text="The Python API").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/python.html")
    assert "Index of" not in page.content()
    assert page.locator("article h1").first.is_visible()

    # Search runs in a worker that file:// pages cannot start without iframe-worker's shim.
    page.locator("input.md-search__input").click()
    page.keyboard.type("cassette")
    results = page.locator(".md-search-result__item")
    results.first.wait_for(state="visible")
    assert results.count() > 0
    first = results.first.locator("a").first.get_attribute("href") or ""
    assert ".html" in first

    # The design page's diagrams are drawn: mermaid (bundled) replaces each diagram's source, a
    # <pre class="mermaid">, with a <div class="mermaid"> that holds the drawing.
    page.goto((site / "design.html").as_uri())
    source = (site / "design.html").read_text(encoding="utf-8").count('<pre class="mermaid">')
    assert source >= 3
    page.locator("div.mermaid").nth(source - 1).wait_for(state="attached")
    assert page.locator("pre.mermaid").count() == 0
    assert page.locator("div.mermaid").count() == source

    assert offline == [], f"the site reached for the internet: {sorted(set(offline))}"
