"""A chapter whose title reads as HTML runs nothing in the browser: on its page, the others, or the search.

A small book (``minibook.py``) with such a chapter is built and served; every page and a search for the
title are opened in Chromium, which would show a dialog if any place put the title into a page unescaped
(the theme's print header and sidebar, the search results, the head's ``<title>``, the toc).
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import minibook
import pytest

from browser.conftest import VIEWS, QuietHandler

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Two ways in: a script element (runs where it is parsed as HTML) and an image whose error handler
# runs (where it is put in with innerHTML, as the search puts in its results). No quotes: the page
# would show them typographic (see CONTRIBUTING.md), and the test compares the text shown with the title.
TITLE = "<script>alert(1)</script><img src=x onerror=alert(2)>"


@pytest.fixture(scope="module")
def titled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The small book with the chapter ``TITLE``, built: its HTML folder and the chapter's docname."""
    path = tmp_path_factory.mktemp("titles") / "book"
    chapter = minibook.make(path, [TITLE])[TITLE]
    result = minibook.build(path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return path / "_build" / "html", f"book/{chapter.stem}"


@pytest.fixture(scope="module")
def base(titled: tuple[Path, str]) -> Iterator[str]:
    handler = functools.partial(QuietHandler, directory=str(titled[0]))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()
    httpd.server_close()


def dialogs_on(browser, url: str, ready: str, media: str) -> tuple[list[str], object, object]:
    """The messages of the dialogs that ``url`` opens, once ``ready`` (a selector) is on the page; the page."""
    context = browser.new_context(**VIEWS["desktop_light"])
    page = context.new_page()
    opened: list[str] = []

    def dialog(found) -> None:
        opened.append(found.message)
        found.dismiss()

    page.on("dialog", dialog)
    page.emulate_media(media=media)
    page.goto(url, wait_until="load")
    page.wait_for_selector(ready, state="attached", timeout=15_000)
    page.wait_for_timeout(500)  # an image's error handler runs after its failed request
    return opened, page, context


@pytest.mark.parametrize("media", ["screen", "print"])
@pytest.mark.parametrize("which", ["chapter", "book/intro", "book/glossary"])
def test_a_title_that_reads_as_html_runs_nothing_on_the_pages(browser, titled, base, which, media):
    docname = titled[1] if which == "chapter" else which
    opened, page, context = dialogs_on(browser, f"{base}{docname}.html", "article.bd-article", media)
    try:
        assert opened == [], f"{docname}.html opened dialogs {opened}: the title reached the page as HTML"
        shown = page.eval_on_selector_all("nav.bd-links a", "links => links.map(a => a.textContent.trim())")
        assert TITLE in shown, f"the sidebar of {docname}.html does not show the title as text: {shown}"
        if which == "chapter":
            assert page.title().startswith(TITLE)
            assert page.text_content("#jb-print-docs-body > h1") == TITLE
    finally:
        context.close()


def test_a_title_that_reads_as_html_runs_nothing_in_the_search(browser, titled, base):
    url = f"{base}search.html?q={quote(TITLE)}"
    opened, page, context = dialogs_on(browser, url, "#search-results .search-summary", "screen")
    try:
        assert opened == [], f"searching the title opened dialogs {opened}: the results hold it as HTML"
        results = page.eval_on_selector_all("#search-results ul.search li a", "links => links.map(a => a.textContent)")
        assert TITLE in results, f"the search does not show the title as text among its results: {results}"
        assert page.eval_on_selector_all("#search-results img", "images => images.length") == 0
    finally:
        context.close()
