"""Start a new chapter: ``python -m booktools.new_chapter "Momentum"`` or ``make new-chapter TITLE=...``.

Writes ``book/<slug>.md`` from ``booktools/templates/chapter.md`` (label ``(ch-<slug>)=``,
the standard sections, a seeded code cell calling ``lesson_code``, a figure with alt text
and caption, a glued number and an exercise with its solution) and adds the chapter to
``_toc.yml`` just before the glossary, which stays the last page.
The new chapter builds and passes every check as it is; then replace the placeholders.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from booktools import toc

TEMPLATE = Path(__file__).parent / "templates" / "chapter.md"
GLOSSARY = "book/glossary"


class ChapterError(ValueError):
    """A chapter that cannot be created (bad title, slug taken, no toc)."""


def slugify(title: str) -> str:
    """``"Mini-batch SGD!"`` -> ``"mini-batch-sgd"``: lower case ASCII letters, digits and hyphens."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    if not slug:
        raise ChapterError(f"the title {title!r} has no letters or digits to make a file name from")
    return slug


def render(title: str, slug: str) -> str:
    """The template with the chapter's title and slug filled in."""
    return TEMPLATE.read_text(encoding="utf-8").replace("__TITLE__", title.strip()).replace("__SLUG__", slug)


def add_to_toc(toc_text: str, docname: str) -> str:
    """``_toc.yml`` with ``- file: <docname>`` added just before the glossary entry (or at the end)."""
    lines = toc_text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        match = re.match(r"^(\s*)-\s*file:\s*" + re.escape(GLOSSARY) + r"(\.md)?\s*$", line)
        if match:
            lines.insert(index, f"{match.group(1)}- file: {docname}\n")
            return "".join(lines)
    if not toc_text.endswith("\n"):
        toc_text += "\n"
    indent = "  "
    for line in reversed(lines):
        found = re.match(r"^(\s*)-\s*file:", line)
        if found:
            indent = found.group(1)
            break
    return f"{toc_text}{indent}- file: {docname}\n"


def new_chapter(root: Path, title: str) -> Path:
    """Create the chapter ``title`` in the book at ``root`` and return its file."""
    root = Path(root)
    slug = slugify(title)
    docname = f"book/{slug}"
    path = root / f"{docname}.md"
    if toc.source_file(root, docname) is not None:
        raise ChapterError(f"{path.relative_to(root)} already exists: choose another title, or edit that chapter")
    if docname in toc.docnames(root):
        raise ChapterError(f"_toc.yml already lists {docname}: remove that entry or choose another title")
    label = f"(ch-{slug})="
    for other in sorted((root / "book").rglob("*.md")):
        if label in other.read_text(encoding="utf-8"):
            raise ChapterError(f"the label {label} is already used in {other.relative_to(root)}: choose another title")
    toc_path = root / "_toc.yml"
    new_toc = add_to_toc(toc_path.read_text(encoding="utf-8"), docname)
    path.write_text(render(title, slug), encoding="utf-8")
    toc_path.write_text(new_toc, encoding="utf-8")
    if docname not in toc.docnames(root):  # the toc must still parse, and list the chapter
        raise ChapterError(f"could not add {docname} to {toc_path}: add `- file: {docname}` by hand")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Create book/<slug>.md from the chapter template.")
    parser.add_argument("title", help='the chapter title, e.g. "Momentum"')
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the book's folder (default: here)")
    args = parser.parse_args(argv)
    try:
        path = new_chapter(args.root, args.title)
    except ChapterError as error:
        print(f"new-chapter: {error}", file=sys.stderr)
        return 1
    rel = path.relative_to(args.root.resolve()) if path.is_absolute() else path
    print(f"Created {rel} and added it to _toc.yml before the glossary.")
    print(
        "Next: write it (see CONTRIBUTING.md), then `make book` and "
        f"`BOOK_SITE=_build/html .venv/bin/pytest tests -k {path.stem}`."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
