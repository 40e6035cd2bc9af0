"""What a built book shows, read back from its build folder so that two builds can be compared.

From each page's HTML (``_build/html``), what a reader sees: what each code cell shows as printed text
(streams and ``text/plain`` results), its other HTML outputs (a video, a table) by their content, its figures,
and the article's text without those outputs and without glued values; from the glue file myst-nb writes
beside each executed page (``_build/jupyter_execute/<page>.glue.json``), the glued values; and from the
page's source, the sentences that use each glued key.
Taught nowhere in the book: this is how a reviewer sees what a change does to it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from booktools.core import toc

# {glue:text}`key:.2f`, {glue}`key`, {glue:md}`key`: a glue role and what is between its backticks
GLUE_ROLE = re.compile(r"\{glue(?::[a-z]+)?\}`([^`]*)`")


def role_key(text: str) -> tuple[str, str]:
    """The key and the format of a glue role's text, split as myst-nb splits them (``loss:.2f``, ``page::loss``)."""
    key, colon, spec = text.rpartition(":")
    key, spec = (key, spec) if colon else (text, "")
    return key.rpartition("::")[2].strip(), spec


@dataclass(frozen=True)
class Cell:
    """Where an output is: the page, and the number of the code cell among those the page shows (from 1)."""

    page: str
    number: int
    first_line: str


@dataclass
class BookState:
    """What a built book shows, keyed so that the same thing in two builds has the same key."""

    pages: list[str]  # the pages of the book, in reading order
    glued: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (page that glues it, its text/plain)
    printed: dict[tuple[str, int], tuple[Cell, str]] = field(default_factory=dict)  # (page, cell) -> what it printed
    figures: dict[tuple[str, int, int], tuple[Cell, bytes]] = field(default_factory=dict)  # (page, cell, n) -> image
    prose: dict[str, list[str]] = field(default_factory=dict)  # page -> its article's lines of text
    sentences: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # key -> [(page, source line)]


def _first_line(code: str) -> str:
    lines = [line.strip() for line in code.splitlines()]
    useful = [line for line in lines if line and not line.startswith(("#", "%", "import ", "from "))]
    return (useful or [line for line in lines if line] or [""])[0][:80]


def read_glue(state: BookState, page: str, glue: dict) -> None:
    """Add the values that ``page`` glues (myst-nb's glue file, read as JSON) to ``state``."""
    for key, output in glue.items():
        text = output.get("data", {}).get("text/plain")
        state.glued[key] = (page, "".join(text) if isinstance(text, list) else str(text))


def _image(src: str, html_file: Path) -> bytes | None:
    """The bytes of an image of the page: a ``data:`` URI, or a file beside the page."""
    if src.startswith("data:"):
        header, _, data = src.partition(",")
        return base64.b64decode(data) if header.endswith(";base64") else unquote(data).encode()
    path = (html_file.parent / unquote(src.split("#")[0].split("?")[0])).resolve()
    return path.read_bytes() if path.is_file() else None


def read_outputs(state: BookState, page: str, html_file: Path) -> None:
    """Add what each code cell of the page's article shows (numbered from 1, as shown) to ``state``."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html_file.read_text(encoding="utf-8"), "html.parser")
    article = soup.find("article") or soup
    for number, cell in enumerate(article.select("div.cell"), start=1):
        code = cell.select_one(".cell_input pre")
        where = Cell(page, number, _first_line(code.get_text() if code else ""))
        printed: list[str] = []
        figures = 0
        for output in cell.select(".cell_output"):
            for image in output.find_all("img"):
                data = _image(image.get("src", ""), html_file)
                if data is not None:
                    figures += 1
                    state.figures[(page, number, figures)] = (where, data)
            for block in output.select("div.output"):
                classes = block.get("class") or []
                if "stream" in classes or "text_plain" in classes:
                    printed.append(block.get_text().strip("\n") + "\n")
                elif "text_html" in classes:  # a video, a table: its content, too long to print
                    digest = hashlib.sha256(str(block).encode()).hexdigest()[:12]
                    printed.append(f"[an HTML output: {' '.join(block.get_text().split())[:80]} (content {digest})]\n")
        if printed:
            state.printed[(page, number)] = (
                where,
                "".join(text if text.endswith("\n") else text + "\n" for text in printed),
            )


BLOCKS = ("p", "li", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "figcaption", "th", "td", "div", "table")


def article_lines(html: str) -> list[str]:
    """The article's text as lines, without cell outputs and glued values, white space made single.

    A line ends where a block ends (a paragraph, an item, a heading) and where the source breaks a line,
    so a paragraph written one sentence per line gives one line per sentence.
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    article = soup.find("article") or soup
    for selector in (".cell_output", ".pasted-text", ".pasted-inline", "script", "style", ".headerlink"):
        for node in article.select(selector):
            node.decompose()
    for block in article.find_all(BLOCKS):
        block.insert_before("\n")
        block.insert_after("\n")
    lines = (" ".join(line.split()) for line in article.get_text("").splitlines())
    return [line for line in lines if line]


def read_sentences(state: BookState, page: str, source: str) -> None:
    """Note, for each glued key that ``source`` uses, the line it is used on (one sentence per line)."""
    for line in source.splitlines():
        for match in GLUE_ROLE.finditer(line):
            state.sentences.setdefault(role_key(match.group(1))[0], []).append((page, line.strip()))


def read(root: Path) -> BookState:
    """What the book at ``root`` shows in its last build (``root/_build``)."""
    root = Path(root)
    build = root / "_build"
    state = BookState(pages=toc.docnames(root))
    for page in state.pages:
        glue = build / "jupyter_execute" / f"{page}.glue.json"
        if glue.is_file():
            read_glue(state, page, json.loads(glue.read_text(encoding="utf-8")))
        html = build / "html" / f"{page}.html"
        if html.is_file():
            read_outputs(state, page, html)
            state.prose[page] = article_lines(html.read_text(encoding="utf-8"))
        source = toc.source_file(root, page)
        if source is not None and source.suffix == ".md":
            read_sentences(state, page, source.read_text(encoding="utf-8"))
    return state
