"""The site's own search page finds the chapters that teach a term, with no server but a static one."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest

pytestmark = pytest.mark.browser

# Pages that must be among the results for "learning rate", when they are in the toc.
EXPECTED = ("book/glossary", "book/gradient-descent")


def test_search_finds_learning_rate(open_site_page, docnames):
    visit = open_site_page("desktop_light", "search.html?q=learning+rate")
    page = visit.page
    # Sphinx's searchtools writes a summary paragraph when the search has finished.
    page.wait_for_selector("#search-results .search-summary", state="attached")
    hrefs = page.eval_on_selector_all("#search-results ul.search li a", "links => links.map(a => a.href)")
    found = {urlsplit(urljoin(visit.url, href)).path.lstrip("/").removesuffix(".html") for href in hrefs}
    assert not visit.console_errors, f"{visit.url}: console errors: {visit.console_errors}"
    assert not visit.foreign_requests, f"{visit.url} asked another host for: {visit.foreign_requests}"
    expected = [name for name in EXPECTED if name in docnames]
    assert "book/glossary" in expected, "the glossary is not in _toc.yml"
    missing = [name for name in expected if name not in found]
    assert not missing, f"searching 'learning rate' does not find {missing}; it finds {sorted(found)}"
