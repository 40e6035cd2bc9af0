"""The printable edition: the whole book as one PDF, printed by Chromium from the built site.

    python -m booktools.commands.pdf [--site _build/html] [--out _build/pdf]

It prints with Debian's Chromium at /usr/bin/chromium, or the one that ``BOOK_CHROMIUM`` names.

1. One HTML document is assembled from the built pages of ``_toc.yml``, in toc order:
   a title page, a table of contents, then each page's article. Ids get the page's
   name as a prefix (``book-mse--the-idea``), so links between pages become links
   inside the PDF; the site's own styles, images and MathJax are served to the
   browser from the site folder.
2. What paper cannot play is replaced: each ``<video>`` by a filmstrip of frames
   decoded from its embedded H.264 (imageio-ffmpeg), each explorer by its still
   picture and the address of the interactive page in the web edition.
3. Chromium (Playwright) waits for MathJax, prints,
   reads the page of each chapter and section from the PDF's destinations (pypdf), writes
   the numbers into the table of contents and prints again, until the numbers hold;
   then adds bookmarks for the chapters and their sections.
"""

from __future__ import annotations

import argparse
import base64
import io
import logging
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Tag

from booktools.core import toc
from booktools.core.edition import config_addresses, read_config

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("BOOK_CHROMIUM", "/usr/bin/chromium"))  # as the browser tests
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
HOST = "http://book.print/"  # the site as Chromium sees it: every request is answered from the site folder
DOCUMENT = "__print__.html"
PRINT_CSS = Path(__file__).resolve().parents[1] / "static" / "print.css"
FILMSTRIP_CLASS = "pdf-filmstrip"
NUMBER_WIDTH = 3  # page numbers are written into fixed-width slots, so that filling them moves nothing

EDITION_CSS = """
@page { size: A4; margin: 18mm 17mm 20mm; }
html, body { background: #fff; }
body { margin: 0; padding: 0; }
.pdf-chapter { break-before: page; }
/* The theme hides an article's first h1 in print (it prints its own title): the book keeps each. */
.bd-main .bd-content .bd-article .pdf-chapter h1:first-of-type, .pdf-toc h1 { display: block !important; }
.pdf-title-page { height: 230mm; display: flex; flex-direction: column; justify-content: center; break-after: page; }
.pdf-book-title { font-size: 30pt; font-weight: 700; line-height: 1.15; margin: 0 0 0.4em; }
.pdf-book-subtitle { font-size: 17pt; margin: 0 0 2.5em; color: #333; }
.pdf-title-page p { margin: 0.2em 0; }
.pdf-title-page a { white-space: nowrap; }
.pdf-toc h1 { margin-top: 0; }
.pdf-toc ol { list-style: none; padding-left: 0; margin: 0; }
.pdf-toc ol ol { padding-left: 1.6em; margin-bottom: 0.35em; }
.pdf-toc li > a { display: flex; align-items: baseline; color: #111 !important; }
.pdf-toc .pdf-toc-chapter > a { font-weight: 600; margin-top: 0.45em; }
.pdf-toc .pdf-toc-title { flex: 0 1 auto; }
.pdf-toc .pdf-toc-dots { flex: 1 1 auto; border-bottom: 1px dotted #999; margin: 0 0.4em; min-width: 1em; }
.pdf-toc .pdf-toc-page { flex: 0 0 auto; font-variant-numeric: tabular-nums; min-width: 2em; text-align: right; }
figure.pdf-filmstrip .pdf-frames { display: grid; gap: 3mm; }
figure.pdf-filmstrip .pdf-frame { margin: 0; text-align: center; }
figure.pdf-filmstrip .pdf-frame img { width: 100%; height: auto; border: 1px solid #ccc; }
figure.pdf-filmstrip .pdf-frame-label { display: block; font-size: 8pt; color: #333; margin-top: 1mm; }
figure.pdf-filmstrip, figure.sgd-explorer { break-inside: avoid; }
.pdf-web-edition { font-size: 0.9em; font-style: italic; }
.bd-article a.reference.external.pdf-shows-target::after { content: none; }
.bd-article h1 { font-size: 24pt; margin: 0 0 0.6em; }
.bd-article h2 { font-size: 16pt; margin: 1.2em 0 0.4em; }
.bd-article h3 { font-size: 12.5pt; margin: 1em 0 0.3em; }
figcaption, figcaption p, .caption { color: #333 !important; }
details.hide > summary { display: none !important; }  /* "show the code" of a folded cell: paper shows the code */
.sd-summary-state-marker { display: none !important; }
"""


