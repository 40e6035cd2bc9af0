"""The bibliography: every entry can be found again (a DOI or a URL), every citation has an entry,
and the References page lists every entry."""

from __future__ import annotations

import re
from pathlib import Path

import pybtex.database
import pytest
from bs4 import BeautifulSoup

CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")


@pytest.fixture(scope="module")
def bibliography(root: Path) -> pybtex.database.BibliographyData:
    return pybtex.database.parse_file(str(root / "references.bib"))


def test_every_entry_has_a_doi_or_a_url(bibliography) -> None:
    for key, entry in bibliography.entries.items():
        fields = {name.lower(): value for name, value in entry.fields.items()}
        assert "doi" in fields or "url" in fields, f"references.bib: {key} has neither a doi nor a url"
        if "doi" in fields:
            assert re.fullmatch(r"10\.\d{4,9}/\S+", fields["doi"]), f"{key}: {fields['doi']!r} is not a DOI"
        if "url" in fields:
            assert fields["url"].startswith("https://"), f"{key}: {fields['url']!r} is not an https address"
        assert entry.persons.get("author"), f"references.bib: {key} has no author"
        assert re.fullmatch(r"1[89]\d\d|20\d\d", fields.get("year", "")), f"references.bib: {key} has no year"


def test_every_citation_has_an_entry(root: Path, bibliography) -> None:
    known = set(bibliography.entries)
    for chapter in sorted((root / "book").glob("*.md")):
        for match in CITE.finditer(chapter.read_text(encoding="utf-8")):
            for key in match.group(1).split(","):
                assert key.strip() in known, f"{chapter.name} cites {key.strip()!r}, which references.bib lacks"


@pytest.mark.build
def test_the_references_page_lists_every_entry(site: Path, bibliography) -> None:
    soup = BeautifulSoup((site / "book" / "references.html").read_text(encoding="utf-8"), "html.parser")
    text = " ".join((soup.find("article") or soup).get_text().split())
    for key, entry in bibliography.entries.items():
        surname = str(entry.persons["author"][0].last_names[0]).strip("{}")
        assert surname in text and entry.fields["year"] in text, f"the References page does not list {key}"
