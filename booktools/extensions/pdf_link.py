"""The printable edition on every page: the book's PDF in the download menu, and a print stylesheet.

The menu entry points to ``<repository name>.pdf`` at the root of the site, where the
published site carries the PDF that ``make pdf`` prints (``booktools.commands.pdf``).
``print.css`` makes a page printed from the browser read like the printed book:
no navigation, buttons or sidebars, figures kept whole, link targets written out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

from booktools.core.edition import pdf_filename

STATIC = Path(__file__).resolve().parents[1] / "static"
MENU = "download-buttons"  # sphinx-book-theme's label for the download menu
ENTRY = "download-book-pdf-button"


def configure(app: Sphinx, config: Any) -> None:
    if str(STATIC) not in config.html_static_path:
        config.html_static_path = [*config.html_static_path, str(STATIC)]


def add_print_css(app: Sphinx) -> None:
    app.add_css_file("print.css")


def book_pdf_button(pathto: Any, repository_url: str) -> dict[str, str]:
    """A download-menu entry (the theme's button dict) linking the whole book's PDF."""
    return {
        "type": "link",
        "url": pathto(pdf_filename(repository_url), 1),
        "text": "Book (.pdf)",
        "tooltip": "Download the whole book as a PDF",
        "icon": "fas fa-book",
        "label": ENTRY,
    }


def add_book_pdf(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Append the book's PDF to this page's download menu (built by the theme just before)."""
    repository_url = str(app.config.html_theme_options.get("repository_url", ""))
    for button in context.get("header_buttons", []):
        if button.get("label") == MENU and not any(b.get("label") == ENTRY for b in button["buttons"]):
            button["buttons"].append(book_pdf_button(context["pathto"], repository_url))


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", configure)
    app.connect("builder-inited", add_print_css)
    # sphinx-book-theme fills the menu at priority 501: run after it.
    app.connect("html-page-context", add_book_pdf, priority=600)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