@dataclass
class Chapter:
    """One page of the toc as it goes into the book: its title, sections and article."""

    docname: str
    anchor: str
    title: str
    sections: list[tuple[str, str]] = field(default_factory=list)  # (anchor, title) of each h2
    html: str = ""


def anchor_of(docname: str) -> str:
    """The id of a page's chapter in the assembled document: ``book/mse`` -> ``book-mse``."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", docname)


# -- frames of the animations --------------------------------------------------------------------


def video_frames(mp4: bytes) -> tuple[list[tuple[int, bytes]], int, bool]:
    """Frames spread from the first to the last, as JPEG, with their indices; the number of frames; wide or not.

    Three frames (start, middle, end) in a row; four, two to a row, for a wide video
    (two panels side by side), so that the text drawn in each frame stays legible.
    """
    import imageio_ffmpeg
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "video.mp4"
        path.write_bytes(mp4)
        total, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
        reader = imageio_ffmpeg.read_frames(str(path))
        size = tuple(next(reader)["size"])
        wide = size[0] / size[1] > 1.7
        count = 4 if wide else 3
        wanted = {round(i * (max(total, 1) - 1) / (count - 1)) for i in range(count)}
        kept: dict[int, bytes] = {}
        index, data = -1, b""
        for index, data in enumerate(reader):
            if index in wanted:
                kept[index] = data
        reader.close()
        if index < 0:
            raise ValueError("an embedded video holds no frame")
        kept[index] = data  # the last frame decoded is the end, whatever the container announced
        total = index + 1
    frames = []
    for i in sorted(k for k in kept if k <= index):
        out = io.BytesIO()
        Image.frombytes("RGB", size, kept[i]).save(out, format="JPEG", quality=85, optimize=True)
        frames.append((i, out.getvalue()))
    return frames, total, wide


def filmstrip(soup: BeautifulSoup, figure: Tag) -> Tag:
    """A ``<figure>`` of still frames (start, middle, end) standing in for the video in ``figure``."""
    source = figure.find("source")
    src = source.get("src", "") if source else ""
    if not src.startswith("data:video/mp4;base64,"):
        raise ValueError("a video of the book does not embed its MP4 as a data: address")
    mp4 = base64.b64decode(src.split(",", 1)[1])
    frames, total, wide = video_frames(mp4)
    alt = figure.find("video").get("aria-label", "")
    strip = soup.new_tag("figure", attrs={"class": f"lesson-video {FILMSTRIP_CLASS}"})
    grid = soup.new_tag(
        "div", attrs={"class": "pdf-frames", "style": f"grid-template-columns: repeat({2 if wide else 3}, 1fr)"}
    )
    for position, (index, jpeg) in enumerate(frames):
        where = "start" if position == 0 else "end" if position == len(frames) - 1 else "then"
        cell = soup.new_tag("div", attrs={"class": "pdf-frame"})
        label_text = f"{where}: frame {index + 1} of {total}"
        cell.append(
            soup.new_tag(
                "img",
                attrs={
                    "src": "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii"),
                    "alt": f"{alt} ({label_text})",
                },
            )
        )
        label = soup.new_tag("span", attrs={"class": "pdf-frame-label"})
        label.string = label_text
        cell.append(label)
        grid.append(cell)
    strip.append(grid)
    caption = figure.find("figcaption")
    new_caption = soup.new_tag("figcaption")
    new_caption.append("An animation in the web edition, here as a filmstrip. ")
    if caption is not None:
        new_caption.append(caption.get_text())
    strip.append(new_caption)
    return strip


# -- one document from the pages of the site --------------------------------------------------------


def local_target(page_url: str, href: str) -> tuple[str, str] | None:
    """``(path, fragment)`` of a link that stays on the site, ``path`` from the site's root; else ``None``."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or href.startswith("mailto:"):
        return None
    joined = urlsplit(urljoin(page_url, href))
    return joined.path.lstrip("/"), joined.fragment


def between(html: str, start: str, end: str) -> str:
    """The part of ``html`` from ``start`` to the first ``end`` after it, both included (parsing less is faster)."""
    i = html.find(start)
    j = html.find(end, i)
    return html[i : j + len(end)] if i >= 0 and j >= 0 else ""


