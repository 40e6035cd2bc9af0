"""Titles as HTML: the places where the theme and the search put a title into a page as it is.

A chapter's title is text ("1 < 2", or a title that reads as markup, ``<script>…``). Sphinx escapes it
wherever it writes it; two places do not:

* sphinx-book-theme puts ``pagetitle`` (the page's title) and ``root_title`` (the book's first page's)
  into its print header and its sidebar as they are: `escape_theme_titles` escapes them in the
  page's template context;
* Sphinx's search shows the titles of sections that match a query with ``innerHTML``, from the
  search index's ``alltitles``, which holds them as text: `escape_search_titles` escapes them there,
  as the index's page titles already are.
"""

from __future__ import annotations

from typing import Any

THEME_TEXT = ("pagetitle", "root_title")  # sphinx-book-theme's context values: plain text, put in unescaped


def escape_theme_titles(context: dict[str, Any]) -> None:
    """Escape, in a page's template context, the titles that sphinx-book-theme's templates insert as they are."""
    from markupsafe import Markup, escape

    for key in THEME_TEXT:
        value = context.get(key)
        if isinstance(value, str) and not isinstance(value, Markup):
            context[key] = escape(value)


def escape_search_titles(titles: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    """A page's section titles for the search index, ``(title, anchor)``, as HTML instead of text."""
    from html import escape

    return [(escape(title, quote=False), anchor) for title, anchor in titles]
