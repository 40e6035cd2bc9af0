"""Headless Chromium against the built site, served on 127.0.0.1.

One browser for the whole session, one context per way of looking at the site
(desktop or phone, light or dark, with or without reduced motion), and one page
per chapter and context, loaded once and shared by the tests that only read it.
``docname`` is a session-scoped parameter, so pytest runs all the tests of one chapter
(across modules) together and only one chapter's pages are open at a time.

Every page of ``_toc.yml`` is tested: a new chapter needs no new test code. A test meant for some
pages only names them with ``@pytest.mark.pages(names)`` (a list from ``chapters.py``), so that it
runs on those pages and is not skipped on the others.

Without Chromium or Playwright the tests skip with one message, unless they are
required (``BOOK_REQUIRE_BROWSER=1``, as ``.ci/run`` sets, or ``CI`` set): then they fail.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import chromium
import pytest
from checkout import ROOT

from booktools.core import chromium as finder
from booktools.core import toc

HOW_TO_ENABLE = f"install the test dependencies (make test) and a Chromium. {finder.HOW_TO_INSTALL}"

# Ways of looking at the site: Playwright browser-context options.
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
VIEWS = {
    "desktop_light": {"viewport": DESKTOP, "color_scheme": "light"},
    "desktop_dark": {"viewport": DESKTOP, "color_scheme": "dark"},
    "phone_light": {"viewport": PHONE, "color_scheme": "light", "is_mobile": True, "has_touch": True},
    "phone_dark": {"viewport": PHONE, "color_scheme": "dark", "is_mobile": True, "has_touch": True},
    "reduced_motion": {"viewport": DESKTOP, "color_scheme": "light", "reduced_motion": "reduce"},
}

# Why the browser tests did not run, for the closing summary (empty when they ran).
_skip_reason: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "pages(names): run the test on these pages of the toc, not on every page")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test that takes ``docname`` once per page of the toc (or of its ``pages`` mark), a page's together."""
    if "docname" in metafunc.fixturenames:
        marked = metafunc.definition.get_closest_marker("pages")
        names = list(marked.args[0]) if marked else toc.docnames(ROOT)
        metafunc.parametrize("docname", names, ids=names, scope="session")


def pytest_report_header(config: pytest.Config) -> str:  # noqa: ARG001
    found, reason = chromium.located()
    return f"chromium: {found}" if found else f"chromium: none ({reason})"


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001
    if _skip_reason:
        terminalreporter.write_sep("=", "browser tests skipped", yellow=True)
        terminalreporter.write_line(f"The browser tests did NOT run: {_skip_reason[0]}.")
        terminalreporter.write_line(f"To run them, {HOW_TO_ENABLE}.")
        terminalreporter.write_line("With BOOK_REQUIRE_BROWSER=1 (or CI set), a missing browser fails.")


def _unavailable(reason: str) -> None:
    if chromium.required():
        pytest.fail(f"browser tests are required here but {reason}; {HOW_TO_ENABLE}", pytrace=False)
    if not _skip_reason:
        _skip_reason.append(reason)
    pytest.skip(f"no browser: {reason} (see 'browser tests skipped' above)")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if _skip_reason:
        _unavailable(_skip_reason[0])
    found, reason = chromium.located()
    if reason:
        _unavailable(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        try:
            launched = finder.launch(playwright, found)
        except finder.ChromiumError as error:
            _unavailable(str(error))
        yield launched
        launched.close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="session")
def server(site: Path) -> Iterator[str]:
    """The built site on a free port of 127.0.0.1; yields its base URL."""
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def contexts(browser) -> Iterator[dict[str, object]]:
    made = {name: browser.new_context(**options) for name, options in VIEWS.items()}
    yield made
    for context in made.values():
        context.close()


@dataclass
class Visit:
    """A page of the site in one browser context, with everything that happened while it loaded."""

    page: object
    url: str
    console_errors: list[str] = field(default_factory=list)
    console_messages: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


# How long any wait of a page may take: each ends as soon as what it waits for happens, so a long one costs
# nothing on a quiet machine, and a machine busy with other work cannot make the test fail.
WAIT_MS = 120_000


def open_page(context, base: str, path: str) -> Visit:
    """Open ``path`` of the site, recording every request, and wait until its maths is typeset."""
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    visit = Visit(page, base + path)
    local = urlsplit(base).netloc

    def route(route) -> None:
        url = route.request.url
        visit.requests.append(url)
        if urlsplit(url).netloc == local:
            route.continue_()
        else:
            visit.foreign_requests.append(url)
            route.abort()

    def console(message) -> None:
        visit.console_messages.append(f"{message.type}: {message.text}")
        if message.type in ("error", "warning"):
            where = message.location.get("url", "")
            visit.console_errors.append(f"{message.text} ({where})" if where else message.text)

    def response(response) -> None:
        if response.status >= 400:
            visit.failed_requests.append(f"{response.status} {response.url}")

    def request_failed(request) -> None:
        if urlsplit(request.url).netloc == local:
            visit.failed_requests.append(f"{request.failure} {request.url}")

    page.route("**/*", route)
    page.on("console", console)
    page.on("pageerror", lambda error: visit.console_errors.append(f"uncaught: {error}"))
    page.on("response", response)
    page.on("requestfailed", request_failed)
    page.goto(visit.url, wait_until="load")
    page.evaluate("async () => { if (window.MathJax?.startup?.promise) await MathJax.startup.promise; }")
    return visit


def page_path(docname: str) -> str:
    return f"{docname}.html"


def _loaded_in(view: str):
    """The session fixture named ``view``: the page of the current ``docname``, loaded once in that view."""

    @pytest.fixture(scope="session", name=view)
    def loaded(contexts, server, docname) -> Iterator[Visit]:
        visit = open_page(contexts[view], server, page_path(docname))
        yield visit
        visit.page.close()

    return loaded


# One loaded page per chapter and view; the tests that use them only read them.
desktop_light = _loaded_in("desktop_light")
desktop_dark = _loaded_in("desktop_dark")
phone_light = _loaded_in("phone_light")
phone_dark = _loaded_in("phone_dark")
reduced_motion = _loaded_in("reduced_motion")


@pytest.fixture(scope="session")
def views() -> dict[str, dict]:
    """The browser-context options of each view, by name."""
    return VIEWS


@pytest.fixture
def open_site_page(contexts, server):
    """``open_site_page(view, path)``: a new load of any page of the site, closed after the test."""
    opened: list[Visit] = []

    def opener(view: str, path: str) -> Visit:
        opened.append(open_page(contexts[view], server, path))
        return opened[-1]

    yield opener
    for visit in opened:
        visit.page.close()


@pytest.fixture
def open_in_new_context(browser):
    """``open_in_new_context(url, **options)``: ``url`` loaded in a fresh context of its own, the desktop light
    view with Playwright's context ``options`` added, for a test that changes how the page is seen; closed after it."""
    made: list[object] = []

    def opener(url: str, **options: object) -> Visit:
        made.append(browser.new_context(**{**VIEWS["desktop_light"], **options}))
        return open_page(made[-1], url, "")

    yield opener
    for context in made:
        context.close()
