"""Check that every chapter has the book's shape, that every figure has alt text, and that the toc is whole.

Run it on its own with ``python -m booktools.extensions.lint`` (it prints ``file:line: what to fix``
and exits 1), or let the build run it: as a Sphinx extension it turns every problem into a
warning located at the file, so ``jupyter-book build . -W`` fails on it.

Shape of a chapter (every page of ``_toc.yml`` except those listed in ``booktools_lint_exempt``
in ``_config.yml``, by default the intro and the glossary):

* a label ``(ch-...)=`` on the line before the title;
* a "What you will learn" admonition;
* a ``## Summary`` section;
* a ``## Exercises`` section with at least one ``{dropdown}`` solution.

On every page, exempt or not:

* a code cell with ``mystnb: figure:`` metadata has ``image: alt:`` metadata too;
* a ``{figure}`` or ``{image}`` directive has an ``:alt:`` option;
* a markdown image ``![alt](src)`` has a non-empty alt text;
* after execution, every image in the page (a cell's plot included) has alt text, and every
  plot that a cell draws sits in a figure with a caption (``mystnb: figure: caption:``).

Toc: every chapter file in ``book/`` is listed in ``_toc.yml`` (``only_build_toc_files`` would
otherwise leave it out without a word), and every entry of ``_toc.yml`` has a file.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from booktools.core import toc

BOOK_DIR = "book"
DEFAULT_EXEMPT = ("book/intro", "book/glossary")
LABEL = re.compile(r"^\(ch-[A-Za-z0-9_-]+\)=\s*$")
TITLE = re.compile(r"^#\s+\S")
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,}|:{3,})\s*(.*?)\s*$")
DIRECTIVE = re.compile(r"^\{([A-Za-z0-9_:-]+)\}\s*(.*)$")
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


# -- reading a MyST page --------------------------------------------------------------------


@dataclass
class Block:
    """A fenced block: ```{name} argument ... ``` or :::{name} ... :::, with its options."""

    name: str  # directive name, or "" for a plain code block
    argument: str
    line: int  # 1-based line of the opening fence
    options: dict[str, Any]


def _front_matter_end(lines: list[str]) -> int:
    """Index of the first line after the YAML front matter (0 if there is none)."""
    if lines and lines[0].strip() == "---":
        for index in range(1, len(lines)):
            if lines[index].strip() == "---":
                return index + 1
    return 0


def _options(lines: list[str], start: int) -> dict[str, Any]:
    """The options of a directive whose body starts at ``lines[start]``: ``:key: value`` lines, or YAML."""
    text: list[str] = []
    if start < len(lines) and lines[start].strip() == "---":
        for line in lines[start + 1 :]:
            if line.strip() == "---":
                break
            text.append(line)
    else:
        for line in lines[start:]:
            if not line.startswith(":") or FENCE.match(line):
                break
            text.append(line[1:])
    if not text:
        return {}
    try:
        loaded = yaml.safe_load("\n".join(text))
    except yaml.YAMLError:
        return {"__unparsable__": True}
    return loaded if isinstance(loaded, dict) else {}


def scan(text: str) -> tuple[list[Block], list[tuple[int, str]]]:
    """The fenced blocks of a page, and its markdown lines (number, text) outside code blocks."""
    lines = text.splitlines()
    blocks: list[Block] = []
    prose: list[tuple[int, str]] = []
    stack: list[tuple[str, int]] = []  # open directive fences: (fence character, length)
    index = _front_matter_end(lines)
    while index < len(lines):
        line = lines[index]
        fence = FENCE.match(line)
        if fence:
            marks, info = fence.group(2), fence.group(3)
            if not info and stack and stack[-1][0] == marks[0] and len(marks) >= stack[-1][1]:
                stack.pop()  # closes the innermost open directive
                index += 1
                continue
            directive = DIRECTIVE.match(info)
            name = directive.group(1) if directive else ""
            argument = directive.group(2) if directive else info
            if marks[0] == ":" and not directive:
                prose.append((index + 1, line))
                index += 1
                continue
            blocks.append(Block(name, argument, index + 1, _options(lines, index + 1)))
            if name in ("code-cell", "") or name in ("code", "code-block", "math", "raw", "glossary"):
                # literal content: skip to the closing fence
                index += 1
                while index < len(lines):
                    close = FENCE.match(lines[index])
                    if (
                        close
                        and not close.group(3)
                        and close.group(2)[0] == marks[0]
                        and len(close.group(2)) >= len(marks)
                    ):
                        break
                    index += 1
                index += 1
                continue
            stack.append((marks[0], len(marks)))
            index += 1
            continue
        prose.append((index + 1, line))
        index += 1
    return blocks, prose


# -- the checks ------------------------------------------------------------------------------


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
    start = _front_matter_end(lines)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check the shape of every chapter and the toc.")
    parser.add_argument("root", nargs="?", type=Path, default=Path.cwd(), help="the book's folder")
    args = parser.parse_args(argv)
    problems = lint_book(args.root)
    for problem in problems:
        print(problem)
    if problems:
        print(
            f"{len(problems)} problem(s): fix them, then run `python -m booktools.extensions.lint` again.",
            file=sys.stderr,
        )
        return 1
    print("Every chapter has the book's shape.")
    return 0


# -- the same checks inside the build ------------------------------------------------------


def _warn(logger: Any, problem: Problem) -> None:
    logger.warning(problem.message, location=f"{problem.path}:{problem.line}", type="booktools", subtype="lint")


def check_sources(app: Any, config: Any) -> None:
    """config-inited: lint the toc and every page, before Sphinx reads anything."""
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    root = Path(app.srcdir)
    exempt = set(config.booktools_lint_exempt)
    for problem in toc_problems(root):
        _warn(logger, problem)
    for docname in toc.docnames(root):
        path = toc.source_file(root, docname)
        if path is not None:
            for problem in lint_page(path, exempt=docname in exempt):
                _warn(logger, problem)


def _in_cell_output(node: Any) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.get("nb_element") in ("cell_code_output",):
            return True
        parent = parent.parent
    return False


def _line(node: Any) -> int:
    while node is not None:
        if getattr(node, "line", None):
            return node.line
        node = node.parent
    return 1


def collect_image_problems(app: Any, doctree: Any) -> None:
    """doctree-read: images (a cell's plots too) without alt text, and plots without a caption."""
    from docutils import nodes

    env = app.env
    store = env.__dict__.setdefault("booktools_image_problems", {})
    found = []
    for image in doctree.findall(nodes.image):
        if not str(image.get("alt", "")).strip():
            what = "a plot drawn by a code cell" if _in_cell_output(image) else f"the image {image.get('uri')!r}"
            found.append(
                (
                    _line(image),
                    (
                        f"{what} has no alt text: give the cell `:mystnb:` metadata with `:  image:` and "
                        "`:    alt: <what it shows>`, or the image an `:alt:`"
                    ),
                )
            )
        if _in_cell_output(image):
            figure = image.parent
            while figure is not None and not isinstance(figure, nodes.figure):
                figure = figure.parent
            if figure is None or not any(isinstance(child, nodes.caption) for child in figure.children):
                found.append(
                    (
                        _line(image),
                        (
                            "a plot drawn by a code cell has no caption: give the cell `:mystnb:` metadata "
                            "with "
                            "`:  figure:`, `:    caption: <one or two sentences>` and `:    name: fig-<name>`"
                        ),
                    )
                )
    store[env.docname] = found


def report_image_problems(app: Any, env: Any) -> None:
    """env-check-consistency: report every stored problem, on every build (also incremental ones)."""
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    store = env.__dict__.get("booktools_image_problems", {})
    for docname in sorted(store):
        if docname not in env.found_docs:
            continue
        for line, message in store[docname]:
            logger.warning(message, location=(docname, line), type="booktools", subtype="alt")


def purge(app: Any, env: Any, docname: str) -> None:
    env.__dict__.get("booktools_image_problems", {}).pop(docname, None)


def merge(app: Any, env: Any, docnames: set[str], other: Any) -> None:
    store = env.__dict__.setdefault("booktools_image_problems", {})
    for docname in docnames:
        if docname in other.__dict__.get("booktools_image_problems", {}):
            store[docname] = other.booktools_image_problems[docname]


def setup(app: Any) -> dict[str, Any]:
    app.add_config_value("booktools_lint_exempt", list(DEFAULT_EXEMPT), "env")
    app.connect("config-inited", check_sources, priority=100)
    app.connect("doctree-read", collect_image_problems)
    app.connect("env-check-consistency", report_image_problems)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    sys.exit(main())
