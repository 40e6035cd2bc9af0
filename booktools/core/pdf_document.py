"""The printed book as one HTML document, assembled from the pages of the built site.

A title page, a table of contents, then the article of each page of ``_toc.yml``, in toc order.
Ids get the page's name as a prefix (``book-mse--the-idea``), so that links between pages
become links inside the document; links to other files of the site lead to the web edition,
when its address is known. What paper cannot play is replaced: each ``<video>`` by a filmstrip
(:mod:`booktools.core.filmstrip`), each explorer by its still picture and the address of the
interactive page. The site's own styles, images and MathJax are addressed at ``HOST``, where the
printing (:mod:`booktools.core.pdf`) serves the site folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Tag

from booktools.core import toc
from booktools.core.edition import config_addresses, read_config
from booktools.core.filmstrip import filmstrip

HOST = "http://book.print/"  # the site as Chromium sees it: every request is answered from the site folder
PRINT_CSS = Path(__file__).resolve().parents[1] / "static" / "print.css"
EDITION_CSS = Path(__file__).resolve().parents[1] / "print" / "edition.css"  # the layout on paper; not on the site
NUMBER_WIDTH = 3  # page numbers are written into fixed-width slots, so that filling them moves nothing


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
        still_explorer(soup, figure, docname, web)
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


def still_explorer(soup: BeautifulSoup, figure: Tag, docname: str, web: str) -> None:
    """Leave an explorer its still picture, without its scripts, and a note that names the interactive page."""
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
    """The table of contents: each chapter and its sections, linked, with its page from ``pages`` (by anchor).

    A page not yet known leaves its slot blank; every slot is ``NUMBER_WIDTH`` figures wide.
    """

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


def title_page(config: dict, web: str) -> str:
    """The title page from ``_config.yml``: title (after a colon, the subtitle), author, web edition, copyright."""
    main, _, sub = str(config.get("title", "")).strip().partition(":")
    author = str(config.get("author", "")).strip()
    year = str(config.get("copyright", "")).strip()
    where = (
        f'<p>The web edition, with its animations and interactive figures: <a href="{web}">{web}</a></p>' if web else ""
    )
    return (
        '<section class="pdf-title-page">'
        f'<p class="pdf-book-title">{_escape(main.strip())}</p>'
        + (f'<p class="pdf-book-subtitle">{_escape(sub.strip())}</p>' if sub else "")
        + f"<p>{_escape(author)}</p>{where}"
        + (f"<p>&#169; {_escape(year)} {_escape(author)}</p>" if year else "")
        + "</section>"
    )


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
    body = "".join(f'<section class="pdf-chapter" id="{c.anchor}">{c.html}</section>' for c in chapters)
    links = "".join(f'<link rel="stylesheet" href="{s}">' for s in sheets)
    document = (
        '<!DOCTYPE html><html lang="en" data-theme="light" data-mode="light"><head><meta charset="utf-8">'
        f"<title>{_escape(title)}</title>{links}"
        f"<style>{PRINT_CSS.read_text(encoding='utf-8')}\n{EDITION_CSS.read_text(encoding='utf-8')}</style>"
        f"<script>{mathjax_config}</script>"
        f'<script defer src="{HOST}_static/mathjax/tex-chtml.js"></script>'
        '</head><body><main class="bd-main"><div class="bd-content"><div class="bd-article-container">'
        f'<article class="bd-article">{title_page(config, web)}{toc_html(chapters, {})}{body}</article>'
        "</div></div></main></body></html>"
    )
    return document, chapters