def chapter_from_page(site: Path, docname: str, docnames: set[str], web: str) -> Chapter:
    """The article of ``docname``'s built page, with ids, links and media ready for paper."""
    page_url = f"/{docname}.html"
    soup = BeautifulSoup(
        between((site / f"{docname}.html").read_text(encoding="utf-8"), '<article class="bd-article">', "</article>"),
        "html.parser",
    )
    article = soup.select_one("article.bd-article")
    if article is None:
        raise ValueError(f"{docname}.html has no <article class='bd-article'>: is it a page of the book?")
    prefix = anchor_of(docname) + "--"
    for tag in article.select("a.headerlink"):
        tag.decompose()
    for tag in article.find_all(id=True):
        tag["id"] = prefix + tag["id"]
    for details in article.find_all("details"):
        details["open"] = "open"
    for a in article.find_all("a", href=True):
        if a.get_text(strip=True).removesuffix("/") == a["href"].removesuffix("/"):
            a["class"] = [*a.get("class", []), "pdf-shows-target"]  # its text is its address already
        target = local_target(page_url, a["href"])
        if target is None:
            continue
        path, fragment = target
        other = path.removesuffix(".html")
        if other in docnames:
            a["href"] = "#" + (anchor_of(other) + "--" + fragment if fragment else anchor_of(other))
        elif web:
            a["href"] = urljoin(web, path) + (f"#{fragment}" if fragment else "")
    for tag in article.find_all(src=True):
        if not tag["src"].startswith("data:") and local_target(page_url, tag["src"]) is not None:
            tag["src"] = HOST + local_target(page_url, tag["src"])[0]
    for figure in article.select("figure.lesson-video"):
        figure.replace_with(filmstrip(soup, figure))
    for figure in article.select("figure.sgd-explorer"):
        for script in figure.find_all("script"):
            script.decompose()
        note = soup.new_tag("p", attrs={"class": "pdf-web-edition"})
        address = urljoin(web, f"{docname}.html") if web else f"{docname}.html of the web edition"
        note.append("The web edition has the interactive version of this figure: ")
        link = soup.new_tag("a", attrs={"href": address} if web else {})
        link.string = address
        note.append(link)
        note.append(".")
        figure.append(note)
    h1 = article.find("h1")
    if h1 is None:
        raise ValueError(f"{docname}.html has no title (<h1>)")
    sections = [
        (h2.find_parent("section")["id"] if h2.find_parent("section") else "", h2.get_text(" ", strip=True))
        for h2 in article.find_all("h2")
    ]
    chapter = Chapter(docname, anchor_of(docname), h1.get_text(" ", strip=True), sections)
    chapter.html = article.decode_contents()
    return chapter


def head_assets(site: Path, docname: str) -> tuple[list[str], str]:
    """The stylesheets (absolute addresses) and the MathJax configuration script of a page."""
    soup = BeautifulSoup(
        between((site / f"{docname}.html").read_text(encoding="utf-8"), "<head>", "</head>"), "html.parser"
    )
    sheets = []
    for link in soup.head.find_all("link", rel="stylesheet"):
        sheets.append(HOST + local_target(f"/{docname}.html", link["href"])[0])
    config = next((s.string for s in soup.head.find_all("script") if s.string and "window.MathJax" in s.string), "")
    return sheets, config


