"""The built site read as text, for the tests that check the sentences and numbers of its pages.

A page is read from the site's HTML file (``site / "book/mse.html"``); its article is what the
chapter says, without the navigation, the header and the footer around it.
"""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup, Tag

# a number as the pages print it: 3, -0.25, 1.5e-05
NUMBER = r"(-?[0-9]+(?:\.[0-9]+)?(?:e[-+]?\d+)?)"


def page(site: Path, docname: str) -> BeautifulSoup:
    """The whole HTML page of ``docname`` (``book/mse``) in the built ``site``."""
    return BeautifulSoup((site / f"{docname}.html").read_text(encoding="utf-8"), "html.parser")


def article(site: Path, docname: str) -> Tag:
    """The page's ``<article>``: the chapter itself (the whole page if it has none)."""
    soup = page(site, docname)
    return soup.find("article") or soup


def videos(site: Path, docname: str) -> list[Tag]:
    """The ``<video>`` elements of the page's article."""
    return article(site, docname).find_all("video")


def prose(site: Path, docname: str) -> str:
    """The article's text as one line: every run of white space, tags included, read as one space."""
    return " ".join(article(site, docname).get_text(" ").split())


def number_after(text: str, words: str, *, math: bool = False) -> float:
    """The first number after ``words`` in ``text``; fails the test if there is none.

    With ``math=True``, the number after the next inline formula that ends in ``=`` (``... =\\)``),
    within 60 characters of ``words``.
    """
    gap = r".{0,60}?=\\\)\s" if math else r"\s*"
    match = re.search(re.escape(words) + gap + NUMBER, text)
    assert match, f"no number after {words!r}"
    return float(match.group(1))
