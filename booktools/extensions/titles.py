"""Escape the titles that the theme and the search would put into a page as they are (:mod:`booktools.core.titles`).

A chapter titled ``<script>alert(1)</script>`` shows that text, and runs nothing, in the print
header, the sidebar and the search results, as it does in its heading and in the head's ``<title>``.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx

from booktools.core.titles import escape_search_titles, escape_theme_titles


def escape_titles(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """html-page-context, after the theme's own handlers: the theme's titles, and the page's search titles."""
    escape_theme_titles(context)
    indexer = getattr(app.builder, "indexer", None)
    all_titles = getattr(indexer, "_all_titles", None)  # section titles, as the page was just indexed
    if doctree is not None and isinstance(all_titles, dict) and pagename in all_titles:
        all_titles[pagename] = escape_search_titles(all_titles[pagename])


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", escape_titles, priority=900)  # the theme sets its titles at 500
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