def toc_html(chapters: list[Chapter], pages: dict[str, int]) -> str:
    def entry(anchor: str, title: str) -> str:
        number = str(pages.get(anchor, "")).rjust(NUMBER_WIDTH, "\u2007")
        return (
            f'<a href="#{anchor}"><span class="pdf-toc-title">{_escape(title)}</span>'
            f'<span class="pdf-toc-dots"></span><span class="pdf-toc-page" data-anchor="{anchor}">'
            f"{number}</span></a>"
        )

    items = []
    for chapter in chapters:
        sections = "".join(f"<li>{entry(a, t)}</li>" for a, t in chapter.sections)
        items.append(f'<li class="pdf-toc-chapter">{entry(chapter.anchor, chapter.title)}<ol>{sections}</ol></li>')
    return f'<nav class="pdf-toc"><h1 id="pdf-contents">Contents</h1><ol>{"".join(items)}</ol></nav>'


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def assemble(site: Path, root: Path) -> tuple[str, list[Chapter]]:
    """The whole book as one HTML document, and its chapters in toc order."""
    config = read_config(root)
    _, web = config_addresses(config)
    names = toc.docnames(root)
    missing = [n for n in names if not (site / f"{n}.html").is_file()]
    if missing:
        raise FileNotFoundError(f"the site in {site} has no page for {', '.join(missing)}: run 'make book' first")
    chapters = [chapter_from_page(site, name, set(names), web) for name in names]
    sheets: list[str] = []
    mathjax_config = ""
    for name in names:
        page_sheets, page_config = head_assets(site, name)
        sheets += [s for s in page_sheets if s not in sheets and not s.split("?")[0].endswith("/print.css")]
        mathjax_config = mathjax_config or page_config
    title = str(config.get("title", "")).strip()
    main, _, sub = title.partition(":")
    author = str(config.get("author", "")).strip()
    year = str(config.get("copyright", "")).strip()
    where = (
        f'<p>The web edition, with its animations and interactive figures: <a href="{web}">{web}</a></p>' if web else ""
    )
    title_page = (
        '<section class="pdf-title-page">'
        f'<p class="pdf-book-title">{_escape(main.strip())}</p>'
        + (f'<p class="pdf-book-subtitle">{_escape(sub.strip())}</p>' if sub else "")
        + f"<p>{_escape(author)}</p>{where}"
        + (f"<p>&#169; {_escape(year)} {_escape(author)}</p>" if year else "")
        + "</section>"
    )
    body = "".join(f'<section class="pdf-chapter" id="{c.anchor}">{c.html}</section>' for c in chapters)
    links = "".join(f'<link rel="stylesheet" href="{s}">' for s in sheets)
    document = (
        '<!DOCTYPE html><html lang="en" data-theme="light" data-mode="light"><head><meta charset="utf-8">'
        f"<title>{_escape(title)}</title>{links}"
        f"<style>{PRINT_CSS.read_text(encoding='utf-8')}\n{EDITION_CSS}</style>"
        f"<script>{mathjax_config}</script>"
        f'<script defer src="{HOST}_static/mathjax/tex-chtml.js"></script>'
        '</head><body><main class="bd-main"><div class="bd-content"><div class="bd-article-container">'
        f'<article class="bd-article">{title_page}{toc_html(chapters, {})}{body}</article>'
        "</div></div></main></body></html>"
    )
    return document, chapters


# -- printing ----------------------------------------------------------------------------------------


FIND_PAGES_CSS = "img { visibility: hidden !important; }"
# Writes each page number into its slot of the contents, padded with figure spaces (as wide as a digit).
FILL_CONTENTS = """({pages, width}) => document.querySelectorAll('.pdf-toc-page').forEach(slot => {
  slot.textContent = String(pages[slot.dataset.anchor] ?? '').padStart(width, '\\u2007'); })"""
FOOTER = '<div style="font-size:8pt;width:100%;text-align:center;color:#555;"><span class="pageNumber"></span></div>'


def anchor_pages(pdf: bytes) -> dict[str, int]:
    """The page (from 1) of every anchor that a link of the PDF points to: Chromium names them by id."""
    from pypdf import PdfReader

    # Chromium's cross-reference table is one entry short, a harmless slip pypdf reports on every read.
    logging.getLogger("pypdf").setLevel(logging.ERROR)

    reader = PdfReader(io.BytesIO(pdf))
    return {
        str(name).lstrip("/"): reader.get_destination_page_number(dest) + 1
        for name, dest in reader.named_destinations.items()
    }


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
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
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


def print_book(site: Path, root: Path, out: Path) -> dict:
    """Print the book into ``out`` (a PDF file); returns what was done, with timings."""
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
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
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
    from pypdf import PdfReader

    return {
        "path": str(out),
        "bytes": len(pdf),
        "pages": len(PdfReader(io.BytesIO(pdf)).pages),
        "chapters": len(chapters),
        "printings": printings,
        "assemble_s": assembled - started,
        "typeset_s": typeset - assembled,
        "find_pages_s": found_pages - typeset,
        "print_s": printed - found_pages,
        "total_s": time.perf_counter() - started,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print the built book into one PDF.")
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html", help="the built site")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "pdf", help="folder of the PDF")
    args = parser.parse_args(argv)
    name, _ = config_addresses(read_config(ROOT))
    if not (args.site / "index.html").is_file():
        print(f"No built site in {args.site}: run 'make book' first.", file=sys.stderr)
        return 1
    if not CHROMIUM.is_file():
        print(
            f"No Chromium at {CHROMIUM}: install Debian's chromium, or name another with BOOK_CHROMIUM.",
            file=sys.stderr,
        )
        return 1
    done = print_book(args.site, ROOT, args.out / name)
    print(
        f"{done['path']}: {done['pages']} pages, {done['bytes'] / 1e6:.1f} MB, {done['chapters']} chapters, "
        f"printed {done['printings']} times in {done['total_s']:.1f} s "
        f"(assembling {done['assemble_s']:.1f} s, loading and typesetting {done['typeset_s']:.1f} s, "
        f"finding the pages {done['find_pages_s']:.1f} s, printing {done['print_s']:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
