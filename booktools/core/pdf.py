"""The printable edition: the whole book as one PDF, printed by Chromium from the built site.

1. One HTML document is assembled from the built pages of ``_toc.yml``
   (:mod:`booktools.core.pdf_document`, with a filmstrip for each video from
   :mod:`booktools.core.filmstrip`).
2. Chromium (Playwright) loads it, with every request answered from the site folder, waits for
   MathJax, and prints.
3. The page of each chapter and section is read from the PDF's destinations
   (:mod:`booktools.core.pdf_outline`) and written into the table of contents, and the book is
   printed again, until the numbers hold; then bookmarks are added for the chapters and their sections.

It prints with the Chromium that :mod:`booktools.core.chromium` finds (``BOOK_CHROMIUM`` first);
``python -m booktools.commands.pdf`` (``make pdf``) is its command line.
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlsplit

from booktools.core import chromium
from booktools.core.pdf_document import HOST, NUMBER_WIDTH, assemble
from booktools.core.pdf_outline import page_count, page_numbers, with_bookmarks

DOCUMENT = "__print__.html"
FIND_PAGES_CSS = "img { visibility: hidden !important; }"
# Writes each page number into its slot of the contents, padded with figure spaces (as wide as a digit).
FILL_CONTENTS = """({pages, width}) => document.querySelectorAll('.pdf-toc-page').forEach(slot => {
  slot.textContent = String(pages[slot.dataset.anchor] ?? '').padStart(width, '\\u2007'); })"""
FOOTER = '<div style="font-size:8pt;width:100%;text-align:center;color:#555;"><span class="pageNumber"></span></div>'


def print_book(site: Path, root: Path, out: Path, executable: chromium.Found) -> dict:
    """Print the book into ``out`` (a PDF file) with ``executable``; returns what was done, with timings."""
    from playwright.sync_api import sync_playwright

    started = time.perf_counter()
    document, chapters = assemble(site, root)
    assembled = time.perf_counter()

    def serve(route) -> None:
        path = urlsplit(route.request.url).path.lstrip("/")
        if path == DOCUMENT:
            route.fulfill(body=document, content_type="text/html; charset=utf-8")
        elif (site / path).is_file() and site.resolve() in (site / path).resolve().parents:
            route.fulfill(path=str(site / path))
        else:
            route.fulfill(status=404, body="")

    options = {
        "format": "A4",
        "print_background": True,
        "tagged": True,
        "display_header_footer": True,
        "header_template": "<span></span>",
        "footer_template": FOOTER,
        "margin": {"top": "18mm", "bottom": "20mm", "left": "17mm", "right": "17mm"},
        "prefer_css_page_size": True,
    }
    with sync_playwright() as playwright:
        browser = chromium.launch(playwright, executable)
        page = browser.new_page(viewport={"width": 900, "height": 1200})
        page.route("**/*", serve)
        page.goto(HOST + DOCUMENT, wait_until="load", timeout=120_000)
        page.evaluate("async () => { await MathJax.startup.promise; await document.fonts.ready; }")
        typeset = time.perf_counter()
        # The first printing only finds the pages: with the pictures hidden (their boxes keep
        # their place) it lays out the same pages in about two thirds of the time.
        page.evaluate(
            "css => { const s = document.createElement('style'); s.className = 'pdf-find-pages';"
            " s.textContent = css; document.head.append(s); }",
            FIND_PAGES_CSS,
        )
        pdf = page.pdf(**{**options, "tagged": False})
        pages = page_numbers(pdf, chapters)
        found_pages = time.perf_counter()
        page.evaluate("() => document.querySelectorAll('style.pdf-find-pages').forEach(s => s.remove())")
        for printings in range(2, 4):  # noqa: B007 (reported below)
            page.evaluate(FILL_CONTENTS, {"pages": pages, "width": NUMBER_WIDTH})
            pdf = page.pdf(**options)
            found = page_numbers(pdf, chapters)
            if found == pages:
                break
            pages = found
        else:
            raise RuntimeError("the table of contents did not settle after three printings")
        printed = time.perf_counter()
        browser.close()
    pdf = with_bookmarks(pdf, chapters, pages)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    return {
        "path": str(out),
        "bytes": len(pdf),
        "pages": page_count(pdf),
        "chapters": len(chapters),
        "printings": printings,
        "assemble_s": assembled - started,
        "typeset_s": typeset - assembled,
        "find_pages_s": found_pages - typeset,
        "print_s": printed - found_pages,
        "total_s": time.perf_counter() - started,
    }
