"""The printed PDF read and finished with pypdf: the page of each anchor, and the bookmarks.

Chromium names each destination of a printed PDF after the id that a link points to, so the
page of every chapter and section of the table of contents can be read back from the PDF
(:mod:`booktools.core.pdf` prints until those pages hold), and bookmarks added for them.
"""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

from booktools.core.pdf_document import Chapter

if TYPE_CHECKING:
    from pypdf import PdfReader


def _reader(pdf: bytes) -> PdfReader:
    from pypdf import PdfReader

    # Chromium's cross-reference table is one entry short, a harmless slip pypdf reports on every read.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    return PdfReader(io.BytesIO(pdf))


def anchor_pages(pdf: bytes) -> dict[str, int]:
    """The page (from 1) of every anchor that a link of the PDF points to: Chromium names them by id."""
    reader = _reader(pdf)
    return {
        str(name).lstrip("/"): reader.get_destination_page_number(dest) + 1
        for name, dest in reader.named_destinations.items()
    }


def page_count(pdf: bytes) -> int:
    """The number of pages of the PDF."""
    return len(_reader(pdf).pages)


def page_numbers(pdf: bytes, chapters: list[Chapter]) -> dict[str, int]:
    """The page of each chapter and section, by anchor (the table of contents links to each)."""
    found = anchor_pages(pdf)
    anchors = [a for c in chapters for a in (c.anchor, *(s for s, _ in c.sections))]
    missing = [a for a in anchors if a not in found]
    if missing:
        raise RuntimeError(f"the printed book has no destination for {missing}: a heading lost its id")
    return {a: found[a] for a in anchors}


def with_bookmarks(pdf: bytes, chapters: list[Chapter], pages: dict[str, int]) -> bytes:
    """The PDF with bookmarks: Contents, then each chapter with its sections."""
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=_reader(pdf))
    contents = anchor_pages(pdf).get("pdf-contents")
    if contents:
        writer.add_outline_item(title="Contents", page_number=contents - 1)
    for chapter in chapters:
        parent = writer.add_outline_item(title=chapter.title, page_number=pages[chapter.anchor] - 1)
        for anchor, title in chapter.sections:
            writer.add_outline_item(title=title, page_number=pages[anchor] - 1, parent=parent)
    writer.page_mode = "/UseOutlines"
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
