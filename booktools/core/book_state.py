"""What a built book shows, read back from its build folder so that two builds can be compared.

From each page's executed notebook (myst-nb writes them to ``_build/jupyter_execute``): its glued values,
what each code cell prints (its ``stdout`` and ``stderr``, and ``text/plain`` results), and its figures (PNG);
from each page's HTML (``_build/html``): the article's text, without the outputs and glued values
(those are compared as themselves), and from its source, the sentences that use each glued key.
Taught nowhere in the book: this is how a reviewer sees what a change does to it.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from booktools.core import toc

GLUE_PREFIX = "application/papermill.record/"  # myst-nb's glue keeps a value under this prefix
# {glue:text}`key:.2f`, {glue}`key`, {glue:md}`key`: a glue role and what is between its backticks
GLUE_ROLE = re.compile(r"\{glue(?::[a-z]+)?\}`([^`]*)`")


def role_key(text: str) -> tuple[str, str]:
    """The key and the format of a glue role's text, split as myst-nb splits them (``loss:.2f``, ``page::loss``)."""
    key, colon, spec = text.rpartition(":")
    key, spec = (key, spec) if colon else (text, "")
    return key.rpartition("::")[2].strip(), spec


@dataclass(frozen=True)
class Cell:
    """Where an output is: the page, and the code cell's number on it (from 1), with its first line."""

    page: str
    number: int
    first_line: str


@dataclass
class BookState:
    """What a built book shows, keyed so that the same thing in two builds has the same key."""

    pages: list[str]  # the pages of the book, in reading order
    glued: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (page that glues it, its text/plain)
    printed: dict[tuple[str, int], tuple[Cell, str]] = field(default_factory=dict)  # (page, cell) -> what it printed
    figures: dict[tuple[str, int, int], tuple[Cell, bytes]] = field(default_factory=dict)  # (page, cell, n) -> PNG
    prose: dict[str, list[str]] = field(default_factory=dict)  # page -> its article's lines of text
    sentences: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # key -> [(page, source line)]


def _first_line(source: str) -> str:
    lines = [line.strip() for line in source.splitlines()]
    code = [line for line in lines if line and not line.startswith(("#", "%", "import ", "from "))]
    return (code or [line for line in lines if line] or [""])[0][:80]


def _text(value: str | list[str]) -> str:
    return "".join(value) if isinstance(value, list) else value


def read_notebook(state: BookState, page: str, notebook: dict) -> None:
    """Add what the executed ``notebook`` of ``page`` shows to ``state``."""
    code_cells = [cell for cell in notebook.get("cells", []) if cell.get("cell_type") == "code"]
    for number, cell in enumerate(code_cells, start=1):
        where = Cell(page, number, _first_line(_text(cell.get("source", ""))))
        printed: list[str] = []
        figures = 0
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                printed.append(_text(output.get("text", "")))  # pieces joined with nothing added
                continue
            data = output.get("data", {})
            key = output.get("metadata", {}).get("scrapbook", {}).get("name")
            png = data.get("image/png") or data.get(f"{GLUE_PREFIX}image/png")
            if png is not None:
                figures += 1
                state.figures[(page, number, figures)] = (where, base64.b64decode(_text(png)))
            elif key is not None:
                state.glued[key] = (page, _text(data.get(f"{GLUE_PREFIX}text/plain", "")))
            elif "text/plain" in data:
                printed.append(_text(data["text/plain"]) + "\n")
        if printed:
            state.printed[(page, number)] = (where, "".join(printed))


def article_lines(html: str) -> list[str]:
    """The lines of text of a page's article, without cell outputs and glued values, white space made single."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    article = soup.find("article") or soup
    for selector in (".cell_output", ".pasted-text", ".pasted-inline", "script", "style", ".headerlink"):
        for node in article.select(selector):
            node.decompose()
    lines = (" ".join(line.split()) for line in article.get_text("\n").splitlines())
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
        executed = build / "jupyter_execute" / f"{page}.ipynb"
        if executed.is_file():
            read_notebook(state, page, json.loads(executed.read_text(encoding="utf-8")))
        html = build / "html" / f"{page}.html"
        if html.is_file():
            state.prose[page] = article_lines(html.read_text(encoding="utf-8"))
        source = toc.source_file(root, page)
        if source is not None and source.suffix == ".md":
            read_sentences(state, page, source.read_text(encoding="utf-8"))
    return state
