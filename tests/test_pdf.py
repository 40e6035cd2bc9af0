"""The printed book, read as a reader would: its text, bookmarks, pictures and links, against the site.

The PDF is printed once per session from the built site (the ``site`` fixture) with
``booktools.commands.pdf``; set ``BOOK_PDF=_build/pdf/<name>.pdf`` to read one that ``make pdf``
already printed from that site. Without Chromium or Playwright the tests that need the
PDF skip, unless ``BOOK_REQUIRE_BROWSER=1`` or ``CI`` is set: then they fail.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import chromium
import pytest
from bs4 import BeautifulSoup
from checkout import ROOT
from pages import article

from booktools.core import edition, toc
from booktools.core.pdf_document import anchor_of
from booktools.extensions import pdf_link

pytestmark = pytest.mark.build

BUDGET_BYTES = 15_000_000
FILMSTRIP_NOTE = "An animation in the web edition, here as a filmstrip."
EXPLORER_NOTE = "The web edition has the interactive version of this figure:"
RAW = ("$", "\\frac", "\\(", "\\[", "\\begin", "{glue:text}", "{glue}", ":::", "```", "{math}", "{ref}", "{term}")


def squash(text: str) -> str:
    """Text as a reader reads it: ligatures (the "fi" of some fonts) as letters, any run of spaces as one."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


@dataclass
class Printed:
    """The PDF and what a reader sees in it."""

    data: bytes
    texts: list[str]  # the text of each page
    outline: list[tuple[str, int, list[str]]]  # (chapter, first page from 1, section titles)
    reader: object

    def chapter_text(self, index: int) -> str:
        """The text of the pages of the ``index``-th chapter (from its first page to the next chapter's)."""
        start = self.outline[index][1]
        end = self.outline[index + 1][1] if index + 1 < len(self.outline) else len(self.texts) + 1
        return squash(" ".join(self.texts[start - 1 : end - 1]))


