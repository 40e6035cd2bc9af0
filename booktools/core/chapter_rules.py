"""The book's rules for a chapter's source and for the toc, read from the files (no build needed).

Shape of a chapter (every page of ``_toc.yml`` except those listed in ``booktools_lint_exempt``
in ``_config.yml``, by default the intro and the glossary):

* a label ``(ch-...)=`` on the line before the title;
* a "What you will learn" admonition;
* a ``## Summary`` section;
* a ``## Exercises`` section with at least one ``{dropdown}`` solution.

On every page, exempt or not:

* a code cell with ``mystnb: figure:`` metadata has ``image: alt:`` metadata and a caption;
* a ``{figure}`` or ``{image}`` directive has an ``:alt:`` option;
* a markdown image ``![alt](src)`` has a non-empty alt text.

Toc: every chapter file in ``book/`` is listed in ``_toc.yml`` (``only_build_toc_files`` would
otherwise leave it out without a word), and every entry of ``_toc.yml`` has a file.

The command :mod:`booktools.commands.lint` prints these problems; the extension
:mod:`booktools.extensions.lint` turns them into warnings of the build.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from booktools.core import toc
from booktools.core.myst_scan import front_matter_end, scan

BOOK_DIR = "book"
DEFAULT_EXEMPT = ("book/intro", "book/glossary")
LABEL = re.compile(r"^\(ch-[A-Za-z0-9_-]+\)=\s*$")
TITLE = re.compile(r"^#\s+\S")
LEARN = re.compile(r"^\{admonition\}\s*what you will learn", re.IGNORECASE)
MD_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)]*)\)")
EXERCISE_SOLUTION = "dropdown"


@dataclass(frozen=True)
class Problem:
    """One thing to fix, at a line of a file (line 1 when the whole file is concerned)."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def _nested(mapping: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(mapping, dict):
            return None
        mapping = mapping.get(key)
    return mapping


def figure_problems(text: str, path: Path) -> list[Problem]:
    """Figures without alt text: code-cell figures, {figure}/{image} directives, markdown images."""
    blocks, prose = scan(text)
    problems = []
    for block in blocks:
        if block.name == "code-cell":
            figure = _nested(block.options, "mystnb", "figure")
            alt = _nested(block.options, "mystnb", "image", "alt")
            if figure is not None and not (isinstance(alt, str) and alt.strip()):
                problems.append(
                    Problem(
                        path,
                        block.line,
                        (
                            "this code cell makes a figure but has no alt text: add `:  image:` and "
                            "`:    alt: <what it shows, to a reader who cannot see it>` under `:mystnb:`"
                        ),
                    )
                )
            if figure is not None and not (isinstance(figure, dict) and str(figure.get("caption", "")).strip()):
                problems.append(
                    Problem(
                        path,
                        block.line,
                        (
                            "this code cell's figure has no caption: add `:    caption: <a sentence or two>` "
                            "under `:  figure:`"
                        ),
                    )
                )
        elif block.name in ("figure", "image"):
            alt = block.options.get("alt")
            if not (isinstance(alt, str) and alt.strip()):
                problems.append(
                    Problem(
                        path,
                        block.line,
                        (
                            f"this {{{block.name}}} has no alt text: add an option line "
                            "`:alt: <what the image shows, for a reader who cannot see it>`"
                        ),
                    )
                )
    for number, line in prose:
        for match in MD_IMAGE.finditer(line):
            if not match.group(1).strip():
                problems.append(
                    Problem(
                        path,
                        number,
                        (
                            f"the image {match.group(2)!r} has no alt text: write it between the brackets, "
                            "![what the image shows](...)"
                        ),
                    )
                )
    return problems


