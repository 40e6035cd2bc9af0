"""The bibliography's entries are list items of its list (the built References page, and the rule itself)."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from booktools.extensions.citations import entries_as_list_items


def test_entries_of_a_citation_list_become_list_items():
    body = (
        '<div role="list" class="citation-list">\n<div class="citation" id="id2" role="doc-biblioentry">'
        '<span class="label">Cau47</span></div>\n</div>'
    )
    fixed = BeautifulSoup(entries_as_list_items(body), "html.parser")
    assert [div.get("role") for div in fixed.select(".citation-list > .citation")] == ["listitem"]
    assert entries_as_list_items('<p role="doc-biblioentry">x</p>') == '<p role="doc-biblioentry">x</p>'


@pytest.mark.build
def test_the_references_page_is_a_list_of_list_items(site):
    soup = BeautifulSoup((site / "book" / "references.html").read_text(encoding="utf-8"), "html.parser")
    lists = soup.select('[role="list"].citation-list')
    assert lists, "the References page has no citation list"
    for listing in lists:
        children = listing.find_all(recursive=False)
        assert children and all(child.get("role") == "listitem" for child in children), listing.prettify()[:500]