@pytest.fixture(scope="session")
def printed(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Printed:
    from pypdf import PdfReader

    if os.environ.get("BOOK_PDF"):
        path = Path(os.environ["BOOK_PDF"]).resolve()
        assert path.is_file(), f"BOOK_PDF={path} is not a file"
    else:
        _, reason = chromium.located()
        if reason:
            if chromium.required():
                pytest.fail(f"the PDF tests are required here but {reason}", pytrace=False)
            pytest.skip(f"cannot print the book: {reason}")
        out = tmp_path_factory.mktemp("pdf")
        # In a process of its own, as `make pdf` runs it: the browser tests keep Playwright's sync API
        # open in this one for the whole session, and it cannot be started twice in one thread.
        done = subprocess.run(
            [sys.executable, "-m", "booktools.commands.pdf", "--site", str(site), "--out", str(out)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, f"booktools.commands.pdf failed:\n{done.stdout}{done.stderr}"
        (path,) = out.glob("*.pdf")
    data = path.read_bytes()
    reader = PdfReader(io.BytesIO(data))
    outline: list[tuple[str, int, list[str]]] = []
    for item in reader.outline:
        if isinstance(item, list):
            outline[-1][2].extend(str(child.title) for child in item if not isinstance(child, list))
        elif str(item.title) != "Contents":
            outline.append((str(item.title), reader.get_destination_page_number(item) + 1, []))
    return Printed(data, [page.extract_text() or "" for page in reader.pages], outline, reader)


@pytest.fixture(scope="session")
def pages(site: Path) -> list[tuple[str, BeautifulSoup]]:
    """Every page of the toc, in order, as the site's article."""
    return [(name, article(site, name)) for name in toc.docnames(ROOT)]


# -- the download menu and the print stylesheet on the site ------------------------------------------


def test_pdf_name_and_addresses_follow_the_repository() -> None:
    assert edition.pdf_filename("https://github.com/lesson-code/sgd-book") == "sgd-book.pdf"
    assert edition.pdf_filename("https://github.com/o/r.git/") == "r.pdf"
    assert edition.pdf_filename("") == "book.pdf"
    assert (
        edition.site_address("", "https://github.com/Lesson-Code/sgd-book") == "https://lesson-code.github.io/sgd-book/"
    )
    assert edition.site_address("https://example.org/sgd", "https://github.com/o/r") == "https://example.org/sgd/"
    assert edition.site_address("", "https://gitlab.com/o/r") == ""


def test_the_menu_entry_points_to_the_pdf_at_the_root_of_the_site() -> None:
    def pathto(name: str, resource: int) -> str:  # Sphinx's pathto from a page one folder deep
        assert resource == 1
        return f"../{name}"

    button = pdf_link.book_pdf_button(pathto, "https://github.com/lesson-code/sgd-book")
    assert button["type"] == "link" and button["url"] == "../sgd-book.pdf"


def test_every_page_links_the_pdf_and_the_print_stylesheet(site: Path) -> None:
    name, _ = edition.config_addresses(edition.read_config(ROOT))
    for docname in toc.docnames(ROOT):
        soup = BeautifulSoup((site / f"{docname}.html").read_text(encoding="utf-8"), "html.parser")
        menu = soup.select_one(".dropdown-download-buttons")
        assert menu is not None, f"{docname}.html has no download menu"
        links = [a["href"] for a in menu.select(f"a.btn-{pdf_link.ENTRY}")]
        depth = docname.count("/")
        assert links == ["../" * depth + name], f"{docname}.html: the download menu links {links}, not the book's PDF"
        sheets = [link["href"].split("?")[0] for link in soup.head.find_all("link", rel="stylesheet")]
        assert "../" * depth + "_static/print.css" in sheets, f"{docname}.html does not load print.css"
    assert (site / "_static" / "print.css").is_file()


# -- the PDF, read as a reader would ----------------------------------------------------------------------


def test_chapters_in_toc_order_with_their_sections_in_the_bookmarks(printed: Printed, pages) -> None:
    expected = [squash(a.find("h1").get_text(" ")).removesuffix(" #") for _, a in pages]
    assert [title for title, _, _ in printed.outline] == expected
    for (docname, page), (title, first, sections) in zip(pages, printed.outline, strict=True):
        assert sections == [squash(h2.get_text(" ")).removesuffix(" #") for h2 in page.find_all("h2")], docname
        assert title in squash(printed.texts[first - 1]), f"the bookmark of {title!r} points to page {first}"
    firsts = [first for _, first, _ in printed.outline]
    assert firsts == sorted(firsts), "the chapters are not printed in toc order"


def test_the_contents_give_each_chapter_its_page(printed: Printed) -> None:
    contents = squash(" ".join(printed.texts[: printed.outline[0][1] - 1]))
    assert contents.count("Contents") >= 1
    for title, first, _ in printed.outline:
        assert re.search(re.escape(title) + r"\s*\.*\s*" + str(first) + r"\b", contents), (
            f"the contents do not give page {first} for {title!r}"
        )


def test_every_figure_of_the_site_is_printed(printed: Printed, pages) -> None:
    for index, (docname, page) in enumerate(pages):
        text = printed.chapter_text(index)
        numbers = [squash(span.get_text(" ")) for span in page.select("figcaption .caption-number")]
        for number in numbers:
            assert number in text, f"{docname}: {number} is missing from the printed chapter"
    site_images = sum(len(page.find_all("img")) for _, page in pages)
    site_videos = sum(len(page.find_all("video")) for _, page in pages)
    printed_images = sum(len(page.images) for page in printed.reader.pages)
    # each video becomes three frames (four when it is wide); every other picture is printed once
    assert site_images + 3 * site_videos <= printed_images <= site_images + 4 * site_videos


def test_no_raw_tex_or_markdown_is_left(printed: Printed, pages) -> None:
    text = " ".join(printed.texts)
    in_code = " ".join(pre.get_text() for _, page in pages for pre in page.find_all("pre"))
    for token in RAW:
        # shown code may hold a "$x_1$" label for matplotlib: the text may not hold more than the code
        assert text.count(token) <= in_code.count(token), f"{token!r} is left in the printed text"


def test_each_video_is_a_filmstrip_with_its_caption(printed: Printed, pages) -> None:
    for index, (docname, page) in enumerate(pages):
        text = printed.chapter_text(index)
        videos = page.select("figure.lesson-video")
        assert text.count(FILMSTRIP_NOTE) == len(videos), docname
        assert len(re.findall(r"start: frame 1 of \d+", text)) == len(videos), docname
        for video in videos:
            caption = squash(video.find("figcaption").get_text(" "))
            assert caption in text, f"{docname}: the caption of a video is missing: {caption!r}"
        assert len(re.findall(r"end: frame (\d+) of \1\b", text)) == len(videos), f"{docname}: a last frame is missing"


def test_each_explorer_is_its_still_picture_and_the_address_of_the_page(printed: Printed, pages) -> None:
    _, web = edition.config_addresses(edition.read_config(ROOT))
    for index, (docname, page) in enumerate(pages):
        text = printed.chapter_text(index)
        explorers = page.select("figure.sgd-explorer")
        assert text.count(EXPLORER_NOTE) == len(explorers), docname
        if explorers and web:
            # a long address may be broken across lines: compare without spaces
            assert f"{web}{docname}.html" in text.replace(" ", ""), docname


def test_glued_numbers_equal_the_sites(printed: Printed, pages) -> None:
    checked = 0
    for index, (docname, page) in enumerate(pages):
        text = printed.chapter_text(index).replace("\u2212", "-")
        for span in page.select("span.pasted-text"):
            value = squash(span.get_text(" "))
            assert value in text, f"{docname}: the glued {value!r} is not in the printed chapter"
            checked += 1
    assert checked > 0, "no glued number found on the site"


def test_internal_links_lead_somewhere(printed: Printed, pages) -> None:
    names = {str(name).lstrip("/") for name in printed.reader.named_destinations}
    targets = []
    for page in printed.reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") == "/Link" and "/Dest" in annot:
                targets.append(str(annot["/Dest"]).lstrip("/"))
    dangling = sorted({t for t in targets if t not in names})
    assert not dangling, f"links to nowhere: {dangling[:10]}"
    for docname, _ in pages:
        assert anchor_of(docname) in targets, f"nothing links to the chapter {docname} (the contents should)"
    assert len(targets) > 2 * len(printed.outline), "the table of contents and the glossary links are missing"


def test_size_within_budget_and_fonts_embedded(printed: Printed, tmp_path: Path) -> None:
    assert len(printed.data) < BUDGET_BYTES, f"the PDF weighs {len(printed.data)} bytes, over {BUDGET_BYTES}"
    if shutil.which("pdffonts") is None:
        if chromium.required():  # CI (.ci/run installs poppler-utils): a missing tool fails, never skips
            pytest.fail("pdffonts (poppler-utils) is not installed: apt-get install poppler-utils", pytrace=False)
        pytest.skip("pdffonts (poppler-utils) is not installed")
    path = tmp_path / "book.pdf"
    path.write_bytes(printed.data)
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout
    rows = listing.splitlines()[2:]
    assert rows, "the PDF uses no font"
    for row in rows:
        # columns: name type encoding emb sub uni object ID; Type 3 fonts are drawn inside the PDF
        assert " yes " in row[row.find(" ", 40) :] or "Type 3" in row, f"a font is not embedded: {row}"


# -- the filmstrip's frames ---------------------------------------------------------------------------------


def _grey_video(tmp_path: Path, width: int, height: int, frames: int) -> bytes:
    """An H.264 video whose frame k is a flat grey of level 30 k: each frame says which it is."""
    import imageio_ffmpeg
    import numpy as np

    path = tmp_path / "grey.mp4"
    writer = imageio_ffmpeg.write_frames(
        str(path),
        (width, height),
        pix_fmt_in="rgb24",
        fps=10,
        codec="libx264",
        quality=None,
        macro_block_size=2,
        output_params=["-crf", "10"],
    )
    writer.send(None)
    for k in range(frames):
        writer.send(np.full((height, width, 3), 30 * k, dtype=np.uint8).tobytes())
    writer.close()
    return path.read_bytes()


@pytest.mark.parametrize(("width", "expected"), [(64, [0, 3, 6]), (160, [0, 2, 4, 6])])
def test_filmstrip_frames_are_the_first_the_last_and_between(tmp_path: Path, width: int, expected: list[int]) -> None:
    import numpy as np
    from PIL import Image

    from booktools.core.filmstrip import video_frames

    frames, total, wide = video_frames(_grey_video(tmp_path, width, 48, 7))
    assert total == 7
    assert wide is (width / 48 > 1.7)
    assert [index for index, _ in frames] == expected
    for index, jpeg in frames:
        level = float(np.asarray(Image.open(io.BytesIO(jpeg)).convert("L")).mean())
        assert abs(level - 30 * index) < 6, f"frame {index} has grey level {level}, not {30 * index}"