def shape_problems(text: str, path: Path) -> list[Problem]:
    """What a chapter lacks of the book's shape (label, learn box, Summary, Exercises with solutions)."""
    lines = text.splitlines()
    start = front_matter_end(lines)
    blocks, prose = scan(text)
    problems = []
    title = next((number for number, line in prose if TITLE.match(line)), None)
    if title is None:
        problems.append(
            Problem(
                path,
                start + 1,
                "the chapter has no title: start it with `(ch-<name>)=` and then `# <Title>` on the next line",
            )
        )
    else:
        before = [line for line in lines[start : title - 1] if line.strip()]
        if not before or not LABEL.match(before[-1]):
            problems.append(
                Problem(
                    path,
                    title,
                    (
                        "the title has no label: put `(ch-<name>)=` on the line just before it, so that "
                        "other "
                        "pages can link here with {ref}`ch-<name>`"
                    ),
                )
            )
    if not any(LEARN.match(f"{{{block.name}}} {block.argument}") for block in blocks if block.name == "admonition"):
        problems.append(
            Problem(
                path,
                (title or start) + 1,
                (
                    "the chapter has no 'What you will learn' box: after the title, add\n"
                    ":::{admonition} What you will learn\n:class: tip\n- ...\n:::"
                ),
            )
        )
    headings = [(number, line.strip()) for number, line in prose if line.startswith("## ")]
    names = [heading for _, heading in headings]
    if "## Summary" not in names:
        problems.append(
            Problem(
                path,
                len(lines),
                "the chapter has no `## Summary` section: add one before `## Exercises`, a few bullet points",
            )
        )
    if "## Exercises" not in names:
        problems.append(
            Problem(
                path,
                len(lines),
                (
                    "the chapter has no `## Exercises` section: end the chapter with one, each solution in a "
                    "`:::{dropdown} Solution to exercise N` block"
                ),
            )
        )
    else:
        begin = next(number for number, heading in headings if heading == "## Exercises")
        end = next((number for number, heading in headings if number > begin), len(lines) + 1)
        if not any(block.name == EXERCISE_SOLUTION and begin < block.line < end for block in blocks):
            problems.append(
                Problem(
                    path,
                    begin,
                    (
                        "the exercises have no solution: add one in a block that opens on a click,\n"
                        ":::{dropdown} Solution to exercise 1\n...\n:::"
                    ),
                )
            )
    return problems


def lint_page(path: Path, *, exempt: bool = False) -> list[Problem]:
    """Every problem of one page (shape checks skipped when ``exempt``)."""
    if path.suffix != ".md":
        return []
    text = path.read_text(encoding="utf-8")
    problems = [] if exempt else shape_problems(text, path)
    return sorted(problems + figure_problems(text, path), key=lambda problem: problem.line)


def _toc_line(toc_text: str, docname: str) -> int:
    for number, line in enumerate(toc_text.splitlines(), start=1):
        if re.search(r"(file|root):\s*" + re.escape(docname) + r"(\.md|\.ipynb)?\s*$", line):
            return number
    return 1


def toc_problems(root: Path) -> list[Problem]:
    """Toc entries with no file, and chapter files in book/ that the toc does not list."""
    root = Path(root)
    toc_path = root / "_toc.yml"
    toc_text = toc_path.read_text(encoding="utf-8")
    names = toc.docnames(root)
    problems = []
    for docname in names:
        if toc.source_file(root, docname) is None:
            problems.append(
                Problem(
                    toc_path,
                    _toc_line(toc_text, docname),
                    (
                        f"_toc.yml lists {docname}, but there is no {docname}.md: create the file "
                        "(`make new-chapter TITLE=...`) or remove the entry"
                    ),
                )
            )
    listed = set(names)
    for path in sorted((root / BOOK_DIR).rglob("*")):
        if path.suffix not in toc.SUFFIXES or ".ipynb_checkpoints" in path.parts or not path.is_file():
            continue
        docname = path.relative_to(root).with_suffix("").as_posix()
        if docname not in listed:
            problems.append(
                Problem(
                    path,
                    1,
                    (
                        f"{docname}{path.suffix} is not in _toc.yml, so the book leaves it out: add "
                        f"`  - file: {docname}` to _toc.yml (before the glossary), or delete the file"
                    ),
                )
            )
    return problems


def exempt_pages(root: Path) -> set[str]:
    """The pages spared the shape checks: ``sphinx.config.booktools_lint_exempt`` in ``_config.yml``."""
    config = yaml.safe_load((Path(root) / "_config.yml").read_text(encoding="utf-8")) or {}
    listed = _nested(config, "sphinx", "config", "booktools_lint_exempt")
    return set(DEFAULT_EXEMPT if listed is None else listed)


def lint_book(root: Path) -> list[Problem]:
    """Every problem of the book at ``root``: the toc, then each page in reading order."""
    root = Path(root)
    problems = toc_problems(root)
    exempt = exempt_pages(root)
    for docname in toc.docnames(root):
        path = toc.source_file(root, docname)
        if path is not None:
            problems.extend(lint_page(path, exempt=docname in exempt))
    return problems
